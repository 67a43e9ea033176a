"""Reads of the pipeline (opportunities, forecast, quotes), scoped through the customer's owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.access import scope_by_owner
from customers.selectors.orders import cents
from salesforce_auto.models import Opportunity, OpportunityStage, Quote

CENT = Decimal("0.01")


def visible_opportunities(user) -> QuerySet:
    qs = Opportunity.objects.select_related("customer", "owner", "order")
    return scope_by_owner(qs, user, owner_field="customer__owner")


def visible_quotes(user) -> QuerySet:
    qs = Quote.objects.select_related("customer", "opportunity", "created_by")
    return scope_by_owner(qs, user, owner_field="customer__owner")


def quote_with_lines(*, user, pk: int) -> Quote:
    return visible_quotes(user).prefetch_related("lines").get(pk=pk)


def pipeline_board(*, user, owner_id: int | None = None) -> dict[str, list[Opportunity]]:
    """Opportunities by stage for the board: all open ones, and those won or lost in the last 90 days."""
    qs = visible_opportunities(user)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    recent = timezone.localdate() - relativedelta(days=90)
    qs = qs.exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST], closed_at__date__lt=recent)
    board: dict[str, list[Opportunity]] = {stage: [] for stage in OpportunityStage.values}
    for opportunity in qs.order_by("expected_close_on", "id")[:1000]:
        board[opportunity.stage].append(opportunity)
    return board


def _money_from_cents(value) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


def _weighted_from_cent_percent(value) -> Decimal:
    """Σ cents × percent → money: divide by 100 × 100 exactly, then round half up to the cent."""
    return (Decimal(int(value or 0)) / 10000).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class ForecastRow:
    month: date
    owner_id: int | None = None
    owner_name: str = ""
    team_id: int | None = None
    team_name: str = ""
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


@dataclass
class Forecast:
    months: list[date]
    by_rep: list[ForecastRow] = field(default_factory=list)  # one per (month, rep)
    by_team: list[ForecastRow] = field(default_factory=list)  # one per (month, team); team None = no team
    by_month: list[ForecastRow] = field(default_factory=list)
    total: ForecastRow | None = None

    def rep_table(self) -> list[dict]:
        """Rows per rep with one cell per month (for the page)."""
        return _pivot(self.by_rep, self.months, key=lambda r: (r.team_name, r.owner_name, r.owner_id))

    def team_table(self) -> list[dict]:
        return _pivot(self.by_team, self.months, key=lambda r: (r.team_name, r.team_id))


def _pivot(rows: list[ForecastRow], months: list[date], key) -> list[dict]:
    table: dict = {}
    for row in rows:
        entry = table.setdefault(
            key(row),
            {"label": row.owner_name or row.team_name, "team": row.team_name, "cells": {}, "weighted": Decimal("0.00")},
        )
        entry["cells"][row.month] = row
        entry["weighted"] += row.weighted
    return [
        {**entry, "cells": [entry["cells"].get(m) for m in months]} for _key, entry in sorted(table.items(), key=str)
    ]


def forecast(*, user, start: date | None = None, months: int = 6, include_won: bool = True) -> Forecast:
    """Weighted forecast (Σ amount × probability) per rep, team and month of expected close, over the
    opportunities `user` may see; lost ones never count. All sums run in the database in integer cents,
    so they are exact on every database."""
    start = (start or timezone.localdate()).replace(day=1)
    end = start + relativedelta(months=months)
    month_list = [start + relativedelta(months=n) for n in range(months)]
    qs = (
        visible_opportunities(user)
        .filter(expected_close_on__gte=start, expected_close_on__lt=end)
        .exclude(stage=OpportunityStage.LOST)
    )
    if not include_won:
        qs = qs.exclude(stage=OpportunityStage.WON)
    qs = qs.order_by().annotate(month=TruncMonth("expected_close_on"))
    measures = {
        "count": Count("id"),
        "amount_cents": Sum(cents("amount")),
        "weighted_cp": Sum(cents("amount") * F("probability")),
    }

    def build(values: dict, **extra) -> ForecastRow:
        month = values.get("month")
        if hasattr(month, "date"):
            month = month.date()
        return ForecastRow(
            month=month,
            count=values["count"],
            amount=_money_from_cents(values["amount_cents"]),
            weighted=_weighted_from_cent_percent(values["weighted_cp"]),
            **extra,
        )

    result = Forecast(months=month_list)
    for v in qs.values(
        "month",
        "owner_id",
        "owner__username",
        "owner__first_name",
        "owner__last_name",
        "owner__team_id",
        "owner__team__name",
    ).annotate(**measures):
        name = f"{v['owner__first_name']}{v['owner__last_name']}".strip() or v["owner__username"]
        result.by_rep.append(
            build(
                v,
                owner_id=v["owner_id"],
                owner_name=name,
                team_id=v["owner__team_id"],
                team_name=v["owner__team__name"] or "",
            )
        )
    for v in qs.values("month", "owner__team_id", "owner__team__name").annotate(**measures):
        result.by_team.append(build(v, team_id=v["owner__team_id"], team_name=v["owner__team__name"] or ""))
    for v in qs.values("month").annotate(**measures):
        result.by_month.append(build(v))
    total = qs.aggregate(**measures)
    result.total = build({**total, "month": None})
    for rows in (result.by_rep, result.by_team, result.by_month):
        rows.sort(key=lambda r: (r.month, r.team_name, r.owner_name))
    return result
