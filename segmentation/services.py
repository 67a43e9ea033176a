"""Segmentation writes: starting, computing and switching runs (DESIGN §3), and the nightly dormancy sync.

The computation is set-based, from one grouped pass over the orders (FILTER clauses for the two windows)
followed by window functions. PostgreSQL: the grouped pass is a parallel CREATE TEMP TABLE AS streaming a
covering index in customer order; the R, F and M tile cuts come from bucket counts of it; then one statement
writes the run's partition of assignments, the stats and the dashboard aggregates and returns the Pareto
slices. SQLite: one `INSERT … SELECT` of the assignments, then the stats and aggregates, then the slices. Money
is exact: both compute in integer cents (bigint on PostgreSQL, ratios in `numeric`), and every boundary (cut-offs,
growth threshold) is an integer comparison (numeric beyond 64 bits on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from crm.access import is_admin, is_manager
from segmentation.aggregates import (
    GROUPED,
    aggregate_params,
    aggregate_statements,
    delete_dashboard_aggregates,
    grouped_select,
    store_dashboard_aggregates,
)
from segmentation.models import AbcClass, RunLock, RunStatus, SegmentationRun, SegmentStat, TierAssignment
from segmentation.windows import Windows

EARLIEST_AS_OF = dt.date(1900, 1, 1)

logger = logging.getLogger(__name__)

# Test-only: seconds compute_run sleeps (with its heartbeat running) before the main statement, so a test can
# SIGKILL a worker subprocess mid-run. Read from the worker's environment; unset in production.
TEST_DELAY_ENV = "SEGMENTATION_TEST_DELAY_SECONDS"

PARETO_POINTS = 200
SCALE = 10000  # cut-offs and the growth threshold have four decimals: compare exactly as integers
# Below these (in cents) the integer products of a comparison stay under 2⁶³: prior × 10000 for the cut-offs,
# revenue × (10000 + growth threshold × 10000 ≤ 110000) for the growth threshold.
BIG_TOTAL = 900_000_000_000_000
BIG_REVENUE = 80_000_000_000_000


def stale_after() -> dt.timedelta:
    """A running run whose heartbeat is older than this has lost its worker."""
    return dt.timedelta(seconds=getattr(settings, "SEGMENTATION_STALE_SECONDS", 600))


def queued_timeout() -> dt.timedelta:
    """A queued run no worker picked up within this time (a lost message) is failed too."""
    return dt.timedelta(seconds=getattr(settings, "SEGMENTATION_QUEUED_TIMEOUT_SECONDS", 3600))


def heartbeat_interval() -> float:
    return float(getattr(settings, "SEGMENTATION_HEARTBEAT_SECONDS", 10))


# --- parameters ---------------------------------------------------------------------------------------


@dataclass
class RunParameters:
    as_of: dt.date
    window_months: int = 12
    a_cutoff: Decimal = Decimal("0.8000")
    b_cutoff: Decimal = Decimal("0.9500")
    growth_threshold: Decimal = Decimal("0.1000")
    high_value_classes: list[str] = field(default_factory=lambda: ["A"])
    visit_cost: Decimal = Decimal("0.00")
    make_live: bool = True


PARAMETER_NAMES = (
    "as_of",
    "window_months",
    "a_cutoff",
    "b_cutoff",
    "growth_threshold",
    "high_value_classes",
    "visit_cost",
    "make_live",
)


def _decimal(value, *, places: int, max_digits: int) -> Decimal:
    if isinstance(value, bool) or value is None or isinstance(value, float | list | dict):
        # floats are refused: a binary fraction is not the decimal the caller meant
        raise ValueError
    number = Decimal(str(value).strip())
    if not number.is_finite():
        raise ValueError
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if len(quantized.as_tuple().digits) > max_digits:
        raise ValueError
    return quantized


def validate_run_parameters(data: dict | None) -> RunParameters:
    """DESIGN §3's parameters; anything else is a ValidationError naming the field."""
    data = dict(data or {})
    errors: dict[str, list[str]] = {}
    for name in data:
        if name not in PARAMETER_NAMES:
            errors[name] = [_("Unknown parameter.")]
    today = timezone.localdate()
    params = RunParameters(as_of=today)

    if data.get("as_of") not in (None, ""):
        value = data["as_of"]
        if isinstance(value, dt.datetime):
            value = None
        elif not isinstance(value, dt.date):
            try:
                value = parse_date(str(value))
            except ValueError:
                value = None
        if value is None:
            errors["as_of"] = [_("Enter a date as YYYY-MM-DD.")]
        elif value > today:
            errors["as_of"] = [_("The as-of date cannot be in the future.")]
        elif value < EARLIEST_AS_OF:  # windows reach back up to 2 × 60 months: keep them in real dates
            errors["as_of"] = [_("The as-of date cannot be before 1900.")]
        else:
            params.as_of = value

    if data.get("window_months") not in (None, ""):
        value = data["window_months"]
        try:
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError
            months = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
        except (TypeError, ValueError):
            errors["window_months"] = [_("Enter a whole number of months.")]
        else:
            if not 1 <= months <= 60:
                errors["window_months"] = [_("The window must be between 1 and 60 months.")]
            else:
                params.window_months = months

    for name, low, low_open, high in (
        ("a_cutoff", Decimal(0), True, Decimal(1)),
        ("b_cutoff", Decimal(0), True, Decimal(1)),
        ("growth_threshold", Decimal(-1), False, Decimal(10)),
    ):
        if data.get(name) in (None, ""):
            continue
        try:
            value = _decimal(data[name], places=4, max_digits=7)
        except (ValueError, InvalidOperation, TypeError):
            errors[name] = [_("Enter a decimal number with at most four decimal places.")]
            continue
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            if low_open:
                errors[name] = [_("Must be greater than %(low)s and at most %(high)s.") % {"low": low, "high": high}]
            else:
                errors[name] = [_("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}]
            continue
        setattr(params, name, value)
    if "a_cutoff" not in errors and "b_cutoff" not in errors and params.a_cutoff > params.b_cutoff:
        errors["a_cutoff"] = [_("The A cut-off cannot exceed the B cut-off.")]

    if "high_value_classes" in data:
        value = data["high_value_classes"]
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(item, str) and item in (AbcClass.A, AbcClass.B) for item in value)
        ):
            errors["high_value_classes"] = [_("Choose a non-empty subset of A and B.")]
        else:
            params.high_value_classes = sorted(set(value))

    if data.get("visit_cost") not in (None, ""):
        try:
            value = _decimal(data["visit_cost"], places=2, max_digits=12)
            if value < 0:
                raise ValueError
        except (ValueError, InvalidOperation, TypeError):
            errors["visit_cost"] = [_("Enter an amount of at least 0 with at most two decimal places.")]
        else:
            params.visit_cost = value

    if "make_live" in data:
        value = data["make_live"]
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "on", "off"):
            value = value.lower() in ("true", "1", "on")
        if not isinstance(value, bool):
            errors["make_live"] = [_("Must be true or false.")]
        else:
            params.make_live = value

    if errors:
        raise ValidationError(errors)
    return params


