from django.contrib import admin

from salesforce_auto import admin_pipeline  # noqa: F401  (opportunities and quotes admin)
from salesforce_auto.models import (
    Appointment,
    DailyReport,
    SurveyAnswer,
    SurveyQuestion,
    VisitPlan,
    VisitReport,
    WeeklySummary,
)


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(admin.ModelAdmin):
    """The survey form (客户调查表) is defined here: questions by aspect, some required."""

    list_display = ["text", "aspect", "required", "position", "active"]
    list_filter = ["aspect", "required", "active"]
    list_editable = ["required", "position", "active"]
    search_fields = ["text"]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    list_display = ["customer", "question", "answered_at", "answered_by"]
    list_select_related = ["customer", "question", "answered_by"]
    raw_id_fields = ["customer", "visit"]
    readonly_fields = ["answered_by", "answered_at"]


@admin.register(VisitReport)
class VisitReportAdmin(admin.ModelAdmin):
    list_display = ["customer", "rep", "visited_at", "method", "step_reached", "failure_reason"]
    list_filter = ["method", "failure_reason", "step_reached"]
    list_select_related = ["customer", "rep"]
    search_fields = ["customer__name", "outcome", "client_uuid"]
    raw_id_fields = ["customer"]
    readonly_fields = ["client_uuid", "rep", "created_customer", "created_at", "updated_at"]
    date_hierarchy = "visited_at"


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):
    list_display = ["customer", "rep", "planned_at", "method"]
    list_select_related = ["customer", "rep"]
    raw_id_fields = ["customer"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["customer", "rep", "starts_at", "place"]
    list_select_related = ["customer", "rep"]
    raw_id_fields = ["customer"]


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = ["rep", "date", "visit_count", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["rep"]
    readonly_fields = [f.name for f in DailyReport._meta.fields]


@admin.register(WeeklySummary)
class WeeklySummaryAdmin(admin.ModelAdmin):
    list_display = ["team", "week_start", "visit_count", "new_potential_count", "stage_move_count", "built_at"]
    list_select_related = ["team"]
    readonly_fields = [f.name for f in WeeklySummary._meta.fields]
