"""Service-level rules of the customers app: creation and edits, duplicates, contacts, MAN, evaluation."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Contact, Customer, Evaluation, Stage, StageChange
from customers.selectors.customer import (
    customer_timeline,
    evaluation_ranking,
    profile_completeness,
    visible_contacts,
)
from customers.services.customer import (
    DuplicateCustomerError,
    create_contact,
    create_customer,
    define_scorecard,
    delete_contact,
    evaluate,
    indicator_score,
    qualify,
    transition_stage,
    update_contact,
    update_customer,
    validate_indicator_weights,
)
from tests.factories import CompetitorBrandFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _scorecard(actor, cap=Decimal("1.50")):
    return define_scorecard(
        actor=actor,
        name="评价表",
        cap=cap,
        indicators=[
            {"name": "市场地位", "weight": Decimal("0.5"), "standard_ratio": Decimal("1.00")},
            {"name": "财务", "weight": Decimal("0.3"), "standard_ratio": Decimal("2.00")},
            {"name": "管理", "weight": Decimal("0.2"), "standard_ratio": Decimal("0.50")},
        ],
    )


# --- creation, owner, duplicates -------------------------------------------------------------------------


def test_duplicate_name_and_phone_for_the_same_owner_is_refused_naming_the_existing_customer(org):
    first = create_customer(actor=org.rep_a, name="华联超市", phone="021-12345678")
    with pytest.raises(DuplicateCustomerError) as caught:
        create_customer(actor=org.rep_a, name="华联超市 ", phone="021-12345678", confirm_duplicate=False)
    assert caught.value.existing == first
    assert Customer.objects.count() == 1
    assert StageChange.objects.count() == 1


def test_duplicate_is_created_when_confirmed(org):
    create_customer(actor=org.rep_a, name="华联超市", phone="021-12345678")
    create_customer(actor=org.rep_a, name="华联超市", phone="021-12345678", confirm_duplicate=True)
    assert Customer.objects.filter(name="华联超市").count() == 2


def test_same_name_and_phone_for_another_owner_is_not_a_duplicate(org):
    create_customer(actor=org.rep_a, name="华联超市", phone="021-12345678")
    create_customer(actor=org.rep_b, name="华联超市", phone="021-12345678", confirm_duplicate=False)
    assert Customer.objects.count() == 2


def test_same_name_with_another_phone_is_not_a_duplicate(org):
    create_customer(actor=org.rep_a, name="华联超市", phone="021-12345678")
    create_customer(actor=org.rep_a, name="华联超市", phone="021-87654321", confirm_duplicate=False)
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("phone", ["abc", "12", "021-1234x678", "+", "1" * 40])
def test_malformed_phone_is_refused(org, phone):
    with pytest.raises(ValidationError) as caught:
        create_customer(actor=org.rep_a, name="A", phone=phone)
    assert "phone" in caught.value.message_dict
    assert not Customer.objects.exists()


@pytest.mark.parametrize("phone", ["13800138000", "021-6235 1234", "+86 (21) 6235-1234", "(021) 62351234"])
def test_usual_phone_formats_are_accepted(org, phone):
    assert create_customer(actor=org.rep_a, name="A", phone=phone).phone == phone


def test_name_longer_than_200_is_refused(org):
    with pytest.raises(ValidationError) as caught:
        create_customer(actor=org.rep_a, name="名" * 201)
    assert "name" in caught.value.message_dict


def test_rep_cannot_give_a_customer_to_someone_else(org):
    with pytest.raises(ValidationError) as caught:
        create_customer(actor=org.rep_a, name="A", owner=org.rep_b)
    assert "owner" in caught.value.message_dict


def test_manager_without_owner_and_without_rules_owns_the_customer(org):
    assert create_customer(actor=org.manager_a, name="A").owner == org.manager_a


def test_external_ref_is_unique(org):
    create_customer(actor=org.rep_a, name="A", external_ref="ERP-1")
    with pytest.raises(ValidationError) as caught:
        create_customer(actor=org.rep_b, name="B", external_ref="ERP-1")
    assert "external_ref" in caught.value.message_dict


# --- edits ------------------------------------------------------------------------------------------------


def test_update_changes_fields_and_routes_stage_and_level_through_their_rules(org):
    customer = create_customer(actor=org.rep_a, name="A")
    update_customer(
        actor=org.rep_a, customer=customer, city="杭州", stage="target", relationship_level="basic", reason="见面"
    )
    customer.refresh_from_db()
    assert (customer.city, customer.stage, customer.relationship_level.code) == ("杭州", "target", "basic")
    assert customer.stage_changes.first().reason == "见面"
    with pytest.raises(ValidationError):
        update_customer(actor=org.rep_a, customer=customer, stage="dormant")


def test_failed_update_saves_nothing(org):
    customer = create_customer(actor=org.rep_a, name="A", city="上海")
    with pytest.raises(ValidationError):
        update_customer(actor=org.rep_a, customer=customer, city="杭州", stage="dormant")
    customer.refresh_from_db()
    assert customer.city == "上海"


def test_rep_cannot_update_another_reps_customer(org):
    customer = create_customer(actor=org.rep_a, name="A")
    with pytest.raises(PermissionDenied):
        update_customer(actor=org.rep_b, customer=customer, city="X")


def test_manager_can_reassign_within_team_but_not_to_another_team(org):
    customer = create_customer(actor=org.rep_a, name="A")
    update_customer(actor=org.manager_a, customer=customer, owner=org.rep_b)
    customer.refresh_from_db()
    assert customer.owner == org.rep_b
    with pytest.raises(ValidationError):
        update_customer(actor=org.manager_a, customer=customer, owner=org.rep_c)


def test_renaming_into_a_duplicate_warns(org):
    create_customer(actor=org.rep_a, name="A", phone="13800138000")
    other = create_customer(actor=org.rep_a, name="B", phone="13800138000")
    with pytest.raises(DuplicateCustomerError):
        update_customer(actor=org.rep_a, customer=other, name="A")
    update_customer(actor=org.rep_a, customer=other, name="A", confirm_duplicate=True)


def test_customer_edits_are_audited(org):
    customer = create_customer(actor=org.rep_a, name="A")
    update_customer(actor=org.rep_a, customer=customer, city="杭州")
    assert customer.history.count() == 2


def test_timeline_merges_stage_and_level_changes_newest_first(org):
    customer = create_customer(actor=org.rep_a, name="A", relationship_level="basic")
    transition_stage(actor=org.rep_a, customer=customer, to_stage="target")
    kinds = [e["kind"] for e in customer_timeline(customer=customer)]
    assert kinds[0] == "stage" and sorted(kinds) == ["level", "stage", "stage"]


# --- profile card ------------------------------------------------------------------------------------------


def test_completeness_counts_filled_card_fields_over_all_seven(org):
    customer = CustomerFactory(owner=org.rep_a)
    assert profile_completeness(customer=customer) == 0
    customer.business_area_m2 = Decimal("120")
    customer.staff_count = 0
    customer.save()
    assert profile_completeness(customer=customer) == round(100 * 2 / 7)
    customer.brands_carried.add(CompetitorBrandFactory())
    customer.years_in_business = 3
    customer.monthly_purchase_volume = Decimal("50000")
    customer.distribution_reach = "全市"
    customer.credit_notes = "按时回款"
    customer.save()
    assert profile_completeness(customer=customer) == 100


# --- contacts ----------------------------------------------------------------------------------------------


def test_contacts_are_scoped_through_their_customer(org):
    customer = create_customer(actor=org.rep_a, name="A")
    contact = create_contact(actor=org.rep_a, customer=customer, name="王总", authority="decision_maker")
    assert list(visible_contacts(org.manager_a)) == [contact]
    assert list(visible_contacts(org.rep_b)) == []
    with pytest.raises(PermissionDenied):
        create_contact(actor=org.rep_b, customer=customer, name="X")
    with pytest.raises(PermissionDenied):
        update_contact(actor=org.manager_b, contact=contact, title="X")
    with pytest.raises(PermissionDenied):
        delete_contact(actor=org.rep_c, contact=contact)


def test_malformed_contact_email_and_phone_are_refused(org):
    customer = create_customer(actor=org.rep_a, name="A")
    with pytest.raises(ValidationError) as caught:
        create_contact(actor=org.rep_a, customer=customer, name="王", email="not-an-email", phone="call me")
    assert {"email", "phone"} <= set(caught.value.message_dict)
    assert not Contact.objects.exists()


# --- MAN qualification -------------------------------------------------------------------------------------


def test_target_is_qualified_only_when_money_authority_and_need_are_all_yes(org):
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    q = qualify(actor=org.rep_a, customer=customer, money="yes", authority="yes", need="unknown")
    assert not q.is_qualified
    q = qualify(actor=org.rep_a, customer=customer, money="yes", authority="yes", need="yes")
    assert q.is_qualified
    assert customer.qualification.pk == q.pk


def test_qualification_refuses_bad_answers_and_customers_past_the_prospect_stages(org):
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    with pytest.raises(ValidationError):
        qualify(actor=org.rep_a, customer=customer, money="maybe", authority="yes", need="yes")
    current = create_customer(actor=org.rep_a, name="B", stage="current")
    with pytest.raises(ValidationError):
        qualify(actor=org.rep_a, customer=current, money="yes", authority="yes", need="yes")
    with pytest.raises(PermissionDenied):
        qualify(actor=org.rep_b, customer=customer, money="yes", authority="yes", need="yes")


# --- evaluation scorecard ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        [Decimal("0.5"), Decimal("0.4")],
        [Decimal("0.5"), Decimal("0.5001")],
        [Decimal("0.3333"), Decimal("0.3333"), Decimal("0.3333")],
        [],
    ],
)
def test_weights_not_summing_to_exactly_one_are_refused(weights):
    with pytest.raises(ValidationError) as caught:
        validate_indicator_weights(weights=weights)
    assert "indicators" in caught.value.message_dict


def test_weights_summing_to_exactly_one_are_accepted():
    validate_indicator_weights(weights=[Decimal("0.3334"), Decimal("0.3333"), Decimal("0.3333")])


def test_define_scorecard_with_bad_weights_saves_nothing(org):
    from customers.models import Scorecard

    with pytest.raises(ValidationError):
        define_scorecard(
            actor=org.admin,
            name="X",
            indicators=[
                {"name": "a", "weight": "0.7", "standard_ratio": "1"},
                {"name": "b", "weight": "0.2", "standard_ratio": "1"},
            ],
        )
    assert not Scorecard.objects.exists()
    with pytest.raises(PermissionDenied):
        _scorecard(org.manager_a)


def test_indicator_score_is_capped_ratio_times_100_times_weight():
    kw = {"standard": Decimal("2"), "weight": Decimal("0.3"), "cap": Decimal("1.5")}
    assert indicator_score(actual=Decimal("1"), **kw) == Decimal("15.00")
    assert indicator_score(actual=Decimal("3"), **kw) == Decimal("45.00")
    assert indicator_score(actual=Decimal("10"), **kw) == Decimal("45.00")  # capped at 1.5
    assert indicator_score(actual=Decimal("0"), **kw) == Decimal("0.00")


def test_evaluation_stores_each_indicator_score_and_their_total(org):
    scorecard = _scorecard(org.admin)
    market, finance, management = scorecard.indicators.all()
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    evaluation = evaluate(
        actor=org.rep_a,
        customer=customer,
        scorecard=scorecard,
        actual_ratios={market.pk: Decimal("1.2"), finance.pk: Decimal("1"), management.pk: Decimal("5")},
    )
    # 1.2×100×0.5 = 60; 0.5×100×0.3 = 15; min(10, 1.5)×100×0.2 = 30
    assert [s.score for s in evaluation.scores.all()] == [Decimal("60.00"), Decimal("15.00"), Decimal("30.00")]
    assert evaluation.total_score == Decimal("105.00")


def test_evaluation_needs_every_indicator_and_a_target_in_scope(org):
    scorecard = _scorecard(org.admin)
    ids = [i.pk for i in scorecard.indicators.all()]
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    with pytest.raises(ValidationError) as caught:
        evaluate(actor=org.rep_a, customer=customer, scorecard=scorecard, actual_ratios={ids[0]: Decimal("1")})
    assert f"indicator_{ids[1]}" in caught.value.message_dict
    with pytest.raises(ValidationError):
        evaluate(actor=org.rep_a, customer=customer, scorecard=scorecard, actual_ratios={i: Decimal("-1") for i in ids})
    with pytest.raises(PermissionDenied):
        evaluate(actor=org.rep_c, customer=customer, scorecard=scorecard, actual_ratios={i: 1 for i in ids})
    potential = create_customer(actor=org.rep_a, name="P")
    with pytest.raises(ValidationError):
        evaluate(actor=org.rep_a, customer=potential, scorecard=scorecard, actual_ratios={i: 1 for i in ids})
    assert not Evaluation.objects.exists()


def test_evaluation_refuses_a_scorecard_whose_weights_were_broken_later(org):
    scorecard = _scorecard(org.admin)
    indicator = scorecard.indicators.first()
    indicator.weight = Decimal("0.9")
    indicator.save()
    customer = create_customer(actor=org.rep_a, name="A", stage="target")
    with pytest.raises(ValidationError):
        evaluate(
            actor=org.rep_a,
            customer=customer,
            scorecard=scorecard,
            actual_ratios={i.pk: Decimal("1") for i in scorecard.indicators.all()},
        )


def test_ranking_orders_visible_customers_by_their_latest_total(org):
    scorecard = _scorecard(org.admin)
    ids = [i.pk for i in scorecard.indicators.all()]

    def run(customer, ratio):
        evaluate(
            actor=org.admin,
            customer=customer,
            scorecard=scorecard,
            actual_ratios={i: Decimal(ratio) for i in ids},
        )

    low = create_customer(actor=org.rep_a, name="low", stage="target")
    high = create_customer(actor=org.rep_b, name="high", stage="target")
    other_team = create_customer(actor=org.rep_c, name="other", stage="target")
    run(low, "2")  # early high score, superseded below
    run(low, "0.1")
    run(high, "1")
    run(other_team, "1.5")
    ranking = list(evaluation_ranking(user=org.manager_a, scorecard=scorecard))
    assert ranking == [high, low]
    assert ranking[1].latest_score < ranking[0].latest_score
    assert [c.name for c in evaluation_ranking(user=org.admin, scorecard=scorecard)][0] == "other"
    assert Stage.TARGET == "target"


def test_oversize_notes_are_refused_for_every_writer(org):
    with pytest.raises(ValidationError) as caught:
        create_customer(actor=org.rep_a, name="A", notes="x" * 5001)
    assert "notes" in caught.value.message_dict
    customer = create_customer(actor=org.rep_a, name="A")
    with pytest.raises(ValidationError) as caught:
        update_customer(actor=org.rep_a, customer=customer, credit_notes="x" * 2001)
    assert "credit_notes" in caught.value.message_dict