# --- starting, claiming, failing --------------------------------------------------------------------


class RunConflict(Exception):
    """Another run is queued or running."""

    def __init__(self, run: SegmentationRun):
        super().__init__(_("Run #%(id)s is still %(status)s.") % {"id": run.pk, "status": run.get_status_display()})
        self.run = run


def _take_run_lock() -> None:
    # An UPDATE (not a SELECT) so that SQLite takes its write lock too; PostgreSQL holds the row lock until
    # the transaction ends, so two starts racing serialise here.
    updated = RunLock.objects.filter(pk=1).update(touched_at=timezone.now())
    if not updated:
        RunLock.objects.get_or_create(pk=1)
        RunLock.objects.filter(pk=1).update(touched_at=timezone.now())


def _fail_runs(queryset, message: str) -> int:
    # whatever an unfinished run wrote is dropped, also when it was failed already (a worker that was declared
    # stale may still have committed rows afterwards); a succeeded run is never touched
    ids = list(queryset.exclude(status=RunStatus.SUCCEEDED).values_list("pk", flat=True))
    if not ids:
        return 0
    discard_assignments(ids)
    SegmentStat.objects.filter(run_id__in=ids).delete()
    delete_dashboard_aggregates(ids)
    return SegmentationRun.objects.filter(pk__in=ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error=message, live=False
    )


def assignment_partition(run_id: int) -> str:
    """PostgreSQL: the table of one run's assignments, a partition of TierAssignment's (migration 0009)."""
    return f"{TierAssignment._meta.db_table}_r{int(run_id)}"


def discard_assignments(run_ids) -> None:
    """Drop runs' assignments: on PostgreSQL their partitions go whole (no row-by-row delete of a million);
    rows written through the ORM sit in the default partition and are deleted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for run_id in run_ids:
                cursor.execute(f"DROP TABLE IF EXISTS {assignment_partition(run_id)}")
    TierAssignment.objects.filter(run_id__in=run_ids).delete()


def _stale_runs():
    now = timezone.now()
    return SegmentationRun.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - stale_after())
        | Q(status=RunStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=now - stale_after())
        | Q(status=RunStatus.QUEUED, created_at__lt=now - queued_timeout())
    )


@transaction.atomic
def mark_stale_runs_failed() -> int:
    """Fail running runs whose heartbeat is stale (their worker died) and queued runs nobody picked up."""
    _take_run_lock()
    return _fail_runs(_stale_runs(), _("The worker stopped sending heartbeats; start a new run."))


def _can_start_runs(user) -> bool:
    return is_admin(user) or is_manager(user)


def start_run(*, actor, parameters: dict | None = None, enqueue: bool = True) -> SegmentationRun:
    """Queue a run (managers and admins). 409 (RunConflict) while another is queued or running; a stale one
    is failed first. The compute task is sent after commit; if the broker refuses it, the run is failed and
    the broker error propagates (the API answers 503)."""
    if not (_can_start_runs(actor) or getattr(actor, "username", "") == "system"):
        raise PermissionDenied(_("Only managers and administrators may start segmentation runs."))
    params = validate_run_parameters(parameters)
    with transaction.atomic():
        _take_run_lock()
        _fail_runs(_stale_runs(), _("The worker stopped sending heartbeats; start a new run."))
        busy = SegmentationRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if busy is not None:
            raise RunConflict(busy)
        run = SegmentationRun(
            as_of=params.as_of,
            window_months=params.window_months,
            a_cutoff=params.a_cutoff,
            b_cutoff=params.b_cutoff,
            growth_threshold=params.growth_threshold,
            high_value_classes=params.high_value_classes,
            visit_cost=params.visit_cost,
            make_live=params.make_live,
            started_by=actor,
        )
        run.full_clean()
        run.save()
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    run.refresh_from_db()
    return run


def _enqueue(run_id: int) -> None:
    from kombu.exceptions import OperationalError

    from segmentation.tasks import compute_run_task

    try:
        compute_run_task.delay(run_id)
    except OperationalError:
        fail_run(run_id=run_id, message=_("The task broker is unavailable."))
        raise


def fail_run(*, run_id: int, message: str) -> None:
    """Fail a queued or running run, dropping whatever it wrote; finished runs are immutable."""
    with transaction.atomic():
        _fail_runs(SegmentationRun.objects.filter(pk=run_id), message[:2000])


def _claim(run_id: int) -> bool:
    now = timezone.now()
    return bool(
        SegmentationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, progress=1
        )
    )


def _beat(run_id: int, progress: int | None = None) -> None:
    fields: dict = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = progress
    SegmentationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(**fields)


class _Heartbeat:
    """Beats from a thread with its own connection while one long statement runs (PostgreSQL only: SQLite
    would make it wait on the write lock, and there runs are small)."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self):
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._loop, name=f"run-{self.run_id}-heartbeat", daemon=True)
            self.thread.start()
        return self

    def _loop(self) -> None:
        try:
            while not self.stop.wait(heartbeat_interval()):
                try:
                    _beat(self.run_id)
                except Exception:  # noqa: BLE001 - a missed beat is retried; the run itself reports errors
                    logger.exception("heartbeat of run %s failed", self.run_id)
        finally:
            close_old_connections()
            connection.close()

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        return False


