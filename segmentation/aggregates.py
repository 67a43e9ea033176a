"""Per-run aggregates behind the manager dashboard, written once when a run computes.

The dashboard reads these (a few hundred rows per scope) instead of scanning a run's million assignments per
request. Every table is keyed by owner (with the owner's team then) and territory, like SegmentStat, so a
rep, a manager's teams, one team or one territory is a plain sum of rows.

- RevenueBin: customers and revenue per tenth of a decade of revenue → the Pareto curve of any scope.
- BcgBin: customers per value × growth cell and quadrant → the BCG chart's density layer.
- StageCount: customers per lifecycle stage → the conversion panel.
- BcgTopPoint: the top customers by revenue per owner and territory → the BCG chart's points of any scope.
- FellFromA: customers that fell from A against the previous live run, the first few per owner and territory.

Each aggregate, and the run's SegmentStat rows, is one set-based INSERT … SELECT grouping a relation with one row
per customer of the run (SCOPE_COLUMNS): on PostgreSQL the run's own statement runs them as data-modifying CTEs
over the rows it has just computed, so nothing re-reads the million assignments; on SQLite the assignments are
joined once with their customers, owners and previous assignments into a temporary table (money summed in integer
cents there). The bins use LN and FLOOR, which Django registers on SQLite connections.
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
    SegmentStat,
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
# Revenue ranks in doubling buckets from RANK_BUCKET_BASE: each cell's top points are ranked among its rows in
# the first buckets that hold enough of them, not among all its rows
RANK_BUCKET_BASE = 1000
RANK_BUCKETS = 22

AGGREGATE_MODELS = (RevenueBin, BcgBin, BcgTopPoint, StageCount, FellFromA)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _log_bin(column: str, per_decade: int) -> str:
    # a tiny epsilon keeps exact powers of ten (1000.00) in the bin they start, despite binary rounding
    return f"CAST(FLOOR(LN({column}) * {per_decade} / LN(10) + 1e-9) AS INTEGER)"


def _money_sum(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"SUM({column})"
    return f"SUM(CAST(ROUND({column} * 100) AS INTEGER)) / 100.0"


SCOPE_TABLE = "segmentation_run_scope"  # SQLite: a temporary table of the run's assignments with their scope

# The relation every aggregate groups: one row per customer of the run with these columns (PostgreSQL: the
# run's statement provides them as a CTE; SQLite: `_create_scope` joins them into SCOPE_TABLE).
SCOPE_COLUMNS = (
    "customer_id, owner_id, team_id, territory_id, stage, revenue, revenue_float, growth, abc_class, bcg_quadrant, "
    "revenue_rank, previous_abc_class, previous_bcg_quadrant, previous_run_revenue"
)  # revenue_float: the revenue as a double, for the logarithmic bins; the last three are the previous live run's


GROUPED = "segmentation_run_grouped"  # the grouped pass: a CTE on PostgreSQL, a temporary table on SQLite


def _rank_bucket(column: str) -> str:
    """The doubling bucket of a revenue rank: 0 up to RANK_BUCKET_BASE, 1 up to twice that, …"""
    whens = " ".join(f"WHEN {column} <= {RANK_BUCKET_BASE << k} THEN {k}" for k in range(RANK_BUCKETS))
    return f"CASE {whens} ELSE {RANK_BUCKETS} END"


def _groupings() -> dict[str, dict[str, str]]:
    """The groupings the aggregates read, each {output column: expression over the scope `t`}."""
    cell = {"owner_id": "t.owner_id", "team_id": "t.team_id", "territory_id": "t.territory_id"}
    per_unit = BCG_GROWTH_BINS_PER_UNIT
    return {
        "stats": {
            **cell,
            "abc_class": "t.abc_class",
            "bcg_quadrant": "t.bcg_quadrant",
            "previous_abc_class": "COALESCE(t.previous_abc_class, '')",
            "previous_bcg_quadrant": "COALESCE(t.previous_bcg_quadrant, '')",
        },
        "revenue_bins": {
            **cell,
            "value_bin": f"CASE WHEN t.revenue > 0 THEN {_log_bin('t.revenue_float', PARETO_BINS_PER_DECADE)} END",
        },
        "bcg_bins": {
            **cell,
            # the cells of customers without revenue are grouped too, and skipped: a bin of null
            "bcg_value_bin": (
                f"CASE WHEN t.revenue > 0 THEN {_log_bin('t.revenue_float', BCG_VALUE_BINS_PER_DECADE)} END"
            ),
            "growth_bin": (
                f"CASE WHEN t.growth IS NULL THEN NULL "
                f"WHEN t.growth >= {BCG_GROWTH_BIN_MAX / per_unit} THEN {BCG_GROWTH_BIN_MAX} "
                f"ELSE CAST(FLOOR(CAST(t.growth AS DOUBLE PRECISION) * {per_unit} + 1e-9) AS INTEGER) END"
            ),
            "bcg_quadrant": "t.bcg_quadrant",
        },
        "stage_counts": {**cell, "stage": "t.stage"},
        "cells": {
            "owner_id": "t.owner_id",
            "territory_key": "COALESCE(t.territory_id, 0)",
            "rank_bucket": _rank_bucket("t.revenue_rank"),
        },
    }


def grouped_select(source: str) -> str:
    """One pass over `source` (SCOPE_COLUMNS) giving every grouping the aggregates read, a `kind` column naming
    it: GROUPING SETS on PostgreSQL, one GROUP BY per grouping joined by UNION ALL on SQLite."""
    groupings = _groupings()
    columns: dict[str, str] = {}
    for grouping in groupings.values():
        for name, expression in grouping.items():
            if columns.setdefault(name, expression) != expression:
                raise ValueError(f"{name} is grouped by two expressions")
    measures = (
        f"COUNT(*) AS customers, {_money_sum('t.revenue')} AS revenue, "
        "COUNT(*) FILTER (WHERE t.revenue > 0) AS positive"
    )
    if connection.vendor == "postgresql":
        names = list(columns)
        # GROUPING() sets the bit of each argument a row is not grouped by, the first argument's highest
        masks = {
            kind: sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in grouping)
            for kind, grouping in groupings.items()
        }
        kind = " ".join(f"WHEN {mask} THEN '{kind}'" for kind, mask in masks.items())
        sets = ", ".join(f"({', '.join(grouping.values())})" for grouping in groupings.values())
        return f"""SELECT CASE GROUPING({", ".join(columns.values())}) {kind} END AS kind,
    {", ".join(f"{expression} AS {name}" for name, expression in columns.items())}, {measures}
