"""Writes of the shared core: users, teams and background jobs."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Job, JobStatus, Role, Team, Territory

SYSTEM_USERNAME = "system"


def _require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_admin_role):
        raise PermissionDenied(_("Only administrators may do this."))


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    password: str,
    role: str = Role.REP,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
):
    """Create a user; only admins may. The password is checked by Django's validators."""
    _require_admin(actor)
    User = get_user_model()
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.ADMIN,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def update_user(*, actor, user, **fields):
    _require_admin(actor)
    allowed = {"role", "team", "first_name", "last_name", "email", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    for name, value in fields.items():
        setattr(user, name, value)
    if "role" in fields:
        user.is_staff = user.role == Role.ADMIN or user.is_superuser
    user.full_clean()
    user.save()
    return user


def _set_members(team: Team, members: Iterable) -> None:
    members = list(members)
    errors = [
        _("%(user)s already belongs to team %(team)s.") % {"user": m.username, "team": m.team.name}
        for m in members
        if m.team_id and m.team_id != team.pk
    ]
    if errors:
        raise ValidationError({"members": errors})
    User = get_user_model()
    User.objects.filter(team=team).exclude(pk__in=[m.pk for m in members]).update(team=None)
    User.objects.filter(pk__in=[m.pk for m in members]).update(team=team)


@transaction.atomic
def create_team(*, actor, name: str, manager=None, members: Iterable = ()) -> Team:
    _require_admin(actor)
    if manager is not None and manager.role not in (Role.MANAGER, Role.ADMIN):
        raise ValidationError({"manager": [_("The manager must have the manager role.")]})
    team = Team(name=name, manager=manager)
    team.full_clean()
    team.save()
    _set_members(team, members)
    return team


@transaction.atomic
def update_team(*, actor, team: Team, members: Iterable | None = None, **fields) -> Team:
    _require_admin(actor)
    manager = fields.get("manager", team.manager)
    if manager is not None and manager.role not in (Role.MANAGER, Role.ADMIN):
        raise ValidationError({"manager": [_("The manager must have the manager role.")]})
    for name in ("name", "manager"):
        if name in fields:
            setattr(team, name, fields[name])
    team.full_clean()
    team.save()
    if members is not None:
        _set_members(team, members)
    return team


@transaction.atomic
def create_territory(*, actor, code: str, name: str, team: Team | None = None) -> Territory:
    _require_admin(actor)
    territory = Territory(code=code, name=name, team=team)
    territory.full_clean()
    territory.save()
    return territory


def get_system_user():
    """The acting user for changes the system makes by itself (nightly jobs, automatic stage moves)."""
    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.ADMIN, "is_active": False, "first_name": "System"},
    )
    return user


# --- background jobs ------------------------------------------------------------------------------


def create_job(*, actor, kind: str, parameters: dict | None = None) -> Job:
    job = Job(kind=kind, created_by=actor, parameters=parameters or {})
    job.full_clean()
    job.save()
    return job


def start_job(*, job: Job) -> bool:
    """Move a queued job to running; False when it was not queued (a duplicate delivery)."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    job.refresh_from_db()
    return bool(updated)


def report_job_progress(*, job: Job, progress: int, message: str = "") -> None:
    job.progress = max(0, min(100, int(progress)))
    job.heartbeat_at = timezone.now()
    fields = ["progress", "heartbeat_at"]
    if message:
        job.message = message[:500]
        fields.append("message")
    job.save(update_fields=fields)


def finish_job(*, job: Job, result: dict | None = None, message: str = "") -> None:
    job.status = JobStatus.SUCCEEDED
    job.progress = 100
    job.result = result or {}
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.heartbeat_at = job.finished_at
    job.save(update_fields=["status", "progress", "result", "message", "finished_at", "heartbeat_at"])


def fail_job(*, job: Job, message: str, result: dict | None = None) -> None:
    job.status = JobStatus.FAILED
    job.message = message[:500]
    if result is not None:
        job.result = result
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "result", "finished_at"])


def check_worker(*, job: Job, worker: str) -> Job:
    """Record that a worker picked up and ran a job: proves the broker → worker → database path."""
    if not start_job(job=job):
        return job
    finish_job(job=job, result={"worker": worker}, message=_("Worker %(worker)s answered.") % {"worker": worker})
    return job