# --- the computation ---------------------------------------------------------------------------------


def compute_run(*, run_id: int) -> SegmentationRun | None:
    """Compute a queued run (a duplicate delivery or a run already taken does nothing). On failure the run is
    failed with its error and whatever it wrote is dropped; the live run stays live."""
    if not _claim(run_id):
        return SegmentationRun.objects.filter(pk=run_id).first()
    run = SegmentationRun.objects.get(pk=run_id)
    try:
        with _Heartbeat(run.pk):
            delay = float(os.environ.get(TEST_DELAY_ENV) or 0)
            while delay > 0:
                time.sleep(min(delay, 0.5))
                delay -= 0.5
                _beat(run.pk)
            previous = SegmentationRun.objects.filter(live=True).first()
            slices = _insert_assignments(run, previous)
            _beat(run.pk, 70)
            store_dashboard_aggregates(run, previous)
            _beat(run.pk, 85)
            pareto, total, count = _pareto(run, slices)
            _beat(run.pk, 95)
            _finish(run, previous=previous, pareto=pareto, total=total, count=count)
    except Exception as exc:
        logger.exception("segmentation run %s failed", run_id)
        fail_run(run_id=run_id, message=f"{exc.__class__.__name__}: {exc}")
        raise
    run.refresh_from_db()
    return run


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _scaled(value: Decimal) -> int:
    return int(value * SCALE)


def _ratio(numerator: str, denominator: str, cap: str, *, postgres: bool) -> str:
    """SQL for numerator / denominator (> 0, integer cents) rounded half away from zero to four places and
    capped: in 64-bit integers while they cannot overflow (exact on both databases, and several times cheaper
    than a numeric division); beyond, numeric on PostgreSQL (SQLite has no exact type left there)."""
    greatest, least = ("GREATEST", "LEAST") if postgres else ("MAX", "MIN")
    # (no SIGN(): on a bigint PostgreSQL resolves it to the double precision one)
    half_up = f"((2 * ABS({numerator}) * {SCALE} + {denominator}) / (2 * {denominator}))"
    beyond = f"({numerator})::numeric / {denominator}" if postgres else f"({numerator}) * 1.0 / {denominator}"
    return (
        f"(CASE WHEN {greatest}(ABS({numerator}), {denominator}) < {BIG_REVENUE}"
        f" THEN {least}(CASE WHEN {numerator} < 0 THEN -{half_up} ELSE {half_up} END"
        f", {cap.replace('.', '')}) * 0.0001"
        f" ELSE {least}(ROUND({beyond}, 4), {cap}) END)"
    )


def _classification(exact: str) -> str:
    """abc_class and high_growth of a ranked row (DESIGN §3), exactly: comparisons in scaled 64-bit integers
    while they cannot overflow, beyond in the database's exact type (`exact` casts to it)."""

    def below(prior: str, cutoff: str) -> str:
        # prior < cutoff × total
        return (
            f"(CASE WHEN total < {BIG_TOTAL} THEN {prior} * {SCALE} < %({cutoff})s * total"
            f" ELSE {prior}{exact} * {SCALE} < %({cutoff})s * total{exact} END)"
        )

    return f"""
        CASE WHEN revenue > 0 AND {below("prior", "a")} THEN 'A'
             WHEN revenue > 0 AND {below("prior", "b")} THEN 'B'
             ELSE 'C' END AS abc_class,
        CASE WHEN previous_revenue = 0 THEN revenue > 0
             WHEN revenue < {BIG_REVENUE} AND previous_revenue < {BIG_REVENUE}
                THEN revenue * {SCALE} >= previous_revenue * %(g)s
             ELSE revenue{exact} * {SCALE} >= previous_revenue{exact} * %(g)s END AS high_growth"""


def _run_params(run: SegmentationRun) -> dict:
    """The bound parameters both databases' statements share: the windows, the cut-offs and the growth threshold
    in scaled integers, the local time zone and the high-value classes."""
    windows = Windows.for_run(as_of=run.as_of, window_months=run.window_months)
    adapt = connection.ops.adapt_datetimefield_value
    high_value = [c for c in run.high_value_classes if c in AbcClass.values] or ["A"]
    return {
        "run": run.pk,
        "ws": adapt(windows.window_start),
        "we": adapt(windows.window_end),
        "ps": adapt(windows.previous_start),
        "as_of": run.as_of.isoformat(),
        "a": _scaled(run.a_cutoff),
        "b": _scaled(run.b_cutoff),
        "g": SCALE + _scaled(run.growth_threshold),
        "tz": settings.TIME_ZONE,
        "hv1": high_value[0],
        "hv2": high_value[-1],
    }


