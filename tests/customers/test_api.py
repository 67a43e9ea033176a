"""Customers and contacts API (DESIGN §5): contract, filters, pagination, errors, scoping, query counts."""

from datetime import date
from decimal import Decimal

import pytest

from customers.models import Customer, StageChange
from customers.services.customer import create_customer
from segmentation.models import SegmentationRun, TierAssignment
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMER_FIELDS = {
    "id",
    "external_ref",
    "name",
    "stage",
    "relationship_level",
    "owner",
    "territory",
    "city",
    "address",
    "phone",
    "industry",
    "abc_class",
    "bcg_quadrant",
    "created_at",
    "updated_at",
}


def _live_run(org, tiers):
    run = SegmentationRun.objects.create(as_of=date(2026, 11, 1), status="succeeded", live=True, started_by=org.admin)
    for customer, (abc, bcg) in tiers.items():
        TierAssignment.objects.create(
            run=run,
            customer=customer,
            revenue=Decimal("1"),
            previous_revenue=Decimal("1"),
            abc_class=abc,
            bcg_quadrant=bcg,
            profit=Decimal("0"),
        )
    return run


def test_customer_has_exactly_the_contract_fields_with_level_code_and_live_tier(org, api_for):
    customer = create_customer(actor=org.rep_a, name="华联", relationship_level="basic", external_ref="ERP-1")
    _live_run(org, {customer: ("A", "star")})
    body = api_for(org.rep_a).get(f"/api/v1/customers/{customer.pk}/").json()
    assert set(body) == CUSTOMER_FIELDS
    assert body["relationship_level"] == "basic"
    assert (body["abc_class"], body["bcg_quadrant"]) == ("A", "star")
    assert body["owner"] == org.rep_a.pk and body["external_ref"] == "ERP-1"
    assert "+" in body["created_at"] or body["created_at"].endswith("Z")


def test_tier_is_null_without_a_live_run_and_from_the_live_run_only(org, api_for):
    customer = create_customer(actor=org.rep_a, name="A")
    assert api_for(org.rep_a).get(f"/api/v1/customers/{customer.pk}/").json()["abc_class"] is None
    run = _live_run(org, {customer: ("B", "dog")})
    run.live = False
    run.save()
    old = SegmentationRun.objects.create(as_of=date(2026, 10, 1), status="succeeded", live=True, started_by=org.admin)
    TierAssignment.objects.create(
        run=old, customer=customer, revenue=1, previous_revenue=1, abc_class="C", bcg_quadrant="dog", profit=0
    )
    assert api_for(org.rep_a).get(f"/api/v1/customers/{customer.pk}/").json()["abc_class"] == "C"


