"""API of the shared core: token auth, users, teams, background jobs."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from kombu.exceptions import OperationalError as BrokerOperationalError
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crm import selectors, services
from crm.access import is_admin
from crm.api_conventions import ServiceUnavailable
from crm.models import Job, Role, Team
from crm.throttling import TokenRateThrottle

User = get_user_model()


class IsAdminRole(permissions.BasePermission):
    message = _("Only administrators may do this.")

    def has_permission(self, request, view):
        return is_admin(request.user)


class TokenObtainView(ObtainAuthToken):
    """`POST {"username", "password"}` → `{"token"}`; bad credentials → 400 with a message."""

    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices, default=Role.REP)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "password",
            "first_name",
            "last_name",
            "email",
            "role",
            "team",
            "is_active",
        ]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"first_name": {"max_length": 150}, "last_name": {"max_length": 150}}


class UserUpdateSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "team", "is_active"]
        read_only_fields = ["id", "username"]


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users within the caller's scope; only admins create or edit."""

    serializer_class = UserSerializer
    filterset_fields = ["role", "team", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["id", "username", "role"]
    ordering = ["username"]

    def get_queryset(self):
        return selectors.visible_users(self.request.user)

    def get_permissions(self):
        if self.action in ("create", "update", "partial_update"):
            return [permissions.IsAuthenticated(), IsAdminRole()]
        return super().get_permissions()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return UserUpdateSerializer
        return UserSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_user(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_user(
            actor=self.request.user, user=serializer.instance, **serializer.validated_data
        )


class TeamSerializer(serializers.ModelSerializer):
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "manager", "members"]


class TeamViewSet(viewsets.ModelViewSet):
    serializer_class = TeamSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["name"]
    filterset_fields = ["manager"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_teams(self.request.user)

    def get_permissions(self):
        if self.action not in ("list", "retrieve"):
            return [permissions.IsAuthenticated(), IsAdminRole()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_team(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        serializer.instance = services.update_team(
            actor=self.request.user, team=serializer.instance, members=members, **data
        )


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs the caller started (admins: all), with their progress 0–100."""

    serializer_class = JobSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["id", "created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.visible_jobs(self.request.user)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="worker-check", permission_classes=[IsAdminRole])
    def worker_check(self, request):
        """Send a job through the broker to a worker and back (admins only)."""
        from crm.tasks import check_worker

        job = services.create_job(actor=request.user, kind="worker_check")
        try:
            check_worker.delay(job.pk)
        except BrokerOperationalError as exc:
            services.fail_job(job=job, message=str(_("The task broker is unavailable.")))
            raise ServiceUnavailable() from exc
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = []
