"""Permission-matrix entries of the service app (see tests/permission_matrix.py)."""

from tests.permission_matrix import OWNER_SCOPED, Check, api, page

# Allowed for rep_a (owner), manager_a (their manager) and admin; out of scope for rep_b and manager_b.
SCOPED_WRITE_API = {"rep_a": 201, "rep_b": 404, "manager_a": 201, "manager_b": 404, "admin": 201}
SCOPED_CREATE_API = {"rep_a": 201, "rep_b": 400, "manager_a": 201, "manager_b": 400, "admin": 201}
SCOPED_POST_PAGE = {"rep_a": 302, "rep_b": 404, "manager_a": 302, "manager_b": 404, "admin": 302}
OWN_ONLY = {"rep_a": 200, "rep_b": 404, "manager_a": 404, "manager_b": 404, "admin": 404}


def build(world):
    from service import services
    from service.models import SatisfactionIndicator
    from tests.factories import CustomerFactory, RewardFactory, complaint_for

    world.service_customer_a = CustomerFactory(owner=world.rep_a, name="Matrix customer")
    world.complaint_a = complaint_for(world.service_customer_a, severity="critical")
    world.complaint_page = complaint_for(world.service_customer_a)
    world.notification_a = world.rep_a.notifications.create(complaint=world.complaint_a, message="matrix")
    world.survey_a = services.request_survey(actor=world.rep_a, customer=world.service_customer_a)
    world.referral_a = services.record_referral(
        actor=world.rep_a, referrer=world.service_customer_a, referred_name="Friend"
    )
    world.account_a, _ = services.enroll(actor=world.rep_a, customer=world.service_customer_a)
    world.entry_a = services.adjust_points(actor=world.admin, account=world.account_a, points=5000, reason="matrix")
    world.reward = RewardFactory(points_cost=10)
    world.indicator = SatisfactionIndicator.objects.filter(active=True).first()


def _next_status(world, role):
    from service.services import COMPLAINT_MOVES

    world.complaint_a.refresh_from_db()
    return {"status": sorted(COMPLAINT_MOVES[world.complaint_a.status])[0], "note": role}


def _next_page_status(world, role):
    from service.services import COMPLAINT_MOVES

    world.complaint_page.refresh_from_db()
    return {"status": sorted(COMPLAINT_MOVES[world.complaint_page.status])[0], "note": role}


def _new_complaint(world, role):
    return {
        "customer": world.service_customer_a.pk,
        "category": "billing",
        "description": f"by {role}",
        "severity": "low",
    }


def _new_complaint_form(world, role):
    return {**_new_complaint(world, role), "channel": "phone"}


def _analysis_form(world, role):
    return {"severity": "high", "owner": world.rep_a.pk, "root_cause": f"found by {role}", "corrective_action": "fix"}


def _survey(world, role):
    return {
        "customer": world.service_customer_a.pk,
        "overall_score": 4,
        "scores": [{"indicator": world.indicator.pk, "score": 5}],
    }


def _survey_form(world, role):
    return {"overall_score": "4", f"indicator_{world.indicator.pk}": "5", "comment": role}


def _fresh_requested_survey(world):
    from service.services import request_survey

    survey = request_survey(actor=world.admin, customer=world.service_customer_a)
    return f"/service/surveys/{survey.pk}/"


def _referral(world, role):
    return {"referrer": world.service_customer_a.pk, "referred_name": f"Friend of {role}"}


C = "/api/v1/complaints/"

