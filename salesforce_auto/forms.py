"""Page forms of field sales (visits side). They parse input; the rules live in services."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.selectors.customer import visible_customers
from salesforce_auto import selectors, services
from salesforce_auto.models import Appointment, BuyingSignal, FailureReason, SurveyAspect, VisitMethod, VisitPlan

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VisitForm(forms.Form):
    """The street-visit form; the browser script sends it as JSON to the API (queued offline), and the same
    fields post here when scripts are off."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    customer = forms.ModelChoiceField(queryset=None, required=False, label=_("Customer"))
    new_customer_name = forms.CharField(max_length=200, required=False, label=_("New potential customer: name"))
    new_customer_city = forms.CharField(max_length=100, required=False, label=_("City"))
    new_customer_address = forms.CharField(max_length=300, required=False, label=_("Address"))
    new_customer_phone = forms.CharField(max_length=50, required=False, label=_("Phone"))
    visited_at = forms.DateTimeField(label=_("Visited at"), widget=DATETIME_WIDGET)
    method = forms.ChoiceField(choices=VisitMethod.choices, initial=VisitMethod.VISIT, label=_("Method"))
    findings_market = forms.CharField(
        max_length=5000, required=False, label=_("Market findings"), widget=forms.Textarea(attrs={"rows": 2})
    )
    findings_channel = forms.CharField(
        max_length=5000, required=False, label=_("Channel/dealer findings"), widget=forms.Textarea(attrs={"rows": 2})
    )
    findings_competitor = forms.CharField(
        max_length=5000, required=False, label=_("Competitor findings"), widget=forms.Textarea(attrs={"rows": 2})
    )
    findings_consumer = forms.CharField(
        max_length=5000, required=False, label=_("Consumer findings"), widget=forms.Textarea(attrs={"rows": 2})
    )
    competitor_brands = forms.CharField(
        max_length=2000,
        required=False,
        label=_("Competitor brands mentioned (comma separated)"),
    )
    outcome = forms.CharField(
        max_length=5000, required=False, label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2})
    )
    failure_reason = forms.ChoiceField(
        choices=[("", "—"), *FailureReason.choices], required=False, label=_("Failure reason")
    )
    step_reached = forms.TypedChoiceField(
        choices=[
            ("", "—"),
            (1, _("1 Impression")),
            (2, _("2 Listening and terms")),
            (3, _("3 Deep communication")),
            (4, _("4 Signing")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Four-step stage reached"),
    )
    buying_signals = forms.MultipleChoiceField(
        choices=BuyingSignal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Buying signals observed"),
    )
    intends_to_rebuy = forms.BooleanField(required=False, label=_("Customer stated an intent to buy again"))
    next_step = forms.CharField(max_length=500, required=False, label=_("Next step"))
    next_visit_on = forms.DateField(required=False, label=_("Next visit on"), widget=forms.DateInput({"type": "date"}))
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).order_by("name", "id")
        self.fields["client_uuid"].initial = uuid.uuid4()
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.questions = list(selectors.active_questions())
        for question in self.questions:
            self.fields[f"survey_{question.pk}"] = forms.CharField(max_length=2000, required=False, label=question.text)

    def survey_fields_by_aspect(self):
        groups = []
        for value, label in SurveyAspect.choices:
            fields = [self[f"survey_{q.pk}"] for q in self.questions if q.aspect == value]
            if fields:
                groups.append((label, fields))
        return groups

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("new_customer_name"):
            self.add_error("customer", _("Choose a customer or enter a new one."))
        return data

    def to_input(self) -> services.VisitInput:
        d = self.cleaned_data
        new_customer = None
        if not d.get("customer") and d.get("new_customer_name"):
            new_customer = services.NewCustomerInput(
                name=d["new_customer_name"],
                city=d["new_customer_city"],
                address=d["new_customer_address"],
                phone=d["new_customer_phone"],
            )
        return services.VisitInput(
            client_uuid=d["client_uuid"],
            visited_at=d["visited_at"],
            customer=d.get("customer"),
            new_customer=new_customer,
            method=d["method"],
            findings_market=d["findings_market"],
            findings_channel=d["findings_channel"],
            findings_competitor=d["findings_competitor"],
            findings_consumer=d["findings_consumer"],
            outcome=d["outcome"],
            failure_reason=d["failure_reason"],
            buying_signals=d["buying_signals"],
            step_reached=d["step_reached"],
            next_step=d["next_step"],
            next_visit_on=d["next_visit_on"],
            latitude=d["latitude"],
            longitude=d["longitude"],
            intends_to_rebuy=d["intends_to_rebuy"],
            competitor_brands=[b for b in d["competitor_brands"].replace("，", ",").split(",") if b.strip()],
            survey_answers={q.pk: d.get(f"survey_{q.pk}", "") for q in self.questions if d.get(f"survey_{q.pk}")},
        )


class DailySummaryForm(forms.Form):
    summary = forms.CharField(
        max_length=5000, required=False, label=_("Your summary of the day"), widget=forms.Textarea(attrs={"rows": 4})
    )


class ScopedCustomerFormMixin:
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).order_by("name", "id")


class VisitPlanForm(ScopedCustomerFormMixin, forms.ModelForm):
    class Meta:
        model = VisitPlan
        fields = [
            "customer",
            "planned_at",
            "duration_minutes",
            "method",
            "participants",
            "information_to_collect",
            "materials",
            "expected_questions",
        ]
        widgets = {
            "planned_at": DATETIME_WIDGET,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "information_to_collect": forms.Textarea(attrs={"rows": 2}),
            "materials": forms.Textarea(attrs={"rows": 2}),
            "expected_questions": forms.Textarea(attrs={"rows": 3}),
        }


class AppointmentForm(ScopedCustomerFormMixin, forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["customer", "starts_at", "place", "participants", "objectives"]
        widgets = {
            "starts_at": DATETIME_WIDGET,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "objectives": forms.Textarea(attrs={"rows": 2}),
        }


class SurveyForm(forms.Form):
    def __init__(self, *args, questions, latest: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[f"survey_{q.pk}"] = forms.CharField(
                max_length=2000,
                required=False,
                label=q.text + (" *" if q.required else ""),
                initial=latest.get(q.pk, ""),
            )

    def answers(self) -> dict[int, str]:
        return {
            q.pk: self.cleaned_data[f"survey_{q.pk}"]
            for q in self.questions
            if self.cleaned_data.get(f"survey_{q.pk}") and self.cleaned_data[f"survey_{q.pk}"] != self.initial_for(q)
        }

    def initial_for(self, q):
        return self.fields[f"survey_{q.pk}"].initial
