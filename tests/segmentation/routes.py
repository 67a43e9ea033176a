from tests.permission_matrix import Check, api, expect, page

REPS_FORBIDDEN = {"rep_a": 403, "rep_b": 403}
ADMIN_ONLY = {"rep_a": 403, "rep_b": 403, "manager_a": 403, "manager_b": 403}


def build(world):
    from segmentation import services
    from tests.factories import CustomerFactory, OrderFactory

    customer = CustomerFactory(owner=world.rep_a, stage="current")
    OrderFactory(customer=customer)
    run = services.start_run(actor=world.admin, parameters={}, enqueue=False)
    world.run_a = services.compute_run(run_id=run.pk)


ROUTES = {
    "segmentation-run-list": [
        Check("get", "/api/v1/segmentation/runs/", api(**REPS_FORBIDDEN)),
        # the first start is queued (202); while it waits, every other start is a 409
        Check(
            "post",
            "/api/v1/segmentation/runs/",
            api(**REPS_FORBIDDEN, manager_a=202, manager_b=409, admin=409),
            data={},
        ),
    ],
    "segmentation-run-detail": [
        Check("get", lambda w: f"/api/v1/segmentation/runs/{w.run_a.pk}/", api(**REPS_FORBIDDEN)),
    ],
    "segmentation-run-make-live": [
        Check("post", lambda w: f"/api/v1/segmentation/runs/{w.run_a.pk}/make-live/", api(**ADMIN_ONLY)),
    ],
    "segmentation-run-assignments": [
        Check("get", lambda w: f"/api/v1/segmentation/runs/{w.run_a.pk}/assignments/", api(**REPS_FORBIDDEN)),
    ],
    "segmentation:run-list": [
        Check("get", "/segmentation/runs/", page(**REPS_FORBIDDEN)),
        # a window of 0 months is refused with the form's errors; nothing is started
        Check(
            "post",
            "/segmentation/runs/",
            page(**REPS_FORBIDDEN, manager_a=400, manager_b=400, admin=400),
            data={"window_months": "0"},
            fmt="form",
        ),
    ],
    "segmentation:run-detail": [Check("get", lambda w: f"/segmentation/runs/{w.run_a.pk}/", page(**REPS_FORBIDDEN))],
    "segmentation:run-progress": [
        Check("get", lambda w: f"/segmentation/runs/{w.run_a.pk}/progress/", page(**REPS_FORBIDDEN))
    ],
    "segmentation:run-make-live": [
        Check(
            "post",
            lambda w: f"/segmentation/runs/{w.run_a.pk}/make-live/",
            expect(302, **ADMIN_ONLY),
            fmt="form",
        )
    ],
}
