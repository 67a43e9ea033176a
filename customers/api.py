"""Customers and contacts API (DESIGN §5)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crm.models import Territory
from customers.api_assignment import AssignmentRuleViewSet
from customers.forms import CustomerFilter, with_live_tier
from customers.models import Contact, Customer, RelationshipLevel, Stage
from customers.selectors.customer import SEARCH_FIELDS, visible_contacts, visible_customers
from customers.services import customer as services

User = get_user_model()


class CustomerSerializer(serializers.ModelSerializer):
    """`relationship_level` is the ladder code; `abc_class`/`bcg_quadrant` come from the live segmentation run.

    Write-only: `confirm_duplicate` (create/update a customer although the owner has one with the same name and
    phone; without it that is a 400 whose `duplicate_of` names the existing id) and `reason` (recorded on the
    stage and level history)."""

    relationship_level = serializers.SlugRelatedField(
        slug_field="code", queryset=RelationshipLevel.objects.all(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    territory = serializers.PrimaryKeyRelatedField(queryset=Territory.objects.all(), required=False, allow_null=True)
    abc_class = serializers.CharField(read_only=True, allow_null=True, default=None)
    bcg_quadrant = serializers.CharField(read_only=True, allow_null=True, default=None)
    confirm_duplicate = serializers.BooleanField(write_only=True, required=False, default=False)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500, default="")

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_ref",
            "name",
            "stage",
            "relationship_level",
            "owner",
            "territory",
            "city",
            "address",
            "phone",
            "industry",
            "abc_class",
            "bcg_quadrant",
            "created_at",
            "updated_at",
            "confirm_duplicate",
            "reason",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"external_ref": {"allow_null": True, "required": False}}

    def validate_external_ref(self, value):
        return value or None


class TransitionSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def _duplicate_response(exc: services.DuplicateCustomerError) -> Response:
    """400 in DRF's shape, plus `duplicate_of`: [the existing customer's id] (as a number)."""
    return Response({"name": exc.messages, "duplicate_of": [exc.existing.pk]}, status=status.HTTP_400_BAD_REQUEST)


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers within the caller's scope. Stage moves go through `POST /{id}/transition/` (a `stage` in a
    PATCH follows the same rules); customers are not deleted through the API."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = SEARCH_FIELDS
    ordering_fields = ["id", "name", "stage", "city", "created_at", "updated_at", "external_ref"]
    ordering = ["name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user, no database reads
            return Customer.objects.none()
        return with_live_tier(visible_customers(self.request.user))

    def create(self, request, *args, **kwargs):
        try:
            return super().create(request, *args, **kwargs)
        except services.DuplicateCustomerError as exc:
            return _duplicate_response(exc)

    def update(self, request, *args, **kwargs):
        try:
            return super().update(request, *args, **kwargs)
        except services.DuplicateCustomerError as exc:
            return _duplicate_response(exc)

    def _fresh(self, pk):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        customer = services.create_customer(actor=self.request.user, confirm_duplicate=confirm, **data)
        serializer.instance = self._fresh(customer.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        customer = services.update_customer(
            actor=self.request.user, customer=serializer.instance, confirm_duplicate=confirm, **data
        )
        serializer.instance = self._fresh(customer.pk)

    @extend_schema(request=TransitionSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the customer one lifecycle step (potential → target → current ⇄ dormant); other moves are 400."""
        customer = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.transition_stage(
            actor=request.user,
            customer=customer,
            to_stage=body.validated_data["stage"],
            reason=body.validated_data["reason"],
        )
        return Response(CustomerSerializer(self._fresh(customer.pk), context={"request": request}).data)


class ScopedCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id the caller may see; others are 'does not exist'."""

    def get_queryset(self):
        return visible_customers(self.context["request"].user)


class ContactSerializer(serializers.ModelSerializer):
    customer = ScopedCustomerField()

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "phone", "email", "authority"]
        read_only_fields = ["id"]


class ContactViewSet(viewsets.ModelViewSet):
    """Key people at the caller's customers: title and decision authority."""

    serializer_class = ContactSerializer
    filterset_fields = ["customer", "authority"]
    search_fields = ["name", "title", "phone", "email", "customer__name"]
    ordering_fields = ["id", "name", "customer"]
    ordering = ["customer", "name", "id"]

    def get_queryset(self):
        return visible_contacts(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.create_contact(actor=self.request.user, customer=customer, **data)

    def perform_update(self, serializer):
        serializer.instance = services.update_contact(
            actor=self.request.user, contact=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_contact(actor=self.request.user, contact=instance)


router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("assignment-rules", AssignmentRuleViewSet, basename="assignment-rule")
urlpatterns = []
