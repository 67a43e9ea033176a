"""Escalation of overdue complaints: to the customer owner's team manager, in-app and by email, exactly once."""

import os
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from service.models import Complaint, Notification
from service.services import advance_complaint, escalate_overdue
from service.tasks import escalate_overdue as escalate_overdue_task
from tests.factories import CustomerFactory, UserFactory, complaint_for

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker")


def _overdue(customer, hours_late: int = 1, severity: str = "critical"):
    received = timezone.now() - timedelta(hours=4 + hours_late) if severity == "critical" else None
    return complaint_for(customer, severity=severity, received_at=received)


@pytest.mark.django_db
def test_the_beat_schedule_is_a_database_periodic_task_every_15_minutes():
    task = PeriodicTask.objects.get(task="service.escalate_overdue")
    assert task.enabled and task.interval.every == 15 and task.interval.period == "minutes"


@pytest.mark.django_db
def test_overdue_complaint_escalates_to_the_team_manager_in_app_and_by_email(org):
    customer = CustomerFactory(owner=org.rep_a, name="华联超市")
    complaint = _overdue(customer)
    result = escalate_overdue()
    assert result.escalated == [complaint.pk]
    notification = Notification.objects.get(complaint=complaint)
    assert notification.recipient == org.manager_a
    assert str(complaint.pk) in notification.message and notification.link.endswith(f"/{complaint.pk}/")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [org.manager_a.email]
    assert "华联超市" in mail.outbox[0].subject
    complaint.refresh_from_db()
    assert complaint.escalated_at is not None
    assert complaint.events.filter(kind="escalated", actor__isnull=True).count() == 1


@pytest.mark.django_db
def test_running_escalation_twice_escalates_once(org):
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    first = escalate_overdue()
    second = escalate_overdue()
    assert first.escalated == [complaint.pk] and second.escalated == []
    assert Notification.objects.filter(complaint=complaint).count() == 1
    assert len(mail.outbox) == 1
    assert complaint.events.filter(kind="escalated").count() == 1


@pytest.mark.django_db
def test_on_time_and_settled_complaints_are_not_escalated(org):
    customer = CustomerFactory(owner=org.rep_a)
    complaint_for(customer, severity="low")  # due in a week
    settled = _overdue(customer)
    for status in ["acknowledged", "investigating", "resolved"]:
        settled = advance_complaint(actor=org.rep_a, complaint=settled, status=status)
    assert escalate_overdue().escalated == []
    assert not Notification.objects.filter(message__contains="overdue").exists()


@pytest.mark.django_db
def test_a_reopened_complaint_can_escalate_again_when_overdue_again(org):
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    escalate_overdue()
    for status in ["acknowledged", "investigating", "resolved", "reopened"]:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status)
    assert complaint.escalated_at is None
    later = timezone.now() + timedelta(hours=5)
    assert escalate_overdue(now=later).escalated == [complaint.pk]
    assert Notification.objects.filter(complaint=complaint, recipient=org.manager_a).count() == 2


@pytest.mark.django_db
def test_without_a_team_manager_the_administrators_are_told(org):
    loner = UserFactory(username="loner", role="rep")
    customer = CustomerFactory(owner=loner)
    complaint = _overdue(customer)
    escalate_overdue()
    assert list(Notification.objects.filter(complaint=complaint).values_list("recipient", flat=True)) == [org.admin.pk]


@pytest.mark.django_db
def test_the_celery_task_escalates_through_the_same_service(org):
    """Eagerly in-process without REDIS_URL; `.apply()` runs the registered task body either way."""
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    result = escalate_overdue_task.apply().get()
    assert result["escalated"] == [complaint.pk] and result["emailed"] == 1
    assert escalate_overdue_task.apply().get()["escalated"] == []


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="eager mode only without REDIS_URL")
@pytest.mark.django_db
def test_without_redis_delay_runs_the_task_in_process(org):
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    escalate_overdue_task.delay()
    complaint.refresh_from_db()
    assert complaint.escalated_at is not None


@pytest.fixture
def celery_worker_thread(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.mark.broker
@needs_redis
def test_escalation_goes_through_redis_to_a_real_worker_once(org, celery_worker_thread):
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    first = escalate_overdue_task.delay()
    second = escalate_overdue_task.delay()
    assert first.id and second.id and first.id != second.id  # published to the broker, not run inline
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if Notification.objects.filter(complaint=complaint).exists() and len(mail.outbox) >= 1:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # let the second delivery finish too
    assert Complaint.objects.get(pk=complaint.pk).escalated_at is not None
    assert Notification.objects.filter(complaint=complaint).count() == 1
    assert complaint.events.filter(kind="escalated").count() == 1


@pytest.mark.django_db
def test_notifications_api_lists_only_mine_and_marks_read(org, api_for):
    customer = CustomerFactory(owner=org.rep_a)
    complaint = _overdue(customer)
    escalate_overdue()
    mine = api_for(org.manager_a).get("/api/v1/notifications/?read_at__isnull=true").json()
    assert [n["complaint"] for n in mine["results"]] == [complaint.pk]
    assert api_for(org.manager_b).get("/api/v1/notifications/").json()["count"] == 0
    nid = mine["results"][0]["id"]
    assert api_for(org.manager_b).post(f"/api/v1/notifications/{nid}/read/").status_code == 404
    read = api_for(org.manager_a).post(f"/api/v1/notifications/{nid}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert api_for(org.manager_a).get("/api/v1/notifications/?read_at__isnull=true").json()["count"] == 0


@pytest.mark.django_db
def test_escalation_works_through_many_overdue_complaints_in_batches(org, monkeypatch):
    from service import services

    monkeypatch.setattr(services, "ESCALATION_BATCH", 3)
    customer = CustomerFactory(owner=org.rep_a)
    complaints = [_overdue(customer) for _ in range(7)]
    result = escalate_overdue()
    assert sorted(result.escalated) == sorted(c.pk for c in complaints)
    assert (result.notified, result.emailed) == (7, 7) and len(mail.outbox) == 7
    assert escalate_overdue().escalated == []
