"""API tokens of the organization (owners and admins): list, create (secret shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from microcred.backoffice.access import member_view
from microcred.core.errors import DomainError
from microcred.organizations import tokens
from microcred.organizations.models import ApiTokenScope
from microcred.organizations.roles import Capability


class TokenForm(forms.Form):
    # Kept with its only view: the form belongs to this page alone.
    name = forms.CharField(max_length=100, help_text="What uses the token, e.g. “LMS integration”.")
    scopes = forms.MultipleChoiceField(
        choices=ApiTokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiTokenScope.ISSUE],
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=tokens.MAX_EXPIRY_DAYS,
        help_text="Leave empty for a token that does not expire.",
    )


def _page(
    request: HttpRequest,
    form: TokenForm,
    *,
    created: tokens.CreatedToken | None = None,
    status: int = 200,
) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/tokens.html",
        {
            "tokens": tokens.tokens_of(member),
            "form": form,
            "created": created,
            "now": timezone.now(),
        },
        status=status,
    )


@never_cache
@member_view(Capability.MANAGE_ORGANIZATION)
def token_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = TokenForm(request.POST or None)
    if request.method != "POST":
        return _page(request, form)
    if form.is_valid():
        try:
            created = tokens.create_token(member=member, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            return _page(request, TokenForm(), created=created)
    return _page(request, form, status=400)


@require_POST
@member_view(Capability.MANAGE_ORGANIZATION)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    token = tokens.get_token_for(member, pk)
    try:
        tokens.revoke_token(member=member, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("backoffice:tokens", slug=member.organization.slug)
