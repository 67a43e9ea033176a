"""Writes of the service app: complaints and their SLA, surveys, referrals, the points ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import can_act_for_owner, is_admin, is_manager
from customers.models import Customer, Order
from service.models import (
    SETTLED_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintStatus,
    LoyaltyAccount,
    Notification,
    PointsEntry,
    PointsEntryKind,
    PointsRule,
    Referral,
    Reward,
    SatisfactionIndicator,
    SatisfactionSurvey,
    Severity,
    SlaPolicy,
    SurveyScore,
    SurveyStatus,
)

logger = logging.getLogger(__name__)

# DESIGN §3: the complaint workflow, one step at a time; settled complaints may be reopened.
COMPLAINT_MOVES: dict[str, set[str]] = {
    ComplaintStatus.RECEIVED: {ComplaintStatus.ACKNOWLEDGED},
    ComplaintStatus.ACKNOWLEDGED: {ComplaintStatus.INVESTIGATING},
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.RESOLVED},
    ComplaintStatus.RESOLVED: {ComplaintStatus.VERIFIED, ComplaintStatus.REOPENED},
    ComplaintStatus.VERIFIED: {ComplaintStatus.CLOSED, ComplaintStatus.REOPENED},
    ComplaintStatus.CLOSED: {ComplaintStatus.REOPENED},
    ComplaintStatus.REOPENED: {ComplaintStatus.INVESTIGATING},
}

# Used when an admin deleted a severity's policy: the DESIGN defaults.
DEFAULT_SLA_HOURS = {Severity.CRITICAL: 4, Severity.HIGH: 24, Severity.MEDIUM: 72, Severity.LOW: 168}


def _require_customer_scope(actor, customer: Customer) -> None:
    if not can_act_for_owner(actor, customer.owner_id):
        raise PermissionDenied(_("This customer is outside your scope."))


def _require_manager(actor) -> None:
    if not (is_admin(actor) or is_manager(actor)):
        raise PermissionDenied(_("Only managers and administrators may do this."))


# --- complaints -------------------------------------------------------------------------------------


def sla_hours(*, severity: str) -> int:
    policy = SlaPolicy.objects.filter(severity=severity).first()
    return policy.resolution_hours if policy else DEFAULT_SLA_HOURS[Severity(severity)]


def compute_due_at(*, severity: str, start: datetime) -> datetime:
    """When a complaint of `severity` received (or reopened) at `start` must be resolved."""
    return start + timedelta(hours=sla_hours(severity=severity))


def _record_event(*, complaint: Complaint, kind: str, actor=None, note: str = "", from_status="", to_status=""):
    event = ComplaintEvent(
        complaint=complaint,
        kind=kind,
        actor=actor,
        note=note[:2000],
        from_status=from_status,
        to_status=to_status,
        at=timezone.now(),
    )
    event.full_clean()
    event.save()
    return event


def _check_choice(field: str, value: str, choices) -> None:
    if value not in choices.values:
        raise ValidationError({field: [_("“%(value)s” is not a valid choice.") % {"value": value}]})


@transaction.atomic
def open_complaint(
    *,
    actor,
    customer: Customer,
    category: str,
    description: str,
    severity: str = Severity.MEDIUM,
    channel: str = ComplaintChannel.PHONE,
    owner=None,
    root_cause: str = "",
    corrective_action: str = "",
    preventive_action: str = "",
    received_at: datetime | None = None,
) -> Complaint:
    """Record a complaint; `due_at` comes from the SLA policy of its severity, never from the caller."""
    _require_customer_scope(actor, customer)
    _check_choice("category", category, ComplaintCategory)
    _check_choice("severity", severity, Severity)
    _check_choice("channel", channel, ComplaintChannel)
    owner = owner or customer.owner
    if not can_act_for_owner(actor, owner):
        raise ValidationError({"owner": [_("This user is outside your scope.")]})
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise ValidationError({"received_at": [_("A complaint cannot be received in the future.")]})
    complaint = Complaint(
        customer=customer,
        category=category,
        severity=severity,
        channel=channel,
        description=description,
        owner=owner,
        root_cause=root_cause,
        corrective_action=corrective_action,
        preventive_action=preventive_action,
        received_at=received_at,
        due_at=compute_due_at(severity=severity, start=received_at),
        created_by=actor,
    )
    complaint.full_clean()
    complaint.save()
    _record_event(complaint=complaint, kind=ComplaintEventKind.OPENED, actor=actor, to_status=complaint.status)
    return complaint


COMPLAINT_EDITABLE = ("category", "severity", "description", "channel", "owner", "root_cause", "corrective_action",
                      "preventive_action")  # fmt: skip


@transaction.atomic
def update_complaint(*, actor, complaint: Complaint, note: str = "", **fields) -> Complaint:
    """Edit the analysis (root cause, corrective and preventive action) and the classification.

    A new severity recomputes `due_at` from when the complaint was received."""
    complaint = Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    _require_customer_scope(actor, complaint.customer)
    unknown = set(fields) - set(COMPLAINT_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    for name, choices in (("category", ComplaintCategory), ("severity", Severity), ("channel", ComplaintChannel)):
        if name in fields:
            _check_choice(name, fields[name], choices)
    if "owner" in fields and not can_act_for_owner(actor, fields["owner"]):
        raise ValidationError({"owner": [_("This user is outside your scope.")]})
    changed = [name for name in fields if getattr(complaint, name) != fields[name]]
    if not changed:
        return complaint
    for name in changed:
        setattr(complaint, name, fields[name])
    if "severity" in changed and not complaint.is_settled:
        start = complaint.received_at
        reopened = complaint.events.filter(to_status=ComplaintStatus.REOPENED).order_by("-at").first()
        if reopened:
            start = reopened.at
        complaint.due_at = compute_due_at(severity=complaint.severity, start=start)
        changed.append("due_at")
    complaint.full_clean()
    complaint.save(update_fields=[*changed, "updated_at"])
    labels = ", ".join(str(Complaint._meta.get_field(name).verbose_name) for name in changed if name != "due_at")
    _record_event(
        complaint=complaint,
        kind=ComplaintEventKind.UPDATED,
        actor=actor,
        note=(_("Changed: %(fields)s.") % {"fields": labels}) + (f" {note}" if note else ""),
    )
    return complaint


@transaction.atomic
def advance_complaint(*, actor, complaint: Complaint, status: str, note: str = "") -> Complaint:
    """Move a complaint one step along the workflow (DESIGN §3); any other move is a ValidationError."""
    complaint = Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    _require_customer_scope(actor, complaint.customer)
    _check_choice("status", status, ComplaintStatus)
    if status not in COMPLAINT_MOVES[ComplaintStatus(complaint.status)]:
        raise ValidationError(
            {
                "status": [
                    _("A %(from)s complaint cannot move to %(to)s.")
                    % {"from": complaint.get_status_display(), "to": ComplaintStatus(status).label}
                ]
            }
        )
    now = timezone.now()
    previous = complaint.status
    complaint.status = status
    fields = ["status", "updated_at"]
    if status == ComplaintStatus.RESOLVED:
        complaint.resolved_at = now
        fields.append("resolved_at")
    elif status == ComplaintStatus.CLOSED:
        complaint.closed_at = now
        fields.append("closed_at")
    elif status == ComplaintStatus.REOPENED:
        # A reopened complaint gets a fresh SLA clock and may be escalated again.
        complaint.due_at = compute_due_at(severity=complaint.severity, start=now)
        complaint.resolved_at = None
        complaint.closed_at = None
        complaint.escalated_at = None
        fields += ["due_at", "resolved_at", "closed_at", "escalated_at"]
    complaint.full_clean()
    complaint.save(update_fields=fields)
    _record_event(
        complaint=complaint,
        kind=ComplaintEventKind.STATUS_CHANGED,
        actor=actor,
        note=note,
        from_status=previous,
        to_status=status,
    )
    if status == ComplaintStatus.RESOLVED:
        request_survey(actor=actor, customer=complaint.customer, complaint=complaint)
    return complaint


def _escalation_recipients(complaint: Complaint, administrators: list) -> list:
    """The customer owner's team manager; without one, the active administrators."""
    owner = complaint.customer.owner
    manager = owner.team.manager if owner.team_id and owner.team.manager_id else None
    if manager is not None and manager.is_active:
        return [manager]
    return administrators


