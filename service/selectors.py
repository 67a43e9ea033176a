"""Reads of the service app, scoped to the acting user; roll-ups computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Round, TruncMonth
from django.utils import timezone

from crm.access import scope_by_owner
from customers.models import Customer, Order
from customers.selectors.customer import visible_customers
from salesforce_auto.models import VisitReport
from segmentation.selectors import is_loyal, live_assignments
from service.models import (
    SETTLED_STATUSES,
    Complaint,
    ComplaintEvent,
    IndicatorClass,
    LoyaltyAccount,
    LoyaltyLevel,
    Notification,
    PointsEntry,
    Referral,
    Reward,
    SatisfactionIndicator,
    SatisfactionSurvey,
    SlaPolicy,
    SlaState,
    SurveyScore,
    SurveyStatus,
)

# "Due soon" once less than this share of the severity's SLA time is left.
DUE_SOON_SHARE = 0.25


# --- complaints -------------------------------------------------------------------------------------


def _due_soon_windows() -> dict[str, timedelta]:
    from service.services import DEFAULT_SLA_HOURS

    hours = {str(k): v for k, v in DEFAULT_SLA_HOURS.items()}
    hours.update(dict(SlaPolicy.objects.values_list("severity", "resolution_hours")))
    return {severity: timedelta(hours=h * DUE_SOON_SHARE) for severity, h in hours.items()}


def with_sla_state(queryset: QuerySet, *, now: datetime | None = None) -> QuerySet:
    """Annotate `sla_state`: met/breached once settled, else overdue, due soon or on track."""
    now = now or timezone.now()
    due_soon = [
        When(severity=severity, due_at__lt=now + window, then=Value(SlaState.DUE_SOON))
        for severity, window in _due_soon_windows().items()
    ]
    return queryset.annotate(
        sla_state=Case(
            When(status__in=SETTLED_STATUSES, resolved_at__lte=F("due_at"), then=Value(SlaState.MET)),
            When(status__in=SETTLED_STATUSES, then=Value(SlaState.BREACHED)),
            When(due_at__lt=now, then=Value(SlaState.OVERDUE)),
            *due_soon,
            default=Value(SlaState.ON_TRACK),
            output_field=CharField(),
        )
    )


def visible_complaints(user, *, now: datetime | None = None) -> QuerySet:
    """Complaints follow their customer (DESIGN §4), annotated with their SLA state."""
    qs = Complaint.objects.select_related("customer", "owner")
    return with_sla_state(scope_by_owner(qs, user, owner_field="customer__owner"), now=now)


def complaint_timeline(*, complaint: Complaint) -> QuerySet:
    return ComplaintEvent.objects.filter(complaint=complaint).select_related("actor").order_by("at", "id")


def sla_policies() -> QuerySet:
    return SlaPolicy.objects.order_by("resolution_hours")


def notifications_for(user) -> QuerySet:
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related("complaint")


# --- satisfaction -----------------------------------------------------------------------------------


def active_indicators() -> QuerySet:
    return (
        SatisfactionIndicator.objects.filter(active=True)
        .select_related("indicator_class")
        .order_by("indicator_class__rank", "indicator_class_id", "rank", "id")
    )


def indicator_classes_with_indicators() -> QuerySet:
    return IndicatorClass.objects.prefetch_related(
        Prefetch("indicators", queryset=SatisfactionIndicator.objects.filter(active=True).order_by("rank", "id"))
    ).order_by("rank", "id")


def visible_surveys(user) -> QuerySet:
    qs = SatisfactionSurvey.objects.select_related("customer", "rep", "complaint")
    return scope_by_owner(qs, user, owner_field="customer__owner")


ROLLUP_DIMENSIONS = ("customer", "rep", "team", "month")


def _rollup_keys(by: str, prefix: str = "") -> dict:
    if by == "customer":
        return {"key": F(f"{prefix}customer_id"), "label": F(f"{prefix}customer__name")}
    if by == "rep":
        return {"key": F(f"{prefix}rep_id"), "label": F(f"{prefix}rep__username")}
    if by == "team":
        return {"key": F(f"{prefix}rep__team_id"), "label": F(f"{prefix}rep__team__name")}
    if by == "month":
        month = TruncMonth(f"{prefix}completed_at", tzinfo=timezone.get_current_timezone())
        return {"key": month, "label": month}
    raise ValueError(f"unknown roll-up dimension {by!r}")


def _average(expression: str):
    return Round(Avg(expression), 2, output_field=DecimalField(max_digits=5, decimal_places=2))


def survey_rollup(
    *, user, by: str, completed_after: datetime | None = None, completed_before: datetime | None = None
) -> QuerySet:
    """Completed surveys grouped per customer, rep, team or month: count, average overall score, and how many
    scored 4–5 (satisfied) or 1–2 (dissatisfied). One GROUP BY in the database."""
    qs = visible_surveys(user).filter(status=SurveyStatus.COMPLETED)
    if completed_after:
        qs = qs.filter(completed_at__gte=completed_after)
    if completed_before:
        qs = qs.filter(completed_at__lt=completed_before)
    return (
        qs.order_by()
        .values(**_rollup_keys(by))
        .annotate(
            surveys=Count("id"),
            average_overall=_average("overall_score"),
            satisfied=Count("id", filter=Q(overall_score__gte=4)),
            dissatisfied=Count("id", filter=Q(overall_score__lte=2)),
        )
        .order_by("key")
    )


def indicator_class_rollup(*, user, by: str) -> QuerySet:
    """Average indicator score per indicator class within each group (customer, rep, team or month)."""
    surveys = visible_surveys(user).filter(status=SurveyStatus.COMPLETED)
    return (
        SurveyScore.objects.filter(survey__in=surveys.values("pk"))
        .order_by()
        .values(
            **_rollup_keys(by, prefix="survey__"),
            indicator_class=F("indicator__indicator_class__code"),
            indicator_class_name=F("indicator__indicator_class__name"),
        )
        .annotate(scores=Count("id"), average=_average("score"))
        .order_by("key", "indicator_class")
    )


# --- loyalty ----------------------------------------------------------------------------------------


def _latest_overall_score():
    return Subquery(
        SatisfactionSurvey.objects.filter(customer=OuterRef("pk"), status=SurveyStatus.COMPLETED)
        .order_by("-completed_at", "-id")
        .values("overall_score")[:1]
    )


def _level_signals(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        has_referred=Exists(Referral.objects.filter(referrer=OuterRef("pk"))),
        intends_to_rebuy=Exists(VisitReport.objects.filter(customer=OuterRef("pk"), intends_to_rebuy=True)),
        latest_overall_score=_latest_overall_score(),
        has_order=Exists(Order.objects.filter(customer=OuterRef("pk"))),
    )


def _decide_level(*, loyal: bool, has_referred: bool, intends_to_rebuy: bool, latest_score, has_order: bool) -> str:
    if loyal:
        return LoyaltyLevel.BEHAVIOURAL
    if has_referred or intends_to_rebuy:
        return LoyaltyLevel.CONATIVE
    if latest_score is not None and latest_score >= 4:
        return LoyaltyLevel.AFFECTIVE
    if has_order:
        return LoyaltyLevel.COGNITIVE
    return LoyaltyLevel.NONE


def loyalty_level(*, customer_id: int) -> str:
    """DESIGN §3: behavioural (the live run's `loyal`), conative (referred someone or stated an intent to rebuy),
    affective (latest overall satisfaction ≥ 4), cognitive (any order), else none."""
    row = _level_signals(Customer.objects.filter(pk=customer_id)).values(
        "has_referred", "intends_to_rebuy", "latest_overall_score", "has_order"
    )
    signals = row.first()
    if signals is None:
        return LoyaltyLevel.NONE
    return _decide_level(
        loyal=is_loyal(customer_id=customer_id),
        has_referred=signals["has_referred"],
        intends_to_rebuy=signals["intends_to_rebuy"],
        latest_score=signals["latest_overall_score"],
        has_order=signals["has_order"],
    )


def loyalty_levels(*, customer_ids) -> dict[int, str]:
    """Loyalty levels for many customers in three queries (the live run's id, its assignments of these customers,
    one annotated customer query)."""
    ids = list(customer_ids)
    live = live_assignments(customer_ids=ids)
    rows = _level_signals(Customer.objects.filter(pk__in=ids)).values(
        "pk", "has_referred", "intends_to_rebuy", "latest_overall_score", "has_order"
    )
    return {
        row["pk"]: _decide_level(
            loyal=bool(live.get(row["pk"]) and live[row["pk"]].loyal),
            has_referred=row["has_referred"],
            intends_to_rebuy=row["intends_to_rebuy"],
            latest_score=row["latest_overall_score"],
            has_order=row["has_order"],
        )
        for row in rows
    }


def visible_referrals(user) -> QuerySet:
    qs = Referral.objects.select_related("referrer", "referred", "created_by")
    return scope_by_owner(qs, user, owner_field="referrer__owner")


def advocates(user) -> QuerySet:
    """Customers who brought us at least one converted referral, most converted first."""
    return (
        visible_customers(user)
        .annotate(
            referral_count=Count("referrals_made", distinct=True),
            converted_referrals=Count("referrals_made", filter=Q(referrals_made__converted=True), distinct=True),
        )
        .filter(converted_referrals__gte=1)
        .order_by("-converted_referrals", "name", "pk")
    )


def loyalty_overview(user, *, advocates_only: bool = False) -> QuerySet:
    """Visible customers with their club balance (None when not a member) and whether they are advocates.
    Loyalty levels for a page of them come from `loyalty_levels` (two more queries)."""
    qs = visible_customers(user).annotate(
        is_advocate=Exists(Referral.objects.filter(referrer=OuterRef("pk"), converted=True)),
        points_balance=Subquery(LoyaltyAccount.objects.filter(customer=OuterRef("pk")).values("balance")[:1]),
    )
    if advocates_only:
        qs = qs.filter(is_advocate=True)
    return qs.order_by("name", "pk")


def visible_accounts(user) -> QuerySet:
    qs = LoyaltyAccount.objects.select_related("customer", "customer__owner")
    return scope_by_owner(qs, user, owner_field="customer__owner")


def visible_points_entries(user) -> QuerySet:
    qs = PointsEntry.objects.select_related("account__customer", "created_by", "reward", "order")
    return scope_by_owner(qs, user, owner_field="account__customer__owner")


def active_rewards() -> QuerySet:
    return Reward.objects.filter(active=True).filter(Q(stock__isnull=True) | Q(stock__gt=0)).order_by("points_cost")


def all_rewards() -> QuerySet:
    return Reward.objects.order_by("points_cost", "name")


@dataclass
class LoyaltyCard:
    customer: Customer
    level: str
    is_advocate: bool
    account: LoyaltyAccount | None
    latest_overall_score: int | None
    referrals: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    surveys: list = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return LoyaltyLevel(self.level).label


def loyalty_card(*, user, customer: Customer, entry_limit: int = 20) -> LoyaltyCard:
    """Everything the loyalty card shows for one customer the user may see (a fixed number of queries)."""
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    referrals = list(visible_referrals(user).filter(referrer=customer))
    entries = []
    if account is not None:
        entries = list(
            account.entries.select_related("created_by", "reward", "order").order_by("-created_at", "-id")[:entry_limit]
        )
    surveys = list(
        visible_surveys(user).filter(customer=customer, status=SurveyStatus.COMPLETED).order_by("-completed_at")[:5]
    )
    return LoyaltyCard(
        customer=customer,
        level=loyalty_level(customer_id=customer.pk),
        is_advocate=any(r.converted for r in referrals),
        account=account,
        latest_overall_score=surveys[0].overall_score if surveys else None,
        referrals=referrals,
        entries=entries,
        surveys=surveys,
    )


def complaint_sla_counts(*, user, owner_ids=None, territory=None, now: datetime | None = None) -> dict:
    """Open complaints and those overdue against their SLA, for the customers in `user`'s scope (narrowed to
    `owner_ids` / `territory` when given, as the manager dashboard filters); one aggregate query."""
    now = now or timezone.now()
    complaints = scope_by_owner(Complaint.objects.all(), user, owner_field="customer__owner")
    if owner_ids is not None:
        complaints = complaints.filter(customer__owner__in=owner_ids)
    if territory is not None:
        complaints = complaints.filter(customer__territory=territory)
    unsettled = ~Q(status__in=SETTLED_STATUSES)
    return complaints.aggregate(
        open=Count("id", filter=unsettled),
        overdue=Count("id", filter=unsettled & Q(due_at__lt=now)),
        critical_open=Count("id", filter=unsettled & Q(severity="critical")),
    )


def open_complaints(*, user, now: datetime | None = None) -> QuerySet:
    """Complaints in `user`'s scope that are not settled yet, soonest due first (the rep's home lists them)."""
    return visible_complaints(user, now=now).exclude(status__in=SETTLED_STATUSES).order_by("due_at", "id")
