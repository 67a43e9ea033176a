"""Pages of field sales (visits side): the rep's home, the visit form (offline queue), daily reports, the
manager's team view, plans, appointments and the survey form."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from kombu.exceptions import OperationalError as BrokerOperationalError

from crm.access import is_admin, is_manager
from customers.selectors.customer import visible_customers
from salesforce_auto import forms, selectors, services, tasks
from salesforce_auto.models import DailyReportStatus, FailureReason, SurveyAspect


def _require_manager(user):
    if not (is_admin(user) or is_manager(user)):
        raise PermissionDenied(_("Only managers and administrators may see this page."))


def _add_form_errors(form, error: ValidationError):
    for field, msgs in error.message_dict.items():
        form.add_error(field if field in form.fields else None, msgs)


@require_safe
@login_required
def me(request):
    """The rep's home: today's agenda and the week's, queued reports, follow-ups due, pause warnings, my
    customers by ABC class and BCG quadrant (live run) and my open complaints. The face layer may read any
    app's selectors (DESIGN §2): the tiers come from segmentation, the complaints from service."""
    from segmentation.selectors_dashboard import BCG_QUADRANTS, my_value_tiers
    from service.selectors import open_complaints

    today = selectors.local_today()
    user = request.user
    context = {
        "tiers": my_value_tiers(user=user),
        "quadrants": BCG_QUADRANTS,
        "complaints": open_complaints(user=user)[:20],
        "today": today,
        "agenda_today": selectors.agenda(user=user, start=today),
        "agenda_week": selectors.agenda(user=user, start=today + dt.timedelta(days=1), days=6),
        "follow_ups": selectors.follow_ups_due(user=user, on=today)[:50],
        "pauses": selectors.pause_suggested(user=user)[:50],
        "customers": selectors.my_customers(user=user)[:100],
        "daily_report": selectors.visible_daily_reports(user).filter(rep=user, date=today).first(),
    }
    return render(request, "salesforce_auto/me.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    if request.method == "POST":
        form = forms.VisitForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                report, created = services.submit_visit(actor=request.user, data=form.to_input())
            except ValidationError as error:
                _add_form_errors(form, error)
            else:
                if created:
                    messages.success(request, _("Visit report saved."))
                else:
                    messages.info(request, _("This visit report had already been received."))
                return redirect("salesforce_auto:visit-detail", pk=report.pk)
    else:
        initial = {}
        if request.GET.get("customer", "").isdigit():
            initial["customer"] = request.GET["customer"]
        form = forms.VisitForm(user=request.user, initial=initial)
    offset = timezone.localtime().utcoffset() or dt.timedelta(0)
    context = {"form": form, "tz_offset": int(offset.total_seconds() // 60)}
    return render(request, "salesforce_auto/visit_form.html", context)


@require_safe
@login_required
def visit_list(request):
    visits = selectors.visible_visits(request.user).order_by("-visited_at", "-id")[:100]
    return render(request, "salesforce_auto/visit_list.html", {"visits": visits})


@require_safe
@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(selectors.visible_visits(request.user), pk=pk)
    return render(request, "salesforce_auto/visit_detail.html", {"visit": visit})


@never_cache
@require_GET
def service_worker(request):
    """The offline service worker, served from the root so that it may control every page."""
    path = settings.BASE_DIR / "static" / "js" / "visit-sw.js"
    response = HttpResponse(path.read_text(encoding="utf-8"), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def daily_report(request):
    """客户扫街日报表 of the rep for a local date (default today): the visits, counts, and the summary to send."""
    day = timezone.localdate()
    raw = request.GET.get("date") or request.POST.get("date")
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, _("Unknown date; showing today."))
    form = forms.DailySummaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_daily_report(actor=request.user, day=day, summary=form.cleaned_data["summary"])
        except ValidationError as error:
            _add_form_errors(form, error)
        else:
            messages.success(request, _("Daily report sent to your manager."))
            return redirect(f"{request.path}?date={day.isoformat()}")
    report = selectors.visible_daily_reports(request.user).filter(rep=request.user, date=day).first()
    if request.method == "GET":
        form = forms.DailySummaryForm(initial={"summary": report.summary if report else ""})
    context = {
        "day": day,
        "report": report,
        "counts": selectors.daily_counts(rep=request.user, day=day),
        "submitted": report is not None and report.status == DailyReportStatus.SUBMITTED,
        "visits": selectors.visits_of_local_date(rep=request.user, day=day),
        "form": form,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    return render(request, "salesforce_auto/daily_report.html", context)


@require_safe
@login_required
def team_reports(request):
    """The manager's team view: recent daily reports and weekly summaries."""
    _require_manager(request.user)
    since = timezone.localdate() - dt.timedelta(days=14)
    context = {
        "daily_reports": selectors.team_daily_reports(user=request.user, since=since)[:200],
        "weekly_summaries": selectors.visible_weekly_summaries(request.user)[:20],
        "last_week": services.previous_week_start(),
    }
    return render(request, "salesforce_auto/team_reports.html", context)


@require_safe
@login_required
def daily_detail(request, pk: int):
    """One submitted daily report with the rep's visits of that date (the manager reads it here)."""
    report = get_object_or_404(selectors.visible_daily_reports(request.user), pk=pk)
    context = {"report": report, "visits": selectors.visits_of_local_date(rep=report.rep, day=report.date)}
    return render(request, "salesforce_auto/daily_detail.html", context)


@require_safe
@login_required
def weekly_detail(request, pk: int):
    _require_manager(request.user)
    summary = get_object_or_404(selectors.visible_weekly_summaries(request.user), pk=pk)
    labels = dict(FailureReason.choices)
    failure_reasons = [(labels.get(code, code), n) for code, n in summary.failure_reasons.items()]
    context = {"summary": summary, "failure_reasons": failure_reasons}
    return render(request, "salesforce_auto/weekly_detail.html", context)


@login_required
@require_POST
def weekly_build(request):
    """Build a week's summaries now (the Monday job does it on its own)."""
    _require_manager(request.user)
    raw = request.POST.get("week_start") or services.previous_week_start().isoformat()
    try:
        week_start = dt.date.fromisoformat(raw)
    except ValueError:
        week_start = None
    if week_start is None or week_start.weekday() != 0:
        messages.error(request, _("A week starts on a Monday."))
    else:
        try:
            tasks.build_weekly_summaries.delay(week_start.isoformat())
        except BrokerOperationalError:
            messages.error(request, _("The task queue is unavailable; try again later."))
        else:
            messages.success(request, _("The weekly summaries are being built."))
    return redirect("salesforce_auto:team-reports")


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    form = forms.VisitPlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_visit_plan(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_form_errors(form, error)
        else:
            messages.success(request, _("Visit plan saved."))
            return redirect("salesforce_auto:me")
    return render(request, "salesforce_auto/plan_form.html", {"form": form, "title": _("New visit plan")})


@login_required
@require_http_methods(["GET", "POST"])
def appointment_new(request):
    form = forms.AppointmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_appointment(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_form_errors(form, error)
        else:
            messages.success(request, _("Appointment saved."))
            return redirect("salesforce_auto:me")
    return render(request, "salesforce_auto/plan_form.html", {"form": form, "title": _("New appointment")})


@login_required
@require_http_methods(["GET", "POST"])
def customer_survey(request, customer_id: int):
    """客户调查表 of one customer: the latest answer per question, completeness, and a form to add answers."""
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    latest = {a.question_id: a for a in selectors.latest_answers(customer=customer)}
    questions = list(selectors.active_questions())
    form = forms.SurveyForm(request.POST or None, questions=questions, latest={k: a.answer for k, a in latest.items()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_survey_answers(actor=request.user, customer=customer, answers=form.answers())
        except ValidationError as error:
            _add_form_errors(form, error)
        else:
            messages.success(request, _("Survey answers saved."))
            return redirect("salesforce_auto:customer-survey", customer_id=customer.pk)
    groups = []
    for value, label in SurveyAspect.choices:
        rows = [(q, form[f"survey_{q.pk}"], latest.get(q.pk)) for q in questions if q.aspect == value]
        if rows:
            groups.append((label, rows))
    context = {
        "customer": customer,
        "groups": groups,
        "form": form,
        "completeness": selectors.survey_completeness(customer=customer),
    }
    return render(request, "salesforce_auto/survey.html", context)
