"""Pages of the orders ledger: a customer's orders, the CSV import and its progress."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from crm.selectors import visible_jobs
from customers.forms_orders import OrderForm, OrderImportForm
from customers.selectors.customer import visible_customers
from customers.selectors.orders import customer_orders as customer_orders_selector
from customers.selectors.orders import order_totals
from customers.services.orders import IMPORT_JOB_KIND, record_order, start_order_import


def _add_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages_:
            form.add_error(target, message)


@login_required
@require_http_methods(["GET", "POST"])
def customer_orders(request, pk: int):
    customer = get_object_or_404(visible_customers(request.user), pk=pk)
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order, created = record_order(actor=request.user, data={"customer": customer.pk, **form.cleaned_data})
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if created:
                messages.success(request, _("Order recorded."))
            else:
                messages.info(request, _("This order number was already recorded; nothing changed."))
            return redirect("orders:customer-orders", pk=customer.pk)
    orders = customer_orders_selector(user=request.user, customer=customer)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/orders/customer_orders.html",
        {"customer": customer, "page": page, "totals": order_totals(orders=orders), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_orders(request):
    form = OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = start_order_import(
                actor=request.user,
                upload=data["file"],
                encoding=data["encoding"],
                source=data["source"],
                all_or_nothing=data["all_or_nothing"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("orders:import-status", pk=job.pk)
    recent = visible_jobs(request.user).filter(kind=IMPORT_JOB_KIND, created_by=request.user)[:10]
    return render(request, "customers/orders/import.html", {"form": form, "recent": recent})


@require_safe
@login_required
def import_status(request, pk: int):
    """The import's progress (htmx polls the shared job fragment) and, once finished, its row-level report."""
    job = get_object_or_404(visible_jobs(request.user).filter(kind=IMPORT_JOB_KIND), pk=pk)
    template = "customers/orders/_import_report.html" if request.htmx else "customers/orders/import_status.html"
    return render(request, template, {"job": job, "result": job.result or {}})
