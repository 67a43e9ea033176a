"""Fixtures shared by every test: an organisation with two teams, clients per role, browser settings."""

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.models import Role
from tests.factories import TeamFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
_XDG = tempfile.mkdtemp(prefix="crm-tests-xdg-")
os.environ.setdefault("XDG_CONFIG_HOME", _XDG)
os.environ.setdefault("XDG_CACHE_HOME", _XDG)

CHROMIUM = "/usr/bin/chromium"
ROLES = ["anonymous", "rep_a", "rep_b", "manager_a", "manager_b", "admin"]


@dataclass
class Org:
    """Team A (manager_a: rep_a, rep_b) and team B (manager_b: rep_c), plus an admin."""

    admin: object
    manager_a: object
    manager_b: object
    rep_a: object
    rep_b: object
    rep_c: object
    team_a: object
    team_b: object

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def org(db) -> Org:
    admin = UserFactory(username="admin1", role=Role.ADMIN, is_staff=True)
    manager_a = UserFactory(username="manager_a", role=Role.MANAGER)
    manager_b = UserFactory(username="manager_b", role=Role.MANAGER)
    team_a = TeamFactory(name="Team A", manager=manager_a)
    team_b = TeamFactory(name="Team B", manager=manager_b)
    rep_a = UserFactory(username="rep_a", role=Role.REP, team=team_a)
    rep_b = UserFactory(username="rep_b", role=Role.REP, team=team_a)
    rep_c = UserFactory(username="rep_c", role=Role.REP, team=team_b)
    return Org(admin, manager_a, manager_b, rep_a, rep_b, rep_c, team_a, team_b)


def api_client_for(user) -> APIClient:
    """An API client that authenticates with a real token, as integrations do."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_for():
    return api_client_for


@pytest.fixture
def page_for(client):
    """A browser-like Django test client logged in as `user` (anonymous for None)."""

    def make(user):
        from django.test import Client

        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


# --- browser tests ---------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or os.environ.get("REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found (set REQUIRE_BROWSER=1 to make this an error)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _cleanup_xdg():
    yield
    shutil.rmtree(_XDG, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Chinese sales teams: the browser asks for zh-CN first, as their phones do.
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield


def _forget_celery_overrides(app) -> None:
    """Drop values set directly on app.conf (they would shadow Django's settings for later tests) and the
    cached pools (kombu keeps one per broker URL in a global registry: never close them, just forget them)."""
    for key in ("task_always_eager", "broker_url"):
        with contextlib.suppress(KeyError):
            del app.conf.changes[key]
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def eager_tasks(settings):
    """Run queued tasks in-process even when REDIS_URL points at a real broker."""
    from crm.celery import app

    _forget_celery_overrides(app)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert app.conf.task_always_eager
    yield
    _forget_celery_overrides(app)


@pytest.fixture
def broker_down(settings):
    """Point the Celery app at a closed port, as if Redis had stopped (tasks are not run eagerly)."""
    from crm.celery import app

    _forget_celery_overrides(app)
    # Celery reads these live from Django's settings; the `settings` fixture restores them afterwards.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert app.conf.broker_url == settings.REDIS_URL and not app.conf.task_always_eager
    yield
    _forget_celery_overrides(app)
