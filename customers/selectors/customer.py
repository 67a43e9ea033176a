"""Customer reads, always scoped to the acting user through crm.access."""

from django.db.models import QuerySet

from crm.access import scope_by_owner
from customers.models import Customer, RelationshipLevel


def visible_customers(user) -> QuerySet:
    """The customers `user` may see (DESIGN §4): own (rep), teams' (manager), all (admin)."""
    qs = Customer.objects.select_related("owner", "relationship_level", "territory")
    return scope_by_owner(qs, user, owner_field="owner")


def relationship_ladder() -> QuerySet:
    return RelationshipLevel.objects.order_by("rank")
