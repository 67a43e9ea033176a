"""Server time of the manager dashboard and its API at scale (PostgreSQL only).

    DATABASE_URL=postgres://... .venv/bin/python bench/dashboard.py --customers 100000 --orders 1000000

Generates customers and Pareto-skewed orders with bench/segmentation.py's generator (imported, not copied),
spreads the customers over 5 teams × 10 reps and 5 territories, adds two weeks of visits and daily reports,
computes two segmentation runs (so the migration panel has a previous run), then requests /dashboard/ and
every /api/v1/dashboard/... endpoint in-process with Django's test Client, as the admin (whole company), a
manager (their team), the admin filtered by team and by territory, and prints p50 / p95 per path.
The generated data is deleted at the end unless --keep is given (--reuse times again on kept data).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

# bench/segmentation.py sets Django up and holds the generator; loaded by path (the app is also "segmentation")
_spec = importlib.util.spec_from_file_location("bench_segmentation", HERE / "segmentation.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.models import Role, Team, Territory, User  # noqa: E402
from customers.models import Customer  # noqa: E402
from salesforce_auto.models import DailyReport, VisitReport  # noqa: E402

PREFIX = "bench-dash"
TEAMS, REPS_PER_TEAM, TERRITORIES = 5, 10, 5
PATHS = [
    "/dashboard/",
    "/api/v1/dashboard/tiers/",
    "/api/v1/dashboard/bcg/",
    "/api/v1/dashboard/migration/",
    "/api/v1/dashboard/activity/",
    "/api/v1/dashboard/conversion/",
    "/api/v1/dashboard/pipeline/",
    "/api/v1/dashboard/complaints/",
]


def build_org(owner: User) -> dict:
    """Teams, managers, reps and territories; the generated customers are dealt out to the reps round-robin."""
    teams, reps, territories = [], [], []
    for t in range(TEAMS):
        manager = User.objects.create_user(username=f"{PREFIX}-manager-{t}", role=Role.MANAGER)
        team = Team.objects.create(name=f"{PREFIX} team {t}", manager=manager)
        teams.append(team)
        territories.append(Territory.objects.create(code=f"{PREFIX}-{t}", name=f"{PREFIX} {t}", team=team))
        for r in range(REPS_PER_TEAM):
            reps.append(User.objects.create_user(username=f"{PREFIX}-rep-{t}-{r}", role=Role.REP, team=team))
    rep_ids = [rep.pk for rep in reps]
    territory_ids = [territory.pk for territory in territories]
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {generator.table(Customer)} SET
                    owner_id = (%(reps)s::bigint[])[1 + id %% %(n_reps)s],
                    territory_id = (%(territories)s::bigint[])[1 + (id / 7) %% %(n_territories)s],
                    stage = (ARRAY['potential', 'target', 'current', 'current', 'dormant'])[1 + (id / 3) %% 5]
                WHERE owner_id = %(owner)s""",  # noqa: S608 - table name only; values are bound
            {
                "reps": rep_ids,
                "n_reps": len(rep_ids),
                "territories": territory_ids,
                "n_territories": len(territory_ids),
                "owner": owner.pk,
            },
        )
        cursor.execute(f"ANALYZE {generator.table(Customer)}")
    print(f"dealt the customers to {len(reps)} reps in {TEAMS} teams in {time.perf_counter() - t0:.1f} s")
    add_activity(reps)
    return {"teams": teams, "reps": reps, "territories": territories}


def add_activity(reps: list[User]) -> None:
    """Two weeks of visits (0–6 a day per rep) and a submitted daily report on most past days."""
    today = timezone.localdate()
    customers = dict(
        Customer.objects.filter(owner__in=reps)
        .order_by("owner_id", "id")
        .distinct("owner_id")
        .values_list("owner_id", "id")
    )
    visits, reports = [], []
    for i, rep in enumerate(reps):
        for day in range(14):
            date = today - dt.timedelta(days=day)
            n = (i + day) % 7
            for k in range(n):
                at = timezone.make_aware(dt.datetime.combine(date, dt.time(9 + k, 0)))
                visits.append(
                    VisitReport(client_uuid=uuid.uuid4(), rep=rep, customer_id=customers[rep.pk], visited_at=at)
                )
            if n and day and (i + day) % 4:
                reports.append(
                    DailyReport(
                        rep=rep,
                        date=date,
                        visit_count=n,
                        status="submitted",
                        submitted_at=timezone.now(),
                        built_at=timezone.now(),
                    )
                )
    VisitReport.objects.bulk_create(visits, batch_size=2000)
    DailyReport.objects.bulk_create(reports, batch_size=2000)
    print(f"added {len(visits):,} visits and {len(reports):,} daily reports")


