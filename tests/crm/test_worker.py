"""A task that writes to the database, sent through the real broker to a real worker (REDIS_URL set),
or run in-process (the embedded default)."""

import os
import time

import pytest

from crm.models import Job, JobStatus
from crm.services import create_job
from crm.tasks import check_worker

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker")


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def _wait_for(job: Job, timeout: float = 20.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout}s")


@pytest.mark.broker
@needs_redis
def test_task_goes_through_redis_to_a_real_worker_and_writes_the_row(org, celery_worker_thread):
    job = create_job(actor=org.admin, kind="worker_check")
    result = check_worker.delay(job.pk)
    assert result.id  # a message was published to Redis, not run inline
    job = _wait_for(job)
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["worker"]
    assert job.started_at is not None and job.finished_at >= job.started_at


@pytest.mark.broker
@needs_redis
def test_worker_check_endpoint_round_trip(org, api_for, celery_worker_thread):
    response = api_for(org.admin).post("/api/v1/jobs/worker-check/")
    assert response.status_code == 202
    job = _wait_for(Job.objects.get(pk=response.json()["id"]))
    assert job.status == JobStatus.SUCCEEDED
    body = api_for(org.admin).get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 100


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="eager mode only without REDIS_URL")
def test_without_redis_tasks_run_in_process(org, api_for):
    response = api_for(org.admin).post("/api/v1/jobs/worker-check/")
    assert response.status_code == 202
    assert response.json()["status"] == "succeeded"


@pytest.mark.django_db
def test_a_duplicate_delivery_does_not_run_the_job_twice(org):
    job = create_job(actor=org.admin, kind="worker_check")
    from crm.services import check_worker as check_worker_service

    check_worker_service(job=job, worker="w1")
    check_worker_service(job=job, worker="w2")
    job.refresh_from_db()
    assert job.result == {"worker": "w1"}


@pytest.mark.django_db
def test_jobs_are_visible_to_their_creator_only(org, api_for):
    job = create_job(actor=org.rep_a, kind="import")
    assert api_for(org.rep_a).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert api_for(org.rep_b).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api_for(org.admin).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert api_for(org.rep_a).post("/api/v1/jobs/worker-check/").status_code == 403


@pytest.mark.django_db
def test_broker_down_gives_a_quick_503_and_the_job_is_marked_failed(org, api_for, broker_down, page_for):
    started = time.monotonic()
    response = api_for(org.admin).post("/api/v1/jobs/worker-check/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"]
    assert elapsed < 15, f"took {elapsed:.1f}s: the request should not hang on a dead broker"
    job = Job.objects.get(kind="worker_check")
    assert job.status == JobStatus.FAILED
    # Pages and reads still work without the broker.
    assert page_for(org.admin).get("/").status_code == 200
    assert api_for(org.manager_a).get("/api/v1/users/").status_code == 200
    assert page_for(None).get("/healthz").status_code == 503
