"""Celery tasks of the service app: thin wrappers that call one service each."""

from celery import shared_task

from crm.services import get_system_user
from service import services


@shared_task(name="service.escalate_overdue")
def escalate_overdue() -> dict:
    """Every 15 minutes (celery-beat, editable in the admin): escalate complaints past their due time once."""
    result = services.escalate_overdue()
    return {"escalated": result.escalated, "notified": result.notified, "emailed": result.emailed}


@shared_task(name="service.award_order_points")
def award_order_points() -> int:
    """Hourly: club members' new orders earn points under the active rule (once per order)."""
    return services.award_pending_order_points(actor=get_system_user())
