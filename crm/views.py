"""Pages of the shared core: home, health check, job progress."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crm import selectors


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


@login_required
def job_progress(request, pk: int):
    """The htmx fragment a page polls while a background job runs."""
    job = get_object_or_404(selectors.visible_jobs(request.user), pk=pk)
    return render(request, "crm/_job_progress.html", {"job": job})
