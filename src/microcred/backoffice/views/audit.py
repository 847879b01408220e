"""The organization's audit log (owners and admins)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from microcred.backoffice.access import member_view
from microcred.core.models import AuditEntry
from microcred.organizations.roles import Capability


@member_view(Capability.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    entries = AuditEntry.objects.filter(organization_id=member.organization_id).select_related(
        "actor"
    )
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    # The pagination links repeat the filter, encoded ("+", "&" or "#" in it must survive).
    query = urlencode({"action": action}) if action else ""
    return render(
        request, "backoffice/audit.html", {"page": page, "action": action, "query": query}
    )
