"""The run lock row and the celery-beat schedules (editable in the admin afterwards)."""

from django.conf import settings
from django.db import migrations

NIGHTLY = "segmentation: nightly recompute, then dormancy sync"
STALE = "segmentation: fail stale runs"


def forwards(apps, schema_editor):
    RunLock = apps.get_model("segmentation", "RunLock")
    RunLock.objects.get_or_create(pk=1)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    every_5_min, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NIGHTLY, defaults={"task": "segmentation.nightly_recompute", "crontab": nightly, "enabled": True}
    )
    PeriodicTask.objects.get_or_create(
        name=STALE, defaults={"task": "segmentation.fail_stale_runs", "interval": every_5_min, "enabled": True}
    )


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[NIGHTLY, STALE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0002_aggregates"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
