"""The manager dashboard page (/dashboard/) and CSV downloads of every chart's numbers."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from crm.access import is_admin, is_manager
from segmentation import selectors_dashboard as dash

CSV_TABLES = {
    "activity": lambda data: (
        [_("Rep"), *data["dates"], _("Total")],
        [[rep["name"], *rep["visits"], rep["total"]] for rep in data["reps"]],
    ),
    "conversion": lambda data: (
        [_("Measure"), _("Count")],
        [[k, v] for k, v in data["stages"].items()] + [[k, v] for k, v in data["moves"].items()],
    ),
}
CHART_DATA = {"activity": dash.rep_activity, "conversion": dash.conversion}


def _require_manager(user) -> None:
    if not (is_admin(user) or is_manager(user)):
        raise PermissionDenied(_("The dashboard is for managers and administrators."))


@login_required
def dashboard(request):
    _require_manager(request.user)
    try:
        filters = dash.parse_filters(user=request.user, params=request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    context = {
        "filters": filters,
        "teams": dash.dashboard_teams(request.user),
        "territories": dash.dashboard_territories(request.user),
        "activity": dash.rep_activity(user=request.user, filters=filters),
        "conversion": dash.conversion(user=request.user, filters=filters),
        "query": request.GET.urlencode(),
    }
    return render(request, "segmentation/dashboard/dashboard.html", context)


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
