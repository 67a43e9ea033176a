"""The manager's segmentation pages: runs list with the start form, progress fragment, run detail, make-live."""

import pytest

from segmentation import selectors
from segmentation.models import SegmentationRun
from tests.segmentation.conftest import local

pytestmark = pytest.mark.django_db


def test_managers_get_the_runs_page_with_the_start_form_and_reps_do_not(org, page_for):
    response = page_for(org.manager_a).get("/segmentation/runs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="window_months"' in html and 'name="high_value_classes"' in html
    assert page_for(org.rep_a).get("/segmentation/runs/").status_code == 403


def test_starting_a_run_from_the_page_redirects_to_its_progress(org, page_for):
    client = page_for(org.manager_a)
    response = client.post("/segmentation/runs/", {"window_months": "6", "high_value_classes": ["A", "B"]})
    run = SegmentationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/segmentation/runs/{run.pk}/"
    assert run.window_months == 6 and run.high_value_classes == ["A", "B"]
    detail = client.get(response["Location"]).content.decode()
    assert f'hx-get="/segmentation/runs/{run.pk}/progress/"' in detail  # queued: the bar polls
    fragment = client.get(f"/segmentation/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'data-status="queued"' in fragment.content.decode()
    # one at a time
    again = client.post("/segmentation/runs/", {"high_value_classes": ["A"]})
    assert again.status_code == 409
    assert SegmentationRun.objects.count() == 1


def test_invalid_parameters_show_form_errors_and_save_nothing(org, page_for):
    response = page_for(org.manager_a).post(
        "/segmentation/runs/", {"window_months": "0", "a_cutoff": "0.9", "b_cutoff": "0.5", "high_value_classes": "A"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "window_months" in form.errors
    assert not SegmentationRun.objects.exists()


def test_run_detail_shows_figures_within_the_managers_scope(org, page_for, ledger, compute):
    customer = ledger.customer(name="华东五金")
    ledger.order(customer, local(2024, 3, 1), "10.00")
    run, _ = compute(as_of="2024-06-30")
    mine = page_for(org.manager_a).get(f"/segmentation/runs/{run.pk}/").content.decode()
    assert "华东五金" in mine and 'data-status="succeeded"' in mine and "hx-get" not in mine
    other = page_for(org.manager_b).get(f"/segmentation/runs/{run.pk}/").content.decode()
    assert "华东五金" not in other


def test_admins_switch_the_live_run_from_the_page(org, page_for, ledger, compute):
    ledger.order(ledger.customer(), local(2024, 3, 1), "10.00")
    first, _ = compute(as_of="2024-06-30")
    second, _ = compute(as_of="2024-05-31")
    assert page_for(org.manager_a).post(f"/segmentation/runs/{first.pk}/make-live/").status_code == 403
    response = page_for(org.admin).post(f"/segmentation/runs/{first.pk}/make-live/")
    assert response.status_code == 302
    assert selectors.live_run() == first
