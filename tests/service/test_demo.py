"""The service step of seed_demo: tolerates zero customers, seeds believable data, safe to run twice."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from service.models import Complaint, LoyaltyAccount, PointsEntry, Referral, Reward, SatisfactionSurvey
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(
        m.objects.count() for m in (Complaint, SatisfactionSurvey, Referral, LoyaltyAccount, PointsEntry, Reward)
    )


def test_service_demo_with_no_customers_seeds_only_the_rewards():
    from service import demo

    # The service step alone (the whole seed_demo creates customers first).
    demo.seed(io.StringIO())
    assert Reward.objects.count() >= 3 and not Complaint.objects.exists()


def test_service_demo_seeds_complaints_surveys_referrals_and_points_once(org):
    customers = [CustomerFactory(owner=[org.rep_a, org.rep_b, org.rep_c][i % 3]) for i in range(8)]
    for i, customer in enumerate(customers):
        for j in range(i % 4):
            OrderFactory(
                customer=customer, amount=Decimal("3000.00"), ordered_at=timezone.now() - timedelta(days=30 * j)
            )
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Service:" in out.getvalue()
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"received", "acknowledged", "investigating", "resolved", "verified", "closed"} <= statuses
    assert SatisfactionSurvey.objects.filter(status="completed").count() >= 8
    assert Referral.objects.filter(converted=True).exists()
    assert PointsEntry.objects.filter(kind="earned").exists() and PointsEntry.objects.filter(kind="redeemed").exists()
    counts = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == counts
