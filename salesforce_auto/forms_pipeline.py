from django import forms
from django.utils.translation import gettext_lazy as _

from crm.selectors import visible_users
from customers.selectors.customer import visible_customers
from salesforce_auto.models import Opportunity, OpportunityStage, Quote


class DateInput(forms.DateInput):
    input_type = "date"


class OpportunityForm(forms.ModelForm):
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to use the stage's default."),
    )

    class Meta:
        model = Opportunity
        fields = ["customer", "title", "amount", "stage", "probability", "expected_close_on", "owner", "lost_reason"]
        widgets = {"expected_close_on": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).order_by("name")
        self.fields["owner"].queryset = visible_users(user)
        self.fields["owner"].required = False
        self.fields["amount"].min_value = 0
        if self.instance.pk:
            del self.fields["customer"]


class MoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=OpportunityStage.choices)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=500, required=False)


class ForecastForm(forms.Form):
    start = forms.DateField(
        label=_("From month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=24, initial=6, required=False)
    include_won = forms.BooleanField(label=_("Include won"), required=False, initial=True)


class QuoteCreateForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = ["customer", "opportunity", "title"]

    def __init__(self, *args, user, **kwargs):
        from salesforce_auto.selectors_pipeline import visible_opportunities

        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).order_by("name")
        self.fields["opportunity"].queryset = visible_opportunities(user)


class QuoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    internal_cost = forms.DecimalField(
        label=_("Internal cost"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Required before the quote can be issued."),
    )
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class QuoteLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=200)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=2, min_value=0)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=14, decimal_places=2, min_value=0)


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=2, can_delete=True, max_num=200)
