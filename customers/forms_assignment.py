"""Page forms of the assignment rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from customers.models import AssignmentRule


class AssignmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ["name", "priority", "territory", "city", "industry", "team", "assignee", "active"]
        help_texts = {
            "priority": _("Lower numbers are tried first."),
            "territory": _("Empty matches any territory."),
            "city": _("Empty matches any city."),
            "industry": _("Empty matches any industry."),
            "team": _("The team's active reps take turns (round-robin)."),
            "assignee": _("Used before the team when both are given."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["priority"].required = False

    def _post_clean(self):
        # The service checks the rule as a whole (create_assignment_rule / update_assignment_rule).
        pass


class AssignmentRuleMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
