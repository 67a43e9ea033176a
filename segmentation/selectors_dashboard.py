"""Reads behind the manager dashboard (/dashboard/ and /api/v1/dashboard/...).

Every function takes the acting user and the dashboard filters and returns plain data (dicts/lists) that both
the page and the API serialise, so integrations get exactly the numbers managers see. Everything is grouped in
the database; nothing here loops over customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from crm.access import visible_owner_ids
from crm.models import Team, Territory
from crm.selectors import visible_teams


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's filters, already checked against the user's scope."""

    team: Team | None = None
    territory: Territory | None = None
    run_id: int | None = None


def dashboard_teams(user) -> QuerySet:
    """Teams a user may filter the dashboard by: the teams they manage (admins: all)."""
    if user.is_admin_role:
        return Team.objects.order_by("name")
    return visible_teams(user).filter(manager=user)


def dashboard_territories(user) -> QuerySet:
    if user.is_admin_role:
        return Territory.objects.order_by("code")
    return Territory.objects.filter(Q(team__manager=user)).order_by("code")


def scoped_owner_ids(user, filters: DashboardFilters) -> QuerySet | None:
    """Owners whose records feed the dashboard: the user's scope, narrowed to one team when filtered."""
    User = get_user_model()
    owners = visible_owner_ids(user)
    if filters.team is not None:
        team_members = User.objects.filter(team=filters.team).values("pk")
        return (
            team_members
            if owners is None
            else User.objects.filter(pk__in=owners).filter(team=filters.team).values("pk")
        )
    return owners


def _scoped(qs: QuerySet, owner_field: str, owners: QuerySet | None) -> QuerySet:
    return qs if owners is None else qs.filter(**{f"{owner_field}__in": owners})


def local_today() -> dt.date:
    return timezone.localdate()


def rep_activity(*, user, filters: DashboardFilters, days: int = 14, today: dt.date | None = None) -> dict:
    """Visits per rep per local day over the last `days` days (today included), in one grouped query."""
    from salesforce_auto.models import VisitReport

    today = today or local_today()
    first = today - dt.timedelta(days=days - 1)
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    owners = scoped_owner_ids(user, filters)
    visits = _scoped(VisitReport.objects.all(), "rep", owners).filter(visited_at__gte=start, visited_at__lt=end)
    if filters.territory is not None:
        visits = visits.filter(customer__territory=filters.territory)
    rows = (
        visits.annotate(day=TruncDate("visited_at", tzinfo=tz))
        .values("rep_id", "day")
        .annotate(visits=Count("id"))
        .order_by()
    )
    User = get_user_model()
    reps = _scoped(User.objects.filter(role="rep", is_active=True), "pk", owners).order_by("username")
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    counts = {(row["rep_id"], row["day"]): row["visits"] for row in rows}
    return {
        "dates": [d.isoformat() for d in dates],
        "reps": [
            {
                "id": rep.pk,
                "name": str(rep),
                "visits": [counts.get((rep.pk, d), 0) for d in dates],
                "total": sum(counts.get((rep.pk, d), 0) for d in dates),
            }
            for rep in reps
        ],
    }


def conversion(*, user, filters: DashboardFilters, days: int = 90, today: dt.date | None = None) -> dict:
    """Customers per stage now, and lifecycle moves in the last `days` days (potential → target → current)."""
    from customers.models import Customer, StageChange

    today = today or local_today()
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    owners = scoped_owner_ids(user, filters)
    customers = _scoped(Customer.objects.all(), "owner", owners)
    changes = _scoped(StageChange.objects.all(), "customer__owner", owners).filter(changed_at__gte=since)
    if filters.territory is not None:
        customers = customers.filter(territory=filters.territory)
        changes = changes.filter(customer__territory=filters.territory)
    by_stage = dict(customers.values_list("stage").annotate(n=Count("id")).order_by())
    moves = changes.aggregate(
        new_potential=Count("id", filter=Q(from_stage="", to_stage="potential")),
        to_target=Count("id", filter=Q(from_stage="potential", to_stage="target")),
        to_current=Count("id", filter=Q(from_stage="target", to_stage="current")),
        to_dormant=Count("id", filter=Q(to_stage="dormant")),
    )
    return {
        "days": days,
        "stages": {stage: by_stage.get(stage, 0) for stage in ("potential", "target", "current", "dormant")},
        "moves": moves,
    }


def parse_filters(*, user, params) -> DashboardFilters:
    """Read team / territory / run from query parameters. Malformed → ValidationError (400);
    a team or territory outside the user's scope → Http404, like any out-of-scope record."""
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.utils.translation import gettext as _

    values = {}
    errors = {}
    for name in ("team", "territory", "run"):
        raw = (params.get(name) or "").strip()
        if not raw:
            values[name] = None
            continue
        if not raw.isdigit():
            errors[name] = [_("Enter a whole number.")]
            continue
        values[name] = int(raw)
    if errors:
        raise ValidationError(errors)
    team = territory = None
    if values["team"] is not None:
        team = dashboard_teams(user).filter(pk=values["team"]).first()
        if team is None:
            raise Http404
    if values["territory"] is not None:
        territory = dashboard_territories(user).filter(pk=values["territory"]).first()
        if territory is None:
            raise Http404
    return DashboardFilters(team=team, territory=territory, run_id=values["run"])
