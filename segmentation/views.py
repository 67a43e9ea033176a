"""Pages of segmentation: the runs list with the start form, a run's detail with its progress bar."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from kombu.exceptions import OperationalError as BrokerOperationalError

from crm.access import is_admin
from segmentation import selectors, services
from segmentation.forms import StartRunForm


def _require_runs(user) -> None:
    if not selectors.can_see_runs(user):
        raise PermissionDenied(_("Only managers and administrators may use segmentation runs."))


@login_required
def run_list(request):
    """Runs, newest first, and the form that starts one (managers and admins)."""
    _require_runs(request.user)
    status = 200
    form = StartRunForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.start_run(actor=request.user, parameters=form.parameters())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                status = 400
            except services.RunConflict as exc:
                messages.error(request, str(exc))
                status = 409
            except BrokerOperationalError:
                messages.error(request, _("The task broker is unavailable; try again later."))
                status = 503
            else:
                messages.success(request, _("Run #%(id)s is queued.") % {"id": run.pk})
                return redirect("segmentation:run-detail", pk=run.pk)
        else:
            status = 400
    runs = selectors.visible_runs(user=request.user)[:50]
    context = {"form": form, "runs": runs, "active": selectors.active_run(), "live": selectors.live_run()}
    return render(request, "segmentation/run_list.html", context, status=status)


@require_safe
@login_required
def run_detail(request, pk: int):
    _require_runs(request.user)
    run = get_object_or_404(selectors.visible_runs(user=request.user), pk=pk)
    context = {"run": run, "can_make_live": is_admin(request.user)}
    if run.status == "succeeded":
        context.update(
            by_class=selectors.segment_counts(run=run, user=request.user, by=("abc_class",)),
            by_quadrant=selectors.segment_counts(run=run, user=request.user, by=("bcg_quadrant",)),
            pareto=selectors.pareto_curve(run)[:: max(1, len(run.pareto) // 20)],
            top=selectors.visible_assignments(user=request.user, run=run)[:50],
        )
    return render(request, "segmentation/run_detail.html", context)


@require_safe
@login_required
def run_progress(request, pk: int):
    """The htmx fragment the run page polls until the run finishes."""
    _require_runs(request.user)
    run = get_object_or_404(selectors.visible_runs(user=request.user), pk=pk)
    response = render(request, "segmentation/_run_progress.html", {"run": run})
    if run.status in ("succeeded", "failed") and request.htmx:
        response["HX-Refresh"] = "true"  # show the finished run's figures
    return response


@login_required
@require_POST
def run_make_live(request, pk: int):
    if not is_admin(request.user):
        raise PermissionDenied(_("Only administrators may switch the live run."))
    run = get_object_or_404(selectors.visible_runs(user=request.user), pk=pk)
    try:
        services.make_live(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Run #%(id)s is now live.") % {"id": run.pk})
    return redirect("segmentation:run-detail", pk=run.pk)
