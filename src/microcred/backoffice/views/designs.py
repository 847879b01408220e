"""The design editor of a credential definition, with live previews of the certificate and the
badge rendered from the form's current values and a sample holder."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format

from microcred.achievements import designs, queries
from microcred.achievements.models import BadgeLayout, CertificateLayout, Design, DesignFont, Paper
from microcred.backoffice.access import member_view
from microcred.backoffice.design_forms import SAMPLE_LABELS, SAMPLES, DesignForm
from microcred.core.errors import DomainError
from microcred.issuance import artifacts
from microcred.organizations.roles import Capability
from microcred.rendering import badges, certificates, custom, engine
from microcred.rendering.data import Shown

PREVIEW_PPI = 72


@member_view()
def design(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    current = designs.design_of(achievement)
    can_edit = member.can(Capability.EDIT_ACHIEVEMENTS)
    status = 200
    if request.method == "POST":
        if not can_edit:
            return HttpResponse("Your role does not allow changing designs.", status=403)
        form = DesignForm(request.POST, request.FILES, design=current)
        if form.is_valid():
            try:
                designs.update_design(
                    member=member,
                    design=current,
                    fields=form.settings(),
                    custom_certificate=form.cleaned_data["custom_certificate"],
                    custom_badge=form.cleaned_data["custom_badge"],
                    signatories=form.signatories(),
                )
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                messages.success(
                    request,
                    "Design saved. Certificates and badges already issued are re-rendered; "
                    "their signed credentials do not change.",
                )
                return redirect(
                    "backoffice:achievement_design", slug=member.organization.slug, pk=pk
                )
        status = 400
    else:
        form = DesignForm(
            initial={name: getattr(current, name) for name in DesignForm.SETTINGS},
            design=current,
        )
    return render(
        request,
        "backoffice/achievements/design.html",
        {
            "achievement": achievement,
            "design": current,
            "form": form,
            "can_edit": can_edit,
            "samples": SAMPLE_LABELS,
            "text_placeholders": custom.TEXT_PLACEHOLDERS,
            "image_placeholders": custom.IMAGE_PLACEHOLDERS,
        },
        status=status,
    )


def _previewed(current: Design, request: HttpRequest) -> Design:
    """The saved design with the preview's valid overrides (the form's unsaved values)."""
    preview = copy.copy(current)  # never saved: only rendered
    allowed = {
        "certificate_layout": CertificateLayout.values,
        "badge_layout": BadgeLayout.values,
        "paper": Paper.values,
        "font": DesignFont.values,
    }
    for name, values in allowed.items():
        if request.GET.get(name) in values:
            setattr(preview, name, request.GET[name])
    for name in ("primary_color", "accent_color"):
        value = request.GET.get(name, "")
        if designs.is_colour(value):
            setattr(preview, name, value)
    return preview


def _sample(request: HttpRequest, current: Design) -> Shown:
    achievement = current.achievement
    version = achievement.published_version() or achievement.latest_version()
    today = timezone.now()
    code = "SAMPLE0000"
    return Shown(
        recipient=SAMPLES.get(request.GET.get("sample", ""), SAMPLES["standard"]),
        title=version.title if version else "Credential",
        issuer=achievement.organization.name,
        issued=date_format(today, "j F Y"),
        expires="",
        code=code,
        url=f"{settings.PUBLIC_URL}/verify/{code}",
        description=version.short_description if version else "",
        skills=tuple(skill.name for skill in version.skills.all()) if version else (),
        eu=artifacts.eu_lines(version) if version else (),
        signatories=artifacts.signatories_of(current),
    )


@member_view()
def design_preview(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A PNG of the certificate or the badge for the design as the form has it now."""
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    preview = _previewed(designs.design_of(achievement), request)
    look = artifacts.look_for(preview)
    shown = _sample(request, preview)
    try:
        if kind == "certificate":
            image = certificates.certificate_png(look, shown, ppi=PREVIEW_PPI)
        elif kind == "badge":
            base = badges.badge_base_png(look, title=shown.title, issuer=shown.issuer)
            image = badges.badge_png(base, code=shown.code, url=shown.url)
        else:
            return HttpResponse("No such preview.", status=404)
    except engine.RenderError as exc:
        return HttpResponse(f"The preview cannot be rendered: {exc}", status=400)
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
