"""Browser check of the pipeline and ledger pages on a 375 px phone: they render and never scroll sideways."""

from datetime import date
from decimal import Decimal

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_pipeline_pages_fit_the_screen(page, live_server, transactional_db, viewport):
    from salesforce_auto.services_pipeline import create_quote

    rep = UserFactory(username="e2e.pipeline")
    customer = CustomerFactory(owner=rep, name="华联超市长名字连锁店股份有限公司", stage="current")
    for n, stage in enumerate(["prospecting", "qualification", "proposal", "negotiation", "won"]):
        OpportunityFactory(
            customer=customer,
            title=f"新店货架项目 {n}",
            stage=stage,
            amount=Decimal("123456.78"),
            expected_close_on=date.today(),  # noqa: DTZ011
        )
    quote = create_quote(
        actor=rep, customer=customer, title="报价", lines=[{"description": "货架", "quantity": 3, "unit_price": 1200}]
    )
    page.set_viewport_size(viewport)
    login(page, live_server, "e2e.pipeline")
    for path in [
        "/pipeline/",
        "/pipeline/forecast/",
        "/pipeline/quotes/",
        f"/pipeline/quotes/{quote.pk}/",
        "/orders/import/",
        f"/customers/{customer.pk}/orders/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
    page.goto(f"{live_server.url}/pipeline/quotes/{quote.pk}/")
    page.click("text=发出报价")
    assert "内部成本" in page.locator(".messages").inner_text()