@dataclass
class EscalationResult:
    escalated: list[int]
    notified: int
    emailed: int


ESCALATION_BATCH = 500


def _escalate_batch(*, now: datetime, administrators: list) -> tuple[list[int], list[EmailMessage], int]:
    """Claim up to ESCALATION_BATCH overdue complaints and write their events and notifications, set-based.

    The rows are locked (SKIP LOCKED: a concurrent run takes other rows or none) and re-checked under the lock,
    so a complaint is claimed by exactly one run."""
    with transaction.atomic():
        complaints = list(
            Complaint.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due_at__lt=now, escalated_at__isnull=True)
            .exclude(status__in=SETTLED_STATUSES)
            .select_related("customer__owner__team__manager")
            .order_by("due_at", "pk")[:ESCALATION_BATCH]
        )
        if not complaints:
            return [], [], 0
        ids = [c.pk for c in complaints]
        Complaint.objects.filter(pk__in=ids, escalated_at__isnull=True).update(escalated_at=now)
        events, notifications, emails = [], [], []
        for complaint in complaints:
            recipients = _escalation_recipients(complaint, administrators)
            events.append(
                ComplaintEvent(
                    complaint=complaint,
                    kind=ComplaintEventKind.ESCALATED,
                    note=_("Overdue since %(due)s; escalated to %(names)s.")
                    % {
                        "due": timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"),
                        "names": ", ".join(str(r) for r in recipients) or "—",
                    },
                    at=now,
                )
            )
            link = reverse("service:complaint-detail", args=[complaint.pk])
            message = _("Complaint #%(id)s from %(customer)s (%(severity)s) is overdue.") % {
                "id": complaint.pk,
                "customer": complaint.customer.name,
                "severity": complaint.get_severity_display(),
            }
            for recipient in recipients:
                notifications.append(
                    Notification(recipient=recipient, complaint=complaint, message=message[:500], link=link)
                )
                if recipient.email:
                    body = "\n\n".join([message, complaint.description[:1000], link])
                    emails.append(EmailMessage(subject=message, body=body, to=[recipient.email]))
        ComplaintEvent.objects.bulk_create(events)
        Notification.objects.bulk_create(notifications)
    return ids, emails, len(notifications)


