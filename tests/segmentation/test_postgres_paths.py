"""The PostgreSQL-only paths of a run: each run's assignments are a partition of their own (migration 0009),
attached when the run succeeds (test_runs checks it is dropped when the run fails), rows written through the
ORM land in the default partition; and the R, F and M tile cuts found from bucket counts instead of sorts."""

import os
import re

import pytest
from django.db import connection

from segmentation import services
from segmentation.models import TierAssignment
from tests.segmentation.conftest import local
from tests.segmentation.test_random_ties import ntile

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="partitions exist on PostgreSQL only"
    ),
]

TABLE = TierAssignment._meta.db_table


def partitions() -> dict[str, str]:
    """{partition: its bound} of the assignments table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
               JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass""",
            [TABLE],
        )
        return dict(cursor.fetchall())


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def indexes(name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [name])
        return [row[0] for row in cursor.fetchall()]


def test_a_run_attaches_its_own_indexed_partition(org, ledger, compute):
    big, small, idle = ledger.customer(), ledger.customer(), ledger.customer()
    ledger.order(big, local(2024, 3, 1), "500.00")
    ledger.order(small, local(2024, 4, 1), "20.00")
    run, rows = compute(as_of="2024-06-30")

    partition = services.assignment_partition(run.pk)
    assert partitions()[partition] == f"FOR VALUES IN ('{run.pk}')"
    assert partitions()[f"{TABLE}_default"] == "DEFAULT"
    definitions = " ".join(indexes(partition))
    assert "UNIQUE" in definitions and "(run_id, customer_id)" in definitions
    assert "(run_id, revenue_rank) WHERE (revenue_rank <= 5000)" in definitions
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {partition}")  # noqa: S608 - a fixed table name
        assert cursor.fetchone()[0] == 3
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}_default WHERE run_id = %s", [run.pk])  # noqa: S608
        assert cursor.fetchone()[0] == 0
    # ids: run × 2³² + revenue rank, clear of the ORM's sequence (capped below 2³²)
    assert {rows[c.pk].pk for c in (big, small, idle)} == {run.pk * 2**32 + rank for rank in (1, 2, 3)}
    assert rows[big.pk].pk == run.pk * 2**32 + rows[big.pk].revenue_rank


def test_rows_written_through_the_orm_go_to_the_default_partition_and_are_discarded(org, ledger):
    customer = ledger.customer()
    run = services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"}, enqueue=False)
    row = TierAssignment.objects.create(
        run=run,
        customer=customer,
        revenue="1.00",
        previous_revenue="0.00",
        abc_class="A",
        bcg_quadrant="star",
        profit="1.00",
    )
    assert row.pk < 2**32
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}_default WHERE run_id = %s", [run.pk])  # noqa: S608
        assert cursor.fetchone()[0] == 1
    services.discard_assignments([run.pk])
    assert not TierAssignment.objects.filter(run=run).exists()


@pytest.mark.parametrize("rows", [0, 1, 3, 7, 3000])
def test_tile_cuts_split_each_order_exactly_where_ntile_does(rows):
    """The R, F and M cuts against NTILE(5) computed in Python, on rows with heavy ties, ids spread over many
    coarse buckets and revenues from 0 to beyond 2⁴⁰ cents."""
    import random

    rng = random.Random(rows)
    ids = rng.sample(range(1, 10_000_000), rows)
    data = [
        (
            customer,
            rng.choice([0, 1, 2, 3]),  # frequency: big ties across id buckets
            rng.choice([0, 5, 5, 30, 400]),  # recency_days
            rng.choice([None, 0, 1000, 1001, 65_536, 2**40 + 7, rng.randrange(1, 2**45)]),  # revenue in cents
        )
        for customer in ids
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {services.RUN_ORDERS_TABLE} (customer_id bigint, frequency bigint, "
            "recency_days integer, revenue bigint)"
        )
        try:
            if data:
                cursor.executemany(f"INSERT INTO {services.RUN_ORDERS_TABLE} VALUES (%s, %s, %s, %s)", data)  # noqa: S608 - a fixed name
            params = services._tile_params(cursor)
        finally:
            cursor.execute(f"DROP TABLE {services.RUN_ORDERS_TABLE}")

    keys = {
        "r": lambda row: -row[2],
        "f": lambda row: row[1],
        "m": lambda row: row[3] or 0,
    }
    for name, key in keys.items():
        expected = ntile([row[0] for row in sorted(data, key=lambda row, key=key: (key(row), row[0]))])
        for row in data:
            before = [
                key(row) < params[f"{name}{tile}_key"]
                or (key(row) == params[f"{name}{tile}_key"] and row[0] < params[f"{name}{tile}_id"])
                for tile in range(2, 6)
            ]
            tile = next((tile for tile, is_before in zip(range(1, 5), before, strict=True) if is_before), 5)
            assert tile == expected[row[0]], (name, row)
    assert params["total"] == sum(row[3] or 0 for row in data)


def test_live_tier_reads_plan_only_the_live_runs_partition(org, ledger, compute):
    """Reads of the live tier name the live run's id, so the planner reads one partition: with a join on `live`
    it planned every run's (with 300 runs, 60 ms of planning per customer page, and JIT on top)."""
    from customers.forms import with_live_tier
    from customers.models import Customer
    from segmentation import selectors

    customer = ledger.customer()
    ledger.order(customer, local(2024, 3, 1), "10.00")
    old, _ = compute(as_of="2024-05-31")
    live, _ = compute(as_of="2024-06-30")
    plans = [
        with_live_tier(Customer.objects.filter(pk=customer.pk)).explain(),
        selectors._live_assignments().filter(customer_id=customer.pk).explain(),
    ]
    for plan in plans:
        named = set(re.findall(rf"{TABLE}_\w+", plan))
        assert services.assignment_partition(live.pk) in named
        assert services.assignment_partition(old.pk) not in named
    assert selectors.live_assignment(customer_id=customer.pk).run_id == live.pk
