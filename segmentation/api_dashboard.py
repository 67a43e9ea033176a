"""JSON behind the dashboard charts: the page draws from these, and integrations get the same numbers."""

from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from crm.access import is_admin, is_manager
from segmentation import selectors_dashboard as dash

FILTER_PARAMETERS = [
    OpenApiParameter("team", OpenApiTypes.INT, description="Team id (one of the teams you manage)"),
    OpenApiParameter("territory", OpenApiTypes.INT, description="Territory id"),
    OpenApiParameter("run", OpenApiTypes.INT, description="Segmentation run id (default: the live run)"),
]


class IsManagerOrAdmin(permissions.BasePermission):
    def has_permission(self, request, view):
        return is_admin(request.user) or is_manager(request.user)


class DashboardChartView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsManagerOrAdmin]
    selector = None

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        try:
            filters = dash.parse_filters(user=request.user, params=request.query_params)
        except ValidationError as exc:
            from rest_framework.exceptions import ValidationError as DRFValidationError

            raise DRFValidationError(exc.message_dict) from exc
        return Response(type(self).selector(user=request.user, filters=filters))


class ActivityView(DashboardChartView):
    """Visits per rep per local day, last 14 days, and each day's daily report: submitted, missing (visits on a
    past day, no submitted report), pending (today's visits, not reported yet) or null (no visit)."""

    selector = staticmethod(dash.rep_activity)


class ConversionView(DashboardChartView):
    """Customers per stage (as counted by the run in view; live while no run exists) and lifecycle moves in the
    last 90 days."""

    selector = staticmethod(dash.conversion)


class TiersView(DashboardChartView):
    """Customers and revenue per ABC class and BCG quadrant, the 80/20 check and the Pareto curve (≤ 200 points)."""

    selector = staticmethod(dash.tier_summary)


class BcgView(DashboardChartView):
    """Top customers by revenue as points (value vs growth), the density of every customer with revenue per
    value × growth range (stored per run), and customers per quadrant."""

    selector = staticmethod(dash.bcg_points)


class MigrationView(DashboardChartView):
    """ABC migration matrix against the previously live run, and customers that fell from A."""

    selector = staticmethod(dash.tier_migration)


class PipelineView(DashboardChartView):
    """Opportunities per stage: count, amount and weighted amount."""

    selector = staticmethod(dash.pipeline_by_stage)


def complaint_counts(*, user, filters):
    """Complaints open and overdue against their SLA (from the service app's selector, same filters)."""
    from service.selectors import complaint_sla_counts

    return complaint_sla_counts(user=user, owner_ids=dash.scoped_owner_ids(user, filters), territory=filters.territory)


class ComplaintsView(DashboardChartView):
    """Complaints open, overdue against SLA, and critical open."""

    selector = staticmethod(complaint_counts)


router = SimpleRouter()
urlpatterns = [
    path("dashboard/activity/", ActivityView.as_view(), name="dashboard-activity"),
    path("dashboard/conversion/", ConversionView.as_view(), name="dashboard-conversion"),
    path("dashboard/tiers/", TiersView.as_view(), name="dashboard-tiers"),
    path("dashboard/bcg/", BcgView.as_view(), name="dashboard-bcg"),
    path("dashboard/migration/", MigrationView.as_view(), name="dashboard-migration"),
    path("dashboard/pipeline/", PipelineView.as_view(), name="dashboard-pipeline"),
    path("dashboard/complaints/", ComplaintsView.as_view(), name="dashboard-complaints"),
]
