"""Value-tier panels of the manager dashboard against a hand-computed fixture, scoped per role."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation.selectors_dashboard import DashboardFilters, bcg_points, tier_migration, tier_summary
from tests.factories import CustomerFactory
from tests.segmentation.conftest import local

pytestmark = pytest.mark.django_db
AS_OF = "2026-06-30"


@pytest.fixture
def two_runs(org, ledger, compute):
    """W (rep_c) 1000, X 800, Y 150, Z 50 (rep_a) → run 1: W A, X A, Y B, Z C.
    Then Y buys 5000 more → run 2: Y A, W A, X B (fell from A), Z C."""
    w = CustomerFactory(name="W", owner=org.rep_c, stage="current")
    x, y, z = (ledger.customer(name=n) for n in "XYZ")
    for customer, amount in ((w, "1000.00"), (x, "800.00"), (y, "150.00"), (z, "50.00")):
        ledger.order(customer, local(2026, 3, 10), amount)
    run1, _ = compute(as_of=AS_OF)
    ledger.order(y, local(2026, 4, 1), "5000.00")
    run2, assignments = compute(as_of=AS_OF)
    assert assignments[x.pk].abc_class == "B" and assignments[y.pk].abc_class == "A"
    return run1, run2, {"W": w, "X": x, "Y": y, "Z": z}


def test_managers_tier_summary_covers_their_teams_customers_only(org, ledger, compute):
    x, y, z = (ledger.customer(name=n) for n in "XYZ")
    w = CustomerFactory(name="W", owner=org.rep_c, stage="current")
    for customer, amount in ((w, "1000.00"), (x, "800.00"), (y, "150.00"), (z, "50.00")):
        ledger.order(customer, local(2026, 3, 10), amount)
    run, _ = compute(as_of=AS_OF)
    summary = tier_summary(user=org.manager_a, filters=DashboardFilters())
    assert summary["customers"] == 3 and summary["revenue"] == "1000.00"
    assert [(r["key"], r["customers"], r["revenue"], r["revenue_share"]) for r in summary["abc"]] == [
        ("A", 1, "800.00", "0.8000"),
        ("B", 1, "150.00", "0.1500"),
        ("C", 1, "50.00", "0.0500"),
    ]
    assert [p["customer_share"] for p in summary["pareto"]] == ["0.3333", "0.6667", "1.0000"]
    assert [p["revenue_share"] for p in summary["pareto"]] == ["0.8000", "0.9500", "1.0000"]
    assert summary["customer_share_for_80_percent"] == "0.3333"
    # New customers (no previous revenue) count as high growth: A → star, B/C → question mark.
    assert {r["key"]: r["customers"] for r in summary["bcg"]} == {
        "star": 1,
        "cash_cow": 0,
        "question_mark": 2,
        "dog": 0,
    }

    whole = tier_summary(user=org.admin, filters=DashboardFilters())
    assert whole["customers"] == 4 and whole["revenue"] == "2000.00"
    assert [r["customers"] for r in whole["abc"]] == [2, 1, 1]
    assert whole["pareto"] == run.pareto  # the stored curve, not recomputed
    assert whole["customer_share_for_80_percent"] == "0.5000"
    other = tier_summary(user=org.manager_b, filters=DashboardFilters())
    assert other["customers"] == 1 and other["abc"][0]["revenue"] == "1000.00"


def test_team_filter_narrows_the_admins_view(org, two_runs):
    team_b = tier_summary(user=org.admin, filters=DashboardFilters(team=org.team_b))
    assert team_b["customers"] == 1 and team_b["revenue"] == "1000.00"


def test_migration_matrix_and_customers_that_fell_from_a(org, two_runs):
    run1, run2, c = two_runs
    data = tier_migration(user=org.manager_a, filters=DashboardFilters())
    assert data["previous_run"] == run1.pk
    assert data["matrix"]["A"] == {"A": 0, "B": 1, "C": 0}
    assert data["matrix"]["B"] == {"A": 1, "B": 0, "C": 0}
    assert data["matrix"]["C"] == {"A": 0, "B": 0, "C": 1}
    assert [row["name"] for row in data["fell_from_a"]] == ["X"]
    assert tier_migration(user=org.manager_b, filters=DashboardFilters())["fell_from_a"] == []
    first = tier_migration(user=org.admin, filters=DashboardFilters(run_id=run1.pk))
    assert first["previous_run"] is None


def test_bcg_points_are_the_top_customers_by_revenue_in_scope(org, two_runs):
    run1, run2, c = two_runs
    data = bcg_points(user=org.manager_a, filters=DashboardFilters())
    assert [p["name"] for p in data["points"]] == ["Y", "X", "Z"]
    assert data["growth_threshold"] == "0.1000"
    assert sum(data["quadrant_customers"].values()) == 3
    assert [p["name"] for p in bcg_points(user=org.admin, filters=DashboardFilters())["points"]] == ["Y", "W", "X", "Z"]


def test_api_and_page_show_the_selector_numbers(org, two_runs, api_for, page_for):
    c = two_runs[2]
    for path, selector in (
        ("tiers", tier_summary),
        ("bcg", bcg_points),
        ("migration", tier_migration),
    ):
        body = api_for(org.manager_a).get(f"/api/v1/dashboard/{path}/").json()
        assert body == selector(user=org.manager_a, filters=DashboardFilters()), path
    html = page_for(org.manager_a).get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0.3333" in html  # the 80/20 check
    assert f'href="/customers/{c["X"].pk}/">X</a> → B' in html  # fell from A, linked to the customer card
    csv_text = page_for(org.manager_a).get("/dashboard/migration.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[1] == "A,0,1,0"


def test_without_any_run_the_tier_endpoints_say_so(org, api_for, page_for):
    assert api_for(org.manager_a).get("/api/v1/dashboard/tiers/").json() == {"run": None}
    assert page_for(org.manager_a).get("/dashboard/").status_code == 200


def test_unknown_run_is_a_404(org, api_for):
    assert api_for(org.manager_a).get("/api/v1/dashboard/tiers/?run=999999").status_code == 404


def test_dashboard_with_tiers_stays_within_15_queries(org, ledger, compute, page_for, django_assert_max_num_queries):
    from customers.models import Customer, Order

    def grow(n):
        customers = Customer.objects.bulk_create(
            [Customer(name=f"bulk{i}", owner=org.rep_b, stage="current") for i in range(n)]
        )
        Order.objects.bulk_create(
            [
                Order(customer=cu, ordered_at=local(2026, 2, 1), amount=Decimal(i % 97 + 1), source="bulk")
                for i, cu in enumerate(customers)
            ]
        )

    client = page_for(org.manager_a)
    grow(10)
    compute(as_of=AS_OF)
    with django_assert_max_num_queries(15):
        assert client.get("/dashboard/").status_code == 200
    grow(2000)
    compute(as_of=AS_OF)
    with django_assert_max_num_queries(15):
        assert client.get("/dashboard/").status_code == 200
    assert dt.date.fromisoformat(AS_OF)
