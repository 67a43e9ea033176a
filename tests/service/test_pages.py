"""Service pages through the Django test client: complaints list with SLA state, detail and actions, forms."""

from datetime import timedelta

import pytest
from django.utils import timezone

from service.models import Complaint, LoyaltyAccount
from service.services import adjust_points, enroll, escalate_overdue
from tests.factories import CustomerFactory, RewardFactory, complaint_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, name="华联超市")


def test_complaint_list_shows_sla_state_in_constant_queries(org, page_for, customer, django_assert_max_num_queries):
    for _ in range(25):
        complaint_for(customer, severity="critical", received_at=timezone.now() - timedelta(hours=6))
    for _ in range(25):
        complaint_for(customer, severity="low")
    client = page_for(org.manager_a)
    client.get("/service/complaints/")
    with django_assert_max_num_queries(7):
        response = client.get("/service/complaints/")
    html = response.content.decode()
    assert html.count('data-sla="overdue"') == 25 and html.count('data-sla="on_track"') == 25
    assert "已超时" in html
    filtered = client.get("/service/complaints/?sla_state=overdue").content.decode()
    assert filtered.count('data-sla="overdue"') == 25 and 'data-sla="on_track"' not in filtered


def test_complaint_list_is_scoped(org, page_for, customer):
    complaint_for(customer)
    assert "华联超市" not in page_for(org.rep_b).get("/service/complaints/").content.decode()
    assert "华联超市" in page_for(org.manager_a).get("/service/complaints/").content.decode()


def test_record_a_complaint_through_the_form(org, page_for, customer):
    client = page_for(org.rep_a)
    assert "华联超市" in client.get(f"/service/complaints/new/?customer={customer.pk}").content.decode()
    response = client.post(
        "/service/complaints/new/",
        {
            "customer": customer.pk,
            "channel": "visit",
            "category": "packaging",
            "severity": "high",
            "description": "破损",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/complaints/{complaint.pk}/"
    assert (complaint.channel, complaint.owner, complaint.created_by) == ("visit", org.rep_a, org.rep_a)


def test_bad_complaint_form_shows_errors_and_saves_nothing(org, page_for, customer):
    response = page_for(org.rep_a).post(
        "/service/complaints/new/",
        {"customer": customer.pk, "category": "weather", "severity": "high", "description": ""},
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not Complaint.objects.exists()


def test_detail_shows_timeline_and_only_the_legal_next_steps(org, page_for, customer):
    complaint = complaint_for(customer, severity="critical", received_at=timezone.now() - timedelta(hours=5))
    escalate_overdue()
    html = page_for(org.rep_a).get(f"/service/complaints/{complaint.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="acknowledged"' in html and 'value="closed"' not in html
    assert "Escalated" in html and "Opened" in html and "System" in html


def test_advance_and_analysis_through_the_page(org, page_for, customer):
    complaint = complaint_for(customer)
    client = page_for(org.rep_a)
    response = client.post(f"/service/complaints/{complaint.pk}/advance/", {"status": "acknowledged", "note": "已回电"})
    assert response.status_code == 302
    bad = client.post(f"/service/complaints/{complaint.pk}/advance/", {"status": "closed"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    response = client.post(
        f"/service/complaints/{complaint.pk}/edit/",
        {
            "severity": "high",
            "owner": org.rep_a.pk,
            "root_cause": "拣货错误",
            "corrective_action": "补发",
            "preventive_action": "扫码",
        },
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.root_cause, complaint.severity) == ("acknowledged", "拣货错误", "high")
    timeline = client.get(f"/service/complaints/{complaint.pk}/").content.decode()
    assert "已回电" in timeline and "根本原因" in timeline


def test_out_of_scope_complaint_is_404(org, page_for, customer):
    complaint = complaint_for(customer)
    assert page_for(org.rep_b).get(f"/service/complaints/{complaint.pk}/").status_code == 404
    assert (
        page_for(org.manager_b)
        .post(f"/service/complaints/{complaint.pk}/advance/", {"status": "acknowledged"})
        .status_code
        == 404
    )


def test_loyalty_card_enrol_redeem_and_overdraw(org, page_for, customer):
    client = page_for(org.rep_a)
    assert client.post(f"/service/customers/{customer.pk}/loyalty/enroll/").status_code == 302
    account = LoyaltyAccount.objects.get(customer=customer)
    adjust_points(actor=org.manager_a, account=account, points=150, reason="welcome")
    reward = RewardFactory(points_cost=100)
    assert (
        client.post(
            f"/service/customers/{customer.pk}/loyalty/redeem/", {"reward": reward.pk, "quantity": 1}
        ).status_code
        == 302
    )
    overdraw = client.post(f"/service/customers/{customer.pk}/loyalty/redeem/", {"reward": reward.pk, "quantity": 1})
    assert overdraw.status_code == 400 and "50" in overdraw.content.decode()
    html = client.get(f"/service/customers/{customer.pk}/loyalty/").content.decode()
    assert 'id="points-balance">50<' in html and "welcome" in html
    assert 'id="adjust-form"' not in html  # reps cannot adjust
    assert (
        'id="adjust-form"' in page_for(org.manager_a).get(f"/service/customers/{customer.pk}/loyalty/").content.decode()
    )


def test_loyalty_card_query_count_is_bounded(org, page_for, customer, django_assert_max_num_queries):
    account, _ = enroll(actor=org.rep_a, customer=customer)
    for i in range(30):
        adjust_points(actor=org.admin, account=account, points=10 + i, reason=f"r{i}")
    client = page_for(org.rep_a)
    client.get(f"/service/customers/{customer.pk}/loyalty/")
    with django_assert_max_num_queries(12):
        client.get(f"/service/customers/{customer.pk}/loyalty/")


def test_notifications_page_and_mark_read(org, page_for, customer):
    complaint = complaint_for(customer, severity="critical", received_at=timezone.now() - timedelta(hours=5))
    escalate_overdue()
    client = page_for(org.manager_a)
    html = client.get("/service/notifications/").content.decode()
    assert f"#{complaint.pk}" in html
    notification = org.manager_a.notifications.get()
    response = client.post(f"/service/notifications/{notification.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/service/complaints/{complaint.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
