"""API of the assignment rules: `/api/v1/assignment-rules/` (admins manage them; managers may read them)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.models import AssignmentRule
from customers.selectors.assignment import (
    can_manage_assignment_rules,
    can_view_assignment_rules,
    visible_assignment_rules,
)
from customers.services import assignment as services


class AssignmentRulePermission(permissions.BasePermission):
    message = _("Only administrators may manage assignment rules.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return can_view_assignment_rules(request.user)
        return can_manage_assignment_rules(request.user)


class AssignmentRuleSerializer(serializers.ModelSerializer):
    """A rule: criteria (territory, city, industry; empty matches anything) and who gets the customer (an
    assignee, or a team whose active reps take turns). Without a priority a new rule goes last."""

    class Meta:
        model = AssignmentRule
        fields = ["id", "name", "priority", "territory", "city", "industry", "team", "assignee", "active"]


class AssignmentRuleMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))], required=False)
    priority = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)

    def validate(self, attrs):
        if ("direction" in attrs) == ("priority" in attrs):
            raise serializers.ValidationError(_("Give either a direction (up or down) or a priority."))
        return attrs


@extend_schema_view(
    list=extend_schema(
        description="The rules in the order they are tried (priority, then territory, city, "
        "industry and catch-all rules, then oldest first). Admins and managers."
    ),
    create=extend_schema(description="Admins only. A rule needs a team or an assignee (an active user)."),
)
class AssignmentRuleViewSet(viewsets.ModelViewSet):
    serializer_class = AssignmentRuleSerializer
    permission_classes = [permissions.IsAuthenticated, AssignmentRulePermission]
    ordering_fields = ["priority", "id", "name"]
    search_fields = ["name", "city", "industry"]
    filterset_fields = ["active", "team", "assignee", "territory"]

    def get_queryset(self):
        return visible_assignment_rules(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_assignment_rule(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_assignment_rule(
            actor=self.request.user, rule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_assignment_rule(actor=self.request.user, rule=instance)

    @extend_schema(
        request=AssignmentRuleMoveSerializer,
        responses={
            200: OpenApiResponse(AssignmentRuleSerializer, description="The rule with its new priority."),
            400: OpenApiResponse(description="Neither or both of direction and priority, or a bad value."),
        },
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move a rule one place up or down in the order rules are tried, or to a given priority."""
        rule = self.get_object()
        move = AssignmentRuleMoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        rule = services.move_assignment_rule(actor=request.user, rule=rule, **move.validated_data)
        return Response(AssignmentRuleSerializer(rule).data)
