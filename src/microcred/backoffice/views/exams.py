"""Exams: list, create, settings, sections and blueprint, access code, publish, archive,
accommodations, a candidate's-eye preview, results with item analysis, and QTI export."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.achievements.queries import achievements_for
from microcred.backoffice.access import member_view
from microcred.backoffice.exam_forms import (
    AccessCodeForm,
    AccommodationForm,
    BlueprintRowSet,
    ExamSettingsForm,
    RuleRowSet,
    SectionRowSet,
    blueprint_from,
    sections_from,
    sections_initial,
    settings_initial,
)
from microcred.backoffice.views.banks import describe, qti_download, skill_names
from microcred.core.errors import DomainError
from microcred.exams import analysis, candidate, draw, items
from microcred.exams.formats.base import FormatError
from microcred.exams.models import (
    Accommodation,
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptState,
    Exam,
    Item,
    ItemStatus,
    ItemVersion,
)
from microcred.exams.services import authoring, banks, pools
from microcred.organizations.models import Membership
from microcred.organizations.roles import Capability

PAGE_SIZE = 50


def _to_exam(request: HttpRequest, exam: Exam) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    return redirect("backoffice:exam", slug=member.organization.slug, pk=exam.pk)


@member_view(Capability.AUTHOR_EXAMS)
def exam_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exams = authoring.exams_for(member).order_by("-updated_at")
    return render(request, "backoffice/exams/list.html", {"exams": exams})


def _settings_page(
    request: HttpRequest, form: ExamSettingsForm, exam: Exam | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "backoffice/exams/edit.html", {"form": form, "exam": exam}, status=status
    )


@member_view(Capability.AUTHOR_EXAMS)
def exam_create(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = ExamSettingsForm(request.POST or None, achievements=achievements_for(member))
    if request.method == "POST" and form.is_valid():
        settings = form.settings()
        try:
            exam = authoring.create_exam(member=member, **settings)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Exam created. Add its questions next.")
            return redirect("backoffice:exam_questions", slug=member.organization.slug, pk=exam.pk)
    return _settings_page(request, form, None, status=400 if form.errors else 200)


@member_view(Capability.AUTHOR_EXAMS)
def exam_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    form = ExamSettingsForm(
        request.POST or None, achievements=achievements_for(member), initial=settings_initial(exam)
    )
    if request.method == "POST" and form.is_valid():
        try:
            authoring.update_exam(member=member, exam=exam, **form.settings())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _saved_note(exam))
            return _to_exam(request, exam)
    return _settings_page(request, form, exam, status=400 if form.errors else 200)


def _saved_note(exam: Exam) -> str:
    if exam.versions.exists():
        return "Saved. Candidates get the change once you publish again."
    return "Saved."


@member_view(Capability.AUTHOR_EXAMS)
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    fixed_ids = [r["item"] for s in exam.sections for r in s["rules"] if "item" in r]
    questions = Item.objects.filter(
        pk__in=fixed_ids, organization_id=member.organization_id
    ).select_related("current", "bank")
    bank_names = dict(banks.banks_for(member).values_list("pk", "name"))
    context = {
        "exam": exam,
        "sections": _sections_for_display(exam, {q.pk: q for q in questions}, bank_names),
        "versions": list(exam.versions.order_by("-number").select_related("published_by")),
        "code_form": AccessCodeForm(),
        "attempt_count": Attempt.objects.filter(exam=exam).count(),
    }
    return render(request, "backoffice/exams/detail.html", context)


def _sections_for_display(
    exam: Exam, questions: dict[int, Item], bank_names: dict[int, str]
) -> list[dict[str, Any]]:
    shown = []
    for section in exam.sections:
        rules = []
        for rule in section["rules"]:
            if "item" in rule:
                rules.append({"item": questions.get(rule["item"])})
            else:
                rules.append({**rule, "bank_name": bank_names.get(rule["bank"], "?")})
        shown.append(
            {"title": section.get("title"), "shuffle": section.get("shuffle"), "rules": rules}
        )
    return shown


# -- sections and blueprint --------------------------------------------------------------------


def _question_choices(member: Membership) -> Any:
    return (
        Item.objects.filter(organization_id=member.organization_id, current__isnull=False)
        .exclude(status=ItemStatus.RETIRED)
        .select_related("current", "bank")
        .order_by("bank__name", "id")
    )


@member_view(Capability.AUTHOR_EXAMS)
def exam_questions(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    data = request.POST if request.method == "POST" else None
    section_rows, rule_rows = sections_initial(exam)
    if data is not None and "more_rows" in data:
        data = data.copy()
        for prefix, more in (("sections", 1), ("rules", 3), ("blueprint", 2)):
            total = f"{prefix}-TOTAL_FORMS"
            data[total] = str(min(int(data.get(total) or 0) + more, 200))
    sections = SectionRowSet(data, prefix="sections", initial=section_rows)
    rules = RuleRowSet(
        data,
        prefix="rules",
        initial=rule_rows,
        form_kwargs={"questions": _question_choices(member), "banks": banks.banks_for(member)},
    )
    blueprint = BlueprintRowSet(data, prefix="blueprint", initial=exam.blueprint)
    problems: list[str] = []
    if (
        request.method == "POST"
        and "more_rows" not in request.POST
        and sections.is_valid()
        and rules.is_valid()
        and blueprint.is_valid()
    ):
        try:
            authoring.update_exam(
                member=member,
                exam=exam,
                sections=sections_from(sections, rules),
                blueprint=blueprint_from(blueprint),
            )
        except forms.ValidationError as exc:
            problems.extend(exc.messages)
        except DomainError as exc:
            problems.append(exc.message)
        else:
            messages.success(request, _saved_note(exam))
            return _to_exam(request, exam)
    context = {
        "exam": exam,
        "sections": sections,
        "rules": rules,
        "blueprint": blueprint,
        "problems": problems,
        "skill_names": skill_names(member),
    }
    failed = request.method == "POST" and "more_rows" not in request.POST
    return render(
        request, "backoffice/exams/questions.html", context, status=400 if failed else 200
    )


# -- access code, publish, archive -------------------------------------------------------------


@require_POST
@member_view(Capability.AUTHOR_EXAMS)
def exam_access_code(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    if "remove" in request.POST:
        code = ""
    else:
        form = AccessCodeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "An access code has 4 to 100 characters.")
            return _to_exam(request, exam)
        code = form.cleaned_data["access_code"]
    try:
        authoring.set_access_code(member=member, exam=exam, code=code)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Access code set. Publish again for new attempts to need it."
            if code
            else "Access code removed. Publish again for new attempts to start without it.",
        )
    return _to_exam(request, exam)


@require_POST
@member_view(Capability.AUTHOR_EXAMS)
def exam_publish(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    try:
        version = authoring.publish_exam(member=member, exam=exam)
    except DomainError as exc:
        messages.error(request, f"Not published. {exc.message}")
    else:
        messages.success(request, f"Version {version.number} published; new attempts use it.")
    return _to_exam(request, exam)


@require_POST
@member_view(Capability.AUTHOR_EXAMS)
def exam_archive(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    try:
        authoring.archive_exam(member=member, exam=exam)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Archived. No new attempts can start.")
    return _to_exam(request, exam)


# -- accommodations ----------------------------------------------------------------------------


@member_view(Capability.AUTHOR_EXAMS)
def exam_accommodations(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    form = AccommodationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            authoring.grant_accommodation(
                member=member,
                candidate_email=data["candidate_email"],
                exam=None if data["all_exams"] else exam,
                time_multiplier=data["time_multiplier"],
                extra_minutes=data["extra_minutes"],
                note=data["note"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Accommodation granted to {data['candidate_email']}.")
            return redirect(
                "backoffice:exam_accommodations", slug=member.organization.slug, pk=exam.pk
            )
    accommodations = (
        Accommodation.objects.filter(organization_id=member.organization_id)
        .filter(Q(exam=exam) | Q(exam__isnull=True))
        .select_related("candidate")
        .order_by("candidate__email")
    )
    context = {"exam": exam, "form": form, "accommodations": accommodations}
    status = 400 if form.errors else 200
    return render(request, "backoffice/exams/accommodations.html", context, status=status)


# -- preview -----------------------------------------------------------------------------------


@member_view(Capability.AUTHOR_EXAMS)
def exam_preview(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    published = exam.published_version()
    source = "published" if request.GET.get("source") == "published" and published else "draft"
    show_answers = request.GET.get("answers") == "1"
    context: dict[str, Any] = {
        "exam": exam,
        "source": source,
        "published": published,
        "show_answers": show_answers,
        "questions": [],
        "problem": "",
    }
    try:
        if not exam.sections and source == "draft":
            raise DomainError("Add at least one section with questions first.")
        config = (
            published.config
            if source == "published" and published
            else authoring.config_for(exam, preview=True)
        )
        slots = pools.draw_for(
            exam.organization_id, config, seen=Counter(), seed=secrets.token_hex(16)
        )
    except draw.DrawError as exc:
        context["problem"] = f"The exam cannot be assembled: {exc}."
    except DomainError as exc:
        context["problem"] = exc.message
    else:
        context["config"] = config
        context["questions"] = _preview_questions(config, slots, show_answers)
    return render(request, "backoffice/exams/preview.html", context)


def _preview_questions(
    config: dict[str, Any], slots: list[draw.Slot], show_answers: bool
) -> list[dict[str, Any]]:
    versions = ItemVersion.objects.in_bulk([slot.candidate.version_id for slot in slots])
    questions = []
    for number, slot in enumerate(slots, 1):
        version = versions[slot.candidate.version_id]
        # An unsaved attempt item: the candidate payload is built exactly as for an attempt.
        attempt_item = AttemptItem(
            slot=number,
            section=slot.section,
            item_version=version,
            order=slot.order,
            opaque=slot.opaque,
            max_score=version.max_score,
        )
        section = config["sections"][slot.section]
        questions.append(
            {
                "question": candidate.question(attempt_item),
                "section_title": section.get("title", ""),
                "key": describe(version) if show_answers else None,
                "version": version if show_answers else None,
            }
        )
    return questions


# -- results -----------------------------------------------------------------------------------


def _choice_ids(kind: str, response: dict[str, Any]) -> tuple[str, ...]:
    if kind == items.SINGLE and response.get("choice"):
        return (response["choice"],)
    if kind == items.MULTIPLE:
        return tuple(response.get("choices") or ())
    return ()


def item_analysis(exam: Exam) -> tuple[analysis.ExamAnalysis, list[dict[str, Any]]]:
    """Classical item analysis of the first graded attempt of each candidate, items keyed by
    item version (attempts drawn from pools see different items)."""
    attempt_items = (
        AttemptItem.objects.filter(
            attempt__exam=exam,
            attempt__organization_id=exam.organization_id,
            attempt__state=AttemptState.GRADED,
            attempt__number=1,
        )
        .select_related("item_version")
        .order_by("attempt_id", "slot")
    )
    per_attempt: dict[int, dict[str, analysis.ItemResult]] = defaultdict(dict)
    versions: dict[str, ItemVersion] = {}
    for attempt_item in attempt_items:
        version = attempt_item.item_version
        key = str(version.pk)
        versions[key] = version
        per_attempt[attempt_item.attempt_id][key] = analysis.ItemResult(
            fraction=float(attempt_item.fraction) if attempt_item.fraction is not None else None,
            max_score=float(attempt_item.max_score),
            choice_ids=_choice_ids(version.kind, attempt_item.response or {}),
        )
    choices = {
        key: [c["id"] for c in version.interaction["choices"]]
        for key, version in versions.items()
        if version.kind in (items.SINGLE, items.MULTIPLE)
    }
    result = analysis.analyse(list(per_attempt.values()), choices=choices)
    rows = []
    for entry in result.items:
        version = versions[entry.key]
        texts = {c["id"]: c["text"] for c in version.interaction.get("choices", [])}
        correct = set(version.scoring.get("correct") or []) | {
            c for c, w in (version.scoring.get("weights") or {}).items() if w > 0
        }
        rows.append(
            {
                "analysis": entry,
                "version": version,
                "distractors": [
                    {
                        "text": texts.get(count.choice_id, count.choice_id),
                        "count": count.count,
                        "share": count.share,
                        "correct": count.choice_id in correct,
                    }
                    for count in entry.distractors
                ],
            }
        )
    return result, rows


@member_view(Capability.AUTHOR_EXAMS)
def exam_results(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    attempts = (
        Attempt.objects.filter(exam=exam, organization_id=member.organization_id)
        .select_related("candidate")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=AttemptEvent.objects.filter(kind__startswith="integrity.").order_by(
                    "sequence"
                ),
                to_attr="integrity_events",
            )
        )
        .order_by("-started_at")
    )
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    summary, rows = item_analysis(exam)
    context = {
        "exam": exam,
        "page": page,
        "query": "",
        "summary": summary,
        "rows": rows,
        "small_sample": summary.n_attempts < analysis.SMALL_SAMPLE,
    }
    return render(request, "backoffice/exams/results.html", context)


# -- export ------------------------------------------------------------------------------------


@member_view(Capability.AUTHOR_EXAMS)
def exam_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The exam's fixed questions (current versions) as a QTI 3.0 package."""
    member = request.member  # type: ignore[attr-defined]
    exam = authoring.get_exam_for(member, pk)
    ids = list(dict.fromkeys(r["item"] for s in exam.sections for r in s["rules"] if "item" in r))
    found = {
        q.pk: q
        for q in Item.objects.filter(
            pk__in=ids, organization_id=member.organization_id
        ).select_related("current")
    }
    versions = [found[i].current for i in ids if i in found and found[i].current is not None]
    if not versions:
        messages.info(request, "This exam has no fixed questions to export.")
        return _to_exam(request, exam)
    try:
        return qti_download(versions, f"exam-{exam.pk}-qti3.zip")
    except FormatError as exc:
        messages.error(request, f"The questions cannot be exported: {exc}.")
        return _to_exam(request, exam)
