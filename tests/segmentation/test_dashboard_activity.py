"""Rep activity and lifecycle conversion on the manager dashboard: numbers, scope, time zone, CSV."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from customers.services.customer import create_customer, transition_stage
from salesforce_auto.models import VisitReport
from segmentation.selectors_dashboard import DashboardFilters, conversion, rep_activity

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 20)


def visit(rep, customer, when):
    return VisitReport.objects.create(client_uuid=uuid.uuid4(), rep=rep, customer=customer, visited_at=when)


@pytest.fixture
def visits(org):
    a = create_customer(actor=org.rep_a, name="A1")
    b = create_customer(actor=org.rep_b, name="B1")
    c = create_customer(actor=org.rep_c, name="C1")
    # 23:30 local on the 19th is 15:30 UTC: it belongs to the 19th, not the 20th.
    visit(org.rep_a, a, dt.datetime(2026, 11, 19, 23, 30, tzinfo=SHANGHAI))
    # 00:30 local on the 20th is 16:30 UTC on the 19th: it belongs to the 20th.
    visit(org.rep_a, a, dt.datetime(2026, 11, 20, 0, 30, tzinfo=SHANGHAI))
    visit(org.rep_a, a, dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    visit(org.rep_b, b, dt.datetime(2026, 11, 7, 9, 0, tzinfo=SHANGHAI))  # first day of the 14-day window
    visit(org.rep_b, b, dt.datetime(2026, 11, 6, 23, 59, tzinfo=SHANGHAI))  # one day too early
    visit(org.rep_c, c, dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    return a, b, c


def _by_name(data):
    return {rep["name"]: rep for rep in data["reps"]}


def test_visits_are_counted_per_rep_per_local_day(org, visits):
    data = rep_activity(user=org.manager_a, filters=DashboardFilters(), today=TODAY)
    assert data["dates"][0] == "2026-11-07" and data["dates"][-1] == "2026-11-20" and len(data["dates"]) == 14
    reps = _by_name(data)
    assert set(reps) == {str(org.rep_a), str(org.rep_b)}
    assert reps[str(org.rep_a)]["visits"][-2:] == [1, 2]
    assert reps[str(org.rep_a)]["total"] == 3
    assert reps[str(org.rep_b)]["visits"][0] == 1 and reps[str(org.rep_b)]["total"] == 1


def test_another_teams_manager_sees_only_their_reps(org, visits):
    data = rep_activity(user=org.manager_b, filters=DashboardFilters(), today=TODAY)
    assert [rep["name"] for rep in data["reps"]] == [str(org.rep_c)]
    assert data["reps"][0]["total"] == 1


def test_admin_filters_by_team(org, visits):
    everyone = rep_activity(user=org.admin, filters=DashboardFilters(), today=TODAY)
    assert {r["name"] for r in everyone["reps"]} == {str(org.rep_a), str(org.rep_b), str(org.rep_c)}
    team_b = rep_activity(user=org.admin, filters=DashboardFilters(team=org.team_b), today=TODAY)
    assert [r["name"] for r in team_b["reps"]] == [str(org.rep_c)]


def test_conversion_counts_stages_and_moves(org, visits):
    a, b, _c = visits
    transition_stage(actor=org.rep_a, customer=a, to_stage="target")
    transition_stage(actor=org.rep_a, customer=a, to_stage="current")
    transition_stage(actor=org.rep_b, customer=b, to_stage="target")
    data = conversion(user=org.manager_a, filters=DashboardFilters())
    assert data["stages"] == {"potential": 0, "target": 1, "current": 1, "dormant": 0}
    assert data["moves"] == {"new_potential": 2, "to_target": 2, "to_current": 1, "to_dormant": 0}
    assert conversion(user=org.manager_b, filters=DashboardFilters())["stages"]["potential"] == 1


def test_api_serves_the_selector_numbers(org, visits, api_for):
    expected = rep_activity(user=org.manager_a, filters=DashboardFilters())
    body = api_for(org.manager_a).get("/api/v1/dashboard/activity/").json()
    assert body == expected
    body = api_for(org.manager_a).get("/api/v1/dashboard/conversion/").json()
    assert body == conversion(user=org.manager_a, filters=DashboardFilters())


def test_malformed_filter_is_a_400_and_foreign_team_a_404(org, api_for, page_for):
    assert api_for(org.manager_a).get("/api/v1/dashboard/activity/?team=abc").status_code == 400
    assert "team" in api_for(org.manager_a).get("/api/v1/dashboard/activity/?team=abc").json()
    assert api_for(org.manager_a).get(f"/api/v1/dashboard/activity/?team={org.team_b.pk}").status_code == 404
    assert page_for(org.manager_a).get(f"/dashboard/?team={org.team_b.pk}").status_code == 404
    assert page_for(org.manager_a).get("/dashboard/?territory=x").status_code == 400


def test_reps_cannot_open_the_dashboard(org, api_for, page_for):
    assert page_for(org.rep_a).get("/dashboard/").status_code == 403
    assert api_for(org.rep_a).get("/api/v1/dashboard/activity/").status_code == 403


def test_page_shows_the_numbers_and_csv_downloads_them(org, visits, page_for):
    client = page_for(org.manager_a)
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert str(org.rep_a) in html and str(org.rep_c) not in html
    response = client.get("/dashboard/activity.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3  # header + rep_a + rep_b
    assert page_for(org.manager_a).get("/dashboard/nope.csv").status_code == 404


def test_dashboard_query_count_does_not_grow_with_customers(org, django_assert_max_num_queries, page_for):
    from customers.models import Customer

    client = page_for(org.manager_a)
    Customer.objects.bulk_create([Customer(name=f"c{i}", owner=org.rep_a, stage="current") for i in range(10)])
    with django_assert_max_num_queries(15):
        assert client.get("/dashboard/").status_code == 200
    Customer.objects.bulk_create([Customer(name=f"d{i}", owner=org.rep_b, stage="target") for i in range(2000)])
    with django_assert_max_num_queries(15):
        assert client.get("/dashboard/").status_code == 200


def test_daily_reports_are_submitted_missing_or_pending_per_rep_per_day(org, visits):
    from salesforce_auto.models import DailyReport

    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
    DailyReport.objects.create(rep=org.rep_a, date=dt.date(2026, 11, 19), status="submitted", built_at=now)
    DailyReport.objects.create(rep=org.rep_b, date=dt.date(2026, 11, 7), status="draft", built_at=now)
    data = rep_activity(user=org.manager_a, filters=DashboardFilters(), today=TODAY)
    rep_a, rep_b = _by_name(data)[str(org.rep_a)], _by_name(data)[str(org.rep_b)]
    assert rep_a["reports"][-2:] == ["submitted", "pending"]  # today's visits are not reported yet: pending
    assert rep_a["reports"][:-2] == [None] * 12  # no visit, nothing to report
    assert rep_b["reports"][0] == "missing"  # a draft is not a submitted report
    assert (rep_a["reports_submitted"], rep_a["reports_missing"], rep_a["reports_pending"]) == (1, 0, 1)
    assert (rep_b["reports_submitted"], rep_b["reports_missing"], rep_b["reports_pending"]) == (0, 1, 0)
    tomorrow = rep_activity(user=org.manager_a, filters=DashboardFilters(), today=TODAY + dt.timedelta(days=1))
    assert _by_name(tomorrow)[str(org.rep_a)]["reports"][-2] == "missing"  # the day is over
