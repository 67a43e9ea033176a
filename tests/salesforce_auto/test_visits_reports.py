"""Daily reports (local dates), weekly summaries (Celery beat + on demand), the 12-contact rule, the survey form."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.models import StageChange
from customers.services.customer import transition_stage
from salesforce_auto import selectors, services, tasks
from salesforce_auto.models import DailyReport, WeeklySummary
from tests.factories import CustomerFactory, OrderFactory, SurveyQuestionFactory, VisitReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def test_daily_report_groups_visits_by_the_local_date_in_shanghai_near_midnight(org, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    customer = CustomerFactory(owner=org.rep_a)
    # 15:59:59 UTC is 23:59:59 in Shanghai on the 10th; 16:00 UTC is already 00:00 on the 11th.
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 10, 16, 0, 0, tzinfo=UTC))
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 10, 0, 0, 0, tzinfo=SHANGHAI))
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 9, 23, 59, 0, tzinfo=SHANGHAI))
    tenth = services.build_daily_report(rep=org.rep_a, day=dt.date(2026, 3, 10))
    eleventh = services.build_daily_report(rep=org.rep_a, day=dt.date(2026, 3, 11))
    ninth = services.build_daily_report(rep=org.rep_a, day=dt.date(2026, 3, 9))
    assert (ninth.visit_count, tenth.visit_count, eleventh.visit_count) == (1, 2, 1)


def test_daily_report_counts_and_keeps_the_reps_summary_when_rebuilt(org):
    customer = CustomerFactory(owner=org.rep_a, ready_to_close=True)
    day = dt.date(2026, 3, 10)
    at = dt.datetime(2026, 3, 10, 10, tzinfo=SHANGHAI)
    VisitReportFactory(customer=customer, visited_at=at, method="visit", failure_reason="lacks_funds")
    VisitReportFactory(customer=customer, visited_at=at, method="phone", created_customer=True)
    VisitReportFactory(customer=CustomerFactory(owner=org.rep_b), visited_at=at)
    report = services.submit_daily_report(actor=org.rep_a, day=day, summary="  今天跑了两家 ")
    assert report.status == "submitted"
    assert report.summary == "今天跑了两家"
    assert (report.visit_count, report.street_visit_count, report.new_customer_count) == (2, 1, 1)
    assert (report.failure_count, report.ready_to_close_count) == (1, 1)
    VisitReportFactory(customer=customer, visited_at=at)
    rebuilt = services.build_daily_report(rep=org.rep_a, day=day)
    assert rebuilt.pk == report.pk
    assert rebuilt.visit_count == 3
    assert rebuilt.summary == "今天跑了两家"
    assert DailyReport.objects.count() == 1


def test_daily_report_for_a_future_date_is_refused(org):
    with pytest.raises(ValidationError):
        services.submit_daily_report(actor=org.rep_a, day=timezone.localdate() + dt.timedelta(days=1), summary="")


def test_weekly_summary_counts_visits_new_potentials_stage_moves_failures_and_competitor_notes(org):
    monday = dt.date(2026, 3, 9)
    in_week = dt.datetime(2026, 3, 11, 10, tzinfo=SHANGHAI)
    target = CustomerFactory(owner=org.rep_a, stage="potential")
    VisitReportFactory(
        customer=target, visited_at=in_week, failure_reason="tied_to_competitor", findings_competitor="立邦在做促销"
    )
    VisitReportFactory(customer=target, visited_at=in_week, failure_reason="tied_to_competitor")
    VisitReportFactory(customer=CustomerFactory(owner=org.rep_b), visited_at=in_week, failure_reason="lacks_funds")
    # Sunday 23:30 local belongs to the week; Monday 00:10 local of the next week does not.
    VisitReportFactory(customer=target, visited_at=dt.datetime(2026, 3, 15, 23, 30, tzinfo=SHANGHAI))
    VisitReportFactory(customer=target, visited_at=dt.datetime(2026, 3, 16, 0, 10, tzinfo=SHANGHAI))
    VisitReportFactory(customer=CustomerFactory(owner=org.rep_c), visited_at=in_week)  # team B
    StageChange.objects.create(
        customer=target, from_stage="", to_stage="potential", changed_by=org.rep_a, changed_at=in_week
    )
    change = transition_stage(actor=org.rep_a, customer=target, to_stage="target")
    change.changed_at = in_week
    change.save(update_fields=["changed_at"])
    report = services.submit_daily_report(actor=org.rep_a, day=dt.date(2026, 3, 11), summary="ok")
    assert report.status == "submitted"

    summary = services.build_weekly_summary(team=org.team_a, week_start=monday)
    assert summary.visit_count == 4
    assert summary.new_potential_count == 1
    assert summary.stage_move_count == 1
    assert summary.failure_reasons == {"tied_to_competitor": 2, "lacks_funds": 1}
    per_rep = {row["rep_id"]: row for row in summary.per_rep}
    assert per_rep[org.rep_a.pk]["visits"] == 3
    assert per_rep[org.rep_a.pk]["daily_reports_submitted"] == 1
    assert per_rep[org.rep_a.pk]["failure_reasons"] == {"tied_to_competitor": 2}
    assert per_rep[org.rep_b.pk]["visits"] == 1
    assert org.rep_c.pk not in per_rep
    assert any(note.get("text") == "立邦在做促销" for note in summary.competitor_notes)
    again = services.build_weekly_summary(team=org.team_a, week_start=monday)
    assert again.pk == summary.pk
    assert WeeklySummary.objects.filter(team=org.team_a).count() == 1


def test_weekly_summary_needs_a_monday(org):
    with pytest.raises(ValidationError):
        services.build_weekly_summary(team=org.team_a, week_start=dt.date(2026, 3, 10))


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run Celery tasks in-process even when REDIS_URL points at a real broker (no worker in this test)."""
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def test_weekly_task_builds_last_weeks_summary_for_every_team(org, eager_tasks):
    assert tasks.build_weekly_summaries.apply().get() == 2
    last_monday = services.previous_week_start()
    assert last_monday.weekday() == 0
    assert set(WeeklySummary.objects.values_list("week_start", flat=True)) == {last_monday}
    assert tasks.build_weekly_summaries.apply(args=["2026-03-09"]).get() == 2


