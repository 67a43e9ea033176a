"""Reads of the orders ledger, scoped through the customer's owner (DESIGN §4)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import BigIntegerField, Count, F, Max, QuerySet, Sum
from django.db.models.functions import Cast, Round

from crm.access import scope_by_owner
from customers.models import AssignmentRule, Customer, Order


def visible_orders(user) -> QuerySet:
    """The orders of the customers `user` may see."""
    return scope_by_owner(Order.objects.all(), user, owner_field="customer__owner")


def customer_orders(*, user, customer: Customer) -> QuerySet:
    return visible_orders(user).filter(customer=customer).order_by("-ordered_at", "-id")


def cents(expression) -> Cast:
    """Money as integer cents, so sums are exact on SQLite too (no decimal type there, DESIGN §3)."""
    if isinstance(expression, str):
        expression = F(expression)
    return Cast(Round(expression * 100), output_field=BigIntegerField())


def from_cents(value) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(Decimal("0.01"))


def order_totals(*, orders: QuerySet) -> dict:
    """Count, revenue, cost of goods and last order time of a set of orders, in one aggregate query."""
    totals = orders.order_by().aggregate(
        count=Count("id"), revenue=Sum(cents("amount")), cost=Sum(cents("cost")), last=Max("ordered_at")
    )
    revenue, cost = from_cents(totals["revenue"]), from_cents(totals["cost"])
    return {
        "count": totals["count"],
        "revenue": revenue,
        "cost": cost,
        "margin": revenue - cost,
        "last": totals["last"],
    }


def assignment_rules() -> QuerySet:
    return AssignmentRule.objects.select_related("territory", "team", "assignee").order_by("priority", "id")
