"""Permission-matrix tables for the pipeline: opportunities, forecast, quotes (API and pages)."""

from tests.permission_matrix import OWNER_SCOPED, Check, api, page

PAGE_WRITE = {"rep_a": 302, "rep_b": 404, "manager_a": 302, "manager_b": 404, "admin": 302}
WRITE_SCOPED = {"rep_a": 201, "rep_b": 400, "manager_a": 201, "manager_b": 400, "admin": 201}


def build(world):
    from datetime import date
    from decimal import Decimal

    from tests.factories import CustomerFactory, OpportunityFactory, QuoteFactory

    world.pipeline_customer = CustomerFactory(owner=world.rep_a, stage="target")
    world.opportunity_a = OpportunityFactory(
        customer=world.pipeline_customer, amount=Decimal("500.00"), expected_close_on=date(2026, 2, 1)
    )
    world.quote_a = QuoteFactory(customer=world.pipeline_customer)


def _new_opportunity(world, role):
    return {
        "customer": world.pipeline_customer.pk,
        "title": f"Matrix {role}",
        "amount": "100.00",
        "expected_close_on": "2026-03-01",
    }


def _new_quote(world, role):
    return {"customer": world.pipeline_customer.pk, "title": f"Matrix {role}"}


def _opportunity_form(world, role):
    return {**_new_opportunity(world, role), "stage": "proposal"}


def _quote_form(world, role):
    return {
        "title": f"Quote {role}",
        "internal_cost": "1.00",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "x",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "2",
    }


ROUTES = {
    # API
    "opportunity-list": [
        Check("get", "/api/v1/opportunities/", api()),
        Check("post", "/api/v1/opportunities/", api(**WRITE_SCOPED), data=_new_opportunity),
    ],
    "opportunity-detail": [
        Check("get", lambda w: f"/api/v1/opportunities/{w.opportunity_a.pk}/", api(**OWNER_SCOPED)),
        Check(
            "patch",
            lambda w: f"/api/v1/opportunities/{w.opportunity_a.pk}/",
            api(**OWNER_SCOPED),
            data={"title": "Renamed"},
        ),
    ],
    "opportunity-move": [
        Check(
            "post",
            lambda w: f"/api/v1/opportunities/{w.opportunity_a.pk}/move/",
            api(**OWNER_SCOPED),
            data={"stage": "negotiation"},
        )
    ],
    "opportunity-create-order": [
        Check(
            "post",
            lambda w: f"/api/v1/opportunities/{w.opportunity_a.pk}/create-order/",
            api(**{**OWNER_SCOPED, "rep_a": 400, "manager_a": 400, "admin": 400}),
            note="not won: 400 in scope, 404 outside",
        )
    ],
    "api-forecast": [Check("get", "/api/v1/forecast/", api())],
    "quote-list": [
        Check("get", "/api/v1/quotes/", api()),
        Check("post", "/api/v1/quotes/", api(**WRITE_SCOPED), data=_new_quote),
    ],
    "quote-detail": [
        Check("get", lambda w: f"/api/v1/quotes/{w.quote_a.pk}/", api(**OWNER_SCOPED)),
        Check("patch", lambda w: f"/api/v1/quotes/{w.quote_a.pk}/", api(**OWNER_SCOPED), data={"notes": "n"}),
    ],
    "quote-issue": [
        Check(
            "post",
            lambda w: f"/api/v1/quotes/{w.quote_a.pk}/issue/",
            api(**{**OWNER_SCOPED, "rep_a": 400, "manager_a": 400, "admin": 400}),
            note="no internal cost yet: the gate answers 400",
        )
    ],
    "quote-outcome": [
        Check(
            "post",
            lambda w: f"/api/v1/quotes/{w.quote_a.pk}/outcome/",
            api(**{**OWNER_SCOPED, "rep_a": 400, "manager_a": 400, "admin": 400}),
            data={"status": "accepted"},
            note="a draft cannot be accepted",
        )
    ],
    # pages
    "pipeline:board": [Check("get", "/pipeline/", page())],
    "pipeline:opportunity-new": [
        Check("get", "/pipeline/opportunities/new/", page()),
        Check(
            "post",
            "/pipeline/opportunities/new/",
            page(**{**PAGE_WRITE, "rep_b": 200, "manager_b": 200}),
            data=_opportunity_form,
            fmt="form",
            note="out-of-scope customer: the form shows an error",
        ),
    ],
    "pipeline:opportunity": [
        Check("get", lambda w: f"/pipeline/opportunities/{w.opportunity_a.pk}/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/pipeline/opportunities/{w.opportunity_a.pk}/",
            page(**PAGE_WRITE),
            data=_opportunity_form,
            fmt="form",
        ),
    ],
    "pipeline:opportunity-move": [
        Check(
            "post",
            lambda w: f"/pipeline/opportunities/{w.opportunity_a.pk}/move/",
            page(**PAGE_WRITE),
            data={"stage": "proposal"},
            fmt="form",
        )
    ],
    "pipeline:opportunity-order": [
        Check("post", lambda w: f"/pipeline/opportunities/{w.opportunity_a.pk}/order/", page(**PAGE_WRITE), fmt="form")
    ],
    "pipeline:forecast": [Check("get", "/pipeline/forecast/", page())],
    "pipeline:quotes": [Check("get", "/pipeline/quotes/", page())],
    "pipeline:quote-new": [
        Check("get", "/pipeline/quotes/new/", page()),
        Check(
            "post",
            "/pipeline/quotes/new/",
            page(**{**PAGE_WRITE, "rep_b": 200, "manager_b": 200}),
            data=_new_quote,
            fmt="form",
        ),
    ],
    "pipeline:quote": [
        Check("get", lambda w: f"/pipeline/quotes/{w.quote_a.pk}/", page(**OWNER_SCOPED)),
        Check("post", lambda w: f"/pipeline/quotes/{w.quote_a.pk}/", page(**PAGE_WRITE), data=_quote_form, fmt="form"),
    ],
    "pipeline:quote-issue": [
        Check("post", lambda w: f"/pipeline/quotes/{w.quote_a.pk}/issue/", page(**PAGE_WRITE), fmt="form")
    ],
}
