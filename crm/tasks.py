import socket

from celery import shared_task

from crm import services
from crm.models import Job


@shared_task(name="crm.check_worker")
def check_worker(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    services.check_worker(job=job, worker=socket.gethostname())
