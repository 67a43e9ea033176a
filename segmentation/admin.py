"""Admin of segmentation: runs are read-only (immutable); admins may switch the live run with an action.
The nightly schedule is the django-celery-beat PeriodicTask "segmentation: nightly recompute, then dormancy sync"."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from segmentation import services
from segmentation.models import SegmentationRun


@admin.register(SegmentationRun)
class SegmentationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "as_of", "window_months", "status", "progress", "live", "customer_count", "created_at"]
    list_filter = ["status", "live"]
    list_select_related = ["started_by"]
    actions = ["make_live_action"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # runs start from the segmentation page or the API, with validated parameters

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Make the selected run live"))
    def make_live_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one run."), messages.ERROR)
            return
        try:
            run = services.make_live(actor=request.user, run=queryset.get())
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, _("Run #%(id)s is now live.") % {"id": run.pk})
