"""API of the orders ledger: `/api/v1/orders/` (DESIGN §5)."""

import codecs
import json
from decimal import Decimal

import django_filters
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crm.api_conventions import DateTimeField, IsoDateTimeFilter
from customers.models import Order
from customers.selectors.orders import visible_orders
from customers.services.orders import OrderBatchError, record_order, record_orders

MAX_BATCH = 10_000


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become Decimal, never float: money stays exact."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=Decimal)
        except ValueError as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "customer", "ordered_at", "amount", "cost", "source", "external_ref"]
        read_only_fields = fields


class OrderWriteSerializer(serializers.Serializer):
    """The accepted body (documentation): `customer` (id) or `customer_ref` (the customer's external_ref)."""

    customer = serializers.IntegerField(required=False)
    customer_ref = serializers.CharField(required=False, max_length=100)
    ordered_at = DateTimeField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    source = serializers.CharField(required=False, max_length=50, default="api")
    external_ref = serializers.CharField(required=False, max_length=100, allow_null=True)


class OrderFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    ordered_after = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="gte")
    ordered_before = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="lt")
    source = django_filters.CharFilter()
    external_ref = django_filters.CharFilter()

    class Meta:
        model = Order
        fields = ["customer", "ordered_after", "ordered_before", "source", "external_ref"]


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The sales ledger of the customers in the caller's scope. Orders are recorded, never edited here."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    parser_classes = [DecimalJSONParser, FormParser, MultiPartParser]
    ordering_fields = ["id", "ordered_at", "amount"]
    ordering = ["-ordered_at", "-id"]
    search_fields = ["external_ref"]

    def get_queryset(self):
        return visible_orders(self.request.user)

    @extend_schema(
        request=OrderWriteSerializer,
        responses={
            201: OpenApiResponse(
                OrderSerializer, description="A new order; for a list: {created, duplicates: [indexes]}."
            ),
            200: OpenApiResponse(OrderSerializer, description="The existing order with this (source, external_ref)."),
            400: OpenApiResponse(description='Field errors; for a list, {"<index>": {field errors}}.'),
        },
    )
    def create(self, request, *args, **kwargs):
        """One object → 201 (200 with the existing order when its ref is known); a list → all-or-nothing."""
        data = request.data
        if isinstance(data, list):
            if len(data) > MAX_BATCH:
                raise serializers.ValidationError(
                    {"non_field_errors": [_("At most %(n)d orders per request.") % {"n": MAX_BATCH}]}
                )
            try:
                result = record_orders(actor=request.user, items=data)
            except OrderBatchError as exc:
                raise serializers.ValidationError({str(i): errors for i, errors in exc.item_errors.items()}) from None
            return Response(
                {"created": result.created, "duplicates": result.duplicates}, status=status.HTTP_201_CREATED
            )
        if not hasattr(data, "get"):
            raise serializers.ValidationError({"non_field_errors": [_("Send an order object or a list of orders.")]})
        order, created = record_order(actor=request.user, data=data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
urlpatterns = []
