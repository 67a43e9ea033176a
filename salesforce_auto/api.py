"""API of field sales (visits side): visit reports (idempotent by client_uuid), plans, appointments, and the
managers' read-only daily reports and weekly summaries (DESIGN §5)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crm.access import is_admin, is_manager
from crm.api_conventions import DateTimeField, IsoDateTimeFilter
from customers.selectors.customer import visible_customers
from salesforce_auto import selectors, services, tasks
from salesforce_auto.models import (
    Appointment,
    BuyingSignal,
    DailyReport,
    FailureReason,
    SurveyQuestion,
    VisitMethod,
    VisitPlan,
    VisitReport,
    WeeklySummary,
)


class CoordinateField(serializers.DecimalField):
    """Browsers report more decimals than a metre needs: round to 6 places before validating."""

    def __init__(self, limit: int, **kwargs):
        self.limit = limit
        super().__init__(max_digits=9, decimal_places=6, allow_null=True, required=False, **kwargs)

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        try:
            value = Decimal(str(data)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            self.fail("invalid")
        if not value.is_finite() or abs(value) > self.limit:
            raise serializers.ValidationError(_("Must be between -%(limit)s and %(limit)s.") % {"limit": self.limit})
        return super().to_internal_value(value)


@extend_schema_field(OpenApiTypes.INT)
class ScopedCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id among those the requesting user may see; any other id is a 400."""

    def get_queryset(self):
        return visible_customers(self.context["request"].user)


class NewCustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SurveyAnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.CharField(max_length=2000, allow_blank=True)


class VisitFieldsMixin(serializers.Serializer):
    visited_at = DateTimeField()
    method = serializers.ChoiceField(choices=VisitMethod.choices, default=VisitMethod.VISIT)
    findings_market = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    findings_channel = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    findings_competitor = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    findings_consumer = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    failure_reason = serializers.ChoiceField(
        choices=FailureReason.choices, required=False, allow_blank=True, allow_null=True, default=""
    )
    buying_signals = serializers.ListField(
        child=serializers.ChoiceField(choices=BuyingSignal.choices), required=False, default=list, max_length=20
    )
    step_reached = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True, default=None)
    next_step = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    next_visit_on = serializers.DateField(required=False, allow_null=True, default=None)
    latitude = CoordinateField(limit=90, default=None)
    longitude = CoordinateField(limit=180, default=None)
    intends_to_rebuy = serializers.BooleanField(required=False, default=False)
    competitor_brands = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False, default=list, max_length=50
    )


class VisitCreateSerializer(VisitFieldsMixin):
    client_uuid = serializers.UUIDField()
    customer = ScopedCustomerField(required=False, allow_null=True, default=None)
    new_customer = NewCustomerSerializer(required=False, allow_null=True, default=None)
    survey_answers = SurveyAnswerInputSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        if attrs.get("customer") is None and attrs.get("new_customer") is None:
            raise serializers.ValidationError({"customer": [_("Choose a customer or enter a new one.")]})
        if attrs.get("customer") is not None and attrs.get("new_customer") is not None:
            raise serializers.ValidationError(
                {"new_customer": [_("Give either an existing customer or a new one, not both.")]}
            )
        return attrs

    def to_input(self) -> services.VisitInput:
        data = dict(self.validated_data)
        new_customer = data.pop("new_customer", None)
        answers = data.pop("survey_answers", [])
        data["failure_reason"] = data.get("failure_reason") or ""
        return services.VisitInput(
            **data,
            new_customer=services.NewCustomerInput(**new_customer) if new_customer else None,
            survey_answers={a["question"]: a["answer"] for a in answers},
        )


class VisitUpdateSerializer(VisitFieldsMixin):
    """PATCH: only the fields sent change."""


