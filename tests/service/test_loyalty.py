"""Loyalty levels (DESIGN §3, each rung), referrals and advocates."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from salesforce_auto.models import VisitReport
from segmentation.models import SegmentationRun, TierAssignment
from service.models import LoyaltyLevel, Referral
from service.selectors import advocates, loyalty_level, loyalty_levels
from service.services import convert_referral, record_referral, record_survey
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _run(org, *, live: bool, status: str = "succeeded") -> SegmentationRun:
    return SegmentationRun.objects.create(as_of=date(2026, 11, 1), started_by=org.admin, status=status, live=live)


def _assignment(run, customer, *, loyal: bool) -> TierAssignment:
    return TierAssignment.objects.create(
        run=run,
        customer=customer,
        revenue=Decimal("1000.00"),
        previous_revenue=Decimal("900.00"),
        abc_class="A",
        bcg_quadrant="cash_cow",
        profit=Decimal("100.00"),
        loyal=loyal,
    )


def _visit(customer, *, intends_to_rebuy: bool):
    return VisitReport.objects.create(
        client_uuid=uuid.uuid4(),
        rep=customer.owner,
        customer=customer,
        visited_at=timezone.now(),
        intends_to_rebuy=intends_to_rebuy,
    )


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a)


def test_no_signal_at_all_is_none(customer):
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.NONE


def test_any_order_is_cognitive(customer):
    OrderFactory(customer=customer)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.COGNITIVE


def test_latest_survey_of_four_or_more_is_affective(org, customer):
    OrderFactory(customer=customer)
    record_survey(actor=org.rep_a, customer=customer, overall_score=4)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.AFFECTIVE


def test_only_the_latest_survey_counts_for_affective(org, customer):
    record_survey(actor=org.rep_a, customer=customer, overall_score=5)
    record_survey(actor=org.rep_a, customer=customer, overall_score=3)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.NONE


def test_a_referral_is_conative(org, customer):
    record_survey(actor=org.rep_a, customer=customer, overall_score=5)
    record_referral(actor=org.rep_a, referrer=customer, referred_name="朋友的店")
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.CONATIVE


def test_a_stated_intent_to_rebuy_in_a_visit_is_conative(customer):
    _visit(customer, intends_to_rebuy=False)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.NONE
    _visit(customer, intends_to_rebuy=True)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.CONATIVE


def test_loyal_in_the_live_run_is_behavioural(org, customer):
    record_referral(actor=org.rep_a, referrer=customer, referred_name="X")
    _assignment(_run(org, live=True), customer, loyal=True)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.BEHAVIOURAL


def test_loyal_only_in_a_run_that_is_not_live_does_not_count(org, customer):
    OrderFactory(customer=customer)
    _assignment(_run(org, live=False), customer, loyal=True)
    _assignment(_run(org, live=True), customer, loyal=False)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.COGNITIVE


def test_orders_alone_never_make_behavioural_without_the_live_run(customer):
    """`loyal` is read from segmentation's live run, never recomputed from orders here."""
    for _ in range(6):
        OrderFactory(customer=customer)
    assert loyalty_level(customer_id=customer.pk) == LoyaltyLevel.COGNITIVE


def test_bulk_levels_match_the_single_rule_in_few_queries(org, django_assert_max_num_queries):
    none, cognitive, affective, conative, behavioural = (CustomerFactory(owner=org.rep_a) for _ in range(5))
    OrderFactory(customer=cognitive)
    record_survey(actor=org.rep_a, customer=affective, overall_score=5)
    _visit(conative, intends_to_rebuy=True)
    _assignment(_run(org, live=True), behavioural, loyal=True)
    ids = [c.pk for c in (none, cognitive, affective, conative, behavioural)]
    with django_assert_max_num_queries(3):  # the live run's id, its assignments of these customers, the signals
        levels = loyalty_levels(customer_ids=ids)
    assert levels == {pk: loyalty_level(customer_id=pk) for pk in ids}
    assert [levels[pk] for pk in ids] == ["none", "cognitive", "affective", "conative", "behavioural"]


# --- referrals and advocates ---------------------------------------------------------------------------


def test_referral_rules(org, customer):
    other = CustomerFactory(owner=org.rep_a, name="新店")
    with pytest.raises(ValidationError):
        record_referral(actor=org.rep_a, referrer=customer, referred=customer)
    with pytest.raises(ValidationError):
        record_referral(actor=org.rep_a, referrer=customer, referred_name="  ")
    referral = record_referral(actor=org.rep_a, referrer=customer, referred=other)
    assert referral.referred_name == "新店" and not referral.converted
    with pytest.raises(ValidationError):
        record_referral(actor=org.rep_a, referrer=customer, referred=other)
    with pytest.raises(PermissionDenied):
        record_referral(actor=org.rep_b, referrer=customer, referred_name="x")


