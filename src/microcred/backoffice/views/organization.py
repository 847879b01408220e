"""Organization profile and branding."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from microcred.backoffice.access import member_view
from microcred.backoffice.forms import OrganizationForm
from microcred.core.errors import DomainError
from microcred.organizations import services
from microcred.organizations.models import Organization
from microcred.organizations.roles import Capability


@member_view(Capability.MANAGE_ORGANIZATION)
def profile(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    # A separate instance: a failed form must not alter the organization shown in the header.
    editable = Organization.objects.get(pk=member.organization_id)
    form = OrganizationForm(request.POST or None, request.FILES or None, instance=editable)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                member=member,
                logo=form.cleaned_image(),
                remove_logo=form.cleaned_data["remove_logo"],
                **form.profile_fields(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Organization profile saved.")
            return redirect("backoffice:organization", slug=member.organization.slug)
    status = 400 if form.errors else 200
    return render(request, "backoffice/organization.html", {"form": form}, status=status)
