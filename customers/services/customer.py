"""Customer writes: creation, lifecycle moves, relationship level changes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import can_act_for_owner, is_admin, is_manager
from customers.models import Customer, RelationshipLevel, RelationshipLevelChange, Stage, StageChange

# Allowed lifecycle moves after creation (DESIGN §3).
STAGE_MOVES = {
    (Stage.POTENTIAL, Stage.TARGET),
    (Stage.TARGET, Stage.CURRENT),
    (Stage.CURRENT, Stage.DORMANT),
    (Stage.DORMANT, Stage.CURRENT),
}


def resolve_owner(*, actor, owner=None, customer_fields: dict | None = None):
    """DESIGN §3: the given owner (admins/managers within scope); else the acting rep; else the first
    matching assignment rule; else the actor."""
    if owner is not None:
        if not (is_admin(actor) or is_manager(actor) or getattr(owner, "pk", owner) == actor.pk):
            raise ValidationError({"owner": [_("Only managers and admins may choose the owner.")]})
        if not can_act_for_owner(actor, owner):
            raise ValidationError({"owner": [_("This owner is outside your scope.")]})
        return owner
    if actor.role == "rep" and not actor.is_admin_role:
        return actor
    from customers.services import assignment

    rule_owner = assignment.owner_from_rules(customer_fields=customer_fields or {})
    return rule_owner or actor


@transaction.atomic
def create_customer(
    *, actor, name: str, stage: str = Stage.POTENTIAL, owner=None, reason: str = "", **fields
) -> Customer:
    """Create a customer at any stage; records the initial StageChange."""
    brands = fields.pop("brands_carried", None)
    level = fields.pop("relationship_level", None)
    if isinstance(level, str):
        level = RelationshipLevel.objects.filter(code=level).first() or _unknown_level(level)
    owner = resolve_owner(actor=actor, owner=owner, customer_fields={"name": name, **fields})
    customer = Customer(name=name, stage=stage, owner=owner, relationship_level=level, **fields)
    customer.full_clean()
    customer.save()
    if brands:
        customer.brands_carried.set(brands)
    StageChange.objects.create(
        customer=customer, from_stage="", to_stage=stage, changed_by=actor, changed_at=timezone.now(), reason=reason
    )
    if level is not None:
        RelationshipLevelChange.objects.create(
            customer=customer,
            from_level=None,
            to_level=level,
            changed_by=actor,
            changed_at=timezone.now(),
            reason=reason,
        )
    return customer


def _unknown_level(code: str):
    raise ValidationError({"relationship_level": [_("Unknown relationship level “%(code)s”.") % {"code": code}]})


@transaction.atomic
def transition_stage(*, actor, customer: Customer, to_stage: str, reason: str = "") -> StageChange:
    """Move a customer one step along the lifecycle; anything else is refused."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not (actor.username == "system" or can_act_for_owner(actor, customer.owner_id)):
        raise PermissionDenied(_("This customer is outside your scope."))
    if to_stage not in Stage.values:
        raise ValidationError({"stage": [_("Unknown stage “%(stage)s”.") % {"stage": to_stage}]})
    if (customer.stage, to_stage) not in STAGE_MOVES:
        raise ValidationError(
            {
                "stage": [
                    _("A %(from)s customer cannot move to %(to)s.")
                    % {"from": Stage(customer.stage).label, "to": Stage(to_stage).label}
                ]
            }
        )
    change = StageChange(
        customer=customer,
        from_stage=customer.stage,
        to_stage=to_stage,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason[:500],
    )
    change.full_clean()
    change.save()
    customer.stage = to_stage
    customer.save(update_fields=["stage", "updated_at"])
    return change


@transaction.atomic
def change_relationship_level(
    *, actor, customer: Customer, level_code: str, reason: str = ""
) -> RelationshipLevelChange:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not can_act_for_owner(actor, customer.owner_id):
        raise PermissionDenied(_("This customer is outside your scope."))
    level = RelationshipLevel.objects.filter(code=level_code).first() or _unknown_level(level_code)
    change = RelationshipLevelChange(
        customer=customer,
        from_level=customer.relationship_level,
        to_level=level,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason[:500],
    )
    change.full_clean()
    change.save()
    customer.relationship_level = level
    customer.save(update_fields=["relationship_level", "updated_at"])
    return change
