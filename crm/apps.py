from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = _("CRM core")

    def ready(self):
        from django.db import models
        from rest_framework import serializers

        from crm.api_conventions import DateTimeField

        # Model date-time fields in every API serializer accept only what the database stores (a 400, not a 500).
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
