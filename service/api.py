"""Service API (/api/v1/): complaints (DESIGN §5), surveys, referrals, the lifetime club's points."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from crm.api_conventions import IsoDateTimeFilter
from crm.selectors import visible_users
from customers.selectors.customer import visible_customers
from service import selectors, services
from service.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintStatus,
    LoyaltyAccount,
    LoyaltyLevel,
    Notification,
    PointsEntry,
    Referral,
    Reward,
    SatisfactionIndicator,
    SatisfactionSurvey,
    Severity,
    SlaState,
    SurveyStatus,
)


@extend_schema_field(OpenApiTypes.INT)
class ScopedCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id the caller may see; others are "does not exist" (400), like an unknown id."""

    def get_queryset(self):
        return visible_customers(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedUserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible_users(self.context["request"].user)


# --- complaints -------------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices, default=ComplaintChannel.API)
    owner = ScopedUserField(required=False)
    description = serializers.CharField(max_length=5000)
    root_cause = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    corrective_action = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    preventive_action = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    sla_state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "customer",
            "category",
            "description",
            "severity",
            "status",
            "due_at",
            "root_cause",
            "corrective_action",
            "preventive_action",
            "channel",
            "owner",
            "sla_state",
            "received_at",
            "resolved_at",
            "closed_at",
            "escalated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "due_at",
            "received_at",
            "resolved_at",
            "closed_at",
            "escalated_at",
            "created_at",
            "updated_at",
        ]


class ComplaintUpdateSerializer(ComplaintSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices, required=False)


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ComplaintStatus.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ComplaintEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "from_status", "to_status", "note", "actor", "at"]


class ComplaintFilter(filters.FilterSet):
    received_after = IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    sla_state = filters.ChoiceFilter(choices=SlaState.choices)

    class Meta:
        model = Complaint
        fields = ["customer", "status", "severity", "category", "channel", "owner"]


class ComplaintViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Complaints of the customers you may see. Status moves only through `advance` (DESIGN §3)."""

    queryset = Complaint.objects.none()  # for the schema; requests use get_queryset()
    filterset_class = ComplaintFilter
    search_fields = ["description", "customer__name", "root_cause"]
    ordering_fields = ["id", "received_at", "due_at", "severity", "status"]
    ordering = ["-received_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_complaints(self.request.user)

    def get_serializer_class(self):
        if self.action == "partial_update":
            return ComplaintUpdateSerializer
        return ComplaintSerializer

    def _reloaded(self, complaint):
        return self.get_queryset().get(pk=complaint.pk)

    def perform_create(self, serializer):
        complaint = services.open_complaint(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._reloaded(complaint)

    def perform_update(self, serializer):
        complaint = services.update_complaint(
            actor=self.request.user, complaint=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self._reloaded(complaint)

    @extend_schema(request=AdvanceSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """`{"status", "note"}`: one step along the workflow; an illegal move is a 400."""
        complaint = self.get_object()
        body = AdvanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        complaint = services.advance_complaint(actor=request.user, complaint=complaint, **body.validated_data)
        return Response(ComplaintSerializer(self._reloaded(complaint), context={"request": request}).data)

    @extend_schema(responses=ComplaintEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        """The complaint's timeline, oldest first."""
        complaint = self.get_object()
        events = selectors.complaint_timeline(complaint=complaint)
        return Response(ComplaintEventSerializer(events, many=True).data)


