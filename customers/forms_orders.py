from django import forms
from django.utils.translation import gettext_lazy as _

from customers.services.orders import IMPORT_SOURCE


class OrderForm(forms.Form):
    """One order typed in on the customer's orders page; the service checks it (same rules as the API)."""

    ordered_at = forms.CharField(
        label=_("Ordered at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), max_length=40
    )
    amount = forms.CharField(label=_("Amount"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    cost = forms.CharField(
        label=_("Cost of goods"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    external_ref = forms.CharField(label=_("Order number"), max_length=100, required=False)


ENCODING_CHOICES = [
    ("auto", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8 with BOM")),
    ("gbk", _("GBK (Excel in China)")),
]


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: customer_ref (or customer), ordered_at, amount, and optionally cost, source, external_ref."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, initial="auto")
    source = forms.CharField(
        label=_("Source"),
        max_length=50,
        initial=IMPORT_SOURCE,
        help_text=_("Order numbers are unique per source: re-importing the same file skips known orders."),
    )
    all_or_nothing = forms.BooleanField(
        label=_("All or nothing (import nothing if any row has an error)"), required=False, initial=True
    )
