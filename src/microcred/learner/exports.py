"""The holder takes everything away: all credentials as one ZIP archive, and a PDF summary of
chosen credentials for a CV."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from microcred.core.errors import DomainError, NotFound
from microcred.wallet import exports


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    response = render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_archive(request: HttpRequest) -> HttpResponse:
    """Every credential held, with its badges and certificate, manifest and README (ZIP)."""
    holder = request.user
    archive = exports.build_archive(
        holder=holder,  # type: ignore[arg-type]
        extra_entries=exports.imported_entries(holder),  # type: ignore[arg-type]
    )
    response = FileResponse(
        archive.file, as_attachment=True, filename=archive.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def summary_pdf(request: HttpRequest) -> HttpResponse:
    """``?c=<uuid>&c=<uuid>…``: those credentials, in that order; without ``c``, the valid ones."""
    chosen = request.GET.getlist("c") or None
    try:
        pdf = exports.summary_pdf(holder=request.user, credential_uuids=chosen)  # type: ignore[arg-type]
    except NotFound as exc:
        return _error(request, 404, "No such credential", exc.message)
    except DomainError as exc:
        return _error(request, 400, "Cannot make the summary", exc.message)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="credentials-summary.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
