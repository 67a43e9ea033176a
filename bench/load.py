"""Load test (issue 9): 100 concurrent users against gunicorn + PostgreSQL on 127.0.0.1, bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/crm_load .venv/bin/python bench/load.py [--seconds 60]

Reps (token auth) submit visit reports and read their customers through the API; managers (a session, as in
the browser) open the dashboard page and its activity API. Every user waits a think time between actions
(0.5–3 s), as people do. Prints the throughput, p50/p95 per endpoint and, last, `errors: N lost: M` where an
error is a 429, a 5xx or no answer, and lost counts visit reports the server accepted (200/201 with an id)
that are not in the database afterwards. It prints figures; it does not gate CI.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TEAMS = 10
CUSTOMERS_PER_REP = 20
THINK = (0.5, 3.0)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from visits import start_gunicorn  # noqa: E402 - the same gunicorn set-up as the visits bench


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: int = 0
    accepted_visits: set[int] = field(default_factory=set)

    def record(self, endpoint: str, status: int | None, seconds: float) -> None:
        self.latencies[endpoint].append(seconds)
        self.statuses[endpoint][status or 0] += 1
        if status is None or status == 429 or status >= 500:
            self.errors += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def prepare_database(users: int) -> tuple[list[dict], list[dict]]:
    """Teams of reps with customers and tokens, their managers with a browser session; safe to run again."""
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, env=os.environ.copy()
    )
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from crm.models import Role, Team
    from customers.models import Customer, Order

    User = get_user_model()
    managers_count = max(1, users // 10)
    reps_count = users - managers_count
    managers, reps = [], []
    for t in range(managers_count):
        manager, _ = User.objects.get_or_create(username=f"load.manager{t}", defaults={"role": Role.MANAGER})
        Team.objects.get_or_create(name=f"Load team {t}", defaults={"manager": manager})
        session = SessionStore()
        session[SESSION_KEY] = str(manager.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = manager.get_session_auth_hash()
        session.create()
        managers.append({"cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"})
    teams = list(Team.objects.filter(name__startswith="Load team ").order_by("pk"))
    now = timezone.now()
    for i in range(reps_count):
        rep, _ = User.objects.get_or_create(
            username=f"load.rep{i}", defaults={"role": Role.REP, "team": teams[i % len(teams)]}
        )
        mine = list(Customer.objects.filter(owner=rep).values_list("pk", flat=True)[:CUSTOMERS_PER_REP])
        for j in range(len(mine), CUSTOMERS_PER_REP):
            customer = Customer.objects.create(name=f"Load customer {i}-{j}", owner=rep, stage="current")
            Order.objects.create(
                customer=customer,
                ordered_at=now - timedelta(days=j * 7),
                amount=100 * (j + 1),
                cost=50 * (j + 1),
                source="load",
                external_ref=f"load-{i}-{j}",
            )
            mine.append(customer.pk)
        reps.append({"token": Token.objects.get_or_create(user=rep)[0].key, "customers": mine})
    return reps, managers


def visit_body(customers: list[int], rng: random.Random) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "customer": rng.choice(customers),
        "visited_at": datetime.now(UTC).isoformat(),
        "method": rng.choice(["visit", "phone"]),
        "findings_market": "load test",
        "outcome": "load",
        "buying_signals": rng.sample(["asks_delivery", "asks_payment_terms", "compares_brands"], k=rng.randint(0, 2)),
        "step_reached": rng.randint(1, 4),
    }


async def timed(client: httpx.AsyncClient, results: Results, endpoint: str, method: str, url: str, **kwargs):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError:
        results.record(endpoint, None, time.perf_counter() - started)
        return None
    results.record(endpoint, response.status_code, time.perf_counter() - started)
    return response


async def rep_user(client, rep, deadline, results, rng):
    headers = {"Authorization": f"Token {rep['token']}", "Accept": "application/json"}
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.3:
            response = await timed(
                client, results, "POST /api/v1/visits/", "POST", "/api/v1/visits/",
                json=visit_body(rep["customers"], rng), headers=headers,
            )  # fmt: skip
            if response is not None and response.status_code in (200, 201):
                results.accepted_visits.add(response.json()["id"])
        elif roll < 0.8:
            await timed(
                client, results, "GET /api/v1/customers/", "GET", "/api/v1/customers/?page_size=20", headers=headers
            )
        else:
            customer = rng.choice(rep["customers"])
            await timed(
                client, results, "GET /api/v1/customers/{id}/", "GET", f"/api/v1/customers/{customer}/", headers=headers
            )
        await asyncio.sleep(rng.uniform(*THINK))


async def manager_user(client, manager, deadline, results, rng):
    headers = {"Cookie": manager["cookie"]}
    while time.monotonic() < deadline:
        if rng.random() < 0.7:
            await timed(client, results, "GET /dashboard/", "GET", "/dashboard/", headers=headers)
        else:
            await timed(
                client, results, "GET /api/v1/dashboard/activity/", "GET", "/api/v1/dashboard/activity/",
                headers={**headers, "Accept": "application/json"},
            )  # fmt: skip
        await asyncio.sleep(rng.uniform(*THINK))


async def run_load(port: int, reps, managers, seconds: float, seed: int) -> tuple[Results, float]:
    results = Results()
    limits = httpx.Limits(max_connections=len(reps) + len(managers), max_keepalive_connections=len(reps) + 10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits) as client:
        started = time.monotonic()
        deadline = started + seconds
        users = [rep_user(client, rep, deadline, results, random.Random(seed + i)) for i, rep in enumerate(reps)]
        users += [
            manager_user(client, m, deadline, results, random.Random(seed + 1000 + i)) for i, m in enumerate(managers)
        ]
        await asyncio.gather(*users)
        return results, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5433/crm_load)")
    # Managers' sessions are signed here and read by gunicorn: both must use the same key.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    reps, managers = prepare_database(args.users)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = start_gunicorn(args.port, args.workers, args.threads)
    try:
        print(
            f"gunicorn 127.0.0.1:{args.port}, {args.workers} workers x {args.threads} threads; "
            f"{len(reps)} reps + {len(managers)} managers for {args.seconds:.0f} s; load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results, elapsed = asyncio.run(run_load(args.port, reps, managers, args.seconds, args.seed))
    finally:
        server.terminate()
        server.wait(timeout=30)
    from salesforce_auto.models import VisitReport

    stored = set(VisitReport.objects.filter(pk__in=results.accepted_visits).values_list("pk", flat=True))
    lost = len(results.accepted_visits - stored)
    total = sum(len(v) for v in results.latencies.values())
    print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} req/s; load {os.getloadavg()[0]:.2f}")
    for endpoint in sorted(results.latencies):
        values = results.latencies[endpoint]
        statuses = ", ".join(f"{code or 'none'}: {n}" for code, n in sorted(results.statuses[endpoint].items()))
        print(
            f"  {endpoint:34} {len(values):6} req  p50 {percentile(values, 0.5) * 1000:7.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:7.1f} ms  [{statuses}]"
        )
    print(f"visits accepted: {len(results.accepted_visits)}, in the database: {len(stored)}")
    print(f"errors: {results.errors} lost: {lost}")


if __name__ == "__main__":
    main()
