"""What the fuzzer found, pinned as plain regression tests (they run without the fuzz marker)."""

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_token_endpoint_answers_400_to_a_json_list_body(org, api_for):
    response = api_for(None).post("/api/v1/auth/token/", [None, None], format="json")
    assert response.status_code == 400


def test_make_live_with_a_non_numeric_id_is_a_json_404(org, api_for):
    response = api_for(org.admin).post("/api/v1/segmentation/runs/null,null/make-live/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


def test_unknown_api_url_is_a_json_404_and_unknown_page_is_html(org, api_for, page_for):
    response = api_for(org.rep_a).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["detail"]
    page = page_for(org.rep_a).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("as_of", ["0001-01-01", "1899-12-31"])
def test_segmentation_as_of_before_1900_is_refused(org, api_for, as_of):
    response = api_for(org.manager_a).post("/api/v1/segmentation/runs/", {"as_of": as_of}, format="json")
    assert response.status_code == 400
    assert "as_of" in response.json()


@pytest.mark.parametrize(
    "visited_at",
    [
        "2020-01-01T10:00:00+23:59",
        "2020-01-01T10:00:00-16:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_visit_date_times_out_of_range_are_400(org, api_for, visited_at):
    customer = CustomerFactory(owner=org.rep_a)
    response = api_for(org.rep_a).post(
        "/api/v1/visits/",
        {"customer": customer.pk, "visited_at": visited_at, "client_uuid": "7a3c0f9e-8f4c-4e53-9d0b-2b6f1f3f0a01"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "visited_at" in response.json()


@pytest.mark.parametrize("value", ["2020-01-01T10:00:00+23:59", "0001-01-01T00:00:00+01:00"])
def test_date_time_filters_out_of_range_are_400(org, api_for, value):
    response = api_for(org.rep_a).get("/api/v1/orders/", {"ordered_after": value})
    assert response.status_code == 400, response.content
