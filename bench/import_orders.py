"""Benchmark the orders CSV import: generate N orders as CSV, import them through the project's import path.

Usage: DATABASE_URL=postgres://... .venv/bin/python bench/import_orders.py [--rows 1000000] [--customers 10000]

Prints rows/s (import only, not generation) and the process's peak RSS. Target: ≥ 50,000 rows/s and peak
RSS < 300 MB, flat in N. The benchmark's orders and customers are removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from crm.services import get_system_user  # noqa: E402
from customers.models import Customer, Order  # noqa: E402
from customers.services.orders import import_orders  # noqa: E402

SOURCE = "bench"
PREFIX = "BENCH-C"


SQL_TIMES: dict[str, list[float]] = {}
BACKEND: dict[str, int] = {}


def timer(execute, sql, params, many, context):
    """Wall and backend CPU time of each statement kind the import runs (the COPY chunks are not
    statements here: they are the rest)."""
    started = time.perf_counter()
    cpu = backend_cpu_seconds(BACKEND["pid"]) if BACKEND else None
    try:
        return execute(sql, params, many, context)
    finally:
        kind = " ".join(sql.split()[:3])[:40]
        entry = SQL_TIMES.setdefault(kind, [0.0, 0.0])
        entry[0] += time.perf_counter() - started
        if cpu is not None:
            entry[1] += backend_cpu_seconds(BACKEND["pid"]) - cpu


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time of the PostgreSQL backend serving us, when it runs on this machine (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_customers(count: int, owner) -> None:
    existing = Customer.objects.filter(external_ref__startswith=PREFIX).count()
    if existing >= count:
        return
    Customer.objects.bulk_create(
        [
            Customer(name=f"Bench customer {n}", external_ref=f"{PREFIX}{n:07d}", owner=owner, stage="current")
            for n in range(existing, count)
        ],
        batch_size=5000,
    )


def clear_orders() -> None:
    """Remove the bench orders and rebuild the table's indexes, so a run never measures the dead entries
    (bloated indexes) an earlier run left behind."""
    qs = Order.objects.filter(source=SOURCE)
    qs._raw_delete(qs.db)  # a plain DELETE: nothing refers to bench orders
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_order")
        cursor.execute("REINDEX TABLE customers_order")


def write_csv(path: Path, rows: int, customers: int) -> None:
    rng = random.Random(42)
    start = datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: the importer reads local time
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("customer_ref,ordered_at,amount,cost,external_ref\n")
        buffer = []
        for n in range(rows):
            # Pareto skew: a few customers carry most orders.
            customer = min(int(rng.paretovariate(1.16)) - 1, customers - 1)
            when = start + timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
            cents = rng.randrange(1000, 5_000_000)
            buffer.append(
                f"{PREFIX}{customer:07d},{when:%Y-%m-%d %H:%M:%S},{cents // 100}.{cents % 100:02d},"
                f"{cents * 6 // 1000}.{cents * 6 // 10 % 100:02d},B{n}\n"
            )
            if len(buffer) >= 10000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the imported orders and bench customers")
    args = parser.parse_args()

    print(f"load average:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start ({os.cpu_count()} CPUs)")
    call_command("migrate", verbosity=0)
    actor = get_system_user()
    ensure_customers(args.customers, actor)
    clear_orders()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        started = time.perf_counter()
        write_csv(path, args.rows, args.customers)
        generated = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        rss_before = peak_rss_mb()
        load_before = os.getloadavg()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        BACKEND["pid"] = backend
        server_before = backend_cpu_seconds(backend)
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        with path.open("rb") as stream, connection.execute_wrapper(timer):
            report = import_orders(actor=actor, stream=stream, source=SOURCE)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        server_after = backend_cpu_seconds(backend)
    if not (report.committed and report.created == args.rows):
        sys.exit(f"import failed: created {report.created}, errors {report.errors[:5]}")
    print(f"database:        {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"rows:            {args.rows:,} ({size_mb:,.1f} MB CSV, generated in {generated:.1f} s)")
    print(f"imported:        {report.created:,} in {elapsed:.2f} s")
    print(f"rows/s:          {args.rows / elapsed:,.0f}")
    print(f"peak RSS:        {peak_rss_mb():,.1f} MB (before the import: {rss_before:,.1f} MB)")
    print(f"Python CPU:      {cpu:.2f} s ({args.rows / cpu:,.0f} rows per Python CPU-second)")
    if server_before is not None and server_after is not None:
        server = server_after - server_before
        print(f"server CPU:      {server:.2f} s ({args.rows / server:,.0f} rows per backend CPU-second)")
        print(
            f"CPU-bound rate:  {args.rows / max(cpu, server):,.0f} rows/s with client and server each on its own core"
        )
    for kind, (seconds, server_seconds) in sorted(SQL_TIMES.items(), key=lambda item: -item[1][0])[:6]:
        print(f"  SQL {kind:<40} {seconds:6.2f} s wall, {server_seconds:6.2f} s backend CPU")
    print(f"load average:    {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")
    if not args.keep:
        clear_orders()


if __name__ == "__main__":
    main()
