"""Reads behind the manager dashboard (/dashboard/ and /api/v1/dashboard/...).

Every function takes the acting user and the dashboard filters and returns plain data (dicts/lists) that both
the page and the API serialise, so integrations get exactly the numbers managers see. Everything is grouped in
the database; nothing here loops over customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from crm.access import visible_owner_ids
from crm.models import Team, Territory


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's filters, already checked against the user's scope."""

    team: Team | None = None
    territory: Territory | None = None
    run_id: int | None = None


def dashboard_teams(user) -> QuerySet:
    """Teams a user may filter the dashboard by: the teams they manage (admins: all)."""
    if user.is_admin_role:
        return Team.objects.order_by("name")
    return Team.objects.filter(manager=user).order_by("name")


def dashboard_territories(user) -> QuerySet:
    if user.is_admin_role:
        return Territory.objects.order_by("code")
    return Territory.objects.filter(Q(team__manager=user)).order_by("code")


def scoped_owner_ids(user, filters: DashboardFilters) -> QuerySet | None:
    """Owners whose records feed the dashboard: the user's scope, narrowed to one team when filtered."""
    User = get_user_model()
    owners = visible_owner_ids(user)
    if filters.team is not None:
        team_members = User.objects.filter(team=filters.team).values("pk")
        return (
            team_members
            if owners is None
            else User.objects.filter(pk__in=owners).filter(team=filters.team).values("pk")
        )
    return owners


def _scoped(qs: QuerySet, owner_field: str, owners: QuerySet | None) -> QuerySet:
    return qs if owners is None else qs.filter(**{f"{owner_field}__in": owners})


def local_today() -> dt.date:
    return timezone.localdate()


def rep_activity(*, user, filters: DashboardFilters, days: int = 14, today: dt.date | None = None) -> dict:
    """Visits per rep per local day over the last `days` days (today included), and each day's daily report:
    `submitted`; `missing` (visits on a past day, no submitted report); `pending` (today's visits, not yet
    reported; the day is not over); None (no visit, nothing to report). Two grouped queries and the reps."""
    from salesforce_auto.models import DailyReport, DailyReportStatus, VisitReport

    today = today or local_today()
    first = today - dt.timedelta(days=days - 1)
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    owners = scoped_owner_ids(user, filters)
    visits = _scoped(VisitReport.objects.all(), "rep", owners).filter(visited_at__gte=start, visited_at__lt=end)
    if filters.territory is not None:
        visits = visits.filter(customer__territory=filters.territory)
    rows = (
        visits.annotate(day=TruncDate("visited_at", tzinfo=tz))
        .values("rep_id", "day")
        .annotate(visits=Count("id"))
        .order_by()
    )
    submitted = set(
        _scoped(DailyReport.objects.all(), "rep", owners)
        .filter(date__gte=first, date__lte=today, status=DailyReportStatus.SUBMITTED)
        .values_list("rep_id", "date")
    )
    User = get_user_model()
    reps = _scoped(User.objects.filter(role="rep", is_active=True), "pk", owners).order_by("username")
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    counts = {(row["rep_id"], row["day"]): row["visits"] for row in rows}

    def report(rep_id: int, day: dt.date) -> str | None:
        if (rep_id, day) in submitted:
            return "submitted"
        if not counts.get((rep_id, day)):
            return None
        return "pending" if day == today else "missing"

    out = []
    for rep in reps:
        reports = [report(rep.pk, d) for d in dates]
        out.append(
            {
                "id": rep.pk,
                "name": str(rep),
                "visits": [counts.get((rep.pk, d), 0) for d in dates],
                "total": sum(counts.get((rep.pk, d), 0) for d in dates),
                "reports": reports,
                "reports_submitted": reports.count("submitted"),
                "reports_missing": reports.count("missing"),
                "reports_pending": reports.count("pending"),
            }
        )
    return {"dates": [d.isoformat() for d in dates], "today": today.isoformat(), "reps": out}


_NO_RUN = object()


