"""The rep's home (/me/): my customers by ABC class × BCG quadrant in the live run and my open complaints,
beside the agenda and the queued reports, in a bounded number of queries."""

import pytest

from customers.models import Customer
from segmentation import services as segmentation_services
from service.services import open_complaint
from tests.factories import CustomerFactory, OrderFactory
from tests.segmentation.conftest import local

pytestmark = pytest.mark.django_db


def compute_live(org):
    run = segmentation_services.start_run(actor=org.admin, parameters={"as_of": "2026-06-30"}, enqueue=False)
    assert segmentation_services.compute_run(run_id=run.pk).status == "succeeded"


def test_me_shows_my_customers_by_class_and_quadrant_of_the_live_run(org, page_for):
    mine = [CustomerFactory(owner=org.rep_a, stage="current") for _ in range(3)]
    theirs = CustomerFactory(owner=org.rep_b, stage="current")
    for customer, amount in zip([*mine, theirs], ["900.00", "90.00", "10.00", "5000.00"], strict=True):
        OrderFactory(customer=customer, ordered_at=local(2026, 3, 1), amount=amount)
    html = page_for(org.rep_a).get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No live segmentation run yet." in html
    compute_live(org)
    from segmentation.selectors_dashboard import my_value_tiers

    tiers = my_value_tiers(user=org.rep_a)
    assert tiers["customers"] == 3  # rep_b's customer is not mine
    # ranked with everyone's customers: 5000 (rep_b) is A, 900 is B, 90 and 10 are C
    assert {row["abc_class"]: row["total"] for row in tiers["rows"]} == {"A": 0, "B": 1, "C": 2}
    assert tiers["rows"][1]["quadrants"] == [0, 0, 1, 0]  # new revenue counts as high growth: B → question mark
    html = page_for(org.rep_a).get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="my-tiers"' in html and "<strong>3</strong>" in html


def test_me_lists_my_open_complaints_only(org, page_for):
    mine = CustomerFactory(owner=org.rep_a, name="Mine Ltd")
    other = CustomerFactory(owner=org.rep_b, name="Other Ltd")
    open_complaint(actor=org.rep_a, customer=mine, category="billing", description="wrong invoice")
    open_complaint(actor=org.rep_b, customer=other, category="billing", description="wrong invoice")
    html = page_for(org.rep_a).get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = html.split('id="my-complaints"', 1)[1].split("</section>", 1)[0]
    assert "Mine Ltd" in section and "Other Ltd" not in section


def test_me_stays_within_20_queries_whatever_the_number_of_customers(org, page_for, django_assert_max_num_queries):
    client = page_for(org.rep_a)

    def grow(n, prefix):
        customers = Customer.objects.bulk_create(
            [Customer(name=f"{prefix}{i}", owner=org.rep_a, stage="current") for i in range(n)]
        )
        for customer in customers[:5]:
            OrderFactory(customer=customer, ordered_at=local(2026, 3, 1), amount="100.00")
            open_complaint(actor=org.rep_a, customer=customer, category="billing", description="x")

    grow(10, "small")
    compute_live(org)
    with django_assert_max_num_queries(20):
        assert client.get("/me/").status_code == 200
    grow(2000, "big")
    compute_live(org)
    with django_assert_max_num_queries(20):
        assert client.get("/me/").status_code == 200
