"""Celery tasks of the customers app (thin: load the job, call one service, record progress)."""

from celery import shared_task
from django.utils.translation import gettext as _

from crm import services as jobs
from crm.models import Job
from customers.services.customer import import_customers

IMPORT_JOB_KIND = "customer_import"


@shared_task(name="customers.import_customers")
def import_customers_job(job_id: int) -> None:
    """Run a customer import whose rows and options are stored on the job; idempotent (queued jobs only)."""
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind=IMPORT_JOB_KIND).first()
    if job is None or not jobs.start_job(job=job):
        return
    try:
        report = import_customers(
            actor=job.created_by,
            rows=job.parameters.get("rows", []),
            import_valid_rows=bool(job.parameters.get("import_valid_rows")),
            progress=lambda percent: jobs.report_job_progress(job=job, progress=percent),
        )
    except Exception as exc:
        jobs.fail_job(job=job, message=_("The import failed: %(error)s") % {"error": exc})
        raise
    if report.imported:
        message = _("Imported: %(created)s created, %(updated)s updated.") % {
            "created": report.created,
            "updated": report.updated,
        }
    else:
        message = _("Nothing imported: %(n)s rows have errors.") % {"n": len(report.errors)}
    jobs.finish_job(job=job, result=report.as_dict(), message=message)
