"""Reads of segmentation results. Other apps read the live tier and `loyal` from here, never recompute them."""

from __future__ import annotations

from segmentation.models import RunStatus, SegmentationRun, TierAssignment


def live_run() -> SegmentationRun | None:
    return SegmentationRun.objects.filter(live=True, status=RunStatus.SUCCEEDED).first()


def live_assignment(*, customer_id: int) -> TierAssignment | None:
    """The customer's assignment in the live run, or None (no live run, or the customer was not in it)."""
    return TierAssignment.objects.filter(run__live=True, customer_id=customer_id).first()


def live_assignments(*, customer_ids) -> dict[int, TierAssignment]:
    """Live assignments for many customers in one query, keyed by customer id."""
    rows = TierAssignment.objects.filter(run__live=True, customer_id__in=list(customer_ids))
    return {row.customer_id: row for row in rows}


def is_loyal(*, customer_id: int) -> bool:
    """`loyal` (≥ 3 repeat purchases in the window) from the live run; False without a live run."""
    return TierAssignment.objects.filter(run__live=True, customer_id=customer_id, loyal=True).exists()


def live_tier_subquery(field: str, *, customer_ref: str = "pk"):
    """A Subquery of `field` (e.g. abc_class, bcg_quadrant) from the customer's live assignment, for annotating
    a customer queryset in one query (NULL when there is no live run or the customer was not in it)."""
    from django.db.models import OuterRef, Subquery

    return Subquery(TierAssignment.objects.filter(run__live=True, customer_id=OuterRef(customer_ref)).values(field)[:1])
