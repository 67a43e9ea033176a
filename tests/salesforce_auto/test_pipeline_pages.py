"""Pipeline pages: the board, the forecast table, the quote editor and its cost gate."""

from datetime import date
from decimal import Decimal

import pytest

from salesforce_auto.models import Opportunity, Quote
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, name="华联超市", stage="target")


@pytest.fixture
def client_en(org, page_for):
    client = page_for(org.rep_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_board_shows_opportunities_by_stage_in_few_queries(org, page_for, customer, django_assert_max_num_queries):
    for stage in ("prospecting", "proposal", "proposal", "negotiation"):
        OpportunityFactory(customer=customer, stage=stage)
    OpportunityFactory(customer=CustomerFactory(owner=org.rep_c), title="Hidden deal")
    client = page_for(org.manager_a)
    client.get("/")
    with django_assert_max_num_queries(8):
        response = client.get("/pipeline/")
    html = response.content.decode()
    assert response.status_code == 200 and html.count('class="opp-card"') == 4
    assert "Hidden deal" not in html


def test_moving_on_the_board_and_losing_without_reason_is_refused(org, client_en, customer):
    opp = OpportunityFactory(customer=customer)
    response = client_en.post(
        f"/pipeline/opportunities/{opp.pk}/move/", {"stage": "lost", "next": "/pipeline/"}, follow=True
    )
    assert "Say why the opportunity was lost." in response.content.decode()
    client_en.post(f"/pipeline/opportunities/{opp.pk}/move/", {"stage": "won"})
    opp.refresh_from_db()
    assert opp.stage == "won"
    response = client_en.post(f"/pipeline/opportunities/{opp.pk}/order/")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/orders/"
    opp.refresh_from_db()
    assert opp.order.amount == opp.amount


def test_new_opportunity_form_creates_one(org, client_en, customer):
    response = client_en.post(
        "/pipeline/opportunities/new/",
        {
            "customer": customer.pk,
            "title": "新店",
            "amount": "1200.00",
            "stage": "proposal",
            "expected_close_on": "2026-04-01",
        },
    )
    assert response.status_code == 302
    opp = Opportunity.objects.get()
    assert (opp.probability, opp.owner) == (50, org.rep_a)


def test_forecast_page_shows_the_weighted_sums(org, client_en, customer):
    OpportunityFactory(customer=customer, amount=Decimal("1000.10"), probability=75, expected_close_on=date(2026, 2, 1))
    response = client_en.get("/pipeline/forecast/?start=2026-01&months=3&include_won=on")
    html = response.content.decode()
    assert response.status_code == 200 and "750.08" in html and "2026-02" in html


def test_quote_editor_refuses_to_issue_without_internal_cost_then_issues(org, client_en, customer):
    response = client_en.post("/pipeline/quotes/new/", {"customer": customer.pk, "title": "报价一"})
    quote = Quote.objects.get()
    assert response["Location"] == f"/pipeline/quotes/{quote.pk}/"
    lines = {
        "title": "报价一",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "货架",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "150.25",
    }
    assert client_en.post(f"/pipeline/quotes/{quote.pk}/", lines).status_code == 302
    response = client_en.post(f"/pipeline/quotes/{quote.pk}/issue/", follow=True)
    assert "Record the internal cost before issuing" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "draft" and quote.total == Decimal("300.50")
    lines.update({"internal_cost": "200.40", "lines-INITIAL_FORMS": "0"})
    client_en.post(f"/pipeline/quotes/{quote.pk}/", lines)
    quote.refresh_from_db()
    assert quote.margin == Decimal("100.10") and quote.lines.count() == 1
    response = client_en.post(f"/pipeline/quotes/{quote.pk}/issue/", follow=True)
    quote.refresh_from_db()
    assert quote.status == "issued" and "Quote issued." in response.content.decode()


def test_quote_editor_shows_line_errors(org, client_en, customer):
    client_en.post("/pipeline/quotes/new/", {"customer": customer.pk, "title": "q"})
    quote = Quote.objects.get()
    bad = {
        "title": "q",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "x",
        "lines-0-quantity": "-1",
        "lines-0-unit_price": "abc",
    }
    response = client_en.post(f"/pipeline/quotes/{quote.pk}/", bad)
    assert response.status_code == 200 and quote.lines.count() == 0


def test_pages_render_on_a_phone_in_chinese(org, page_for, customer):
    OpportunityFactory(customer=customer)
    html = page_for(org.rep_a).get("/pipeline/").content.decode()
    assert 'name="viewport"' in html and "pipeline-board" in html


def test_admin_pages_of_orders_rules_opportunities_and_quotes_render(org, page_for, customer):
    from salesforce_auto.services_pipeline import create_quote
    from tests.factories import OrderFactory, UserFactory

    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    OrderFactory(customer=customer)
    OpportunityFactory(customer=customer)
    quote = create_quote(
        actor=org.rep_a, customer=customer, title="q", lines=[{"description": "x", "quantity": 1, "unit_price": 2}]
    )
    client = page_for(root)
    for url in [
        "/admin/customers/order/",
        "/admin/customers/assignmentrule/",
        "/admin/customers/assignmentrule/add/",
        "/admin/salesforce_auto/opportunity/",
        "/admin/salesforce_auto/quote/",
        f"/admin/salesforce_auto/quote/{quote.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url
