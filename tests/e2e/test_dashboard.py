import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Role
from customers.models import Order
from customers.services.customer import create_customer
from salesforce_auto.models import VisitReport
from segmentation.services import compute_run, start_run
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def team_with_visits(transactional_db):
    manager = UserFactory(username="e2e.manager", role=Role.MANAGER)
    team = TeamFactory(name="华东", manager=manager)
    rep = UserFactory(username="e2e.rep2", role=Role.REP, team=team)
    customer = create_customer(actor=rep, name="华联超市")
    now = timezone.now()
    for days_ago in (0, 1, 1, 3):
        VisitReport.objects.create(
            client_uuid=uuid.uuid4(), rep=rep, customer=customer, visited_at=now - dt.timedelta(days=days_ago)
        )
    # A small ledger with a Pareto skew and a computed, live segmentation run.
    for i in range(30):
        buyer = create_customer(actor=rep, name=f"客户{i}", stage="current")
        for month in range(1, 4):
            Order.objects.create(
                customer=buyer,
                ordered_at=now - dt.timedelta(days=30 * month + i),
                amount=Decimal(100000 // (i + 1)),
                source="e2e",
                external_ref=f"{i}-{month}",
            )
    run = start_run(actor=manager, parameters={}, enqueue=False)
    assert compute_run(run_id=run.pk).status == "succeeded"
    return manager


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_manager_dashboard_draws_charts_without_sideways_scrolling(page, live_server, team_with_visits, viewport):
    page.set_viewport_size(viewport)
    login(page, live_server, "e2e.manager")
    page.goto(f"{live_server.url}/dashboard/")
    activity = page.locator("[data-chart=activity]")
    expect(activity).to_have_attribute("data-ready", "true", timeout=15000)
    assert activity.locator(".main-svg").count() >= 1
    assert page.locator("[data-chart=activity] .bars .point").count() >= 3
    for chart in ("pareto", "bcg"):
        locator = page.locator(f"[data-chart={chart}]")
        locator.scroll_into_view_if_needed()
        expect(locator).to_have_attribute("data-ready", "true", timeout=15000)
    assert page.locator("[data-chart=pareto] .scatterlayer .point").count() >= 10
    # 30 top customers as points, plus the density squares of the stored bins (at least one)
    assert page.locator("[data-chart=bcg] .scatterlayer .point").count() > 30
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{viewport['width']}.png"), full_page=True)
