"""The holder's side: the credentials issued to the logged-in person."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from microcred.issuance.artifacts import download_response
from microcred.issuance.queries import credentials_held_by


def credentials(request: HttpRequest) -> HttpResponse:
    held = credentials_held_by(request.user)  # type: ignore[arg-type]
    return render(request, "learner/credentials.html", {"credentials": held})


def download(request: HttpRequest, uuid: str, kind: str) -> HttpResponse:
    """The holder's own signed credential (JSON) or baked badge (PNG, SVG)."""
    credential = credentials_held_by(request.user).filter(uuid=uuid).first()  # type: ignore[arg-type]
    if credential is None:
        raise Http404("No such credential.")
    return download_response(credential, kind)