def test_rep_creates_a_customer_they_own_at_the_given_stage(org, api_for):
    response = api_for(org.rep_a).post(
        "/api/v1/customers/",
        {"name": "新客户", "stage": "target", "relationship_level": "reactive", "city": "上海", "reason": "展会"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["owner"], body["stage"], body["relationship_level"]) == (org.rep_a.pk, "target", "reactive")
    assert StageChange.objects.get(customer_id=body["id"]).reason == "展会"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A", "phone": "phone?"}, "phone"),
        ({"name": "A", "stage": "lost"}, "stage"),
        ({"name": "A", "relationship_level": "bff"}, "relationship_level"),
        ({"name": "A", "owner": 999999}, "owner"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(org, api_for, payload, field):
    response = api_for(org.manager_a).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Customer.objects.exists()


def test_owner_outside_the_scope_is_a_400(org, api_for):
    response = api_for(org.manager_a).post("/api/v1/customers/", {"name": "A", "owner": org.rep_c.pk}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    response = api_for(org.rep_a).post("/api/v1/customers/", {"name": "A", "owner": org.rep_b.pk}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    ok = api_for(org.manager_a).post("/api/v1/customers/", {"name": "A", "owner": org.rep_b.pk}, format="json")
    assert ok.status_code == 201 and ok.json()["owner"] == org.rep_b.pk


def test_duplicate_name_and_phone_is_a_400_naming_the_existing_id_unless_confirmed(org, api_for):
    existing = create_customer(actor=org.rep_a, name="华联超市", phone="13800138000")
    client = api_for(org.rep_a)
    payload = {"name": "华联超市", "phone": "13800138000"}
    response = client.post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["duplicate_of"] == [existing.pk]
    assert "name" in response.json()
    assert Customer.objects.count() == 1
    response = client.post("/api/v1/customers/", {**payload, "confirm_duplicate": True}, format="json")
    assert response.status_code == 201
    assert Customer.objects.count() == 2


def test_transition_moves_one_step_and_refuses_illegal_moves(org, api_for):
    customer = create_customer(actor=org.rep_a, name="A")
    client = api_for(org.rep_a)
    url = f"/api/v1/customers/{customer.pk}/transition/"
    response = client.post(url, {"stage": "current"}, format="json")
    assert response.status_code == 400 and "stage" in response.json()
    response = client.post(url, {"stage": "target", "reason": "MAN ok"}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == "target"
    assert client.post(url, {"stage": "nonsense"}, format="json").status_code == 400
    assert client.post(url, {"stage": "potential"}, format="json").status_code == 400
    assert customer.stage_changes.first().reason == "MAN ok"


def test_other_rep_cannot_read_update_or_transition_my_customer(org, api_for):
    customer = create_customer(actor=org.rep_a, name="A")
    client = api_for(org.rep_b)
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
    assert client.patch(f"/api/v1/customers/{customer.pk}/", {"city": "X"}, format="json").status_code == 404
    url = f"/api/v1/customers/{customer.pk}/transition/"
    assert client.post(url, {"stage": "target"}, format="json").status_code == 404
    assert client.get("/api/v1/customers/").json()["count"] == 0
    assert api_for(org.manager_a).get("/api/v1/customers/").json()["count"] == 1
    assert api_for(org.manager_b).get("/api/v1/customers/").json()["count"] == 0


def test_patch_writes_the_level_by_code_with_history(org, api_for):
    customer = create_customer(actor=org.rep_a, name="A", relationship_level="basic")
    response = api_for(org.rep_a).patch(
        f"/api/v1/customers/{customer.pk}/", {"relationship_level": "proactive", "reason": "年度合作"}, format="json"
    )
    assert response.status_code == 200 and response.json()["relationship_level"] == "proactive"
    change = customer.level_changes.first()
    assert (change.from_level.code, change.to_level.code, change.reason) == ("basic", "proactive", "年度合作")


def test_patch_with_an_illegal_stage_is_a_400_and_saves_nothing(org, api_for):
    customer = create_customer(actor=org.rep_a, name="A", city="上海")
    response = api_for(org.rep_a).patch(
        f"/api/v1/customers/{customer.pk}/", {"stage": "dormant", "city": "杭州"}, format="json"
    )
    assert response.status_code == 400
    customer.refresh_from_db()
    assert (customer.stage, customer.city) == ("potential", "上海")


def test_filters_stage_level_owner_city_and_tier(org, api_for):
    a = create_customer(actor=org.rep_a, name="A", stage="target", relationship_level="basic", city="上海")
    b = create_customer(actor=org.rep_b, name="B", stage="current", relationship_level="partnership", city="杭州")
    c = create_customer(actor=org.rep_b, name="C", stage="current", city="上海")
    _live_run(org, {a: ("A", "star"), b: ("B", "dog"), c: ("A", "cash_cow")})
    client = api_for(org.manager_a)

    def names(query):
        response = client.get(f"/api/v1/customers/?{query}")
        assert response.status_code == 200, response.json()
        return [r["name"] for r in response.json()["results"]]

    assert names("stage=current") == ["B", "C"]
    assert names("relationship_level=partnership") == ["B"]
    assert names(f"owner={org.rep_a.pk}") == ["A"]
    assert names("city=上海") == ["A", "C"]
    assert names("abc_class=A") == ["A", "C"]
    assert names("bcg_quadrant=dog") == ["B"]
    assert names("abc_class=A&stage=current") == ["C"]
    assert names("ordering=-name") == ["C", "B", "A"]
    assert names("search=B") == ["B"]
    assert client.get("/api/v1/customers/?stage=lost").status_code == 400


def test_list_is_paginated_with_a_capped_page_size(org, api_for):
    CustomerFactory.create_batch(7, owner=org.rep_a)
    body = api_for(org.rep_a).get("/api/v1/customers/?page_size=3&page=2").json()
    assert body["count"] == 7 and len(body["results"]) == 3
    assert body["next"] and body["previous"]
    assert api_for(org.rep_a).get("/api/v1/customers/?page=9").status_code == 404


def test_list_query_count_does_not_grow_with_rows(org, api_for, django_assert_max_num_queries):
    client = api_for(org.manager_a)
    CustomerFactory.create_batch(3, owner=org.rep_a)
    with django_assert_max_num_queries(6) as small:
        client.get("/api/v1/customers/")
    customers = CustomerFactory.create_batch(60, owner=org.rep_b)
    _live_run(org, {c: ("C", "dog") for c in customers})
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/customers/?page_size=100")
    assert len(response.json()["results"]) == 63


def test_contacts_api_is_scoped_through_the_customer(org, api_for):
    mine = create_customer(actor=org.rep_a, name="A")
    theirs = create_customer(actor=org.rep_c, name="C")
    contact = ContactFactory(customer=mine)
    ContactFactory(customer=theirs)
    client = api_for(org.rep_a)
    body = client.get("/api/v1/contacts/").json()
    assert body["count"] == 1
    assert set(body["results"][0]) == {"id", "customer", "name", "title", "phone", "email", "authority"}
    response = client.post("/api/v1/contacts/", {"customer": theirs.pk, "name": "X"}, format="json")
    assert response.status_code == 400 and "customer" in response.json()
    response = client.post(
        "/api/v1/contacts/", {"customer": mine.pk, "name": "王", "email": "bad", "phone": "x"}, format="json"
    )
    assert response.status_code == 400 and {"email", "phone"} <= set(response.json())
    response = client.patch(f"/api/v1/contacts/{contact.pk}/", {"customer": theirs.pk}, format="json")
    assert response.status_code == 400
    assert api_for(org.rep_c).get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
    assert client.get(f"/api/v1/contacts/?customer={mine.pk}").json()["count"] == 1


def test_customer_and_contact_api_writes_are_audited(org, api_for):
    client = api_for(org.rep_a)
    created = client.post("/api/v1/customers/", {"name": "A"}, format="json").json()
    client.patch(f"/api/v1/customers/{created['id']}/", {"city": "X"}, format="json")
    customer = Customer.objects.get(pk=created["id"])
    assert [h.history_user for h in customer.history.all()] == [org.rep_a, org.rep_a]


def test_an_admin_defined_ladder_code_is_read_and_written_by_code(org, api_for):
    from customers.models import RelationshipLevel

    RelationshipLevel.objects.create(code="preferred", name="优先", rank=12)
    customer = create_customer(actor=org.rep_a, name="A")
    response = api_for(org.rep_a).patch(
        f"/api/v1/customers/{customer.pk}/", {"relationship_level": "preferred"}, format="json"
    )
    assert response.status_code == 200 and response.json()["relationship_level"] == "preferred"
    assert api_for(org.rep_a).get("/api/v1/customers/?relationship_level=preferred").json()["count"] == 1