FROM {source} t
GROUP BY GROUPING SETS ({sets})"""  # noqa: S608 - table names and fixed fragments only
    branches = []
    for kind, grouping in groupings.items():
        selected = ", ".join(f"{grouping.get(name, 'NULL')} AS {name}" for name in columns)
        branches.append(
            f"SELECT '{kind}' AS kind, {selected}, {measures} FROM {source} t "  # noqa: S608 - fixed fragments only
            f"GROUP BY {', '.join(grouping.values())}"
        )
    return "\nUNION ALL\n".join(branches)


def aggregate_statements(source: str) -> list[tuple[str, str]]:
    """(name, INSERT … SELECT) of the run's SegmentStat rows and of each dashboard aggregate, from GROUPED (the
    relation of `grouped_select`) and, for the top points and the customers that fell from A, `source` (a
    relation with SCOPE_COLUMNS). Bound parameters: `aggregate_params`."""
    grouped = GROUPED
    cell = "t.owner_id, t.team_id, t.territory_id"
    first_in_cell = "ROW_NUMBER() OVER (PARTITION BY t.owner_id, t.territory_id ORDER BY t.revenue_rank, t.customer_id)"
    # noqa below: S608 - table names and fixed fragments only; every value is a bound parameter
    return [
        (
            "stats",
            f"""INSERT INTO {_table(SegmentStat)} (run_id, owner_id, team_id, territory_id, abc_class, bcg_quadrant,
    previous_abc_class, previous_bcg_quadrant, customers, revenue)
SELECT %(run)s, {cell}, t.abc_class, t.bcg_quadrant, t.previous_abc_class, t.previous_bcg_quadrant, t.customers,
    t.revenue
FROM {grouped} t WHERE t.kind = 'stats'""",  # noqa: S608
        ),
        (
            "revenue_bins",
            f"""INSERT INTO {_table(RevenueBin)} (run_id, owner_id, team_id, territory_id, value_bin, customers,
    revenue)
SELECT %(run)s, {cell}, t.value_bin, t.customers, t.revenue
FROM {grouped} t WHERE t.kind = 'revenue_bins'""",  # noqa: S608
        ),
        (
            "bcg_bins",
            f"""INSERT INTO {_table(BcgBin)} (run_id, owner_id, team_id, territory_id, value_bin, growth_bin,
    bcg_quadrant, customers)
SELECT %(run)s, {cell}, t.bcg_value_bin, t.growth_bin, t.bcg_quadrant, t.positive
FROM {grouped} t WHERE t.kind = 'bcg_bins' AND t.bcg_value_bin IS NOT NULL""",  # noqa: S608
        ),
        (
            "top_points",
            # The first rows of each cell by rank, without sorting a million: per cell, the first rank buckets
            # that hold top_cap of its rows (or all it has) bound the rows ranked.
            f"""INSERT INTO {_table(BcgTopPoint)} (run_id, owner_id, team_id, territory_id, customer_id, revenue,
    growth, abc_class, bcg_quadrant, revenue_rank)