def conversion(*, user, filters: DashboardFilters, days: int = 90, today: dt.date | None = None, run=_NO_RUN) -> dict:
    """Customers per stage (stored by the dashboard's run when it computed, so a million customers are not
    counted per request; counted live only while no run exists) and lifecycle moves in the last `days` days
    (potential → target → current)."""
    from customers.models import Customer, StageChange
    from segmentation.models import StageCount

    if run is _NO_RUN:
        run = dashboard_run(user=user, filters=filters)
    today = today or local_today()
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    owners = scoped_owner_ids(user, filters)
    changes = _scoped(StageChange.objects.all(), "customer__owner", owners).filter(changed_at__gte=since)
    if filters.territory is not None:
        changes = changes.filter(customer__territory=filters.territory)
    if run is not None:
        by_stage = dict(
            _cells(StageCount, run=run, user=user, filters=filters)
            .values_list("stage")
            .annotate(n=Sum("customers"))
            .order_by()
        )
    else:
        customers = _scoped(Customer.objects.all(), "owner", owners)
        if filters.territory is not None:
            customers = customers.filter(territory=filters.territory)
        by_stage = dict(customers.values_list("stage").annotate(n=Count("id")).order_by())
    moves = changes.aggregate(
        new_potential=Count("id", filter=Q(from_stage="", to_stage="potential")),
        to_target=Count("id", filter=Q(from_stage="potential", to_stage="target")),
        to_current=Count("id", filter=Q(from_stage="target", to_stage="current")),
        to_dormant=Count("id", filter=Q(to_stage="dormant")),
    )
    return {
        "days": days,
        "stages_as_of_run": None if run is None else run.pk,
        "stages": {stage: by_stage.get(stage, 0) for stage in ("potential", "target", "current", "dormant")},
        "moves": moves,
    }


def parse_filters(*, user, params) -> DashboardFilters:
    """Read team / territory / run from query parameters. Malformed → ValidationError (400);
    a team or territory outside the user's scope → Http404, like any out-of-scope record."""
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.utils.translation import gettext as _

    values = {}
    errors = {}
    for name in ("team", "territory", "run"):
        raw = (params.get(name) or "").strip()
        if not raw:
            values[name] = None
            continue
        if not raw.isdigit():
            errors[name] = [_("Enter a whole number.")]
            continue
        values[name] = int(raw)
    if errors:
        raise ValidationError(errors)
    team = territory = None
    if values["team"] is not None:
        team = dashboard_teams(user).filter(pk=values["team"]).first()
        if team is None:
            raise Http404
    if values["territory"] is not None:
        territory = dashboard_territories(user).filter(pk=values["territory"]).first()
        if territory is None:
            raise Http404
    return DashboardFilters(team=team, territory=territory, run_id=values["run"])


# --- value tiers from a segmentation run (stored aggregates; never a scan of all assignments per request) ---

FOUR_PLACES = Decimal("0.0001")
PARETO_POINTS = 200
BCG_TOP_POINTS = 200  # ≤ aggregates.BCG_TOP_PER_CELL and ≤ models.TOP_RANK_INDEXED
FALLEN_FROM_A_LIMIT = 50  # ≤ FELL_FROM_A_PER_CELL, so the list of any scope is exact


def dashboard_run(*, user, filters: DashboardFilters, recent_runs: list | None = None):
    """The run the dashboard shows: the one asked for (a succeeded run) or the live run; None when none exists.
    `recent_runs` (from dashboard_runs) saves a query when the run is among them."""
    from django.http import Http404

    from segmentation.models import RunStatus
    from segmentation.selectors import visible_runs

    for candidate in recent_runs or []:
        if candidate.pk == filters.run_id or (filters.run_id is None and candidate.live):
            return candidate
    runs = visible_runs(user=user).filter(status=RunStatus.SUCCEEDED).select_related("previous_run")
    if filters.run_id is not None:
        run = runs.filter(pk=filters.run_id).first()
        if run is None:
            raise Http404
        return run
    return runs.filter(live=True).first()


