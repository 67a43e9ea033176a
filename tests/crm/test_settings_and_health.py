import os

import pytest
from django.conf import settings
from django.db import connection


def test_database_comes_from_database_url():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_celery_runs_eagerly_without_redis_and_uses_redis_when_configured():
    from crm.celery import app

    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_TASK_ALWAYS_EAGER is False
        assert app.conf.broker_url == os.environ["REDIS_URL"]
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True
        assert app.conf.task_always_eager is True


def test_beat_uses_the_database_scheduler():
    from crm.celery import app

    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db
def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if os.environ.get("REDIS_URL") else "not configured")


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_production_settings_refuse_to_start_without_a_secret(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ALLOWED_HOSTS", "crm.example.com")
    sys.modules.pop("crm.settings.production", None)
    with pytest.raises(ImproperlyConfigured):
        importlib.import_module("crm.settings.production")
    sys.modules.pop("crm.settings.production", None)