class VisitReportSerializer(serializers.ModelSerializer):
    # blank when the visit did not fail: the schema's enum must include "" (a read-only model field drops it)
    failure_reason = serializers.ChoiceField(choices=FailureReason.choices, allow_blank=True, read_only=True)
    competitor_brands = serializers.SlugRelatedField(
        source="brands_mentioned", slug_field="name", many=True, read_only=True
    )

    class Meta:
        model = VisitReport
        fields = [
            "id",
            "client_uuid",
            "customer",
            "visited_at",
            "method",
            "findings_market",
            "findings_channel",
            "findings_competitor",
            "findings_consumer",
            "outcome",
            "failure_reason",
            "buying_signals",
            "step_reached",
            "next_step",
            "next_visit_on",
            "latitude",
            "longitude",
            "rep",
            "intends_to_rebuy",
            "competitor_brands",
            "created_customer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VisitFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    visited_after = IsoDateTimeFilter(field_name="visited_at", lookup_expr="gte")
    visited_before = IsoDateTimeFilter(field_name="visited_at", lookup_expr="lt")

    class Meta:
        model = VisitReport
        fields = ["customer", "visited_after", "visited_before"]


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visit reports. `POST` is idempotent by `client_uuid`: 201 the first time, then 200 with the stored
    report, whatever the body. Edits go through `PATCH`."""

    serializer_class = VisitReportSerializer
    filterset_class = VisitFilter
    ordering_fields = ["visited_at", "id"]
    search_fields = ["outcome", "customer__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_visits(self.request.user)

    @extend_schema(request=VisitCreateSerializer, responses={200: VisitReportSerializer, 201: VisitReportSerializer})
    def create(self, request, *args, **kwargs):
        client_uuid = request.data.get("client_uuid") if hasattr(request.data, "get") else None
        if client_uuid:
            stored = selectors.visit_by_client_uuid(user=request.user, client_uuid=client_uuid)
            if stored is not None:
                return Response(VisitReportSerializer(stored).data, status=status.HTTP_200_OK)
        serializer = VisitCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        report, created = services.submit_visit(actor=request.user, data=serializer.to_input())
        return Response(
            VisitReportSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=VisitUpdateSerializer, responses=VisitReportSerializer)
    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = VisitUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        services.update_visit(actor=request.user, report=report, changes=changes)
        return Response(VisitReportSerializer(self.get_queryset().get(pk=report.pk)).data)


class VisitPlanSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()

    class Meta:
        model = VisitPlan
        fields = [
            "id",
            "rep",
            "customer",
            "planned_at",
            "duration_minutes",
            "method",
            "participants",
            "information_to_collect",
            "materials",
            "expected_questions",
        ]
        read_only_fields = ["id", "rep"]

    def create(self, validated_data):
        return services.create_visit_plan(actor=self.context["request"].user, **validated_data)


class AppointmentSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()

    class Meta:
        model = Appointment
        fields = ["id", "rep", "customer", "starts_at", "place", "participants", "objectives"]
        read_only_fields = ["id", "rep"]

    def create(self, validated_data):
        return services.create_appointment(actor=self.context["request"].user, **validated_data)


class VisitPlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitPlanSerializer
    filterset_fields = ["customer", "rep"]
    ordering_fields = ["planned_at", "id"]

    def get_queryset(self):
        return selectors.visible_plans(self.request.user)


class AppointmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AppointmentSerializer
    filterset_fields = ["customer", "rep"]
    ordering_fields = ["starts_at", "id"]

    def get_queryset(self):
        return selectors.visible_appointments(self.request.user)


class SurveyQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ["id", "aspect", "text", "required", "position"]
        read_only_fields = fields


class SurveyQuestionViewSet(viewsets.ReadOnlyModelViewSet):
    """The survey form's active questions (admins edit them in the admin); answers travel with visit reports as
    `survey_answers: [{"question", "answer"}]`."""

    serializer_class = SurveyQuestionSerializer
    filterset_fields = ["aspect", "required"]
    pagination_class = None

    def get_queryset(self):
        return selectors.active_questions()


class IsManagerOrAdmin(permissions.BasePermission):
    message = _("Only managers and administrators may do this.")

    def has_permission(self, request, view):
        return is_admin(request.user) or is_manager(request.user)


class DailyReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = DailyReport
        fields = [
            "id",
            "rep",
            "date",
            "visit_count",
            "street_visit_count",
            "new_customer_count",
            "ready_to_close_count",
            "failure_count",
            "summary",
            "status",
            "submitted_at",
            "built_at",
        ]
        read_only_fields = fields


class DailyReportFilter(django_filters.FilterSet):
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DailyReport
        fields = ["rep", "date", "status", "date_after", "date_before"]


class DailyReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Daily street-visit reports of the manager's teams (read-only)."""

    serializer_class = DailyReportSerializer
    permission_classes = [permissions.IsAuthenticated, IsManagerOrAdmin]
    filterset_class = DailyReportFilter
    ordering_fields = ["date", "id"]

    def get_queryset(self):
        return selectors.visible_daily_reports(self.request.user)


class WeeklySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = WeeklySummary
        fields = [
            "id",
            "team",
            "week_start",
            "visit_count",
            "new_potential_count",
            "stage_move_count",
            "failure_reasons",
            "competitor_notes",
            "per_rep",
            "built_at",
        ]
        read_only_fields = fields


class WeeklyBuildSerializer(serializers.Serializer):
    week_start = serializers.DateField(required=False, allow_null=True)

    def validate_week_start(self, value):
        if value is not None and value.weekday() != 0:
            raise serializers.ValidationError(_("A week starts on a Monday."))
        return value


class WeeklySummaryViewSet(viewsets.ReadOnlyModelViewSet):
    """Weekly summaries of the manager's teams (read-only; `POST build/` rebuilds a week on demand)."""

    serializer_class = WeeklySummarySerializer
    permission_classes = [permissions.IsAuthenticated, IsManagerOrAdmin]
    filterset_fields = ["team", "week_start"]
    ordering_fields = ["week_start", "id"]

    def get_queryset(self):
        return selectors.visible_weekly_summaries(self.request.user)

    @extend_schema(
        request=WeeklyBuildSerializer,
        responses={202: inline_serializer("WeeklyBuild", {"queued": serializers.BooleanField()})},
    )
    @action(detail=False, methods=["post"])
    def build(self, request):
        serializer = WeeklyBuildSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        week_start = serializer.validated_data.get("week_start")
        arg = week_start.isoformat() if week_start else None
        transaction.on_commit(lambda: tasks.build_weekly_summaries.delay(arg))
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")
router.register("visit-plans", VisitPlanViewSet, basename="visit-plan")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("survey-questions", SurveyQuestionViewSet, basename="survey-question")
router.register("daily-reports", DailyReportViewSet, basename="daily-report")
router.register("weekly-summaries", WeeklySummaryViewSet, basename="weekly-summary")
urlpatterns = []
