from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from microcred.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = (
        "created_at",
        "action",
        "actor_label",
        "organization",
        "object_type",
        "object_id",
    )
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "object_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
