"""Per-run aggregates behind the manager dashboard, written once when a run computes.

The dashboard reads these (a few hundred rows per scope) instead of scanning a run's million assignments per
request. Every table is keyed by owner (with the owner's team then) and territory, like SegmentStat, so a
rep, a manager's teams, one team or one territory is a plain sum of rows.

- RevenueBin: customers and revenue per tenth of a decade of revenue → the Pareto curve of any scope.
- BcgBin: customers per value × growth cell and quadrant → the BCG chart's density layer.
- StageCount: customers per lifecycle stage → the conversion panel.
- BcgTopPoint: the top customers by revenue per owner and territory → the BCG chart's points of any scope.
- FellFromA: customers that fell from A against the previous live run, the first few per owner and territory.

The run's assignments are joined once with their customers and owners into a narrow temporary table; each
aggregate is then one set-based INSERT … SELECT over it (PostgreSQL and SQLite alike; on SQLite, money is summed
in integer cents). The bins use LN and FLOOR, which Django registers on SQLite connections.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from segmentation.models import (
    BcgBin,
    BcgTopPoint,
    FellFromA,
    RevenueBin,
    SegmentationRun,
    StageCount,
    TierAssignment,
)

# bins per decade of revenue for the Pareto curve and the BCG value axis; growth bins per unit of growth
PARETO_BINS_PER_DECADE = 10
BCG_VALUE_BINS_PER_DECADE = 2
BCG_GROWTH_BINS_PER_UNIT = 4
BCG_GROWTH_BIN_MIN = -4  # growth ≥ −1 always (revenue ≥ 0)
BCG_GROWTH_BIN_MAX = 12  # growth of +300% and more shares the top bin
FELL_FROM_A_PER_CELL = 50
BCG_TOP_PER_CELL = 200

AGGREGATE_MODELS = (RevenueBin, BcgBin, BcgTopPoint, StageCount, FellFromA)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _log_bin(column: str, per_decade: int) -> str:
    # a tiny epsilon keeps exact powers of ten (1000.00) in the bin they start, despite binary rounding
    return f"CAST(FLOOR(LN(CAST({column} AS DOUBLE PRECISION)) * {per_decade} / LN(10) + 1e-9) AS INTEGER)"


def _money_sum(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"SUM({column})"
    return f"SUM(CAST(ROUND({column} * 100) AS INTEGER)) / 100.0"


SCOPE_TABLE = "segmentation_run_scope"  # a temporary table: the run's assignments with owner, team, territory


def _create_scope(cursor, run: SegmentationRun) -> None:
    """One join of the run's assignments with their customers and owners into a narrow temporary table that every
    aggregate then groups (instead of each re-joining a million assignments)."""
    from customers.models import Customer

    cursor.execute(f"DROP TABLE IF EXISTS {SCOPE_TABLE}")
    cursor.execute(
        f"""
CREATE TEMPORARY TABLE {SCOPE_TABLE} AS
SELECT t.customer_id, c.owner_id, u.team_id, c.territory_id, t.revenue, t.growth, t.abc_class, t.bcg_quadrant,
    t.revenue_rank
FROM {_table(TierAssignment)} t
JOIN {_table(Customer)} c ON c.id = t.customer_id
JOIN {_table(get_user_model())} u ON u.id = c.owner_id
WHERE t.run_id = %(run)s
""",  # noqa: S608 - table names only; values are bound
        {"run": run.pk},
    )
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {SCOPE_TABLE}")


def _insert_revenue_bins(cursor, run: SegmentationRun) -> None:
    value_bin = f"CASE WHEN t.revenue > 0 THEN {_log_bin('t.revenue', PARETO_BINS_PER_DECADE)} END"
    cursor.execute(
        f"""
INSERT INTO {_table(RevenueBin)} (run_id, owner_id, team_id, territory_id, value_bin, customers, revenue)
SELECT %(run)s, t.owner_id, t.team_id, t.territory_id, {value_bin}, COUNT(*), {_money_sum("t.revenue")}
FROM {SCOPE_TABLE} t
GROUP BY t.owner_id, t.team_id, t.territory_id, {value_bin}
""",  # noqa: S608 - table names and fixed fragments only; values are bound
        {"run": run.pk},
    )


def _insert_bcg_bins(cursor, run: SegmentationRun) -> None:
    value_bin = _log_bin("t.revenue", BCG_VALUE_BINS_PER_DECADE)
    per_unit = BCG_GROWTH_BINS_PER_UNIT
    growth_bin = (
        f"CASE WHEN t.growth IS NULL THEN NULL "
        f"WHEN t.growth >= {BCG_GROWTH_BIN_MAX / per_unit} THEN {BCG_GROWTH_BIN_MAX} "
        f"ELSE CAST(FLOOR(CAST(t.growth AS DOUBLE PRECISION) * {per_unit} + 1e-9) AS INTEGER) END"
    )
    cursor.execute(
        f"""
