"""Public pages: home and credential verification. They work without JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from microcred.achievements.queries import version_detail
from microcred.core.errors import NotFound
from microcred.issuance import artifacts, codes, queries, verification
from microcred.issuance.models import StatusList
from microcred.issuance.status import TTL_MS
from microcred.organizations import keys
from microcred.organizations.models import Organization
from microcred.public.forms import VerifyCodeForm, VerifyFileForm
from microcred.vc.didweb import did_web


def _private(request: HttpRequest) -> HttpResponse:
    """The holder turned the public page off: nothing about the credential is shown (not even
    whether it is valid); a file of it can still be verified."""
    response = render(request, "public/private.html", status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_not_required
@require_GET
def badge_image(request: HttpRequest, code: str) -> HttpResponse:
    """The credential's baked badge for embedding and link previews, while the holder keeps
    the public page on."""
    try:
        credential = queries.credential_by_code(code)
    except (codes.InvalidCode, NotFound):
        raise Http404("No such credential.") from None
    if not credential.public_page or credential.document is None:
        return _private(request)
    artifact = artifacts.artifact_for(credential, "png")
    with artifact.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html", {"form": VerifyCodeForm()})


@login_not_required
@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    if "code" not in request.GET:
        return render(request, "public/verify_form.html", {"form": VerifyCodeForm()})
    form = VerifyCodeForm(request.GET)
    if form.is_valid():
        return redirect("public:verify_code", code=form.cleaned_data["code"])
    return render(request, "public/verify_form.html", {"form": form}, status=400)


@login_not_required
@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    try:
        credential = queries.credential_by_code(code)
    except codes.InvalidCode as exc:
        form = VerifyCodeForm(initial={"code": code})
        return render(
            request,
            "public/verify_form.html",
            {"form": form, "code_error": str(exc), "tried": code},
            status=400,
        )
    except NotFound:
        form = VerifyCodeForm(initial={"code": code})
        return render(
            request,
            "public/verify_form.html",
            {
                "form": form,
                "code_error": "No credential has this verification code. Check it against the certificate.",
                "tried": code,
            },
            status=404,
        )
    if code != credential.verification_code:
        # One canonical address per credential (typed lower-case, with hyphens, O for 0…).
        return redirect("public:verify_code", code=credential.verification_code, permanent=True)
    if not credential.public_page:
        return _private(request)
    context = {
        "credential": credential,
        "report": verification.verify(credential.document) if credential.document else None,
        "state": credential.verification_state(),
        "version": version_detail(credential.achievement_version),
        "organization": credential.organization,
        "page_url": artifacts.verification_url(credential),
        "badge_url": settings.PUBLIC_URL
        + reverse("public:badge_image", args=[credential.verification_code]),
    }
    response = render(request, "public/verify.html", context)
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_not_required
@require_GET
def brand_css(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's colours as CSS variables (pages allow no inline styles)."""
    organization = get_object_or_404(Organization, slug=slug)
    css = f":root {{ --brand: {organization.primary_color}; --brand-dark: {organization.secondary_color}; }}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_not_required
@require_GET
def organization_did(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's did:web document (did:web:<host>:orgs:<slug>), listing all its keys."""
    organization = get_object_or_404(Organization, slug=slug)
    did = did_web(settings.PUBLIC_URL, "orgs", organization.slug)
    return _did_response(keys.did_document(organization, did))


@login_not_required
@require_GET
def installation_did(request: HttpRequest) -> HttpResponse:
    """The installation's did:web document (did:web:<host>): the keys of the organization named
    by MICROCRED_INSTALLATION_ISSUER. did:web puts it at /.well-known/did.json, or at
    /<path>/did.json when the public URL has a path (the app then sees /did.json)."""
    at_root = not urlsplit(settings.PUBLIC_URL).path.strip("/")
    if request.path.endswith("/.well-known/did.json") != at_root:
        raise Http404("The installation's DID document is served at the other address.")
    slug = settings.INSTALLATION_ISSUER
    if not slug:
        raise Http404("This installation has no DID of its own (MICROCRED_INSTALLATION_ISSUER).")
    organization = get_object_or_404(Organization, slug=slug)
    return _did_response(keys.did_document(organization, keys.installation_did()))


def _did_response(document: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(document, content_type="application/did+ld+json")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_not_required
@require_GET
def status_list(request: HttpRequest, slug: str, purpose: str, number: int) -> HttpResponse:
    """A signed BitstringStatusListCredential; cached for its ``ttl``."""
    status = get_object_or_404(StatusList, organization__slug=slug, purpose=purpose, number=number)
    response = JsonResponse(status.document, content_type="application/vc+ld+json")
    response["Cache-Control"] = f"public, max-age={TTL_MS // 1000}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_file(request: HttpRequest) -> HttpResponse:
    """Verify an uploaded credential file (signed JSON, baked PNG or SVG) from anywhere."""
    form = VerifyFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = verification.verify(form.cleaned_data["credential"])
        return render(
            request, "public/verify_file.html", {"form": VerifyFileForm(), "report": report}
        )
    status = 400 if form.errors else 200
    return render(request, "public/verify_file.html", {"form": form}, status=status)
