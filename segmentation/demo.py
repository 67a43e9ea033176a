"""Demo data for segmentation: one live run over the demo ledger (safe to run twice)."""

from django.contrib.auth import get_user_model

from segmentation import selectors, services


def seed(stdout) -> None:
    if selectors.live_run() is not None or selectors.active_run() is not None:
        return
    admin = get_user_model().objects.filter(username="admin").first()
    from customers.models import Customer

    if admin is None or not Customer.objects.exists():
        return
    # the seed runs inside a transaction: compute in-process instead of sending the task after commit
    run = services.start_run(actor=admin, parameters={}, enqueue=False)
    run = services.compute_run(run_id=run.pk)
    stdout.write(f"Segmentation run #{run.pk}: {run.status}, {run.customer_count} customers.")
