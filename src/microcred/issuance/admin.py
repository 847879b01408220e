from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from microcred.issuance.models import IssuedCredential


@admin.register(IssuedCredential)
class IssuedCredentialAdmin(admin.ModelAdmin):
    """Read-only view for superusers; issuing and revoking happen in the back office (audited)."""

    list_display = (
        "verification_code",
        "recipient_name",
        "recipient_email",
        "organization",
        "status",
        "issued_at",
    )
    list_filter = ("status", "organization")
    search_fields = ("verification_code", "recipient_name", "recipient_email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: IssuedCredential | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: IssuedCredential | None = None
    ) -> bool:
        return False