ROUTES = {
    # --- API ---
    "complaint-list": [
        Check("get", C, api()),
        Check("post", C, api(**SCOPED_CREATE_API), data=_new_complaint),
    ],
    "complaint-detail": [
        Check("get", lambda w: f"{C}{w.complaint_a.pk}/", api(**OWNER_SCOPED)),
        Check("patch", lambda w: f"{C}{w.complaint_a.pk}/", api(**OWNER_SCOPED), data={"root_cause": "matrix"}),
    ],
    "complaint-advance": [
        Check("post", lambda w: f"{C}{w.complaint_a.pk}/advance/", api(**OWNER_SCOPED), data=_next_status)
    ],
    "complaint-events": [Check("get", lambda w: f"{C}{w.complaint_a.pk}/events/", api(**OWNER_SCOPED))],
    "notification-list": [Check("get", "/api/v1/notifications/", api())],
    "notification-detail": [Check("get", lambda w: f"/api/v1/notifications/{w.notification_a.pk}/", api(**OWN_ONLY))],
    "notification-read": [
        Check("post", lambda w: f"/api/v1/notifications/{w.notification_a.pk}/read/", api(**OWN_ONLY))
    ],
    "satisfaction-indicator-list": [Check("get", "/api/v1/satisfaction-indicators/", api())],
    "satisfaction-indicator-detail": [
        Check("get", lambda w: f"/api/v1/satisfaction-indicators/{w.indicator.pk}/", api())
    ],
    "satisfaction-survey-list": [
        Check("get", "/api/v1/satisfaction-surveys/", api()),
        Check("post", "/api/v1/satisfaction-surveys/", api(**SCOPED_CREATE_API), data=_survey),
    ],
    "satisfaction-survey-detail": [
        Check("get", lambda w: f"/api/v1/satisfaction-surveys/{w.survey_a.pk}/", api(**OWNER_SCOPED))
    ],
    "satisfaction-survey-rollup": [Check("get", "/api/v1/satisfaction-surveys/rollup/?by=team", api())],
    "referral-list": [
        Check("get", "/api/v1/referrals/", api()),
        Check("post", "/api/v1/referrals/", api(**SCOPED_CREATE_API), data=_referral),
    ],
    "referral-detail": [Check("get", lambda w: f"/api/v1/referrals/{w.referral_a.pk}/", api(**OWNER_SCOPED))],
    "referral-convert": [Check("post", lambda w: f"/api/v1/referrals/{w.referral_a.pk}/convert/", api(**OWNER_SCOPED))],
    "referral-advocates": [Check("get", "/api/v1/referrals/advocates/", api())],
    "loyalty-account-list": [
        Check("get", "/api/v1/loyalty-accounts/", api()),
        Check(
            "post",
            "/api/v1/loyalty-accounts/",
            api(**{**SCOPED_CREATE_API, "rep_a": 200, "manager_a": 200, "admin": 200}),
            data=lambda w, r: {"customer": w.service_customer_a.pk},
        ),
    ],
    "loyalty-account-detail": [
        Check("get", lambda w: f"/api/v1/loyalty-accounts/{w.account_a.pk}/", api(**OWNER_SCOPED))
    ],
    "loyalty-account-entries": [
        Check("get", lambda w: f"/api/v1/loyalty-accounts/{w.account_a.pk}/entries/", api(**OWNER_SCOPED))
    ],
    "loyalty-account-adjust": [
        Check(
            "post",
            lambda w: f"/api/v1/loyalty-accounts/{w.account_a.pk}/adjust/",
            api(**{**SCOPED_WRITE_API, "rep_a": 403}),
            data={"points": 10, "reason": "goodwill"},
        )
    ],
    "loyalty-account-redeem": [
        Check(
            "post",
            lambda w: f"/api/v1/loyalty-accounts/{w.account_a.pk}/redeem/",
            api(**SCOPED_WRITE_API),
            data=lambda w, r: {"reward": w.reward.pk, "quantity": 1},
        )
    ],
    "points-entry-list": [Check("get", "/api/v1/points-entries/", api())],
    "points-entry-detail": [Check("get", lambda w: f"/api/v1/points-entries/{w.entry_a.pk}/", api(**OWNER_SCOPED))],
    "reward-list": [Check("get", "/api/v1/rewards/", api())],
    "reward-detail": [Check("get", lambda w: f"/api/v1/rewards/{w.reward.pk}/", api())],
    "loyalty-card": [Check("get", lambda w: f"/api/v1/loyalty/{w.service_customer_a.pk}/", api(**OWNER_SCOPED))],
    # --- pages ---
    "service:complaint-list": [Check("get", "/service/complaints/", page())],
    "service:complaint-create": [
        Check("get", "/service/complaints/new/", page()),
        Check(
            "post",
            "/service/complaints/new/",
            page(rep_a=302, rep_b=200, manager_a=302, manager_b=200, admin=302),
            data=_new_complaint_form,
            fmt="form",
        ),
    ],
    "service:complaint-detail": [
        Check("get", lambda w: f"/service/complaints/{w.complaint_a.pk}/", page(**OWNER_SCOPED))
    ],
    "service:complaint-advance": [
        Check(
            "post",
            lambda w: f"/service/complaints/{w.complaint_page.pk}/advance/",
            page(**SCOPED_POST_PAGE),
            data=_next_page_status,
            fmt="form",
        )
    ],
    "service:complaint-update": [
        Check(
            "post",
            lambda w: f"/service/complaints/{w.complaint_page.pk}/edit/",
            page(**SCOPED_POST_PAGE),
            data=_analysis_form,
            fmt="form",
        )
    ],
    "service:notification-list": [Check("get", "/service/notifications/", page())],
    "service:notification-read": [
        Check(
            "post",
            lambda w: f"/service/notifications/{w.notification_a.pk}/read/",
            page(**{**OWN_ONLY, "rep_a": 302}),
            fmt="form",
        )
    ],
    "service:survey-list": [Check("get", "/service/surveys/?by=rep", page())],
    "service:survey-entry": [
        Check("get", lambda w: f"/service/surveys/{w.survey_a.pk}/", page(**OWNER_SCOPED)),
        Check("post", _fresh_requested_survey, page(**SCOPED_POST_PAGE), data=_survey_form, fmt="form"),
    ],
    "service:survey-create": [
        Check("get", lambda w: f"/service/customers/{w.service_customer_a.pk}/survey/", page(**OWNER_SCOPED)),
        Check(
            "post",
            lambda w: f"/service/customers/{w.service_customer_a.pk}/survey/",
            page(**SCOPED_POST_PAGE),
            data=_survey_form,
            fmt="form",
        ),
    ],
    "service:loyalty-list": [Check("get", "/service/loyalty/?advocates=1", page())],
    "service:loyalty-card": [
        Check("get", lambda w: f"/service/customers/{w.service_customer_a.pk}/loyalty/", page(**OWNER_SCOPED))
    ],
    "service:loyalty-enroll": [
        Check(
            "post", lambda w: f"/service/customers/{w.service_customer_a.pk}/loyalty/enroll/", page(**SCOPED_POST_PAGE)
        )
    ],
    "service:loyalty-redeem": [
        Check(
            "post",
            lambda w: f"/service/customers/{w.service_customer_a.pk}/loyalty/redeem/",
            page(**SCOPED_POST_PAGE),
            data=lambda w, r: {"reward": w.reward.pk, "quantity": 1},
            fmt="form",
        )
    ],
    "service:loyalty-adjust": [
        Check(
            "post",
            lambda w: f"/service/customers/{w.service_customer_a.pk}/loyalty/adjust/",
            page(**{**SCOPED_POST_PAGE, "rep_a": 403}),
            data={"points": "5", "reason": "goodwill"},
            fmt="form",
        )
    ],
    "service:referral-create": [
        Check(
            "post",
            lambda w: f"/service/customers/{w.service_customer_a.pk}/referrals/",
            page(**SCOPED_POST_PAGE),
            data=lambda w, r: {"referred_name": f"Friend of {r}"},
            fmt="form",
        )
    ],
    "service:referral-convert": [
        Check("post", lambda w: f"/service/referrals/{w.referral_a.pk}/convert/", page(**SCOPED_POST_PAGE))
    ],
}
