"""/api/v1/orders/ as DESIGN §5 says: one object or a list, idempotent refs, all-or-nothing batches."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Order, StageChange
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, external_ref="ERP-001", stage="current")


def order_body(customer, **extra):
    return {"customer": customer.pk, "ordered_at": "2026-01-05T10:00:00+08:00", "amount": "1234.50", **extra}


def test_one_order_is_created_with_exact_money_as_strings(org, api_for, customer):
    response = api_for(org.rep_a).post("/api/v1/orders/", order_body(customer, cost="0.10"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "1234.50" and body["cost"] == "0.10" and body["source"] == "api"
    assert Order.objects.get().amount == Decimal("1234.50")


def test_json_numbers_are_read_as_decimals_not_floats(org, api_for, customer):
    client = api_for(org.rep_a)
    raw = '{"customer": CUSTOMER, "ordered_at": "2026-01-05", "amount": 0.29, "cost": 1e-2}'
    raw = raw.replace("CUSTOMER", str(customer.pk))
    response = client.post("/api/v1/orders/", raw, content_type="application/json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.amount, order.cost) == (Decimal("0.29"), Decimal("0.01"))


def test_known_source_and_ref_answers_200_with_the_existing_order(org, api_for, customer):
    client = api_for(org.rep_a)
    first = client.post("/api/v1/orders/", order_body(customer, external_ref="SO-1"), format="json")
    again = client.post("/api/v1/orders/", order_body(customer, external_ref="SO-1", amount="9.99"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["amount"] == "1234.50"
    assert Order.objects.count() == 1


def test_same_ref_from_another_source_is_a_different_order(org, api_for, customer):
    client = api_for(org.rep_a)
    client.post("/api/v1/orders/", order_body(customer, external_ref="SO-1"), format="json")
    response = client.post("/api/v1/orders/", order_body(customer, external_ref="SO-1", source="erp"), format="json")
    assert response.status_code == 201 and Order.objects.count() == 2


def test_customer_ref_resolves_by_the_customers_external_ref(org, api_for, customer):
    body = {"customer_ref": "ERP-001", "ordered_at": "2026-01-05 09:30", "amount": 10}
    response = api_for(org.rep_a).post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201 and response.json()["customer"] == customer.pk
    assert response.json()["ordered_at"].endswith("+08:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "-1.00"), ("amount", "abc"), ("amount", "NaN"), ("amount", "1.005"), ("cost", "-0.01")],
)
def test_bad_money_is_a_400_naming_the_field(org, api_for, customer, field, value):
    response = api_for(org.rep_a).post("/api/v1/orders/", order_body(customer, **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Order.objects.exists()


def test_order_more_than_a_day_in_the_future_is_refused(org, api_for, customer):
    later = (timezone.now() + timedelta(days=1, hours=1)).isoformat()
    response = api_for(org.rep_a).post("/api/v1/orders/", order_body(customer, ordered_at=later), format="json")
    assert response.status_code == 400 and "ordered_at" in response.json()
    soon = (timezone.now() + timedelta(hours=20)).isoformat()
    assert (
        api_for(org.rep_a).post("/api/v1/orders/", order_body(customer, ordered_at=soon), format="json").status_code
        == 201
    )


def test_out_of_scope_customer_is_a_400_not_a_leak(org, api_for, customer):
    response = api_for(org.rep_b).post("/api/v1/orders/", order_body(customer), format="json")
    assert response.status_code == 400 and "customer" in response.json()
    response = api_for(org.manager_b).post(
        "/api/v1/orders/", {**order_body(customer), "customer": None, "customer_ref": "ERP-001"}, format="json"
    )
    assert response.status_code == 400 and "customer_ref" in response.json()


def test_batch_creates_and_reports_known_refs_as_duplicates(org, api_for, customer):
    OrderFactory(customer=customer, source="api", external_ref="SO-2")
    batch = [order_body(customer, external_ref=f"SO-{n}") for n in (1, 2, 3)]
    response = api_for(org.manager_a).post("/api/v1/orders/", batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"created": 2, "duplicates": [1]}
    assert Order.objects.count() == 3


def test_batch_with_any_bad_item_stores_nothing_and_reports_errors_by_index(org, api_for, customer):
    other = CustomerFactory(owner=org.rep_c)
    batch = [
        order_body(customer, external_ref="A"),
        order_body(other, external_ref="B"),
        order_body(customer, external_ref="C", amount="-5"),
        order_body(customer, external_ref="A"),
        {"customer_ref": "NOPE", "ordered_at": "2026-01-01", "amount": "1"},
    ]
    response = api_for(org.rep_a).post("/api/v1/orders/", batch, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"1", "2", "3", "4"}
    assert "customer" in errors["1"] and "amount" in errors["2"] and "external_ref" in errors["3"]
    assert "customer_ref" in errors["4"]
    assert not Order.objects.exists()


def test_a_targets_first_order_makes_it_current_as_the_system_user(org, api_for):
    target = CustomerFactory(owner=org.rep_a, stage="target")
    response = api_for(org.rep_a).post("/api/v1/orders/", order_body(target), format="json")
    assert response.status_code == 201
    target.refresh_from_db()
    assert target.stage == "current"
    change = StageChange.objects.get(customer=target, to_stage="current")
    assert change.from_stage == "target" and change.changed_by.username == "system"


def test_potential_customer_stays_potential_after_an_order(org, api_for):
    potential = CustomerFactory(owner=org.rep_a, stage="potential")
    api_for(org.rep_a).post("/api/v1/orders/", order_body(potential), format="json")
    potential.refresh_from_db()
    assert potential.stage == "potential"


def test_list_is_scoped_filtered_and_paginated_in_few_queries(org, api_for, customer, django_assert_max_num_queries):
    other = CustomerFactory(owner=org.rep_c)
    OrderFactory.create_batch(30, customer=customer, source="erp")
    OrderFactory(customer=other)
    client = api_for(org.rep_a)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/orders/?page_size=10&source=erp")
    assert response.status_code == 200 and response.json()["count"] == 30
    assert len(response.json()["results"]) == 10
    assert api_for(org.manager_b).get("/api/v1/orders/").json()["count"] == 1
    assert api_for(org.admin).get("/api/v1/orders/").json()["count"] == 31
    early = api_for(org.admin).get("/api/v1/orders/?ordered_before=2000-01-01T00:00:00Z").json()
    assert early["count"] == 0


def test_out_of_scope_order_detail_is_404(org, api_for, customer):
    order = OrderFactory(customer=customer)
    assert api_for(org.rep_a).get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert api_for(org.rep_b).get(f"/api/v1/orders/{order.pk}/").status_code == 404


def test_a_ref_stored_concurrently_between_check_and_insert_is_reported_as_duplicate(org, customer, monkeypatch):
    from customers.services import orders as service

    real_filter = service.Order.objects.filter
    calls = {"n": 0}

    def filter_then_race(*args, **kwargs):
        # The first duplicate check sees nothing; meanwhile "another request" stores the same ref.
        calls["n"] += 1
        if calls["n"] == 1 and "external_ref__in" in kwargs:
            OrderFactory(customer=customer, source="api", external_ref="RACE")
            return real_filter(pk__in=[])
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(service.Order.objects, "filter", filter_then_race)
    order, created = service.record_order(actor=org.rep_a, data=order_body(customer, external_ref="RACE"))
    assert not created and order.external_ref == "RACE"
    assert Order.objects.filter(external_ref="RACE").count() == 1