def _assignment_sql(run: SegmentationRun) -> tuple[str, dict]:
    """The run on SQLite: one INSERT … SELECT (PostgreSQL: `_postgres_statement`)."""
    from customers.models import Customer, Order
    from salesforce_auto.models import VisitReport

    params = _run_params(run)
    # Integer cents: SQLite has no decimal type; every boundary is an integer comparison, and the ratios
    # (growth, share of wallet) are rounded in integers too.
    params["visit_cost"] = int(run.visit_cost * 100)
    money = "CAST(ROUND({} * 100) AS INTEGER)"
    recency = "CAST(julianday(%(as_of)s) - julianday(django_datetime_cast_date(o.last_at, %(tz)s, 'UTC')) AS INTEGER)"
    out = "({} / 100.0)"
    growth = _ratio("revenue - previous_revenue", "previous_revenue", "99999999.9999", postgres=False)
    share = _ratio("revenue", "annual", "99999.9999", postgres=False)
    greatest = "MAX"
    exact = " * 1.0"  # beyond ~9 × 10¹² in money SQLite has no exact type left

    amount, cost, volume = money.format("amount"), money.format("cost"), money.format("c.monthly_purchase_volume")
    sql = f"""
INSERT INTO {_table(TierAssignment)} (
    run_id, customer_id, revenue, previous_revenue, growth, abc_class, bcg_quadrant, recency_days, frequency,
    r_score, f_score, m_score, profit, loyal, potential_value, share_of_wallet, revenue_rank)
WITH o AS (
    SELECT customer_id,
        SUM({amount}) FILTER (WHERE ordered_at >= %(ws)s) AS revenue,
        SUM({cost}) FILTER (WHERE ordered_at >= %(ws)s) AS cost,
        COUNT(*) FILTER (WHERE ordered_at >= %(ws)s) AS frequency,
        SUM({amount}) FILTER (WHERE ordered_at >= %(ps)s AND ordered_at < %(ws)s) AS previous_revenue,
        MAX(ordered_at) AS last_at
    FROM {_table(Order)}
    WHERE ordered_at < %(we)s
    GROUP BY customer_id
), v AS (
    SELECT customer_id, COUNT(*) AS visits
    FROM {_table(VisitReport)}
    WHERE visited_at >= %(ws)s AND visited_at < %(we)s
    GROUP BY customer_id
), base AS (
    SELECT c.id AS customer_id,
        COALESCE(o.revenue, 0) AS revenue,
        COALESCE(o.previous_revenue, 0) AS previous_revenue,
        COALESCE(o.cost, 0) AS cost,
        COALESCE(o.frequency, 0) AS frequency,
        CASE WHEN o.last_at IS NOT NULL THEN {recency} END AS recency_days,
        COALESCE(v.visits, 0) AS visits,
        {volume} * 12 AS annual
    FROM {_table(Customer)} c
    LEFT JOIN o ON o.customer_id = c.id
    LEFT JOIN v ON v.customer_id = c.id
), ranked AS (
    SELECT base.*,
        ROW_NUMBER() OVER abc AS revenue_rank,
        CAST(SUM(revenue) OVER abc AS BIGINT) - revenue AS prior,
        CAST(SUM(revenue) OVER () AS BIGINT) AS total,
        NTILE(5) OVER (PARTITION BY recency_days IS NULL ORDER BY recency_days DESC, customer_id) AS r_tile,
        NTILE(5) OVER (PARTITION BY recency_days IS NULL ORDER BY frequency, customer_id) AS f_tile,
        NTILE(5) OVER (PARTITION BY recency_days IS NULL ORDER BY revenue, customer_id) AS m_tile
    FROM base
    WINDOW abc AS (ORDER BY revenue DESC, customer_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), classed AS (
    SELECT ranked.*, {_classification(exact)}
    FROM ranked
)
SELECT %(run)s, customer_id, {out.format("revenue")}, {out.format("previous_revenue")},
    CASE WHEN previous_revenue > 0 THEN {growth} END,
    abc_class,
    CASE WHEN abc_class IN (%(hv1)s, %(hv2)s)
         THEN CASE WHEN high_growth THEN 'star' ELSE 'cash_cow' END
         ELSE CASE WHEN high_growth THEN 'question_mark' ELSE 'dog' END END,
    recency_days, frequency,
    CASE WHEN recency_days IS NOT NULL THEN r_tile END,
    CASE WHEN recency_days IS NOT NULL THEN f_tile END,
    CASE WHEN recency_days IS NOT NULL THEN m_tile END,
    {out.format("(revenue - cost - visits * %(visit_cost)s)")},
    frequency >= 4,
    CASE WHEN annual IS NOT NULL THEN {out.format(f"{greatest}(annual - revenue, 0)")} END,
    CASE WHEN annual > 0 THEN {share} END,
    revenue_rank
FROM classed
ORDER BY customer_id
"""  # noqa: S608 - table names and fixed fragments only; every value is a bound parameter
    return sql, params


# A bigint sum with a by-value state (int8pl, overflow-checked; migration 0005_seg_sum_cents): built-in
# SUM(bigint) keeps a 128-bit state in memory of its own per group, several times slower in the grouped pass.
SUM_CENTS = "segmentation_sum_cents"
RUN_ORDERS_TABLE = "segmentation_run_orders"
TILES = 5  # NTILE(5): the R, F and M scores
# A run's assignment ids on PostgreSQL: run id × 2³² + revenue rank, unique without drawing a million values from
# the table's sequence; rows inserted through the ORM draw ids below 2³² (migration 0009 caps the sequence).
RUN_ID_SPAN = 2**32
_PAST_LAST = 2**63 - 1  # the key of a tile start past the last row: every key (a bigint) is below it


