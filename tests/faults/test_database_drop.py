"""The database connection dropped (pg_terminate_backend) in the middle of a bulk order import, by the
management command and by the background job in a real worker: nothing is partially imported, the command
exits with an error, and the job is marked failed."""

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Job, JobStatus
from customers.models import Order
from customers.services.orders import start_order_import
from tests.factories import CustomerFactory
from tests.faults.conftest import (
    ROOT,
    backend_writing,
    needs_services,
    python_bin,
    subprocess_env,
    terminate_backend,
    wait_until,
)

pytestmark = [pytest.mark.faults, needs_services, pytest.mark.django_db(transaction=True)]

ROWS = 40_000
ORDERS_TABLE = Order._meta.db_table


def _big_csv(org) -> bytes:
    for ref in ("C1", "C2"):
        CustomerFactory(owner=org.rep_a, external_ref=ref, stage="current")
    lines = ["customer_ref,ordered_at,amount,cost,external_ref"]
    lines += [f"C{1 + i % 2},2026-01-{1 + i % 28:02d} 10:00,{i % 997}.50,1.00,SO-{i}" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def test_connection_dropped_during_the_import_command_imports_nothing(org, tmp_path):
    csv_file = tmp_path / "orders.csv"
    csv_file.write_bytes(_big_csv(org))
    name = "crm-fault-import-command"
    command = subprocess.Popen(  # noqa: S603 - fixed arguments
        [python_bin("python"), "manage.py", "import_orders", str(csv_file)],
        cwd=ROOT,
        env=subprocess_env(name),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = wait_until(lambda: backend_writing(name, ORDERS_TABLE) or command.poll() is not None, 120, "inserts")
        assert command.poll() is None, "the import finished before its connection could be dropped: raise ROWS"
        terminate_backend(pid)
        _, stderr = command.communicate(timeout=60)
    finally:
        _stop(command)
    assert command.returncode != 0
    assert "connection" in stderr.lower() or "terminat" in stderr.lower(), stderr[-2000:]
    assert not Order.objects.exists()


def test_connection_dropped_during_the_import_job_fails_the_job_and_imports_nothing(org, private_redis):
    upload = SimpleUploadedFile("orders.csv", _big_csv(org), content_type="text/csv")
    name = "crm-fault-import-worker"
    worker = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            python_bin("celery"),
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=subprocess_env(name, REDIS_URL=private_redis.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job = start_order_import(
            actor=org.admin, upload=upload, encoding="auto", source="import", all_or_nothing=True
        )  # queued on commit (autocommit here), picked up by the worker
        pid = wait_until(lambda: backend_writing(name, ORDERS_TABLE), 120, "the worker's inserts")
        terminate_backend(pid)

        def finished():
            job.refresh_from_db()
            return job.status in (JobStatus.FAILED, JobStatus.SUCCEEDED)

        wait_until(finished, 60, "the job to finish", interval=0.2)
    finally:
        _stop(worker)
    assert job.status == JobStatus.FAILED, job.message
    assert job.message
    assert not Order.objects.exists()
    assert Job.objects.filter(status=JobStatus.RUNNING).count() == 0
