"""Pipeline and complaint panels of the manager dashboard: exact sums, SLA counts, scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from segmentation.selectors_dashboard import DashboardFilters, pipeline_by_stage
from service.services import open_complaint
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_pipeline_sums_amounts_and_weights_exactly_per_stage(org):
    mine = CustomerFactory(owner=org.rep_a)
    other = CustomerFactory(owner=org.rep_c)
    OpportunityFactory(customer=mine, amount=Decimal("1000.10"), stage="proposal", probability=50)
    OpportunityFactory(customer=mine, amount=Decimal("0.10"), stage="proposal", probability=33)
    OpportunityFactory(customer=mine, amount=Decimal("200.00"), stage="won", probability=100)
    OpportunityFactory(customer=other, amount=Decimal("9999.00"), stage="proposal", probability=50)
    data = pipeline_by_stage(user=org.manager_a, filters=DashboardFilters())
    proposal = next(s for s in data["stages"] if s["stage"] == "proposal")
    # 1000.10 × 0.50 + 0.10 × 0.33 = 500.05 + 0.033 = 500.083 → 500.08
    assert (proposal["count"], proposal["amount"], proposal["weighted"]) == (2, "1000.20", "500.08")
    assert next(s for s in data["stages"] if s["stage"] == "won")["weighted"] == "200.00"
    assert data["open_weighted"] == "500.08"  # won and lost are not open pipeline
    assert pipeline_by_stage(user=org.manager_b, filters=DashboardFilters())["open_weighted"] == "4999.50"


def test_complaint_panel_counts_open_and_overdue_in_scope(org, api_for):
    mine = CustomerFactory(owner=org.rep_a)
    other = CustomerFactory(owner=org.rep_c)
    old = timezone.now() - dt.timedelta(days=10)
    open_complaint(actor=org.rep_a, customer=mine, category="late_delivery", description="迟到", received_at=old)
    open_complaint(actor=org.rep_a, customer=mine, category="packaging", description="破损", severity="critical")
    open_complaint(actor=org.rep_c, customer=other, category="billing", description="账单", received_at=old)
    body = api_for(org.manager_a).get("/api/v1/dashboard/complaints/").json()
    assert body == {"open": 2, "overdue": 1, "critical_open": 1}
    assert api_for(org.manager_b).get("/api/v1/dashboard/complaints/").json() == {
        "open": 1,
        "overdue": 1,
        "critical_open": 0,
    }
    assert api_for(org.admin).get(f"/api/v1/dashboard/complaints/?team={org.team_b.pk}").json()["open"] == 1


def test_page_and_api_show_the_pipeline_numbers(org, api_for, page_for):
    OpportunityFactory(customer=CustomerFactory(owner=org.rep_b), amount=Decimal("80.00"), probability=25)
    body = api_for(org.manager_a).get("/api/v1/dashboard/pipeline/").json()
    assert body == pipeline_by_stage(user=org.manager_a, filters=DashboardFilters())
    html = page_for(org.manager_a).get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Proposal</td><td>1</td><td>80.00</td><td>20.00</td>" in html
    csv_text = page_for(org.manager_a).get("/dashboard/pipeline.csv").content.decode("utf-8-sig")
    assert "proposal,1,80.00,20.00" in csv_text
