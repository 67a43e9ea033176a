"""The manager dashboard page (/dashboard/) and CSV downloads of every chart's numbers."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from crm.access import is_admin, is_manager
from segmentation import selectors_dashboard as dash
from segmentation.api_dashboard import complaint_counts

CSV_TABLES = {
    "activity": lambda data: (
        [_("Rep"), *data["dates"], _("Total"), _("Reports submitted"), _("Reports missing"), _("Reports pending")],
        [
            [rep["name"], *rep["visits"], rep["total"], rep["reports_submitted"], rep["reports_missing"]]
            + [rep["reports_pending"]]
            for rep in data["reps"]
        ],
    ),
    "conversion": lambda data: (
        [_("Measure"), _("Count")],
        [[k, v] for k, v in data["stages"].items()] + [[k, v] for k, v in data["moves"].items()],
    ),
}
CSV_TABLES.update(
    {
        "tiers": lambda data: (
            [_("Group"), _("Key"), _("Customers"), _("Customer share"), _("Revenue"), _("Revenue share")],
            [
                [group, row["key"], row["customers"], row["customer_share"], row["revenue"], row["revenue_share"]]
                for group in ("abc", "bcg")
                for row in data.get(group, [])
            ],
        ),
        "pareto": lambda data: (
            [_("Customers"), _("Customer share"), _("Revenue"), _("Revenue share")],
            [[p["customers"], p["customer_share"], p["revenue"], p["revenue_share"]] for p in data.get("pareto", [])],
        ),
        "bcg": lambda data: (
            [_("Customer"), _("Name"), _("Revenue"), _("Growth"), _("ABC class"), _("BCG quadrant")],
            [
                [p["customer"], p["name"], p["revenue"], p["growth"], p["abc_class"], p["bcg_quadrant"]]
                for p in data.get("points", [])
            ],
        ),
        "bcg-density": lambda data: (
            [_("Revenue from"), _("Revenue to"), _("Growth from"), _("Growth to"), _("BCG quadrant"), _("Customers")],
            [
                [cell[key] for key in ("revenue_from", "revenue_to", "growth_from", "growth_to")]
                + [cell["bcg_quadrant"], cell["customers"]]
                for cell in data.get("density", [])
            ],
        ),
        "migration": lambda data: (
            [_("From → to"), "A", "B", "C"],
            [
                [src or _("new"), *[row.get(dst, 0) for dst in ("A", "B", "C")]]
                for src, row in data.get("matrix", {}).items()
            ],
        ),
    }
)
CSV_TABLES.update(
    {
        "pipeline": lambda data: (
            [_("Stage"), _("Opportunities"), _("Amount"), _("Weighted amount")],
            [[r["stage"], r["count"], r["amount"], r["weighted"]] for r in data["stages"]],
        ),
        "complaints": lambda data: ([_("Measure"), _("Count")], [[k, v] for k, v in data.items()]),
    }
)
CHART_DATA = {
    "activity": dash.rep_activity,
    "conversion": dash.conversion,
    "tiers": dash.tier_summary,
    "pareto": dash.tier_summary,
    "bcg": dash.bcg_points,
    "bcg-density": dash.bcg_points,
    "migration": dash.tier_migration,
    "pipeline": dash.pipeline_by_stage,
    "complaints": complaint_counts,
}


def _require_manager(user) -> None:
    if not (is_admin(user) or is_manager(user)):
        raise PermissionDenied(_("The dashboard is for managers and administrators."))


def _with_cells(activity: dict) -> dict:
    for rep in activity["reps"]:
        rep["cells"] = list(zip(rep["visits"], rep["reports"], strict=True))
    return activity


@require_safe
@login_required
def dashboard(request):
    _require_manager(request.user)
    try:
        filters = dash.parse_filters(user=request.user, params=request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    runs = dash.dashboard_runs(request.user)
    run = dash.dashboard_run(user=request.user, filters=filters, recent_runs=runs)
    cells = dash.stat_cells(run=run, user=request.user, filters=filters) if run else None
    context = {
        "run": run,
        "runs": runs,
        "tiers": dash.tier_summary(user=request.user, filters=filters, run=run, cells=cells) if run else None,
        "migration": dash.tier_migration(user=request.user, filters=filters, run=run, cells=cells) if run else None,
        "filters": filters,
        "teams": dash.dashboard_teams(request.user),
        "territories": dash.dashboard_territories(request.user),
        "activity": _with_cells(dash.rep_activity(user=request.user, filters=filters)),
        "conversion": dash.conversion(user=request.user, filters=filters, run=run),
        "pipeline": dash.pipeline_by_stage(user=request.user, filters=filters),
        "complaints": complaint_counts(user=request.user, filters=filters),
        "query": request.GET.urlencode(),
    }
    return render(request, "segmentation/dashboard/dashboard.html", context)


@require_safe
@login_required
def chart_csv(request, chart: str):
    _require_manager(request.user)
    if chart not in CHART_DATA:
        from django.http import Http404

        raise Http404
    try:
        filters = dash.parse_filters(user=request.user, params=request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    header, rows = CSV_TABLES[chart](CHART_DATA[chart](user=request.user, filters=filters))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{chart}.csv"'
    response.write("\ufeff")  # Excel in China opens UTF-8 correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