def ntile_starts(count: int, tiles: int = TILES) -> list[int]:
    """The 0-based positions where tiles 2…n start when NTILE(tiles) deals `count` ordered rows, as PostgreSQL
    deals them: count // tiles rows each, one more in the first count % tiles; one row each when fewer rows."""
    size, extra = divmod(count, tiles)
    starts, position = [], 0
    for tile in range(1, tiles):
        position += size + (1 if tile <= extra else 0)
        starts.append(position)
    return starts


def _orders_sql() -> str:
    """The grouped pass over the orders, both windows at once (FILTER clauses), into a temporary table.

    A CREATE TABLE AS can use parallel workers (an INSERT … SELECT cannot, PostgreSQL 15), and with hash
    aggregation off for it the plan is a parallel index-only scan of the (customer, ordered_at) index that
    covers amount and cost, grouped as it streams in customer order: hashing a million customers' groups was
    most of the run's time."""
    from customers.models import Order

    return f"""
CREATE TEMP TABLE {RUN_ORDERS_TABLE} ON COMMIT DROP AS
SELECT customer_id,
    {SUM_CENTS}((amount * 100)::bigint) FILTER (WHERE ordered_at >= %(ws)s) AS revenue,
    {SUM_CENTS}((cost * 100)::bigint) FILTER (WHERE ordered_at >= %(ws)s) AS cost,
    COUNT(*) FILTER (WHERE ordered_at >= %(ws)s) AS frequency,
    {SUM_CENTS}((amount * 100)::bigint) FILTER (WHERE ordered_at >= %(ps)s AND ordered_at < %(ws)s)
        AS previous_revenue,
    %(as_of)s::date - (MAX(ordered_at) AT TIME ZONE %(tz)s)::date AS recency_days
FROM {_table(Order)}
WHERE ordered_at < %(we)s
GROUP BY customer_id
"""  # noqa: S608 - table names and fixed fragments only; every value is a bound parameter


# The order of each score's NTILE as an ascending key of a grouped-pass row (ties by customer id ascending),
# and a coarse bucket (k1, k2) of it that never decreases along that order and splits big groups of equal keys.
_POWERS_OF_TWO = f"ARRAY[{', '.join(str(2**i) for i in range(63))}]::bigint[]"
_TILE_KEYS = {
    "r": "-{o}recency_days",  # recency descending
    "f": "{o}frequency",
    "m": "COALESCE({o}revenue, 0)",
}
_TILE_BUCKETS = {
    "r": ("-recency_days", "0"),  # a day holds few customers
    "f": ("frequency", "customer_id >> 10"),
    # revenue: its power of two, then the next eight bits below the leading one (exact integer arithmetic)
    "m": (
        f"width_bucket(COALESCE(revenue, 0), {_POWERS_OF_TWO})",
        f"COALESCE(revenue, 0) >> GREATEST(width_bucket(COALESCE(revenue, 0), {_POWERS_OF_TWO}) - 9, 0)",
    ),
}


def _tile_cuts(cursor, starts: list[int]) -> dict[str, list[tuple[int, int]]]:
    """The rows where tiles 2…5 start in each score's order, as (key, customer id): a row is before a start when
    its key is smaller, or equal with a smaller customer id. Without sorting every row: in one scan, counts per
    coarse bucket of each order (a few thousand); their running sums find the bucket of each start; a second scan
    keeps only those buckets' rows, which are ranked. A start past the last row gets a key no row reaches."""
    keyed = ", ".join(
        f"{_TILE_KEYS[name].format(o='')} AS {name}_key, {k1} AS {name}_k1, {k2} AS {name}_k2"
        for name, (k1, k2) in _TILE_BUCKETS.items()
    )
    names = list(_TILE_BUCKETS)
    kind = " ".join(f"WHEN GROUPING({name}_k1, {name}_k2) = 0 THEN '{name}'" for name in names)

    def coalesced(column: str) -> str:
        return f"COALESCE({', '.join(f'{name}_{column}' for name in names)})"

    def in_cuts(name: str) -> str:
        return f"({name}_k1, {name}_k2) IN (SELECT k1, k2 FROM cuts WHERE kind = '{name}')"  # noqa: S608

    ranked = "\n    UNION ALL\n    ".join(
        f"""SELECT '{name}' AS kind, {name}_k1 AS k1, {name}_k2 AS k2, {name}_key AS key, customer_id,
        ROW_NUMBER() OVER (PARTITION BY {name}_k1, {name}_k2 ORDER BY {name}_key, customer_id) - 1 AS position
    FROM candidates WHERE {in_cuts(name)}"""  # noqa: S608 - fixed fragments only
        for name in names
    )
    cursor.execute(
        f"""
WITH keyed AS NOT MATERIALIZED (
    SELECT customer_id, {keyed} FROM {RUN_ORDERS_TABLE}
), counts AS MATERIALIZED (  -- planned apart: hashed, not sorted for the running sums
    SELECT CASE {kind} END AS kind, {coalesced("k1")} AS k1, {coalesced("k2")} AS k2, COUNT(*) AS n
    FROM keyed
    GROUP BY GROUPING SETS ({", ".join(f"({name}_k1, {name}_k2)" for name in names)})
), buckets AS (
    SELECT kind, k1, k2, n,
        (SUM(n) OVER (PARTITION BY kind ORDER BY k1, k2 ROWS UNBOUNDED PRECEDING))::bigint - n AS before
    FROM counts
), cuts AS MATERIALIZED (
    SELECT kind, start, k1, k2, start - before AS position
    FROM buckets JOIN unnest(%s::bigint[]) AS start ON start >= before AND start < before + n
), candidates AS MATERIALIZED (
    SELECT * FROM keyed WHERE {" OR ".join(in_cuts(name) for name in names)}
), ranked AS (
    {ranked}
)
SELECT cuts.kind, cuts.start, ranked.key, ranked.customer_id
FROM cuts JOIN ranked ON ranked.kind = cuts.kind AND ranked.k1 = cuts.k1 AND ranked.k2 = cuts.k2
    AND ranked.position = cuts.position
""",  # noqa: S608 - fixed fragments only; the starts are bound
        [starts],
    )
    at = {(kind, start): (key, customer) for kind, start, key, customer in cursor.fetchall()}
    return {name: [at.get((name, start), (_PAST_LAST, 0)) for start in starts] for name in names}


