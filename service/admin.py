"""Admin: SLA policies, satisfaction indicators, points rules and rewards are edited here; the records that
carry history (complaints, the points ledger) are read-only, because their writes go through the services."""

from django.contrib import admin

from service.models import (
    Complaint,
    ComplaintEvent,
    IndicatorClass,
    LoyaltyAccount,
    Notification,
    PointsEntry,
    PointsRule,
    Referral,
    Reward,
    SatisfactionIndicator,
    SatisfactionSurvey,
    SlaPolicy,
    SurveyScore,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["severity", "resolution_hours", "updated_at"]
    list_editable = ["resolution_hours"]


class IndicatorInline(admin.TabularInline):
    model = SatisfactionIndicator
    extra = 1
    fields = ["code", "name", "rank", "active"]


@admin.register(IndicatorClass)
class IndicatorClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]
    list_editable = ["name", "rank"]
    inlines = [IndicatorInline]


@admin.register(SatisfactionIndicator)
class SatisfactionIndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "indicator_class", "rank", "active"]
    list_filter = ["indicator_class", "active"]
    list_editable = ["name", "rank", "active"]


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "category", "severity", "status", "due_at", "escalated_at", "owner"]
    list_filter = ["status", "severity", "category", "channel"]
    search_fields = ["customer__name", "description"]
    list_select_related = ["customer", "owner"]
    inlines = [ComplaintEventInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]


class SurveyScoreInline(admin.TabularInline):
    model = SurveyScore
    extra = 0
    can_delete = False
    readonly_fields = ["indicator", "score"]


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "overall_score", "rep", "requested_at", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "rep"]
    inlines = [SurveyScoreInline]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["referrer", "referred_name", "referred", "converted", "created_at"]
    list_filter = ["converted"]
    list_select_related = ["referrer", "referred"]


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "points_per_unit", "minimum_order_amount", "active", "created_at"]
    list_filter = ["active"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "points_cost", "stock", "active"]
    list_filter = ["active"]
    list_editable = ["points_cost", "stock", "active"]


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "balance", "enrolled_at", "enrolled_by"]
    list_select_related = ["customer", "enrolled_by"]
    search_fields = ["customer__name"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["account", "kind", "points", "balance_after", "reason", "created_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["account__customer", "created_by"]