# --- notifications ----------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "message", "link", "complaint", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own in-app notifications (escalations, requested surveys)."""

    serializer_class = NotificationSerializer
    filterset_fields = {"read_at": ["isnull"]}
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.notifications_for(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.mark_notification_read(actor=request.user, notification=self.get_object())
        return Response(NotificationSerializer(notification).data)


# --- satisfaction -----------------------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    indicator_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator_class_name = serializers.CharField(source="indicator_class.name", read_only=True)

    class Meta:
        model = SatisfactionIndicator
        fields = ["id", "code", "name", "indicator_class", "indicator_class_name"]


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """The active satisfaction indicators, grouped by class (edited by admins in the admin site)."""

    serializer_class = IndicatorSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.active_indicators()


class SurveyScoreInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator_id")
    score = serializers.IntegerField()


class SurveySerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField(required=False)
    overall_score = serializers.IntegerField(allow_null=True)  # null on a requested survey not answered yet
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    scores = SurveyScoreInputSerializer(many=True, required=False)
    survey = serializers.PrimaryKeyRelatedField(
        write_only=True, required=False, queryset=SatisfactionSurvey.objects.none()
    )

    class Meta:
        model = SatisfactionSurvey
        fields = [
            "id",
            "survey",
            "customer",
            "complaint",
            "rep",
            "status",
            "requested_at",
            "completed_at",
            "overall_score",
            "comment",
            "scores",
        ]
        read_only_fields = ["id", "complaint", "rep", "status", "requested_at", "completed_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["survey"].queryset = selectors.visible_surveys(request.user).filter(status=SurveyStatus.REQUESTED)
        return fields

    def validate_overall_score(self, value):
        if value is None:  # nullable for reading only
            raise serializers.ValidationError(self.fields["overall_score"].error_messages["null"])
        return value

    def validate(self, attrs):
        if not attrs.get("survey") and not attrs.get("customer"):
            raise serializers.ValidationError({"customer": [_("Give the customer, or the requested survey.")]})
        return attrs


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Satisfaction surveys. `POST` records answers (completing a requested `survey`, or a new one for
    `customer`): `{overall_score: 1–5, scores: [{indicator, score: 1–5}], comment}`."""

    serializer_class = SurveySerializer
    filterset_fields = ["customer", "status", "rep", "complaint"]
    ordering_fields = ["id", "requested_at", "completed_at", "overall_score"]
    ordering = ["-requested_at", "-id"]

    def get_queryset(self):
        return selectors.visible_surveys(self.request.user).prefetch_related("scores")

    def perform_create(self, serializer):
        data = serializer.validated_data
        scores = {}
        for item in data.get("scores", []):
            if item["indicator_id"] in scores:
                raise serializers.ValidationError({"scores": [_("Each indicator may be scored once.")]})
            scores[item["indicator_id"]] = item["score"]
        serializer.instance = services.record_survey(
            actor=self.request.user,
            survey=data.get("survey"),
            customer=data.get("customer"),
            overall_score=data["overall_score"],
            scores=scores,
            comment=data.get("comment", ""),
        )

    @extend_schema(
        parameters=[OpenApiParameter("by", str, enum=list(selectors.ROLLUP_DIMENSIONS), default="month")],
        responses=inline_serializer(
            "SurveyRollup",
            {
                "by": serializers.CharField(),
                "results": serializers.ListField(child=serializers.DictField()),
                "indicator_classes": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def rollup(self, request):
        """`?by=customer|rep|team|month`: count, average overall score, satisfied (4–5) and dissatisfied (1–2),
        and the average score per indicator class, computed in the database."""
        by = request.query_params.get("by", "month")
        if by not in selectors.ROLLUP_DIMENSIONS:
            raise serializers.ValidationError(
                {"by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(selectors.ROLLUP_DIMENSIONS)}]}
            )

        def clean(row):
            key, label = row["key"], row["label"]
            if by == "month":
                key = label = timezone.localtime(key).strftime("%Y-%m") if key else None
            return {**row, "key": key, "label": label}

        rows = [clean(r) for r in selectors.survey_rollup(user=request.user, by=by)]
        classes = [clean(r) for r in selectors.indicator_class_rollup(user=request.user, by=by)]
        for row in rows + classes:
            for name in ("average_overall", "average"):
                if row.get(name) is not None:
                    row[name] = f"{row[name]:.2f}"
        return Response({"by": by, "results": rows, "indicator_classes": classes})


# --- referrals --------------------------------------------------------------------------------------


class ReferralSerializer(serializers.ModelSerializer):
    referrer = ScopedCustomerField()
    referred = ScopedCustomerField(required=False, allow_null=True)
    referred_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        model = Referral
        fields = ["id", "referrer", "referred", "referred_name", "converted", "converted_at", "note", "created_at"]
        read_only_fields = ["id", "converted", "converted_at", "created_at"]
        validators = []  # the service checks duplicates (the model's unique pair is conditional)


class ConvertSerializer(serializers.Serializer):
    referred = ScopedCustomerField(required=False, allow_null=True)


class AdvocateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    referral_count = serializers.IntegerField()
    converted_referrals = serializers.IntegerField()


class ReferralViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Who referred whom (the referred party may not be a customer yet), and whether it converted."""

    serializer_class = ReferralSerializer
    filterset_fields = ["referrer", "referred", "converted"]
    search_fields = ["referred_name", "referrer__name"]
    ordering_fields = ["id", "created_at", "converted_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.visible_referrals(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.record_referral(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=ConvertSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        body = ConvertSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        referral = services.convert_referral(
            actor=request.user, referral=self.get_object(), referred=body.validated_data.get("referred")
        )
        return Response(ReferralSerializer(referral, context={"request": request}).data)

    @extend_schema(responses=AdvocateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def advocates(self, request):
        """Customers with at least one converted referral."""
        page = self.paginate_queryset(selectors.advocates(request.user))
        return self.get_paginated_response(AdvocateSerializer(page, many=True).data)


# --- lifetime club ------------------------------------------------------------------------------------


class LoyaltyAccountSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = LoyaltyAccount
        fields = ["id", "customer", "customer_name", "balance", "enrolled_at"]
        read_only_fields = ["id", "balance", "enrolled_at"]


class PointsEntrySerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="account.customer_id", read_only=True)
    created_by = serializers.StringRelatedField()

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "account",
            "customer",
            "kind",
            "points",
            "balance_after",
            "order",
            "reward",
            "quantity",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AdjustSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class RedeemSerializer(serializers.Serializer):
    reward = serializers.PrimaryKeyRelatedField(queryset=Reward.objects.all())
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=1000)


class LoyaltyAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Lifetime customer club accounts. `POST {"customer"}` enrols (200 with the account when already a member);
    `adjust` (managers and admins) and `redeem` post ledger entries; the balance never goes below zero."""

    serializer_class = LoyaltyAccountSerializer
    filterset_fields = ["customer"]
    search_fields = ["customer__name"]
    ordering_fields = ["id", "balance", "enrolled_at"]
    ordering = ["-enrolled_at", "-id"]

    def get_queryset(self):
        return selectors.visible_accounts(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account, created = services.enroll(actor=request.user, customer=serializer.validated_data["customer"])
        return Response(
            self.get_serializer(account).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses=PointsEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        account = self.get_object()
        page = self.paginate_queryset(selectors.visible_points_entries(request.user).filter(account=account))
        return self.get_paginated_response(PointsEntrySerializer(page, many=True).data)

    @extend_schema(request=AdjustSerializer, responses={201: PointsEntrySerializer})
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        account = self.get_object()
        body = AdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.adjust_points(actor=request.user, account=account, **body.validated_data)
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RedeemSerializer, responses={201: PointsEntrySerializer})
    @action(detail=True, methods=["post"])
    def redeem(self, request, pk=None):
        account = self.get_object()
        body = RedeemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.redeem(actor=request.user, account=account, **body.validated_data)
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class PointsEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The points ledger (read-only): every entry says who, when and why."""

    serializer_class = PointsEntrySerializer
    filterset_fields = {"account": ["exact"], "account__customer": ["exact"], "kind": ["exact"]}
    ordering_fields = ["id", "created_at", "points"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.visible_points_entries(self.request.user)


class RewardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = ["id", "name", "description", "points_cost", "stock", "active"]
        read_only_fields = fields


class RewardViewSet(viewsets.ReadOnlyModelViewSet):
    """The reward catalogue (edited by admins in the admin site)."""

    serializer_class = RewardSerializer
    filterset_fields = ["active"]
    ordering = ["points_cost", "name"]

    def get_queryset(self):
        return selectors.all_rewards()


class LoyaltyCardView(APIView):
    """`GET /api/v1/loyalty/{customer_id}/`: the customer's loyalty level (DESIGN §3), advocate flag and points."""

    @extend_schema(
        responses=inline_serializer(
            "LoyaltyCard",
            {
                "customer": serializers.IntegerField(),
                "level": serializers.ChoiceField(choices=LoyaltyLevel.choices),
                "advocate": serializers.BooleanField(),
                "latest_overall_score": serializers.IntegerField(allow_null=True),
                "member": serializers.BooleanField(),
                "balance": serializers.IntegerField(),
                "referrals": serializers.IntegerField(),
                "converted_referrals": serializers.IntegerField(),
            },
        )
    )
    def get(self, request, customer_id: int):
        customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
        card = selectors.loyalty_card(user=request.user, customer=customer, entry_limit=0)
        return Response(
            {
                "customer": customer.pk,
                "level": card.level,
                "advocate": card.is_advocate,
                "latest_overall_score": card.latest_overall_score,
                "member": card.account is not None,
                "balance": card.account.balance if card.account else 0,
                "referrals": len(card.referrals),
                "converted_referrals": sum(1 for r in card.referrals if r.converted),
            }
        )


router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("satisfaction-indicators", IndicatorViewSet, basename="satisfaction-indicator")
router.register("satisfaction-surveys", SurveyViewSet, basename="satisfaction-survey")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("loyalty-accounts", LoyaltyAccountViewSet, basename="loyalty-account")
router.register("points-entries", PointsEntryViewSet, basename="points-entry")
router.register("rewards", RewardViewSet, basename="reward")
urlpatterns = [path("loyalty/<int:customer_id>/", LoyaltyCardView.as_view(), name="loyalty-card")]