def _tile_params(cursor) -> dict:
    """The bound parameters of the R, F and M tiles of the run's statement (see `_tile_sql`), and the total
    revenue, from the grouped pass: DESIGN §3 scores with NTILE(5) over the customers with an order on or before
    as_of, which are exactly its rows."""
    cursor.execute(f"SELECT COUNT(*), {SUM_CENTS}(revenue) FROM {RUN_ORDERS_TABLE}")  # noqa: S608
    scored, total = cursor.fetchone()
    params: dict = {"total": total or 0}
    for name, cuts in _tile_cuts(cursor, ntile_starts(scored)).items():
        for tile, (key, customer) in enumerate(cuts, start=2):
            params[f"{name}{tile}_key"], params[f"{name}{tile}_id"] = key, customer
    return params


def _tile_sql(name: str, before: str) -> str:
    """The tile of a scored row: 1 before tile 2's start, … 5 past tile 5's. `before` is the SQL condition of a
    row before a start, with {key} and {id} for the start's bound parameters."""
    whens = " ".join(
        f"WHEN {before.format(key=f'%({name}{tile}_key)s', id=f'%({name}{tile}_id)s')} THEN {tile - 1}"
        for tile in range(2, TILES + 1)
    )
    return f"CASE {whens} ELSE {TILES} END"


def _postgres_statement(run: SegmentationRun, previous: SegmentationRun | None) -> tuple[str, dict]:
    """The run on PostgreSQL after the grouped pass (`_orders_sql`, `_tile_params`): one statement joining it to
    the customers, their owners and their previous assignments, ranking them with one sort, and writing the
    assignments, the stats and every dashboard aggregate (data-modifying CTEs over one materialised result),
    returning the Pareto slices (slice, last rank, revenue in cents, customers).

    One sort of the million joined rows, (revenue DESC, id), gives the ABC running sum and the revenue rank; the
    R, F and M tiles compare each row with their cuts (`_tile_params`); the joins run in the order written
    (`_insert_assignments` sets join_collapse_limit 1)."""
    from django.contrib.auth import get_user_model

    from customers.models import Customer
    from salesforce_auto.models import VisitReport

    params = {
        **_run_params(run),
        **aggregate_params(run),
        "previous": previous.pk if previous else None,
        "visit_cost": int(run.visit_cost * 100),
    }

    def out(cents: str) -> str:
        return f"({cents} * 0.01)"  # exact: a bigint times a numeric with two decimals

    growth = _ratio("revenue - previous_revenue", "previous_revenue", "99999999.9999", postgres=True)
    tiles = {}
    for name, template in _TILE_KEYS.items():
        key = template.format(o="o.")
        tiles[name] = _tile_sql(name, f"{key} < {{key}} OR ({key} = {{key}} AND o.customer_id < {{id}})")
    aggregates = ",\n".join(
        [f"{GROUPED} AS MATERIALIZED (\n{grouped_select('assigned')}\n)"]
        + [f"{name} AS (\n{sql}\n)" for name, sql in aggregate_statements("assigned")]
    )
    sql = f"""
WITH v AS (
    SELECT customer_id, COUNT(*) AS visits
    FROM {_table(VisitReport)}
    WHERE visited_at >= %(ws)s AND visited_at < %(we)s
    GROUP BY customer_id
), base AS (
    SELECT c.id AS customer_id, c.owner_id, u.team_id, c.territory_id, c.stage,
        COALESCE(o.revenue, 0) AS revenue,
        COALESCE(o.previous_revenue, 0) AS previous_revenue,
        COALESCE(o.cost, 0) AS cost,
        COALESCE(o.frequency, 0) AS frequency,
        o.recency_days,
        CASE WHEN o.customer_id IS NOT NULL THEN {tiles["r"]} END AS r_score,
        CASE WHEN o.customer_id IS NOT NULL THEN {tiles["f"]} END AS f_score,
        CASE WHEN o.customer_id IS NOT NULL THEN {tiles["m"]} END AS m_score,
        COALESCE(v.visits, 0) AS visits,
        (c.monthly_purchase_volume * 100)::bigint * 12 AS annual,
        p.abc_class AS previous_abc_class, p.bcg_quadrant AS previous_bcg_quadrant,
        p.revenue AS previous_run_revenue
    FROM {_table(Customer)} c
    JOIN {_table(get_user_model())} u ON u.id = c.owner_id
    LEFT JOIN {_table(TierAssignment)} p ON p.run_id = %(previous)s AND p.customer_id = c.id
    LEFT JOIN {RUN_ORDERS_TABLE} o ON o.customer_id = c.id
    LEFT JOIN v ON v.customer_id = c.id
), ranked AS (
    SELECT base.*,
        ROW_NUMBER() OVER abc AS revenue_rank,
        {SUM_CENTS}(revenue) OVER abc - revenue AS prior,
        %(total)s::bigint AS total,
        -- once, not as a window over the whole partition, which would buffer every joined row
        (SELECT COUNT(*) FROM {_table(Customer)}) AS customers
    FROM base
    WINDOW abc AS (ORDER BY revenue DESC, customer_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), classed AS (
    SELECT ranked.*, {_classification("::numeric")}
    FROM ranked
), assigned AS MATERIALIZED (
    SELECT customer_id, owner_id, team_id, territory_id, stage, revenue AS revenue_cents, {out("revenue")} AS revenue,
        -- the double nearest the decimal revenue, as a cast of it gives, without converting a numeric
        revenue::double precision / 100 AS revenue_float,
        {out("previous_revenue")} AS previous_revenue,
        CASE WHEN previous_revenue > 0 THEN {growth} END AS growth,
        abc_class,
        CASE WHEN abc_class IN (%(hv1)s, %(hv2)s)
             THEN CASE WHEN high_growth THEN 'star' ELSE 'cash_cow' END
             ELSE CASE WHEN high_growth THEN 'question_mark' ELSE 'dog' END END AS bcg_quadrant,
        recency_days, frequency, r_score, f_score, m_score,
        revenue - cost - visits * %(visit_cost)s AS profit,
        annual, revenue_rank, customers,
        previous_abc_class, previous_bcg_quadrant, previous_run_revenue
    FROM classed
), written AS (
    INSERT INTO {assignment_partition(run.pk)} (
        id, run_id, customer_id, revenue, previous_revenue, growth, abc_class, bcg_quadrant, recency_days,
        frequency, r_score, f_score, m_score, profit, loyal, potential_value, share_of_wallet, revenue_rank)
    SELECT %(run)s * {RUN_ID_SPAN} + revenue_rank, %(run)s, customer_id, revenue, previous_revenue, growth,
        abc_class, bcg_quadrant, recency_days, frequency, r_score, f_score, m_score,
        {out("profit")},
        frequency >= 4,
        CASE WHEN annual IS NOT NULL THEN {out("GREATEST(annual - revenue_cents, 0)")} END,
        CASE WHEN annual > 0 THEN {_ratio("revenue_cents", "annual", "99999.9999", postgres=True)} END,
        revenue_rank
    FROM assigned
),
{aggregates}
SELECT (revenue_rank - 1) * {PARETO_POINTS} / customers AS slice, MAX(revenue_rank), SUM(revenue_cents),
    MAX(customers)
FROM assigned
GROUP BY slice
ORDER BY slice
"""  # noqa: S608 - table names and fixed fragments only; every value is a bound parameter
    return sql, params


