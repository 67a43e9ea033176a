"""Schemathesis against /api/v1/schema/: every operation, as an admin and as a rep, must never answer 5xx and
must answer only what the schema documents (status, content type, body shape).

Examples per operation come from FUZZ_EXAMPLES (CI: 15 through .ci/run; `make fuzz`: 50). Generation is
derandomised so a CI failure reproduces locally with the same FUZZ_EXAMPLES.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crm.throttling import WriteRateThrottle
from tests.conftest import api_client_for
from tests.permission_matrix import World, route_tables

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    """Django's real WSGI handler, run inside the test's transaction: like Django's test client, keep the
    request signals from closing the connection that holds that transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "rep_a"])
def caller(request, org, monkeypatch):
    """An org with the permission matrix's records (owned by rep A), and the token of the caller."""
    # The fuzzer sends thousands of writes a minute from one user: lift the rate limits so it reaches the
    # views (the throttles themselves are tested in tests/crm/test_security.py).
    monkeypatch.setitem(WriteRateThrottle.THROTTLE_RATES, "writes", "1000000/min")
    monkeypatch.setitem(WriteRateThrottle.THROTTLE_RATES, "token", "1000000/min")
    world = World(**vars(org))
    for build in route_tables()[1]:
        build(world)
    user = getattr(world, request.param)
    client = api_client_for(user)
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


def served_schema() -> dict:
    """The document /api/v1/schema/ serves (test_fuzzed_schema_is_the_served_one checks they are equal); built
    at collection time because schemathesis makes one test per operation from it."""
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(served_schema())


@pytest.mark.django_db
def test_fuzzed_schema_is_the_served_one(org):
    response = api_client_for(org.rep_a).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content) == json.loads(json.dumps(served_schema()))


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_only_what_its_schema_documents(case, caller, wsgi_app):
    case.call_and_validate(app=wsgi_app, headers=caller, checks=CHECKS)
