"""Benchmark of the segmentation run against a one-statement ABC reference (PostgreSQL only).

    DATABASE_URL=postgres://... .venv/bin/python bench/segmentation.py --customers 100000 --orders 1000000

Generates customers and Pareto-skewed orders over 24 months with SQL generate_series (owned by a bench user),
then times (a) the project's whole `compute_run` (assignments, dashboard aggregates, Pareto curve, make-live)
and (b) the plain reference: one INSERT … SELECT computing only the ABC classes into a scratch table; checks
the classes agree on every customer; prints both times, the peak RSS of this process and `ratio: a/b` last.
The generated data is deleted at the end unless --keep is given; `--reuse --keep` times again on kept data
(generating 1M customers and 10M orders takes minutes), dropping the earlier bench runs but the live one.
Runs are started as the system user (as the nightly recompute is); the load average is printed with the
figures, since timings on a busy machine say little.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, models  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.models import Role, User  # noqa: E402
from crm.services import get_system_user  # noqa: E402
from customers.models import Customer, Order  # noqa: E402
from segmentation import services  # noqa: E402
from segmentation.models import SegmentationRun, SegmentStat, TierAssignment  # noqa: E402
from segmentation.windows import Windows  # noqa: E402

BENCH_USER = "bench-segmentation"
REFERENCE_TABLE = "bench_abc_reference"


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def customer_columns() -> tuple[list[str], list[str]]:
    """Column names and SQL expressions for every concrete customer field (blank defaults where not null)."""
    special = {
        "name": "'Bench customer ' || g",
        "stage": "'current'",
        "owner": "%(owner)s",
        "monthly_purchase_volume": "CASE WHEN g %% 3 = 0 THEN round((random() * 5000)::numeric, 2) END",
        "created_at": "now()",
        "updated_at": "now()",
    }
    names, values = [], []
    for field in Customer._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(connection.ops.quote_name(field.column))
        if field.name in special:
            values.append(special[field.name])
        elif field.null:
            values.append("NULL")
        elif isinstance(field, models.BooleanField):
            values.append("false")
        else:
            values.append("''")
    return names, values


def generate(customers: int, orders: int) -> User:
    owner, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"role": Role.REP})
    names, values = customer_columns()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(Customer)} ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %(n)s) AS g",
            {"owner": owner.pk, "n": customers},
        )
        cursor.execute(f"SELECT min(id), max(id) FROM {table(Customer)} WHERE owner_id = %s", [owner.pk])
        low, high = cursor.fetchone()
        # Pareto skew: customer index = n × u³ puts most orders on the first customers; 24 months of dates.
        cursor.execute(
            f"""INSERT INTO {table(Order)} (customer_id, ordered_at, amount, cost, source, external_ref, created_at)
                SELECT %(low)s + floor((%(span)s) * power(random(), 3))::bigint,
                       now() - random() * interval '730 days',
                       a, round(a * 0.6, 2), 'bench', NULL, now()
                FROM (SELECT round((10 + random() * 990)::numeric, 2) AS a FROM generate_series(1, %(n)s)) AS s""",
            {"low": low, "span": high - low + 1, "n": orders},
        )
        cursor.execute(f"ANALYZE {table(Customer)}")
        cursor.execute(f"ANALYZE {table(Order)}")
    print(f"generated {customers:,} customers and {orders:,} orders in {time.perf_counter() - t0:.1f} s")
    return owner


def cleanup(owner: User) -> None:
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        runs = list(SegmentationRun.objects.filter(started_by=owner).values_list("pk", flat=True))
        SegmentationRun.objects.filter(previous_run__in=runs).update(previous_run=None)
        services.discard_assignments(runs)
        cursor.execute(f"DELETE FROM {table(SegmentStat)} WHERE run_id = ANY(%s)", [runs])
        SegmentationRun.objects.filter(pk__in=runs).delete()
        cursor.execute(
            f"DELETE FROM {table(Order)} WHERE customer_id IN (SELECT id FROM {table(Customer)} WHERE owner_id = %s)",
            [owner.pk],
        )
        history = connection.ops.quote_name(Customer.history.model._meta.db_table)
        cursor.execute(f"DELETE FROM {history} WHERE owner_id = %s", [owner.pk])
        cursor.execute(f"DELETE FROM {table(Customer)} WHERE owner_id = %s", [owner.pk])
        cursor.execute(f"DROP TABLE IF EXISTS {REFERENCE_TABLE}")
    owner.delete()
    with connection.cursor() as cursor:  # give the space back (autocommit: VACUUM cannot run in a transaction)
        for model in (Order, Customer):  # a run's assignments went with its partition
            cursor.execute(f"VACUUM {table(model)}")
    print(f"deleted the generated data in {time.perf_counter() - t0:.1f} s")


def drop_old_runs(owner: User) -> None:
    """Before timing again on kept data: drop the earlier bench runs but the live one (the previous run a
    nightly recompute compares against), so the assignments table does not grow with every reuse."""
    runs = list(SegmentationRun.objects.filter(started_by=owner, live=False).values_list("pk", flat=True))
    SegmentationRun.objects.filter(previous_run__in=runs).update(previous_run=None)
    services.discard_assignments(runs)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table(SegmentStat)} WHERE run_id = ANY(%s)", [runs])
    SegmentationRun.objects.filter(pk__in=runs).delete()


def quiesce() -> None:
    """Wait (up to two minutes) until no autovacuum worker runs: one starts on a run's fresh million rows and
    would otherwise slow whatever is timed next."""
    deadline = time.monotonic() + 120
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
            if not cursor.fetchone()[0]:
                return
            time.sleep(1)


def time_compute(owner: User) -> tuple[float, SegmentationRun]:
    # a fresh run each time: runs are immutable
    SegmentationRun.objects.filter(status__in=["queued", "running"]).update(status="failed")
    # started as the system user, as the nightly recompute does (the bench user is a rep)
    run = services.start_run(actor=get_system_user(), parameters={}, enqueue=False)
    SegmentationRun.objects.filter(pk=run.pk).update(started_by=owner)
    t0 = time.perf_counter()
    run = services.compute_run(run_id=run.pk)
    elapsed = time.perf_counter() - t0
    if run.status != "succeeded":
        sys.exit(f"run failed: {run.error}")
    return elapsed, run


def time_reference(run: SegmentationRun) -> float:
    windows = Windows.for_run(as_of=run.as_of, window_months=run.window_months)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {REFERENCE_TABLE}")
        cursor.execute(f"CREATE TABLE {REFERENCE_TABLE} (customer_id bigint, abc_class char(1))")
        t0 = time.perf_counter()
        cursor.execute(
            f"""INSERT INTO {REFERENCE_TABLE} (customer_id, abc_class)
                SELECT customer_id,
                       CASE WHEN revenue > 0 AND running - revenue < 0.80 * total THEN 'A'
                            WHEN revenue > 0 AND running - revenue < 0.95 * total THEN 'B' ELSE 'C' END
                FROM (SELECT customer_id, revenue,
                             SUM(revenue) OVER (ORDER BY revenue DESC, customer_id ROWS UNBOUNDED PRECEDING) AS running,
                             SUM(revenue) OVER () AS total
                      FROM (SELECT customer_id, SUM(amount) AS revenue FROM {table(Order)}
                            WHERE ordered_at >= %s AND ordered_at < %s GROUP BY customer_id) AS g) AS r""",
            [windows.window_start, windows.window_end],
        )
        return time.perf_counter() - t0


def disagreements(run: SegmentationRun) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*) FROM {table(TierAssignment)} t
                LEFT JOIN {REFERENCE_TABLE} r ON r.customer_id = t.customer_id
                WHERE t.run_id = %s AND t.abc_class <> COALESCE(r.abc_class, 'C')""",
            [run.pk],
        )
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="time each side this many times (median)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--cleanup-only", action="store_true", help="delete data kept by an earlier --keep")
    parser.add_argument("--reuse", action="store_true", help="time again on data kept by an earlier --keep")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/segmentation.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    kept = User.objects.filter(username=BENCH_USER).first()
    if kept is not None and args.reuse:
        owner = kept
        drop_old_runs(owner)
        args.customers = Customer.objects.filter(owner=owner).count()
        args.orders = Order.objects.filter(customer__owner=owner).count()
    else:
        if kept is not None:
            cleanup(kept)
        if args.cleanup_only:
            return
        owner = generate(args.customers, args.orders)
    try:
        computed, references, runs = [], [], []
        for _ in range(args.repeat):
            quiesce()
            elapsed, run = time_compute(owner)
            computed.append(elapsed)
            runs.append(run)
            quiesce()
            references.append(time_reference(run))
            print(f"  compute_run {elapsed:.2f} s · reference {references[-1]:.2f} s")
        run = runs[-1]
        wrong = disagreements(run)
        a, b = statistics.median(computed), statistics.median(references)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"customers: {args.customers:,}  orders: {args.orders:,}  as_of: {run.as_of}")
        print(f"(a) compute_run (everything, aggregates included): {a:.2f} s")
        print(f"(b) reference ABC INSERT … SELECT: {b:.2f} s")
        print(f"ABC classes agree on every customer: {'yes' if wrong == 0 else f'NO ({wrong} differ)'}")
        print(f"peak RSS: {rss_mb:.0f} MB")
        print(f"at {timezone.now():%Y-%m-%d %H:%M} UTC, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"ratio: {a / b:.2f}")
    finally:
        if not args.keep:
            cleanup(owner)


if __name__ == "__main__":
    main()
