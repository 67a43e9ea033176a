"""CSV import of the ledger: streaming, encodings, row-level errors, all-or-nothing, idempotent refs."""

import io
import os
import time
from datetime import UTC
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from crm.models import Job
from customers.models import Order, StageChange
from customers.services.orders import OrderImportError, import_orders, start_order_import
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


HEADER = "customer_ref,ordered_at,amount,cost,external_ref\n"


@pytest.fixture
def customers(org):
    return [
        CustomerFactory(owner=org.rep_a, external_ref="C1", name="华联超市", stage="current"),
        CustomerFactory(owner=org.rep_c, external_ref="C2", stage="target"),
    ]


def run(actor, text: str, file_encoding="utf-8", **kwargs):
    data = text.encode(file_encoding) if isinstance(text, str) else text
    return import_orders(actor=actor, stream=io.BytesIO(data), **kwargs)


def test_import_stores_rows_with_exact_money_and_counts(org, customers):
    text = (
        HEADER
        + "C1,2026-01-02 10:00,1234.50,1000.10,SO-1\nC2,2026-01-03,0.29,,SO-2\nC1,2026-01-04T08:00:00+00:00,3,1,\n"
    )
    report = run(org.admin, text)
    assert (report.rows, report.created, report.duplicates, report.error_count) == (3, 3, 0, 0)
    assert report.committed
    amounts = sorted(Order.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("0.29"), Decimal("3.00"), Decimal("1234.50")]
    assert Order.objects.get(external_ref="SO-2").cost == Decimal("0.00")
    assert Order.objects.get(external_ref="SO-1").source == "import"


def test_reimporting_the_same_file_skips_known_refs(org, customers):
    text = HEADER + "C1,2026-01-02,10,,SO-1\nC1,2026-01-03,20,,SO-2\n"
    run(org.admin, text)
    report = run(org.admin, text + "C1,2026-01-04,30,,SO-3\n")
    assert (report.created, report.duplicates) == (1, 2)
    assert Order.objects.count() == 3


def test_any_bad_row_means_nothing_is_imported_and_each_is_reported(org, customers):
    text = HEADER + (
        "C1,2026-01-02,10,,A\n"
        "C1,2026-01-02,-1,,B\n"
        "C1,not a date,1,,C\n"
        "NOPE,2026-01-02,1,,D\n"
        "C1,2026-01-02,1,,A\n"
        "C1,2099-01-01,1,,E\n"
        "C1,2026-01-02,abc,x,F\n"
        "C1,2026-01-02\n"
    )
    report = run(org.admin, text)
    assert not report.committed and report.created == 0
    assert not Order.objects.exists()
    found = {(e["line"], e["field"]) for e in report.errors}
    assert found == {
        (3, "amount"),
        (4, "ordered_at"),
        (5, "customer_ref"),
        (6, "external_ref"),
        (7, "ordered_at"),
        (8, "amount"),
        (8, "cost"),
        (9, ""),
    }
    assert report.error_count == 8


def test_partial_mode_imports_the_good_rows(org, customers):
    text = HEADER + "C1,2026-01-02,10,,A\nC1,2026-01-02,-1,,B\nNOPE,2026-01-02,1,,C\nC1,2026-01-02,5,,A\n"
    report = run(org.admin, text, all_or_nothing=False)
    assert report.committed and report.created == 1 and report.error_count == 3
    assert list(Order.objects.values_list("external_ref", flat=True)) == ["A"]


def test_rep_can_only_import_orders_of_their_own_customers(org, customers):
    report = run(org.rep_a, HEADER + "C1,2026-01-02,10,,A\nC2,2026-01-02,10,,B\n")
    assert not report.committed
    assert report.errors == [
        {"line": 3, "field": "customer_ref", "message": "Unknown customer, or outside your scope."}
    ]


def test_customer_id_column_may_replace_customer_ref(org, customers):
    text = f"customer,ordered_at,amount\n{customers[0].pk},2026-01-02,10\n"
    assert run(org.rep_a, text).created == 1


