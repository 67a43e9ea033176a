"""Runs through the real broker and real workers (REDIS_URL and PostgreSQL): a computed run, two starts racing,
and a worker killed with SIGKILL mid-run.

The kill test starts `celery -A crm worker --pool=solo` as a subprocess on the test database with
SEGMENTATION_TEST_DELAY_SECONDS set in its environment: compute_run then sleeps that long (beating its
heartbeat) after claiming the run and before its first statement, so the test can kill it mid-run.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from segmentation import selectors, services
from segmentation.models import RunStatus, SegmentationRun
from tests.factories import CustomerFactory, OrderFactory
from tests.segmentation.conftest import local

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker")
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (shared test database)"
)
ROOT = Path(__file__).resolve().parents[2]


def _wait_for(run, statuses, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} still {run.status} after {timeout}s")


def _ledger(org):
    customers = [CustomerFactory(owner=org.rep_a, stage="current") for _ in range(5)]
    for i, customer in enumerate(customers):
        OrderFactory(customer=customer, ordered_at=local(2024, 3, 1), amount=Decimal(100 * (i + 1)))
    return customers


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.mark.broker
@needs_redis
def test_a_run_is_computed_by_a_real_worker_through_redis(org, api_for, celery_worker_thread):
    customers = _ledger(org)
    response = api_for(org.manager_a).post("/api/v1/segmentation/runs/", {"as_of": "2024-06-30"}, format="json")
    assert response.status_code == 202
    run = SegmentationRun.objects.get(pk=response.json()["id"])
    run = _wait_for(run, {RunStatus.SUCCEEDED, RunStatus.FAILED})
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.live and run.customer_count == 5 and run.progress == 100
    # 500, 400, 300, 200, 100 of 1500: 0, 33 %, 60 % before → A; 80 % → B; 93.3 % → B
    classes = [selectors.live_assignment(customer_id=c.pk).abc_class for c in reversed(customers)]
    assert classes == ["A", "A", "A", "B", "B"]


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_two_starts_racing_give_one_run_and_one_conflict(org):
    barrier = threading.Barrier(2)
    outcomes = []

    def start(actor):
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.start_run(actor=actor, parameters={}, enqueue=False).status)
        except services.RunConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(user,)) for user in (org.manager_a, org.manager_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "queued"]
    assert SegmentationRun.objects.count() == 1


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.broker
@needs_redis
@needs_postgres
def test_a_worker_killed_mid_run_leaves_the_old_live_run_and_a_new_run_succeeds(org, transactional_db, settings):
    _ledger(org)
    old = services.compute_run(
        run_id=services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"}, enqueue=False).pk
    )
    assert old.live
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "SEGMENTATION_TEST_DELAY_SECONDS": "60",
    }
    worker = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        doomed = services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"})  # sent after commit
        doomed = _wait_for(SegmentationRun.objects.get(pk=doomed.pk), {RunStatus.RUNNING}, timeout=90)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    doomed.refresh_from_db()
    assert doomed.status == RunStatus.RUNNING  # nobody is left to say otherwise
    assert selectors.live_run() == old
    settings.SEGMENTATION_STALE_SECONDS = 2
    time.sleep(3)
    new = services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"}, enqueue=False)
    doomed.refresh_from_db()
    assert doomed.status == RunStatus.FAILED and not doomed.live
    assert selectors.live_run() == old
    new = services.compute_run(run_id=new.pk)
    assert new.status == RunStatus.SUCCEEDED and new.live
    assert list(SegmentationRun.objects.filter(live=True)) == [new]
