"""Permission-matrix tables for the orders ledger, its import and assignment rules."""

from tests.permission_matrix import OWNER_SCOPED, Check, api


def build(world):
    from tests.factories import CustomerFactory, OrderFactory

    world.orders_customer = CustomerFactory(owner=world.rep_a, external_ref="MATRIX-ORD", stage="current")
    world.order_a = OrderFactory(customer=world.orders_customer, external_ref="MATRIX-ORDER-A")


def _new_order(world, role):
    return {
        "customer": world.orders_customer.pk,
        "ordered_at": "2026-01-05T10:00:00+08:00",
        "amount": "10.00",
        "external_ref": f"MATRIX-{role}",
    }


ROUTES = {
    "order-list": [
        Check("get", "/api/v1/orders/", api()),
        Check(
            "post",
            "/api/v1/orders/",
            api(**{**OWNER_SCOPED, "rep_a": 201, "manager_a": 201, "admin": 201, "rep_b": 400, "manager_b": 400}),
            data=_new_order,
        ),
    ],
    "order-detail": [Check("get", lambda w: f"/api/v1/orders/{w.order_a.pk}/", api(**OWNER_SCOPED))],
}
