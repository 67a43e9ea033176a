"""The /api/v1/visits/ contract (DESIGN §3, §5): idempotent submission, new customer + visit, edits, filters."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from customers.models import CompetitorBrand, Customer, StageChange
from salesforce_auto.models import SurveyAnswer, VisitReport
from tests.factories import CustomerFactory, SurveyQuestionFactory, VisitReportFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/"


@pytest.fixture
def customer(org):
    return CustomerFactory(owner=org.rep_a, stage="target")


def body(customer_, **extra):
    return {
        "client_uuid": str(uuid.uuid4()),
        "customer": customer_.pk if customer_ else None,
        "visited_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "method": "visit",
        "findings_market": "市场价格下降",
        "outcome": "留下样品",
        **extra,
    }


def test_first_submission_creates_the_report_with_every_contract_field(org, api_for, customer):
    payload = body(customer, failure_reason="lacks_funds", step_reached=2, latitude="31.230416", longitude="121.473701")
    response = api_for(org.rep_a).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for name in [
        "id",
        "client_uuid",
        "customer",
        "visited_at",
        "method",
        "findings_market",
        "findings_channel",
        "findings_competitor",
        "findings_consumer",
        "outcome",
        "failure_reason",
        "buying_signals",
        "step_reached",
        "next_step",
        "next_visit_on",
        "latitude",
        "longitude",
    ]:
        assert name in data
    assert data["client_uuid"] == payload["client_uuid"]
    assert data["failure_reason"] == "lacks_funds"
    assert data["latitude"] == "31.230416"
    assert VisitReport.objects.get().rep == org.rep_a


def test_repeat_with_same_client_uuid_and_different_body_returns_200_and_the_stored_report(org, api_for, customer):
    client = api_for(org.rep_a)
    first = client.post(URL, body(customer, outcome="first"), format="json")
    assert first.status_code == 201
    repeat = body(customer, outcome="second", method="phone")
    repeat["client_uuid"] = first.json()["client_uuid"]
    again = client.post(URL, repeat, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert VisitReport.objects.count() == 1
    assert VisitReport.objects.get().outcome == "first"


def test_repeat_with_an_invalid_body_still_returns_the_stored_report(org, api_for, customer):
    client = api_for(org.rep_a)
    first = client.post(URL, body(customer), format="json").json()
    again = client.post(URL, {"client_uuid": first["client_uuid"], "latitude": "999"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]


def test_new_potential_customer_and_first_visit_in_one_submission_retried_creates_one_customer(org, api_for):
    payload = body(None, new_customer={"name": "街边新店", "city": "杭州", "phone": "0571-1234"})
    del payload["customer"]
    client = api_for(org.rep_a)
    first = client.post(URL, payload, format="json")
    assert first.status_code == 201, first.json()
    second = client.post(URL, payload, format="json")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    created = Customer.objects.get(name="街边新店")
    assert created.stage == "potential"
    assert created.owner == org.rep_a
    assert Customer.objects.filter(name="街边新店").count() == 1
    assert StageChange.objects.filter(customer=created).count() == 1
    assert first.json()["customer"] == created.pk
    assert first.json()["created_customer"] is True


def test_invalid_new_customer_submission_stores_nothing(org, api_for):
    payload = body(None, new_customer={"name": "新店"}, latitude="95")
    del payload["customer"]
    response = api_for(org.rep_a).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "latitude" in response.json()
    assert not Customer.objects.filter(name="新店").exists()
    assert VisitReport.objects.count() == 0


@pytest.mark.parametrize("reason", ["product_mismatch", "scale_mismatch", "lacks_funds", "tied_to_competitor", "other"])
def test_each_failure_reason_value_is_accepted(org, api_for, customer, reason):
    response = api_for(org.rep_a).post(URL, body(customer, failure_reason=reason), format="json")
    assert response.status_code == 201
    assert response.json()["failure_reason"] == reason


def test_unknown_failure_reason_is_a_400(org, api_for, customer):
    response = api_for(org.rep_a).post(URL, body(customer, failure_reason="too_expensive"), format="json")
    assert response.status_code == 400
    assert "failure_reason" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", 999999),
        ("latitude", "90.5"),
        ("latitude", "-91"),
        ("longitude", "180.000001"),
        ("longitude", "-200"),
        ("step_reached", 5),
        ("method", "carrier_pigeon"),
        ("buying_signals", ["asks_price_of_gold"]),
        ("client_uuid", "not-a-uuid"),
        ("visited_at", "yesterday"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(org, api_for, customer, field, value):
    response = api_for(org.rep_a).post(URL, body(customer, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert VisitReport.objects.count() == 0


def test_visited_at_beyond_tomorrow_is_a_400(org, api_for, customer):
    later = timezone.localtime() + dt.timedelta(days=2)
    response = api_for(org.rep_a).post(URL, body(customer, visited_at=later.isoformat()), format="json")
    assert response.status_code == 400
    assert "visited_at" in response.json()
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    assert (
        api_for(org.rep_a).post(URL, body(customer, visited_at=tomorrow.isoformat()), format="json").status_code == 201
    )


def test_browser_coordinates_with_many_decimals_are_rounded(org, api_for, customer):
    response = api_for(org.rep_a).post(
        URL, body(customer, latitude=31.2304161234, longitude=121.47370149), format="json"
    )
    assert response.status_code == 201
    assert response.json()["latitude"] == "31.230416"
    assert response.json()["longitude"] == "121.473701"


def test_rep_cannot_file_a_visit_on_another_reps_customer(org, api_for):
    other = CustomerFactory(owner=org.rep_b)
    response = api_for(org.rep_a).post(URL, body(other), format="json")
    assert response.status_code == 400
    assert "customer" in response.json()
    assert VisitReport.objects.count() == 0


def test_client_uuid_of_another_users_report_is_not_revealed(org, api_for):
    theirs = VisitReportFactory(customer=CustomerFactory(owner=org.rep_c))
    mine = CustomerFactory(owner=org.rep_a)
    payload = body(mine)
    payload["client_uuid"] = str(theirs.client_uuid)
    response = api_for(org.rep_a).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "client_uuid" in response.json()
    assert VisitReport.objects.count() == 1


def test_two_buying_signals_mark_the_customer_ready_to_close(org, api_for, customer):
    client = api_for(org.rep_a)
    client.post(URL, body(customer, buying_signals=["asks_delivery"]), format="json")
    customer.refresh_from_db()
    assert customer.ready_to_close is False
    client.post(URL, body(customer, buying_signals=["asks_delivery", "asks_payment_terms"]), format="json")
    customer.refresh_from_db()
    assert customer.ready_to_close is True


def test_competitor_brands_mentioned_join_the_customers_competitor_list(org, api_for, customer):
    CompetitorBrand.objects.create(name="立邦")
    response = api_for(org.rep_a).post(URL, body(customer, competitor_brands=["立邦", "多乐士", " "]), format="json")
    assert response.status_code == 201
    assert sorted(response.json()["competitor_brands"]) == sorted(["立邦", "多乐士"])
    assert sorted(customer.brands_carried.values_list("name", flat=True)) == sorted(["多乐士", "立邦"])
    assert CompetitorBrand.objects.count() == 2


def test_survey_answers_sent_with_a_visit_accumulate_on_the_customer(org, api_for, customer):
    question = SurveyQuestionFactory()
    client = api_for(org.rep_a)
    response = client.post(
        URL, body(customer, survey_answers=[{"question": question.pk, "answer": "月销 20 万"}]), format="json"
    )
    assert response.status_code == 201
    assert SurveyAnswer.objects.get().answer == "月销 20 万"
    bad = client.post(URL, body(customer, survey_answers=[{"question": 424242, "answer": "x"}]), format="json")
    assert bad.status_code == 400
    assert "survey_answers" in bad.json()


def test_patch_edits_a_report_but_not_its_client_uuid_or_customer(org, api_for, customer):
    client = api_for(org.rep_a)
    created = client.post(URL, body(customer), format="json").json()
    other = CustomerFactory(owner=org.rep_a)
    response = client.patch(
        f"{URL}{created['id']}/",
        {"outcome": "签约意向", "step_reached": 3, "customer": other.pk, "client_uuid": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] == "签约意向"
    assert data["step_reached"] == 3
    assert data["customer"] == customer.pk
    assert data["client_uuid"] == created["client_uuid"]
    assert data["findings_market"] == "市场价格下降"
    assert client.patch(f"{URL}{created['id']}/", {"latitude": "100"}, format="json").status_code == 400


def test_put_and_delete_are_not_allowed(org, api_for, customer):
    visit = VisitReportFactory(customer=customer)
    client = api_for(org.rep_a)
    assert client.delete(f"{URL}{visit.pk}/").status_code == 405
    assert client.put(f"{URL}{visit.pk}/", body(customer), format="json").status_code == 405


def test_filters_customer_visited_after_and_visited_before(org, api_for, customer, django_assert_max_num_queries):
    other = CustomerFactory(owner=org.rep_a)
    tz = timezone.get_default_timezone()
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 1, 9, tzinfo=tz))
    VisitReportFactory(customer=customer, visited_at=dt.datetime(2026, 3, 5, 9, tzinfo=tz))
    VisitReportFactory(customer=other, visited_at=dt.datetime(2026, 3, 5, 10, tzinfo=tz))
    client = api_for(org.rep_a)
    assert client.get(URL, {"customer": customer.pk}).json()["count"] == 2
    assert client.get(URL, {"visited_after": "2026-03-02"}).json()["count"] == 2
    assert client.get(URL, {"visited_before": "2026-03-02"}).json()["count"] == 1
    both = client.get(URL, {"customer": customer.pk, "visited_after": "2026-03-02T00:00:00+08:00"}).json()
    assert both["count"] == 1
    with django_assert_max_num_queries(6):
        client.get(URL, {"page_size": 100})


def test_list_is_scoped_to_the_user(org, api_for, customer):
    VisitReportFactory(customer=customer)
    VisitReportFactory(customer=CustomerFactory(owner=org.rep_c))
    assert api_for(org.rep_a).get(URL).json()["count"] == 1
    assert api_for(org.rep_b).get(URL).json()["count"] == 0
    assert api_for(org.manager_a).get(URL).json()["count"] == 1
    assert api_for(org.admin).get(URL).json()["count"] == 2


def test_survey_questions_are_listed_for_clients_that_send_answers(org, api_for):
    shown = SurveyQuestionFactory(aspect="consumer", text="顾客最关心什么？")
    SurveyQuestionFactory(active=False)
    data = api_for(org.rep_a).get("/api/v1/survey-questions/").json()
    assert data == [{"id": shown.pk, "aspect": "consumer", "text": "顾客最关心什么？", "required": True, "position": 0}]
