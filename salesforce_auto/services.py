"""Field-sales writes (visits side): visit reports (idempotent), plans, appointments, survey answers, daily reports
and weekly summaries. One transaction per use case."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Role, Team
from customers.models import CompetitorBrand, Customer, Stage, StageChange
from customers.selectors.customer import visible_customers
from customers.services.customer import create_customer
from salesforce_auto import selectors
from salesforce_auto.models import (
    Appointment,
    BuyingSignal,
    DailyReport,
    DailyReportStatus,
    SurveyAnswer,
    SurveyQuestion,
    VisitPlan,
    VisitReport,
    WeeklySummary,
)

READY_TO_CLOSE_SIGNALS = 2
COMPETITOR_NOTES_LIMIT = 50
EDITABLE_VISIT_FIELDS = [
    "visited_at",
    "method",
    "findings_market",
    "findings_channel",
    "findings_competitor",
    "findings_consumer",
    "outcome",
    "failure_reason",
    "buying_signals",
    "step_reached",
    "next_step",
    "next_visit_on",
    "latitude",
    "longitude",
    "intends_to_rebuy",
]


@dataclass(frozen=True)
class NewCustomerInput:
    """A potential customer met on the street, created together with its first visit."""

    name: str
    city: str = ""
    address: str = ""
    phone: str = ""
    industry: str = ""


@dataclass
class VisitInput:
    client_uuid: uuid.UUID
    visited_at: dt.datetime
    customer: Customer | None = None
    new_customer: NewCustomerInput | None = None
    method: str = "visit"
    findings_market: str = ""
    findings_channel: str = ""
    findings_competitor: str = ""
    findings_consumer: str = ""
    outcome: str = ""
    failure_reason: str = ""
    buying_signals: list[str] = field(default_factory=list)
    step_reached: int | None = None
    next_step: str = ""
    next_visit_on: dt.date | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    intends_to_rebuy: bool = False
    competitor_brands: list[str] = field(default_factory=list)
    survey_answers: dict[int, str] = field(default_factory=dict)


# --- visit reports ----------------------------------------------------------------------------------


def _check_visited_at(visited_at: dt.datetime | None) -> None:
    if visited_at is None:
        raise ValidationError({"visited_at": [_("This field is required.")]})
    if timezone.is_naive(visited_at):
        raise ValidationError({"visited_at": [_("Give the time with its time zone.")]})
    if timezone.localtime(visited_at).date() > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationError({"visited_at": [_("A visit cannot be dated later than tomorrow.")]})


def _clean_signals(signals) -> list[str]:
    if signals is None:
        return []
    if not isinstance(signals, list | tuple):
        raise ValidationError({"buying_signals": [_("Give a list of buying signals.")]})
    unknown = [s for s in signals if s not in BuyingSignal.values]
    if unknown:
        raise ValidationError({"buying_signals": [_("Unknown buying signal “%(value)s”.") % {"value": unknown[0]}]})
    # Keep the order the rep ticked them in, without repeats.
    return list(dict.fromkeys(signals))


def _clean_brand_names(names) -> list[str]:
    cleaned = []
    for name in names or []:
        name = str(name).strip()
        if not name:
            continue
        if len(name) > 200:
            raise ValidationError({"competitor_brands": [_("A brand name has at most 200 characters.")]})
        cleaned.append(name)
    return list(dict.fromkeys(cleaned))


def _apply_to_customer(*, customer: Customer, signals: list[str], brand_names: list[str], report: VisitReport):
    """Two or more buying signals mark the customer ready to close; mentioned brands join its competitor list."""
    if len(signals) >= READY_TO_CLOSE_SIGNALS and not customer.ready_to_close:
        customer.ready_to_close = True
        customer.save(update_fields=["ready_to_close", "updated_at"])
    if brand_names:
        brands = [_brand(name) for name in brand_names]
        customer.brands_carried.add(*brands)
        report.brands_mentioned.add(*brands)


def _brand(name: str) -> CompetitorBrand:
    brand = CompetitorBrand.objects.filter(name__iexact=name).first()
    if brand is None:
        brand, _created = CompetitorBrand.objects.get_or_create(name=name)
    return brand


def _customer_for_visit(*, actor, data: VisitInput) -> tuple[Customer, bool]:
    if data.customer is not None and data.new_customer is not None:
        raise ValidationError({"new_customer": [_("Give either an existing customer or a new one, not both.")]})
    if data.new_customer is not None:
        if not data.new_customer.name.strip():
            raise ValidationError({"new_customer": [_("The new customer needs a name.")]})
        nc = data.new_customer
        customer = create_customer(
            actor=actor,
            name=nc.name.strip(),
            stage=Stage.POTENTIAL,
            city=nc.city,
            address=nc.address,
            phone=nc.phone,
            industry=nc.industry,
            reason=_("Met on a street visit"),
        )
        return customer, True
    if data.customer is None:
        raise ValidationError({"customer": [_("Choose a customer or enter a new one.")]})
    if not visible_customers(actor).filter(pk=data.customer.pk).exists():
        raise ValidationError({"customer": [_("Unknown customer.")]})
    return data.customer, False


def _create_visit(*, actor, data: VisitInput) -> VisitReport:
    _check_visited_at(data.visited_at)
    signals = _clean_signals(data.buying_signals)
    brand_names = _clean_brand_names(data.competitor_brands)
    customer, created_customer = _customer_for_visit(actor=actor, data=data)
    report = VisitReport(
        client_uuid=data.client_uuid,
        rep=actor,
        customer=customer,
        visited_at=data.visited_at,
        method=data.method,
        findings_market=data.findings_market,
        findings_channel=data.findings_channel,
        findings_competitor=data.findings_competitor,
        findings_consumer=data.findings_consumer,
        outcome=data.outcome,
        failure_reason=data.failure_reason or "",
        buying_signals=signals,
        step_reached=data.step_reached,
        next_step=data.next_step,
        next_visit_on=data.next_visit_on,
        latitude=data.latitude,
        longitude=data.longitude,
        intends_to_rebuy=data.intends_to_rebuy,
        created_customer=created_customer,
    )
    # Uniqueness of client_uuid is the database's job (a concurrent twin is caught as an IntegrityError); the rep
    # and the customer were checked above.
    report.full_clean(exclude=["rep", "customer"], validate_unique=False)
    report.save()
    _apply_to_customer(customer=customer, signals=signals, brand_names=brand_names, report=report)
    if data.survey_answers:
        record_survey_answers(
            actor=actor, customer=customer, answers=data.survey_answers, visit=report, answered_at=data.visited_at
        )
    return report


@transaction.atomic
def submit_visit(*, actor, data: VisitInput) -> tuple[VisitReport, bool]:
    """File a visit report, idempotently by client_uuid (DESIGN §3): the first submission wins; a repeat,
    whatever its body, gets the stored report back. Returns (report, created)."""
    if data.client_uuid is None:
        raise ValidationError({"client_uuid": [_("This field is required.")]})
    existing = VisitReport.objects.filter(client_uuid=data.client_uuid).first()
    if existing is None:
        try:
            with transaction.atomic():
                return _create_visit(actor=actor, data=data), True
        except IntegrityError:
            # A concurrent twin committed first; everything of this attempt (a new customer too) is undone.
            existing = VisitReport.objects.filter(client_uuid=data.client_uuid).first()
            if existing is None:
                raise
    if existing.rep_id != actor.pk and not selectors.visible_visits(actor).filter(pk=existing.pk).exists():
        raise ValidationError({"client_uuid": [_("This client_uuid belongs to another report.")]})
    return existing, False


@transaction.atomic
def update_visit(*, actor, report: VisitReport, changes: dict) -> VisitReport:
    """Edit a stored report (PATCH); client_uuid, rep and customer do not change."""
    report = selectors.visible_visits(actor).select_for_update(of=("self",)).filter(pk=report.pk).first()
    if report is None:
        raise ValidationError({"id": [_("Unknown visit report.")]})
    unknown = set(changes) - set(EDITABLE_VISIT_FIELDS) - {"competitor_brands"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if "visited_at" in changes:
        _check_visited_at(changes["visited_at"])
    if "buying_signals" in changes:
        changes["buying_signals"] = _clean_signals(changes["buying_signals"])
    brand_names = _clean_brand_names(changes.pop("competitor_brands", []))
    for name, value in changes.items():
        setattr(report, name, "" if value is None and name == "failure_reason" else value)
    report.full_clean(validate_unique=False)
    report.save(update_fields=[*changes, "updated_at"])
    _apply_to_customer(customer=report.customer, signals=report.buying_signals, brand_names=brand_names, report=report)
    return report


# --- survey form ------------------------------------------------------------------------------------


@transaction.atomic
def record_survey_answers(
    *,
    actor,
    customer: Customer,
    answers: dict[int, str],
    visit: VisitReport | None = None,
    answered_at: dt.datetime | None = None,
) -> list[SurveyAnswer]:
    """Add answers to a customer's survey form; the latest answer per question counts."""
    if not visible_customers(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("Unknown customer.")]})
    answered_at = answered_at or timezone.now()
    questions = SurveyQuestion.objects.in_bulk([int(q) for q in answers], field_name="pk")
    rows = []
    for question_id, text in answers.items():
        question = questions.get(int(question_id))
        if question is None or not question.active:
            raise ValidationError({"survey_answers": [_("Unknown survey question %(id)s.") % {"id": question_id}]})
        text = (text or "").strip()
        if not text:
            continue
        answer = SurveyAnswer(
            customer=customer,
            question=question,
            answer=text,
            visit=visit,
            answered_by=actor,
            answered_at=answered_at,
        )
        answer.full_clean()
        rows.append(answer)
    return SurveyAnswer.objects.bulk_create(rows)


