"""Permission-matrix tables for the orders ledger: API, a customer's orders page, the CSV import."""

from tests.permission_matrix import OWNER_SCOPED, Check, api, page

OWN_JOB = {**OWNER_SCOPED, "manager_a": 404}  # jobs are seen by their creator (and admins)


def build(world):
    from crm.services import create_job
    from customers.services.orders import IMPORT_JOB_KIND
    from tests.factories import CustomerFactory, OrderFactory

    world.orders_customer = CustomerFactory(owner=world.rep_a, external_ref="MATRIX-ORD", stage="current")
    world.order_a = OrderFactory(customer=world.orders_customer, external_ref="MATRIX-ORDER-A")
    world.order_import_job_a = create_job(actor=world.rep_a, kind=IMPORT_JOB_KIND, parameters={"filename": "a.csv"})


def _new_order(world, role):
    return {
        "customer": world.orders_customer.pk,
        "ordered_at": "2026-01-05T10:00:00+08:00",
        "amount": "10.00",
        "external_ref": f"MATRIX-{role}",
    }


def _order_form(world, role):
    return {"ordered_at": "2026-01-05T10:00", "amount": "10.00", "external_ref": f"MATRIX-PAGE-{role}"}


WRITE_SCOPED = {"rep_a": 201, "rep_b": 400, "manager_a": 201, "manager_b": 400, "admin": 201}
PAGE_WRITE = {"rep_a": 302, "rep_b": 404, "manager_a": 302, "manager_b": 404, "admin": 302}

ROUTES = {
    "order-list": [
        Check("get", "/api/v1/orders/", api()),
        Check("post", "/api/v1/orders/", api(**WRITE_SCOPED), data=_new_order),
    ],
    "order-detail": [Check("get", lambda w: f"/api/v1/orders/{w.order_a.pk}/", api(**OWNER_SCOPED))],
    "orders:customer-orders": [
        Check("get", lambda w: f"/customers/{w.orders_customer.pk}/orders/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/customers/{w.orders_customer.pk}/orders/",
            page(**PAGE_WRITE),
            data=_order_form,
            fmt="form",
        ),
    ],
    "orders:import": [
        Check("get", "/orders/import/", page()),
        Check("post", "/orders/import/", page(), data={"encoding": "auto"}, fmt="form", note="no file: form error"),
    ],
    "orders:import-status": [Check("get", lambda w: f"/orders/import/{w.order_import_job_a.pk}/", page(**OWN_JOB))],
}
