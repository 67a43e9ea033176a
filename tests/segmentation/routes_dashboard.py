from tests.permission_matrix import Check, api, page

MANAGERS_ONLY_PAGE = page(rep_a=403, rep_b=403)
MANAGERS_ONLY_API = api(rep_a=403, rep_b=403)

ROUTES = {
    "dashboard:home": [
        Check("get", "/dashboard/", MANAGERS_ONLY_PAGE),
        Check("get", lambda w: f"/dashboard/?team={w.team_a.pk}", page(rep_a=403, rep_b=403, manager_b=404)),
    ],
    "dashboard:csv": [
        Check("get", "/dashboard/activity.csv", MANAGERS_ONLY_PAGE),
        Check("get", "/dashboard/bcg-density.csv", MANAGERS_ONLY_PAGE),
        Check("get", lambda w: f"/dashboard/bcg.csv?team={w.team_a.pk}", page(rep_a=403, rep_b=403, manager_b=404)),
    ],
    "dashboard-activity": [
        Check("get", "/api/v1/dashboard/activity/", MANAGERS_ONLY_API),
        Check(
            "get", lambda w: f"/api/v1/dashboard/activity/?team={w.team_a.pk}", api(rep_a=403, rep_b=403, manager_b=404)
        ),
    ],
    "dashboard-pipeline": [Check("get", "/api/v1/dashboard/pipeline/", MANAGERS_ONLY_API)],
    "dashboard-complaints": [Check("get", "/api/v1/dashboard/complaints/", MANAGERS_ONLY_API)],
    "dashboard-conversion": [Check("get", "/api/v1/dashboard/conversion/", MANAGERS_ONLY_API)],
    "dashboard-tiers": [
        Check("get", "/api/v1/dashboard/tiers/", MANAGERS_ONLY_API),
        Check(
            "get", lambda w: f"/api/v1/dashboard/tiers/?team={w.team_a.pk}", api(rep_a=403, rep_b=403, manager_b=404)
        ),
    ],
    "dashboard-bcg": [
        Check("get", "/api/v1/dashboard/bcg/", MANAGERS_ONLY_API),
        Check("get", lambda w: f"/api/v1/dashboard/bcg/?team={w.team_a.pk}", api(rep_a=403, rep_b=403, manager_b=404)),
    ],
    "dashboard-migration": [
        Check("get", "/api/v1/dashboard/migration/", MANAGERS_ONLY_API),
        Check("get", "/api/v1/dashboard/migration/?run=999999", api(rep_a=403, rep_b=403, default=404)),
    ],
}
