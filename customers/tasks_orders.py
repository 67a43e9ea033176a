"""Celery tasks of the orders ledger (CSV import)."""

from celery import shared_task

from crm.models import Job
from customers.services.orders import run_order_import


@shared_task(name="customers.import_orders")
def import_orders_task(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).select_related("created_by").first()
    if job is not None:
        run_order_import(job=job)