def escalate_overdue(*, now: datetime | None = None) -> EscalationResult:
    """Escalate every open complaint past its due time that has not been escalated yet (DESIGN §3).

    Running it twice, or in two workers at once, escalates a complaint once. Emails go out after each batch
    commits, over one connection; a failed email leaves the in-app notification in place and is logged."""
    now = now or timezone.now()
    administrators = list(get_user_model().objects.filter(is_active=True, role="admin").order_by("pk"))
    result = EscalationResult(escalated=[], notified=0, emailed=0)
    while True:
        ids, emails, notified = _escalate_batch(now=now, administrators=administrators)
        result.escalated += ids
        result.notified += notified
        if emails:
            try:
                result.emailed += get_connection().send_messages(emails) or 0
            except Exception:  # noqa: BLE001 - the in-app notifications already stand; log and go on
                logger.exception("escalation emails failed (%s messages)", len(emails))
        if len(ids) < ESCALATION_BATCH:
            return result


# --- notifications ---------------------------------------------------------------------------------


@transaction.atomic
def mark_notification_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# --- satisfaction -----------------------------------------------------------------------------------


@transaction.atomic
def request_survey(*, actor, customer: Customer, complaint: Complaint | None = None) -> SatisfactionSurvey:
    """Ask the customer for a satisfaction survey (after a resolved complaint); one open request per complaint."""
    _require_customer_scope(actor, customer)
    if complaint is not None:
        pending = complaint.surveys.filter(status=SurveyStatus.REQUESTED).first()
        if pending:
            return pending
    survey = SatisfactionSurvey(customer=customer, complaint=complaint, rep=customer.owner, requested_at=timezone.now())
    survey.full_clean()
    survey.save()
    if complaint is not None:
        Notification.objects.create(
            recipient=customer.owner,
            complaint=complaint,
            message=(_("A satisfaction survey is requested from %(customer)s.") % {"customer": customer.name})[:500],
            link=reverse("service:survey-entry", args=[survey.pk]),
        )
    return survey


