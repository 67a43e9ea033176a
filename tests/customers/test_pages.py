"""Customer pages: list (filters, search, tier, export, query count), create with duplicate warning, card,
lifecycle and level forms, contacts, qualification, evaluation and ranking."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from customers.models import Contact, Customer, Evaluation
from customers.services.customer import create_customer, define_scorecard
from segmentation.models import SegmentationRun, TierAssignment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _tier(org, customer, abc="A", bcg="star"):
    run = SegmentationRun.objects.filter(live=True).first() or SegmentationRun.objects.create(
        as_of=date(2026, 11, 1), status="succeeded", live=True, started_by=org.admin
    )
    TierAssignment.objects.create(
        run=run, customer=customer, revenue=1, previous_revenue=1, abc_class=abc, bcg_quadrant=bcg, profit=0
    )


def test_list_shows_only_visible_customers_with_filters_and_search(org, page_for):
    create_customer(actor=org.rep_a, name="华联超市", city="上海", stage="target")
    create_customer(actor=org.rep_a, name="永辉便利", city="杭州")
    create_customer(actor=org.rep_c, name="别组客户", city="上海")
    client = page_for(org.rep_a)
    body = client.get("/customers/").content.decode()
    assert "华联超市" in body and "永辉便利" in body and "别组客户" not in body
    body = client.get("/customers/?stage=target").content.decode()
    assert "华联超市" in body and "永辉便利" not in body
    body = client.get("/customers/?q=永辉").content.decode()
    assert "永辉便利" in body and "华联超市" not in body
    body = client.get("/customers/?city=杭州").content.decode()
    assert "永辉便利" in body and "华联超市" not in body


def test_list_shows_and_filters_by_live_tier(org, page_for):
    a = create_customer(actor=org.rep_a, name="甲客户")
    create_customer(actor=org.rep_a, name="乙客户")
    _tier(org, a, "A", "star")
    body = page_for(org.rep_a).get("/customers/?abc_class=A").content.decode()
    assert "甲客户" in body and "乙客户" not in body
    assert 'class="badge tier">A<' in body


def test_list_page_query_count_does_not_grow_with_rows(org, page_for, django_assert_max_num_queries):
    client = page_for(org.manager_a)
    CustomerFactory.create_batch(2, owner=org.rep_a)
    with django_assert_max_num_queries(15) as small:
        assert client.get("/customers/").status_code == 200
    customers = CustomerFactory.create_batch(40, owner=org.rep_b)
    for c in customers[:20]:
        _tier(org, c, "B", "dog")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/customers/").status_code == 200


def test_list_paginates(org, page_for):
    CustomerFactory.create_batch(30, owner=org.rep_a)
    body = page_for(org.rep_a).get("/customers/?page=2").content.decode()
    assert body.count('href="/customers/') >= 5
    assert page_for(org.rep_a).get("/customers/?page=99").status_code == 200


def test_export_is_the_filtered_list_as_csv_that_reimports(org, page_for):
    create_customer(actor=org.rep_a, name="华联超市", city="上海", external_ref="ERP-1", phone="13800138000")
    create_customer(actor=org.rep_a, name="永辉便利", city="杭州")
    response = page_for(org.rep_a).get("/customers/export.csv?city=上海")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["华联超市"]
    assert rows[0]["owner"] == org.rep_a.username and rows[0]["external_ref"] == "ERP-1"


def test_create_form_creates_and_redirects_to_the_card(org, page_for):
    response = page_for(org.rep_a).post(
        "/customers/new/", {"name": "新客户", "city": "上海", "phone": "13800138000", "brands": "海尔，美的"}
    )
    customer = Customer.objects.get(name="新客户")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert customer.owner == org.rep_a and customer.stage == "potential"
    assert sorted(b.name for b in customer.brands_carried.all()) == ["海尔", "美的"]


def test_create_form_shows_errors_and_saves_nothing(org, page_for):
    response = page_for(org.rep_a).post("/customers/new/", {"name": "x" * 201, "phone": "电话"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "phone"}
    assert not Customer.objects.exists()


def test_duplicate_warns_with_a_link_and_creates_only_when_confirmed(org, page_for):
    existing = create_customer(actor=org.rep_a, name="华联超市", phone="13800138000")
    client = page_for(org.rep_a)
    data = {"name": "华联超市", "phone": "13800138000"}
    response = client.post("/customers/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="duplicate-warning"' in body
    assert f'href="/customers/{existing.pk}/"' in body
    assert Customer.objects.count() == 1
    response = client.post("/customers/new/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302 and Customer.objects.count() == 2


def test_edit_form_updates_the_customer(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A", city="上海")
    response = page_for(org.rep_a).post(f"/customers/{customer.pk}/edit/", {"name": "A2", "city": "杭州"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.stage) == ("A2", "杭州", "potential")


def test_manager_edit_cannot_give_a_customer_to_another_team(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A")
    response = page_for(org.manager_a).post(f"/customers/{customer.pk}/edit/", {"name": "A", "owner": org.rep_c.pk})
    assert response.status_code == 200 and "owner" in response.context["form"].errors
    customer.refresh_from_db()
    assert customer.owner == org.rep_a


def test_card_shows_completeness_contacts_and_timeline(org, page_for):
    customer = create_customer(
        actor=org.rep_a, name="A", business_area_m2=Decimal("100"), staff_count=5, relationship_level="basic"
    )
    Contact.objects.create(customer=customer, name="王总", title="总经理", authority="decision_maker")
    page = page_for(org.rep_a).get(f"/customers/{customer.pk}/")
    assert page.context["completeness"] == round(100 * 2 / 7)
    body = page.content.decode()
    assert "王总" in body and 'value="29"' in body


def test_transition_form_moves_the_stage_and_refuses_an_illegal_move(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A")
    client = page_for(org.rep_a)
    response = client.post(f"/customers/{customer.pk}/transition/", {"stage": "current"})
    assert response.status_code == 400
    assert response.context["transition_form"].errors
    response = client.post(f"/customers/{customer.pk}/transition/", {"stage": "target", "reason": "需求明确"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.stage == "target"


def test_level_form_changes_the_level(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A")
    response = page_for(org.rep_a).post(f"/customers/{customer.pk}/level/", {"level": "partnership", "reason": "x"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.relationship_level.code == "partnership"
    bad = page_for(org.rep_a).post(f"/customers/{customer.pk}/level/", {"level": "nope"})
    assert bad.status_code == 400


def test_qualification_form_saves_man_answers(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    client = page_for(org.rep_a)
    client.post(f"/customers/{customer.pk}/qualification/", {"money": "yes", "authority": "yes", "need": "yes"})
    customer.refresh_from_db()
    assert customer.qualification.is_qualified
    assert "MAN" in client.get(f"/customers/{customer.pk}/").content.decode()


def test_contact_pages_add_edit_and_remove(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A")
    client = page_for(org.rep_a)
    response = client.post(
        f"/customers/{customer.pk}/contacts/new/", {"name": "李", "email": "bad", "authority": "user"}
    )
    assert response.status_code == 200 and "email" in response.context["form"].errors
    client.post(f"/customers/{customer.pk}/contacts/new/", {"name": "李", "authority": "user"})
    contact = Contact.objects.get()
    client.post(f"/contacts/{contact.pk}/edit/", {"name": "李经理", "authority": "decision_maker"})
    contact.refresh_from_db()
    assert contact.name == "李经理"
    client.post(f"/contacts/{contact.pk}/delete/")
    assert not Contact.objects.exists()


def test_evaluation_form_scores_a_target_and_ranking_lists_it(org, page_for):
    scorecard = define_scorecard(
        actor=org.admin,
        name="评价表",
        indicators=[
            {"name": "市场地位", "weight": "0.5", "standard_ratio": "1"},
            {"name": "财务", "weight": "0.5", "standard_ratio": "2"},
        ],
    )
    first, second = scorecard.indicators.all()
    customer = create_customer(actor=org.rep_a, name="目标客户", stage="target")
    client = page_for(org.rep_a)
    assert client.get(f"/customers/{customer.pk}/evaluate/").status_code == 200
    bad = client.post(f"/customers/{customer.pk}/evaluate/", {f"indicator_{first.pk}": "-1"})
    assert bad.status_code == 400 and not Evaluation.objects.exists()
    response = client.post(
        f"/customers/{customer.pk}/evaluate/", {f"indicator_{first.pk}": "1", f"indicator_{second.pk}": "1"}
    )
    assert response.status_code == 302
    assert Evaluation.objects.get().total_score == Decimal("75.00")
    assert "目标客户" in client.get("/customers/ranking/").content.decode()
    assert "目标客户" not in page_for(org.rep_c).get("/customers/ranking/").content.decode()


def test_evaluate_page_without_a_scorecard_redirects_with_a_message(org, page_for):
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    assert page_for(org.rep_a).get(f"/customers/{customer.pk}/evaluate/").status_code == 302
