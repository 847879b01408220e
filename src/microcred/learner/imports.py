"""The holder's pages for credentials issued elsewhere: add one (file or address), see one with
its verification checks, verify it again, download it as received, remove it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from microcred.accounts.models import User
from microcred.core.errors import DomainError, NotFound
from microcred.wallet import exports, imports
from microcred.wallet.models import ImportedCredential


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Credential file",
        required=False,
        help_text=(
            "An Open Badges 3.0 credential (.json or .jwt), a badge image with the credential "
            "baked in (.png, .svg, also Open Badges 2.0), a PDF certificate with the credential "
            "attached, or a .zip archive of such files (a wallet export). At most 8 MB per "
            "file, 64 MB for an archive."
        ),
    )
    url = forms.CharField(
        label="Or the badge's address",
        required=False,
        max_length=2000,
        help_text="The https:// address of an Open Badges 2.0 hosted assertion or of a credential.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        has_file, has_url = bool(cleaned.get("file")), bool((cleaned.get("url") or "").strip())
        if has_file == has_url and not self.errors:
            raise forms.ValidationError(
                "Choose a credential file or enter the address of a badge, one of the two."
            )
        return cleaned


def section_context(user: User) -> dict[str, Any]:
    """What "My credentials" lists under "Imported from other issuers" (the template tag
    ``wallet_imports.imported_credentials`` renders it)."""
    return {"groups": imports.grouped_by_issuer(user)}


def _owned(request: HttpRequest, uuid: str) -> ImportedCredential:
    try:
        return imports.imported_credential_for(request.user, uuid)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such imported credential.") from None


@require_http_methods(["GET", "POST"])
def add(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result: imports.ImportResult | None = None
    if request.method == "POST" and form.is_valid():
        try:
            result = imports.import_credentials(
                owner=request.user,  # type: ignore[arg-type]
                upload=form.cleaned_data["file"] or None,
                url=form.cleaned_data["url"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        if result is not None and result.imported and not result.problems:
            for item in result.imported:
                messages.success(
                    request, f"Added “{item.title}” from {item.issuer_label} to your wallet."
                )
            if result.skipped:
                count = len(result.skipped)
                messages.info(
                    request,
                    f"{count} other file{'s' if count > 1 else ''} in the archive "
                    f"{'were' if count > 1 else 'was'} not a credential and {'were' if count > 1 else 'was'} left out.",
                )
            if len(result.imported) == 1:
                return redirect("learner:imported", uuid=result.imported[0].uuid)
            return redirect(reverse("learner:credentials") + "#imported")
        if result is not None:
            form = ImportForm()
    # The request itself was fine when the import ran: its problems are the page's content.
    context = {"form": form, "result": result}
    return render(request, "learner/imports/add.html", context, status=400 if form.errors else 200)


@require_GET
def detail(request: HttpRequest, uuid: str) -> HttpResponse:
    return render(request, "learner/imports/detail.html", {"imported": _owned(request, uuid)})


@require_POST
def reverify(request: HttpRequest, uuid: str) -> HttpResponse:
    try:
        imported = imports.reverify_imported(owner=request.user, uuid=uuid)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such imported credential.") from None
    messages.success(
        request, f"Verified again: {imported.get_verdict_display().lower()} ({imported.label})."
    )
    return redirect("learner:imported", uuid=imported.uuid)


@require_POST
def delete(request: HttpRequest, uuid: str) -> HttpResponse:
    try:
        imported = imports.delete_imported(owner=request.user, uuid=uuid)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such imported credential.") from None
    messages.success(request, f"Removed “{imported.title}” from your wallet.")
    return redirect(reverse("learner:credentials") + "#imported")


@require_GET
def original(request: HttpRequest, uuid: str) -> HttpResponse:
    """The credential exactly as it was received (JSON, or the compact JWS)."""
    imported = _owned(request, uuid)
    extension = imported.file_extension
    content_type = "application/json; charset=utf-8" if extension == "json" else "application/jwt"
    response = HttpResponse(imported.content.encode("utf-8"), content_type=content_type)
    name = exports.slug(imported.title)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response
