import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm.models import Team, Territory

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_an_organisation_and_is_safe_to_run_twice():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    User = get_user_model()
    counts = (User.objects.count(), Team.objects.count(), Territory.objects.count())
    assert User.objects.filter(role="manager").exists()
    assert User.objects.filter(role="rep").count() >= 3
    assert Team.objects.filter(manager__isnull=False).count() >= 1
    assert "demo-pass-2026" in out.getvalue()
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Team.objects.count(), Territory.objects.count()) == counts


def test_demo_users_can_log_in(client):
    call_command("seed_demo", stdout=io.StringIO())
    response = client.post("/accounts/login/", {"username": "li.rep", "password": "demo-pass-2026"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
