"""Page forms of the customers app, and the list filter shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.selectors import visible_users
from customers.models import Contact, Customer, ManAnswer, Qualification, RelationshipLevel, Stage, phone_validator
from customers.selectors.customer import relationship_ladder, search_customers
from customers.services.customer import STAGE_MOVES
from segmentation.models import AbcClass, BcgQuadrant
from segmentation.selectors import live_run_id, live_tier_subquery

MAX_IMPORT_BYTES = 10 * 1024 * 1024


def with_live_tier(queryset: QuerySet) -> QuerySet:
    """Annotate customers with their live-run `abc_class` and `bcg_quadrant` (no per-row reads; the live run's id
    is looked up once, so PostgreSQL reads only that run's partition)."""
    run_id = live_run_id()
    return queryset.annotate(
        abc_class=live_tier_subquery("abc_class", run_id=run_id),
        bcg_quadrant=live_tier_subquery("bcg_quadrant", run_id=run_id),
    )


def _owners(request):
    if request is None:
        return visible_users(None)
    return visible_users(request.user)


class CustomerFilter(django_filters.FilterSet):
    """Filters of the customer list (DESIGN §5): stage, relationship_level (code), owner, abc_class,
    bcg_quadrant, city; pages add `q` (search) and `sort`."""

    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    relationship_level = django_filters.ModelChoiceFilter(
        label=_("Relationship level"), queryset=RelationshipLevel.objects.order_by("rank"), to_field_name="code"
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_owners)
    abc_class = django_filters.ChoiceFilter(label=_("ABC class"), choices=AbcClass.choices)
    bcg_quadrant = django_filters.ChoiceFilter(label=_("BCG quadrant"), choices=BcgQuadrant.choices)
    city = django_filters.CharFilter(label=_("City"), field_name="city", lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = ["stage", "relationship_level", "owner", "abc_class", "bcg_quadrant", "city"]


SORTS = {
    "name": ("name", "pk"),
    "-updated_at": ("-updated_at", "-pk"),
    "-created_at": ("-created_at", "-pk"),
    "city": ("city", "name", "pk"),
    "stage": ("stage", "name", "pk"),
}


class CustomerListForm(CustomerFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        empty_label=None,
        choices=[
            ("name", _("Name")),
            ("-updated_at", _("Recently updated")),
            ("-created_at", _("Recently created")),
            ("city", _("City")),
            ("stage", _("Stage")),
        ],
        method="sort_by",
    )

    class Meta(CustomerFilter.Meta):
        fields = [*CustomerFilter.Meta.fields, "q", "sort"]

    def search(self, queryset, name, value):
        return search_customers(queryset, text=value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))


class CustomerForm(forms.ModelForm):
    """Create and edit. Stage and level are set here only on creation; later they move through their own
    forms (transition, level change) so the lifecycle rules and history apply."""

    brands = forms.CharField(
        label=_("Brands carried"),
        required=False,
        max_length=1000,
        help_text=_("Competitor brands, separated by commas."),
    )
    confirm_duplicate = forms.BooleanField(label=_("Create anyway"), required=False, widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = [
            "name",
            "external_ref",
            "stage",
            "relationship_level",
            "owner",
            "territory",
            "industry",
            "city",
            "address",
            "phone",
            "source",
            "notes",
            "business_area_m2",
            "years_in_business",
            "staff_count",
            "monthly_purchase_volume",
            "distribution_reach",
            "credit_notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "credit_notes": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["phone"].validators.append(phone_validator)
        self.fields["relationship_level"].queryset = relationship_ladder()
        self.fields["relationship_level"].to_field_name = "code"
        if actor.is_admin_role or actor.role == "manager":
            self.fields["owner"].queryset = visible_users(actor).filter(is_active=True)
            self.fields["owner"].required = False
            self.fields["owner"].help_text = _(
                "Leave empty to keep the owner (or, for a new customer, to use the rules)."
            )
        else:
            del self.fields["owner"]
        if "stage" in self.fields:
            self.fields["stage"].required = False
        if self.instance.pk:
            del self.fields["stage"]
            del self.fields["relationship_level"]
            self.initial["brands"] = ", ".join(b.name for b in self.instance.brands_carried.all())

    def clean_external_ref(self):
        return self.cleaned_data.get("external_ref") or None

    def brand_names(self) -> list[str]:
        return [n for n in (self.cleaned_data.get("brands") or "").replace("，", ",").split(",") if n.strip()]

    def _post_clean(self):
        # The service validates the model (and more); skip ModelForm's own instance validation so errors come once.
        pass

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("brands", "confirm_duplicate")}
        for name in ("owner", "stage"):
            if name in data and not data[name]:
                data.pop(name)
        return data


class TransitionForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [to for (frm, to) in STAGE_MOVES if frm == customer.stage]
        self.fields["stage"].choices = [(value, label) for value, label in Stage.choices if value in allowed]


class LevelForm(forms.Form):
    level = forms.ModelChoiceField(
        label=_("Relationship level"), queryset=RelationshipLevel.objects.none(), to_field_name="code"
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = relationship_ladder()


class QualificationForm(forms.ModelForm):
    class Meta:
        model = Qualification
        fields = ["money", "authority", "need", "notes"]
        widgets = {name: forms.RadioSelect(choices=ManAnswer.choices) for name in ("money", "authority", "need")}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "authority"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)

    def _post_clean(self):
        pass


class EvaluationForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args, scorecard, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(scorecard.indicators.all())
        for indicator in self.indicators:
            self.fields[f"indicator_{indicator.pk}"] = forms.DecimalField(
                label=indicator.name,
                min_value=0,
                max_digits=12,
                decimal_places=4,
                help_text=_("Standard ratio %(standard)s · weight %(weight)s")
                % {"standard": indicator.standard_ratio, "weight": indicator.weight},
            )

    def actual_ratios(self) -> dict:
        return {i.pk: self.cleaned_data[f"indicator_{i.pk}"] for i in self.indicators}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    import_valid_rows = forms.BooleanField(label=_("Import the valid rows even if some rows are bad"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