SELECT %(run)s, owner_id, team_id, territory_id, customer_id, revenue, growth, abc_class, bcg_quadrant, revenue_rank
FROM (
    SELECT {cell}, t.customer_id, t.revenue, t.growth, t.abc_class, t.bcg_quadrant,
        COALESCE(t.revenue_rank, 0) AS revenue_rank, {first_in_cell} AS n
    FROM {source} t
    JOIN (
        SELECT owner_id, territory_key, MIN(rank_bucket) AS last_bucket FROM (
            SELECT owner_id, territory_key, rank_bucket,
                SUM(positive) OVER (PARTITION BY owner_id, territory_key ORDER BY rank_bucket) AS running,
                SUM(positive) OVER (PARTITION BY owner_id, territory_key) AS positive
            FROM {grouped} WHERE kind = 'cells'
        ) AS buckets
        WHERE positive > 0 AND running >= CASE WHEN positive < %(top_cap)s THEN positive ELSE %(top_cap)s END
        GROUP BY owner_id, territory_key
    ) AS reach ON reach.owner_id = t.owner_id AND reach.territory_key = COALESCE(t.territory_id, 0)
    WHERE t.revenue > 0 AND {_rank_bucket("t.revenue_rank")} <= reach.last_bucket
) AS ranked
WHERE n <= %(top_cap)s""",  # noqa: S608
        ),
        (
            "stage_counts",
            f"""INSERT INTO {_table(StageCount)} (run_id, owner_id, team_id, territory_id, stage, customers)
SELECT %(run)s, {cell}, t.stage, t.customers
FROM {grouped} t WHERE t.kind = 'stage_counts'""",  # noqa: S608
        ),
        (
            "fell_from_a",
            f"""INSERT INTO {_table(FellFromA)} (run_id, owner_id, team_id, territory_id, customer_id, abc_class,
    revenue, previous_revenue, revenue_rank)
SELECT %(run)s, owner_id, team_id, territory_id, customer_id, abc_class, revenue, previous_run_revenue, revenue_rank
FROM (
    SELECT {cell}, t.customer_id, t.abc_class, t.revenue, t.previous_run_revenue,
        COALESCE(t.revenue_rank, 0) AS revenue_rank, {first_in_cell} AS n
    FROM {source} t
    WHERE t.previous_abc_class = 'A' AND t.abc_class <> 'A'
) AS fell
WHERE n <= %(fell_cap)s""",  # noqa: S608
        ),
    ]


def aggregate_params(run: SegmentationRun) -> dict:
    return {"run": run.pk, "top_cap": BCG_TOP_PER_CELL, "fell_cap": FELL_FROM_A_PER_CELL}


def _create_scope(cursor, run: SegmentationRun, previous: SegmentationRun | None) -> None:
    """SQLite: one join of the run's assignments with their customers, owners and previous assignments into a
    narrow temporary table with SCOPE_COLUMNS, which every aggregate then groups."""
    from customers.models import Customer

    cursor.execute(f"DROP TABLE IF EXISTS {SCOPE_TABLE}")
    cursor.execute(
        f"""
CREATE TEMPORARY TABLE {SCOPE_TABLE} AS
SELECT t.customer_id, c.owner_id, u.team_id, c.territory_id, c.stage, t.revenue,
    CAST(t.revenue AS DOUBLE PRECISION) AS revenue_float, t.growth, t.abc_class,
    t.bcg_quadrant, t.revenue_rank, p.abc_class AS previous_abc_class, p.bcg_quadrant AS previous_bcg_quadrant,
    p.revenue AS previous_run_revenue
FROM {_table(TierAssignment)} t
JOIN {_table(Customer)} c ON c.id = t.customer_id
JOIN {_table(get_user_model())} u ON u.id = c.owner_id
LEFT JOIN {_table(TierAssignment)} p ON p.run_id = %(previous)s AND p.customer_id = t.customer_id
WHERE t.run_id = %(run)s
""",  # noqa: S608 - table names only; values are bound
        {"run": run.pk, "previous": previous.pk if previous else None},
    )


def store_dashboard_aggregates(run: SegmentationRun, previous: SegmentationRun | None) -> None:
    """Write the run's stats and dashboard aggregates (after its assignments; `previous` is the run live before
    it). On PostgreSQL the run's statement wrote them already, from the rows it computed: only statistics here."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # fresh statistics, or the planner takes the new run's rows for a handful and scans all runs' rows
            for model in AGGREGATE_MODELS:
                cursor.execute(f"ANALYZE {_table(model)}")
            return
        params = aggregate_params(run)
        _create_scope(cursor, run, previous)
        cursor.execute(f"DROP TABLE IF EXISTS {GROUPED}")
        cursor.execute(f"CREATE TEMPORARY TABLE {GROUPED} AS {grouped_select(SCOPE_TABLE)}", params)
        for _name, sql in aggregate_statements(SCOPE_TABLE):
            cursor.execute(sql, params)
        cursor.execute(f"DROP TABLE {GROUPED}")
        cursor.execute(f"DROP TABLE {SCOPE_TABLE}")


def delete_dashboard_aggregates(run_ids) -> None:
    """Drop what unfinished runs wrote (a failed run leaves no aggregates behind)."""
    for model in AGGREGATE_MODELS:
        model.objects.filter(run_id__in=run_ids).delete()