def _share(part, whole) -> str:
    if not whole:
        return "0.0000"
    return str((Decimal(part) / Decimal(whole)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


def _money(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _is_whole_run(user, filters: DashboardFilters) -> bool:
    return user.is_admin_role and filters.team is None and filters.territory is None


def _stats(*, run, user, filters: DashboardFilters) -> QuerySet:
    from segmentation.models import SegmentStat

    stats = _scoped(SegmentStat.objects.filter(run=run), "owner", scoped_owner_ids(user, filters))
    if filters.territory is not None:
        stats = stats.filter(territory=filters.territory)
    return stats


def _cells(model, *, run, user, filters: DashboardFilters) -> QuerySet:
    """Rows of one of the run's stored dashboard aggregates (segmentation/aggregates.py) in the user's view."""
    cells = _scoped(model.objects.filter(run=run), "owner", scoped_owner_ids(user, filters))
    if filters.territory is not None:
        cells = cells.filter(territory=filters.territory)
    return cells


def pareto_points(*, user, filters: DashboardFilters, run) -> list[dict]:
    """The Pareto curve of the customers in view: the run's stored curve (≤ 200 points) for the whole run;
    for a team, territory or a manager's scope, the stored revenue bins merged from the highest down (one
    grouped query over a few hundred rows; each point is exact: the customers and revenue up to a bin's end)."""
    if _is_whole_run(user, filters):
        return list(run.pareto or [])
    from customers.selectors.orders import cents
    from segmentation.models import RevenueBin

    rows = list(
        _cells(RevenueBin, run=run, user=user, filters=filters)
        .values("value_bin")
        .annotate(customers=Sum("customers"), cents=Sum(cents("revenue")))
        .order_by(F("value_bin").desc(nulls_last=True))
    )
    count = sum(row["customers"] for row in rows)
    total = sum(int(row["cents"] or 0) for row in rows)
    points, customers, running = [], 0, 0
    for row in rows:
        customers += row["customers"]
        running += int(row["cents"] or 0)
        points.append(
            {
                "customers": customers,
                "customer_share": _share(customers, count),
                "revenue": _money(Decimal(running) / 100),
                "revenue_share": _share(running, total),
            }
        )
    return points


def eighty_twenty(points: list[dict]) -> str | None:
    """Share of customers that carries 80% of revenue: the first curve point reaching 0.8 (None without revenue)."""
    for point in points:
        if Decimal(point["revenue_share"]) >= Decimal("0.8"):
            return point["customer_share"]
    return None


def stat_cells(*, run, user, filters: DashboardFilters) -> list[dict]:
    """The run's stored counts in view per class, quadrant and previous class (≤ 48 rows; revenue summed in
    integer cents, exact on SQLite too). The tier summary and the migration matrix both read these, so the
    page passes one list to both."""
    from customers.selectors.orders import cents, from_cents

    rows = (
        _stats(run=run, user=user, filters=filters)
        .values("abc_class", "bcg_quadrant", "previous_abc_class")
        .annotate(customers=Sum("customers"), cents=Sum(cents("revenue")))
        .order_by()
    )
    return [{**row, "revenue": from_cents(row.pop("cents"))} for row in rows]


def tier_summary(*, user, filters: DashboardFilters, run=None, cells: list[dict] | None = None) -> dict:
    """Customers and revenue (with shares) per ABC class and per BCG quadrant, and the 80/20 check."""
    run = run or dashboard_run(user=user, filters=filters)
    if run is None:
        return {"run": None}
    if cells is None:
        cells = stat_cells(run=run, user=user, filters=filters)
    by_class: dict[str, dict] = {}
    by_quadrant: dict[str, dict] = {}
    for cell in cells:  # at most 3 × 4 grouped rows
        for key, grouped in ((cell["abc_class"], by_class), (cell["bcg_quadrant"], by_quadrant)):
            row = grouped.setdefault(key, {"customers": 0, "revenue": Decimal(0)})
            row["customers"] += cell["customers"]
            row["revenue"] += cell["revenue"]
    total_customers = sum(row["customers"] for row in by_class.values())
    total_revenue = sum((row["revenue"] for row in by_class.values()), Decimal(0))

    def rows(keys, grouped):
        out = []
        for key in keys:
            row = grouped.get(key, {"customers": 0, "revenue": Decimal(0)})
            out.append(
                {
                    "key": key,
                    "customers": row["customers"],
                    "customer_share": _share(row["customers"], total_customers),
                    "revenue": _money(row["revenue"]),
                    "revenue_share": _share(row["revenue"], total_revenue),
                }
            )
        return out

    points = pareto_points(user=user, filters=filters, run=run)
    return {
        "run": {"id": run.pk, "as_of": run.as_of.isoformat(), "window_months": run.window_months},
        "customers": total_customers,
        "revenue": _money(total_revenue),
        "abc": rows(["A", "B", "C"], by_class),
        "bcg": rows(["star", "cash_cow", "question_mark", "dog"], by_quadrant),
        "customer_share_for_80_percent": eighty_twenty(points),
        "pareto": points,
        "cutoffs": {"a": str(run.a_cutoff), "b": str(run.b_cutoff)},
    }


def _top_points(*, run, user, filters: DashboardFilters) -> list[dict]:
    """The first BCG_TOP_POINTS customers with revenue by rank: for the whole run from the assignments' partial
    index on the first ranks; for any narrower scope from the run's stored top points per owner and territory
    (exact, as each cell keeps at least as many as are shown)."""
    from segmentation.models import TOP_RANK_INDEXED, BcgTopPoint, TierAssignment

    if _is_whole_run(user, filters):
        model = TierAssignment
        top = TierAssignment.objects.filter(run=run, revenue_rank__lte=TOP_RANK_INDEXED, revenue__gt=0)
    else:
        model = BcgTopPoint
        top = _cells(BcgTopPoint, run=run, user=user, filters=filters)
    # pick the rows first, then join the names of those few (ranks are unique within a run, and a customer has
    # one row per run in either table: assignments are addressed by run and customer, they have no id index)
    top = top.order_by("revenue_rank").values("customer_id")[:BCG_TOP_POINTS]
    rows = (
        model.objects.filter(run=run, customer_id__in=top)
        .order_by("revenue_rank")
        .values("customer_id", "customer__name", "revenue", "growth", "abc_class", "bcg_quadrant")
    )
    return [
        {
            "customer": row["customer_id"],
            "name": row["customer__name"],
            "revenue": _money(row["revenue"]),
            "growth": None if row["growth"] is None else str(row["growth"]),
            "abc_class": row["abc_class"],
            "bcg_quadrant": row["bcg_quadrant"],
        }
        for row in rows
    ]


def _bcg_density(*, run, user, filters: DashboardFilters) -> list[dict]:
    """Customers with revenue per value × growth cell and quadrant (stored BcgBin rows summed over the view).
    Each cell names its revenue range and growth range; growth null = no previous revenue."""
    from segmentation.aggregates import BCG_GROWTH_BINS_PER_UNIT, BCG_VALUE_BINS_PER_DECADE
    from segmentation.models import BcgBin

    cells = (
        _cells(BcgBin, run=run, user=user, filters=filters)
        .values("value_bin", "growth_bin", "bcg_quadrant")
        .annotate(customers=Sum("customers"))
        .order_by("value_bin", "growth_bin", "bcg_quadrant")
    )
    out = []
    for cell in cells:
        value_bin, growth_bin = cell["value_bin"], cell["growth_bin"]
        out.append(
            {
                "revenue_from": _bin_edge(value_bin, BCG_VALUE_BINS_PER_DECADE),
                "revenue_to": _bin_edge(value_bin + 1, BCG_VALUE_BINS_PER_DECADE),
                "growth_from": None if growth_bin is None else _share(growth_bin, BCG_GROWTH_BINS_PER_UNIT),
                "growth_to": None if growth_bin is None else _share(growth_bin + 1, BCG_GROWTH_BINS_PER_UNIT),
                "bcg_quadrant": cell["bcg_quadrant"],
                "customers": cell["customers"],
            }
        )
    return out


def _bin_edge(k: int, per_decade: int) -> str:
    """10^(k / per_decade) rounded to two decimals (a bin's lower revenue edge)."""
    return _money(Decimal(10) ** (Decimal(k) / per_decade))


def bcg_points(*, user, filters: DashboardFilters, run=None) -> dict:
    """The top customers by revenue as points (value vs growth), the density of every customer with revenue
    per value × growth cell, and per-quadrant counts. Customers without revenue in the window have no place on
    a value axis: they are only counted."""
    run = run or dashboard_run(user=user, filters=filters)
    if run is None:
        return {"run": None}
    quadrants = {
        row["bcg_quadrant"]: row["customers"]
        for row in _stats(run=run, user=user, filters=filters)
        .values("bcg_quadrant")
        .annotate(customers=Sum("customers"))
        .order_by()
    }
    return {
        "run": {"id": run.pk, "as_of": run.as_of.isoformat()},
        "growth_threshold": str(run.growth_threshold),
        "high_value_classes": run.high_value_classes,
        "points": _top_points(run=run, user=user, filters=filters),
        "density": _bcg_density(run=run, user=user, filters=filters),
        "quadrant_customers": {q: quadrants.get(q, 0) for q in ("star", "cash_cow", "question_mark", "dog")},
    }


def tier_migration(*, user, filters: DashboardFilters, run=None, cells: list[dict] | None = None) -> dict:
    """ABC migration matrix between the run and the run that was live when it computed (stored counts),
    and the customers that fell from A."""
    run = run or dashboard_run(user=user, filters=filters)
    if run is None:
        return {"run": None}
    matrix = {src: {dst: 0 for dst in ("A", "B", "C")} for src in ("A", "B", "C", "")}
    previous = run.previous_run
    if previous is None:
        return {"run": {"id": run.pk}, "previous_run": None, "matrix": matrix, "fell_from_a": []}
    if cells is None:
        cells = stat_cells(run=run, user=user, filters=filters)
    for cell in cells:
        row = matrix.setdefault(cell["previous_abc_class"], {"A": 0, "B": 0, "C": 0})
        row[cell["abc_class"]] += cell["customers"]
    from segmentation.models import FellFromA

    fell = (
        _cells(FellFromA, run=run, user=user, filters=filters)
        .order_by("revenue_rank", "customer_id")
        .values("customer_id", "customer__name", "abc_class", "revenue", "previous_revenue")[:FALLEN_FROM_A_LIMIT]
    )
    return {
        "run": {"id": run.pk},
        "previous_run": previous.pk,
        "matrix": matrix,
        "fell_from_a": [
            {
                "customer": row["customer_id"],
                "name": row["customer__name"],
                "abc_class": row["abc_class"],
                "revenue": _money(row["revenue"]),
                "previous_revenue": _money(row["previous_revenue"]),
            }
            for row in fell
        ],
    }


def dashboard_runs(user) -> list:
    """Succeeded runs to pick from (newest first, at most 30)."""
    from segmentation.models import RunStatus
    from segmentation.selectors import visible_runs

    return list(
        visible_runs(user=user)
        .filter(status=RunStatus.SUCCEEDED)
        .select_related("previous_run")
        .order_by("-created_at")[:30]
    )


PIPELINE_STAGES = ("prospecting", "qualification", "proposal", "negotiation", "won", "lost")


def pipeline_by_stage(*, user, filters: DashboardFilters) -> dict:
    """Open pipeline per opportunity stage: count, amount and weighted amount (amount × probability), summed in
    integer cents so the figures are exact on every database; one grouped query."""
    from customers.selectors.orders import cents, from_cents
    from salesforce_auto.models import Opportunity, OpportunityStage

    opportunities = _scoped(Opportunity.objects.all(), "owner", scoped_owner_ids(user, filters))
    if filters.territory is not None:
        opportunities = opportunities.filter(customer__territory=filters.territory)
    rows = {
        row["stage"]: row
        for row in opportunities.values("stage")
        .annotate(n=Count("id"), amount_cents=Sum(cents("amount")), weighted_cp=Sum(cents("amount") * F("probability")))
        .order_by()
    }
    stages = []
    for stage in PIPELINE_STAGES:
        row = rows.get(stage, {"n": 0, "amount_cents": 0, "weighted_cp": 0})
        weighted = (Decimal(int(row["weighted_cp"] or 0)) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        stages.append(
            {
                "stage": stage,
                "label": str(OpportunityStage(stage).label),
                "count": row["n"],
                "amount": str(from_cents(row["amount_cents"])),
                "weighted": str(weighted),
            }
        )
    open_stages = [s for s in stages if s["stage"] not in ("won", "lost")]
    return {
        "stages": stages,
        "open_weighted": str(sum((Decimal(s["weighted"]) for s in open_stages), Decimal("0.00"))),
    }


# --- the rep's home (/me/) --------------------------------------------------------------------------------

ABC_CLASSES = ("A", "B", "C")
BCG_QUADRANTS = ("star", "cash_cow", "question_mark", "dog")


def my_value_tiers(*, user) -> dict:
    """The user's customers (their scope: a rep's own) per ABC class × BCG quadrant in the live run, from the
    run's stored counts (two queries whatever the number of customers)."""
    from segmentation.selectors import live_run, segment_counts

    run = live_run()
    if run is None:
        return {"run": None, "rows": [], "quadrant_totals": [], "customers": 0}
    counts = {
        (row["abc_class"], row["bcg_quadrant"]): row["customers"]
        for row in segment_counts(run=run, user=user, by=("abc_class", "bcg_quadrant"))
    }
    rows = [
        {
            "abc_class": abc,
            "quadrants": [counts.get((abc, q), 0) for q in BCG_QUADRANTS],
            "total": sum(counts.get((abc, q), 0) for q in BCG_QUADRANTS),
        }
        for abc in ABC_CLASSES
    ]
    return {
        "run": {"id": run.pk, "as_of": run.as_of.isoformat()},
        "rows": rows,
        "quadrant_totals": [sum(counts.get((abc, q), 0) for abc in ABC_CLASSES) for q in BCG_QUADRANTS],
        "customers": sum(counts.values()),
    }
