"""Every route × every role, against the tables in tests/<app>/routes.py (see tests/permission_matrix.py)."""

import pytest
from django.test import Client

from tests.conftest import api_client_for
from tests.permission_matrix import ROLES, World, discovered_routes, route_tables

ROUTES, BUILDERS = route_tables()


def test_every_route_is_classified_in_the_matrix():
    discovered = discovered_routes()
    missing = sorted(discovered - set(ROUTES))
    stale = sorted(set(ROUTES) - discovered)
    assert not missing, f"routes with no permission-matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def _client(world, role: str, api: bool):
    user = None if role == "anonymous" else getattr(world, role)
    if api:
        return api_client_for(user)
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_answers_each_role_as_the_matrix_says(route, org):
    world = World(**vars(org))
    for build in BUILDERS:
        build(world)
    failures = []
    for check in ROUTES[route]:
        for role in ROLES:
            url = check.url(world)
            is_api = url.startswith("/api/")
            client = _client(world, role, api=is_api)
            payload = check.payload(world, role)
            kwargs = {}
            if payload is not None:
                kwargs["data"] = payload
            if is_api and check.fmt == "json" and check.method != "get":
                kwargs["format"] = "json"
            response = getattr(client, check.method)(url, **kwargs)
            if response.status_code != check.expected[role]:
                failures.append(
                    f"{check.method.upper()} {url} as {role}: {response.status_code}, expected {check.expected[role]}"
                )
    assert not failures, "\n".join(failures)


VERBS = ("get", "post", "put", "patch", "delete")


def matrix_size() -> dict[str, int]:
    checks = sum(len(checks) for checks in ROUTES.values())
    return {"routes": len(ROUTES), "roles": len(ROLES), "checks": checks, "requests": checks * len(ROLES)}


def test_matrix_size_is_recorded(capsys):
    size = matrix_size()
    with capsys.disabled():
        print(
            f"\npermission matrix: {size['routes']} routes x {size['roles']} roles, "
            f"{size['checks']} checks = {size['requests']} requests"
        )
    assert size["routes"] >= len(discovered_routes())


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(r for r in ROUTES if r != "admin:*"))
def test_every_verb_a_route_serves_is_checked_in_the_matrix(route, org):
    """A verb the route's checks do not cover must be refused (405) even to an admin: a view that quietly starts
    serving PUT or DELETE then fails here until its checks say who may use it."""
    world = World(**vars(org))
    for build in BUILDERS:
        build(world)
    checked = {check.method for check in ROUTES[route]}
    url = ROUTES[route][0].url(world)
    is_api = url.startswith("/api/")
    served = []
    for verb in VERBS:
        if verb in checked:
            continue
        kwargs = {"format": "json", "data": {}} if is_api and verb != "get" else {}
        response = getattr(_client(world, "admin", api=is_api), verb)(url, **kwargs)
        if response.status_code != 405:
            served.append(f"{verb.upper()} {url}: {response.status_code}")
    assert not served, f"verbs served but not in the matrix for {route}: {served}"
