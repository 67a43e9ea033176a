import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from crm.throttling import WriteRateThrottle
from tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_that_username_from_that_address(org, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "rep_a", "password": "wrong"})
        assert response.status_code == 200
    assert client.post("/accounts/login/", {"username": "rep_a", "password": "wrong"}).status_code == 429
    locked = client.post("/accounts/login/", {"username": "rep_a", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode() or "登录失败次数过多" in locked.content.decode()
    # Colleagues in the same office (same address) still log in.
    other = client.post("/accounts/login/", {"username": "rep_b", "password": TEST_PASSWORD})
    assert other.status_code == 302


@pytest.mark.django_db
def test_token_endpoint_is_throttled_per_username_and_address(org, api_for):
    from rest_framework.test import APIClient

    client = APIClient()
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "rep_a", "password": "wrong"}).status_code for _ in range(25)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    assert client.post("/api/v1/auth/token/", {"username": "rep_b", "password": TEST_PASSWORD}).status_code == 200


@pytest.mark.django_db
def test_writes_are_throttled_per_user_but_reads_are_not(org, api_for, monkeypatch):
    monkeypatch.setitem(WriteRateThrottle.THROTTLE_RATES, "writes", "3/min")
    client = api_for(org.admin)
    codes = [client.post("/api/v1/teams/", {"name": f"T{i}"}, format="json").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    assert all(client.get("/api/v1/teams/").status_code == 200 for _ in range(10))
    assert api_for(org.manager_a).get("/api/v1/users/").status_code == 200


def test_deploy_checks_pass_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "crm.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "crm.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
