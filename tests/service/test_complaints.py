"""Complaints: the DESIGN §3 workflow, SLA due dates, the timeline, scoping and the API contract."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from service.models import Complaint, ComplaintEvent, SatisfactionSurvey, SlaPolicy
from service.selectors import visible_complaints
from service.services import COMPLAINT_MOVES, advance_complaint, open_complaint, update_complaint
from tests.factories import CustomerFactory, complaint_for

pytestmark = pytest.mark.django_db

HAPPY_PATH = ["acknowledged", "investigating", "resolved", "verified", "closed"]


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, name="华联超市")


def test_default_sla_policies_are_seeded_per_severity():
    hours = dict(SlaPolicy.objects.values_list("severity", "resolution_hours"))
    assert hours == {"critical": 4, "high": 24, "medium": 72, "low": 168}


@pytest.mark.parametrize(("severity", "hours"), [("critical", 4), ("high", 24), ("medium", 72), ("low", 168)])
def test_due_at_follows_the_severity_sla(customer, severity, hours):
    received = timezone.now() - timedelta(minutes=5)
    complaint = complaint_for(customer, severity=severity, received_at=received)
    assert complaint.due_at == received + timedelta(hours=hours)


def test_an_edited_sla_policy_applies_to_new_complaints(customer):
    SlaPolicy.objects.filter(severity="high").update(resolution_hours=8)
    complaint = complaint_for(customer, severity="high")
    assert complaint.due_at == complaint.received_at + timedelta(hours=8)


def test_the_whole_workflow_one_step_at_a_time_records_a_timeline(org, customer):
    complaint = complaint_for(customer)
    for status in HAPPY_PATH:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status, note=f"to {status}")
    assert complaint.status == "closed" and complaint.closed_at and complaint.resolved_at
    events = list(complaint.events.order_by("at", "id").values_list("kind", "from_status", "to_status"))
    assert events[0] == ("opened", "", "received")
    assert events[1:] == [
        ("status_changed", a, b) for a, b in zip(["received", *HAPPY_PATH[:-1]], HAPPY_PATH, strict=True)
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "investigating"),  # skipping acknowledged
        ([], "resolved"),
        (["acknowledged"], "received"),  # backwards
        (["acknowledged", "investigating"], "closed"),
        (["acknowledged", "investigating"], "reopened"),  # only settled complaints reopen
        (["acknowledged", "investigating", "resolved"], "closed"),  # verified comes first
        (["acknowledged", "investigating", "resolved", "reopened"], "resolved"),  # reopened → investigating
        ([], "received"),  # no-op move
        ([], "escalated"),  # not a status at all
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(org, customer, path, illegal):
    complaint = complaint_for(customer)
    for status in path:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status)
    events_before = ComplaintEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        advance_complaint(actor=org.rep_a, complaint=complaint, status=illegal)
    assert "status" in info.value.message_dict
    complaint.refresh_from_db()
    assert complaint.status == (path[-1] if path else "received")
    assert ComplaintEvent.objects.count() == events_before


def test_the_move_table_is_exactly_design_section_3():
    allowed = {(a, b) for a, targets in COMPLAINT_MOVES.items() for b in targets}
    chain = ["received", "acknowledged", "investigating", "resolved", "verified", "closed"]
    expected = set(zip(chain, chain[1:], strict=False))
    expected |= {(s, "reopened") for s in ("resolved", "verified", "closed")} | {("reopened", "investigating")}
    assert allowed == expected


@pytest.mark.parametrize("settled", ["resolved", "verified", "closed"])
def test_settled_complaints_reopen_with_a_fresh_sla_clock(org, customer, settled):
    complaint = complaint_for(customer, severity="high", received_at=timezone.now() - timedelta(days=3))
    for status in HAPPY_PATH[: HAPPY_PATH.index(settled) + 1]:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status)
    complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status="reopened", note="still broken")
    assert complaint.due_at > timezone.now() + timedelta(hours=23)
    assert complaint.resolved_at is None and complaint.closed_at is None
    complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status="investigating")
    assert complaint.status == "investigating"


def test_resolving_requests_a_satisfaction_survey_once_per_resolution(org, customer):
    complaint = complaint_for(customer)
    for status in HAPPY_PATH[:3]:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status)
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    assert (survey.status, survey.customer, survey.rep) == ("requested", customer, org.rep_a)
    assert org.rep_a.notifications.filter(complaint=complaint).exists()
    for status in ["reopened", "investigating", "resolved"]:
        complaint = advance_complaint(actor=org.rep_a, complaint=complaint, status=status)
    assert SatisfactionSurvey.objects.filter(complaint=complaint).count() == 1  # still the one pending request


def test_severity_change_recomputes_due_at_from_reception(org, customer):
    complaint = complaint_for(customer, severity="low")
    complaint = update_complaint(actor=org.rep_a, complaint=complaint, severity="critical", root_cause="bad batch")
    assert complaint.due_at == complaint.received_at + timedelta(hours=4)
    assert complaint.events.filter(kind="updated").count() == 1


def test_unknown_category_severity_or_channel_is_refused(org, customer):
    for field, value in [("category", "weather"), ("severity", "urgent"), ("channel", "fax")]:
        with pytest.raises(ValidationError) as info:
            open_complaint(
                actor=org.rep_a,
                customer=customer,
                description="x",
                **{"category": "billing", field: value},
            )
        assert field in info.value.message_dict


def test_a_rep_cannot_file_or_move_complaints_of_another_reps_customer(org, customer):
    with pytest.raises(PermissionDenied):
        open_complaint(actor=org.rep_b, customer=customer, category="billing", description="x")
    complaint = complaint_for(customer)
    with pytest.raises(PermissionDenied):
        advance_complaint(actor=org.rep_b, complaint=complaint, status="acknowledged")
    assert list(visible_complaints(org.rep_b)) == []
    assert list(visible_complaints(org.manager_a)) == [complaint]
    assert list(visible_complaints(org.manager_b)) == []


def test_sla_state_is_annotated_in_the_database(org, customer):
    now = timezone.now()
    overdue = complaint_for(customer, severity="critical", received_at=now - timedelta(hours=5))
    due_soon = complaint_for(customer, severity="critical", received_at=now - timedelta(hours=3, minutes=30))
    on_track = complaint_for(customer, severity="low", received_at=now)
    met = complaint_for(customer, severity="low")
    for status in HAPPY_PATH[:3]:
        met = advance_complaint(actor=org.rep_a, complaint=met, status=status)
    breached = complaint_for(customer, severity="critical", received_at=now - timedelta(hours=6))
    for status in HAPPY_PATH[:3]:
        breached = advance_complaint(actor=org.rep_a, complaint=breached, status=status)
    states = dict(visible_complaints(org.rep_a).values_list("pk", "sla_state"))
    assert states == {
        overdue.pk: "overdue",
        due_soon.pk: "due_soon",
        on_track.pk: "on_track",
        met.pk: "met",
        breached.pk: "breached",
    }


# --- API ---------------------------------------------------------------------------------------------


def test_api_creates_a_complaint_with_server_computed_due_at(org, api_for, customer):
    response = api_for(org.rep_a).post(
        "/api/v1/complaints/",
        {
            "customer": customer.pk,
            "category": "product_quality",
            "description": "Cracked casing",
            "severity": "high",
            "due_at": "2000-01-01T00:00:00Z",
            "status": "closed",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    contract = {
        "id",
        "customer",
        "category",
        "description",
        "severity",
        "status",
        "due_at",
        "root_cause",
        "corrective_action",
    }
    assert contract <= set(body)
    assert body["status"] == "received" and body["channel"] == "api" and body["owner"] == org.rep_a.pk
    assert not body["due_at"].startswith("2000")
    assert body["sla_state"] == "on_track"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"customer": 999999}, "customer"),
    ],
)
def test_api_bad_complaint_input_is_a_400_naming_the_field(org, api_for, customer, payload, field):
    data = {"customer": customer.pk, "category": "billing", "description": "wrong invoice", **payload}
    response = api_for(org.rep_a).post("/api/v1/complaints/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_api_out_of_scope_customer_is_refused_as_unknown(org, api_for, customer):
    response = api_for(org.rep_b).post(
        "/api/v1/complaints/", {"customer": customer.pk, "category": "billing", "description": "x"}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()


def test_api_advance_one_step_then_an_illegal_move_is_400(org, api_for, customer):
    complaint = complaint_for(customer)
    client = api_for(org.manager_a)
    url = f"/api/v1/complaints/{complaint.pk}/advance/"
    response = client.post(url, {"status": "acknowledged", "note": "called back"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = client.post(url, {"status": "closed"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    response = client.post(url, {"status": "nonsense"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    events = client.get(f"/api/v1/complaints/{complaint.pk}/events/").json()
    assert [e["to_status"] for e in events] == ["received", "acknowledged"]
    assert events[1]["note"] == "called back"


def test_api_patch_records_analysis_but_not_status(org, api_for, customer):
    complaint = complaint_for(customer)
    response = api_for(org.rep_a).patch(
        f"/api/v1/complaints/{complaint.pk}/",
        {"root_cause": "Wrong pallet", "corrective_action": "Re-ship", "preventive_action": "Scan", "status": "closed"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["root_cause"], body["corrective_action"], body["status"]) == ("Wrong pallet", "Re-ship", "received")


def test_api_filters_by_status_and_sla_state(org, api_for, customer):
    complaint_for(customer, severity="critical", received_at=timezone.now() - timedelta(hours=5))
    complaint_for(customer, severity="low")
    client = api_for(org.rep_a)
    assert client.get("/api/v1/complaints/?sla_state=overdue").json()["count"] == 1
    assert client.get("/api/v1/complaints/?severity=low").json()["count"] == 1
    assert client.get("/api/v1/complaints/?status=received").json()["count"] == 2


def test_complaint_list_api_query_count_does_not_grow(org, api_for, customer, django_assert_max_num_queries):
    for _ in range(30):
        complaint_for(customer)
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/complaints/?page_size=100")
    assert response.json()["count"] == 30


def test_api_owner_must_be_in_scope_and_severity_patch_moves_due_at(org, api_for, customer):
    client = api_for(org.manager_a)
    response = client.post(
        "/api/v1/complaints/",
        {"customer": customer.pk, "category": "billing", "description": "x", "owner": org.rep_c.pk},
        format="json",
    )
    assert response.status_code == 400 and "owner" in response.json()
    response = client.post(
        "/api/v1/complaints/",
        {"customer": customer.pk, "category": "billing", "description": "x", "owner": org.rep_b.pk, "severity": "low"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["owner"] == org.rep_b.pk
    cid = response.json()["id"]
    patched = client.patch(f"/api/v1/complaints/{cid}/", {"severity": "critical"}, format="json").json()
    complaint = Complaint.objects.get(pk=cid)
    assert patched["severity"] == "critical" and complaint.due_at == complaint.received_at + timedelta(hours=4)
    assert client.patch(f"/api/v1/complaints/{cid}/", {"severity": "urgent"}, format="json").status_code == 400
