"""Forms of the service pages; they only parse input, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.selectors import visible_users
from customers.selectors.customer import visible_customers
from service.models import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    Severity,
    SlaState,
)
from service.selectors import active_rewards

SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]


class ComplaintForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=ComplaintChannel.choices, initial=ComplaintChannel.PHONE)
    category = forms.ChoiceField(label=_("Category"), choices=ComplaintCategory.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    description = forms.CharField(label=_("Description"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(label=_("Handled by"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).select_related(None).only("pk", "name")
        self.fields["owner"].queryset = visible_users(user)
        self.fields["owner"].empty_label = _("The customer's owner")


class ComplaintAnalysisForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    owner = forms.ModelChoiceField(label=_("Handled by"), queryset=None)
    root_cause = forms.CharField(
        label=_("Root cause"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preventive_action = forms.CharField(
        label=_("Preventive action"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = visible_users(user)


class AdvanceForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ComplaintStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ComplaintStatus.choices], required=False
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("Any severity")), *Severity.choices], required=False
    )
    sla_state = forms.ChoiceField(label=_("SLA"), choices=[("", _("Any SLA state")), *SlaState.choices], required=False)


class SurveyForm(forms.Form):
    """Overall score, one optional 1–5 score per active indicator (fields `indicator_<id>`), free text."""

    overall_score = forms.TypedChoiceField(
        label=_("Overall satisfaction"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator_groups = []
        current_class, group = None, None
        for indicator in indicators:
            name = f"indicator_{indicator.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=indicator.name,
                choices=[("", "—"), *SCORE_CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
            )
            if indicator.indicator_class_id != current_class:
                current_class = indicator.indicator_class_id
                group = {"name": indicator.indicator_class.name, "fields": []}
                self.indicator_groups.append(group)
            group["fields"].append(name)

    def bound_groups(self):
        return [{"name": g["name"], "fields": [self[f] for f in g["fields"]]} for g in self.indicator_groups]

    def scores(self) -> dict[int, int]:
        return {
            int(name.removeprefix("indicator_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("indicator_") and value is not None
        }


class ReferralForm(forms.Form):
    referred_name = forms.CharField(label=_("Referred customer"), max_length=200)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("Reward"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = active_rewards()


class AdjustForm(forms.Form):
    points = forms.IntegerField(label=_("Points (negative to deduct)"))
    reason = forms.CharField(label=_("Reason"), max_length=500)
