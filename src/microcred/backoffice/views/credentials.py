"""Issued credentials: list with search and filters, issue, detail, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.achievements.queries import achievements_for, issuable_achievements_for
from microcred.backoffice.access import member_view
from microcred.backoffice.forms import CredentialFilterForm, IssueForm, RevokeForm
from microcred.core.errors import DomainError
from microcred.issuance import queries, services
from microcred.issuance.artifacts import download_response
from microcred.issuance.models import CredentialStatus
from microcred.organizations.roles import Capability

PAGE_SIZE = 25


@member_view()
def credential_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    filters = CredentialFilterForm(request.GET or None, achievements=achievements_for(member))
    criteria: dict[str, Any] = {}
    if filters.is_bound:
        # A bad value in one filter (a stale link, a hand-edited URL) drops only that filter.
        filters.is_valid()
        criteria = filters.cleaned_data
    achievement = criteria.get("achievement")
    credentials = queries.credentials_for(
        member,
        search=criteria.get("q", ""),
        status=criteria.get("status", ""),
        achievement_id=achievement.pk if achievement else None,
    )
    page = Paginator(credentials, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "can_issue": member.can(Capability.ISSUE),
    }
    # htmx swaps only the results table when the filters change.
    template = (
        "backoffice/credentials/_results.html"
        if request.headers.get("HX-Request")
        else "backoffice/credentials/list.html"
    )
    return render(request, template, context)


@member_view(Capability.ISSUE)
def credential_issue(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    initial = (
        {"achievement": request.GET.get("achievement")} if request.GET.get("achievement") else None
    )
    form = IssueForm(
        request.POST or None, initial=initial, achievements=issuable_achievements_for(member)
    )
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.issue_credential(
                member=member,
                achievement=form.cleaned_data["achievement"],
                recipient_name=form.cleaned_data["recipient_name"],
                recipient_email=form.cleaned_data["recipient_email"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"Issued to {credential.recipient_name}. Verification code {credential.display_code}.",
            )
            return redirect(
                "backoffice:credential", slug=member.organization.slug, pk=credential.pk
            )
    status = 400 if form.errors else 200
    return render(request, "backoffice/credentials/issue.html", {"form": form}, status=status)


@member_view()
def credential_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credential = queries.get_credential_for(member, pk)
    context = {
        "credential": credential,
        "state": credential.verification_state(),
        "can_issue": member.can(Capability.ISSUE),
        "revoke_form": RevokeForm(),
    }
    return render(request, "backoffice/credentials/detail.html", context)


@member_view(Capability.ISSUE)
def credential_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credential = queries.get_credential_for(member, pk)
    if credential.status == CredentialStatus.REVOKED:
        messages.info(request, "This credential is already revoked.")
        return redirect("backoffice:credential", slug=member.organization.slug, pk=pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_credential(
                member=member, credential=credential, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Credential {credential.display_code} revoked.")
            return redirect("backoffice:credential", slug=member.organization.slug, pk=pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "backoffice/credentials/revoke.html",
        {"form": form, "credential": credential},
        status=status,
    )


@member_view()
def credential_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    return download_response(queries.get_credential_for(member, pk), kind)


@require_POST
@member_view(Capability.ISSUE)
def credential_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credential = queries.get_credential_for(member, pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for the suspension; it is shown to verifiers.")
    else:
        try:
            services.suspend_credential(
                member=member, credential=credential, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Credential {credential.display_code} suspended.")
    return redirect("backoffice:credential", slug=member.organization.slug, pk=pk)


@require_POST
@member_view(Capability.ISSUE)
def credential_reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credential = queries.get_credential_for(member, pk)
    try:
        services.reinstate_credential(member=member, credential=credential)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Credential {credential.display_code} reinstated.")
    return redirect("backoffice:credential", slug=member.organization.slug, pk=pk)


@member_view(Capability.ISSUE)
@require_POST
def credential_resend(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credential = queries.get_credential_for(member, pk)
    try:
        services.resend_notification(member=member, credential=credential)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The e-mail was sent again to {credential.recipient_email}.")
    return redirect("backoffice:credential", slug=member.organization.slug, pk=pk)