@pytest.mark.parametrize(
    ("encoding", "chosen"),
    [("utf-8", "auto"), ("utf-8-sig", "auto"), ("gbk", "auto"), ("gbk", "gbk"), ("utf-8-sig", "utf-8")],
)
def test_encodings_are_detected_or_chosen(org, customers, encoding, chosen):
    CustomerFactory(owner=org.rep_a, external_ref="客户-07")
    text = HEADER + "客户-07,2026-01-02,10,,订单-1\n"
    report = run(org.admin, text, file_encoding=encoding, encoding=chosen)
    assert report.created == 1, report.errors
    assert Order.objects.get().external_ref == "订单-1"
    if chosen == "auto":
        assert report.encoding == encoding


def test_undecodable_file_is_a_clear_error(org, customers):
    with pytest.raises(OrderImportError, match="not valid utf-8"):
        run(org.admin, (HEADER + "客户,2026-01-02,1,,x\n").encode("gbk"), encoding="utf-8")
    with pytest.raises(OrderImportError, match="encoding"):
        run(org.admin, HEADER.encode() + b"\xff\xfe\xfa\xfb\x81\x00\x81\x7f,2026-01-01,1,,x\n")
    assert not Order.objects.exists()


def test_late_undecodable_bytes_name_the_line_and_store_nothing(org, customers):
    rows = "".join(f"C1,2026-01-02,1,,R{n}\n" for n in range(20000))
    data = (HEADER + rows).encode() + "C1,2026-01-02,1,,坏\n".encode("gbk")
    with pytest.raises(OrderImportError, match="after line"):
        run(org.admin, data)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["customer_ref,ordered_at,amout\n", "ordered_at,amount\n", "customer_ref,amount\n", "", "a;b;c\n"],
)
def test_wrong_header_is_a_clear_error(org, customers, header):
    with pytest.raises(OrderImportError) as exc:
        run(org.admin, header + "C1,2026-01-02,1\n")
    assert "header" in str(exc.value) or "empty" in str(exc.value)


def test_first_import_order_moves_a_target_to_current(org, customers):
    run(org.admin, HEADER + "C2,2026-01-02,10,,A\n")
    customers[1].refresh_from_db()
    assert customers[1].stage == "current"
    assert StageChange.objects.filter(customer=customers[1], to_stage="current", changed_by__username="system").exists()


def test_management_command_imports_a_file(org, customers, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes((HEADER + "C1,2026-01-02,10,,订单A\n").encode("gbk"))
    out = io.StringIO()
    call_command("import_orders", str(path), stdout=out)
    assert "1 orders imported" in out.getvalue() and "gbk" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "C1,2026-01-02,-1,,B\n")
    with pytest.raises(CommandError):
        call_command("import_orders", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="header"):
        bad.write_text("x,y\n")
        call_command("import_orders", str(bad), stdout=io.StringIO())


def test_import_job_runs_and_records_its_report(org, customers, eager_tasks, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("orders.csv", (HEADER + "C1,2026-01-02,10,,A\nC1,2026-01-02,-1,,B\n").encode())
    with django_capture_on_commit_callbacks(execute=True):
        job = start_order_import(actor=org.rep_a, upload=upload)
    job.refresh_from_db()
    assert job.status == "failed" and job.progress < 100
    assert job.result["errors"] == [{"line": 3, "field": "amount", "message": "Must not be negative."}]
    assert "nothing was imported" in job.message
    upload = SimpleUploadedFile("orders.csv", (HEADER + "C1,2026-01-02,10,,A\n").encode())
    with django_capture_on_commit_callbacks(execute=True):
        job = start_order_import(actor=org.rep_a, upload=upload)
    job.refresh_from_db()
    assert (job.status, job.progress, job.result["created"]) == ("succeeded", 100, 1)
    assert Job.objects.filter(kind="order_import").count() == 2


def test_existing_orders_of_other_sources_do_not_collide(org, customers):
    OrderFactory(customer=customers[0], source="api", external_ref="A")
    report = run(org.admin, HEADER + "C1,2026-01-02,10,,A\n")
    assert report.created == 1 and Order.objects.count() == 2


def test_naive_times_are_local_and_offsets_are_kept(org, customers):
    text = HEADER + "C1,2026-01-02 10:00,1,,A\nC1,2026-01-02T10:00:00+00:00,1,,B\nC1,2026-01-02,1,,C\n"
    run(org.admin, text)
    utc = {o.external_ref: o.ordered_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for o in Order.objects.all()}
    assert utc == {"A": "2026-01-02 02:00", "B": "2026-01-02 10:00", "C": "2026-01-01 16:00"}


@pytest.mark.broker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker")
def test_import_job_goes_through_the_broker_to_a_real_worker(transactional_db, org):
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    CustomerFactory(owner=org.rep_a, external_ref="W1")
    upload = SimpleUploadedFile("orders.csv", (HEADER + "W1,2026-01-02,10,,W-A\nW1,2026-01-03,20,,W-B\n").encode())
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job = start_order_import(actor=org.rep_a, upload=upload)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.1)
    assert (job.status, job.progress, job.result["created"]) == ("succeeded", 100, 2)
    assert Order.objects.filter(customer__external_ref="W1").count() == 2


