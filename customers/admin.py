from django.contrib import admin  # noqa: F401

from customers import admin_orders  # noqa: F401  (orders ledger and assignment rules admin)
