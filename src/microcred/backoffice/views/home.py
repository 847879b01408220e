"""Dashboard and the organization chooser."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from microcred.achievements.models import AchievementStatus
from microcred.achievements.queries import achievements_for
from microcred.backoffice.access import member_view
from microcred.core.models import AuditEntry
from microcred.issuance.models import CredentialStatus
from microcred.issuance.queries import credentials_for
from microcred.organizations.queries import memberships_of
from microcred.organizations.roles import Capability


def index(request: HttpRequest) -> HttpResponse:
    memberships = list(memberships_of(request.user))  # type: ignore[arg-type]
    if len(memberships) == 1:
        return redirect("backoffice:dashboard", slug=memberships[0].organization.slug)
    return render(request, "backoffice/index.html", {"memberships": memberships})


@member_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    credentials = credentials_for(member)
    achievements = achievements_for(member)
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    context = {
        "counts": {
            "published": achievements.filter(status=AchievementStatus.PUBLISHED).count(),
            "drafts": achievements.filter(status=AchievementStatus.DRAFT).count(),
            "active": credentials.filter(status=CredentialStatus.ACTIVE).count(),
            "this_month": credentials.filter(issued_at__gte=month_start).count(),
        },
        "recent_credentials": credentials[:8],
        "recent_audit": (
            AuditEntry.objects.filter(organization_id=member.organization_id)[:8]
            if member.can(Capability.VIEW_AUDIT)
            else []
        ),
    }
    return render(request, "backoffice/dashboard.html", context)
