"""Permission-matrix tables for the orders ledger (API, a customer's orders page, the CSV import) and the
assignment rules (API and pages: admins manage, managers read, reps are refused)."""

from tests.permission_matrix import OWNER_SCOPED, Check, api, page

OWN_JOB = {**OWNER_SCOPED, "manager_a": 404}  # jobs are seen by their creator (and admins)


def build(world):
    from crm.services import create_job
    from customers.models import AssignmentRule
    from customers.services.orders import IMPORT_JOB_KIND
    from tests.factories import CustomerFactory, OrderFactory

    world.orders_customer = CustomerFactory(owner=world.rep_a, external_ref="MATRIX-ORD", stage="current")
    world.order_a = OrderFactory(customer=world.orders_customer, external_ref="MATRIX-ORDER-A")
    world.order_import_job_a = create_job(actor=world.rep_a, kind=IMPORT_JOB_KIND, parameters={"filename": "a.csv"})
    world.assignment_rule = AssignmentRule.objects.create(name="Matrix rule", city="上海", assignee=world.rep_a)
    AssignmentRule.objects.create(name="Matrix rule 2", city="北京", assignee=world.rep_a)


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


# Assignment rules: admins manage them, managers may read them, reps are refused (403, not 404: the rules are
# not records of anyone's scope).
RULES_READ = {"rep_a": 403, "rep_b": 403, "manager_a": 200, "manager_b": 200, "admin": 200}
RULES_PAGE_WRITE = {"rep_a": 403, "rep_b": 403, "manager_a": 403, "manager_b": 403, "admin": 302}


def _rules_admin_only(admin_status: int) -> dict[str, int]:
    return {"rep_a": 403, "rep_b": 403, "manager_a": 403, "manager_b": 403, "admin": admin_status}


def _new_rule(world, role):
    return {"name": f"Rule {role}", "city": "杭州", "assignee": world.rep_a.pk}


def _rule_form(world, role):
    return {"name": f"Rule page {role}", "city": "杭州", "assignee": world.rep_a.pk, "active": "on"}


def _rule_url(suffix=""):
    return lambda w: f"/api/v1/assignment-rules/{w.assignment_rule.pk}/{suffix}"


def _rule_page(suffix):
    return lambda w: f"/customers/assignment-rules/{w.assignment_rule.pk}/{suffix}"


ROUTES.update(
    {
        "assignment-rule-list": [
            Check("get", "/api/v1/assignment-rules/", api(**RULES_READ)),
            Check("post", "/api/v1/assignment-rules/", api(**_rules_admin_only(201)), data=_new_rule),
        ],
        "assignment-rule-detail": [
            Check("get", _rule_url(), api(**RULES_READ)),
            Check("patch", _rule_url(), api(**_rules_admin_only(200)), data={"city": "苏州"}),
            Check("delete", _rule_url(), api(**_rules_admin_only(204))),
        ],
        "assignment-rule-move": [
            Check("post", _rule_url("move/"), api(**_rules_admin_only(200)), data={"direction": "down"}),
        ],
        "customers:assignment-rules": [Check("get", "/customers/assignment-rules/", page(**RULES_READ))],
        "customers:assignment-rule-create": [
            Check("get", "/customers/assignment-rules/new/", page(**_rules_admin_only(200))),
            Check("post", "/customers/assignment-rules/new/", page(**RULES_PAGE_WRITE), data=_rule_form, fmt="form"),
        ],
        "customers:assignment-rule-edit": [
            Check("get", _rule_page("edit/"), page(**_rules_admin_only(200))),
            Check("post", _rule_page("edit/"), page(**RULES_PAGE_WRITE), data=_rule_form, fmt="form"),
        ],
        "customers:assignment-rule-move": [
            Check("post", _rule_page("move/"), page(**RULES_PAGE_WRITE), data={"direction": "down"}, fmt="form"),
        ],
        "customers:assignment-rule-delete": [
            Check("post", _rule_page("delete/"), page(**RULES_PAGE_WRITE), fmt="form"),
        ],
    }
)
