"""Customer import: every row validated, row-level report, nothing imported from a bad file unless asked,
external_ref updates, CSV and XLSX, the page with its background job, the management command."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from crm.models import Job
from customers.models import Customer, StageChange
from customers.services.customer import create_customer, import_customers, read_customer_file
from customers.tasks import import_customers_job

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "external_ref,name,stage,relationship_level,owner,city,phone,monthly_purchase_volume\n"
    "ERP-1,华联超市,current,basic,rep_a,上海,021-12345678,50000\n"
    "ERP-2,永辉便利,,,rep_b,杭州,,\n"
)


def _rows(text: str):
    return read_customer_file(file_name="c.csv", content=text.encode("utf-8"))


def test_valid_file_creates_customers_at_current_with_history(org):
    report = import_customers(actor=org.manager_a, rows=_rows(GOOD_CSV))
    assert report.as_dict() | {"errors": []} == {
        "total": 2,
        "valid": 2,
        "created": 2,
        "updated": 0,
        "imported": True,
        "errors": [],
    }
    first = Customer.objects.get(external_ref="ERP-1")
    assert (first.owner, first.relationship_level.code, str(first.monthly_purchase_volume)) == (
        org.rep_a,
        "basic",
        "50000.00",
    )
    assert Customer.objects.get(external_ref="ERP-2").stage == "current"
    assert StageChange.objects.filter(reason="import").count() == 2
    assert first.history.count() == 1 and first.level_changes.count() == 1


def test_matching_external_ref_updates_instead_of_duplicating(org):
    import_customers(actor=org.manager_a, rows=_rows(GOOD_CSV))
    report = import_customers(
        actor=org.manager_a, rows=_rows("external_ref,name,city,stage\nERP-1,华联超市(新),苏州,dormant\n")
    )
    assert (report.created, report.updated) == (0, 1)
    customer = Customer.objects.get(external_ref="ERP-1")
    assert (customer.name, customer.city, customer.stage) == ("华联超市(新)", "苏州", "dormant")
    assert customer.stage_changes.first().from_stage == "current"
    assert Customer.objects.count() == 2
    assert [h.history_type for h in customer.history.all()] == ["~", "+"]
    assert customer.updated_at > customer.created_at


def test_a_file_with_a_bad_row_imports_nothing_and_reports_every_bad_row(org):
    text = GOOD_CSV + (
        ",,current,,rep_a,上海,,\n"  # no name
        "ERP-3,坏电话,current,,rep_a,上海,phone!,\n"
        "ERP-4,外组,current,,rep_c,上海,,\n"  # owner outside manager A's teams
        "ERP-5,未知,lost,bff,nobody,上海,,abc\n"
        "ERP-1,重复,current,,rep_a,上海,,\n"  # repeats row 2's ref
    )
    report = import_customers(actor=org.manager_a, rows=_rows(text))
    assert not report.imported and Customer.objects.count() == 0
    by_row = {e["row"]: e["errors"] for e in report.errors}
    assert set(by_row) == {4, 5, 6, 7, 8}
    assert "name" in by_row[4]
    assert "phone" in by_row[5]
    assert "owner" in by_row[6]
    assert {"stage", "relationship_level", "owner", "monthly_purchase_volume"} <= set(by_row[7])
    assert "external_ref" in by_row[8]


def test_import_valid_rows_imports_the_good_ones_only(org):
    text = GOOD_CSV + ",,current,,rep_a,上海,,\n"
    report = import_customers(actor=org.manager_a, rows=_rows(text), import_valid_rows=True)
    assert report.imported and report.created == 2 and len(report.errors) == 1
    assert Customer.objects.count() == 2


def test_illegal_stage_move_on_update_is_a_row_error(org):
    import_customers(actor=org.manager_a, rows=_rows(GOOD_CSV))
    report = import_customers(actor=org.manager_a, rows=_rows("external_ref,name,stage\nERP-1,华联超市,potential\n"))
    assert not report.imported and "stage" in report.errors[0]["errors"]


def test_rep_imports_only_for_themselves_and_cannot_touch_others_customers(org):
    create_customer(actor=org.rep_b, name="B 的客户", external_ref="ERP-B")
    report = import_customers(
        actor=org.rep_a, rows=_rows("external_ref,name,owner\nERP-A,我的,\nERP-X,给别人,rep_b\nERP-B,抢,\n")
    )
    by_row = {e["row"]: e["errors"] for e in report.errors}
    assert "owner" in by_row[3] and "external_ref" in by_row[4]
    report = import_customers(actor=org.rep_a, rows=_rows("external_ref,name\nERP-A,我的\n"))
    assert Customer.objects.get(external_ref="ERP-A").owner == org.rep_a


def test_a_row_duplicating_an_existing_customer_of_the_owner_is_an_error(org):
    existing = create_customer(actor=org.rep_a, name="华联超市", phone="13800138000")
    report = import_customers(actor=org.rep_a, rows=_rows("name,phone\n华联超市,13800138000\n"))
    assert not report.imported
    assert str(existing.pk) in report.errors[0]["errors"]["name"][0]


def test_gb18030_csv_and_xlsx_are_read(org):
    rows = read_customer_file(file_name="c.csv", content="name,city\n华联,上海\n".encode("gb18030"))
    assert rows == [{"name": "华联", "city": "上海"}]
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Staff_Count", "ignored"])
    sheet.append(["永辉", 13800138000, 12, "x"])
    sheet.append([None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_customer_file(file_name="c.xlsx", content=buffer.getvalue())
    assert rows == [{"name": "永辉", "phone": "13800138000", "staff_count": "12"}]


@pytest.mark.parametrize(
    ("name", "content"),
    [("c.pdf", b"x"), ("c.csv", b""), ("c.csv", b"city\nx\n"), ("c.xlsx", b"not a zip"), ("c.csv", b"\xff\xfe\x00")],
)
def test_unreadable_files_are_refused(name, content):
    with pytest.raises(ValidationError):
        read_customer_file(file_name=name, content=content)


def test_import_page_runs_a_job_with_progress_then_offers_to_import_the_valid_rows(
    org, page_for, eager_tasks, django_capture_on_commit_callbacks
):
    client = page_for(org.manager_a)
    upload = SimpleUploadedFile("c.csv", (GOOD_CSV + ",,current,,,,,\n").encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customers/import/", {"file": upload})
    assert response.status_code == 302
    job = Job.objects.get(kind="customer_import")
    assert job.status == "succeeded" and job.progress == 100
    assert Customer.objects.count() == 0
    status = client.get(response["Location"])
    body = status.content.decode()
    assert 'id="import-errors"' in body and "rerun" in body
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="import-status"')
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customers/import/", {"rerun": job.pk})
    assert response.status_code == 302
    assert Customer.objects.count() == 2
    assert page_for(org.rep_a).get(f"/customers/import/{job.pk}/").status_code == 404


def test_import_page_refuses_a_bad_file_with_a_form_error(org, page_for):
    upload = SimpleUploadedFile("c.csv", "city\n上海\n".encode(), content_type="text/csv")
    response = page_for(org.rep_a).post("/customers/import/", {"file": upload})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Job.objects.exists()


def test_import_task_only_runs_a_queued_job(org):
    from crm.services import create_job

    job = create_job(actor=org.rep_a, kind="customer_import", parameters={"rows": [{"name": "A"}]})
    import_customers_job(job.pk)
    import_customers_job(job.pk)  # a duplicate delivery does nothing
    assert Customer.objects.count() == 1
    job.refresh_from_db()
    assert job.result["created"] == 1


def test_management_command_imports_and_reports_errors(org, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(GOOD_CSV + ",,current,,,,,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), user=org.admin.username, stderr=err)
    assert "row 4" in err.getvalue() and Customer.objects.count() == 0
    out = io.StringIO()
    call_command("import_customers", str(path), user=org.admin.username, import_valid_rows=True, stdout=out)
    assert "2 created" in out.getvalue()
    call_command("import_customers", str(path), user=org.admin.username, import_valid_rows=True, stdout=out)
    assert "2 updated" in out.getvalue() and Customer.objects.count() == 2


def test_oversize_text_in_a_row_is_a_row_error(org):
    report = import_customers(actor=org.rep_a, rows=[{"name": "A", "notes": "x" * 5001}, {"name": "x" * 201}])
    assert [sorted(e["errors"]) for e in report.errors] == [["notes"], ["name"]]


def test_import_job_fails_visibly_when_the_broker_is_down(
    org, page_for, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(import_customers_job, "delay", broker_down)
    client = page_for(org.manager_a)
    upload = SimpleUploadedFile("c.csv", GOOD_CSV.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customers/import/", {"file": upload})
    assert response.status_code == 302
    job = Job.objects.get(kind="customer_import")
    assert job.status == "failed" and job.message
    assert job.message in client.get(response["Location"]).content.decode()
    assert not Customer.objects.exists()


def test_a_repeated_ref_is_an_error_and_the_first_row_still_updates(org):
    import_customers(actor=org.manager_a, rows=_rows(GOOD_CSV))
    rows = _rows("external_ref,name,city\nERP-1,新名字,苏州\nERP-1,别的名字,广州\n")
    report = import_customers(actor=org.manager_a, rows=rows, import_valid_rows=True)
    assert report.updated == 1 and report.errors[0]["row"] == 3
    customer = Customer.objects.get(external_ref="ERP-1")
    assert (customer.name, customer.city) == ("新名字", "苏州")
