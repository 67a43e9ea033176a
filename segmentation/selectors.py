"""Reads of segmentation results. Other apps read the live tier and `loyal` from here, never recompute them."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from crm.access import is_admin, is_manager, scope_by_owner
from segmentation.models import RunStatus, SegmentationRun, SegmentStat, TierAssignment


def _live_runs() -> QuerySet[SegmentationRun]:
    return SegmentationRun.objects.filter(live=True, status=RunStatus.SUCCEEDED)


def live_run() -> SegmentationRun | None:
    return _live_runs().first()


def live_run_id() -> int | None:
    return _live_runs().values_list("pk", flat=True).first()


def _live_assignments() -> QuerySet[TierAssignment]:
    """The live run's assignments, named by the run's id: on PostgreSQL each run is a partition of its own, and a
    literal id lets the planner read that one partition (a join on `live` would plan every run's)."""
    run_id = live_run_id()
    if run_id is None:
        return TierAssignment.objects.none()
    return TierAssignment.objects.filter(run_id=run_id).order_by()


def live_assignment(*, customer_id: int) -> TierAssignment | None:
    """The customer's assignment in the live run, or None (no live run, or the customer was not in it)."""
    return _live_assignments().filter(customer_id=customer_id).first()


def live_assignments(*, customer_ids) -> dict[int, TierAssignment]:
    """Live assignments for many customers, keyed by customer id."""
    rows = _live_assignments().filter(customer_id__in=list(customer_ids))
    return {row.customer_id: row for row in rows}


def is_loyal(*, customer_id: int) -> bool:
    """`loyal` (≥ 3 repeat purchases in the window) from the live run; False without a live run."""
    return _live_assignments().filter(customer_id=customer_id, loyal=True).exists()


# --- runs, assignments and dashboard aggregates ---------------------------------------------------------


def can_see_runs(user) -> bool:
    """Runs are for managers and admins; reps see their customers' tiers through the customers pages."""
    return is_admin(user) or is_manager(user)


def visible_runs(*, user) -> QuerySet[SegmentationRun]:
    if not can_see_runs(user):
        return SegmentationRun.objects.none()
    return SegmentationRun.objects.select_related("started_by")


def active_run() -> SegmentationRun | None:
    """The queued or running run, if any (one at a time)."""
    return SegmentationRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()


def visible_assignments(
    *,
    user,
    run: SegmentationRun,
    abc_class: str | None = None,
    bcg_quadrant: str | None = None,
    loyal: bool | None = None,
) -> QuerySet[TierAssignment]:
    """A run's assignments of the customers `user` may see (managers: their teams'; admins: all)."""
    if not can_see_runs(user):
        return TierAssignment.objects.none()
    queryset = scope_by_owner(TierAssignment.objects.filter(run=run), user, "customer__owner")
    if abc_class:
        queryset = queryset.filter(abc_class=abc_class)
    if bcg_quadrant:
        queryset = queryset.filter(bcg_quadrant=bcg_quadrant)
    if loyal is not None:
        queryset = queryset.filter(loyal=loyal)
    return queryset.select_related("customer").order_by("revenue_rank", "customer_id")


def pareto_curve(run: SegmentationRun) -> list[dict]:
    """≤ 200 points (customers, customer_share, revenue, revenue_share) of the run's Pareto curve, stored when
    the run succeeded; the last point is (1, 1) unless nobody bought anything."""
    return list(run.pareto or [])


def _visible_stats(run: SegmentationRun, user) -> QuerySet[SegmentStat]:
    queryset = SegmentStat.objects.filter(run=run)
    if user is not None:
        queryset = scope_by_owner(queryset, user, "owner")
    return queryset


def segment_counts(*, run: SegmentationRun, user=None, by: tuple[str, ...] = ("abc_class",)) -> list[dict]:
    """Customers and revenue per class / quadrant (and per `team` or `territory` when asked), from the stored
    aggregates of the run, scoped to `user`'s customers when given."""
    return list(
        _visible_stats(run, user).values(*by).annotate(customers=Sum("customers"), revenue=Sum("revenue")).order_by(*by)
    )


def migration_matrix(run_a: SegmentationRun, run_b: SegmentationRun, *, user=None) -> dict[str, dict]:
    """How customers moved between run_a and run_b: {"abc_class": {from: {to: n}}, "bcg_quadrant": {...}}.
    From the aggregates stored by run_b when run_a was live as it computed; else one grouped join in the
    database. A customer absent from run_a counts under from = "" (new)."""
    matrix: dict[str, dict] = {"abc_class": {}, "bcg_quadrant": {}}
    if run_b.previous_run_id == run_a.pk and run_b.status == RunStatus.SUCCEEDED:
        for dimension, previous in (("abc_class", "previous_abc_class"), ("bcg_quadrant", "previous_bcg_quadrant")):
            rows = _visible_stats(run_b, user).values(previous, dimension).annotate(n=Sum("customers"))
            for row in rows:
                matrix[dimension].setdefault(row[previous], {})[row[dimension]] = row["n"]
        return matrix
    current = TierAssignment.objects.filter(run=run_b)
    if user is not None:
        current = scope_by_owner(current, user, "customer__owner")
    old = TierAssignment.objects.filter(run=run_a, customer_id=OuterRef("customer_id"))
    current = current.annotate(
        previous_abc_class=Coalesce(Subquery(old.values("abc_class")[:1]), Value("")),
        previous_bcg_quadrant=Coalesce(Subquery(old.values("bcg_quadrant")[:1]), Value("")),
    )
    for dimension, previous in (("abc_class", "previous_abc_class"), ("bcg_quadrant", "previous_bcg_quadrant")):
        for row in current.values(previous, dimension).annotate(n=Count("pk")).order_by():
            matrix[dimension].setdefault(row[previous], {})[row[dimension]] = row["n"]
    return matrix


def live_tier_subquery(field: str, *, customer_ref: str = "pk", run_id: int | None | object = ...):
    """A Subquery of `field` (e.g. abc_class, bcg_quadrant) from the customer's live assignment, for annotating
    a customer queryset in one query (NULL when there is no live run or the customer was not in it). `run_id`:
    the live run's id when the caller has it already (one lookup for several fields)."""
    from django.db.models import CharField, OuterRef, Subquery

    if run_id is ...:
        run_id = live_run_id()
    if run_id is None:
        return Value(None, output_field=CharField())
    return Subquery(
        TierAssignment.objects.filter(run_id=run_id, customer_id=OuterRef(customer_ref)).order_by().values(field)[:1]
    )
