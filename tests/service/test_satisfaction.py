"""Satisfaction surveys: validation, completing requested surveys, roll-ups per customer, rep, team and month."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from service.models import SatisfactionIndicator, SatisfactionSurvey, SurveyScore
from service.selectors import indicator_class_rollup, survey_rollup
from service.services import record_survey, request_survey
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def indicators():
    return list(SatisfactionIndicator.objects.filter(active=True).select_related("indicator_class"))


def test_default_indicators_are_grouped_in_classes(indicators):
    classes = {i.indicator_class.code for i in indicators}
    assert {"product", "delivery", "service", "complaint_handling", "billing", "image"} <= classes


def test_a_survey_records_overall_score_per_indicator_scores_and_free_text(org, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    survey = record_survey(
        actor=org.rep_a,
        customer=customer,
        overall_score=4,
        scores={indicators[0].pk: 5, indicators[1].pk: 3},
        comment="送货快，包装一般",
    )
    assert (survey.status, survey.overall_score, survey.rep, survey.recorded_by) == (
        "completed",
        4,
        org.rep_a,
        org.rep_a,
    )
    assert dict(survey.scores.values_list("indicator", "score")) == {indicators[0].pk: 5, indicators[1].pk: 3}


@pytest.mark.parametrize(
    ("overall", "score", "field"),
    [(0, 3, "overall_score"), (6, 3, "overall_score"), (4, 0, "scores"), (4, 6, "scores"), (4, "5", "scores")],
)
def test_scores_out_of_range_are_refused_and_nothing_is_saved(org, indicators, overall, score, field):
    customer = CustomerFactory(owner=org.rep_a)
    with pytest.raises(ValidationError) as info:
        record_survey(actor=org.rep_a, customer=customer, overall_score=overall, scores={indicators[0].pk: score})
    assert field in info.value.message_dict
    assert not SatisfactionSurvey.objects.exists() and not SurveyScore.objects.exists()


def test_unknown_or_inactive_indicator_is_refused(org, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    SatisfactionIndicator.objects.filter(pk=indicators[0].pk).update(active=False)
    for key in (indicators[0].pk, 999999):
        with pytest.raises(ValidationError) as info:
            record_survey(actor=org.rep_a, customer=customer, overall_score=3, scores={key: 3})
        assert "scores" in info.value.message_dict


def test_a_requested_survey_is_completed_once(org, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    requested = request_survey(actor=org.rep_a, customer=customer)
    done = record_survey(actor=org.rep_a, survey=requested, overall_score=5)
    assert done.pk == requested.pk and done.status == "completed"
    with pytest.raises(ValidationError):
        record_survey(actor=org.rep_a, survey=requested, overall_score=1)


def _survey_at(customer, score, when, actor):
    survey = record_survey(actor=actor, customer=customer, overall_score=score)
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(completed_at=when, requested_at=when)
    return survey


def test_rollups_per_customer_rep_team_and_month(org):
    a1 = CustomerFactory(owner=org.rep_a, name="A1")
    b1 = CustomerFactory(owner=org.rep_b, name="B1")
    c1 = CustomerFactory(owner=org.rep_c, name="C1")
    # 2026-01-31 23:30 in Shanghai is still January locally (15:30 UTC).
    _survey_at(a1, 5, datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI), org.rep_a)
    _survey_at(a1, 4, datetime(2026, 2, 1, 9, 0, tzinfo=SHANGHAI), org.rep_a)
    _survey_at(b1, 2, datetime(2026, 2, 15, 9, 0, tzinfo=SHANGHAI), org.rep_b)
    _survey_at(c1, 1, datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI), org.rep_c)
    request_survey(actor=org.rep_a, customer=a1)  # pending requests are not in the roll-ups

    by_customer = {r["label"]: r for r in survey_rollup(user=org.admin, by="customer")}
    assert by_customer["A1"]["surveys"] == 2 and by_customer["A1"]["average_overall"] == Decimal("4.50")
    assert by_customer["A1"]["satisfied"] == 2 and by_customer["B1"]["dissatisfied"] == 1

    by_rep = {r["label"]: r["average_overall"] for r in survey_rollup(user=org.admin, by="rep")}
    assert by_rep == {"rep_a": Decimal("4.50"), "rep_b": Decimal("2.00"), "rep_c": Decimal("1.00")}

    by_team = {r["label"]: (r["surveys"], r["average_overall"]) for r in survey_rollup(user=org.admin, by="team")}
    assert by_team == {"Team A": (3, Decimal("3.67")), "Team B": (1, Decimal("1.00"))}

    by_month = [
        (timezone.localtime(r["key"]).strftime("%Y-%m"), r["surveys"])
        for r in survey_rollup(user=org.admin, by="month")
    ]
    assert by_month == [("2026-01", 1), ("2026-02", 3)]


def test_rollups_are_scoped_to_the_user(org):
    _survey_at(CustomerFactory(owner=org.rep_a), 5, timezone.now(), org.rep_a)
    _survey_at(CustomerFactory(owner=org.rep_c), 1, timezone.now(), org.rep_c)
    assert [r["surveys"] for r in survey_rollup(user=org.manager_a, by="team")] == [1]
    assert list(survey_rollup(user=org.rep_b, by="rep")) == []


def test_indicator_class_rollup_averages_scores_per_class(org, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    product = [i for i in indicators if i.indicator_class.code == "product"]
    record_survey(actor=org.rep_a, customer=customer, overall_score=4, scores={product[0].pk: 5, product[1].pk: 2})
    record_survey(actor=org.rep_a, customer=customer, overall_score=4, scores={product[0].pk: 4})
    rows = list(indicator_class_rollup(user=org.rep_a, by="customer"))
    assert [(r["indicator_class"], r["scores"], r["average"]) for r in rows] == [("product", 3, Decimal("3.67"))]


def test_rollup_query_runs_as_one_group_by(org, django_assert_num_queries):
    for i in range(10):
        _survey_at(CustomerFactory(owner=org.rep_a), 1 + i % 5, timezone.now(), org.rep_a)
    with django_assert_num_queries(1):
        rows = list(survey_rollup(user=org.admin, by="customer"))
    assert len(rows) == 10


# --- API ---------------------------------------------------------------------------------------------


def test_api_records_a_survey_and_reads_it_back(org, api_for, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    response = api_for(org.rep_a).post(
        "/api/v1/satisfaction-surveys/",
        {
            "customer": customer.pk,
            "overall_score": 5,
            "comment": "很好",
            "scores": [{"indicator": indicators[0].pk, "score": 5}, {"indicator": indicators[2].pk, "score": 4}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = api_for(org.manager_a).get(f"/api/v1/satisfaction-surveys/{response.json()['id']}/").json()
    assert body["status"] == "completed" and body["overall_score"] == 5
    assert sorted(s["score"] for s in body["scores"]) == [4, 5]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"overall_score": 6}, "overall_score"),
        ({"overall_score": 0}, "overall_score"),
        ({"scores": [{"indicator": "IND", "score": 7}]}, "scores"),
        ({"scores": [{"indicator": "IND", "score": 3}, {"indicator": "IND", "score": 4}]}, "scores"),
        ({"scores": [{"indicator": 999999, "score": 3}]}, "scores"),
        ({"customer": None}, "customer"),
    ],
)
def test_api_bad_survey_input_is_a_400(org, api_for, indicators, payload, field):
    customer = CustomerFactory(owner=org.rep_a)
    data = {"customer": customer.pk, "overall_score": 4, **payload}
    for item in data.get("scores", []):
        if item["indicator"] == "IND":
            item["indicator"] = indicators[0].pk
    if data["customer"] is None:
        del data["customer"]
    response = api_for(org.rep_a).post("/api/v1/satisfaction-surveys/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SatisfactionSurvey.objects.exists()


def test_api_completes_a_requested_survey(org, api_for):
    customer = CustomerFactory(owner=org.rep_a)
    requested = request_survey(actor=org.rep_a, customer=customer)
    response = api_for(org.rep_a).post(
        "/api/v1/satisfaction-surveys/", {"survey": requested.pk, "overall_score": 3}, format="json"
    )
    assert response.status_code == 201 and response.json()["id"] == requested.pk
    again = api_for(org.rep_a).post(
        "/api/v1/satisfaction-surveys/", {"survey": requested.pk, "overall_score": 3}, format="json"
    )
    assert again.status_code == 400


def test_api_rollup_by_team_and_bad_dimension(org, api_for):
    _survey_at(CustomerFactory(owner=org.rep_a), 4, timezone.now(), org.rep_a)
    body = api_for(org.manager_a).get("/api/v1/satisfaction-surveys/rollup/?by=team").json()
    assert body["results"][0]["label"] == "Team A" and body["results"][0]["average_overall"] == "4.00"
    month = api_for(org.manager_a).get("/api/v1/satisfaction-surveys/rollup/?by=month").json()
    assert month["results"][0]["key"] == timezone.localdate().strftime("%Y-%m")
    assert api_for(org.manager_a).get("/api/v1/satisfaction-surveys/rollup/?by=planet").status_code == 400


def test_survey_list_api_query_count(org, api_for, indicators, django_assert_max_num_queries):
    for i in range(20):
        record_survey(
            actor=org.rep_a,
            customer=CustomerFactory(owner=org.rep_a),
            overall_score=1 + i % 5,
            scores={indicators[0].pk: 3, indicators[1].pk: 4},
        )
    client = api_for(org.rep_a)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/satisfaction-surveys/?page_size=100")
    assert response.json()["count"] == 20


# --- pages -------------------------------------------------------------------------------------------


def test_survey_entry_page_shows_grouped_indicators_and_rejects_out_of_range(org, page_for, indicators):
    customer = CustomerFactory(owner=org.rep_a)
    requested = request_survey(actor=org.rep_a, customer=customer)
    client = page_for(org.rep_a)
    html = client.get(f"/service/surveys/{requested.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert indicators[0].indicator_class.name in html and f'name="indicator_{indicators[0].pk}"' in html
    bad = client.post(f"/service/surveys/{requested.pk}/", {"overall_score": "9"})
    assert bad.status_code == 400
    good = client.post(
        f"/service/surveys/{requested.pk}/",
        {"overall_score": "5", f"indicator_{indicators[0].pk}": "4", "comment": "ok"},
    )
    assert good.status_code == 302
    requested.refresh_from_db()
    assert requested.status == "completed" and requested.scores.get().score == 4


def test_survey_list_page_with_rollup_query_count(org, page_for, django_assert_max_num_queries):
    for i in range(15):
        _survey_at(CustomerFactory(owner=org.rep_a), 1 + i % 5, timezone.now(), org.rep_a)
    client = page_for(org.manager_a)
    client.get("/service/surveys/")  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get("/service/surveys/?by=customer")
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= 15
