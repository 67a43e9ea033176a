"""Pages of the pipeline: the board by stage, opportunities, the forecast table and the quote editor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm.selectors import visible_users
from salesforce_auto import selectors_pipeline as selectors
from salesforce_auto import services_pipeline as services
from salesforce_auto.forms_pipeline import (
    ForecastForm,
    MoveForm,
    OpportunityForm,
    QuoteCreateForm,
    QuoteForm,
    QuoteLineFormSet,
)
from salesforce_auto.models import OpportunityStage, Quote


def _add_errors(form, error: ValidationError) -> None:
    for field, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _next(request, default: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_safe
@login_required
def board(request):
    owner_id = request.GET.get("owner")
    owner_id = int(owner_id) if owner_id and owner_id.isdigit() else None
    columns = selectors.pipeline_board(user=request.user, owner_id=owner_id)
    stages = [(value, label, columns[value]) for value, label in OpportunityStage.choices]
    return render(
        request,
        "salesforce_auto/pipeline/board.html",
        {"stages": stages, "owners": visible_users(request.user), "owner_id": owner_id, "move_form": MoveForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_new(request):
    form = OpportunityForm(request.POST or None, user=request.user, initial={"customer": request.GET.get("customer")})
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.create_opportunity(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Opportunity created."))
            return redirect("pipeline:opportunity", pk=opportunity.pk)
    return render(request, "salesforce_auto/pipeline/opportunity_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_detail(request, pk: int):
    opportunity = get_object_or_404(selectors.visible_opportunities(request.user), pk=pk)
    form = OpportunityForm(request.POST or None, instance=opportunity, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.update_opportunity(actor=request.user, opportunity=opportunity, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("pipeline:opportunity", pk=pk)
    opportunity.refresh_from_db()
    return render(
        request,
        "salesforce_auto/pipeline/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "form": form,
            "quotes": selectors.visible_quotes(request.user).filter(opportunity=opportunity),
        },
    )


@login_required
@require_POST
def opportunity_move(request, pk: int):
    opportunity = get_object_or_404(selectors.visible_opportunities(request.user), pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
    else:
        try:
            services.move_opportunity(actor=request.user, opportunity=opportunity, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Opportunity moved."))
    return _next(request, "pipeline:board")


@login_required
@require_POST
def opportunity_order(request, pk: int):
    opportunity = get_object_or_404(selectors.visible_opportunities(request.user), pk=pk)
    try:
        order = services.create_order_from_opportunity(actor=request.user, opportunity=opportunity)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("pipeline:opportunity", pk=pk)
    messages.success(request, _("The order is in the ledger."))
    return redirect("orders:customer-orders", pk=order.customer_id)


@require_safe
@login_required
def forecast(request):
    form = ForecastForm(request.GET or None)
    params = {"start": None, "months": 6, "include_won": True}
    if request.GET and form.is_valid():
        params = {
            "start": form.cleaned_data["start"],
            "months": form.cleaned_data["months"] or 6,
            "include_won": form.cleaned_data["include_won"],
        }
    result = selectors.forecast(user=request.user, **params)
    return render(
        request,
        "salesforce_auto/pipeline/forecast.html",
        {"form": form, "forecast": result, "reps": result.rep_table(), "teams": result.team_table()},
    )


@require_safe
@login_required
def quotes(request):
    rows = selectors.visible_quotes(request.user).order_by("-created_at", "-id")[:200]
    return render(request, "salesforce_auto/pipeline/quotes.html", {"quotes": rows})


@login_required
@require_http_methods(["GET", "POST"])
def quote_new(request):
    form = QuoteCreateForm(
        request.POST or None,
        user=request.user,
        initial={"customer": request.GET.get("customer"), "opportunity": request.GET.get("opportunity")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.create_quote(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("pipeline:quote", pk=quote.pk)
    return render(request, "salesforce_auto/pipeline/quote_new.html", {"form": form})


def _quote(request, pk: int) -> Quote:
    try:
        return selectors.quote_with_lines(user=request.user, pk=pk)
    except Quote.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def quote_editor(request, pk: int):
    quote = _quote(request, pk)
    initial_lines = [
        {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in quote.lines.all()
    ]
    form = QuoteForm(
        request.POST or None,
        initial={
            "title": quote.title,
            "valid_until": quote.valid_until,
            "internal_cost": quote.internal_cost,
            "notes": quote.notes,
        },
    )
    # Initial rows only on GET: on POST every row counts as typed, so unchanged rows are kept.
    if request.method == "POST":
        lines = QuoteLineFormSet(request.POST, prefix="lines")
    else:
        lines = QuoteLineFormSet(initial=initial_lines, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        # Untouched extra rows come back empty; rows ticked for deletion are dropped.
        kept = [line.cleaned_data for line in lines.forms if line.cleaned_data and not line.cleaned_data.get("DELETE")]
        try:
            services.update_quote(actor=request.user, quote=quote, lines=kept, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _add_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("Quote saved."))
            return redirect("pipeline:quote", pk=pk)
    return render(
        request,
        "salesforce_auto/pipeline/quote_editor.html",
        {"quote": quote, "form": form, "lines": lines, "editable": quote.status == "draft"},
    )


@login_required
@require_POST
def quote_issue(request, pk: int):
    quote = _quote(request, pk)
    try:
        services.issue_quote(actor=request.user, quote=quote)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Quote issued."))
    return redirect("pipeline:quote", pk=pk)
