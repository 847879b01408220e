"""Members and roles."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.backoffice.access import member_view
from microcred.backoffice.forms import MemberAddForm, RoleForm
from microcred.core.errors import DomainError
from microcred.organizations import queries, services
from microcred.organizations.roles import Capability, Role


def _page(request: HttpRequest, form: MemberAddForm, status: int = 200) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    # Owners are managed only by owners. An admin gets no controls on an owner's row: a role
    # select without the "owner" choice would show the owner as holding the first role listed.
    manages_owners = member.can(Capability.MANAGE_OWNERS)
    rows = [
        (
            m,
            RoleForm(member=member, initial={"role": m.role}, prefix=f"m{m.pk}")
            if manages_owners or m.role != Role.OWNER
            else None,
        )
        for m in queries.members_of(member)
    ]
    return render(request, "backoffice/members.html", {"rows": rows, "form": form}, status=status)


@member_view(Capability.MANAGE_MEMBERS)
def members(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = MemberAddForm(request.POST or None, member=member)
    if request.method == "POST":
        if form.is_valid():
            try:
                added = services.add_member(member=member, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, f"{added.user.email} added as {added.get_role_display()}."
                )
                return redirect("backoffice:members", slug=member.organization.slug)
        return _page(request, form, status=400)
    return _page(request, form)


@require_POST
@member_view(Capability.MANAGE_MEMBERS)
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    target = queries.get_member_for(member, pk)
    form = RoleForm(request.POST, member=member, prefix=f"m{pk}")
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
    else:
        try:
            services.change_role(member=member, target=target, role=form.cleaned_data["role"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            role = Role(form.cleaned_data["role"]).label
            messages.success(request, f"{target.user.email} is now {role}.")
    return redirect("backoffice:members", slug=member.organization.slug)


@require_POST
@member_view(Capability.MANAGE_MEMBERS)
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    target = queries.get_member_for(member, pk)
    try:
        services.remove_member(member=member, target=target)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{target.user.email} removed.")
    return redirect("backoffice:members", slug=member.organization.slug)
