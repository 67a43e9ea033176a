"""The per-run dashboard aggregates (segmentation/aggregates.py) and the panels that read them: Pareto bins,
BCG density and top points, stage counts, customers that fell from A; cleanup when a run fails."""

from decimal import Decimal

import pytest

from customers.services.customer import transition_stage
from segmentation import aggregates, services
from segmentation.models import BcgBin, BcgTopPoint, FellFromA, RevenueBin, SegmentationRun, StageCount, TierAssignment
from segmentation.selectors_dashboard import (
    DashboardFilters,
    bcg_points,
    conversion,
    pareto_points,
    tier_migration,
)
from tests.factories import CustomerFactory, TerritoryFactory
from tests.segmentation.conftest import local

pytestmark = pytest.mark.django_db
AS_OF = "2026-06-30"
AMOUNTS = ["1000.00", "1000.00", "999.99", "450.10", "120.00", "55.55", "10.00", "3.20", "0.99", "0.00"]


@pytest.fixture
def spread(org, ledger):
    """Ten customers of rep_a (team A) with revenues over five decades, one without revenue; two of rep_c."""
    customers = []
    for i, amount in enumerate(AMOUNTS):
        customer = ledger.customer(name=f"a{i}")
        if Decimal(amount):
            ledger.order(customer, local(2026, 3, 1 + i), amount)
        customers.append(customer)
    for name, amount in (("c1", "5000.00"), ("c2", "70.00")):
        customer = CustomerFactory(name=name, owner=org.rep_c, stage="current")
        ledger.order(customer, local(2026, 3, 2), amount)
        customers.append(customer)
    return customers


def exact_curve(revenues: list[Decimal]) -> dict[int, Decimal]:
    """Cumulative revenue at every rank of a descending ranking (the true Pareto curve)."""
    running, out = Decimal(0), {}
    for rank, revenue in enumerate(sorted(revenues, reverse=True), start=1):
        running += revenue
        out[rank] = running
    return out


def test_scoped_pareto_points_from_bins_lie_on_the_exact_curve(org, spread, compute):
    run, assignments = compute(as_of=AS_OF)
    points = pareto_points(user=org.manager_a, filters=DashboardFilters(), run=run)
    mine = [assignments[c.pk].revenue for c in spread if c.owner_id == org.rep_a.pk]
    curve = exact_curve(mine)
    assert points[-1]["customers"] == len(mine) == 10
    assert points[-1]["revenue"] == str(sum(mine)) and points[-1]["revenue_share"] == "1.0000"
    for point in points:
        assert Decimal(point["revenue"]) == curve[point["customers"]]
    # the two 1000.00 share a bin (1000.00 starts one: an exact power of ten); 999.99 is in the bin below
    assert [p["customers"] for p in points] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    # bins in the database: every customer once, revenue exact
    stored = RevenueBin.objects.filter(run=run)
    assert sum(b.customers for b in stored) == 12
    assert sum(b.revenue for b in stored) == sum(a.revenue for a in assignments.values())


def test_bcg_density_counts_every_customer_with_revenue_in_scope(org, spread, compute):
    run, _ = compute(as_of=AS_OF)
    data = bcg_points(user=org.manager_a, filters=DashboardFilters())
    assert sum(cell["customers"] for cell in data["density"]) == 9  # a9 has no revenue: counted per quadrant only
    assert sum(data["quadrant_customers"].values()) == 10
    thousand = [c for c in data["density"] if c["revenue_from"] == "1000.00"]
    assert thousand == [
        {
            "revenue_from": "1000.00",
            "revenue_to": "3162.28",
            "growth_from": None,  # no previous revenue: no growth ratio
            "growth_to": None,
            "bcg_quadrant": "star",
            "customers": 2,
        }
    ]
    assert [p["name"] for p in data["points"]][:3] == ["a0", "a1", "a2"]
    whole = bcg_points(user=org.admin, filters=DashboardFilters())
    assert sum(cell["customers"] for cell in whole["density"]) == 11
    assert BcgBin.objects.filter(run=run).count() >= 6


def test_growth_bins_follow_the_growth_ratio(org, ledger, compute):
    customer = ledger.customer(name="grower")
    ledger.order(customer, local(2025, 3, 1), "100.00")  # previous window
    ledger.order(customer, local(2026, 3, 1), "130.00")  # +30%
    compute(as_of=AS_OF)
    (cell,) = bcg_points(user=org.admin, filters=DashboardFilters())["density"]
    assert (cell["growth_from"], cell["growth_to"], cell["revenue_from"]) == ("0.2500", "0.5000", "100.00")


