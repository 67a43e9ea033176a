"""Assignment rule pages: the list in the order rules are tried, create, edit, delete, move up/down.
Admins manage the rules; managers may read the list; reps get a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from customers.forms import apply_errors
from customers.forms_assignment import AssignmentRuleForm, AssignmentRuleMoveForm
from customers.models import AssignmentRule
from customers.selectors.assignment import (
    assignment_rule_list,
    can_manage_assignment_rules,
    can_view_assignment_rules,
    visible_assignment_rules,
)
from customers.services import assignment as services


def _require_manage(request) -> None:
    if not can_manage_assignment_rules(request.user):
        raise PermissionDenied


def _rule_or_404(request, pk: int) -> AssignmentRule:
    return get_object_or_404(visible_assignment_rules(user=request.user), pk=pk)


@login_required
def rule_list(request):
    if not can_view_assignment_rules(request.user):
        raise PermissionDenied
    return render(
        request,
        "customers/assignment_rules.html",
        {"rules": assignment_rule_list(user=request.user), "can_manage": can_manage_assignment_rules(request.user)},
    )


def _saved(form: AssignmentRuleForm) -> dict:
    data = dict(form.cleaned_data)
    if data.get("priority") is None:
        data.pop("priority", None)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    _require_manage(request)
    form = AssignmentRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_assignment_rule(actor=request.user, **_saved(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Assignment rule saved."))
            return redirect("customers:assignment-rules")
    return render(request, "customers/assignment_rule_form.html", {"form": form, "rule": None})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    _require_manage(request)
    rule = _rule_or_404(request, pk)
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_assignment_rule(actor=request.user, rule=rule, **_saved(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Assignment rule saved."))
            return redirect("customers:assignment-rules")
    return render(request, "customers/assignment_rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_delete(request, pk: int):
    _require_manage(request)
    rule = _rule_or_404(request, pk)
    services.delete_assignment_rule(actor=request.user, rule=rule)
    messages.success(request, _("Assignment rule deleted."))
    return redirect("customers:assignment-rules")


@login_required
@require_POST
def rule_move(request, pk: int):
    _require_manage(request)
    rule = _rule_or_404(request, pk)
    form = AssignmentRuleMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose up or down."))
    else:
        services.move_assignment_rule(actor=request.user, rule=rule, direction=form.cleaned_data["direction"])
    return redirect("customers:assignment-rules")
