"""Celery tasks of segmentation: thin wrappers that take ids and call one service."""

import contextlib

from celery import shared_task

from segmentation import services


@shared_task(name="segmentation.compute_run")
def compute_run_task(run_id: int) -> None:
    # acts only on a queued run, so a duplicate delivery does nothing; errors are recorded on the run
    with contextlib.suppress(Exception):  # the run is already marked failed with its error
        services.compute_run(run_id=run_id)


@shared_task(name="segmentation.nightly_recompute")
def nightly_recompute_task() -> None:
    services.nightly_recompute()


@shared_task(name="segmentation.fail_stale_runs")
def fail_stale_runs_task() -> int:
    return services.mark_stale_runs_failed()


@shared_task(name="segmentation.sync_dormancy")
def sync_dormancy_task() -> dict:
    return services.sync_dormancy()