@pytest.mark.parametrize("base", [aggregates.RANK_BUCKET_BASE, 2, 1])
def test_top_points_of_a_scope_come_from_the_stored_top_per_owner(org, spread, compute, monkeypatch, base):
    # base: with small rank buckets, each cell's points are ranked among its first buckets only
    monkeypatch.setattr(aggregates, "RANK_BUCKET_BASE", base)
    monkeypatch.setattr(aggregates, "BCG_TOP_PER_CELL", 3)
    monkeypatch.setattr("segmentation.selectors_dashboard.BCG_TOP_POINTS", 3)
    run, _ = compute(as_of=AS_OF)
    assert BcgTopPoint.objects.filter(run=run, owner=org.rep_a).count() == 3
    assert BcgTopPoint.objects.filter(run=run, owner=org.rep_c).count() == 2
    names = [p["name"] for p in bcg_points(user=org.manager_a, filters=DashboardFilters())["points"]]
    assert names == ["a0", "a1", "a2"]
    assert [p["name"] for p in bcg_points(user=org.manager_b, filters=DashboardFilters())["points"]] == ["c1", "c2"]
    whole = bcg_points(user=org.admin, filters=DashboardFilters())["points"]
    assert [p["name"] for p in whole] == ["c1", "a0", "a1"]  # the whole run reads the assignments' top ranks
    team_b = bcg_points(user=org.admin, filters=DashboardFilters(team=org.team_b))["points"]
    assert [p["name"] for p in team_b] == ["c1", "c2"]


def test_fell_from_a_is_stored_per_owner_and_capped(org, ledger, compute, monkeypatch):
    big = [ledger.customer(name=f"big{i}") for i in range(4)]
    for customer in big:
        ledger.order(customer, local(2026, 3, 1), "100.00")
    run1, first = compute(as_of=AS_OF)
    assert {first[c.pk].abc_class for c in big} == {"A"}
    newcomer = ledger.customer(name="newcomer")
    ledger.order(newcomer, local(2026, 3, 2), "10000.00")
    monkeypatch.setattr(aggregates, "FELL_FROM_A_PER_CELL", 2)
    run2, second = compute(as_of=AS_OF)
    fallen = [c for c in big if second[c.pk].abc_class != "A"]
    assert len(fallen) >= 3
    stored = FellFromA.objects.filter(run=run2).order_by("revenue_rank")
    assert stored.count() == 2  # capped per owner and territory
    assert {row.previous_revenue for row in stored} == {Decimal("100.00")}
    data = tier_migration(user=org.manager_a, filters=DashboardFilters())
    assert [row["customer"] for row in data["fell_from_a"]] == [row.customer_id for row in stored]
    assert tier_migration(user=org.manager_b, filters=DashboardFilters())["fell_from_a"] == []


def test_stage_counts_are_those_of_the_run_and_territory_filter_applies(org, ledger, compute):
    north = TerritoryFactory(team=org.team_a)
    ledger.customer(name="p1", stage="potential", territory=north)
    target = ledger.customer(name="t1", stage="target")
    run, _ = compute(as_of=AS_OF)
    transition_stage(actor=org.rep_a, customer=target, to_stage="current", reason="signed")
    data = conversion(user=org.manager_a, filters=DashboardFilters())
    assert data["stages_as_of_run"] == run.pk
    assert data["stages"] == {"potential": 1, "target": 1, "current": 0, "dormant": 0}
    assert data["moves"]["to_current"] == 1  # moves are live
    north_only = conversion(user=org.admin, filters=DashboardFilters(territory=north))
    assert north_only["stages"]["potential"] == 1 and north_only["stages"]["target"] == 0
    assert StageCount.objects.filter(run=run).count() == 2


def test_a_failed_run_leaves_no_dashboard_aggregates(org, spread, compute, monkeypatch):
    compute(as_of=AS_OF)  # a live run, so the failing one also writes fell-from-A rows

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_pareto", broken)
    run = services.start_run(actor=org.admin, parameters={"as_of": AS_OF}, enqueue=False)
    with pytest.raises(RuntimeError):
        services.compute_run(run_id=run.pk)
    assert SegmentationRun.objects.get(pk=run.pk).status == "failed"
    assert not TierAssignment.objects.filter(run=run).exists()
    for model in aggregates.AGGREGATE_MODELS:
        assert not model.objects.filter(run=run).exists(), model.__name__


def test_bcg_page_links_points_to_the_customer_card_and_density_csv(org, spread, compute, page_for):
    compute(as_of=AS_OF)
    client = page_for(org.manager_a)
    html = client.get("/dashboard/").content.decode()
    assert 'data-customer-url="/customers/0/"' in html
    lines = client.get("/dashboard/bcg-density.csv").content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(bcg_points(user=org.manager_a, filters=DashboardFilters())["density"])
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 9
