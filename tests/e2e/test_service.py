"""Browser: a rep records a complaint on a phone, moves it along, fills the survey; loyalty card fits the screen."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import CustomerFactory

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_complaint_from_record_to_resolved_with_survey(page, live_server, rep_user, viewport):
    customer = CustomerFactory(owner=rep_user, name="华联超市")
    page.set_viewport_size(viewport)
    login(page, live_server, "e2e.rep")

    page.goto(f"{live_server.url}/service/complaints/new/?customer={customer.pk}")
    page.select_option("#id_category", "late_delivery")
    page.select_option("#id_severity", "high")
    page.fill("#id_description", "上周的货还没到")
    page.click("button[type=submit].primary")
    expect(page.locator("#complaint-status")).to_have_text("已受理")
    expect(page.locator("#sla-state")).to_have_text("正常")
    _no_sideways_scroll(page, viewport)

    for status, label in [("acknowledged", "已确认"), ("investigating", "调查中")]:
        page.click(f"#advance-form button[value={status}]")
        expect(page.locator("#complaint-status")).to_have_text(label)

    page.fill("#id_root_cause", "承运商延误")
    page.fill("#id_corrective_action", "加急补发")
    page.click("#analysis-form button[type=submit]")
    page.click("#advance-form button[value=resolved]")
    expect(page.locator("#complaint-status")).to_have_text("已解决")
    expect(page.locator("#timeline li")).to_have_count(5)

    page.click("text=待填写")
    page.check("input[name=overall_score][value='5']")
    page.click("#survey-form button[type=submit]")
    expect(page.locator("#loyalty-level")).to_have_text("情感忠诚")
    _no_sideways_scroll(page, viewport)

    page.goto(f"{live_server.url}/service/complaints/")
    expect(page.locator("#complaints tbody tr")).to_have_count(1)
    _no_sideways_scroll(page, viewport)


def test_loyalty_card_enrol_and_refer_on_a_phone(page, live_server, rep_user):
    customer = CustomerFactory(owner=rep_user, name="老客户商行")
    page.set_viewport_size(PHONE)
    login(page, live_server, "e2e.rep")
    page.goto(f"{live_server.url}/service/customers/{customer.pk}/loyalty/")
    expect(page.locator("#loyalty-level")).to_have_text("尚无忠诚度")
    page.click("text=加入俱乐部")
    expect(page.locator("#points-balance")).to_have_text("0")
    page.fill("#id_referred_name", "隔壁超市")
    page.click("#referral-form button[type=submit]")
    expect(page.locator("#loyalty-level")).to_have_text("意向忠诚")
    page.click("#referrals button")
    expect(page.locator("#advocate")).to_have_text("是")
    _no_sideways_scroll(page, PHONE)