def test_monday_beat_schedule_is_in_the_database_and_editable(db):
    task = PeriodicTask.objects.get(task="salesforce_auto.build_weekly_summaries")
    assert task.enabled
    assert task.crontab.day_of_week == "1"
    assert (task.crontab.hour, task.crontab.minute) == ("6", "0")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_managers_rebuild_a_week_on_demand_through_the_api(
    org, api_for, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(org.manager_a).post(
            "/api/v1/weekly-summaries/build/", {"week_start": "2026-03-09"}, format="json"
        )
    assert response.status_code == 202
    assert WeeklySummary.objects.filter(week_start=dt.date(2026, 3, 9)).count() == 2
    listed = api_for(org.manager_a).get("/api/v1/weekly-summaries/").json()
    assert [row["team"] for row in listed["results"]] == [org.team_a.pk]
    bad = api_for(org.manager_a).post("/api/v1/weekly-summaries/build/", {"week_start": "2026-03-10"}, format="json")
    assert bad.status_code == 400


def test_pause_is_suggested_for_a_target_with_twelve_contacts_and_no_order(org):
    target = CustomerFactory(owner=org.rep_a, stage="target")
    for i in range(11):
        VisitReportFactory(customer=target, method="visit" if i % 2 else "phone")
    assert not selectors.pause_suggested(user=org.rep_a).exists()
    VisitReportFactory(customer=target, method="phone")
    assert list(selectors.pause_suggested(user=org.rep_a)) == [target]
    assert selectors.contact_count(customer=target) == 12
    assert selectors.is_pause_suggested(customer=target)
    assert list(selectors.pause_suggested(user=org.manager_a)) == [target]
    assert not selectors.pause_suggested(user=org.rep_b).exists()
    OrderFactory(customer=target)
    assert not selectors.pause_suggested(user=org.rep_a).exists()


def test_pause_is_not_suggested_for_potential_customers(org):
    potential = CustomerFactory(owner=org.rep_a, stage="potential")
    for _ in range(13):
        VisitReportFactory(customer=potential)
    assert not selectors.pause_suggested(user=org.rep_a).exists()


def test_survey_completeness_counts_the_latest_answer_of_required_questions(org):
    customer = CustomerFactory(owner=org.rep_a)
    q1, q2 = SurveyQuestionFactory(aspect="market"), SurveyQuestionFactory(aspect="consumer")
    optional = SurveyQuestionFactory(aspect="channel", required=False)
    SurveyQuestionFactory(aspect="competitor", required=True, active=False)
    assert selectors.survey_completeness(customer=customer) == 0
    services.record_survey_answers(
        actor=org.rep_a,
        customer=customer,
        answers={q1.pk: "旧答案", optional.pk: "x"},
        answered_at=dt.datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert selectors.survey_completeness(customer=customer) == 0.5
    services.record_survey_answers(
        actor=org.rep_a, customer=customer, answers={q1.pk: "新答案"}, answered_at=dt.datetime(2026, 3, 8, tzinfo=UTC)
    )
    latest = {a.question_id: a.answer for a in selectors.latest_answers(customer=customer)}
    assert latest == {q1.pk: "新答案", optional.pk: "x"}
    services.record_survey_answers(actor=org.rep_a, customer=customer, answers={q2.pk: "年轻人"})
    assert selectors.survey_completeness(customer=customer) == 1
    row = selectors.my_customers(user=org.rep_a).get(pk=customer.pk)
    assert (row.survey_answered, row.survey_required) == (2, 2)


def test_survey_answers_for_another_reps_customer_are_refused(org):
    q = SurveyQuestionFactory()
    with pytest.raises(ValidationError):
        services.record_survey_answers(actor=org.rep_b, customer=CustomerFactory(owner=org.rep_a), answers={q.pk: "x"})


def test_beat_entry_names_a_task_the_worker_knows(db):
    from crm.celery import app

    app.loader.import_default_modules()
    assert PeriodicTask.objects.get(task="salesforce_auto.build_weekly_summaries").task in app.tasks


def test_team_lists_of_daily_reports_and_weekly_summaries_use_a_fixed_number_of_queries(
    org, api_for, page_for, django_assert_max_num_queries
):
    for back in range(10):
        for rep in (org.rep_a, org.rep_b):
            DailyReport.objects.create(
                rep=rep, date=timezone.localdate() - dt.timedelta(days=back), built_at=timezone.now()
            )
    for weeks in range(5):
        WeeklySummary.objects.create(
            team=org.team_a, week_start=dt.date(2026, 1, 5) + dt.timedelta(weeks=weeks), built_at=timezone.now()
        )
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/daily-reports/").json()["count"] == 20
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/weekly-summaries/").json()["count"] == 5
    assert api_for(org.manager_b).get("/api/v1/daily-reports/").json()["count"] == 0
    manager_page = page_for(org.manager_a)
    with django_assert_max_num_queries(8):
        html = manager_page.get("/team/reports/").content.decode()
    assert html.count("<tr>") >= 25
