"""A manager starts a segmentation run from a phone and watches it finish."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.models import Role
from tests.e2e.conftest import PHONE, login
from tests.factories import CustomerFactory, OrderFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker_if_broker(transactional_db):
    """With REDIS_URL the run goes through the broker: a worker thread computes it; else it runs in-process."""
    if not os.environ.get("REDIS_URL"):
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_manager_starts_a_run_and_sees_it_succeed_on_a_phone(page, live_server, worker_if_broker):
    manager = UserFactory(username="e2e.manager", role=Role.MANAGER)
    team = TeamFactory(name="华东销售一组", manager=manager)
    rep = UserFactory(username="e2e.rep2", role=Role.REP, team=team)
    for amount in ("900.00", "60.00", "40.00"):
        OrderFactory(customer=CustomerFactory(owner=rep, stage="current"), amount=Decimal(amount))

    page.set_viewport_size(PHONE)
    login(page, live_server, "e2e.manager")
    page.goto(f"{live_server.url}/segmentation/runs/")
    page.fill("#id_window_months", "12")
    page.click("form.run-form button[type=submit]")
    expect(page.locator(".run-progress")).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(page.locator("table.assignments tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
