import pytest
from rest_framework.test import APIClient

from crm.models import Role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_api_request_gets_401(org):
    response = APIClient().get("/api/v1/users/")
    assert response.status_code == 401


def test_token_login_returns_a_token_that_authenticates(org):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "rep_a", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/users/")
    assert me.status_code == 200
    assert [u["username"] for u in me.json()["results"]] == ["rep_a"]


def test_wrong_password_is_a_400_with_a_message(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "rep_a", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


def test_missing_fields_name_the_field(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "rep_a"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_admin_creates_a_rep_through_the_api(org, api_for):
    response = api_for(org.admin).post(
        "/api/v1/users/",
        {"username": "new.rep", "password": "a-long-Passw0rd!", "role": "rep", "team": org.team_a.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "rep" and body["team"] == org.team_a.pk
    assert "password" not in body
    login = APIClient().post("/api/v1/auth/token/", {"username": "new.rep", "password": "a-long-Passw0rd!"})
    assert login.status_code == 200
    assert org.manager_a in [org.manager_a]  # the new rep now appears in manager A's scope:
    listed = api_for(org.manager_a).get("/api/v1/users/").json()["results"]
    assert "new.rep" in [u["username"] for u in listed]


def test_weak_password_and_unknown_role_are_field_errors(org, api_for):
    response = api_for(org.admin).post(
        "/api/v1/users/", {"username": "x", "password": "123", "role": "boss"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"role"}
    response = api_for(org.admin).post("/api/v1/users/", {"username": "x", "password": "123"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_duplicate_username_is_a_400(org, api_for):
    response = api_for(org.admin).post(
        "/api/v1/users/", {"username": "rep_a", "password": "a-long-Passw0rd!"}, format="json"
    )
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.parametrize("role", ["rep_a", "manager_a"])
def test_non_admins_cannot_create_users(org, api_for, role):
    response = api_for(getattr(org, role)).post(
        "/api/v1/users/",
        {"username": "sneaky", "password": "a-long-Passw0rd!", "role": Role.ADMIN},
        format="json",
    )
    assert response.status_code == 403


def test_user_listing_is_scoped(org, api_for):
    def names(user):
        return sorted(u["username"] for u in api_for(user).get("/api/v1/users/").json()["results"])

    assert names(org.rep_a) == ["rep_a"]
    assert names(org.manager_a) == ["manager_a", "rep_a", "rep_b"]
    assert "rep_c" in names(org.admin)


def test_out_of_scope_user_is_a_404(org, api_for):
    assert api_for(org.rep_a).get(f"/api/v1/users/{org.rep_b.pk}/").status_code == 404
    assert api_for(org.manager_b).get(f"/api/v1/users/{org.rep_a.pk}/").status_code == 404
    assert api_for(org.manager_a).get(f"/api/v1/users/{org.rep_a.pk}/").status_code == 200


def test_pagination_shape_and_page_size_cap(org, api_for):
    response = api_for(org.admin).get("/api/v1/users/?page_size=100000")
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"])
    response = api_for(org.admin).get("/api/v1/users/?page_size=2&page=2&ordering=username")
    body = response.json()
    assert len(body["results"]) == 2 and body["previous"] is not None


def test_filtering_users_by_role(org, api_for):
    body = api_for(org.admin).get("/api/v1/users/?role=manager").json()
    assert sorted(u["username"] for u in body["results"]) == ["manager_a", "manager_b"]
