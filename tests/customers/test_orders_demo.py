"""seed_demo's orders: 24 months, Pareto-skewed, fast, safe to run twice, fine with no customers."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Max, Min, Sum
from django.utils import timezone

from customers import demo_orders
from customers.models import Order
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_no_customers_means_no_orders_and_no_error():
    out = io.StringIO()
    demo_orders.seed(out)
    assert not Order.objects.exists() and "none created" in out.getvalue()


def test_demo_orders_span_24_months_with_a_pareto_skew_and_run_twice_safely(org):
    for n in range(30):
        CustomerFactory(owner=org.rep_a, stage="current", name=f"C{n}")
    CustomerFactory(owner=org.rep_a, stage="dormant")
    CustomerFactory(owner=org.rep_a, stage="potential")
    demo_orders.seed(io.StringIO())
    count = Order.objects.count()
    demo_orders.seed(io.StringIO())
    assert Order.objects.count() == count > 100
    span = Order.objects.aggregate(first=Min("ordered_at"), last=Max("ordered_at"))
    assert span["first"] < timezone.now() - timedelta(days=600) and span["last"] <= timezone.now()
    revenue = list(
        Order.objects.values("customer")
        .annotate(total=Sum("amount"))
        .order_by("-total")
        .values_list("total", flat=True)
    )
    assert len(revenue) == 31  # current and dormant customers, not the potential one
    top_fifth = sum(revenue[: len(revenue) // 5])
    assert top_fifth / sum(revenue) > Decimal("0.6")
    assert not Order.objects.filter(customer__stage="potential").exists()
    dormant_last = Order.objects.filter(customer__stage="dormant").aggregate(last=Max("ordered_at"))["last"]
    assert dormant_last < timezone.now() - timedelta(days=365)
