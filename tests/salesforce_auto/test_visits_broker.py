"""The weekly summary job through the real Redis broker and a real Celery worker (REDIS_URL set)."""

import os
import time

import pytest

from salesforce_auto.models import WeeklySummary

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker"),
]


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_on_demand_weekly_build_is_done_by_a_worker(org, api_for, celery_worker_thread):
    response = api_for(org.manager_a).post(
        "/api/v1/weekly-summaries/build/", {"week_start": "2026-03-09"}, format="json"
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and WeeklySummary.objects.count() < 2:
        time.sleep(0.1)
    assert set(WeeklySummary.objects.values_list("team__name", flat=True)) == {"Team A", "Team B"}
