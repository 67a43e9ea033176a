"""Real processes for the fault tests: a private redis-server per test, a Celery worker subprocess on the test
database, and helpers to find a subprocess's PostgreSQL backend (by application_name) to terminate it."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import _forget_celery_overrides

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

needs_services = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL") and REDIS_SERVER),
    reason="fault tests need DATABASE_URL on PostgreSQL, REDIS_URL and redis-server",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(settings):
    """A redis-server of this test's own, which the Celery app uses as its broker (killed at the end)."""
    from crm.celery import app

    redis = PrivateRedis()
    _forget_celery_overrides(app)
    settings.REDIS_URL = redis.url
    settings.CELERY_BROKER_URL = redis.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert app.conf.broker_url == redis.url
    try:
        yield redis
    finally:
        redis.kill()
        _forget_celery_overrides(app)


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def subprocess_env(application_name: str, **extra: str) -> dict[str, str]:
    """The environment of a subprocess on the test database; libpq tags its connections with PGAPPNAME."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        DATABASE_URL=test_database_url(),
        DJANGO_SETTINGS_MODULE="crm.settings.test",
        PGAPPNAME=application_name,
        **extra,
    )
    return env


def backend_writing(application_name: str, table: str) -> int | None:
    """The pid of the backend named `application_name` once it holds a write lock on `table` (it is inserting,
    inside its transaction), else None."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
            WHERE a.application_name = %s AND l.relation = %s::regclass AND l.mode = 'RowExclusiveLock'
            LIMIT 1
            """,
            [application_name, table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def terminate_backend(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def python_bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)
