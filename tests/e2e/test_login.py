import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_login_home_and_language_switch(page, live_server, rep_user, viewport):
    page.set_viewport_size(viewport)
    login(page, live_server, "e2e.rep")
    expect(page.locator("h1")).to_contain_text("欢迎")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"

    page.click("button[data-lang=en]")
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("button", has_text="Log out")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"

    page.click("button[data-lang=zh-hans]")
    expect(page.locator("h1")).to_contain_text("欢迎")
    # Nothing overflows the viewport sideways, on a phone or a desk.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.locator("form.logout button").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_wrong_password_shows_an_error(page, live_server, rep_user):
    page.set_viewport_size(PHONE)
    login(page, live_server, "e2e.rep", password="wrong")
    expect(page.locator("[role=alert]")).to_be_visible()
