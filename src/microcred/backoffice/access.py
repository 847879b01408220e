"""Resolve the acting member for back-office views and map domain errors to HTTP."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse

from microcred.core.errors import NotFound, PermissionDenied
from microcred.organizations.queries import get_membership
from microcred.organizations.roles import Capability

View = Callable[..., HttpResponse]


def member_view(capability: Capability = Capability.VIEW) -> Callable[[View], View]:
    """Give the view ``request.member`` for organization ``slug``.

    A user who is not a member of that organization gets 404 (its existence is not
    confirmed); a member whose role lacks ``capability`` gets 403.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                member = get_membership(request.user, slug)  # type: ignore[arg-type]
            except NotFound:
                raise Http404("No such organization.") from None
            if not member.can(capability):
                raise HttpForbidden(f"Your role ({member.get_role_display()}) does not allow this.")
            request.member = member  # type: ignore[attr-defined]
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except PermissionDenied as exc:
                raise HttpForbidden(exc.message) from None

        return wrapper

    return decorate
