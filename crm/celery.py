"""The one Celery app of the project.

Configuration comes from Django settings with the CELERY_ prefix; without REDIS_URL the settings make
tasks run eagerly in-process (the embedded default).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
