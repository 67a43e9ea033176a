"""Customer reads, always scoped to the acting user through crm.access."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from crm.access import scope_by_owner
from customers.models import (
    Contact,
    Customer,
    Evaluation,
    RelationshipLevel,
    RelationshipLevelChange,
    Scorecard,
    StageChange,
)

# The profile card (客户资料卡) fields of DESIGN §3; completeness = filled / all of these.
CARD_FIELDS = [
    "business_area_m2",
    "years_in_business",
    "staff_count",
    "brands_carried",
    "monthly_purchase_volume",
    "distribution_reach",
    "credit_notes",
]
SEARCH_FIELDS = ["name", "external_ref", "phone", "city", "address"]


def visible_customers(user) -> QuerySet:
    """The customers `user` may see (DESIGN §4): own (rep), teams' (manager), all (admin)."""
    qs = Customer.objects.select_related("owner", "relationship_level", "territory")
    return scope_by_owner(qs, user, owner_field="owner")


def search_customers(queryset: QuerySet, *, text: str) -> QuerySet:
    """Customers whose name, ERP code, phone, city or address contain `text` (case-insensitive)."""
    text = (text or "").strip()
    if not text:
        return queryset
    condition = Q()
    for name in SEARCH_FIELDS:
        condition |= Q(**{f"{name}__icontains": text})
    return queryset.filter(condition)


def customer_detail(*, user, pk: int) -> Customer:
    """One visible customer with what its card page shows; Customer.DoesNotExist when out of scope."""
    return (
        visible_customers(user)
        .prefetch_related(
            "brands_carried",
            Prefetch("contacts", queryset=Contact.objects.order_by("name", "id")),
        )
        .get(pk=pk)
    )


def customer_timeline(*, customer: Customer) -> list[dict]:
    """Stage and relationship-level changes, newest first, as one list of events."""
    stages = StageChange.objects.filter(customer=customer).select_related("changed_by")
    levels = RelationshipLevelChange.objects.filter(customer=customer).select_related(
        "changed_by", "from_level", "to_level"
    )
    events = [{"kind": "stage", "at": s.changed_at, "by": s.changed_by, "change": s, "pk": s.pk} for s in stages] + [
        {"kind": "level", "at": c.changed_at, "by": c.changed_by, "change": c, "pk": c.pk} for c in levels
    ]
    return sorted(events, key=lambda e: (e["at"], e["pk"]), reverse=True)


def profile_completeness(*, customer: Customer) -> int:
    """Filled card fields / card fields, as a whole percentage (DESIGN §3)."""
    filled = 0
    for name in CARD_FIELDS:
        if name == "brands_carried":
            filled += bool(customer.brands_carried.all())
        else:
            value = getattr(customer, name)
            filled += value is not None and value != ""
    return round(100 * filled / len(CARD_FIELDS))


def find_duplicate_customer(*, owner, name: str, phone: str, exclude_pk: int | None = None) -> Customer | None:
    """The owner's customer with the same name (case-insensitive) and phone, if any."""
    qs = Customer.objects.filter(owner=owner, name__iexact=(name or "").strip(), phone=(phone or "").strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related("owner").order_by("pk").first()


def visible_contacts(user) -> QuerySet:
    """Contacts of the customers `user` may see."""
    qs = Contact.objects.select_related("customer")
    return scope_by_owner(qs, user, owner_field="customer__owner")


def relationship_ladder() -> QuerySet:
    return RelationshipLevel.objects.order_by("rank")


def active_scorecard() -> Scorecard | None:
    """The evaluation scorecard in use: the most recent active one."""
    return (
        Scorecard.objects.filter(active=True)
        .annotate(n=Count("indicators"))
        .filter(n__gt=0)
        .order_by("-created_at", "-id")
        .prefetch_related("indicators")
        .first()
    )


def latest_evaluation(*, customer: Customer, scorecard: Scorecard | None) -> Evaluation | None:
    if scorecard is None:
        return None
    return (
        Evaluation.objects.filter(customer=customer, scorecard=scorecard)
        .select_related("evaluated_by")
        .prefetch_related("scores__indicator")
        .order_by("-evaluated_at", "-id")
        .first()
    )


def evaluation_ranking(*, user, scorecard: Scorecard) -> QuerySet:
    """Visible customers with an evaluation on `scorecard`, by their latest total score, best first."""
    latest = Evaluation.objects.filter(customer=OuterRef("pk"), scorecard=scorecard).order_by("-evaluated_at", "-id")
    return (
        visible_customers(user)
        .annotate(
            latest_score=Subquery(latest.values("total_score")[:1]),
            latest_evaluated_at=Subquery(latest.values("evaluated_at")[:1]),
        )
        .filter(latest_score__isnull=False)
        .order_by("-latest_score", "name", "pk")
    )