def _insert_assignments(run: SegmentationRun, previous: SegmentationRun | None) -> list[tuple] | None:
    """Write the run's assignments. On PostgreSQL the same statement writes the stats and the dashboard
    aggregates and returns the Pareto slices (see `_postgres_statement`); on SQLite one INSERT … SELECT, and
    None."""
    from customers.models import Order

    if connection.vendor != "postgresql":
        sql, params = _assignment_sql(run)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        return None
    if not connection.in_atomic_block:
        # the index-only scan of the grouped pass reads the table only for pages not yet marked all-visible
        # (orders imported since the last vacuum): mark them first (cheap when there are none)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {_table(Order)}")
    sql, params = _postgres_statement(run, previous)
    table, partition = _table(TierAssignment), assignment_partition(run.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        # the run's rows go into a table of its own, without indexes; attached as the run's partition at the end
        cursor.execute(f"DROP TABLE IF EXISTS {partition}")
        cursor.execute(
            f"CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
            f" CONSTRAINT {partition}_run CHECK (run_id = {int(run.pk)}))"
        )
        # big analytic statements: JIT compilation costs more than it saves here, and the sorts of the window
        # functions fit in memory with a larger work_mem, for this transaction only
        cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute("SELECT set_config('work_mem', %s, true)", [getattr(settings, "SEGMENTATION_WORK_MEM", "512MB")])
        cursor.execute("SELECT set_config('enable_hashagg', 'off', true)")
        cursor.execute(_orders_sql(), params)
        cursor.execute("SELECT set_config('enable_hashagg', 'on', true)")
        # statistics for the plan of the next statements: a small sample is enough
        cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
        cursor.execute(f"ANALYZE {RUN_ORDERS_TABLE}")
        params.update(_tile_params(cursor))
        # the joins in the order written: the customers with their owner, previous assignment, grouped orders
        # and visits (left to itself, the planner chose an order 1.5–2 s slower at a million customers)
        cursor.execute("SELECT set_config('join_collapse_limit', '1', true)")
        cursor.execute(sql, params)
        slices = cursor.fetchall()
        # dropped now, not at commit: a test computes several runs inside one transaction
        cursor.execute(f"DROP TABLE {RUN_ORDERS_TABLE}")
        # builds the (run, customer) and top-rank indexes, one sorted pass each; the CHECK spares the scan
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({int(run.pk)})")
        # fresh statistics, or the planner of later readers takes the new rows for a handful
        cursor.execute(f"ANALYZE {partition}")
    return slices


def _pareto(run: SegmentationRun, slices: list[tuple] | None = None) -> tuple[list[dict], Decimal, int]:
    """The Pareto curve downsampled to ≤ 200 points: (share of customers, share of revenue) at the end of each
    of ≤ 200 equal slices of the revenue ranking. Sums per slice in the database (on PostgreSQL returned by the
    assignments statement as (slice, last rank, cents, customers)); cumulated here over ≤ 200 rows."""
    postgres = connection.vendor == "postgresql"
    if slices is not None:
        rows = [row[:3] for row in slices]
        count = int(slices[0][3]) if slices else 0
        if not count:
            return [], Decimal("0.00"), 0
    else:
        cents = "SUM(revenue) * 100" if postgres else "SUM(CAST(ROUND(revenue * 100) AS INTEGER))"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {_table(TierAssignment)} WHERE run_id = %s", [run.pk])  # noqa: S608
            count = cursor.fetchone()[0]
            if not count:
                return [], Decimal("0.00"), 0
            cursor.execute(
                f"""SELECT (revenue_rank - 1) * {PARETO_POINTS} / %(n)s AS slice, MAX(revenue_rank), {cents}
                    FROM {_table(TierAssignment)} WHERE run_id = %(run)s GROUP BY slice ORDER BY slice""",  # noqa: S608
                {"n": count, "run": run.pk},
            )
            rows = cursor.fetchall()
    total_cents = sum(int(row[2] or 0) for row in rows)
    points, running = [], 0
    for _slice, last_rank, slice_cents in rows:
        running += int(slice_cents or 0)
        points.append(
            {
                "customers": int(last_rank),
                "customer_share": str((Decimal(int(last_rank)) / count).quantize(Decimal("0.0001"))),
                "revenue": str((Decimal(running) / 100).quantize(Decimal("0.01"))),
                "revenue_share": str(
                    (Decimal(running) / total_cents).quantize(Decimal("0.0001")) if total_cents else Decimal("0.0000")
                ),
            }
        )
    return points, (Decimal(total_cents) / 100).quantize(Decimal("0.01")), count


@transaction.atomic
def _finish(run: SegmentationRun, *, previous, pareto: list[dict], total: Decimal, count: int) -> None:
    now = timezone.now()
    updated = SegmentationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED,
        progress=100,
        finished_at=now,
        heartbeat_at=now,
        customer_count=count,
        total_revenue=total,
        pareto=pareto,
        previous_run=previous,
    )
    if not updated:
        raise RuntimeError(_("The run was failed while it computed (stale heartbeat)."))
    if run.make_live:
        _switch_live(run.pk)


