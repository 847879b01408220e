"""JSON API, version 1. One router per domain; DomainError maps to a problem response."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from microcred.api import verification
from microcred.core.errors import DomainError, NotFound, PermissionDenied

api = NinjaAPI(
    title="microcred API",
    version="1",
    description="Verify credentials issued on this microcred installation.",
    urls_namespace="api-v1",
)
api.add_router("/verify", verification.router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 400
    return api.create_response(
        request,
        {"type": exc.code, "title": exc.message, "status": status, "field": exc.field},
        status=status,
    )


def public_api_urls(ninja_api: NinjaAPI) -> tuple[list[Any], str, str]:
    """The API's URL patterns, exempt from the session login requirement.

    The API authenticates per operation (Ninja ``auth``), never by the browser session
    redirecting to a login page.
    """
    patterns, app_name, namespace = ninja_api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
