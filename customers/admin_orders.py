"""Admin of the orders ledger and assignment rules."""

from django.contrib import admin

from customers.models import AssignmentRule, Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The ledger is written through the API, forms and imports (customers.services.orders); read-only here."""

    list_display = ["ordered_at", "customer", "amount", "cost", "source", "external_ref"]
    list_filter = ["source"]
    search_fields = ["external_ref", "customer__name", "customer__external_ref"]
    date_hierarchy = "ordered_at"
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "territory", "city", "industry", "team", "assignee", "last_assigned", "active"]
    list_editable = ["priority", "active"]
    list_filter = ["active", "territory", "team"]
    search_fields = ["name", "city", "industry"]
    list_select_related = ["territory", "team", "assignee", "last_assigned"]
    readonly_fields = ["last_assigned"]