def _switch_live(run_id: int) -> None:
    SegmentationRun.objects.filter(live=True).exclude(pk=run_id).update(live=False)
    SegmentationRun.objects.filter(pk=run_id).update(live=True)


@transaction.atomic
def make_live(*, actor, run: SegmentationRun) -> SegmentationRun:
    """Switch the live run to any succeeded run (admins only); atomic, so readers see one run or the other."""
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators may switch the live run."))
    run = SegmentationRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationError({"status": [_("Only a succeeded run can become live.")]})
    _switch_live(run.pk)
    run.refresh_from_db()
    return run


# --- nightly --------------------------------------------------------------------------------------


def nightly_recompute() -> SegmentationRun | None:
    """Start and compute a run with the default parameters as the system user, then sync dormancy."""
    from crm.services import get_system_user

    try:
        run = start_run(actor=get_system_user(), parameters={}, enqueue=False)
    except RunConflict:
        logger.warning("nightly segmentation skipped: a run is already queued or running")
        return None
    run = compute_run(run_id=run.pk)
    sync_dormancy(window_months=run.window_months if run else 12)
    return run


@transaction.atomic
def sync_dormancy(*, as_of: dt.date | None = None, window_months: int = 12) -> dict[str, int]:
    """current → dormant when no order in the window (as_of − W months, as_of]; dormant → current when an
    order came after the customer went dormant. Set-based: one INSERT … SELECT of the StageChange rows per
    direction, then one UPDATE of the customers they name, in one transaction, acting as the system user."""
    from crm.services import get_system_user
    from customers.models import Customer, Order, Stage, StageChange

    system = get_system_user()
    as_of = as_of or timezone.localdate()
    windows = Windows.for_run(as_of=as_of, window_months=window_months)
    now = timezone.now()
    in_window = Order.objects.filter(
        customer=OuterRef("pk"), ordered_at__gte=windows.window_start, ordered_at__lt=windows.window_end
    )
    went_dormant = (
        StageChange.objects.filter(customer=OuterRef("pk"), to_stage=Stage.DORMANT)
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    to_dormant = Customer.objects.filter(stage=Stage.CURRENT).exclude(Exists(in_window))
    to_current = (
        Customer.objects.filter(stage=Stage.DORMANT)
        .annotate(dormant_since=Coalesce(Subquery(went_dormant), "created_at"))
        .filter(
            Exists(
                Order.objects.filter(
                    customer=OuterRef("pk"), ordered_at__gt=OuterRef("dormant_since"), ordered_at__lt=windows.window_end
                )
            )
        )
    )
    counts = {}
    for label, queryset, from_stage, to_stage, reason in (
        ("to_dormant", to_dormant, Stage.CURRENT, Stage.DORMANT, _("No order in the last %(months)s months.")),
        ("to_current", to_current, Stage.DORMANT, Stage.CURRENT, _("A new order after dormancy.")),
    ):
        reason = reason % {"months": window_months} if "%(months)s" in reason else reason
        select_sql, select_params = queryset.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            columns = "customer_id, from_stage, to_stage, changed_by_id, changed_at, reason"
            insert = f"INSERT INTO {_table(StageChange)} ({columns}) SELECT id, %s, %s, %s, %s, %s"  # noqa: S608
            insert += f" FROM {_table(Customer)} WHERE id IN ({select_sql})"
            cursor.execute(
                insert,
                [
                    str(from_stage),
                    str(to_stage),
                    system.pk,
                    connection.ops.adapt_datetimefield_value(now),
                    reason[:500],
                    *select_params,
                ],
            )
        moved = StageChange.objects.filter(
            changed_by=system, changed_at=now, from_stage=from_stage, to_stage=to_stage
        ).values("customer_id")
        counts[label] = Customer.objects.filter(pk__in=moved, stage=from_stage).update(stage=to_stage, updated_at=now)
    return counts
