"""The lifecycle core every app relies on: creation at any stage, one-step moves, scoping."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import RelationshipLevel, Stage, StageChange
from customers.selectors.customer import visible_customers
from customers.services.customer import change_relationship_level, create_customer, transition_stage

pytestmark = pytest.mark.django_db


def test_default_ladder_has_kotlers_five_levels_in_order():
    assert list(RelationshipLevel.objects.values_list("code", flat=True)) == [
        "basic",
        "reactive",
        "accountable",
        "proactive",
        "partnership",
    ]


def test_rep_creates_a_customer_they_own_with_a_first_stage_change(org):
    customer = create_customer(actor=org.rep_a, name="华联超市", city="上海")
    assert customer.owner == org.rep_a and customer.stage == Stage.POTENTIAL
    change = StageChange.objects.get(customer=customer)
    assert (change.from_stage, change.to_stage, change.changed_by) == ("", "potential", org.rep_a)


def test_import_style_creation_at_current_is_allowed(org):
    customer = create_customer(actor=org.admin, name="老客户", stage=Stage.CURRENT, owner=org.rep_a)
    assert customer.stage == Stage.CURRENT


def test_legal_moves_are_recorded_and_illegal_ones_refused(org):
    customer = create_customer(actor=org.rep_a, name="A")
    transition_stage(actor=org.rep_a, customer=customer, to_stage="target", reason="MAN ok")
    with pytest.raises(ValidationError):
        transition_stage(actor=org.rep_a, customer=customer, to_stage="potential")
    with pytest.raises(ValidationError):
        transition_stage(actor=org.rep_a, customer=customer, to_stage="dormant")
    transition_stage(actor=org.rep_a, customer=customer, to_stage="current")
    customer.refresh_from_db()
    assert customer.stage == "current"
    assert list(customer.stage_changes.values_list("to_stage", flat=True)) == ["current", "target", "potential"]


def test_another_rep_cannot_move_my_customer(org):
    customer = create_customer(actor=org.rep_a, name="A")
    with pytest.raises(PermissionDenied):
        transition_stage(actor=org.rep_b, customer=customer, to_stage="target")


def test_manager_owner_must_be_in_scope(org):
    with pytest.raises(ValidationError):
        create_customer(actor=org.manager_b, name="X", owner=org.rep_a)
    assert create_customer(actor=org.manager_a, name="Y", owner=org.rep_a).owner == org.rep_a


def test_level_changes_are_dated_history(org):
    customer = create_customer(actor=org.rep_a, name="A", relationship_level="basic")
    change_relationship_level(actor=org.rep_a, customer=customer, level_code="reactive", reason="回访")
    customer.refresh_from_db()
    assert customer.relationship_level.code == "reactive"
    assert customer.level_changes.first().from_level.code == "basic"
    with pytest.raises(ValidationError):
        change_relationship_level(actor=org.rep_a, customer=customer, level_code="nope")


def test_visible_customers_follows_the_scope(org):
    mine = create_customer(actor=org.rep_a, name="mine")
    create_customer(actor=org.rep_c, name="other team")
    assert list(visible_customers(org.rep_a)) == [mine]
    assert list(visible_customers(org.rep_b)) == []
    assert list(visible_customers(org.manager_a)) == [mine]
    assert visible_customers(org.admin).count() == 2
