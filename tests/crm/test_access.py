import pytest

from crm.access import can_act_for_owner, scope_by_owner, visible_owner_ids
from crm.models import Team
from crm.selectors import visible_teams, visible_users

pytestmark = pytest.mark.django_db


def _usernames(qs):
    return sorted(qs.values_list("username", flat=True))


def test_rep_sees_only_themselves(org):
    assert _usernames(visible_users(org.rep_a)) == ["rep_a"]


def test_manager_sees_their_team_members_and_themselves(org):
    assert _usernames(visible_users(org.manager_a)) == ["manager_a", "rep_a", "rep_b"]


def test_manager_of_two_teams_sees_both(org):
    extra = Team.objects.create(name="Team C", manager=org.manager_a)
    org.rep_c.team = extra
    org.rep_c.save()
    assert "rep_c" in _usernames(visible_users(org.manager_a))
    assert "rep_c" not in _usernames(visible_users(org.manager_b))


def test_admin_sees_everyone(org):
    assert set(_usernames(visible_users(org.admin))) >= {
        "admin1",
        "manager_a",
        "manager_b",
        "rep_a",
        "rep_b",
        "rep_c",
    }


def test_anonymous_sees_nobody(org):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_users(AnonymousUser()).exists()
    assert visible_owner_ids(AnonymousUser()) is not None


def test_inactive_user_sees_nothing(org):
    org.manager_a.is_active = False
    org.manager_a.save()
    assert not visible_users(org.manager_a).exists()


def test_scope_by_owner_applies_the_rule_to_any_owned_queryset(org):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    # A user "owns" themselves for this check: the same rule any owned model gets.
    assert _usernames(scope_by_owner(users, org.rep_a, owner_field="pk")) == ["rep_a"]
    assert _usernames(scope_by_owner(users, org.manager_b, owner_field="pk")) == ["manager_b", "rep_c"]
    assert scope_by_owner(users, org.admin, owner_field="pk").count() == users.count()


def test_can_act_for_owner_follows_scope(org):
    assert can_act_for_owner(org.manager_a, org.rep_a)
    assert not can_act_for_owner(org.manager_b, org.rep_a)
    assert not can_act_for_owner(org.rep_b, org.rep_a)
    assert can_act_for_owner(org.rep_a, org.rep_a.pk)
    assert can_act_for_owner(org.admin, org.rep_c)


def test_team_listing_is_scoped(org):
    assert [t.name for t in visible_teams(org.rep_a)] == ["Team A"]
    assert [t.name for t in visible_teams(org.manager_b)] == ["Team B"]
    assert [t.name for t in visible_teams(org.admin)] == ["Team A", "Team B"]
