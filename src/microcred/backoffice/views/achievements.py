"""Credential definitions: list, create, edit drafts, publish, new version, archive."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.achievements import queries, services
from microcred.achievements.models import Achievement, AchievementStatus, AchievementVersion
from microcred.backoffice.access import member_view
from microcred.backoffice.forms import (
    AchievementForm,
    RequirementFormSet,
    SkillFormSet,
    requirements_from,
    skills_from,
)
from microcred.core.errors import DomainError
from microcred.organizations.roles import Capability


@member_view()
def achievement_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    if status not in AchievementStatus.values:
        status = ""
    context = {
        "achievements": queries.achievements_for(member, status=status or None),
        "status": status,
        "statuses": AchievementStatus.choices,
    }
    return render(request, "backoffice/achievements/list.html", context)


def _skill_initial(version: AchievementVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {
            "name": s.name,
            "framework_name": s.framework_name,
            "framework_url": s.framework_url,
            "code": s.code,
        }
        for s in version.skills.all()
    ]


def _requirement_initial(version: AchievementVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {
            "kind": r.kind,
            "exam_name": r.exam_name,
            "min_score_percent": r.min_score_percent,
            "description": r.description,
            "prerequisite": r.prerequisite_id,
        }
        for r in version.requirements.all()
    ]


def _edit(
    request: HttpRequest, achievement: Achievement | None, version: AchievementVersion | None
) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    others = queries.achievements_for(member)
    if achievement is not None:
        others = others.exclude(pk=achievement.pk)
    data = request.POST if request.method == "POST" else None
    form = AchievementForm(
        data,
        request.FILES or None,
        instance=version,
        initial=None if version else {"issuer_country": member.organization.country},
    )
    skills = SkillFormSet(data, prefix="skills", initial=_skill_initial(version))
    requirements = RequirementFormSet(
        data,
        prefix="requirements",
        initial=_requirement_initial(version),
        form_kwargs={"achievements": others},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and skills.is_valid()
        and requirements.is_valid()
    ):
        try:
            if achievement is None:
                achievement = services.create_achievement(
                    member=member,
                    content=form.content(),
                    skills=skills_from(skills),
                    requirements=requirements_from(requirements),
                    image=form.cleaned_image(),
                )
                messages.success(
                    request,
                    "Draft created. Publish it when the mandatory EU elements are complete.",
                )
            else:
                services.update_draft(
                    member=member,
                    version=version,  # type: ignore[arg-type]
                    content=form.content(),
                    skills=skills_from(skills),
                    requirements=requirements_from(requirements),
                    image=form.cleaned_image(),
                    remove_image=form.cleaned_data["remove_image"],
                )
                messages.success(request, "Draft saved.")
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect(
                "backoffice:achievement", slug=member.organization.slug, pk=achievement.pk
            )
    context = {
        "form": form,
        "skills": skills,
        "requirements": requirements,
        "achievement": achievement,
        "version": version,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/achievements/edit.html", context, status=status)


@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None, None)


@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    draft = achievement.draft_version()
    if draft is None:
        messages.info(request, "Published versions are never changed. Start a new version to edit.")
        return redirect("backoffice:achievement", slug=member.organization.slug, pk=pk)
    return _edit(request, achievement, draft)


@member_view()
def achievement_detail(request: HttpRequest, pk: int, number: int | None = None) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    versions = list(achievement.versions.order_by("-number"))
    if number is None:
        shown = achievement.draft_version() or achievement.published_version() or versions[0]
    else:
        shown = queries.get_version_for(member, pk, number)
    shown = queries.version_detail(shown)
    context = {
        "achievement": achievement,
        "version": shown,
        "versions": versions,
        "problems": services.publish_problems(shown) if shown.is_editable else {},
        "issued_count": achievement.issued_credentials.count(),
        "can_edit": member.can(Capability.EDIT_ACHIEVEMENTS),
        "can_issue": member.can(Capability.ISSUE),
    }
    return render(request, "backoffice/achievements/detail.html", context)


def _action(request: HttpRequest, pk: int, run: Any, success: str) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    try:
        run(member, achievement)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("backoffice:achievement", slug=member.organization.slug, pk=pk)


def _publish_draft(member: Any, achievement: Achievement) -> None:
    draft = achievement.draft_version()
    if draft is None:
        raise DomainError("There is no draft to publish.")
    services.publish_version(member=member, version=draft)


def _discard_draft(member: Any, achievement: Achievement) -> None:
    draft = achievement.draft_version()
    if draft is None:
        raise DomainError("There is no draft to discard.")
    services.discard_draft(member=member, version=draft)


@require_POST
@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request, pk, _publish_draft, "Published. New credentials are issued against this version."
    )


@require_POST
@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    achievement = queries.get_achievement_for(member, pk)
    try:
        draft = services.start_new_version(member=member, achievement=achievement)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:achievement", slug=member.organization.slug, pk=pk)
    messages.info(
        request,
        f"Version {draft.number} is a draft; the published version stays in use until you publish.",
    )
    return redirect("backoffice:achievement_edit", slug=member.organization.slug, pk=pk)


@require_POST
@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_discard_draft(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, _discard_draft, "Draft discarded.")


@require_POST
@member_view(Capability.EDIT_ACHIEVEMENTS)
def achievement_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda member, achievement: services.archive_achievement(
            member=member, achievement=achievement
        ),
        "Archived. It can no longer be issued; credentials already issued stay valid.",
    )