# The clean-file fast path (PostgreSQL: COPY straight into the ledger) gives way to the per-row path when a
# later chunk turns out to need reporting; the rows it had already written must not stay or be stored twice.


@pytest.fixture
def small_chunks(monkeypatch):
    from customers.services import orders

    monkeypatch.setattr(orders, "CLEAN_CHUNK_ROWS", 3)


def _rows(count, *, start=1):
    return "".join(f"C1,2026-01-02 10:{n % 60:02d},{n}.50,,SO-{n}\n" for n in range(start, start + count))


@pytest.mark.parametrize(
    ("late_row", "field"),
    [
        ("C1,2026-01-03,1,,SO-2\n", "external_ref"),  # repeated in the file: the unique index refuses it
        ("C9,2026-01-03,1,,SO-99\n", "customer_ref"),  # unknown customer
        ("C1,2026-01-03,-1,,SO-98\n", "amount"),  # bad value
    ],
)
def test_a_problem_in_a_late_chunk_stores_nothing_in_all_or_nothing_mode(org, customers, small_chunks, late_row, field):
    report = run(org.admin, HEADER + _rows(8) + late_row)
    assert not report.committed and report.created == 0
    assert [(e["line"], e["field"]) for e in report.errors] == [(10, field)]
    assert not Order.objects.exists()


def test_a_late_repeat_in_partial_mode_stores_every_good_row_once(org, customers, small_chunks):
    report = run(org.admin, HEADER + _rows(8) + "C1,2026-01-03,1,,SO-2\n", all_or_nothing=False)
    assert report.committed and (report.created, report.error_count, report.duplicates) == (8, 1, 0)
    assert Order.objects.count() == 8
    assert Order.objects.get(external_ref="SO-2").amount == Decimal("2.50")


@pytest.mark.parametrize("known_from", [1, 5])  # known refs in the first chunk, or only in a later one
def test_a_file_partly_known_skips_known_refs_across_chunks(org, customers, small_chunks, known_from):
    run(org.admin, HEADER + _rows(4, start=known_from))
    report = run(org.admin, HEADER + _rows(10))
    assert report.committed and (report.created, report.duplicates, report.error_count) == (6, 4, 0)
    assert Order.objects.count() == 10


def test_a_clean_file_over_several_chunks_promotes_its_targets_once(org, customers, small_chunks):
    text = HEADER + _rows(7) + "".join(f"C2,2026-01-0{n},1,,T-{n}\n" for n in range(1, 5))
    report = run(org.admin, text)
    assert report.committed and report.created == 11
    assert StageChange.objects.filter(customer=customers[1], to_stage="current").count() == 1


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only")
def test_import_progress_is_visible_while_the_import_transaction_is_open(transactional_db, org):
    import psycopg
    from django.db import connection, transaction

    from crm.services import create_job
    from customers.services.orders import IMPORT_JOB_KIND, job_progress_reporter

    job = create_job(actor=org.rep_a, kind=IMPORT_JOB_KIND, parameters={"filename": "a.csv"})
    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}
    with transaction.atomic(), job_progress_reporter(job) as progress:
        Order.objects.exists()  # the import's transaction is open
        progress(42)
        with psycopg.connect(**params) as other:
            seen = other.execute("SELECT progress FROM crm_job WHERE id = %s", [job.pk]).fetchone()[0]
    assert seen == 42
