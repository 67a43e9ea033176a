"""The admin screens where admins edit SLA policies, indicators, points rules and rewards, and audit the rest."""

import pytest

from service.models import SlaPolicy

pytestmark = pytest.mark.django_db

MODELS = [
    "slapolicy",
    "indicatorclass",
    "satisfactionindicator",
    "complaint",
    "notification",
    "satisfactionsurvey",
    "referral",
    "pointsrule",
    "reward",
    "loyaltyaccount",
    "pointsentry",
]


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelists_open(org, page_for, model):
    org.admin.is_superuser = True
    org.admin.save()
    assert page_for(org.admin).get(f"/admin/service/{model}/").status_code == 200


def test_admin_edits_an_sla_policy(org, page_for):
    org.admin.is_superuser = True
    org.admin.save()
    policy = SlaPolicy.objects.get(severity="high")
    response = page_for(org.admin).post(
        f"/admin/service/slapolicy/{policy.pk}/change/", {"severity": "high", "resolution_hours": "12"}
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.resolution_hours == 12


def test_the_points_ledger_cannot_be_edited_in_the_admin(org, page_for):
    org.admin.is_superuser = True
    org.admin.save()
    assert page_for(org.admin).get("/admin/service/pointsentry/add/").status_code == 403
