"""Reads of the assignment rules (DESIGN §3): the list in the order they are tried, and the rules matching a
new customer."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from crm.access import is_admin, is_manager
from customers.models import AssignmentRule

# Rules are tried by priority, then territory rules before city rules before industry rules before
# catch-alls, then oldest first. The list pages show them in that same order.
EVALUATION_ORDER = ("priority", "kind", "id")


def with_evaluation_order(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        kind=Case(
            When(territory__isnull=False, then=Value(0)),
            When(~Q(city=""), then=Value(1)),
            When(~Q(industry=""), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by(*EVALUATION_ORDER)


def can_view_assignment_rules(user) -> bool:
    """Admins manage the rules; managers may read them (they decide who gets their teams' new customers)."""
    return is_admin(user) or is_manager(user)


def can_manage_assignment_rules(user) -> bool:
    return is_admin(user)


def visible_assignment_rules(*, user) -> QuerySet:
    """Every rule, in the order they are tried, for the users who may read them; none for the others."""
    queryset = AssignmentRule.objects.all()
    if not can_view_assignment_rules(user):
        queryset = queryset.none()
    return with_evaluation_order(queryset)


def assignment_rule_list(*, user) -> QuerySet:
    """The rules with what a list page shows of them (territory, team and assignee names)."""
    return visible_assignment_rules(user=user).select_related("territory", "team", "assignee")


def matching_rules(*, customer_fields: dict) -> QuerySet:
    """Active rules whose every filled criterion matches, in the order they are tried."""
    territory = customer_fields.get("territory", customer_fields.get("territory_id"))
    territory_id = getattr(territory, "pk", territory)
    city = str(customer_fields.get("city") or "").strip()
    industry = str(customer_fields.get("industry") or "").strip()
    territory_match = Q(territory__isnull=True)
    if territory_id:
        territory_match |= Q(territory_id=territory_id)
    city_match = Q(city="") | (Q(city__iexact=city) if city else Q(pk__in=[]))
    industry_match = Q(industry="") | (Q(industry__iexact=industry) if industry else Q(pk__in=[]))
    return with_evaluation_order(
        AssignmentRule.objects.filter(active=True).filter(territory_match, city_match, industry_match)
    ).select_related("assignee", "team")
