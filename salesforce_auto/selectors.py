"""Field-sales reads (visits side), always scoped to the acting user through crm.access."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.access import is_admin, scope_by_owner
from crm.models import Team
from customers.models import Customer, Order, Stage
from customers.selectors.customer import visible_customers
from salesforce_auto.models import (
    Appointment,
    DailyReport,
    SurveyAnswer,
    SurveyQuestion,
    VisitPlan,
    VisitReport,
    WeeklySummary,
)

PAUSE_AFTER_CONTACTS = 12


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local date in TIME_ZONE, as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def local_today() -> dt.date:
    return timezone.localdate()


# --- visits ------------------------------------------------------------------------------------------


def visible_visits(user) -> QuerySet:
    """Visit reports follow their customer (DESIGN §4)."""
    qs = VisitReport.objects.select_related("customer", "rep").prefetch_related("brands_mentioned")
    return scope_by_owner(qs, user, owner_field="customer__owner")


def visit_by_client_uuid(*, user, client_uuid: uuid.UUID | str) -> VisitReport | None:
    """The stored report for a client_uuid if `user` filed it or may see it."""
    try:
        key = uuid.UUID(str(client_uuid))
    except ValueError:
        return None
    # The common case is a new report: answer it with one indexed lookup before the scoped read.
    if not VisitReport.objects.filter(client_uuid=key).exists():
        return None
    return visible_visits(user).filter(client_uuid=key).first()


def client_uuid_taken(*, client_uuid: uuid.UUID) -> bool:
    return VisitReport.objects.filter(client_uuid=client_uuid).exists()


def visits_of_local_date(*, rep, day: dt.date) -> QuerySet:
    start, end = local_day_bounds(day)
    return (
        VisitReport.objects.filter(rep=rep, visited_at__gte=start, visited_at__lt=end)
        .select_related("customer")
        .order_by("visited_at", "id")
    )


def daily_counts(*, rep, day: dt.date) -> dict:
    """The counts of a rep's daily report for one local date, aggregated in the database."""
    return visits_of_local_date(rep=rep, day=day).aggregate(
        visit_count=Count("id"),
        street_visit_count=Count("id", filter=Q(method="visit")),
        new_customer_count=Count("id", filter=Q(created_customer=True)),
        failure_count=Count("id", filter=~Q(failure_reason="")),
        ready_to_close_count=Count("customer", distinct=True, filter=Q(customer__ready_to_close=True)),
    )


def follow_ups_due(*, user, on: dt.date | None = None) -> QuerySet:
    """Each visible customer's latest visit whose next visit date has come, with no later visit."""
    on = on or local_today()
    later = VisitReport.objects.filter(customer=OuterRef("customer"), visited_at__gt=OuterRef("visited_at"))
    return (
        visible_visits(user)
        .filter(next_visit_on__isnull=False, next_visit_on__lte=on)
        .filter(~Exists(later))
        .order_by("next_visit_on", "id")
    )


# --- the 12-contact rule ----------------------------------------------------------------------------


