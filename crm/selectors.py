"""Reads of the shared core, scoped to the acting user (DESIGN §4)."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from crm.models import Job, Team


def visible_users(user) -> QuerySet:
    """A rep sees themselves, a manager their teams' members and themselves, an admin everyone."""
    User = get_user_model()
    qs = User.objects.select_related("team").order_by("username")
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.role == "manager":
        return qs.filter(Q(team__manager=user) | Q(pk=user.pk)).distinct()
    return qs.filter(pk=user.pk)


def visible_teams(user) -> QuerySet:
    qs = Team.objects.select_related("manager").prefetch_related("members").order_by("name")
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if user.is_admin_role:
        return qs
    return qs.filter(Q(manager=user) | Q(members=user)).distinct()


def visible_jobs(user) -> QuerySet:
    qs = Job.objects.select_related("created_by")
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if user.is_admin_role:
        return qs
    return qs.filter(created_by=user)


def team_reps(team: Team) -> QuerySet:
    return team.members.filter(role="rep", is_active=True).order_by("pk")
