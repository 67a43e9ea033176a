"""Opportunities, the weighted forecast and the quote's internal-cost gate."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from customers.models import Order
from salesforce_auto.selectors_pipeline import forecast
from salesforce_auto.services_pipeline import (
    close_quote,
    create_opportunity,
    create_order_from_opportunity,
    create_quote,
    issue_quote,
    move_opportunity,
    record_internal_cost,
    update_quote,
)
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, stage="target")


def test_new_opportunity_takes_the_stage_probability_and_the_customer_owner(org, customer):
    opp = create_opportunity(
        actor=org.manager_a, customer=customer, title="扩店", amount=Decimal("5000"), expected_close_on=date(2026, 3, 1)
    )
    assert (opp.owner, opp.stage, opp.probability) == (org.rep_a, "prospecting", 10)
    move_opportunity(actor=org.rep_a, opportunity=opp, stage="negotiation")
    opp.refresh_from_db()
    assert opp.probability == 75
    move_opportunity(actor=org.rep_a, opportunity=opp, stage="negotiation", probability=80)
    opp.refresh_from_db()
    assert opp.probability == 80


def test_out_of_scope_customer_or_owner_is_refused(org, customer):
    with pytest.raises(ValidationError):
        create_opportunity(actor=org.rep_b, customer=customer, title="x", amount=1, expected_close_on=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        create_opportunity(
            actor=org.manager_a,
            customer=customer,
            title="x",
            amount=1,
            expected_close_on=date(2026, 1, 1),
            owner=org.rep_c,
        )
    opp = OpportunityFactory(customer=customer)
    with pytest.raises(PermissionDenied):
        move_opportunity(actor=org.manager_b, opportunity=opp, stage="won")


def test_losing_needs_a_reason_and_closed_opportunities_stay_closed(org, customer):
    opp = OpportunityFactory(customer=customer)
    with pytest.raises(ValidationError) as exc:
        move_opportunity(actor=org.rep_a, opportunity=opp, stage="lost")
    assert "lost_reason" in exc.value.message_dict
    move_opportunity(actor=org.rep_a, opportunity=opp, stage="lost", lost_reason="价格太高")
    opp.refresh_from_db()
    assert (opp.probability, opp.lost_reason) == (0, "价格太高") and opp.closed_at
    with pytest.raises(ValidationError):
        move_opportunity(actor=org.rep_a, opportunity=opp, stage="proposal")


def test_won_opportunity_creates_its_order_once_and_the_target_becomes_current(org, customer):
    opp = OpportunityFactory(customer=customer, amount=Decimal("8800.50"))
    with pytest.raises(ValidationError):
        create_order_from_opportunity(actor=org.rep_a, opportunity=opp)
    move_opportunity(actor=org.rep_a, opportunity=opp, stage="won")
    order = create_order_from_opportunity(actor=org.rep_a, opportunity=opp)
    assert (order.source, order.external_ref, order.amount) == ("opportunity", str(opp.pk), Decimal("8800.50"))
    assert create_order_from_opportunity(actor=org.rep_a, opportunity=opp) == order
    assert Order.objects.count() == 1
    customer.refresh_from_db()
    assert customer.stage == "current"


def test_forecast_sums_amount_times_probability_per_rep_team_and_month_exactly(org):
    mine = CustomerFactory(owner=org.rep_a)
    theirs = CustomerFactory(owner=org.rep_b)
    other = CustomerFactory(owner=org.rep_c)
    OpportunityFactory(customer=mine, amount=Decimal("0.29"), probability=50, expected_close_on=date(2026, 1, 10))
    OpportunityFactory(customer=mine, amount=Decimal("0.29"), probability=50, expected_close_on=date(2026, 1, 20))
    OpportunityFactory(customer=mine, amount=Decimal("1000.10"), probability=75, expected_close_on=date(2026, 2, 1))
    OpportunityFactory(customer=theirs, amount=Decimal("333.33"), probability=10, expected_close_on=date(2026, 1, 31))
    OpportunityFactory(
        customer=theirs, amount=Decimal("999"), stage="lost", probability=0, expected_close_on=date(2026, 1, 5)
    )
    OpportunityFactory(
        customer=theirs, amount=Decimal("50"), stage="won", probability=100, expected_close_on=date(2026, 1, 5)
    )
    OpportunityFactory(customer=other, amount=Decimal("100"), probability=25, expected_close_on=date(2026, 1, 2))
    OpportunityFactory(customer=mine, amount=Decimal("7"), probability=50, expected_close_on=date(2026, 4, 1))

    result = forecast(user=org.manager_a, start=date(2026, 1, 1), months=3)
    assert result.months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    by_rep = {(r.owner_id, r.month): (r.count, r.amount, r.weighted) for r in result.by_rep}
    assert by_rep == {
        (org.rep_a.pk, date(2026, 1, 1)): (2, Decimal("0.58"), Decimal("0.29")),
        (org.rep_a.pk, date(2026, 2, 1)): (1, Decimal("1000.10"), Decimal("750.08")),
        (org.rep_b.pk, date(2026, 1, 1)): (2, Decimal("383.33"), Decimal("83.33")),
    }
    by_team = {(r.team_id, r.month): r.weighted for r in result.by_team}
    assert by_team == {
        (org.team_a.pk, date(2026, 1, 1)): Decimal("83.62"),
        (org.team_a.pk, date(2026, 2, 1)): Decimal("750.08"),
    }
    assert result.total.weighted == Decimal("833.70") and result.total.count == 5
    assert [r.weighted for r in result.by_month] == [Decimal("83.62"), Decimal("750.08")]
    assert forecast(user=org.admin, start=date(2026, 1, 1), months=3).total.weighted == Decimal("858.70")
    assert forecast(user=org.rep_b, start=date(2026, 1, 1), months=1).total.weighted == Decimal("83.33")
    open_only = forecast(user=org.rep_b, start=date(2026, 1, 1), months=1, include_won=False)
    assert open_only.total.weighted == Decimal("33.33")


def test_forecast_runs_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    for n in range(20):
        OpportunityFactory(
            customer=CustomerFactory(owner=[org.rep_a, org.rep_b][n % 2]), expected_close_on=date(2026, 1 + n % 6, 1)
        )
    with django_assert_max_num_queries(5):
        result = forecast(user=org.admin, start=date(2026, 1, 1), months=6)
        result.rep_table()
    assert result.total.count == 20


def quote_lines():
    return [
        {"description": "货架", "quantity": "3", "unit_price": "1200.00"},
        {"description": "安装", "quantity": "1.5", "unit_price": "0.33"},
    ]


def test_quote_cannot_be_issued_until_internal_cost_is_recorded(org, customer):
    quote = create_quote(actor=org.rep_a, customer=customer, title="报价一", lines=quote_lines())
    assert quote.total == Decimal("3600.50") and quote.margin is None
    with pytest.raises(ValidationError) as exc:
        issue_quote(actor=org.rep_a, quote=quote)
    assert "internal_cost" in exc.value.message_dict
    assert "internal cost" in exc.value.message_dict["internal_cost"][0]
    quote.refresh_from_db()
    assert quote.status == "draft"
    record_internal_cost(actor=org.rep_a, quote=quote, internal_cost="2880.40")
    quote.refresh_from_db()
    assert (quote.margin, quote.margin_rate) == (Decimal("720.10"), Decimal("0.2000"))
    issued = issue_quote(actor=org.rep_a, quote=quote)
    assert issued.status == "issued" and issued.issued_at
    with pytest.raises(ValidationError):
        update_quote(actor=org.rep_a, quote=quote, title="改")
    close_quote(actor=org.rep_a, quote=quote, status="accepted")
    quote.refresh_from_db()
    assert quote.status == "accepted"


def test_quote_without_priced_lines_cannot_be_issued(org, customer):
    quote = create_quote(actor=org.rep_a, customer=customer, title="空", internal_cost="10")
    with pytest.raises(ValidationError) as exc:
        issue_quote(actor=org.rep_a, quote=quote)
    assert "lines" in exc.value.message_dict


def test_bad_quote_lines_are_refused_whole(org, customer):
    with pytest.raises(ValidationError) as exc:
        create_quote(
            actor=org.rep_a,
            customer=customer,
            title="坏",
            lines=[
                {"description": "ok", "quantity": 1, "unit_price": 1},
                {"description": "x", "quantity": "-1", "unit_price": "a"},
            ],
        )
    assert "lines" in exc.value.message_dict
    with pytest.raises(ValidationError):
        create_quote(actor=org.rep_a, customer=customer, title="坏", internal_cost="-1")


def test_rep_cannot_issue_another_reps_quote(org, customer):
    quote = create_quote(actor=org.rep_a, customer=customer, title="q", lines=quote_lines(), internal_cost="1")
    with pytest.raises(PermissionDenied):
        issue_quote(actor=org.rep_b, quote=quote)
    assert issue_quote(actor=org.manager_a, quote=quote).status == "issued"
