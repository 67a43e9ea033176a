"""Pages of the shared core: home, health check, job progress."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from crm import selectors


@require_safe
@login_required
def home(request):
    return render(request, "crm/home.html", {"team_members": selectors.visible_users(request.user)[:50]})


@never_cache
@require_GET
def healthz(request):
    """Database and (when configured) Redis; 200 when all answer, else 503."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
            healthy = False
    else:
        checks["redis"] = "not configured"
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@require_safe
@login_required
def job_progress(request, pk: int):
    """The htmx fragment a page polls while a background job runs."""
    job = get_object_or_404(selectors.visible_jobs(request.user), pk=pk)
    return render(request, "crm/_job_progress.html", {"job": job})


def not_found(request, exception):
    """API clients get DRF's JSON shape for an unknown URL (DESIGN §5); pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("A server error occurred."))}, status=500)
    return defaults.server_error(request)