def test_converted_referrals_make_an_advocate(org, customer):
    referral = record_referral(actor=org.rep_a, referrer=customer, referred_name="A")
    record_referral(actor=org.rep_a, referrer=customer, referred_name="B")
    assert list(advocates(org.rep_a)) == []
    convert_referral(actor=org.rep_a, referral=referral)
    convert_referral(actor=org.rep_a, referral=referral)  # idempotent
    rows = list(advocates(org.manager_a))
    assert rows == [customer] and (rows[0].referral_count, rows[0].converted_referrals) == (2, 1)
    assert list(advocates(org.manager_b)) == []


def test_api_referrals_convert_and_advocates(org, api_for, customer):
    client = api_for(org.rep_a)
    response = client.post("/api/v1/referrals/", {"referrer": customer.pk, "referred_name": "王记"}, format="json")
    assert response.status_code == 201
    rid = response.json()["id"]
    converted = client.post(f"/api/v1/referrals/{rid}/convert/", {}, format="json").json()
    assert converted["converted"] is True and converted["converted_at"]
    advocates_body = client.get("/api/v1/referrals/advocates/").json()
    assert advocates_body["results"] == [
        {"customer": customer.pk, "name": customer.name, "referral_count": 1, "converted_referrals": 1}
    ]
    bad = client.post("/api/v1/referrals/", {"referrer": customer.pk, "referred": customer.pk}, format="json")
    assert bad.status_code == 400 and "referred" in bad.json()


def test_api_loyalty_card(org, api_for, customer):
    OrderFactory(customer=customer)
    body = api_for(org.manager_a).get(f"/api/v1/loyalty/{customer.pk}/").json()
    assert body == {
        "customer": customer.pk,
        "level": "cognitive",
        "advocate": False,
        "latest_overall_score": None,
        "member": False,
        "balance": 0,
        "referrals": 0,
        "converted_referrals": 0,
    }
    assert api_for(org.rep_b).get(f"/api/v1/loyalty/{customer.pk}/").status_code == 404


def test_loyalty_card_page_shows_level_points_and_referrals(org, page_for, customer):
    _assignment(_run(org, live=True), customer, loyal=True)
    referral = record_referral(actor=org.rep_a, referrer=customer, referred_name="隔壁超市")
    convert_referral(actor=org.rep_a, referral=referral)
    html = page_for(org.rep_a).get(f"/service/customers/{customer.pk}/loyalty/").content.decode()
    assert 'data-level="behavioural"' in html and "行为忠诚" in html
    assert "隔壁超市" in html and "加入俱乐部" in html
    assert Referral.objects.get().converted


def test_loyalty_overview_page_lists_levels_in_constant_queries(org, page_for, django_assert_max_num_queries):
    customers = [CustomerFactory(owner=org.rep_a, name=f"店{i:02d}") for i in range(30)]
    for customer in customers[:10]:
        OrderFactory(customer=customer)
    for customer in customers[10:15]:
        _visit(customer, intends_to_rebuy=True)
    referral = record_referral(actor=org.rep_a, referrer=customers[20], referred_name="X")
    convert_referral(actor=org.rep_a, referral=referral)
    _assignment(_run(org, live=True), customers[0], loyal=True)
    client = page_for(org.manager_a)
    client.get("/service/loyalty/")
    with django_assert_max_num_queries(8):
        html = client.get("/service/loyalty/").content.decode()
    assert html.count('data-level="behavioural"') == 1
    assert html.count('data-level="cognitive"') == 9
    assert html.count('data-level="conative"') == 6
    advocates_html = client.get("/service/loyalty/?advocates=1").content.decode()
    assert "店20" in advocates_html and "店01" not in advocates_html
    assert "店00" not in page_for(org.rep_b).get("/service/loyalty/").content.decode()


def test_referral_list_api_query_count(org, api_for, django_assert_max_num_queries):
    for i in range(20):
        referrer = CustomerFactory(owner=org.rep_a)
        record_referral(actor=org.rep_a, referrer=referrer, referred=CustomerFactory(owner=org.rep_a, name=f"R{i}"))
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/referrals/?page_size=100").json()["count"] == 20
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/referrals/advocates/").json()["count"] == 0
