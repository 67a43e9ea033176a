"""DESIGN §3's segmentation rules on hand-computed fixtures (every figure below is worked out by hand)."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation.windows import Windows, months_before
from tests.segmentation.conftest import local

AS_OF = "2024-06-30"


def when(day=15, month=3, year=2024):
    return local(year, month, day)


@pytest.mark.django_db
def test_ties_rank_by_customer_id_and_a_running_sum_exactly_at_the_cutoff_is_not_below_it(ledger, compute):
    # 700, 100, 100, 100 of 1000: c2 and c3 tie; c2 (lower id) comes first with 700 before it (70 %) → A;
    # c3 has exactly 800 = 80 % before it → not < 80 % → B; c4 has 900 (90 %) before it → B.
    c1, c2, c3, c4 = (ledger.customer() for _ in range(4))
    for customer, amount in ((c1, "700.00"), (c2, "100.00"), (c3, "100.00"), (c4, "100.00")):
        ledger.order(customer, when(), amount)
    _run, got = compute(as_of=AS_OF)
    assert [got[c.pk].abc_class for c in (c1, c2, c3, c4)] == ["A", "A", "B", "B"]
    assert [got[c.pk].revenue_rank for c in (c1, c2, c3, c4)] == [1, 2, 3, 4]


@pytest.mark.django_db
def test_cutoff_comparison_is_decimal_exact_not_binary_floating_point(ledger, compute):
    # total 100.10; 80 % of it is exactly 80.08 (as a float 0.8 × 100.1 = 80.08000000000001).
    # c2 has exactly 80.08 before it → B, not A.
    c1, c2 = ledger.customer(), ledger.customer()
    ledger.order(c1, when(), "80.08")
    ledger.order(c2, when(), "20.02")
    _run, got = compute(as_of=AS_OF)
    assert (got[c1.pk].abc_class, got[c2.pk].abc_class) == ("A", "B")


@pytest.mark.django_db
def test_one_customer_holding_more_than_80_percent_is_the_only_a(ledger, compute):
    # 900, 60, 40 of 1000: c1 A (nothing before it); c2 has 90 % before it → B; c3 has 96 % → C.
    c1, c2, c3 = ledger.customer(), ledger.customer(), ledger.customer()
    for customer, amount in ((c1, "900.00"), (c2, "60.00"), (c3, "40.00")):
        ledger.order(customer, when(), amount)
    run, got = compute(as_of=AS_OF)
    assert [got[c.pk].abc_class for c in (c1, c2, c3)] == ["A", "B", "C"]
    assert run.total_revenue == Decimal("1000.00")


@pytest.mark.django_db
def test_zero_revenue_is_always_c_and_a_dog(ledger, compute):
    nobody, buyer = ledger.customer(), ledger.customer()
    ledger.order(buyer, when(), "10.00")
    _run, got = compute(as_of=AS_OF, a_cutoff="1", b_cutoff="1")
    assert got[nobody.pk].abc_class == "C"
    assert got[nobody.pk].bcg_quadrant == "dog"
    assert got[nobody.pk].revenue == Decimal("0.00")
    assert got[buyer.pk].abc_class == "A"


@pytest.mark.django_db
def test_growth_and_share_of_wallet_round_half_away_from_zero_to_four_places(ledger, compute):
    # previous 200.00: one cent more is +0.00005 → 0.0001, one cent less is −0.00005 → −0.0001;
    # 2.00 → 1.00 is exactly −0.5; annual volume 12 × 166.67 = 2000.04, revenue 200.01 → 0.100004… → 0.1000
    up, down, halved = ledger.customer(), ledger.customer(), ledger.customer()
    wallet = ledger.customer(monthly_purchase_volume=Decimal("166.67"))
    for customer, before, now in ((up, "200.00", "200.01"), (down, "200.00", "199.99"), (halved, "2.00", "1.00")):
        ledger.order(customer, local(2023, 3, 1), before)
        ledger.order(customer, local(2024, 3, 1), now)
    ledger.order(wallet, local(2024, 3, 1), "200.01")
    _run, got = compute(as_of=AS_OF)
    assert [got[c.pk].growth for c in (up, down, halved)] == [Decimal("0.0001"), Decimal("-0.0001"), Decimal("-0.5")]
    assert got[wallet.pk].share_of_wallet == Decimal("0.1000")
    assert got[wallet.pk].potential_value == Decimal("1800.03")


@pytest.mark.django_db
def test_growth_exactly_at_the_threshold_is_high_growth(ledger, compute):
    # window (2023-06-30, 2024-06-30], previous (2022-06-30, 2023-06-30]
    exact, below = ledger.customer(), ledger.customer()
    ledger.order(exact, local(2023, 3, 1), "3.00")
    ledger.order(exact, local(2024, 3, 1), "3.30")  # 3.30 / 3.00 − 1 = exactly +10 %
    ledger.order(below, local(2023, 3, 1), "3.00")
    ledger.order(below, local(2024, 3, 1), "3.29")
    _run, got = compute(as_of=AS_OF)
    assert got[exact.pk].growth == Decimal("0.1000")
    assert got[exact.pk].previous_revenue == Decimal("3.00")
    assert got[exact.pk].abc_class == "A" and got[exact.pk].bcg_quadrant == "star"
    # below: 3.30 (50.08 %) before it → A, growth 9.67 % → cash cow
    assert got[below.pk].growth == Decimal("0.0967")
    assert got[below.pk].abc_class == "A" and got[below.pk].bcg_quadrant == "cash_cow"


@pytest.mark.django_db
def test_previous_revenue_zero_is_high_growth_with_null_growth_and_both_zero_is_a_dog(ledger, compute):
    new, idle = ledger.customer(), ledger.customer()
    ledger.order(new, local(2024, 1, 1), "10.00")
    _run, got = compute(as_of=AS_OF)
    assert (got[new.pk].growth, got[new.pk].abc_class, got[new.pk].bcg_quadrant) == (None, "A", "star")
    assert (got[idle.pk].growth, got[idle.pk].abc_class, got[idle.pk].bcg_quadrant) == (None, "C", "dog")


@pytest.mark.django_db
def test_growth_rules_for_low_value_customers(ledger, compute):
    # big: 1000 → A, growth 0 → cash cow. new: 10, previous 0 → high growth, 1000 of 1010 before it (99 %) → C →
    # question mark. idle: nothing in either window → growth null, dog. lapsed: previous 50, now 0 → −100 %, dog.
    big, new, idle, lapsed = (ledger.customer() for _ in range(4))
    ledger.order(big, local(2024, 1, 1), "1000.00")
    ledger.order(big, local(2023, 1, 1), "1000.00")
    ledger.order(new, local(2024, 1, 1), "10.00")
    ledger.order(lapsed, local(2023, 1, 1), "50.00")
    _run, got = compute(as_of=AS_OF)
    assert (got[big.pk].abc_class, got[big.pk].bcg_quadrant, got[big.pk].growth) == ("A", "cash_cow", Decimal("0"))
    assert (got[new.pk].abc_class, got[new.pk].bcg_quadrant, got[new.pk].growth) == ("C", "question_mark", None)
    assert (got[idle.pk].bcg_quadrant, got[idle.pk].growth) == ("dog", None)
    assert (got[lapsed.pk].bcg_quadrant, got[lapsed.pk].growth) == ("dog", Decimal("-1.0000"))


def test_month_end_window_arithmetic_clamps_the_day():
    assert str(months_before(dt.date(2021, 3, 31), 1)) == "2021-02-28"
    assert str(months_before(dt.date(2024, 3, 31), 1)) == "2024-02-29"
    windows = Windows.for_run(as_of=dt.date(2021, 3, 31), window_months=1)
    # window (2021-02-28, 2021-03-31] → from local midnight of 03-01; previous from as_of − 2 months = 01-31
    assert windows.window_start == local(2021, 3, 1, 0, 0)
    assert windows.window_end == local(2021, 4, 1, 0, 0)
    assert windows.previous_start == local(2021, 2, 1, 0, 0)


@pytest.mark.django_db
def test_month_end_windows_in_a_run(ledger, compute):
    customer = ledger.customer()
    ledger.order(customer, local(2021, 3, 1, 0, 30), "1.00")  # in (02-28, 03-31]
    ledger.order(customer, local(2021, 3, 31, 23, 30), "2.00")  # in, the last local minute of as_of
    ledger.order(customer, local(2021, 2, 28, 23, 30), "4.00")  # previous (01-31, 02-28]
    ledger.order(customer, local(2021, 2, 1, 0, 30), "8.00")  # previous
    ledger.order(customer, local(2021, 1, 31, 12, 0), "16.00")  # before both windows
    ledger.order(customer, local(2021, 4, 1, 0, 30), "32.00")  # after as_of
    _run, got = compute(as_of="2021-03-31", window_months=1)
    row = got[customer.pk]
    assert (row.revenue, row.previous_revenue, row.frequency) == (Decimal("3.00"), Decimal("12.00"), 2)
    assert row.recency_days == 0


@pytest.mark.django_db
def test_local_date_edges_in_asia_shanghai(ledger, compute, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    customer, early = ledger.customer(), ledger.customer()
    # 2024-06-30 23:30 local = 15:30 UTC: in the window. 2024-07-01 00:30 local = 2024-06-30 16:30 UTC: same UTC
    # date as as_of, but the local date is after it → out.
    ledger.order(customer, local(2024, 6, 30, 23, 30), "1.00")
    ledger.order(customer, local(2024, 7, 1, 0, 30), "2.00")
    # window start: 2023-06-30 23:30 local is on the excluded first date; 2023-07-01 00:30 local is in.
    ledger.order(customer, local(2023, 6, 30, 23, 30), "4.00")
    ledger.order(customer, local(2023, 7, 1, 0, 30), "8.00")
    # recency counts local dates: 2024-06-29 00:30 local (06-28 16:30 UTC) → 1 day before as_of
    ledger.order(early, local(2024, 6, 29, 0, 30), "1.00")
    _run, got = compute(as_of=AS_OF)
    assert got[customer.pk].revenue == Decimal("9.00")
    assert got[customer.pk].previous_revenue == Decimal("4.00")
    assert got[customer.pk].recency_days == 0
    assert got[early.pk].recency_days == 1


@pytest.mark.django_db
def test_custom_parameters(ledger, compute):
    # 500, 300, 150, 50 of 1000 with a=0.5, b=0.9: c1 A; c2 50 % before → B; c3 80 % → B; c4 95 % → C.
    # high-value classes A and B; growth threshold 0.5: c2 grew 200 → 300 (+50 %) → star; c3 100 → 150 = +50 %
    # → star; c1 had no previous → star; c4 → question mark (previous 0, low value).
    c1, c2, c3, c4 = (ledger.customer() for _ in range(4))
    for customer, now, before in ((c1, "500", None), (c2, "300", "200"), (c3, "150", "100.01"), (c4, "50", None)):
        ledger.order(customer, local(2024, 2, 1), now)
        if before:
            ledger.order(customer, local(2023, 2, 1), before)
    ledger.visit(c1, local(2024, 5, 1))
    ledger.visit(c1, local(2024, 5, 2))
    run, got = compute(
        as_of=AS_OF,
        a_cutoff="0.5",
        b_cutoff="0.9",
        growth_threshold="0.5",
        high_value_classes=["A", "B"],
        visit_cost="12.50",
        make_live=False,
    )
    assert [got[c.pk].abc_class for c in (c1, c2, c3, c4)] == ["A", "B", "B", "C"]
    # c3: 150 / 100.01 − 1 = 49.99 % < 50 % → cash cow
    assert [got[c.pk].bcg_quadrant for c in (c1, c2, c3, c4)] == ["star", "star", "cash_cow", "question_mark"]
    assert got[c1.pk].profit == Decimal("475.00")  # 500 − 0 cost − 2 visits × 12.50
    assert run.high_value_classes == ["A", "B"] and run.visit_cost == Decimal("12.50")
    assert run.live is False


@pytest.mark.django_db
def test_rfm_ntile_with_few_customers(ledger, compute):
    # three buyers: NTILE(5) over three rows gives 1, 2, 3. r over recency descending (oldest first),
    # f over frequency ascending, m over revenue ascending, ties by id.
    old, mid, recent, never = (ledger.customer() for _ in range(4))
    ledger.order(old, local(2022, 1, 1), "5.00")  # before both windows: recency counted, frequency 0
    ledger.order(mid, local(2024, 1, 1), "50.00")
    ledger.order(recent, local(2024, 6, 1), "10.00")
    ledger.order(recent, local(2024, 6, 2), "10.00")
    _run, got = compute(as_of=AS_OF)
    assert [got[c.pk].recency_days for c in (old, mid, recent)] == [911, 181, 28]
    assert [got[c.pk].r_score for c in (old, mid, recent)] == [1, 2, 3]
    assert [got[c.pk].frequency for c in (old, mid, recent)] == [0, 1, 2]
    assert [got[c.pk].f_score for c in (old, mid, recent)] == [1, 2, 3]
    assert [got[c.pk].m_score for c in (old, recent, mid)] == [1, 2, 3]
    row = got[never.pk]
    assert (row.recency_days, row.r_score, row.f_score, row.m_score, row.frequency) == (None, None, None, None, 0)


@pytest.mark.django_db
def test_rfm_ties_break_by_customer_id_across_five_tiles(ledger, compute):
    customers = [ledger.customer() for _ in range(10)]
    for customer in customers:
        ledger.order(customer, local(2024, 6, 1), "10.00")  # all equal: order by id alone
    _run, got = compute(as_of=AS_OF)
    assert [got[c.pk].m_score for c in customers] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [got[c.pk].r_score for c in customers] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@pytest.mark.django_db
def test_loyalty_needs_four_orders_in_the_window(ledger, compute):
    three, four, old = ledger.customer(), ledger.customer(), ledger.customer()
    for day in (1, 2, 3):
        ledger.order(three, local(2024, 5, day), "1.00")
    for day in (1, 2, 3, 4):
        ledger.order(four, local(2024, 5, day), "1.00")
    for day in (1, 2, 3):
        ledger.order(old, local(2024, 5, day), "1.00")
    ledger.order(old, local(2023, 5, 1), "1.00")  # outside the window: does not count
    _run, got = compute(as_of=AS_OF)
    assert (got[three.pk].loyal, got[four.pk].loyal, got[old.pk].loyal) == (False, True, False)


@pytest.mark.django_db
def test_profit_subtracts_cost_of_goods_and_visits_in_the_window(ledger, compute):
    customer = ledger.customer()
    ledger.order(customer, local(2024, 4, 1), "1000.00", cost="600.00")
    ledger.order(customer, local(2023, 4, 1), "999.00", cost="1.00")  # previous window: not in profit
    ledger.visit(customer, local(2024, 4, 2))
    ledger.visit(customer, local(2024, 6, 30, 23, 30))
    ledger.visit(customer, local(2023, 6, 30, 23, 30))  # outside the window
    _run, got = compute(as_of=AS_OF, visit_cost="50.00")
    assert got[customer.pk].profit == Decimal("300.00")


@pytest.mark.django_db
def test_potential_value_and_share_of_wallet(ledger, compute):
    partial = ledger.customer(monthly_purchase_volume=Decimal("100.00"))  # annual 1200
    over = ledger.customer(monthly_purchase_volume=Decimal("100.00"))
    unknown = ledger.customer()
    ledger.order(partial, local(2024, 4, 1), "1000.00")
    ledger.order(over, local(2024, 4, 1), "1500.00")
    ledger.order(unknown, local(2024, 4, 1), "10.00")
    _run, got = compute(as_of=AS_OF)
    assert (got[partial.pk].potential_value, got[partial.pk].share_of_wallet) == (Decimal("200.00"), Decimal("0.8333"))
    assert (got[over.pk].potential_value, got[over.pk].share_of_wallet) == (Decimal("0.00"), Decimal("1.2500"))
    assert (got[unknown.pk].potential_value, got[unknown.pk].share_of_wallet) == (None, None)


@pytest.mark.django_db
def test_pareto_curve_and_aggregates_are_stored_with_the_run(ledger, compute, org):
    from segmentation.selectors import pareto_curve, segment_counts

    c1, c2 = ledger.customer(), ledger.customer()
    ledger.order(c1, local(2024, 4, 1), "85.00")
    ledger.order(c2, local(2024, 4, 1), "15.00")
    run, _got = compute(as_of=AS_OF)
    assert pareto_curve(run) == [
        {"customers": 1, "customer_share": "0.5000", "revenue": "85.00", "revenue_share": "0.8500"},
        {"customers": 2, "customer_share": "1.0000", "revenue": "100.00", "revenue_share": "1.0000"},
    ]
    counts = {row["abc_class"]: (row["customers"], row["revenue"]) for row in segment_counts(run=run)}
    assert counts == {"A": (1, Decimal("85.00")), "B": (1, Decimal("15.00"))}
    assert segment_counts(run=run, user=org.manager_b) == []
    assert len(segment_counts(run=run, user=org.manager_a)) == 2


@pytest.mark.django_db
def test_pareto_curve_is_downsampled_to_200_points(ledger, compute):
    customers = [ledger.customer() for _ in range(450)]
    from customers.models import Order

    Order.objects.bulk_create(
        Order(customer=c, ordered_at=local(2024, 4, 1), amount=Decimal(i + 1), cost=0, external_ref=f"P{i}")
        for i, c in enumerate(customers)
    )
    run, _got = compute(as_of=AS_OF)
    points = run.pareto
    assert len(points) <= 200
    assert points[-1]["customers"] == 450 and points[-1]["revenue_share"] == "1.0000"
    shares = [Decimal(p["revenue_share"]) for p in points]
    assert shares == sorted(shares)


@pytest.mark.django_db
def test_migration_matrix_against_the_previous_live_run(ledger, compute, org):
    from segmentation.selectors import migration_matrix

    c1, c2 = ledger.customer(), ledger.customer()
    ledger.order(c1, local(2024, 4, 1), "90.00")
    ledger.order(c2, local(2024, 4, 1), "10.00")
    first, _ = compute(as_of=AS_OF)
    ledger.order(c2, local(2024, 5, 1), "1000.00")
    second, _ = compute(as_of=AS_OF)
    assert second.previous_run_id == first.pk
    stored = migration_matrix(first, second)
    assert stored["abc_class"] == {"A": {"B": 1}, "B": {"A": 1}}
    # the same answer computed by a join when the stored aggregates do not apply (reversed order)
    joined = migration_matrix(second, first)
    assert joined["abc_class"] == {"A": {"B": 1}, "B": {"A": 1}}
    assert migration_matrix(first, second, user=org.manager_b) == {"abc_class": {}, "bcg_quadrant": {}}


ON_POSTGRES = pytest.mark.skipif(
    not __import__("os").environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="beyond 64-bit cents only PostgreSQL's numeric stays exact",
)


@pytest.mark.django_db
@ON_POSTGRES
def test_cutoff_stays_exact_beyond_64_bit_integer_products(ledger, compute):
    # total 10 × 999999999999.99 ≈ 10¹³ yuan: cents × 10000 no longer fit a bigint, the numeric path decides.
    # small has exactly 8 of the 10 equal orders before it = 80 % → B.
    big, small = ledger.customer(), ledger.customer()
    for _ in range(8):
        ledger.order(big, local(2024, 3, 1), "999999999999.99")
    for _ in range(2):
        ledger.order(small, local(2024, 3, 1), "999999999999.99")
    _run, got = compute(as_of=AS_OF)
    assert (got[big.pk].abc_class, got[small.pk].abc_class) == ("A", "B")


@pytest.mark.django_db
@ON_POSTGRES
def test_growth_threshold_stays_exact_beyond_64_bit_integer_products(ledger, compute):
    grower = ledger.customer()  # 1.1 × 10¹² against 1.0 × 10¹² yuan: exactly +10 %
    for _ in range(2):
        ledger.order(grower, local(2023, 3, 1), "500000000000.00")
        ledger.order(grower, local(2024, 3, 2), "550000000000.00")
    _run, got = compute(as_of=AS_OF)
    assert (got[grower.pk].growth, got[grower.pk].bcg_quadrant) == (Decimal("0.1000"), "star")
