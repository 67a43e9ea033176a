"""Redis (the broker) killed under a running site: pages and reads keep working, and whatever needs the broker
answers a clear 503 (or a failed job with a message) within seconds instead of hanging.

The worker killed during a segmentation run is tests/segmentation/test_worker.py (not repeated here)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Job, JobStatus
from customers.models import Order
from customers.services.orders import IMPORT_JOB_KIND
from segmentation.models import RunStatus, SegmentationRun
from tests.factories import CustomerFactory
from tests.faults.conftest import needs_services

pytestmark = [pytest.mark.faults, needs_services, pytest.mark.django_db(transaction=True)]

QUICK = 15.0  # seconds: the broker timeouts in settings are 3 s with two quick retries


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_with_redis_killed_pages_and_reads_work_and_starts_answer_503_quickly(org, api_for, page_for, private_redis):
    customer = CustomerFactory(owner=org.rep_a, external_ref="C1", stage="current")
    admin = api_for(org.admin)
    assert admin.post("/api/v1/jobs/worker-check/").status_code == 202  # the broker is there

    private_redis.kill()

    for user, url in [
        (org.rep_a, "/customers/"),
        (org.rep_a, f"/customers/{customer.pk}/"),
        (org.rep_a, "/me/"),
        (org.manager_a, "/dashboard/"),
        (org.manager_a, "/segmentation/runs/"),
    ]:
        response, elapsed = _timed(lambda u=user, p=url: page_for(u).get(p))
        assert response.status_code == 200, url
        assert elapsed < QUICK, f"{url} took {elapsed:.1f}s"
    for url in ["/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", "/api/v1/orders/", "/api/v1/visits/"]:
        assert api_for(org.rep_a).get(url).status_code == 200, url
    assert api_for(org.manager_a).get("/api/v1/segmentation/runs/").status_code == 200

    # Starting a segmentation run needs the broker: a clear 503, quickly, and the run is not left queued.
    manager = api_for(org.manager_a)
    response, elapsed = _timed(lambda: manager.post("/api/v1/segmentation/runs/", {}, format="json"))
    assert response.status_code == 503, response.content
    assert response.json()["detail"]
    assert elapsed < QUICK, f"run start took {elapsed:.1f}s"
    assert list(SegmentationRun.objects.values_list("status", flat=True)) == [RunStatus.FAILED]
    # ... so the next start is refused for the same reason, not blocked (409) by a phantom queued run.
    assert manager.post("/api/v1/segmentation/runs/", {}, format="json").status_code == 503

    response, elapsed = _timed(lambda: admin.post("/api/v1/jobs/worker-check/"))
    assert response.status_code == 503 and elapsed < QUICK

    # An order import uploaded on the page cannot be queued: the job fails with a message, nothing is stored.
    upload = SimpleUploadedFile("orders.csv", b"customer_ref,ordered_at,amount\nC1,2026-01-02,10.00\n")
    page = page_for(org.rep_a)
    response, elapsed = _timed(
        lambda: page.post("/orders/import/", {"file": upload, "encoding": "auto", "source": "import"})
    )
    assert response.status_code == 302 and elapsed < QUICK
    job = Job.objects.filter(kind=IMPORT_JOB_KIND).get()
    assert job.status == JobStatus.FAILED and job.message
    assert page.get(response["Location"]).status_code == 200
    assert not Order.objects.exists()
