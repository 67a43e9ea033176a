"""Assignment rules: who owns a customer created without an owner (DESIGN §3)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from crm.selectors import team_reps
from customers.models import AssignmentRule


def matching_rules(*, customer_fields: dict):
    """Active rules whose every filled criterion matches, first match first: by priority, then territory
    rules before city rules before industry rules before catch-alls, then oldest first."""
    territory = customer_fields.get("territory", customer_fields.get("territory_id"))
    territory_id = getattr(territory, "pk", territory)
    city = str(customer_fields.get("city") or "").strip()
    industry = str(customer_fields.get("industry") or "").strip()
    territory_match = Q(territory__isnull=True)
    if territory_id:
        territory_match |= Q(territory_id=territory_id)
    city_match = Q(city="") | (Q(city__iexact=city) if city else Q(pk__in=[]))
    industry_match = Q(industry="") | (Q(industry__iexact=industry) if industry else Q(pk__in=[]))
    return (
        AssignmentRule.objects.filter(active=True)
        .filter(territory_match, city_match, industry_match)
        .annotate(
            kind=Case(
                When(territory__isnull=False, then=Value(0)),
                When(~Q(city=""), then=Value(1)),
                When(~Q(industry=""), then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .select_related("assignee", "team")
        .order_by("priority", "kind", "id")
    )


@transaction.atomic
def owner_from_rules(*, customer_fields: dict):
    """The owner chosen by the first matching active rule that can give one, or None.

    A rule with an assignee gives that user (when active); a rule with a team gives its active reps in turn
    (round-robin by user id, the rule row locked so concurrent creations never pick the same turn).
    """
    for rule in matching_rules(customer_fields=customer_fields):
        if rule.assignee_id and rule.assignee.is_active:
            return rule.assignee
        if rule.team_id:
            locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
            reps = list(team_reps(rule.team))
            if not reps:
                continue
            owner = next((rep for rep in reps if rep.pk > (locked.last_assigned_id or 0)), reps[0])
            locked.last_assigned = owner
            locked.save(update_fields=["last_assigned"])
            return owner
    return None
