"""Writes of the pipeline: opportunities (stages, won → order) and quotes (lines, internal cost, issuing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import can_act_for_owner
from customers.models import Customer, Order
from customers.services.orders import record_order
from salesforce_auto.models import STAGE_PROBABILITY, Opportunity, OpportunityStage, Quote, QuoteLine, QuoteStatus

CENT = Decimal("0.01")
CLOSED = (OpportunityStage.WON, OpportunityStage.LOST)
ORDER_SOURCE = "opportunity"


def _require_customer(actor, customer: Customer) -> None:
    if not can_act_for_owner(actor, customer.owner_id):
        raise ValidationError({"customer": [_("Unknown customer, or outside your scope.")]})


def _require_scope(actor, customer_owner_id: int) -> None:
    if not can_act_for_owner(actor, customer_owner_id):
        raise PermissionDenied(_("This record is outside your scope."))


def _check_owner(actor, owner, customer: Customer):
    if owner is None:
        return customer.owner
    if not can_act_for_owner(actor, owner):
        raise ValidationError({"owner": [_("This owner is outside your scope.")]})
    return owner


def _apply_stage(opportunity: Opportunity, stage: str, probability: int | None, lost_reason: str) -> None:
    if stage not in OpportunityStage.values:
        raise ValidationError({"stage": [_("Unknown stage “%(stage)s”.") % {"stage": stage}]})
    if stage == OpportunityStage.LOST and not lost_reason.strip():
        raise ValidationError({"lost_reason": [_("Say why the opportunity was lost.")]})
    if stage in CLOSED:
        probability = STAGE_PROBABILITY[stage]
        opportunity.closed_at = opportunity.closed_at or timezone.now()
    elif probability is None:
        probability = STAGE_PROBABILITY[stage] if stage != opportunity.stage else opportunity.probability
    opportunity.stage = stage
    opportunity.probability = probability
    opportunity.lost_reason = lost_reason.strip() if stage == OpportunityStage.LOST else ""


@transaction.atomic
def create_opportunity(
    *,
    actor,
    customer: Customer,
    title: str,
    amount: Decimal,
    expected_close_on: date,
    stage: str = OpportunityStage.PROSPECTING,
    probability: int | None = None,
    owner=None,
    lost_reason: str = "",
) -> Opportunity:
    _require_customer(actor, customer)
    opportunity = Opportunity(
        customer=customer,
        title=title,
        amount=amount,
        expected_close_on=expected_close_on,
        owner=_check_owner(actor, owner, customer),
        stage=OpportunityStage.PROSPECTING,
    )
    _apply_stage(opportunity, stage, probability, lost_reason)
    opportunity.full_clean()
    opportunity.save()
    return opportunity


@transaction.atomic
def update_opportunity(*, actor, opportunity: Opportunity, **fields) -> Opportunity:
    """Edit an opportunity; `stage`, `probability` and `lost_reason` move it (a closed one stays closed)."""
    opportunity = Opportunity.objects.select_for_update().select_related("customer").get(pk=opportunity.pk)
    _require_scope(actor, opportunity.customer.owner_id)
    allowed = {"title", "amount", "expected_close_on", "owner", "stage", "probability", "lost_reason"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if "owner" in fields:
        opportunity.owner = _check_owner(actor, fields["owner"], opportunity.customer)
    for name in ("title", "amount", "expected_close_on"):
        if name in fields:
            setattr(opportunity, name, fields[name])
    if {"stage", "probability", "lost_reason"} & set(fields):
        stage = fields.get("stage", opportunity.stage)
        if opportunity.stage in CLOSED and stage != opportunity.stage:
            raise ValidationError({"stage": [_("A closed opportunity cannot move; open a new one instead.")]})
        _apply_stage(
            opportunity,
            stage,
            fields.get("probability"),
            fields.get("lost_reason", opportunity.lost_reason),
        )
    opportunity.full_clean()
    opportunity.save()
    return opportunity


def move_opportunity(
    *, actor, opportunity: Opportunity, stage: str, lost_reason: str = "", probability: int | None = None
) -> Opportunity:
    fields = {"stage": stage, "lost_reason": lost_reason}
    if probability is not None:
        fields["probability"] = probability
    return update_opportunity(actor=actor, opportunity=opportunity, **fields)


@transaction.atomic
def create_order_from_opportunity(*, actor, opportunity: Opportunity, ordered_at: datetime | None = None) -> Order:
    """A won opportunity becomes its order in the ledger (source "opportunity", external_ref its id);
    doing it again returns the same order."""
    opportunity = Opportunity.objects.select_for_update().select_related("customer").get(pk=opportunity.pk)
    _require_scope(actor, opportunity.customer.owner_id)
    if opportunity.stage != OpportunityStage.WON:
        raise ValidationError({"stage": [_("Only a won opportunity can create its order.")]})
    if opportunity.order_id:
        return opportunity.order
    quote = opportunity.quotes.filter(status__in=[QuoteStatus.ACCEPTED, QuoteStatus.ISSUED]).order_by("-id").first()
    order, _created = record_order(
        actor=actor,
        data={
            "customer": opportunity.customer_id,
            "ordered_at": ordered_at or timezone.now(),
            "amount": opportunity.amount,
            "cost": quote.internal_cost if quote and quote.internal_cost is not None else Decimal("0.00"),
            "source": ORDER_SOURCE,
            "external_ref": str(opportunity.pk),
        },
    )
    opportunity.order = order
    opportunity.save(update_fields=["order", "updated_at"])
    return order


# --- quotes ---------------------------------------------------------------------------------------------


def _money(value, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError({field: [_("This field is required.")]})
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: [_("A number is required.")]}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: [_("Must not be negative.")]})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: [_("At most two decimal places.")]})
    return amount.quantize(CENT)


def _recompute(quote: Quote, lines: Iterable[QuoteLine]) -> None:
    """Total = Σ line amounts; margin = total − internal cost, once the cost is recorded."""
    quote.total = sum((line.amount for line in lines), Decimal("0.00"))
    if quote.internal_cost is None:
        quote.margin = quote.margin_rate = None
        return
    quote.margin = quote.total - quote.internal_cost
    quote.margin_rate = (quote.margin / quote.total).quantize(Decimal("0.0001")) if quote.total else None


def _replace_lines(quote: Quote, lines: list[Mapping]) -> list[QuoteLine]:
    built, errors = [], {}
    for position, raw in enumerate(lines):
        try:
            quantity = _money(raw.get("quantity"), "quantity")
            unit_price = _money(raw.get("unit_price"), "unit_price")
            line = QuoteLine(
                quote=quote,
                description=str(raw.get("description") or "").strip(),
                quantity=quantity,
                unit_price=unit_price,
                amount=(quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP),
                position=position,
            )
            line.full_clean(exclude=["quote"])
        except ValidationError as exc:
            errors[str(position)] = exc.message_dict
            continue
        built.append(line)
    if errors:
        raise ValidationError(
            {
                "lines": [
                    _("Line %(n)s: %(errors)s")
                    % {
                        "n": int(n) + 1,
                        "errors": "; ".join(f"{field}: {' '.join(messages)}" for field, messages in e.items()),
                    }
                    for n, e in errors.items()
                ]
            }
        )
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(built)
    return built


@transaction.atomic
def create_quote(
    *,
    actor,
    customer: Customer,
    title: str,
    opportunity: Opportunity | None = None,
    lines: list[Mapping] = (),
    internal_cost=None,
    valid_until: date | None = None,
    notes: str = "",
) -> Quote:
    _require_customer(actor, customer)
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise ValidationError({"opportunity": [_("The opportunity belongs to another customer.")]})
    quote = Quote(
        customer=customer,
        opportunity=opportunity,
        title=title,
        internal_cost=_money(internal_cost, "internal_cost", allow_none=True),
        valid_until=valid_until,
        notes=notes,
        created_by=actor,
    )
    quote.full_clean()
    quote.save()
    built = _replace_lines(quote, list(lines))
    _recompute(quote, built)
    quote.save(update_fields=["total", "margin", "margin_rate", "updated_at"])
    return quote


@transaction.atomic
def update_quote(*, actor, quote: Quote, lines: list[Mapping] | None = None, **fields) -> Quote:
    """Edit a draft quote: title, validity, notes, its lines (replaced as a whole) and its internal cost."""
    quote = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    _require_scope(actor, quote.customer.owner_id)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError({"status": [_("Only a draft quote can be edited.")]})
    allowed = {"title", "valid_until", "notes", "internal_cost"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    for name in ("title", "valid_until", "notes"):
        if name in fields:
            setattr(quote, name, fields[name])
    if "internal_cost" in fields:
        quote.internal_cost = _money(fields["internal_cost"], "internal_cost", allow_none=True)
    quote.full_clean()
    built = _replace_lines(quote, lines) if lines is not None else list(quote.lines.all())
    _recompute(quote, built)
    quote.save()
    return quote


def record_internal_cost(*, actor, quote: Quote, internal_cost) -> Quote:
    """Record the quote's internal cost (内部成本); the margin follows."""
    return update_quote(actor=actor, quote=quote, internal_cost=_money(internal_cost, "internal_cost"))


