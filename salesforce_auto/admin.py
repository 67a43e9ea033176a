from django.contrib import admin  # noqa: F401

from salesforce_auto import admin_pipeline  # noqa: F401  (opportunities and quotes admin)
