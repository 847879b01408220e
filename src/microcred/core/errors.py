"""The one base class for business-rule failures raised by services."""

from __future__ import annotations


class DomainError(Exception):
    """A request that breaks a business rule. ``message`` is safe to show to the user."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):  # noqa: N818 - mirrors Django's name on purpose
    code = "permission_denied"


class NotFound(DomainError):  # noqa: N818
    code = "not_found"
