"""Health check and friendly error pages (no stack traces outside debug mode)."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import storages
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Public uploads (logos, definition images, question images) from the default storage,
    local or S3, at a URL that never expires: credentials and question texts keep it. Upload
    names are random and never overwritten, so browsers may cache them; the middleware
    sandboxes the response."""
    if path.rsplit("/", 1)[-1].startswith("."):
        raise Http404("No such file.")
    storage = storages["default"]
    try:
        # Missing files: FileNotFoundError from every backend (django-storages' S3 included).
        handle = storage.open(path, "rb")
    except (OSError, ValueError):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        400,
        "Bad request",
        "The request could not be understood. Please go back and try again.",
    )


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception) if exception and str(exception) else "You do not have permission to do this."
    )
    return _error(request, 403, "Not allowed", message)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Page not found",
        "There is nothing at this address. Check the link or go home.",
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, "Something went wrong", "We have been told about it. Please try again later."
    )
