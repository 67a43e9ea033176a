"""Demo orders for `manage.py seed_demo`: 24 months of ledger with a Pareto skew (a few customers carry most
of the revenue). Safe to run twice: orders carry deterministic refs under source "demo"."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer, Order, Stage

SOURCE = "demo"
MONTHS = 24


def seed(stdout) -> None:
    import random

    customers = list(
        Customer.objects.filter(stage__in=[Stage.CURRENT, Stage.DORMANT]).order_by("id").values_list("id", "stage")
    )
    if not customers:
        stdout.write("Demo orders: no current or dormant customers yet; none created.")
        return
    if Order.objects.filter(source=SOURCE).exists():
        stdout.write("Demo orders: already there.")
        return
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    now = timezone.now()
    days = MONTHS * 30
    orders = []
    for rank, (customer_id, stage) in enumerate(customers):
        # Zipf-like weights: the top fifth of customers ends up with roughly 80% of the revenue.
        weight = 1 / (rank + 1) ** 1.1
        count = max(1, round(60 * weight)) + rng.randint(0, 2)
        size = 2000 + 48000 * weight
        # A dormant customer stopped ordering more than a year ago.
        earliest, latest = (days, 400) if stage == Stage.DORMANT else (days, 0)
        for n in range(count):
            when = now - timedelta(days=rng.uniform(latest, earliest), hours=rng.uniform(0, 10))
            cents = int(size * rng.lognormvariate(0, 0.5) * 100)
            amount = Decimal(cents) / 100
            cost = (amount * Decimal(rng.randint(55, 80)) / 100).quantize(Decimal("0.01"))
            orders.append(
                Order(
                    customer_id=customer_id,
                    ordered_at=when,
                    amount=amount,
                    cost=cost,
                    source=SOURCE,
                    external_ref=f"DEMO-{customer_id}-{n}",
                )
            )
    Order.objects.bulk_create(orders, batch_size=2000, ignore_conflicts=True)
    stdout.write(f"Demo orders: {len(orders)} over {MONTHS} months for {len(customers)} customers.")
