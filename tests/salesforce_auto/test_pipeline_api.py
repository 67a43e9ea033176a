"""The pipeline over the API: opportunities, forecast, quotes and the 400 of the cost gate."""

from datetime import date
from decimal import Decimal

import pytest

from customers.models import Order
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, stage="target")


def test_rep_creates_moves_wins_and_orders_an_opportunity(org, api_for, customer):
    client = api_for(org.rep_a)
    body = {"customer": customer.pk, "title": "新店货架", "amount": "12000.00", "expected_close_on": "2026-03-15"}
    response = client.post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 201, response.json()
    opp = response.json()
    assert (opp["stage"], opp["probability"], opp["owner"], opp["amount"]) == (
        "prospecting",
        10,
        org.rep_a.pk,
        "12000.00",
    )
    response = client.post(f"/api/v1/opportunities/{opp['id']}/move/", {"stage": "lost"}, format="json")
    assert response.status_code == 400 and "lost_reason" in response.json()
    response = client.post(f"/api/v1/opportunities/{opp['id']}/move/", {"stage": "won"}, format="json")
    assert response.status_code == 200 and response.json()["probability"] == 100
    first = client.post(f"/api/v1/opportunities/{opp['id']}/create-order/")
    again = client.post(f"/api/v1/opportunities/{opp['id']}/create-order/")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["source"] == "opportunity" and first.json()["external_ref"] == str(opp["id"])
    assert first.json()["amount"] == "12000.00" and Order.objects.count() == 1


def test_opportunity_for_an_out_of_scope_customer_is_a_400(org, api_for, customer):
    body = {"customer": customer.pk, "title": "x", "amount": "1", "expected_close_on": "2026-03-15"}
    assert api_for(org.rep_b).post("/api/v1/opportunities/", body, format="json").status_code == 400
    body["amount"] = "-1"
    assert api_for(org.rep_a).post("/api/v1/opportunities/", body, format="json").status_code == 400


def test_opportunity_list_is_scoped_in_few_queries(org, api_for, customer, django_assert_max_num_queries):
    OpportunityFactory.create_batch(15, customer=customer)
    OpportunityFactory(customer=CustomerFactory(owner=org.rep_c))
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/opportunities/?stage=proposal")
    assert response.json()["count"] == 15


def test_forecast_api_returns_exact_weighted_sums(org, api_for, customer):
    OpportunityFactory(customer=customer, amount=Decimal("1000.10"), probability=75, expected_close_on=date(2026, 2, 1))
    response = api_for(org.rep_a).get("/api/v1/forecast/?start=2026-01&months=2")
    assert response.status_code == 200
    body = response.json()
    assert body["months"] == ["2026-01-01", "2026-02-01"]
    assert body["by_rep"] == [
        {
            "month": "2026-02-01",
            "owner": org.rep_a.pk,
            "owner_name": body["by_rep"][0]["owner_name"],
            "team": org.team_a.pk,
            "team_name": "Team A",
            "count": 1,
            "amount": "1000.10",
            "weighted": "750.08",
        }
    ]
    assert body["total"]["weighted"] == "750.08"
    assert api_for(org.rep_b).get("/api/v1/forecast/?start=2026-01&months=2").json()["total"]["count"] == 0
    assert api_for(org.rep_a).get("/api/v1/forecast/?start=2026-13").status_code == 400
    assert api_for(org.rep_a).get("/api/v1/forecast/?months=99").status_code == 400


def test_quote_issue_is_a_400_until_internal_cost_is_recorded(org, api_for, customer):
    client = api_for(org.rep_a)
    body = {
        "customer": customer.pk,
        "title": "报价",
        "lines": [{"description": "货架", "quantity": "2", "unit_price": "150.25"}],
    }
    response = client.post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 201, response.json()
    quote = response.json()
    assert (quote["total"], quote["margin"], quote["status"]) == ("300.50", None, "draft")
    response = client.post(f"/api/v1/quotes/{quote['id']}/issue/")
    assert response.status_code == 400 and "内部成本" in response.json()["internal_cost"][0]
    response = client.patch(f"/api/v1/quotes/{quote['id']}/", {"internal_cost": "200.40"}, format="json")
    assert response.status_code == 200 and response.json()["margin"] == "100.10"
    assert response.json()["margin_rate"] == "0.3331"
    response = client.post(f"/api/v1/quotes/{quote['id']}/issue/")
    assert response.status_code == 200 and response.json()["status"] == "issued"
    response = client.patch(f"/api/v1/quotes/{quote['id']}/", {"title": "改"}, format="json")
    assert response.status_code == 400
    response = client.post(f"/api/v1/quotes/{quote['id']}/outcome/", {"status": "accepted"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_quote_of_another_team_is_404(org, api_for, customer):
    response = api_for(org.rep_a).post("/api/v1/quotes/", {"customer": customer.pk, "title": "q"}, format="json")
    quote_id = response.json()["id"]
    assert api_for(org.manager_b).get(f"/api/v1/quotes/{quote_id}/").status_code == 404
    assert api_for(org.manager_b).post(f"/api/v1/quotes/{quote_id}/issue/").status_code == 404
