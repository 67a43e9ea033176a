"""Concurrent double submits of one client_uuid on PostgreSQL: exactly one report (and one new customer)."""

import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from salesforce_auto import services
from salesforce_auto.models import VisitReport
from tests.factories import CustomerFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every writer, so two connections cannot race; run with DATABASE_URL on PostgreSQL",
)


def _race(actor, make_input, attempts=2):
    barrier = threading.Barrier(attempts)
    results, errors = [], []

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            results.append(services.submit_visit(actor=actor, data=make_input()))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_stores_one_report_and_both_get_it(org):
    customer = CustomerFactory(owner=org.rep_a)
    for round_ in range(10):
        key = uuid.uuid4()

        def make_input(key=key, round_=round_):
            return services.VisitInput(
                client_uuid=key, visited_at=timezone.now(), customer=customer, outcome=f"round {round_}"
            )

        results = _race(org.rep_a, make_input, attempts=3)
        assert len(results) == 3
        assert sorted(created for _report, created in results) == [False, False, True]
        assert len({report.pk for report, _created in results}) == 1
        assert VisitReport.objects.filter(client_uuid=key).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_with_a_new_customer_creates_it_once(org):
    key = uuid.uuid4()

    def make_input():
        return services.VisitInput(
            client_uuid=key,
            visited_at=timezone.now(),
            new_customer=services.NewCustomerInput(name="并发新店", city="上海"),
        )

    results = _race(org.rep_a, make_input)
    assert len({report.pk for report, _created in results}) == 1
    assert Customer.objects.filter(name="并发新店").count() == 1
    assert VisitReport.objects.count() == 1
