"""Customer pages: list (filters, search, export), card, create/edit, lifecycle and level moves, contacts,
MAN qualification, evaluation and ranking, import with progress."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from kombu.exceptions import OperationalError as BrokerOperationalError

from crm import selectors as crm_selectors
from crm import services as jobs
from customers.forms import (
    ContactForm,
    CustomerForm,
    CustomerListForm,
    EvaluationForm,
    ImportForm,
    LevelForm,
    QualificationForm,
    TransitionForm,
    apply_errors,
    with_live_tier,
)
from customers.models import Contact, Customer, Qualification
from customers.selectors import customer as selectors
from customers.services import customer as services
from customers.tasks import IMPORT_JOB_KIND, import_customers_job
from salesforce_auto.selectors import survey_completeness
from segmentation import selectors as segmentation_selectors

PAGE_SIZE = 25
EXPORT_COLUMNS = [*services.IMPORT_COLUMNS, "abc_class", "bcg_quadrant"]


def _customer_or_404(user, pk: int) -> Customer:
    try:
        return selectors.customer_detail(user=user, pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _filtered(request):
    queryset = with_live_tier(selectors.visible_customers(request.user))
    listing = CustomerListForm(request.GET or None, queryset=queryset, request=request)
    if listing.is_bound and not listing.is_valid():
        return listing, queryset.none()
    qs = listing.qs
    if not (request.GET.get("sort")):
        qs = qs.order_by("name", "pk")
    return listing, qs


@require_safe
@login_required
def customer_list(request):
    listing, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/list.html",
        {"filter": listing, "page": page, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


@require_safe
@login_required
def customer_export(request):
    """The filtered list as CSV (UTF-8 with BOM so spreadsheet programs read Chinese); columns re-import as is."""
    _listing, qs = _filtered(request)
    rows = qs.values_list(
        "external_ref",
        "name",
        "stage",
        "relationship_level__code",
        "owner__username",
        "territory__code",
        "city",
        "address",
        "phone",
        "industry",
        "source",
        "notes",
        "business_area_m2",
        "years_in_business",
        "staff_count",
        "monthly_purchase_volume",
        "distribution_reach",
        "credit_notes",
        "abc_class",
        "bcg_quadrant",
    )
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow(["" if v is None else v for v in row])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def _detail_context(request, customer: Customer, **forms) -> dict:
    scorecard = selectors.active_scorecard()
    qualification = Qualification.objects.filter(customer=customer).first()
    return {
        "customer": customer,
        "completeness": selectors.profile_completeness(customer=customer),
        "timeline": selectors.customer_timeline(customer=customer),
        "tier": segmentation_selectors.live_assignment(customer_id=customer.pk),
        "survey_percent": _percent(survey_completeness(customer=customer)),
        "qualification": qualification,
        "scorecard": scorecard,
        "evaluation": selectors.latest_evaluation(customer=customer, scorecard=scorecard),
        "transition_form": forms.get("transition_form") or TransitionForm(customer=customer),
        "level_form": forms.get("level_form")
        or LevelForm(initial={"level": getattr(customer.relationship_level, "code", None)}),
        "qualification_form": forms.get("qualification_form") or QualificationForm(instance=qualification),
        "qualifiable": customer.stage in services.QUALIFIABLE_STAGES,
        "evaluable": customer.stage in services.EVALUABLE_STAGES,
    }


@require_safe
@login_required
def customer_detail(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    return render(request, "customers/detail.html", _detail_context(request, customer))


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request):
    form = CustomerForm(request.POST or None, actor=request.user)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                brands = services.ensure_brands(names=form.brand_names())
                customer = services.create_customer(
                    actor=request.user,
                    confirm_duplicate=form.cleaned_data.get("confirm_duplicate", False),
                    brands_carried=brands,
                    **form.service_fields(),
                )
        except services.DuplicateCustomerError as exc:
            duplicate = exc.existing
            apply_errors(form, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "duplicate": duplicate, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    form = CustomerForm(request.POST or None, instance=customer, actor=request.user)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                brands = services.ensure_brands(names=form.brand_names())
                services.update_customer(
                    actor=request.user,
                    customer=customer,
                    confirm_duplicate=form.cleaned_data.get("confirm_duplicate", False),
                    brands_carried=brands,
                    **form.service_fields(),
                )
        except services.DuplicateCustomerError as exc:
            duplicate = exc.existing
            apply_errors(form, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request, "customers/form.html", {"form": form, "duplicate": duplicate, "creating": False, "customer": customer}
    )


@login_required
@require_POST
def customer_transition(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    form = TransitionForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            services.transition_stage(
                actor=request.user,
                customer=customer,
                to_stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Stage changed."))
            return redirect("customers:detail", pk=customer.pk)
    context = _detail_context(request, customer, transition_form=form)
    return render(request, "customers/detail.html", context, status=400)


@login_required
@require_POST
def customer_level(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            services.change_relationship_level(
                actor=request.user,
                customer=customer,
                level_code=form.cleaned_data["level"].code,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Relationship level changed."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/detail.html", _detail_context(request, customer, level_form=form), status=400)


@login_required
@require_POST
def customer_qualify(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    form = QualificationForm(request.POST)
    if form.is_valid():
        try:
            services.qualify(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("MAN qualification saved."))
            return redirect("customers:detail", pk=customer.pk)
    context = _detail_context(request, customer, qualification_form=form)
    return render(request, "customers/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_contact(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


def _contact_or_404(user, pk: int) -> Contact:
    return get_object_or_404(selectors.visible_contacts(user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int):
    contact = _contact_or_404(request.user, pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(actor=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("customers:detail", pk=contact.customer_id)
    return render(
        request, "customers/contact_form.html", {"form": form, "customer": contact.customer, "contact": contact}
    )


@login_required
@require_POST
def contact_delete(request, pk: int):
    contact = _contact_or_404(request.user, pk)
    services.delete_contact(actor=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("customers:detail", pk=contact.customer_id)


@login_required
@require_http_methods(["GET", "POST"])
def customer_evaluate(request, pk: int):
    customer = _customer_or_404(request.user, pk)
    scorecard = selectors.active_scorecard()
    if scorecard is None:
        messages.error(request, _("No evaluation scorecard is defined yet; an administrator sets one up."))
        return redirect("customers:detail", pk=customer.pk)
    form = EvaluationForm(request.POST or None, scorecard=scorecard)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluate(
                actor=request.user,
                customer=customer,
                scorecard=scorecard,
                actual_ratios=form.actual_ratios(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Evaluation saved: %(score)s points.") % {"score": evaluation.total_score})
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/evaluate.html",
        {
            "customer": customer,
            "scorecard": scorecard,
            "form": form,
            "evaluation": selectors.latest_evaluation(customer=customer, scorecard=scorecard),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_safe
@login_required
def evaluation_ranking(request):
    scorecard = selectors.active_scorecard()
    ranking = selectors.evaluation_ranking(user=request.user, scorecard=scorecard) if scorecard else []
    page = Paginator(ranking, 50).get_page(request.GET.get("page"))
    return render(request, "customers/ranking.html", {"scorecard": scorecard, "page": page})


def _start_import(request, *, rows: list[dict], import_valid_rows: bool, file_name: str):
    job = jobs.create_job(
        actor=request.user,
        kind=IMPORT_JOB_KIND,
        parameters={"rows": rows, "import_valid_rows": import_valid_rows, "file_name": file_name},
    )

    def enqueue():
        try:
            import_customers_job.delay(job.pk)
        except BrokerOperationalError:
            # The status page then shows the failure instead of a job queued for ever.
            jobs.fail_job(job=job, message=_("The task broker is unavailable; try again later."))

    transaction.on_commit(enqueue)
    return redirect("customers:import-status", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def customer_import(request):
    if request.method == "POST" and request.POST.get("rerun"):
        # "Import the valid rows" after a report: the same rows, this time skipping the bad ones.
        previous = get_object_or_404(
            crm_selectors.visible_jobs(request.user), pk=request.POST["rerun"], kind=IMPORT_JOB_KIND
        )
        if previous.created_by_id != request.user.pk:
            raise PermissionDenied
        return _start_import(
            request,
            rows=previous.parameters.get("rows", []),
            import_valid_rows=True,
            file_name=previous.parameters.get("file_name", ""),
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = services.read_customer_file(file_name=upload.name, content=upload.read())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _start_import(
                request,
                rows=rows,
                import_valid_rows=form.cleaned_data["import_valid_rows"],
                file_name=upload.name,
            )
    return render(request, "customers/import.html", {"form": form, "columns": services.IMPORT_COLUMNS})


@require_safe
@login_required
def customer_import_status(request, pk: int):
    """The import's progress (polled with htmx while it runs), then its row-level report."""
    job = get_object_or_404(crm_selectors.visible_jobs(request.user), pk=pk, kind=IMPORT_JOB_KIND)
    template = "customers/_import_status.html" if request.htmx else "customers/import_status.html"
    return render(
        request,
        template,
        {"job": job, "report": job.result, "rerun_url": reverse("customers:import")},
    )
