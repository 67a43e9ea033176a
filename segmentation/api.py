"""API of segmentation (DESIGN §5): runs (list, start → 202, detail, make-live) and a run's assignments."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crm.access import is_admin
from crm.api_conventions import Conflict, PageNumberPagination
from segmentation import selectors, services
from segmentation.models import AbcClass, BcgQuadrant, SegmentationRun, TierAssignment


class CanSeeRuns(permissions.BasePermission):
    message = _("Only managers and administrators may use segmentation runs.")

    def has_permission(self, request, view):
        return selectors.can_see_runs(request.user)


class IsAdminRole(permissions.BasePermission):
    message = _("Only administrators may switch the live run.")

    def has_permission(self, request, view):
        return is_admin(request.user)


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SegmentationRun
        fields = [
            "id",
            "status",
            "progress",
            "live",
            "as_of",
            "window_months",
            "a_cutoff",
            "b_cutoff",
            "growth_threshold",
            "high_value_classes",
            "visit_cost",
            "make_live",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "customer_count",
            "total_revenue",
            "previous_run",
            "error",
        ]
        read_only_fields = fields


RUN_PARAMETERS = inline_serializer(
    "RunParameters",
    {
        "as_of": serializers.DateField(required=False),
        "window_months": serializers.IntegerField(required=False, min_value=1, max_value=60),
        "a_cutoff": serializers.DecimalField(max_digits=5, decimal_places=4, required=False),
        "b_cutoff": serializers.DecimalField(max_digits=5, decimal_places=4, required=False),
        "growth_threshold": serializers.DecimalField(max_digits=7, decimal_places=4, required=False),
        "high_value_classes": serializers.ListField(child=serializers.ChoiceField(["A", "B"]), required=False),
        "visit_cost": serializers.DecimalField(max_digits=12, decimal_places=2, required=False),
        "make_live": serializers.BooleanField(required=False, default=True),
    },
)


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierAssignment
        fields = [
            "customer",
            "revenue",
            "previous_revenue",
            "growth",
            "abc_class",
            "bcg_quadrant",
            "recency_days",
            "frequency",
            "r_score",
            "f_score",
            "m_score",
            "profit",
            "loyal",
            "potential_value",
            "share_of_wallet",
        ]
        read_only_fields = fields


class AssignmentFilter(django_filters.FilterSet):
    abc_class = django_filters.ChoiceFilter(choices=AbcClass.choices)
    bcg_quadrant = django_filters.ChoiceFilter(choices=BcgQuadrant.choices)
    loyal = django_filters.BooleanFilter()

    class Meta:
        model = TierAssignment
        fields = ["abc_class", "bcg_quadrant", "loyal"]


ASSIGNMENT_ORDERING = {"revenue", "profit", "recency_days", "frequency", "growth", "customer", "revenue_rank"}


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Segmentation runs: managers and admins read and start them; only admins switch the live run."""

    serializer_class = RunSerializer
    permission_classes = [permissions.IsAuthenticated, CanSeeRuns]
    lookup_value_regex = r"\d+"  # a non-numeric id is an unknown URL (404), not a failed lookup (500)
    filterset_fields = ["status", "live"]
    ordering_fields = ["id", "created_at", "as_of"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.visible_runs(user=self.request.user)

    @extend_schema(request=RUN_PARAMETERS, responses={202: RunSerializer})
    def create(self, request):
        """Queue a run with DESIGN §3's parameters (all optional) → 202; 409 while one is queued or running."""
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send an object of run parameters.")]})
        try:
            run = services.start_run(actor=request.user, parameters=dict(request.data.items()))
        except services.RunConflict as exc:
            raise Conflict(str(exc)) from exc
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: RunSerializer})
    @action(detail=True, methods=["post"], url_path="make-live", permission_classes=[IsAdminRole])
    def make_live(self, request, pk=None):
        """Make a succeeded run the live one (admins only; also a rollback to an older run)."""
        run = get_object_or_404(SegmentationRun.objects.all(), pk=pk)
        run = services.make_live(actor=request.user, run=run)
        return Response(RunSerializer(run).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("abc_class", enum=AbcClass.values),
            OpenApiParameter("bcg_quadrant", enum=BcgQuadrant.values),
            OpenApiParameter("loyal", bool),
            OpenApiParameter("ordering", str, description=", ".join(sorted(ASSIGNMENT_ORDERING))),
        ],
        responses={200: AssignmentSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=PageNumberPagination)
    def assignments(self, request, pk=None):
        """The run's assignments of the customers the caller may see (managers: their teams')."""
        run = self.get_object()
        filters = AssignmentFilter(request.query_params, queryset=TierAssignment.objects.none())
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        data = filters.form.cleaned_data
        queryset = selectors.visible_assignments(
            user=request.user,
            run=run,
            abc_class=data.get("abc_class") or None,
            bcg_quadrant=data.get("bcg_quadrant") or None,
            loyal=data.get("loyal"),
        ).select_related(None)
        ordering = request.query_params.get("ordering", "")
        if ordering:
            if ordering.lstrip("-") not in ASSIGNMENT_ORDERING:
                raise ValidationError({"ordering": [_("Unknown ordering field.")]})
            field = ordering.replace("customer", "customer_id") if "customer" in ordering else ordering
            queryset = queryset.order_by(field, "customer_id")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(AssignmentSerializer(page, many=True).data)


router = SimpleRouter()
router.register("segmentation/runs", RunViewSet, basename="segmentation-run")
urlpatterns = []
