"""The one scoping rule (DESIGN §4).

admin (and superusers) see everything; a manager sees records owned by the members of the teams they manage
and their own; a rep sees what they own. Every selector that reads business records scopes through here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_admin_role)


def is_manager(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_manager_role)


def visible_owner_ids(user) -> QuerySet | None:
    """Ids of the users whose records `user` may see, as a subquery; None means every owner (admin)."""
    User = get_user_model()
    if not (user and user.is_authenticated and user.is_active):
        return User.objects.none().values("pk")
    if user.is_admin_role:
        return None
    if user.role == "manager":
        return User.objects.filter(Q(team__manager=user) | Q(pk=user.pk)).values("pk")
    return User.objects.filter(pk=user.pk).values("pk")


def scope_by_owner(queryset: QuerySet, user, owner_field: str = "owner") -> QuerySet:
    """Restrict `queryset` to the records whose `owner_field` is a user that `user` may see."""
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    owner_ids = visible_owner_ids(user)
    if owner_ids is None:
        return queryset
    if user.role == "rep":
        return queryset.filter(**{owner_field: user.pk})
    return queryset.filter(**{f"{owner_field}__in": owner_ids})


def can_act_for_owner(user, owner) -> bool:
    """Whether `user` may see or write records owned by `owner` (a user or a user id)."""
    owner_id = getattr(owner, "pk", owner)
    owner_ids = visible_owner_ids(user)
    if owner_ids is None:
        return user is not None and user.is_authenticated and user.is_active
    return get_user_model().objects.filter(pk=owner_id, pk__in=owner_ids).exists()
