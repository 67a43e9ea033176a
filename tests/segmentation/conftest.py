"""Helpers for hand-computed segmentation fixtures: local-time orders and a run computed in-process."""

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings

from segmentation import services
from segmentation.models import TierAssignment
from tests.factories import CustomerFactory, OrderFactory


def local(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


class Ledger:
    def __init__(self, owner):
        self.owner = owner

    def customer(self, **fields):
        return CustomerFactory(owner=self.owner, stage=fields.pop("stage", "current"), **fields)

    def order(self, customer, when, amount, cost="0.00"):
        return OrderFactory(customer=customer, ordered_at=when, amount=Decimal(amount), cost=Decimal(cost))

    def visit(self, customer, when):
        from salesforce_auto.models import VisitReport

        return VisitReport.objects.create(client_uuid=uuid.uuid4(), rep=self.owner, customer=customer, visited_at=when)


@pytest.fixture
def ledger(org):
    return Ledger(org.rep_a)


@pytest.fixture
def compute(org):
    """Start and compute a run in-process; returns (run, {customer_id: assignment})."""

    def run_with(**parameters):
        run = services.start_run(actor=org.admin, parameters=parameters, enqueue=False)
        run = services.compute_run(run_id=run.pk)
        assert run.status == "succeeded", run.error
        return run, {a.customer_id: a for a in TierAssignment.objects.filter(run=run)}

    return run_with