INSERT INTO {_table(BcgBin)} (run_id, owner_id, team_id, territory_id, value_bin, growth_bin, bcg_quadrant,
    customers)
SELECT %(run)s, t.owner_id, t.team_id, t.territory_id, {value_bin}, {growth_bin}, t.bcg_quadrant, COUNT(*)
FROM {SCOPE_TABLE} t
WHERE t.revenue > 0
GROUP BY t.owner_id, t.team_id, t.territory_id, {value_bin}, {growth_bin}, t.bcg_quadrant
""",  # noqa: S608 - table names and fixed fragments only; values are bound
        {"run": run.pk},
    )


def _insert_top_points(cursor, run: SegmentationRun) -> None:
    cursor.execute(
        f"""
INSERT INTO {_table(BcgTopPoint)} (run_id, owner_id, team_id, territory_id, customer_id, revenue, growth,
    abc_class, bcg_quadrant, revenue_rank)
SELECT %(run)s, owner_id, team_id, territory_id, customer_id, revenue, growth, abc_class, bcg_quadrant, revenue_rank
FROM (
    SELECT t.owner_id, t.team_id, t.territory_id, t.customer_id, t.revenue, t.growth, t.abc_class,
        t.bcg_quadrant, COALESCE(t.revenue_rank, 0) AS revenue_rank,
        ROW_NUMBER() OVER (PARTITION BY t.owner_id, t.territory_id ORDER BY t.revenue_rank, t.customer_id) AS n
    FROM {SCOPE_TABLE} t
    WHERE t.revenue > 0
) AS ranked
WHERE n <= %(cap)s
""",  # noqa: S608 - table names only; values are bound
        {"run": run.pk, "cap": BCG_TOP_PER_CELL},
    )


def _insert_stage_counts(cursor, run: SegmentationRun) -> None:
    from customers.models import Customer

    cursor.execute(
        f"""
INSERT INTO {_table(StageCount)} (run_id, owner_id, team_id, territory_id, stage, customers)
SELECT %(run)s, c.owner_id, u.team_id, c.territory_id, c.stage, COUNT(*)
FROM {_table(Customer)} c JOIN {_table(get_user_model())} u ON u.id = c.owner_id
GROUP BY c.owner_id, u.team_id, c.territory_id, c.stage
""",  # noqa: S608 - table names only; values are bound
        {"run": run.pk},
    )


def _insert_fell_from_a(cursor, run: SegmentationRun, previous: SegmentationRun) -> None:
    cursor.execute(
        f"""
INSERT INTO {_table(FellFromA)} (run_id, owner_id, team_id, territory_id, customer_id, abc_class, revenue,
    previous_revenue, revenue_rank)
SELECT %(run)s, owner_id, team_id, territory_id, customer_id, abc_class, revenue, previous_revenue, revenue_rank
FROM (
    SELECT t.owner_id, t.team_id, t.territory_id, t.customer_id, t.abc_class, t.revenue,
        p.revenue AS previous_revenue, COALESCE(t.revenue_rank, 0) AS revenue_rank,
        ROW_NUMBER() OVER (PARTITION BY t.owner_id, t.territory_id ORDER BY t.revenue_rank, t.customer_id) AS n
    FROM {SCOPE_TABLE} t
    JOIN {_table(TierAssignment)} p ON p.run_id = %(previous)s AND p.customer_id = t.customer_id
        AND p.abc_class = 'A'
    WHERE t.abc_class <> 'A'
) AS fell
WHERE n <= %(cap)s
""",  # noqa: S608 - table names only; values are bound
        {"run": run.pk, "previous": previous.pk, "cap": FELL_FROM_A_PER_CELL},
    )


def store_dashboard_aggregates(run: SegmentationRun, previous: SegmentationRun | None) -> None:
    """Write the run's dashboard aggregates (after its assignments; `previous` is the run live before it)."""
    with connection.cursor() as cursor:
        _create_scope(cursor, run)
        _insert_revenue_bins(cursor, run)
        _insert_bcg_bins(cursor, run)
        _insert_top_points(cursor, run)
        _insert_stage_counts(cursor, run)
        if previous is not None:
            _insert_fell_from_a(cursor, run, previous)
        cursor.execute(f"DROP TABLE {SCOPE_TABLE}")
        if connection.vendor == "postgresql":
            # fresh statistics, or the planner takes the new run's rows for a handful and scans all runs' rows
            for model in AGGREGATE_MODELS:
                cursor.execute(f"ANALYZE {_table(model)}")


def delete_dashboard_aggregates(run_ids) -> None:
    """Drop what unfinished runs wrote (a failed run leaves no aggregates behind)."""
    for model in AGGREGATE_MODELS:
        model.objects.filter(run_id__in=run_ids).delete()
