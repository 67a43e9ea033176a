from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from crm.models import Job, Team, Territory, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("CRM"), {"fields": ["role", "team"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, (_("CRM"), {"fields": ["role", "team"]})]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team"]
    search_fields = ["code", "name"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]
