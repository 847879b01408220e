"""The holder's side: the credentials issued to the logged-in person, their downloads, and the
ways to show them elsewhere (LinkedIn, CV lines, JSON Resume)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from microcred.core.errors import NotFound
from microcred.issuance.artifacts import download_response, verification_url
from microcred.issuance.models import IssuedCredential
from microcred.issuance.queries import credentials_held_by, valid_now
from microcred.wallet import services, sharing
from microcred.wallet.pathways import pathways_for


def listing(credential: IssuedCredential) -> sharing.Listing:
    return sharing.Listing(
        title=credential.achievement_version.title,
        issuer=credential.organization.name,
        # On the installation's calendar, as pages and certificates show the dates.
        issued=timezone.localdate(credential.issued_at),
        expires=timezone.localdate(credential.valid_until) if credential.valid_until else None,
        url=verification_url(credential),
        code=credential.verification_code,
        linkedin_organization_id=credential.organization.linkedin_organization_id,
    )


def credentials(request: HttpRequest) -> HttpResponse:
    held = sorted(
        credentials_held_by(request.user),  # type: ignore[arg-type]
        key=lambda c: (c.organization.name.casefold(), -c.issued_at.timestamp()),
    )
    rows = []
    for credential in held:
        entry = listing(credential)
        rows.append(
            {
                "credential": credential,
                "state": credential.verification_state(),
                "verification_url": entry.url,
                "linkedin_url": sharing.linkedin_url(entry),
                "linkedin_fields": sharing.linkedin_copy_block(entry),
                "embed": sharing.embed_snippet(
                    entry,
                    image=settings.PUBLIC_URL
                    + reverse("public:badge_image", args=[credential.verification_code]),
                ),
            }
        )
    pathways = pathways_for(request.user, held)  # type: ignore[arg-type]
    return render(request, "learner/credentials.html", {"rows": rows, "pathways": pathways})


def _valid_listings(request: HttpRequest) -> list[sharing.Listing]:
    """What a CV should list: the holder's credentials that verify as valid now."""
    held = credentials_held_by(request.user)  # type: ignore[arg-type]
    return [listing(c) for c in valid_now(held)]


def cv_export(request: HttpRequest, kind: str) -> HttpResponse:
    """CV lines as plain text or Markdown, or JSON Resume's ``certificates``."""
    listings = _valid_listings(request)
    if kind == "txt":
        response = HttpResponse(
            sharing.cv_lines(listings), content_type="text/plain; charset=utf-8"
        )
    elif kind == "md":
        response = HttpResponse(
            sharing.cv_markdown(listings), content_type="text/markdown; charset=utf-8"
        )
    elif kind == "json":
        response = JsonResponse(
            {"certificates": sharing.json_resume_certificates(listings)},
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )
    else:
        raise Http404("No such export.")
    response["Content-Disposition"] = f'inline; filename="credentials.{kind}"'
    response["Cache-Control"] = "private, no-store"
    return response


def download(request: HttpRequest, uuid: str, kind: str) -> HttpResponse:
    """The holder's own signed credential (JSON/JWT), baked badge (PNG, SVG) or certificate (PDF)."""
    credential = credentials_held_by(request.user).filter(uuid=uuid).first()  # type: ignore[arg-type]
    if credential is None:
        raise Http404("No such credential.")
    return download_response(credential, kind)


@require_POST
def sharing_choice(request: HttpRequest, uuid: str) -> HttpResponse:
    """The holder's privacy choices for one credential (checkboxes: unchecked is off)."""
    try:
        credential = services.set_sharing(
            holder=request.user,  # type: ignore[arg-type]
            credential_uuid=uuid,
            public_page=request.POST.get("public_page") == "on",
            show_name=request.POST.get("show_name") == "on",
        )
    except NotFound:
        raise Http404("No such credential.") from None
    title = credential.achievement_version.title
    if credential.public_page:
        shown = "with your name" if credential.show_name else "without your name"
        messages.success(request, f"“{title}”: the public page is on, {shown}.")
    else:
        messages.success(request, f"“{title}”: the public page is off.")
    return redirect("learner:credentials")