def _validate_score(field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({field: [_("A score is a whole number from 1 to 5.")]})
    return value


@transaction.atomic
def record_survey(
    *,
    actor,
    customer: Customer | None = None,
    survey: SatisfactionSurvey | None = None,
    overall_score: int,
    scores: dict[int, int] | None = None,
    comment: str = "",
) -> SatisfactionSurvey:
    """Record the customer's answers: an overall score and a 1–5 score per indicator (keyed by indicator id).

    Completes a requested survey when given one, else records a new one for `customer`."""
    if survey is not None:
        survey = SatisfactionSurvey.objects.select_for_update().select_related("customer").get(pk=survey.pk)
        customer = survey.customer
        if survey.status == SurveyStatus.COMPLETED:
            raise ValidationError({"survey": [_("This survey has already been completed.")]})
    if customer is None:
        raise ValidationError({"customer": [_("This field is required.")]})
    _require_customer_scope(actor, customer)
    errors: dict[str, list[str]] = {}
    try:
        _validate_score("overall_score", overall_score)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    scores = scores or {}
    indicators = SatisfactionIndicator.objects.in_bulk([int(k) for k in scores if str(k).isdigit()])
    bad_scores = []
    for key, value in scores.items():
        indicator = indicators.get(int(key)) if str(key).isdigit() else None
        if indicator is None or not indicator.active:
            bad_scores.append(_("Unknown indicator %(id)s.") % {"id": key})
            continue
        try:
            _validate_score("scores", value)
        except ValidationError:
            bad_scores.append(
                _("%(indicator)s: a score is a whole number from 1 to 5.") % {"indicator": indicator.name}
            )
    if bad_scores:
        errors["scores"] = bad_scores
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if survey is None:
        survey = SatisfactionSurvey(customer=customer, rep=customer.owner, requested_at=now)
    survey.status = SurveyStatus.COMPLETED
    survey.completed_at = now
    survey.overall_score = overall_score
    survey.comment = comment
    survey.recorded_by = actor
    survey.full_clean()
    survey.save()
    SurveyScore.objects.bulk_create(
        [SurveyScore(survey=survey, indicator=indicators[int(k)], score=v) for k, v in scores.items()]
    )
    return survey


# --- referrals --------------------------------------------------------------------------------------


@transaction.atomic
def record_referral(
    *, actor, referrer: Customer, referred: Customer | None = None, referred_name: str = "", note: str = ""
) -> Referral:
    """Record that `referrer` introduced someone: an existing customer, or a name not yet in the CRM."""
    _require_customer_scope(actor, referrer)
    if referred is not None:
        if referred.pk == referrer.pk:
            raise ValidationError({"referred": [_("A customer cannot refer itself.")]})
        if Referral.objects.filter(referrer=referrer, referred=referred).exists():
            raise ValidationError({"referred": [_("This referral is already recorded.")]})
        referred_name = referred_name or referred.name
    if not referred_name.strip():
        raise ValidationError({"referred_name": [_("Name the referred customer.")]})
    referral = Referral(referrer=referrer, referred=referred, referred_name=referred_name, note=note, created_by=actor)
    referral.full_clean()
    referral.save()
    return referral


@transaction.atomic
def convert_referral(*, actor, referral: Referral, referred: Customer | None = None) -> Referral:
    """Mark a referral converted: the referred party became a customer who buys."""
    referral = Referral.objects.select_for_update().select_related("referrer").get(pk=referral.pk)
    _require_customer_scope(actor, referral.referrer)
    if referral.converted:
        return referral
    if referred is not None:
        if referred.pk == referral.referrer_id:
            raise ValidationError({"referred": [_("A customer cannot refer itself.")]})
        referral.referred = referred
    referral.converted = True
    referral.converted_at = timezone.now()
    referral.full_clean()
    referral.save(update_fields=["referred", "converted", "converted_at"])
    return referral


# --- lifetime club: points ---------------------------------------------------------------------------


@transaction.atomic
def enroll(*, actor, customer: Customer, enrolled_at: datetime | None = None) -> tuple[LoyaltyAccount, bool]:
    """Enrol a customer in the lifetime customer club; enrolling twice returns the existing account.

    `enrolled_at` (not in the future) records a membership that started earlier, e.g. when importing one."""
    _require_customer_scope(actor, customer)
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    if account:
        return account, False
    now = timezone.now()
    enrolled_at = enrolled_at or now
    if enrolled_at > now:
        raise ValidationError({"enrolled_at": [_("Membership cannot start in the future.")]})
    account = LoyaltyAccount(customer=customer, enrolled_at=enrolled_at, enrolled_by=actor)
    account.full_clean()
    account.save()
    return account, True


def _locked_account(account: LoyaltyAccount) -> LoyaltyAccount:
    # The row lock serialises every change of one account's balance (concurrent redemptions included).
    return LoyaltyAccount.objects.select_for_update().get(pk=account.pk)


def _post_entry(*, account: LoyaltyAccount, kind: str, points: int, actor, reason: str, **links) -> PointsEntry:
    new_balance = account.balance + points
    if new_balance < 0:
        raise ValidationError({"points": [_("Only %(balance)s points are available.") % {"balance": account.balance}]})
    entry = PointsEntry(
        account=account,
        kind=kind,
        points=points,
        balance_after=new_balance,
        reason=reason[:500],
        created_by=actor,
        created_at=timezone.now(),
        **links,
    )
    entry.full_clean()
    entry.save()
    account.balance = new_balance
    account.save(update_fields=["balance"])
    return entry


def active_points_rule() -> PointsRule | None:
    return PointsRule.objects.filter(active=True).order_by("-created_at", "-id").first()


def points_for_amount(*, rule: PointsRule, amount: Decimal) -> int:
    if amount < rule.minimum_order_amount:
        return 0
    return int((amount * rule.points_per_unit).to_integral_value(rounding=ROUND_FLOOR))


@transaction.atomic
def award_points(*, actor, order: Order) -> PointsEntry | None:
    """Points an order earns under the active rule, once per order; None when it earns none.

    The customer must be a club member; orders before enrolment earn nothing."""
    account = LoyaltyAccount.objects.filter(customer_id=order.customer_id).first()
    if account is None or order.ordered_at < account.enrolled_at:
        return None
    account = _locked_account(account)
    existing = PointsEntry.objects.filter(order=order).first()
    if existing:
        return existing
    rule = active_points_rule()
    if rule is None:
        return None
    points = points_for_amount(rule=rule, amount=order.amount)
    if points <= 0:
        return None
    reason = _("Order %(ref)s of %(amount)s") % {"ref": order.external_ref or f"#{order.pk}", "amount": order.amount}
    return _post_entry(
        account=account, kind=PointsEntryKind.EARNED, points=points, actor=actor, reason=reason, order=order, rule=rule
    )


def award_pending_order_points(*, actor, limit: int = 5000) -> int:
    """Award points for club members' orders that have none yet (the periodic sweep); returns entries made."""
    orders = (
        Order.objects.filter(
            customer__loyalty_account__isnull=False,
            ordered_at__gte=F("customer__loyalty_account__enrolled_at"),
            points_entry__isnull=True,
        )
        .order_by("ordered_at", "pk")
        .only("pk", "customer_id", "ordered_at", "amount", "external_ref")[:limit]
    )
    made = 0
    for order in orders:
        if award_points(actor=actor, order=order) is not None:
            made += 1
    return made


@transaction.atomic
def adjust_points(*, actor, account: LoyaltyAccount, points: int, reason: str) -> PointsEntry:
    """A manual correction (managers and admins), with a mandatory reason; never below zero."""
    _require_manager(actor)
    account = _locked_account(account)
    _require_customer_scope(actor, account.customer)
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise ValidationError({"points": [_("Give a whole, non-zero number of points.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the points are adjusted.")]})
    return _post_entry(account=account, kind=PointsEntryKind.ADJUSTED, points=points, actor=actor, reason=reason)


@transaction.atomic
def redeem(*, actor, account: LoyaltyAccount, reward: Reward, quantity: int = 1, reason: str = "") -> PointsEntry:
    """Exchange points for a reward; refused when the balance (or the stock) does not cover it."""
    account = _locked_account(account)
    _require_customer_scope(actor, account.customer)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationError({"quantity": [_("Give a whole number of at least 1.")]})
    reward = Reward.objects.select_for_update().get(pk=reward.pk)
    if not reward.active:
        raise ValidationError({"reward": [_("This reward is no longer offered.")]})
    if reward.stock is not None:
        if reward.stock < quantity:
            raise ValidationError({"quantity": [_("Only %(stock)s left in stock.") % {"stock": reward.stock}]})
        reward.stock -= quantity
        reward.save(update_fields=["stock"])
    cost = reward.points_cost * quantity
    return _post_entry(
        account=account,
        kind=PointsEntryKind.REDEEMED,
        points=-cost,
        actor=actor,
        reason=reason or _("Redeemed %(quantity)s × %(reward)s") % {"quantity": quantity, "reward": reward.name},
        reward=reward,
        quantity=quantity,
    )