@transaction.atomic
def issue_quote(*, actor, quote: Quote) -> Quote:
    """Issue a draft quote. Refused until its internal cost is recorded and the margin computed (seed
    rule: no quoting before internal cost is accounted), and while it has no priced line."""
    quote = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    _require_scope(actor, quote.customer.owner_id)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError({"status": [_("Only a draft quote can be issued.")]})
    lines = list(quote.lines.all())
    if quote.internal_cost is None:
        raise ValidationError(
            {
                "internal_cost": [
                    _("Record the internal cost before issuing: no quoting before internal cost is accounted.")
                ]
            }
        )
    if not lines or not any(line.amount for line in lines):
        raise ValidationError({"lines": [_("Add at least one priced line before issuing.")]})
    _recompute(quote, lines)
    quote.status = QuoteStatus.ISSUED
    quote.issued_at = timezone.now()
    quote.full_clean()
    quote.save()
    return quote


@transaction.atomic
def close_quote(*, actor, quote: Quote, status: str) -> Quote:
    """Record the customer's answer to an issued quote: accepted or rejected."""
    quote = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    _require_scope(actor, quote.customer.owner_id)
    if status not in (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED):
        raise ValidationError({"status": [_("Choose accepted or rejected.")]})
    if quote.status != QuoteStatus.ISSUED:
        raise ValidationError({"status": [_("Only an issued quote can be accepted or rejected.")]})
    quote.status = status
    quote.save(update_fields=["status", "updated_at"])
    return quote
