from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesforceAutoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "salesforce_auto"
    verbose_name = _("Field sales")