def _contact_count_subquery():
    return Coalesce(
        Subquery(
            VisitReport.objects.filter(customer=OuterRef("pk"))
            .order_by()
            .values("customer")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def contact_count(*, customer: Customer) -> int:
    """Logged contacts (visit reports of any method: visits, calls, ...)."""
    return VisitReport.objects.filter(customer=customer).count()


def with_pause_flag(customers: QuerySet) -> QuerySet:
    """Annotate `contact_count` and `pause_suggested` (a target, ≥ 12 contacts, no order) in the database."""
    has_order = Exists(Order.objects.filter(customer=OuterRef("pk")))
    return customers.annotate(contact_count=_contact_count_subquery(), has_order=has_order).annotate(
        pause_suggested=Q(stage=Stage.TARGET, contact_count__gte=PAUSE_AFTER_CONTACTS, has_order=False)
    )


def pause_suggested(*, user) -> QuerySet:
    """Targets the user may see with ≥ 12 logged contacts and no order: time to pause and rethink."""
    return (
        with_pause_flag(visible_customers(user).filter(stage=Stage.TARGET))
        .filter(pause_suggested=True)
        .order_by("-contact_count", "id")
    )


def is_pause_suggested(*, customer: Customer) -> bool:
    return with_pause_flag(Customer.objects.filter(pk=customer.pk)).values_list("pause_suggested", flat=True)[0]


# --- survey form ------------------------------------------------------------------------------------


def active_questions() -> QuerySet:
    return SurveyQuestion.objects.filter(active=True).order_by("aspect", "position", "id")


def latest_answers(*, customer: Customer) -> QuerySet:
    """The latest answer per question for one customer (the one that counts)."""
    newer = SurveyAnswer.objects.filter(
        customer=OuterRef("customer"), question=OuterRef("question"), answered_at__gt=OuterRef("answered_at")
    )
    newer_same_time = SurveyAnswer.objects.filter(
        customer=OuterRef("customer"),
        question=OuterRef("question"),
        answered_at=OuterRef("answered_at"),
        id__gt=OuterRef("id"),
    )
    return (
        SurveyAnswer.objects.filter(customer=customer)
        .filter(~Exists(newer), ~Exists(newer_same_time))
        .select_related("question", "answered_by")
        .order_by("question__aspect", "question__position", "question_id")
    )


def with_survey_completeness(customers: QuerySet) -> QuerySet:
    """Annotate `survey_answered` (required questions answered) and `survey_required`; the completeness is
    answered / required (None when no question is required)."""
    required = SurveyQuestion.objects.filter(active=True, required=True)
    answered = Coalesce(
        Subquery(
            SurveyAnswer.objects.filter(customer=OuterRef("pk"), question__active=True, question__required=True)
            .exclude(answer="")
            .order_by()
            .values("customer")
            .annotate(n=Count("question", distinct=True))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )
    return customers.annotate(survey_answered=answered, survey_required=Value(required.count()))


def survey_completeness(*, customer: Customer) -> float | None:
    """Share of required questions answered, 0–1 (None when the form has no required question)."""
    row = with_survey_completeness(Customer.objects.filter(pk=customer.pk)).values(
        "survey_answered", "survey_required"
    )[0]
    if not row["survey_required"]:
        return None
    return row["survey_answered"] / row["survey_required"]


def my_customers(*, user) -> QuerySet:
    """The rep's list: visible customers with contact count, pause flag and survey completeness."""
    return with_survey_completeness(with_pause_flag(visible_customers(user))).order_by("name", "id")


# --- plans and appointments -------------------------------------------------------------------------


def visible_plans(user) -> QuerySet:
    return scope_by_owner(VisitPlan.objects.select_related("customer", "rep"), user, owner_field="customer__owner")


def visible_appointments(user) -> QuerySet:
    return scope_by_owner(Appointment.objects.select_related("customer", "rep"), user, owner_field="customer__owner")


def agenda(*, user, start: dt.date, days: int = 1) -> dict:
    """The user's own plans and appointments over `days` local dates starting at `start`."""
    begin, _end = local_day_bounds(start)
    _b, end = local_day_bounds(start + dt.timedelta(days=days - 1))
    return {
        "plans": list(visible_plans(user).filter(rep=user, planned_at__gte=begin, planned_at__lt=end)),
        "appointments": list(visible_appointments(user).filter(rep=user, starts_at__gte=begin, starts_at__lt=end)),
    }


# --- daily reports and weekly summaries -------------------------------------------------------------


def visible_daily_reports(user) -> QuerySet:
    return scope_by_owner(DailyReport.objects.select_related("rep"), user, owner_field="rep")


def visible_teams(user) -> QuerySet:
    if is_admin(user):
        return Team.objects.all()
    if user.is_authenticated and user.role == "manager":
        return Team.objects.filter(manager=user)
    return Team.objects.none()


def visible_weekly_summaries(user) -> QuerySet:
    return WeeklySummary.objects.filter(team__in=visible_teams(user)).select_related("team")


def team_daily_reports(*, user, since: dt.date) -> QuerySet:
    """Daily reports of the people a manager sees (an admin: everyone), newest first."""
    return visible_daily_reports(user).filter(date__gte=since).order_by("-date", F("rep__username"))
