"""compute_run against a straightforward reference on random ledgers full of ties.

The reference below follows DESIGN §3 literally, one customer at a time in Python with Decimal: sort, sum,
compare, NTILE as PostgreSQL defines it. The run computes the same in SQL with shared sorts and tiles derived
from counts (PostgreSQL) or plain window functions (SQLite); both must agree on every field of every customer.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest

from segmentation.windows import months_before
from tests.segmentation.conftest import local

AS_OF = dt.date(2024, 6, 30)
SCALE = Decimal(10000)


def ntile(ordered_ids: list[int], tiles: int = 5) -> dict[int, int]:
    """NTILE(tiles) over rows already in order: the first len % tiles buckets hold one row more."""
    size, extra = divmod(len(ordered_ids), tiles)
    result, position = {}, 0
    for bucket in range(1, tiles + 1):
        for _ in range(size + (1 if bucket <= extra else 0)):
            result[ordered_ids[position]] = bucket
            position += 1
    return result


def reference(customers, orders, *, a_cutoff=Decimal("0.8"), b_cutoff=Decimal("0.95"), growth=Decimal("0.1")):
    """{customer_id: expected fields} for a 12-month window ending AS_OF; orders are (customer_id, local date,
    amount, cost)."""
    start, previous_start = months_before(AS_OF, 12), months_before(AS_OF, 24)
    rows = {
        c: {"revenue": Decimal(0), "previous": Decimal(0), "cost": Decimal(0), "frequency": 0, "last": None}
        for c in customers
    }
    for customer, day, amount, cost in orders:
        if day > AS_OF:
            continue
        row = rows[customer]
        row["last"] = max(row["last"] or day, day)
        if start < day:
            row["revenue"] += amount
            row["cost"] += cost
            row["frequency"] += 1
        elif previous_start < day:
            row["previous"] += amount
    total = sum(row["revenue"] for row in rows.values())
    prior = Decimal(0)
    for rank, customer in enumerate(sorted(customers, key=lambda c: (-rows[c]["revenue"], c)), start=1):
        row = rows[customer]
        row["rank"] = rank
        if row["revenue"] > 0 and prior < a_cutoff * total:
            row["abc"] = "A"
        elif row["revenue"] > 0 and prior < b_cutoff * total:
            row["abc"] = "B"
        else:
            row["abc"] = "C"
        prior += row["revenue"]
        # previous 0: high growth when there is revenue now
        high_growth = row["revenue"] / row["previous"] - 1 >= growth if row["previous"] else row["revenue"] > 0
        high_value = row["abc"] == "A"
        row["bcg"] = {
            (True, True): "star",
            (True, False): "cash_cow",
            (False, True): "question_mark",
            (False, False): "dog",
        }[(high_value, high_growth)]
        row["recency"] = (AS_OF - row["last"]).days if row["last"] else None
    scored = [c for c in customers if rows[c]["last"] is not None]
    r = ntile(sorted(scored, key=lambda c: (-rows[c]["recency"], c)))
    f = ntile(sorted(scored, key=lambda c: (rows[c]["frequency"], c)))
    m = ntile(sorted(scored, key=lambda c: (rows[c]["revenue"], c)))
    for customer in customers:
        rows[customer]["scores"] = (r.get(customer), f.get(customer), m.get(customer))
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(1, 11))
def test_random_ledgers_with_ties_agree_with_a_straightforward_reference(ledger, compute, seed):
    rng = random.Random(seed)
    customers = [ledger.customer() for _ in range(rng.randint(3, 60))]
    # few distinct amounts and days, so revenues, frequencies and recencies tie often; some customers buy
    # nothing, some only long ago (scored, zero revenue), some only after as_of (not scored)
    amounts = [Decimal("0.00"), Decimal("10.00"), Decimal("20.00"), Decimal("30.01")]
    days = [AS_OF - dt.timedelta(days=d) for d in (0, 1, 30, 200, 364, 366, 400, 700, 800)] + [
        AS_OF + dt.timedelta(days=2)
    ]
    orders = []
    for customer in customers:
        kind = rng.random()
        count = 0 if kind < 0.15 else rng.randint(1, 6)
        for _ in range(count):
            day = rng.choice(days[-3:] if kind > 0.9 else days)
            amount = rng.choice(amounts)
            cost = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
            ledger.order(customer, local(day.year, day.month, day.day, rng.choice([0, 12, 23]), 30), str(amount), cost)
            orders.append((customer.pk, day, amount, cost))
    expected = reference([c.pk for c in customers], orders)

    _run, got = compute(as_of=AS_OF.isoformat())

    for customer in customers:
        want, have = expected[customer.pk], got[customer.pk]
        assert (
            have.revenue,
            have.previous_revenue,
            have.frequency,
            have.revenue_rank,
            have.abc_class,
            have.bcg_quadrant,
            have.recency_days,
            (have.r_score, have.f_score, have.m_score),
            have.profit,
            have.loyal,
        ) == (
            want["revenue"],
            want["previous"],
            want["frequency"],
            want["rank"],
            want["abc"],
            want["bcg"],
            want["recency"],
            want["scores"],
            want["revenue"] - want["cost"],
            want["frequency"] >= 4,
        ), f"customer {customer.pk} (seed {seed})"
