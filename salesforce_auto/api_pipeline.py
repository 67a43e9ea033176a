"""API of the pipeline: opportunities, the weighted forecast, quotes with the internal-cost gate."""

from datetime import date

import django_filters
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from crm.selectors import visible_users
from customers.api_orders import DecimalJSONParser, OrderSerializer
from customers.selectors.customer import visible_customers
from salesforce_auto import selectors_pipeline as selectors
from salesforce_auto import services_pipeline as services
from salesforce_auto.models import Opportunity, OpportunityStage, Quote, QuoteLine, QuoteStatus


class ScopedCustomerField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible_customers(self.context["request"].user)


class ScopedUserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible_users(self.context["request"].user)


class OpportunitySerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()
    owner = ScopedUserField(required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    lost_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "title",
            "amount",
            "stage",
            "probability",
            "expected_close_on",
            "owner",
            "lost_reason",
            "order",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "order", "closed_at", "created_at", "updated_at"]
        extra_kwargs = {"amount": {"min_value": 0}}


class OpportunityUpdateSerializer(OpportunitySerializer):
    class Meta(OpportunitySerializer.Meta):
        read_only_fields = [*OpportunitySerializer.Meta.read_only_fields, "customer"]


class MoveSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=OpportunityStage.choices)
    lost_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)


class OpportunityFilter(django_filters.FilterSet):
    expected_after = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="gte")
    expected_before = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="lt")

    class Meta:
        model = Opportunity
        fields = ["customer", "owner", "stage", "expected_after", "expected_before"]


class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities (销售机会) of the customers in the caller's scope."""

    filterset_class = OpportunityFilter
    parser_classes = [DecimalJSONParser, FormParser, MultiPartParser]
    ordering_fields = ["id", "expected_close_on", "amount", "probability"]
    ordering = ["expected_close_on", "id"]
    search_fields = ["title", "customer__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_opportunities(self.request.user)

    def get_serializer_class(self):
        if self.action == "partial_update":
            return OpportunityUpdateSerializer
        if self.action == "move":
            return MoveSerializer
        return OpportunitySerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_opportunity(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_opportunity(
            actor=self.request.user, opportunity=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to a stage (`lost` needs a `lost_reason`; won and lost are final)."""
        opportunity = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        opportunity = services.move_opportunity(
            actor=request.user, opportunity=opportunity, **serializer.validated_data
        )
        return Response(OpportunitySerializer(opportunity, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={201: OrderSerializer, 200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="create-order")
    def create_order(self, request, pk=None):
        """A won opportunity records its order in the ledger (201; 200 with the same order afterwards)."""
        opportunity = self.get_object()
        existed = opportunity.order_id is not None
        order = services.create_order_from_opportunity(actor=request.user, opportunity=opportunity)
        return Response(OrderSerializer(order).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class ForecastRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.CharField()
    team = serializers.IntegerField(source="team_id", allow_null=True)
    team_name = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2)


class ForecastSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.DateField())
    by_rep = ForecastRowSerializer(many=True)
    by_team = ForecastRowSerializer(many=True)
    by_month = ForecastRowSerializer(many=True)
    total = inline_serializer(
        "ForecastTotal",
        {
            "count": serializers.IntegerField(),
            "amount": serializers.DecimalField(max_digits=16, decimal_places=2),
            "weighted": serializers.DecimalField(max_digits=16, decimal_places=2),
        },
    )


class ForecastQuerySerializer(serializers.Serializer):
    start = serializers.RegexField(r"^\d{4}-\d{2}$", required=False, help_text="First month, YYYY-MM.")
    months = serializers.IntegerField(min_value=1, max_value=24, default=6)
    include_won = serializers.BooleanField(default=True)

    def validate_start(self, value):
        year, month = (int(part) for part in value.split("-"))
        if not 1 <= month <= 12:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM."))
        return date(year, month, 1)


class ForecastView(APIView):
    """Weighted forecast (Σ amount × probability) per rep, team and month of expected close."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="First month, YYYY-MM (default: this month)"),
            OpenApiParameter("months", int, description="Number of months, 1–24 (default 6)"),
            OpenApiParameter("include_won", bool, description="Count won opportunities (default true)"),
        ],
        responses=ForecastSerializer,
    )
    def get(self, request):
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = selectors.forecast(user=request.user, **query.validated_data)
        data = ForecastSerializer(result).data
        return Response(data)


class QuoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = ["description", "quantity", "unit_price", "amount"]
        read_only_fields = ["amount"]
        extra_kwargs = {"quantity": {"min_value": 0}, "unit_price": {"min_value": 0}}


class QuoteSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()
    lines = QuoteLineSerializer(many=True, required=False)
    internal_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    class Meta:
        model = Quote
        fields = [
            "id",
            "customer",
            "opportunity",
            "title",
            "status",
            "lines",
            "total",
            "internal_cost",
            "margin",
            "margin_rate",
            "valid_until",
            "notes",
            "issued_at",
            "created_at",
        ]
        read_only_fields = ["id", "status", "total", "margin", "margin_rate", "issued_at", "created_at"]

    def validate_opportunity(self, value):
        if (
            value is not None
            and not selectors.visible_opportunities(self.context["request"].user).filter(pk=value.pk).exists()
        ):
            raise serializers.ValidationError(_("Unknown opportunity, or outside your scope."))
        return value


class QuoteUpdateSerializer(QuoteSerializer):
    class Meta(QuoteSerializer.Meta):
        read_only_fields = [*QuoteSerializer.Meta.read_only_fields, "customer", "opportunity"]


class QuoteOutcomeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[QuoteStatus.ACCEPTED, QuoteStatus.REJECTED])


class QuoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Quotes (报价) with lines, internal cost (内部成本) and margin. `POST /{id}/issue/` is refused (400)
    until the internal cost is recorded."""

    filterset_fields = ["customer", "opportunity", "status"]
    parser_classes = [DecimalJSONParser, FormParser, MultiPartParser]
    ordering_fields = ["id", "created_at", "total"]
    ordering = ["-created_at", "-id"]
    search_fields = ["title", "customer__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_quotes(self.request.user).prefetch_related("lines")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return QuoteUpdateSerializer
        if self.action == "outcome":
            return QuoteOutcomeSerializer
        return QuoteSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_quote(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.update_quote(actor=self.request.user, quote=serializer.instance, **data)
        serializer.instance = selectors.quote_with_lines(user=self.request.user, pk=serializer.instance.pk)

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        quote = services.issue_quote(actor=request.user, quote=self.get_object())
        quote = selectors.quote_with_lines(user=request.user, pk=quote.pk)
        return Response(QuoteSerializer(quote, context=self.get_serializer_context()).data)

    @extend_schema(request=QuoteOutcomeSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        """The customer's answer to an issued quote: accepted or rejected."""
        quote = self.get_object()
        serializer = QuoteOutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.close_quote(actor=request.user, quote=quote, status=serializer.validated_data["status"])
        quote = selectors.quote_with_lines(user=request.user, pk=quote.pk)
        return Response(QuoteSerializer(quote, context=self.get_serializer_context()).data)


router = SimpleRouter()
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("quotes", QuoteViewSet, basename="quote")
urlpatterns = [path("forecast/", ForecastView.as_view(), name="api-forecast")]