# --- plans and appointments -------------------------------------------------------------------------


def _customer_in_scope(actor, customer: Customer | None) -> Customer:
    if customer is None or not visible_customers(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("Unknown customer.")]})
    return customer


@transaction.atomic
def create_visit_plan(*, actor, customer: Customer, planned_at: dt.datetime, **fields) -> VisitPlan:
    _customer_in_scope(actor, customer)
    plan = VisitPlan(rep=actor, customer=customer, planned_at=planned_at, **fields)
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def create_appointment(*, actor, customer: Customer, starts_at: dt.datetime, **fields) -> Appointment:
    _customer_in_scope(actor, customer)
    appointment = Appointment(rep=actor, customer=customer, starts_at=starts_at, **fields)
    appointment.full_clean()
    appointment.save()
    return appointment


# --- daily reports ----------------------------------------------------------------------------------


@transaction.atomic
def build_daily_report(*, rep, day: dt.date) -> DailyReport:
    """(Re)count a rep's visits of one local date into their daily report; the summary is kept."""
    counts = selectors.daily_counts(rep=rep, day=day)
    report, _created = DailyReport.objects.select_for_update().get_or_create(
        rep=rep, date=day, defaults={"built_at": timezone.now(), **counts}
    )
    if not _created:
        for name, value in counts.items():
            setattr(report, name, value)
        report.built_at = timezone.now()
        report.full_clean(validate_unique=False)
        report.save(update_fields=[*counts, "built_at"])
    return report


