"""Assignment rules (DESIGN §3): the owner of a customer created without one."""

import pytest

from customers.models import AssignmentRule
from customers.services.assignment import owner_from_rules
from customers.services.customer import create_customer
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def rule(**fields):
    return AssignmentRule.objects.create(name=fields.pop("name", "rule"), **fields)


def test_rep_creating_a_customer_owns_it_whatever_the_rules(org):
    rule(city="上海", assignee=org.rep_c)
    assert create_customer(actor=org.rep_a, name="X", city="上海").owner == org.rep_a


def test_admin_without_owner_gets_the_first_matching_rule(org):
    rule(city="北京", assignee=org.rep_c)
    rule(city="上海", assignee=org.rep_b)
    assert create_customer(actor=org.admin, name="X", city="上海").owner == org.rep_b


def test_no_matching_rule_leaves_the_actor_as_owner(org):
    rule(city="北京", assignee=org.rep_c)
    assert create_customer(actor=org.manager_a, name="X", city="上海").owner == org.manager_a


def test_given_owner_beats_the_rules(org):
    rule(city="上海", assignee=org.rep_c)
    assert create_customer(actor=org.admin, name="X", city="上海", owner=org.rep_a).owner == org.rep_a


def test_priority_first_then_territory_before_city_before_industry_before_catch_all(org):
    territory = TerritoryFactory()
    fields = {"territory": territory, "city": "上海", "industry": "零售"}
    catch_all = rule(assignee=org.rep_a)
    by_industry = rule(industry="零售", assignee=org.rep_b)
    by_city = rule(city="上海", assignee=org.rep_c)
    rule(territory=territory, assignee=org.manager_a)
    assert owner_from_rules(customer_fields=fields) == org.manager_a
    AssignmentRule.objects.filter(territory=territory).update(active=False)
    assert owner_from_rules(customer_fields=fields) == org.rep_c
    by_city.delete()
    assert owner_from_rules(customer_fields=fields) == org.rep_b
    by_industry.delete()
    assert owner_from_rules(customer_fields=fields) == org.rep_a
    catch_all.priority = 200
    catch_all.save()
    rule(priority=10, industry="零售", assignee=org.rep_c)
    assert owner_from_rules(customer_fields=fields) == org.rep_c


def test_every_criterion_of_a_rule_must_match(org):
    rule(city="上海", industry="餐饮", assignee=org.rep_c)
    assert owner_from_rules(customer_fields={"city": "上海", "industry": "零售"}) is None
    assert owner_from_rules(customer_fields={"city": "上海", "industry": "餐饮"}) == org.rep_c


def test_team_rule_round_robins_among_active_reps(org):
    extra = UserFactory(username="rep_x", role="rep", team=org.team_a)
    UserFactory(username="gone", role="rep", team=org.team_a, is_active=False)
    rule(city="上海", team=org.team_a)
    owners = [create_customer(actor=org.admin, name=f"C{n}", city="上海").owner for n in range(5)]
    reps = sorted([org.rep_a, org.rep_b, extra], key=lambda u: u.pk)
    assert owners == [*reps, *reps[:2]]


def test_team_without_active_reps_falls_through_to_the_next_rule(org):
    empty = org.team_b
    org.rep_c.is_active = False
    org.rep_c.save()
    rule(priority=1, city="上海", team=empty)
    rule(priority=2, city="上海", assignee=org.rep_b)
    assert owner_from_rules(customer_fields={"city": "上海"}) == org.rep_b


def test_inactive_rules_and_assignees_are_skipped(org):
    rule(priority=1, city="上海", assignee=org.rep_a, active=False)
    org.rep_c.is_active = False
    org.rep_c.save()
    rule(priority=2, city="上海", assignee=org.rep_c)
    rule(priority=3, city="上海", assignee=org.rep_b)
    assert owner_from_rules(customer_fields={"city": "上海"}) == org.rep_b
