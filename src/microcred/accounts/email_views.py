"""The account page's e-mail addresses: add (a confirmation link is sent), confirm, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from microcred.accounts import emails
from microcred.core.errors import DomainError, NotFound


@require_POST
def email_add(request: HttpRequest) -> HttpResponse:
    try:
        address = emails.add_email(user=request.user, email=request.POST.get("email", ""))  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"We sent a confirmation link to {address.email}. Open it while signed in."
        )
    return redirect("accounts:security")


@require_GET
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = emails.verify_email(user=request.user, token=token)  # type: ignore[arg-type]
    except DomainError as exc:  # NotFound included: the address was removed meanwhile
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{address.email} is confirmed: credentials sent there are in your wallet."
        )
    return redirect("accounts:security")


@require_POST
def email_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        emails.remove_email(user=request.user, address_id=pk)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such address.") from None
    messages.success(request, "The address was removed from your account.")
    return redirect("accounts:security")
