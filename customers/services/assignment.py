"""Assignment rules: who owns a customer created without an owner (DESIGN §3), and their management by
admins (create, edit, delete, reorder)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from crm.selectors import team_reps
from customers.models import AssignmentRule
from customers.selectors.assignment import can_manage_assignment_rules, matching_rules, with_evaluation_order

__all__ = [
    "create_assignment_rule",
    "delete_assignment_rule",
    "matching_rules",
    "move_assignment_rule",
    "owner_from_rules",
    "update_assignment_rule",
]

PRIORITY_STEP = 10
RULE_FIELDS = ("name", "priority", "territory", "city", "industry", "team", "assignee", "active")
MOVE_DIRECTIONS = ("up", "down")


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


def _require_manager_of_rules(actor) -> None:
    if not can_manage_assignment_rules(actor):
        raise PermissionDenied(_("Only administrators may manage assignment rules."))


def _validate_rule(rule: AssignmentRule) -> None:
    """Field checks of the model, then the rule's own: it must name who gets the customer."""
    rule.city = (rule.city or "").strip()
    rule.industry = (rule.industry or "").strip()
    rule.name = (rule.name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(exclude=["last_assigned"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if rule.assignee_id is None and rule.team_id is None:
        errors.setdefault(NON_FIELD_ERRORS, []).append(
            _("Choose a team (its reps take turns) or an assignee; a rule needs at least one.")
        )
    if rule.assignee_id is not None and "assignee" not in errors and not rule.assignee.is_active:
        errors["assignee"] = [_("This user is inactive; choose an active user.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_assignment_rule(*, actor, name: str, priority: int | None = None, **fields) -> AssignmentRule:
    """A new rule; without a priority it goes after every existing rule."""
    _require_manager_of_rules(actor)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown assignment rule fields: {sorted(unknown)}")
    if priority is None:
        highest = AssignmentRule.objects.aggregate(highest=Max("priority"))["highest"]
        priority = PRIORITY_STEP if highest is None else highest + PRIORITY_STEP
    rule = AssignmentRule(name=name, priority=priority, **fields)
    _validate_rule(rule)
    rule.save()
    return rule


@transaction.atomic
def update_assignment_rule(*, actor, rule: AssignmentRule, **fields) -> AssignmentRule:
    """Change some fields of a rule (a partial update: fields not given keep their value)."""
    _require_manager_of_rules(actor)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown assignment rule fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(rule, name, value)
    _validate_rule(rule)
    rule.save(update_fields=[*fields] or None)
    return rule


@transaction.atomic
def delete_assignment_rule(*, actor, rule: AssignmentRule) -> None:
    _require_manager_of_rules(actor)
    rule.delete()


@transaction.atomic
def move_assignment_rule(
    *, actor, rule: AssignmentRule, direction: str | None = None, priority: int | None = None
) -> AssignmentRule:
    """Reorder: one place up or down in the order rules are tried, or straight to a priority.

    Moving by a place first numbers every rule 10, 20, 30, … in the current order (which keeps that order
    exactly, ties included), then swaps the rule with its neighbour; at either end it stays where it is.
    """
    _require_manager_of_rules(actor)
    if (direction is None) == (priority is None):
        raise ValidationError({NON_FIELD_ERRORS: [_("Give either a direction (up or down) or a priority.")]})
    if priority is not None:
        return update_assignment_rule(actor=actor, rule=rule, priority=priority)
    if direction not in MOVE_DIRECTIONS:
        raise ValidationError({"direction": [_("Choose up or down.")]})
    # Lock every rule: two admins reordering at once must not interleave their renumbering.
    ordered = list(with_evaluation_order(AssignmentRule.objects.select_for_update()))
    position = next((i for i, r in enumerate(ordered) if r.pk == rule.pk), None)
    if position is None:
        raise AssignmentRule.DoesNotExist
    target = position - 1 if direction == "up" else position + 1
    if 0 <= target < len(ordered):
        ordered[position], ordered[target] = ordered[target], ordered[position]
    changed = []
    for index, each in enumerate(ordered):
        wanted = (index + 1) * PRIORITY_STEP
        if each.priority != wanted:
            each.priority = wanted
            changed.append(each)
    if changed:
        AssignmentRule.objects.bulk_update(changed, ["priority"])
    rule.priority = next(r.priority for r in ordered if r.pk == rule.pk)
    return rule
