from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from customers import admin_orders  # noqa: F401  (orders ledger and assignment rules admin)
from customers.models import (
    CompetitorBrand,
    Contact,
    Customer,
    Evaluation,
    EvaluationScore,
    Qualification,
    RelationshipLevel,
    Scorecard,
    ScorecardIndicator,
    Stage,
)
from customers.services import customer as services


@admin.register(RelationshipLevel)
class RelationshipLevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "code", "name", "description"]
    list_display_links = ["code"]
    ordering = ["rank"]


@admin.register(CompetitorBrand)
class CompetitorBrandAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "email", "authority"]


def _move_action(stage: str):
    def action(modeladmin, request, queryset):
        moved = 0
        for customer in queryset:
            try:
                services.transition_stage(actor=request.user, customer=customer, to_stage=stage, reason="admin")
                moved += 1
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, f"{customer}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if moved:
            messages.success(request, _("%(n)d customers moved.") % {"n": moved})

    action.__name__ = f"move_to_{stage}"
    action.short_description = _("Move to %(stage)s") % {"stage": Stage(stage).label}
    return action


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    """Stage moves go through the lifecycle service (the actions below); other edits through update_customer."""

    list_display = ["name", "external_ref", "stage", "relationship_level", "owner", "city", "updated_at"]
    list_filter = ["stage", "relationship_level", "city"]
    search_fields = ["name", "external_ref", "phone", "city"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["brands_carried"]
    inlines = [ContactInline]
    actions = [_move_action(Stage.TARGET), _move_action(Stage.CURRENT), _move_action(Stage.DORMANT)]

    def get_readonly_fields(self, request, obj=None):
        return ["stage", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "brands_carried"}
        if change:
            services.update_customer(actor=request.user, customer=obj, confirm_duplicate=True, **data)
            obj.refresh_from_db()
        else:
            data.pop("name", None)
            created = services.create_customer(actor=request.user, name=obj.name, confirm_duplicate=True, **data)
            obj.pk = created.pk
            obj.refresh_from_db()


class IndicatorFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("weight") is not None
        ]
        try:
            services.validate_indicator_weights(weights=weights)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["indicators"]) from exc


class IndicatorInline(admin.TabularInline):
    model = ScorecardIndicator
    formset = IndicatorFormSet
    extra = 1
    fields = ["position", "name", "weight", "standard_ratio"]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["name", "cap", "active", "created_at"]
    inlines = [IndicatorInline]


class EvaluationScoreInline(admin.TabularInline):
    model = EvaluationScore
    extra = 0
    can_delete = False
    readonly_fields = ["indicator", "actual_ratio", "score"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["customer", "scorecard", "total_score", "evaluated_by", "evaluated_at"]
    list_filter = ["scorecard"]
    readonly_fields = ["customer", "scorecard", "evaluated_by", "evaluated_at", "total_score"]
    inlines = [EvaluationScoreInline]

    def has_add_permission(self, request):
        return False


@admin.register(Qualification)
class QualificationAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "money", "authority", "need", "updated_by", "updated_at"]
    list_filter = ["money", "authority", "need"]
    raw_id_fields = ["customer"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.qualify(
            actor=request.user,
            customer=obj.customer,
            money=obj.money,
            authority=obj.authority,
            need=obj.need,
            notes=obj.notes,
        )
