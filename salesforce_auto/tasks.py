"""Celery tasks of field sales (visits side): thin wrappers around services."""

import datetime as dt

from celery import shared_task

from salesforce_auto import services


@shared_task(name="salesforce_auto.build_weekly_summaries")
def build_weekly_summaries(week_start: str | None = None) -> int:
    """Monday beat job (and on demand): build every team's 周总结表 for the week starting `week_start`
    (ISO date of a Monday; default last week). Rebuilding a week replaces its summary, so retries are safe."""
    day = dt.date.fromisoformat(week_start) if week_start else None
    return len(services.build_weekly_summaries(week_start=day))
