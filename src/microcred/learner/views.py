"""The holder's side: the credentials issued to the logged-in person."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from microcred.issuance.queries import credentials_held_by


def credentials(request: HttpRequest) -> HttpResponse:
    held = credentials_held_by(request.user)  # type: ignore[arg-type]
    return render(request, "learner/credentials.html", {"credentials": held})
