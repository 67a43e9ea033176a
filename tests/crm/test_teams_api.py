import pytest

from crm.models import Team

pytestmark = pytest.mark.django_db


def test_admin_creates_a_team_with_manager_and_members(org, api_for):
    from tests.factories import UserFactory

    newbie = UserFactory(username="newbie")
    response = api_for(org.admin).post(
        "/api/v1/teams/",
        {"name": "华北组", "manager": org.manager_b.pk, "members": [newbie.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    team = Team.objects.get(name="华北组")
    assert list(team.members.all()) == [newbie]
    assert team.manager == org.manager_b


def test_member_of_another_team_is_refused(org, api_for):
    response = api_for(org.admin).post("/api/v1/teams/", {"name": "Team X", "members": [org.rep_a.pk]}, format="json")
    assert response.status_code == 400
    assert "members" in response.json()
    assert not Team.objects.filter(name="Team X").exists()


def test_a_rep_cannot_manage_a_team(org, api_for):
    response = api_for(org.admin).post("/api/v1/teams/", {"name": "Team Y", "manager": org.rep_a.pk}, format="json")
    assert response.status_code == 400
    assert "manager" in response.json()


def test_admin_edits_team_members(org, api_for):
    response = api_for(org.admin).patch(f"/api/v1/teams/{org.team_a.pk}/", {"members": [org.rep_a.pk]}, format="json")
    assert response.status_code == 200, response.content
    org.rep_b.refresh_from_db()
    assert org.rep_b.team is None


@pytest.mark.parametrize("role", ["rep_a", "manager_a"])
def test_non_admins_cannot_create_or_edit_teams(org, api_for, role):
    client = api_for(getattr(org, role))
    assert client.post("/api/v1/teams/", {"name": "Z"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/teams/{org.team_a.pk}/", {"name": "Z"}, format="json").status_code == 403


def test_names_longer_than_200_are_refused(org, api_for):
    response = api_for(org.admin).post("/api/v1/teams/", {"name": "x" * 201}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
