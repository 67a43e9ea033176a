"""Admin screens of the customers app (scorecard weights, stage actions through the lifecycle service) and the
demo data."""

import io

import pytest
from django.core.management import call_command

from customers.models import Contact, Customer, Evaluation, Scorecard, StageChange
from customers.services.customer import create_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(org):
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    return org.admin


def _indicator_formset(rows):
    data = {
        "indicators-TOTAL_FORMS": str(len(rows)),
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for i, (name, weight) in enumerate(rows):
        data |= {
            f"indicators-{i}-name": name,
            f"indicators-{i}-weight": weight,
            f"indicators-{i}-standard_ratio": "1",
            f"indicators-{i}-position": str(i),
        }
    return data


def test_admin_refuses_a_scorecard_whose_weights_do_not_sum_to_one(org, superuser, page_for):
    client = page_for(superuser)
    base = {"name": "评价表", "cap": "1.50", "active": "on"}
    response = client.post("/admin/customers/scorecard/add/", base | _indicator_formset([("a", "0.5"), ("b", "0.4")]))
    assert response.status_code == 200 and not Scorecard.objects.exists()
    assert "1" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    response = client.post("/admin/customers/scorecard/add/", base | _indicator_formset([("a", "0.5"), ("b", "0.5")]))
    assert response.status_code == 302 and Scorecard.objects.get().indicators.count() == 2


def test_admin_stage_action_uses_the_lifecycle_rules(org, superuser, page_for):
    movable = create_customer(actor=org.rep_a, name="A")
    stuck = create_customer(actor=org.rep_a, name="B", stage="current")
    page_for(superuser).post(
        "/admin/customers/customer/",
        {"action": "move_to_target", "_selected_action": [movable.pk, stuck.pk]},
    )
    movable.refresh_from_db()
    stuck.refresh_from_db()
    assert (movable.stage, stuck.stage) == ("target", "current")
    assert StageChange.objects.filter(customer=movable, to_stage="target", changed_by=org.admin).exists()


def test_admin_pages_open(org, superuser, page_for):
    customer = create_customer(actor=org.rep_a, name="A")
    client = page_for(superuser)
    for url in [
        "/admin/customers/customer/",
        f"/admin/customers/customer/{customer.pk}/change/",
        "/admin/customers/customer/add/",
        "/admin/customers/relationshiplevel/",
        "/admin/customers/evaluation/",
        "/admin/customers/qualification/",
    ]:
        assert client.get(url).status_code == 200, url


def test_seed_demo_creates_hundreds_of_customers_with_cards_and_contacts_and_is_safe_twice():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Customer.objects.count(),
        Contact.objects.count(),
        StageChange.objects.count(),
        Evaluation.objects.count(),
    )
    assert counts[0] >= 200 and counts[1] >= counts[0] and counts[3] > 0
    assert set(Customer.objects.values_list("stage", flat=True)) == {"potential", "target", "current", "dormant"}
    assert Customer.objects.filter(relationship_level__code="proactive").exists()
    assert Customer.objects.filter(business_area_m2__isnull=False, brands_carried__isnull=False).exists()
    assert {u for u in Customer.objects.values_list("owner__username", flat=True)} == {"li.rep", "chen.rep", "liu.rep"}
    call_command("seed_demo", stdout=io.StringIO())
    again = (Customer.objects.count(), Contact.objects.count(), StageChange.objects.count(), Evaluation.objects.count())
    assert again == counts


def _customer_admin_form(owner, **extra):
    return {
        "name": "后台客户",
        "owner": owner.pk,
        "city": "上海",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        **extra,
    }


def test_admin_add_and_change_go_through_the_services(org, superuser, page_for):
    client = page_for(superuser)
    response = client.post(
        "/admin/customers/customer/add/", _customer_admin_form(org.rep_a, stage="target", relationship_level="")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(name="后台客户")
    assert (customer.owner, customer.stage) == (org.rep_a, "target")
    assert StageChange.objects.filter(customer=customer, changed_by=superuser).exists()
    level = customer.__class__._meta.get_field("relationship_level").related_model.objects.get(code="basic")
    response = client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        _customer_admin_form(org.rep_a, city="杭州", relationship_level=level.pk),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.city, customer.relationship_level.code, customer.stage) == ("杭州", "basic", "target")
    assert customer.level_changes.count() == 1
