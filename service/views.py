"""Service pages: complaints (list with SLA state, detail with timeline and actions), surveys, loyalty card."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm.access import is_admin, is_manager
from customers.selectors.customer import visible_customers
from service import selectors, services
from service.forms import (
    AdjustForm,
    AdvanceForm,
    ComplaintAnalysisForm,
    ComplaintFilterForm,
    ComplaintForm,
    RedeemForm,
    ReferralForm,
    SurveyForm,
)
from service.models import ComplaintStatus, LoyaltyLevel, SurveyStatus
from service.services import COMPLAINT_MOVES

PAGE_SIZE = 50


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# --- complaints -------------------------------------------------------------------------------------


@require_safe
@login_required
def complaint_list(request):
    filters = ComplaintFilterForm(request.GET or None)
    complaints = selectors.visible_complaints(request.user)
    if filters.is_valid():
        for name in ("status", "severity", "sla_state"):
            if filters.cleaned_data[name]:
                complaints = complaints.filter(**{name: filters.cleaned_data[name]})
    page = Paginator(complaints.order_by("-received_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "service/complaint_list.html", {"page": page, "filters": filters})


@login_required
def complaint_create(request):
    initial = {"customer": request.GET.get("customer")} if request.GET.get("customer") else None
    form = ComplaintForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.open_complaint(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Complaint recorded."))
            return redirect("service:complaint-detail", pk=complaint.pk)
    return render(request, "service/complaint_form.html", {"form": form})


def _detail_context(request, complaint, *, advance_form=None, analysis_form=None):
    return {
        "complaint": complaint,
        "events": selectors.complaint_timeline(complaint=complaint),
        "next_statuses": [ComplaintStatus(s) for s in sorted(COMPLAINT_MOVES[ComplaintStatus(complaint.status)])],
        "advance_form": advance_form or AdvanceForm(),
        "analysis_form": analysis_form
        or ComplaintAnalysisForm(
            user=request.user,
            initial={
                "severity": complaint.severity,
                "owner": complaint.owner_id,
                "root_cause": complaint.root_cause,
                "corrective_action": complaint.corrective_action,
                "preventive_action": complaint.preventive_action,
            },
        ),
        "surveys": complaint.surveys.order_by("-requested_at"),
    }


@require_safe
@login_required
def complaint_detail(request, pk: int):
    complaint = get_object_or_404(selectors.visible_complaints(request.user), pk=pk)
    return render(request, "service/complaint_detail.html", _detail_context(request, complaint))


def _submit(request, form, call, *, done: str, success_url, failure):
    """Run a service with a valid form's data: success → message and redirect; a form or service error → the
    page again (400) with the errors on the form. `failure(form)` renders that page."""
    if form.is_valid():
        try:
            call(**form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(success_url)
    return failure(form)


@login_required
@require_POST
def complaint_advance(request, pk: int):
    complaint = get_object_or_404(selectors.visible_complaints(request.user), pk=pk)
    return _submit(
        request,
        AdvanceForm(request.POST),
        lambda **data: services.advance_complaint(actor=request.user, complaint=complaint, **data),
        done=_("Status updated."),
        success_url=reverse("service:complaint-detail", kwargs={"pk": complaint.pk}),
        failure=lambda form: render(
            request, "service/complaint_detail.html", _detail_context(request, complaint, advance_form=form), status=400
        ),
    )


@login_required
@require_POST
def complaint_update(request, pk: int):
    complaint = get_object_or_404(selectors.visible_complaints(request.user), pk=pk)
    return _submit(
        request,
        ComplaintAnalysisForm(request.POST, user=request.user),
        lambda **data: services.update_complaint(actor=request.user, complaint=complaint, **data),
        done=_("Complaint updated."),
        success_url=reverse("service:complaint-detail", kwargs={"pk": complaint.pk}),
        failure=lambda form: render(
            request,
            "service/complaint_detail.html",
            _detail_context(request, complaint, analysis_form=form),
            status=400,
        ),
    )


# --- notifications ----------------------------------------------------------------------------------


@require_safe
@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "service/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(selectors.notifications_for(request.user), pk=pk)
    services.mark_notification_read(actor=request.user, notification=notification)
    return redirect(notification.link or "service:notification-list")


# --- satisfaction -----------------------------------------------------------------------------------


@require_safe
@login_required
def survey_list(request):
    by = request.GET.get("by", "month")
    if by not in selectors.ROLLUP_DIMENSIONS:
        by = "month"
    surveys = selectors.visible_surveys(request.user).order_by("-requested_at", "-id")
    status = request.GET.get("status")
    if status in SurveyStatus.values:
        surveys = surveys.filter(status=status)
    page = Paginator(surveys, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "by": by,
        "dimensions": selectors.ROLLUP_DIMENSIONS,
        "rollup": selectors.survey_rollup(user=request.user, by=by)[:200],
        "status": status,
    }
    return render(request, "service/survey_list.html", context)


def _survey_form_page(request, *, customer, survey=None):
    form = SurveyForm(request.POST or None, indicators=selectors.active_indicators())
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.record_survey(
                actor=request.user,
                customer=customer,
                survey=survey,
                overall_score=form.cleaned_data["overall_score"],
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Survey recorded. Thank you!"))
            return redirect("service:loyalty-card", customer_id=survey.customer_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "service/survey_form.html", {"form": form, "customer": customer, "survey": survey}, status=status
    )


@login_required
def survey_entry(request, pk: int):
    """Fill in a requested survey (requested when a complaint was resolved)."""
    survey = get_object_or_404(selectors.visible_surveys(request.user), pk=pk)
    if survey.status == SurveyStatus.COMPLETED:
        return render(
            request,
            "service/survey_done.html",
            {"survey": survey, "scores": survey.scores.select_related("indicator__indicator_class")},
        )
    return _survey_form_page(request, customer=survey.customer, survey=survey)


@login_required
def survey_create(request, customer_id: int):
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    return _survey_form_page(request, customer=customer)


# --- loyalty card -------------------------------------------------------------------------------------


@require_safe
@login_required
def loyalty_list(request):
    advocates_only = request.GET.get("advocates") == "1"
    customers = selectors.loyalty_overview(request.user, advocates_only=advocates_only)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    levels = selectors.loyalty_levels(customer_ids=[c.pk for c in page])
    rows = [(customer, LoyaltyLevel(levels.get(customer.pk, LoyaltyLevel.NONE))) for customer in page]
    return render(request, "service/loyalty_list.html", {"page": page, "rows": rows, "advocates_only": advocates_only})


def _card_context(request, customer, **forms):
    card = selectors.loyalty_card(user=request.user, customer=customer)
    return {
        "card": card,
        "customer": customer,
        "can_adjust": is_admin(request.user) or is_manager(request.user),
        "redeem_form": forms.get("redeem_form") or RedeemForm(),
        "adjust_form": forms.get("adjust_form") or AdjustForm(),
        "referral_form": forms.get("referral_form") or ReferralForm(),
    }


@require_safe
@login_required
def loyalty_card(request, customer_id: int):
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    return render(request, "service/loyalty_card.html", _card_context(request, customer))


@login_required
@require_POST
def loyalty_enroll(request, customer_id: int):
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    _account, created = services.enroll(actor=request.user, customer=customer)
    if created:
        messages.success(request, _("Welcome to the lifetime customer club."))
    return redirect("service:loyalty-card", customer_id=customer.pk)


def _account_or_404(request, customer):
    return get_object_or_404(selectors.visible_accounts(request.user), customer=customer)


def _points_action(request, customer_id: int, *, form_class, service, form_name: str, done_message: str):
    """Redeem or adjust points from the loyalty card: the service decides, the card shows errors."""
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    account = _account_or_404(request, customer)
    return _submit(
        request,
        form_class(request.POST),
        lambda **data: service(actor=request.user, account=account, **data),
        done=done_message,
        success_url=reverse("service:loyalty-card", kwargs={"customer_id": customer.pk}),
        failure=lambda form: render(
            request, "service/loyalty_card.html", _card_context(request, customer, **{form_name: form}), status=400
        ),
    )


@login_required
@require_POST
def loyalty_redeem(request, customer_id: int):
    return _points_action(
        request,
        customer_id,
        form_class=RedeemForm,
        service=services.redeem,
        form_name="redeem_form",
        done_message=_("Points redeemed."),
    )


@login_required
@require_POST
def loyalty_adjust(request, customer_id: int):
    return _points_action(
        request,
        customer_id,
        form_class=AdjustForm,
        service=services.adjust_points,
        form_name="adjust_form",
        done_message=_("Points adjusted."),
    )


@login_required
@require_POST
def referral_create(request, customer_id: int):
    customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    return _submit(
        request,
        ReferralForm(request.POST),
        lambda **data: services.record_referral(actor=request.user, referrer=customer, **data),
        done=_("Referral recorded."),
        success_url=reverse("service:loyalty-card", kwargs={"customer_id": customer.pk}),
        failure=lambda form: render(
            request, "service/loyalty_card.html", _card_context(request, customer, referral_form=form), status=400
        ),
    )


@login_required
@require_POST
def referral_convert(request, pk: int):
    referral = get_object_or_404(selectors.visible_referrals(request.user), pk=pk)
    services.convert_referral(actor=request.user, referral=referral)
    messages.success(request, _("Referral marked as converted."))
    return redirect("service:loyalty-card", customer_id=referral.referrer_id)
