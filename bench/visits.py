"""Benchmark of visit report submission (issue 5): gunicorn on PostgreSQL over 127.0.0.1, bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/crm_visits .venv/bin/python bench/visits.py [--seconds 20]

(a) open loop: an offered 50 requests/s (latency measured from each request's scheduled start, so a slow server
    cannot hide its queue), ~5% of reports sent a second time with the same client_uuid (half of them at the same
    moment as the first, half after its answer, with a different body);
(b) closed loop: 50 clients each sending as fast as answers come back, to find the maximum throughput.
Prints requests/s and p50/p95/p99 per phase; the last line compares what clients believe was accepted with the
database: `lost: N duplicated: M`. A benchmark that prints, not a timed test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_REPS = 10
CUSTOMERS_PER_REP = 20
DRAIN_SECONDS = 15  # after the open loop's schedule ends, how long queued requests may still start


@dataclass
class Ledger:
    """What the clients saw: accepted client_uuids with the id the server gave, latencies, errors."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: dict[str, set[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    requests: int = 0
    not_sent: int = 0

    def record(self, key: str, status: int | None, report_id: int | None, seconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            if status is None:
                self.errors += 1
                return
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status in (200, 201) and report_id is not None:
                self.accepted.setdefault(key, set()).add(report_id)


_local = threading.local()


def _connection(port: int) -> http.client.HTTPConnection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        _local.conn = conn
    return conn


def post_visit(port: int, token: str, body: dict) -> tuple[int | None, int | None]:
    payload = json.dumps(body)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"}
    for attempt in range(2):
        conn = _connection(port)
        try:
            conn.request("POST", "/api/v1/visits/", body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            _local.conn = None
            if attempt == 0:
                continue  # a kept-alive connection the server closed: reconnect once
            return None, None
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            _local.conn = None
        report_id = None
        if response.status in (200, 201):
            report_id = json.loads(data)["id"]
        return response.status, report_id
    return None, None


def visit_body(run: str, n: int, customers: list[int], rng: random.Random) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "customer": rng.choice(customers),
        "visited_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "method": rng.choice(["visit", "phone", "visit", "visit"]),
        "findings_market": "价格竞争激烈，终端库存偏高。",
        "findings_competitor": "对手在做买赠活动。",
        "outcome": f"bench:{run}:{n}",
        "failure_reason": rng.choice(["", "", "lacks_funds", "tied_to_competitor"]),
        "buying_signals": rng.sample(["asks_delivery", "asks_payment_terms", "compares_brands"], rng.randint(0, 2)),
        "step_reached": rng.randint(1, 4),
        "latitude": f"{31 + rng.random():.6f}",
        "longitude": f"{121 + rng.random():.6f}",
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(name: str, ledger: Ledger, elapsed: float) -> None:
    ms = [s * 1000 for s in ledger.latencies]
    print(
        f"{name}: {ledger.requests} requests in {elapsed:.1f} s = {ledger.requests / elapsed:.1f} req/s; "
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
        f"mean {statistics.fmean(ms) if ms else float('nan'):.1f} ms; statuses {dict(sorted(ledger.statuses.items()))}"
        f", errors {ledger.errors}" + (f", not sent (client backlog) {ledger.not_sent}" if ledger.not_sent else "")
    )


def open_loop(port, tokens, customers, run, seconds, rate, retry_share, ledger, rng) -> float:
    """Requests start on a fixed schedule whatever the server does; latency counts from the scheduled time."""
    pool = ThreadPoolExecutor(max_workers=200)
    total = int(seconds * rate)
    start = time.perf_counter() + 0.2

    give_up_at = start + seconds + DRAIN_SECONDS

    def one(n: int, scheduled: float) -> None:
        if time.perf_counter() > give_up_at:
            # Bounded in time: a request the client could not even start is reported, never silently waited for.
            with ledger.lock:
                ledger.not_sent += 1
            return
        rep = n % len(tokens)
        body = visit_body(run, n, customers[rep], random.Random(n))
        key = body["client_uuid"]
        retry = random.Random(n * 7919).random() < retry_share
        if retry and n % 2:
            # A double tap: the same report sent twice at once (two connections race on the server).
            twin = pool.submit(post_visit, port, tokens[rep], {**body, "outcome": body["outcome"] + ":twin"})
            status, report_id = post_visit(port, tokens[rep], body)
            ledger.record(key, status, report_id, time.perf_counter() - scheduled)
            t_status, t_id = twin.result()
            ledger.record(key, t_status, t_id, time.perf_counter() - scheduled)
            return
        status, report_id = post_visit(port, tokens[rep], body)
        ledger.record(key, status, report_id, time.perf_counter() - scheduled)
        if retry:
            # The answer was "lost" on the way back: the phone sends it again, with an edited body.
            again = time.perf_counter()
            status, report_id = post_visit(port, tokens[rep], {**body, "outcome": "edited before the retry"})
            ledger.record(key, status, report_id, time.perf_counter() - again)

    futures = []
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(one, n, scheduled))
    for f in futures:
        f.result()
    pool.shutdown()
    return time.perf_counter() - start


def closed_loop(port, tokens, customers, run, seconds, clients, ledger) -> float:
    stop_at = time.perf_counter() + seconds
    counter = iter(range(10**6, 10**9))  # markers distinct from the open loop's
    lock = threading.Lock()

    def client(i: int) -> None:
        rng = random.Random(i)
        rep = i % len(tokens)
        while time.perf_counter() < stop_at:
            with lock:
                n = next(counter)
            body = visit_body(run, n, customers[rep], rng)
            t0 = time.perf_counter()
            status, report_id = post_visit(port, tokens[rep], body)
            ledger.record(body["client_uuid"], status, report_id, time.perf_counter() - t0)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def prepare_database() -> tuple[list[str], list[list[int]]]:
    """Bench users (one team), their customers and API tokens; safe to run again."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, env=os.environ.copy()
    )
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from crm.models import Role, Team
    from customers.models import Customer

    User = get_user_model()
    manager, _ = User.objects.get_or_create(username="bench.manager", defaults={"role": Role.MANAGER})
    team, _ = Team.objects.get_or_create(name="Bench team", defaults={"manager": manager})
    tokens, customers = [], []
    for i in range(BENCH_REPS):
        rep, _ = User.objects.get_or_create(username=f"bench.rep{i}", defaults={"role": Role.REP, "team": team})
        tokens.append(Token.objects.get_or_create(user=rep)[0].key)
        mine = list(Customer.objects.filter(owner=rep).values_list("pk", flat=True)[:CUSTOMERS_PER_REP])
        for j in range(len(mine), CUSTOMERS_PER_REP):
            mine.append(Customer.objects.create(name=f"Bench customer {i}-{j}", owner=rep, stage="target").pk)
        customers.append(mine)
    return tokens, customers


def count_in_database(run: str) -> tuple[dict[str, int], Counter]:
    """Rows per client_uuid and per logical report (the `bench:<run>:<n>` marker) of this run."""
    from django.db.models import Count

    from salesforce_auto.models import VisitReport

    rows = VisitReport.objects.filter(outcome__startswith=f"bench:{run}:")
    by_uuid = {str(r["client_uuid"]): r["n"] for r in rows.values("client_uuid").annotate(n=Count("id"))}
    by_marker = Counter(r["outcome"].removesuffix(":twin") for r in rows.values("outcome"))
    return by_uuid, by_marker


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-not-for-production"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "crm.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--rate", type=float, default=50, help="offered requests/s of the open loop")
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--clients", type=int, default=50, help="clients of the closed loop")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5433/crm_x)")

    tokens, customers = prepare_database()
    run = uuid.uuid4().hex[:8]
    server = start_gunicorn(args.port, args.workers, args.threads)
    try:
        print(
            f"gunicorn 127.0.0.1:{args.port}, {args.workers} workers × {args.threads} threads; run {run}; "
            f"{args.seconds:.0f} s per phase"
        )
        opened = Ledger()
        elapsed = open_loop(
            args.port,
            tokens,
            customers,
            run,
            args.seconds,
            args.rate,
            args.retry_share,
            opened,
            random.Random(1),
        )
        report(f"open loop (offered {args.rate:.0f} req/s, {args.retry_share:.0%} retried)", opened, elapsed)
        closed = Ledger()
        elapsed = closed_loop(args.port, tokens, customers, run, args.seconds, args.clients, closed)
        report(f"closed loop ({args.clients} clients)", closed, elapsed)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    by_uuid, by_marker = count_in_database(run)
    accepted = {**opened.accepted, **closed.accepted}
    lost = sum(1 for key in accepted if key not in by_uuid)
    # Duplicates: more than one stored row for one report, or one client_uuid answered with two different ids.
    duplicated = sum(n - 1 for n in by_marker.values() if n > 1) + sum(len(ids) - 1 for ids in accepted.values())
    print(f"accepted by clients: {len(accepted)} reports; stored: {sum(by_uuid.values())} rows")
    print(f"lost: {lost} duplicated: {duplicated}")


if __name__ == "__main__":
    main()
