from tests.permission_matrix import OWNER_SCOPED, Check, api, expect, page


def build(world):
    from crm.services import create_job

    world.job_a = create_job(actor=world.rep_a, kind="import")


def _new_user(world, role):
    return {"username": f"matrix-{role}", "password": "a-long-Passw0rd!", "role": "rep"}


def _new_team(world, role):
    return {"name": f"Matrix team {role}"}


ADMIN_ONLY_WRITE = {"rep_a": 403, "rep_b": 403, "manager_a": 403, "manager_b": 403}

ROUTES = {
    "home": [Check("get", "/", page())],
    "healthz": [Check("get", "/healthz", expect(200))],
    "login": [
        Check("get", "/accounts/login/", expect(302, anonymous=200)),
        Check("post", "/accounts/login/", expect(302, anonymous=200), data={"username": "rep_a", "password": "x"}),
    ],
    "logout": [Check("post", "/accounts/logout/", expect(302), fmt="form")],
    "set_language": [
        Check("post", "/i18n/setlang/", expect(302), data={"language": "en"}, fmt="form"),
        Check("get", "/i18n/setlang/", expect(302)),
    ],
    "job-progress": [
        Check("get", lambda w: f"/jobs/{w.job_a.pk}/progress/", page(**{**OWNER_SCOPED, "manager_a": 404}))
    ],
    "admin:*": [Check("get", "/admin/", expect(302, admin=200))],
    "api-token": [Check("post", "/api/v1/auth/token/", expect(400), data={"username": "rep_a", "password": "x"})],
    "api-schema": [Check("get", "/api/v1/schema/", api())],
    "api-docs": [Check("get", "/api/v1/docs/", api())],
    "api-root": [Check("get", "/api/v1/", api())],
    "user-list": [
        Check("get", "/api/v1/users/", api()),
        Check("post", "/api/v1/users/", api(**ADMIN_ONLY_WRITE, admin=201), data=_new_user),
    ],
    "user-detail": [
        Check("get", lambda w: f"/api/v1/users/{w.rep_a.pk}/", api(**OWNER_SCOPED)),
        Check(
            "patch",
            lambda w: f"/api/v1/users/{w.rep_a.pk}/",
            api(**ADMIN_ONLY_WRITE, admin=200),
            data={"first_name": "A"},
        ),
        Check(
            "put",
            lambda w: f"/api/v1/users/{w.rep_a.pk}/",
            api(**ADMIN_ONLY_WRITE, admin=200),
            data=lambda w, role: {"username": "rep_a", "role": "rep", "team": w.team_a.pk},
        ),
    ],
    "team-list": [
        Check("get", "/api/v1/teams/", api()),
        Check("post", "/api/v1/teams/", api(**ADMIN_ONLY_WRITE, admin=201), data=_new_team),
    ],
    "team-detail": [
        Check("get", lambda w: f"/api/v1/teams/{w.team_a.pk}/", api(manager_b=404)),
        Check(
            "patch",
            lambda w: f"/api/v1/teams/{w.team_a.pk}/",
            api(**ADMIN_ONLY_WRITE, admin=200),
            data={"name": "Team A"},
        ),
        Check(
            "put",
            lambda w: f"/api/v1/teams/{w.team_a.pk}/",
            api(**ADMIN_ONLY_WRITE, admin=200),
            data=lambda w, role: {"name": "Team A", "manager": w.manager_a.pk, "members": [w.rep_a.pk, w.rep_b.pk]},
        ),
    ],
    "job-list": [Check("get", "/api/v1/jobs/", api())],
    "job-detail": [Check("get", lambda w: f"/api/v1/jobs/{w.job_a.pk}/", api(**{**OWNER_SCOPED, "manager_a": 404}))],
    "job-worker-check": [Check("post", "/api/v1/jobs/worker-check/", api(**ADMIN_ONLY_WRITE, admin=202))],
}
