"""A rep on a 375 px phone creates a customer and moves it from potential to target."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.e2e.conftest import PHONE, login

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_rep_creates_a_customer_and_moves_it_to_target_on_a_phone(page, live_server, rep_user):
    page.set_viewport_size(PHONE)
    login(page, live_server, "e2e.rep")
    page.click("button[data-lang=en]")

    page.goto(f"{live_server.url}/customers/")
    _no_sideways_scroll(page)
    page.click("text=New customer")
    _no_sideways_scroll(page)
    page.fill("#id_name", "华联超市")
    page.fill("#id_city", "上海")
    page.fill("#id_phone", "138 0013 8000")
    page.fill("#id_staff_count", "12")
    page.click("button[type=submit].primary")

    expect(page.locator("h1")).to_have_text("华联超市")
    expect(page.locator("#customer-stage")).to_have_text("Potential")
    _no_sideways_scroll(page)

    page.select_option("#transition-form select[name=stage]", "target")
    page.fill("#transition-form input[name=reason]", "MAN: money and need confirmed")
    page.click("#transition-form button[type=submit]")

    expect(page.locator("#customer-stage")).to_have_text("Target")
    expect(page.locator("#timeline")).to_contain_text("Potential → Target")
    _no_sideways_scroll(page)
    customer = Customer.objects.get(name="华联超市")
    assert customer.stage == "target" and customer.owner == rep_user

    page.goto(f"{live_server.url}/customers/?stage=target")
    expect(page.locator("table.clist")).to_contain_text("华联超市")
    _no_sideways_scroll(page)


@pytest.fixture
def eager_tasks():
    from crm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_rep_imports_a_file_sees_the_bad_row_and_imports_the_valid_ones(
    page, live_server, rep_user, eager_tasks, tmp_path
):
    path = tmp_path / "customers.csv"
    path.write_text("external_ref,name,phone\nE2E-1,华联超市,13800138000\nE2E-2,,13800138001\nE2E-3,永辉,\n")
    page.set_viewport_size(PHONE)
    login(page, live_server, "e2e.rep")
    page.click("button[data-lang=en]")
    page.goto(f"{live_server.url}/customers/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].primary")

    expect(page.locator("#import-errors")).to_contain_text("3")
    assert not Customer.objects.exists()
    _no_sideways_scroll(page)
    page.click("text=Import the 2 valid rows")
    expect(page.locator(".job-message")).to_contain_text("2 created")
    assert sorted(Customer.objects.values_list("external_ref", flat=True)) == ["E2E-1", "E2E-3"]
