"""Permission matrix of the customers app's pages and API (records owned by rep A)."""

from decimal import Decimal

from tests.permission_matrix import OWNER_SCOPED, Check, api, page

OWNER_ONLY_JOB = {**OWNER_SCOPED, "manager_a": 404}
SCOPED_POST_PAGE = {"rep_a": 302, "rep_b": 404, "manager_a": 302, "manager_b": 404, "admin": 302}


def build(world):
    from crm.services import create_job
    from customers.services.customer import create_contact, create_customer, define_scorecard

    world.customer_a = create_customer(actor=world.rep_a, name="Matrix customer", city="上海", phone="021-12345678")
    world.target_a = create_customer(actor=world.rep_a, name="Matrix target", stage="target")
    world.contact_a = create_contact(actor=world.rep_a, customer=world.customer_a, name="王经理", title="采购")
    world.scorecard = define_scorecard(
        actor=world.admin,
        name="Matrix scorecard",
        indicators=[
            {"name": "市场地位", "weight": Decimal("0.6"), "standard_ratio": Decimal("1")},
            {"name": "财务", "weight": Decimal("0.4"), "standard_ratio": Decimal("2")},
        ],
    )
    world.import_job_a = create_job(actor=world.rep_a, kind="customer_import", parameters={"rows": []})


def _fresh_contact(world):
    from customers.services.customer import create_contact

    return create_contact(actor=world.rep_a, customer=world.customer_a, name="临时联系人")


# Each in-scope role makes the next legal move, so every one of them succeeds in turn.
NEXT_STAGE = {"rep_a": "target", "manager_a": "current", "admin": "dormant"}


def _stage(world, role):
    return {"stage": NEXT_STAGE.get(role, "target"), "reason": "matrix"}


def _new_customer_form(world, role):
    return {"name": f"Page customer {role}", "city": "上海"}


def _new_customer_api(world, role):
    return {"name": f"API customer {role}", "city": "杭州"}


def _evaluation(world, role):
    return {f"indicator_{i.pk}": "1.2" for i in world.scorecard.indicators.all()}


def _new_contact_api(world, role):
    return {"customer": world.customer_a.pk, "name": f"联系人 {role}", "authority": "influencer"}


def _put_customer(world, role):
    return {"name": "Matrix customer", "city": "上海", "stage": world.customer_a.stage}


def _put_contact(world, role):
    return {"customer": world.customer_a.pk, "name": "王经理", "title": "采购", "authority": "influencer"}


SCOPED_CREATE_API = {"rep_a": 201, "rep_b": 400, "manager_a": 201, "manager_b": 400, "admin": 201}

ROUTES = {
    "customers:list": [Check("get", "/customers/", page())],
    "customers:export": [Check("get", "/customers/export.csv", page())],
    "customers:create": [
        Check("get", "/customers/new/", page()),
        Check("post", "/customers/new/", page(default=302), data=_new_customer_form, fmt="form"),
    ],
    "customers:import": [
        Check("get", "/customers/import/", page()),
        # an empty upload: the form again with its errors, nothing imported
        Check("post", "/customers/import/", page(), data={}, fmt="form"),
    ],
    "customers:import-status": [
        Check("get", lambda w: f"/customers/import/{w.import_job_a.pk}/", page(**OWNER_ONLY_JOB)),
    ],
    "customers:ranking": [Check("get", "/customers/ranking/", page())],
    "customers:detail": [Check("get", lambda w: f"/customers/{w.customer_a.pk}/", page(**OWNER_SCOPED))],
    "customers:edit": [
        Check("get", lambda w: f"/customers/{w.customer_a.pk}/edit/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/customers/{w.customer_a.pk}/edit/",
            page(**SCOPED_POST_PAGE),
            data={"name": "Matrix customer", "city": "杭州", "phone": "021-12345678", "owner": ""},
            fmt="form",
        ),
    ],
    "customers:transition": [
        Check(
            "post",
            lambda w: f"/customers/{w.customer_a.pk}/transition/",
            page(**SCOPED_POST_PAGE),
            data=_stage,
            fmt="form",
        )
    ],
    "customers:level": [
        Check(
            "post",
            lambda w: f"/customers/{w.customer_a.pk}/level/",
            page(**SCOPED_POST_PAGE),
            data={"level": "reactive", "reason": "matrix"},
            fmt="form",
        )
    ],
    "customers:qualify": [
        Check(
            "post",
            lambda w: f"/customers/{w.customer_a.pk}/qualification/",
            page(**SCOPED_POST_PAGE),
            data={"money": "yes", "authority": "yes", "need": "unknown"},
            fmt="form",
        )
    ],
    "customers:evaluate": [
        Check("get", lambda w: f"/customers/{w.target_a.pk}/evaluate/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/customers/{w.target_a.pk}/evaluate/",
            page(**SCOPED_POST_PAGE),
            data=_evaluation,
            fmt="form",
        ),
    ],
    "customers:contact-create": [
        Check("get", lambda w: f"/customers/{w.customer_a.pk}/contacts/new/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/customers/{w.customer_a.pk}/contacts/new/",
            page(**SCOPED_POST_PAGE),
            data={"name": "新联系人", "authority": "user"},
            fmt="form",
        ),
    ],
    "customers:contact-edit": [
        Check("get", lambda w: f"/contacts/{w.contact_a.pk}/edit/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/contacts/{w.contact_a.pk}/edit/",
            page(**SCOPED_POST_PAGE),
            data={"name": "王经理", "authority": "decision_maker"},
            fmt="form",
        ),
    ],
    "customers:contact-delete": [
        Check(
            "post",
            lambda w: f"/contacts/{_fresh_contact(w).pk}/delete/",
            page(**SCOPED_POST_PAGE),
            fmt="form",
        )
    ],
    "customer-list": [
        Check("get", "/api/v1/customers/", api()),
        Check("post", "/api/v1/customers/", api(default=201), data=_new_customer_api),
    ],
    "customer-detail": [
        Check("get", lambda w: f"/api/v1/customers/{w.customer_a.pk}/", api(**OWNER_SCOPED)),
        Check("patch", lambda w: f"/api/v1/customers/{w.customer_a.pk}/", api(**OWNER_SCOPED), data={"city": "杭州"}),
        Check("put", lambda w: f"/api/v1/customers/{w.customer_a.pk}/", api(**OWNER_SCOPED), data=_put_customer),
    ],
    "customer-transition": [
        Check("post", lambda w: f"/api/v1/customers/{w.customer_a.pk}/transition/", api(**OWNER_SCOPED), data=_stage)
    ],
    "contact-list": [
        Check("get", "/api/v1/contacts/", api()),
        Check("post", "/api/v1/contacts/", api(**SCOPED_CREATE_API), data=_new_contact_api),
    ],
    "contact-detail": [
        Check("get", lambda w: f"/api/v1/contacts/{w.contact_a.pk}/", api(**OWNER_SCOPED)),
        Check("patch", lambda w: f"/api/v1/contacts/{w.contact_a.pk}/", api(**OWNER_SCOPED), data={"title": "总经理"}),
        Check("put", lambda w: f"/api/v1/contacts/{w.contact_a.pk}/", api(**OWNER_SCOPED), data=_put_contact),
        Check(
            "delete",
            lambda w: f"/api/v1/contacts/{_fresh_contact(w).pk}/",
            api(**{**OWNER_SCOPED, "rep_a": 204, "manager_a": 204, "admin": 204}),
        ),
    ],
}
