"""Permission matrix of field sales, visits side (see tests/permission_matrix.py)."""

import uuid

from tests.permission_matrix import OWNER_SCOPED, Check, api, expect, page

SCOPED_WRITE = {"rep_a": 201, "rep_b": 400, "manager_a": 201, "manager_b": 400, "admin": 201}
MANAGERS_ONLY = {"rep_a": 403, "rep_b": 403}


def build(world):
    import datetime as dt

    from django.utils import timezone

    from salesforce_auto.models import DailyReport, WeeklySummary
    from tests.factories import (
        AppointmentFactory,
        CustomerFactory,
        SurveyQuestionFactory,
        VisitPlanFactory,
        VisitReportFactory,
    )

    world.question_a = SurveyQuestionFactory()
    world.visit_customer_a = CustomerFactory(owner=world.rep_a, stage="target")
    world.visit_a = VisitReportFactory(customer=world.visit_customer_a, rep=world.rep_a)
    world.plan_a = VisitPlanFactory(customer=world.visit_customer_a, rep=world.rep_a)
    world.appointment_a = AppointmentFactory(customer=world.visit_customer_a, rep=world.rep_a)
    world.daily_a = DailyReport.objects.create(rep=world.rep_a, date=timezone.localdate(), built_at=timezone.now())
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    world.weekly_a = WeeklySummary.objects.create(team=world.team_a, week_start=monday, built_at=timezone.now())


def _new_visit(world, role):
    return {
        "client_uuid": str(uuid.uuid4()),
        "customer": world.visit_customer_a.pk,
        "visited_at": "2026-01-05T10:00:00+08:00",
        "method": "visit",
    }


def _new_plan(world, role):
    return {"customer": world.visit_customer_a.pk, "planned_at": "2026-01-05T10:00:00+08:00"}


def _new_appointment(world, role):
    return {"customer": world.visit_customer_a.pk, "starts_at": "2026-01-05T10:00:00+08:00", "place": "门店"}


ROUTES = {
    # API
    "visit-list": [
        Check("get", "/api/v1/visits/", api()),
        Check("post", "/api/v1/visits/", api(**SCOPED_WRITE), data=_new_visit),
    ],
    "visit-detail": [
        Check("get", lambda w: f"/api/v1/visits/{w.visit_a.pk}/", api(**OWNER_SCOPED)),
        Check("patch", lambda w: f"/api/v1/visits/{w.visit_a.pk}/", api(**OWNER_SCOPED), data={"outcome": "ok"}),
    ],
    "visit-plan-list": [
        Check("get", "/api/v1/visit-plans/", api()),
        Check("post", "/api/v1/visit-plans/", api(**SCOPED_WRITE), data=_new_plan),
    ],
    "visit-plan-detail": [Check("get", lambda w: f"/api/v1/visit-plans/{w.plan_a.pk}/", api(**OWNER_SCOPED))],
    "appointment-list": [
        Check("get", "/api/v1/appointments/", api()),
        Check("post", "/api/v1/appointments/", api(**SCOPED_WRITE), data=_new_appointment),
    ],
    "appointment-detail": [Check("get", lambda w: f"/api/v1/appointments/{w.appointment_a.pk}/", api(**OWNER_SCOPED))],
    "survey-question-list": [Check("get", "/api/v1/survey-questions/", api())],
    "survey-question-detail": [Check("get", lambda w: f"/api/v1/survey-questions/{w.question_a.pk}/", api())],
    "daily-report-list": [Check("get", "/api/v1/daily-reports/", api(**MANAGERS_ONLY))],
    "daily-report-detail": [
        Check("get", lambda w: f"/api/v1/daily-reports/{w.daily_a.pk}/", api(**MANAGERS_ONLY, manager_b=404))
    ],
    "weekly-summary-list": [Check("get", "/api/v1/weekly-summaries/", api(**MANAGERS_ONLY))],
    "weekly-summary-detail": [
        Check("get", lambda w: f"/api/v1/weekly-summaries/{w.weekly_a.pk}/", api(**MANAGERS_ONLY, manager_b=404))
    ],
    "weekly-summary-build": [
        Check("post", "/api/v1/weekly-summaries/build/", api(default=202, **MANAGERS_ONLY), data={})
    ],
    # pages
    "salesforce_auto:me": [Check("get", "/me/", page())],
    "salesforce_auto:visit-sw": [Check("get", "/sw.js", expect(200))],
    "salesforce_auto:visit-list": [Check("get", "/visits/", page())],
    "salesforce_auto:visit-new": [
        Check("get", "/visits/new/", page()),
        Check("post", "/visits/new/", page(), data={}, fmt="form"),
    ],
    "salesforce_auto:visit-detail": [Check("get", lambda w: f"/visits/{w.visit_a.pk}/", page(**OWNER_SCOPED))],
    "salesforce_auto:daily-report": [
        Check("get", "/visits/daily/", page()),
        Check("post", "/visits/daily/", page(), data={}, fmt="form"),
    ],
    "salesforce_auto:plan-new": [
        Check("get", "/visits/plans/new/", page()),
        Check("post", "/visits/plans/new/", page(), data={}, fmt="form"),
    ],
    "salesforce_auto:appointment-new": [
        Check("get", "/visits/appointments/new/", page()),
        Check("post", "/visits/appointments/new/", page(), data={}, fmt="form"),
    ],
    "salesforce_auto:customer-survey": [
        Check("get", lambda w: f"/visits/survey/{w.visit_customer_a.pk}/", page(**OWNER_SCOPED)),
        Check("post", lambda w: f"/visits/survey/{w.visit_customer_a.pk}/", page(**OWNER_SCOPED), data={}, fmt="form"),
    ],
    "salesforce_auto:team-reports": [Check("get", "/team/reports/", page(**MANAGERS_ONLY))],
    "salesforce_auto:daily-detail": [
        Check("get", lambda w: f"/team/daily/{w.daily_a.pk}/", page(**{**OWNER_SCOPED, "rep_b": 404}))
    ],
    "salesforce_auto:weekly-detail": [
        Check("get", lambda w: f"/team/weekly/{w.weekly_a.pk}/", page(**MANAGERS_ONLY, manager_b=404))
    ],
    "salesforce_auto:weekly-build": [
        Check("post", "/team/weekly/build/", page(default=302, **MANAGERS_ONLY), data={}, fmt="form")
    ],
}