def remove_org(owner: User) -> None:
    reps = User.objects.filter(username__startswith=f"{PREFIX}-rep-")
    VisitReport.objects.filter(rep__in=reps).delete()
    DailyReport.objects.filter(rep__in=reps).delete()
    with connection.cursor() as cursor:  # give the customers back to the generator's owner, which deletes them
        cursor.execute(
            f"UPDATE {generator.table(Customer)} SET owner_id = %s WHERE owner_id = ANY(%s)",  # noqa: S608
            [owner.pk, list(reps.values_list("pk", flat=True))],
        )
    Territory.objects.filter(code__startswith=f"{PREFIX}-").delete()
    reps.delete()
    Team.objects.filter(name__startswith=f"{PREFIX} team").delete()
    User.objects.filter(username__startswith=f"{PREFIX}-manager-").delete()
    User.objects.filter(username=f"{PREFIX}-admin").delete()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def time_paths(client: Client, query: str, repeat: int) -> list[tuple[str, float, float, int]]:
    out = []
    for path in PATHS:
        client.get(path + query)  # warm-up (caches, first plan)
        timings = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path + query)
            timings.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                sys.exit(f"{path}{query}: HTTP {response.status_code}")
        out.append((path, statistics.median(timings), percentile(timings, 0.95), len(response.content)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per path and viewer")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--reuse", action="store_true", help="time again on data kept by an earlier --keep")
    parser.add_argument("--cleanup-only", action="store_true", help="delete data kept by an earlier --keep")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment(debug=False)
    logging.getLogger("axes").setLevel(logging.WARNING)  # one login per viewer; its info lines are noise here
    kept = User.objects.filter(username=generator.BENCH_USER).first()
    if kept is not None and not args.reuse:
        remove_org(kept)
        generator.cleanup(kept)
        kept = None
    if args.cleanup_only:
        return
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).first() or User.objects.create_user(
        username=f"{PREFIX}-admin", role=Role.ADMIN
    )
    if kept is None:
        owner = generator.generate(args.customers, args.orders)
        org = build_org(owner)
        for _ in range(2):
            elapsed, run = generator.time_compute(owner)
            print(f"  compute_run {elapsed:.2f} s (run #{run.pk})")
    else:
        owner = kept
        elapsed, run = generator.time_compute(owner)  # a fresh run: its aggregates are this code's
        print(f"  compute_run {elapsed:.2f} s (run #{run.pk})")
        org = {
            "teams": list(Team.objects.filter(name__startswith=f"{PREFIX} team").order_by("name")),
            "territories": list(Territory.objects.filter(code__startswith=f"{PREFIX}-").order_by("code")),
        }
    try:
        viewers = [
            ("admin, whole company", admin, ""),
            ("manager, own team", org["teams"][0].manager, ""),
            ("admin, one team", admin, f"?team={org['teams'][1].pk}"),
            ("admin, one territory", admin, f"?territory={org['territories'][2].pk}"),
        ]
        customers = Customer.objects.count()
        load = "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"customers in the database: {customers:,} · {args.repeat} requests per path · {load}")
        worst = 0.0
        for label, user, query in viewers:
            client = Client()
            client.force_login(user)
            print(f"\n{label} {query}")
            print(f"  {'path':<34} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
            for path, p50, p95, size in time_paths(client, query, args.repeat):
                worst = max(worst, p95)
                print(f"  {path:<34} {p50:8.1f} {p95:8.1f} {size:9,}")
        print("\nload average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(f"worst p95: {worst:.1f} ms (target < 300 ms at 1M customers)")
    finally:
        if not args.keep:
            remove_org(owner)
            generator.cleanup(owner)


if __name__ == "__main__":
    main()