@transaction.atomic
def submit_daily_report(*, actor, day: dt.date, summary: str) -> DailyReport:
    """The rep sends the day's report, with their summary, to the manager (may be sent again to amend)."""
    if day > timezone.localdate():
        raise ValidationError({"date": [_("A daily report cannot be for a future date.")]})
    report = build_daily_report(rep=actor, day=day)
    report.summary = summary.strip()
    report.status = DailyReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.full_clean(validate_unique=False)
    report.save(update_fields=["summary", "status", "submitted_at"])
    return report


# --- weekly summaries -------------------------------------------------------------------------------


def previous_week_start(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7)


def _count_by(qs, key: str) -> dict:
    return {row[key]: row["n"] for row in qs.order_by().values(key).annotate(n=Count("id"))}


@transaction.atomic
def build_weekly_summary(*, team: Team, week_start: dt.date) -> WeeklySummary:
    """周总结表 of one team for the week starting on Monday `week_start` (local dates), per rep and in total."""
    if week_start.weekday() != 0:
        raise ValidationError({"week_start": [_("A week starts on a Monday.")]})
    start, _e = selectors.local_day_bounds(week_start)
    _s, end = selectors.local_day_bounds(week_start + dt.timedelta(days=6))
    members = list(team.members.filter(is_active=True).order_by("username"))
    member_ids = [m.pk for m in members]

    visits = VisitReport.objects.filter(rep_id__in=member_ids, visited_at__gte=start, visited_at__lt=end)
    created = StageChange.objects.filter(
        customer__owner_id__in=member_ids, changed_at__gte=start, changed_at__lt=end, from_stage=""
    )
    moves = StageChange.objects.filter(
        customer__owner_id__in=member_ids, changed_at__gte=start, changed_at__lt=end
    ).exclude(from_stage="")
    visit_counts = _count_by(visits, "rep_id")
    new_counts = _count_by(created.filter(to_stage=Stage.POTENTIAL), "customer__owner_id")
    move_counts = _count_by(moves, "customer__owner_id")
    submitted = _count_by(
        DailyReport.objects.filter(
            rep_id__in=member_ids,
            date__gte=week_start,
            date__lte=week_start + dt.timedelta(days=6),
            status=DailyReportStatus.SUBMITTED,
        ),
        "rep_id",
    )
    failures_by_rep: dict[int, dict[str, int]] = {}
    for row in visits.exclude(failure_reason="").order_by().values("rep_id", "failure_reason").annotate(n=Count("id")):
        failures_by_rep.setdefault(row["rep_id"], {})[row["failure_reason"]] = row["n"]
    team_failures = _count_by(visits.exclude(failure_reason=""), "failure_reason")

    through = VisitReport.brands_mentioned.through
    brand_counts = (
        through.objects.filter(visitreport__in=visits)
        .order_by()
        .values("competitorbrand__name")
        .annotate(n=Count("id"))
        .order_by("-n", "competitorbrand__name")
    )
    notes = [
        {
            "rep": str(v.rep),
            "customer": v.customer.name,
            "date": timezone.localtime(v.visited_at).date().isoformat(),
            "text": v.findings_competitor,
        }
        for v in visits.exclude(findings_competitor="")
        .select_related("rep", "customer")
        .order_by("-visited_at")[:COMPETITOR_NOTES_LIMIT]
    ]
    competitor_notes = [{"brand": b["competitorbrand__name"], "mentions": b["n"]} for b in brand_counts] + notes

    per_rep = [
        {
            "rep_id": m.pk,
            "rep": str(m),
            "visits": visit_counts.get(m.pk, 0),
            "new_potentials": new_counts.get(m.pk, 0),
            "stage_moves": move_counts.get(m.pk, 0),
            "daily_reports_submitted": submitted.get(m.pk, 0),
            "failure_reasons": failures_by_rep.get(m.pk, {}),
        }
        for m in members
        if m.role == Role.REP or visit_counts.get(m.pk)
    ]
    values = {
        "visit_count": sum(visit_counts.values()),
        "new_potential_count": sum(new_counts.values()),
        "stage_move_count": sum(move_counts.values()),
        "failure_reasons": team_failures,
        "competitor_notes": competitor_notes,
        "per_rep": per_rep,
        "built_at": timezone.now(),
    }
    summary, _created = WeeklySummary.objects.update_or_create(team=team, week_start=week_start, defaults=values)
    return summary


def build_weekly_summaries(*, week_start: dt.date | None = None) -> list[WeeklySummary]:
    """Every team's summary for a week (default: last week). Called by the Monday beat job and on demand."""
    week_start = week_start or previous_week_start()
    return [build_weekly_summary(team=team, week_start=week_start) for team in Team.objects.order_by("id")]
