"""Run lifecycle: parameters, one run at a time, immutability, make-live, stale runs, failures, dormancy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import StageChange
from segmentation import selectors, services
from segmentation.models import RunStatus, SegmentationRun, SegmentStat, TierAssignment
from tests.segmentation.conftest import local

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/segmentation/runs/"


def test_start_run_returns_202_with_the_queued_run(org, api_for, ledger, settings):
    response = api_for(org.manager_a).post(RUNS, {"window_months": 6}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert set(body) >= {"id", "status", "progress"}
    run = SegmentationRun.objects.get(pk=body["id"])
    assert run.window_months == 6 and run.started_by == org.manager_a


def test_a_started_run_is_computed_after_commit_and_becomes_live(
    org, api_for, ledger, django_capture_on_commit_callbacks, settings
):
    if settings.REDIS_URL:
        pytest.skip("eager mode only without REDIS_URL")
    customer = ledger.customer()
    ledger.order(customer, timezone.now() - dt.timedelta(days=3), "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(org.admin).post(RUNS, {}, format="json")
    assert response.status_code == 202
    run = SegmentationRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.progress, run.live, run.customer_count) == ("succeeded", 100, True, 1)
    assert selectors.live_run() == run
    assert selectors.live_assignment(customer_id=customer.pk).abc_class == "A"
    detail = api_for(org.manager_a).get(f"{RUNS}{run.pk}/").json()
    assert detail["status"] == "succeeded" and detail["live"] is True and detail["total_revenue"] == "10.00"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"window_months": 0}, "window_months"),
        ({"window_months": 61}, "window_months"),
        ({"window_months": "twelve"}, "window_months"),
        ({"a_cutoff": "0"}, "a_cutoff"),
        ({"a_cutoff": "1.0001"}, "a_cutoff"),
        ({"a_cutoff": "0.9", "b_cutoff": "0.8"}, "a_cutoff"),
        ({"b_cutoff": "-0.5"}, "b_cutoff"),
        ({"b_cutoff": "0.12345"}, "b_cutoff"),
        ({"growth_threshold": "-1.0001"}, "growth_threshold"),
        ({"growth_threshold": "10.0001"}, "growth_threshold"),
        ({"growth_threshold": "abc"}, "growth_threshold"),
        ({"high_value_classes": []}, "high_value_classes"),
        ({"high_value_classes": ["C"]}, "high_value_classes"),
        ({"high_value_classes": "A"}, None),  # a comma-separated string is accepted
        ({"visit_cost": "-1"}, "visit_cost"),
        ({"visit_cost": "1.005"}, "visit_cost"),
        ({"make_live": "maybe"}, "make_live"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_parameters_are_a_400_naming_the_field(org, api_for, payload, field):
    response = api_for(org.manager_a).post(RUNS, payload, format="json")
    if field is None:
        assert response.status_code == 202
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SegmentationRun.objects.exists()


def test_boundary_parameters_are_accepted(org):
    params = services.validate_run_parameters(
        {
            "as_of": timezone.localdate().isoformat(),
            "window_months": 60,
            "a_cutoff": "1",
            "b_cutoff": "1",
            "growth_threshold": "-1",
            "high_value_classes": ["B", "A"],
            "visit_cost": "0",
            "make_live": False,
        }
    )
    assert params.a_cutoff == Decimal("1.0000") and params.growth_threshold == Decimal("-1.0000")
    assert params.high_value_classes == ["A", "B"]
    assert services.validate_run_parameters({"growth_threshold": "10", "window_months": 1}).window_months == 1


def test_a_second_start_while_one_is_queued_is_a_409(org, api_for):
    first = api_for(org.manager_a).post(RUNS, {}, format="json")
    assert first.status_code == 202  # queued: the task is sent only after commit
    second = api_for(org.manager_b).post(RUNS, {}, format="json")
    assert second.status_code == 409
    assert SegmentationRun.objects.count() == 1


def test_reps_cannot_use_runs(org, api_for):
    assert api_for(org.rep_a).get(RUNS).status_code == 403
    assert api_for(org.rep_a).post(RUNS, {}, format="json").status_code == 403


def test_a_what_if_run_does_not_become_live_and_make_live_switches_atomically(org, api_for, ledger, compute):
    customer = ledger.customer()
    ledger.order(customer, local(2024, 3, 1), "10.00")
    first, _ = compute(as_of="2024-06-30")
    what_if, _ = compute(as_of="2024-06-30", a_cutoff="0.5", make_live=False)
    first.refresh_from_db()
    assert first.live and not what_if.live
    assert api_for(org.manager_a).post(f"{RUNS}{what_if.pk}/make-live/").status_code == 403
    response = api_for(org.admin).post(f"{RUNS}{what_if.pk}/make-live/")
    assert response.status_code == 200 and response.json()["live"] is True
    assert list(SegmentationRun.objects.filter(live=True)) == [what_if]
    # rollback to the first run
    assert api_for(org.admin).post(f"{RUNS}{first.pk}/make-live/").status_code == 200
    assert selectors.live_run() == first


def test_make_live_refuses_a_run_that_did_not_succeed(org, api_for):
    run = services.start_run(actor=org.admin, parameters={}, enqueue=False)
    response = api_for(org.admin).post(f"{RUNS}{run.pk}/make-live/")
    assert response.status_code == 400 and "status" in response.json()
    assert api_for(org.admin).post(f"{RUNS}999999/make-live/").status_code == 404


def test_compute_only_acts_on_a_queued_run(org, ledger):
    ledger.order(ledger.customer(), local(2024, 3, 1), "10.00")
    run = services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"}, enqueue=False)
    services.compute_run(run_id=run.pk)
    finished_at = SegmentationRun.objects.get(pk=run.pk).finished_at
    services.compute_run(run_id=run.pk)  # a duplicate delivery
    run.refresh_from_db()
    assert run.finished_at == finished_at
    assert TierAssignment.objects.filter(run=run).count() == 1


def test_a_run_failing_midway_leaves_the_old_live_run_live(org, ledger, compute, monkeypatch):
    customer = ledger.customer()
    ledger.order(customer, local(2024, 3, 1), "10.00")
    old, _ = compute(as_of="2024-06-30")

    def broken(*_args):  # a failure after the assignments and aggregates were written
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_pareto", broken)
    run = services.start_run(actor=org.admin, parameters={"as_of": "2024-06-30"}, enqueue=False)
    with pytest.raises(RuntimeError):
        services.compute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "disk full" in run.error and not run.live
    assert not TierAssignment.objects.filter(run=run).exists()
    if connection.vendor == "postgresql":  # the run's partition went with its rows; the old one stays
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass(%s) IS NULL, to_regclass(%s) IS NOT NULL",
                [services.assignment_partition(run.pk), services.assignment_partition(old.pk)],
            )
            assert cursor.fetchone() == (True, True)
    assert not SegmentStat.objects.filter(run=run).exists()
    assert selectors.live_run() == old
    assert selectors.live_assignment(customer_id=customer.pk).run_id == old.pk
    # a new run can start
    assert services.start_run(actor=org.admin, parameters={}, enqueue=False).status == RunStatus.QUEUED


def test_a_stale_running_run_is_failed_by_the_next_start(org, settings):
    settings.SEGMENTATION_STALE_SECONDS = 60
    stale = services.start_run(actor=org.admin, parameters={}, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    SegmentationRun.objects.filter(pk=stale.pk).update(
        status=RunStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    new = services.start_run(actor=org.manager_a, parameters={}, enqueue=False)
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and stale.error
    assert new.status == RunStatus.QUEUED


def test_the_beat_job_fails_stale_runs_but_not_live_ones(org, settings):
    from segmentation.tasks import fail_stale_runs_task

    settings.SEGMENTATION_STALE_SECONDS = 60
    fresh = services.start_run(actor=org.admin, parameters={}, enqueue=False)
    SegmentationRun.objects.filter(pk=fresh.pk).update(status=RunStatus.RUNNING, heartbeat_at=timezone.now())
    assert fail_stale_runs_task.apply().get() == 0
    SegmentationRun.objects.filter(pk=fresh.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=2))
    assert fail_stale_runs_task.apply().get() == 1
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.FAILED


def test_a_queued_run_nobody_picked_up_is_failed_after_the_timeout(org, settings):
    settings.SEGMENTATION_QUEUED_TIMEOUT_SECONDS = 60
    lost = services.start_run(actor=org.admin, parameters={}, enqueue=False)
    SegmentationRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert services.mark_stale_runs_failed() == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_is_a_503_and_the_run_does_not_stay_queued(org, api_for, broker_down):
    response = api_for(org.manager_a).post(RUNS, {}, format="json")
    assert response.status_code == 503
    run = SegmentationRun.objects.get()
    assert run.status == RunStatus.FAILED and run.error
    # the next start is not blocked by it (409 would mean a run stayed queued)
    assert services.start_run(actor=org.manager_a, parameters={}, enqueue=False).status == RunStatus.QUEUED


def test_beat_schedules_exist_and_are_editable_rows():
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks.get("segmentation.nightly_recompute") is True
    assert tasks.get("segmentation.fail_stale_runs") is True


def test_sync_dormancy_moves_stages_both_ways_as_the_system_user(org, ledger):
    from crm.services import get_system_user
    from customers.services.customer import transition_stage

    today = timezone.localdate()
    quiet = ledger.customer(stage="current")
    active = ledger.customer(stage="current")
    back = ledger.customer(stage="current")
    still = ledger.customer(stage="current")
    prospect = ledger.customer(stage="target")
    ledger.order(active, timezone.now() - dt.timedelta(days=30), "5.00")
    ledger.order(quiet, timezone.now() - dt.timedelta(days=400), "5.00")
    for customer in (back, still):
        transition_stage(actor=org.admin, customer=customer, to_stage="dormant", reason="test")
    ledger.order(back, timezone.now(), "5.00")  # a new order after going dormant
    StageChange.objects.filter(customer=still).update(changed_at=timezone.now() + dt.timedelta(seconds=1))
    counts = services.sync_dormancy(as_of=today, window_months=12)
    assert counts == {"to_dormant": 1, "to_current": 1}
    stages = {c.pk: c.stage for c in type(quiet).objects.filter(pk__in=[quiet.pk, active.pk, back.pk, still.pk])}
    assert stages == {quiet.pk: "dormant", active.pk: "current", back.pk: "current", still.pk: "dormant"}
    prospect.refresh_from_db()
    assert prospect.stage == "target"
    change = StageChange.objects.get(customer=quiet, to_stage="dormant")
    assert change.from_stage == "current" and change.changed_by == get_system_user()
    assert StageChange.objects.get(customer=back, to_stage="current").changed_by == get_system_user()
    # idempotent
    assert services.sync_dormancy(as_of=today, window_months=12) == {"to_dormant": 0, "to_current": 0}


def test_nightly_recompute_computes_a_live_run_then_syncs_dormancy(org, ledger):
    from segmentation.tasks import nightly_recompute_task

    quiet = ledger.customer(stage="current")
    nightly_recompute_task.apply().get()
    run = selectors.live_run()
    assert run is not None and run.status == "succeeded" and run.started_by.username == "system"
    quiet.refresh_from_db()
    assert quiet.stage == "dormant"


def test_managers_see_their_teams_assignments_only(org, api_for, ledger, compute, django_assert_max_num_queries):
    from tests.factories import CustomerFactory, OrderFactory

    mine = ledger.customer()
    ledger.order(mine, local(2024, 3, 1), "10.00")
    other = CustomerFactory(owner=org.rep_c)
    OrderFactory(customer=other, ordered_at=local(2024, 3, 1), amount=Decimal("20.00"))
    for _ in range(5):
        ledger.order(ledger.customer(), local(2024, 3, 2), "1.00")
    run, _ = compute(as_of="2024-06-30")
    url = f"{RUNS}{run.pk}/assignments/"
    client = api_for(org.manager_a)
    with django_assert_max_num_queries(4):  # user by token, run, count, page
        body = client.get(url).json()
    assert body["count"] == 6 and other.pk not in {row["customer"] for row in body["results"]}
    assert {row["customer"] for row in api_for(org.manager_b).get(url).json()["results"]} == {other.pk}
    assert api_for(org.admin).get(url).json()["count"] == 7
    row = api_for(org.manager_a).get(url, {"abc_class": "A"}).json()["results"][0]
    assert set(row) == {
        "customer",
        "revenue",
        "previous_revenue",
        "growth",
        "abc_class",
        "bcg_quadrant",
        "recency_days",
        "frequency",
        "r_score",
        "f_score",
        "m_score",
        "profit",
        "loyal",
        "potential_value",
        "share_of_wallet",
    }
    assert row["customer"] == mine.pk and row["revenue"] == "10.00"
    assert api_for(org.manager_a).get(url, {"loyal": "true"}).json()["count"] == 0
    assert api_for(org.manager_a).get(url, {"bcg_quadrant": "star"}).json()["count"] >= 1
    assert api_for(org.manager_a).get(url, {"abc_class": "Z"}).status_code == 400
    ordered = api_for(org.admin).get(url, {"ordering": "-revenue", "page_size": 2}).json()
    assert [r["revenue"] for r in ordered["results"]] == ["20.00", "10.00"] and ordered["next"]
    assert api_for(org.rep_a).get(url).status_code == 403


def test_runs_list_is_paginated_for_managers(org, api_for, compute):
    compute(as_of="2024-06-30")
    body = api_for(org.manager_b).get(RUNS).json()
    assert body["count"] == 1 and body["results"][0]["status"] == "succeeded"


def test_failing_a_run_drops_rows_it_wrote_but_never_touches_a_succeeded_run(org, ledger, compute):
    customer = ledger.customer()
    ledger.order(customer, local(2024, 3, 1), "10.00")
    done, _ = compute(as_of="2024-06-30")
    late = services.start_run(actor=org.admin, parameters={}, enqueue=False)
    SegmentationRun.objects.filter(pk=late.pk).update(status=RunStatus.FAILED)
    TierAssignment.objects.create(
        run=late, customer=customer, revenue=0, previous_revenue=0, abc_class="C", bcg_quadrant="dog", profit=0
    )  # rows a stale worker committed after it was declared dead
    services.fail_run(run_id=late.pk, message="stale")
    services.fail_run(run_id=done.pk, message="too late")
    assert not TierAssignment.objects.filter(run=late).exists()
    done.refresh_from_db()
    assert done.status == RunStatus.SUCCEEDED and TierAssignment.objects.filter(run=done).count() == 1
