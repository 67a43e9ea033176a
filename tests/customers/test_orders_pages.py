"""Pages of the ledger: a customer's orders and the CSV import with its progress and report."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Job
from customers.models import Order
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, external_ref="C1", name="华联超市", stage="target")


def test_customer_orders_page_lists_orders_with_exact_totals_in_few_queries(
    org, page_for, customer, django_assert_max_num_queries
):
    for amount in ("0.10", "0.20", "1000.00"):
        OrderFactory(customer=customer, amount=Decimal(amount), cost=Decimal("0.05"))
    client = page_for(org.rep_a)
    client.get("/")  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(f"/customers/{customer.pk}/orders/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1000.30" in html.replace(",", "") and "1000.15" in html.replace(",", "")  # revenue, margin


def test_recording_an_order_on_the_page_uses_the_ledger_rules(org, page_for, customer):
    client = page_for(org.rep_a)
    url = f"/customers/{customer.pk}/orders/"
    response = client.post(url, {"ordered_at": "2026-01-05T10:30", "amount": "-3", "external_ref": "P-1"})
    assert response.status_code == 200
    assert not Order.objects.exists()
    response = client.post(url, {"ordered_at": "2026-01-05T10:30", "amount": "99.90", "external_ref": "P-1"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.amount == Decimal("99.90") and order.source == "api"
    customer.refresh_from_db()
    assert customer.stage == "current"


def test_import_page_queues_a_job_and_shows_its_report(
    org, page_for, customer, eager_tasks, django_capture_on_commit_callbacks
):
    client = page_for(org.rep_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    data = "customer_ref,ordered_at,amount,external_ref\nC1,2026-01-02,10.50,X1\nC1,2026-01-02,abc,X2\n"
    upload = SimpleUploadedFile("orders.csv", data.encode("gbk"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/orders/import/", {"file": upload, "encoding": "auto", "source": "erp", "all_or_nothing": "on"}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="order_import")
    assert response["Location"] == f"/orders/import/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "job-progress" in page
    assert "A number is required." in page and "nothing was imported" in page
    assert not Order.objects.exists()
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="import-report"')

    upload = SimpleUploadedFile("orders.csv", data.replace("abc", "3").encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/orders/import/", {"file": upload, "encoding": "auto", "source": "erp", "all_or_nothing": "on"}
        )
    page = client.get(response["Location"]).content.decode()
    assert "2 orders imported" in page
    assert set(Order.objects.values_list("source", flat=True)) == {"erp"}


def test_import_page_without_a_file_is_a_form_error(org, page_for):
    response = page_for(org.rep_a).post("/orders/import/", {"encoding": "auto", "source": "import"})
    assert response.status_code == 200 and not Job.objects.exists()


def test_other_reps_import_report_is_404(org, page_for, customer):
    upload = SimpleUploadedFile("o.csv", b"customer_ref,ordered_at,amount\nC1,2026-01-02,1\n")
    response = page_for(org.rep_a).post("/orders/import/", {"file": upload, "encoding": "auto", "source": "import"})
    assert page_for(org.rep_b).get(response["Location"]).status_code == 404


def test_running_import_page_polls_the_job_progress(org, page_for):
    from crm.services import create_job

    job = create_job(actor=org.rep_a, kind="order_import", parameters={"filename": "big.csv"})
    html = page_for(org.rep_a).get(f"/orders/import/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/progress/"' in html and "<progress" in html
    assert f'hx-get="/orders/import/{job.pk}/"' in html
