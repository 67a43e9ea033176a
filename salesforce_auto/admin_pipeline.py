"""Admin of opportunities and quotes (read-mostly: stage moves and the cost gate live in the services)."""

from django.contrib import admin

from salesforce_auto.models import Opportunity, Quote, QuoteLine


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "stage", "probability", "amount", "expected_close_on", "owner"]
    list_filter = ["stage"]
    search_fields = ["title", "customer__name"]
    list_select_related = ["customer", "owner"]
    raw_id_fields = ["customer", "owner", "order"]
    readonly_fields = ["stage", "probability", "lost_reason", "order", "closed_at"]


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    readonly_fields = ["description", "quantity", "unit_price", "amount", "position"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "status", "total", "internal_cost", "margin", "issued_at"]
    list_filter = ["status"]
    search_fields = ["title", "customer__name"]
    list_select_related = ["customer"]
    inlines = [QuoteLineInline]
    readonly_fields = ["status", "total", "internal_cost", "margin", "margin_rate", "issued_at", "created_by"]
    raw_id_fields = ["customer", "opportunity"]
