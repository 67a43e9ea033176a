"""The import task through the real broker and a real worker (REDIS_URL set): progress and report on the job."""

import os
import time

import pytest

from crm.models import Job
from crm.services import create_job
from customers.models import Customer
from customers.tasks import IMPORT_JOB_KIND, import_customers_job

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker")


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.mark.broker
@needs_redis
def test_import_job_runs_on_a_worker_and_records_its_report(org, celery_worker_thread):
    rows = [{"external_ref": f"W-{i}", "name": f"Worker customer {i}", "owner": "rep_a"} for i in range(1200)]
    rows.append({"name": ""})
    job = create_job(actor=org.manager_a, kind=IMPORT_JOB_KIND, parameters={"rows": rows, "import_valid_rows": True})
    assert import_customers_job.delay(job.pk).id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == "succeeded", job.message
    assert (job.result["created"], len(job.result["errors"]), job.result["errors"][0]["row"]) == (1200, 1, 1202)
    assert Customer.objects.filter(owner=org.rep_a).count() == 1200
    assert Job.objects.get(pk=job.pk).progress == 100
