"""Pages of the visits side: the rep's home, the visit form without scripts, the daily report, the team view."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from salesforce_auto.models import DailyReport, VisitReport, WeeklySummary
from tests.factories import AppointmentFactory, CustomerFactory, VisitPlanFactory, VisitReportFactory

pytestmark = pytest.mark.django_db


def test_rep_home_shows_agenda_follow_ups_and_pause_warnings(org, page_for, django_assert_max_num_queries):
    customer = CustomerFactory(owner=org.rep_a, name="东方建材", stage="target")
    AppointmentFactory(customer=customer, rep=org.rep_a, starts_at=timezone.now(), place="东方建材门店")
    VisitPlanFactory(customer=customer, rep=org.rep_a, planned_at=timezone.now(), materials="色卡")
    yesterday = timezone.now() - dt.timedelta(days=1)
    VisitReportFactory(customer=customer, visited_at=yesterday, next_visit_on=timezone.localdate(), next_step="送样")
    for _ in range(11):
        VisitReportFactory(customer=customer, visited_at=yesterday - dt.timedelta(days=2))
    client = page_for(org.rep_a)
    with django_assert_max_num_queries(20):
        response = client.get("/me/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "东方建材门店" in html
    assert "色卡" in html
    assert "送样" in html
    assert 'id="visit-queue"' in html
    pause_section = html.split('id="pause-warnings"')[1].split("</section>")[0]
    assert "东方建材" in pause_section


def test_follow_up_disappears_once_the_customer_is_visited_again(org, page_for):
    customer = CustomerFactory(owner=org.rep_a, name="西湖五金")
    VisitReportFactory(
        customer=customer,
        visited_at=timezone.now() - dt.timedelta(days=3),
        next_visit_on=timezone.localdate() - dt.timedelta(days=1),
        next_step="回访",
    )
    html = page_for(org.rep_a).get("/me/").content.decode()
    assert "回访" in html.split('id="follow-ups"')[1].split("</section>")[0]
    VisitReportFactory(customer=customer, visited_at=timezone.now())
    html = page_for(org.rep_a).get("/me/").content.decode()
    assert "回访" not in html.split('id="follow-ups"')[1].split("</section>")[0]


def test_visit_form_posts_without_scripts_and_is_idempotent(org, page_for):
    customer = CustomerFactory(owner=org.rep_a)
    client = page_for(org.rep_a)
    assert client.get("/visits/new/").status_code == 200
    data = {
        "client_uuid": str(uuid.uuid4()),
        "customer": customer.pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": "visit",
        "buying_signals": ["asks_delivery", "compares_brands"],
        "competitor_brands": "立邦，多乐士",
    }
    first = client.post("/visits/new/", data)
    assert first.status_code == 302
    second = client.post("/visits/new/", data)
    assert second.status_code == 302
    assert first["Location"] == second["Location"]
    assert VisitReport.objects.count() == 1
    customer.refresh_from_db()
    assert customer.ready_to_close
    assert customer.brands_carried.count() == 2


def test_visit_form_shows_errors_for_bad_input(org, page_for):
    other = CustomerFactory(owner=org.rep_b)
    response = page_for(org.rep_a).post(
        "/visits/new/", {"client_uuid": str(uuid.uuid4()), "customer": other.pk, "visited_at": "2026-01-01T10:00"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert VisitReport.objects.count() == 0


def test_rep_sends_the_daily_report_to_the_manager_who_sees_it(org, page_for):
    customer = CustomerFactory(owner=org.rep_a)
    VisitReportFactory(customer=customer, visited_at=timezone.now())
    client = page_for(org.rep_a)
    page = client.get("/visits/daily/")
    assert page.status_code == 200
    assert page.context["counts"]["visit_count"] == 1
    assert not DailyReport.objects.exists()
    response = client.post("/visits/daily/", {"date": timezone.localdate().isoformat(), "summary": "跑了一家"})
    assert response.status_code == 302
    report = DailyReport.objects.get()
    assert (report.status, report.visit_count, report.summary) == ("submitted", 1, "跑了一家")
    team = page_for(org.manager_a).get("/team/reports/").content.decode()
    assert "跑了一家" in team
    detail = page_for(org.manager_a).get(f"/team/daily/{report.pk}/")
    assert detail.status_code == 200
    assert customer.name in detail.content.decode()
    assert "跑了一家" not in page_for(org.manager_b).get("/team/reports/").content.decode()


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run Celery tasks in-process even when REDIS_URL points at a real broker (no worker in this test)."""
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def test_manager_builds_weekly_summaries_on_demand_and_opens_one(org, page_for, eager_tasks):
    client = page_for(org.manager_a)
    response = client.post("/team/weekly/build/", {"week_start": "2026-03-09"})
    assert response.status_code == 302
    summary = WeeklySummary.objects.get(team=org.team_a)
    assert client.get(f"/team/weekly/{summary.pk}/").status_code == 200
    client.post("/team/weekly/build/", {"week_start": "2026-03-10"})
    assert WeeklySummary.objects.filter(week_start=dt.date(2026, 3, 10)).count() == 0


def test_plan_and_appointment_forms_create_records_for_the_rep(org, page_for):
    customer = CustomerFactory(owner=org.rep_a)
    client = page_for(org.rep_a)
    plan = client.post(
        "/visits/plans/new/",
        {
            "customer": customer.pk,
            "planned_at": "2026-03-10T09:00",
            "duration_minutes": 45,
            "method": "visit",
            "materials": "样品",
        },
    )
    assert plan.status_code == 302
    appt = client.post(
        "/visits/appointments/new/", {"customer": customer.pk, "starts_at": "2026-03-10T14:00", "place": "总部"}
    )
    assert appt.status_code == 302
    other = CustomerFactory(owner=org.rep_b)
    refused = client.post(
        "/visits/plans/new/",
        {"customer": other.pk, "planned_at": "2026-03-10T09:00", "duration_minutes": 45, "method": "visit"},
    )
    assert refused.status_code == 200
    assert customer.visit_plans.count() == 1
    assert customer.appointments.count() == 1


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
