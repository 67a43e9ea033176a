"""The form a manager fills to start a run; the rules themselves are checked by services.start_run."""

from django import forms
from django.utils.translation import gettext_lazy as _


class StartRunForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    window_months = forms.IntegerField(label=_("Window (months)"), required=False, initial=12)
    a_cutoff = forms.DecimalField(label=_("A cut-off"), required=False, initial="0.8000")
    b_cutoff = forms.DecimalField(label=_("B cut-off"), required=False, initial="0.9500")
    growth_threshold = forms.DecimalField(label=_("Growth threshold"), required=False, initial="0.1000")
    high_value_classes = forms.MultipleChoiceField(
        label=_("High-value classes"),
        choices=[("A", "A"), ("B", "B")],
        initial=["A"],
        widget=forms.CheckboxSelectMultiple,
    )
    visit_cost = forms.DecimalField(label=_("Cost per visit"), required=False, initial="0.00")
    make_live = forms.BooleanField(label=_("Make live when it succeeds"), required=False, initial=True)

    def parameters(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
