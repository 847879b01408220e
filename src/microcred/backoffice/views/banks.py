"""Question banks and their questions: list, create, edit (a used question gets a new version),
publish and retire, import a file (preview, then confirm) and export as a QTI 3.0 package."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.achievements.models import Skill
from microcred.backoffice.access import member_view
from microcred.backoffice.exam_forms import (
    BankForm,
    ImportForm,
    ItemEditor,
    ItemFilterForm,
    with_more_rows,
)
from microcred.core.errors import DomainError
from microcred.exams import items
from microcred.exams.formats import aiken, gift, moodlexml, qti
from microcred.exams.formats.base import MAX_IMPORT_BYTES, FormatError, ImportReport
from microcred.exams.models import Item, ItemStatus, ItemVersion, Rubric
from microcred.exams.services import banks
from microcred.organizations.models import Membership
from microcred.organizations.roles import Capability

PAGE_SIZE = 50
#: Uploads up to this size wait in the session between preview and confirm; larger ones are
#: chosen again at the confirm step and must be the same file (same SHA-256).
KEEP_IN_SESSION_BYTES = 1024 * 1024
IMPORT_SESSION_KEY = "backoffice.exam_import"


def skill_names(member: Membership) -> list[str]:
    """Skill names of the organization's credential definitions (suggested, not enforced)."""
    return list(
        Skill.objects.filter(organization_id=member.organization_id)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


# -- banks -------------------------------------------------------------------------------------


@member_view(Capability.AUTHOR_EXAMS)
def bank_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = banks.create_bank(member=member, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Question bank “{bank.name}” created.")
            return redirect("backoffice:bank", slug=member.organization.slug, pk=bank.pk)
    context = {
        "banks": banks.banks_for(member).annotate(item_count=Count("items")),
        "form": form,
    }
    status = 400 if form.errors else 200
    return render(request, "backoffice/banks/list.html", context, status=status)


@member_view(Capability.AUTHOR_EXAMS)
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    bank = banks.get_bank_for(member, pk)
    filters = ItemFilterForm(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_bound:
        filters.is_valid()  # a bad value drops only that filter
        criteria = filters.cleaned_data
    questions = Item.objects.filter(bank=bank, organization_id=member.organization_id)
    questions = questions.select_related("current").order_by("id")
    if criteria.get("kind"):
        questions = questions.filter(current__kind=criteria["kind"])
    if criteria.get("status"):
        questions = questions.filter(status=criteria["status"])
    tag = " ".join(criteria.get("tag", "").split()).casefold()
    # Tags are a JSON list; matched here so the same code runs on SQLite and PostgreSQL.
    rows = [q for q in questions if not tag or tag in {t.casefold() for t in q.tags}]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "bank": bank,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "kinds": list(items.KIND_LABELS.items()),
    }
    template = (
        "backoffice/banks/_items.html"
        if request.headers.get("HX-Request")
        else "backoffice/banks/detail.html"
    )
    return render(request, template, context)


# -- items -------------------------------------------------------------------------------------


def _editor_page(
    request: HttpRequest, editor: ItemEditor, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "editor": editor, "form": editor.form}
    return render(request, "backoffice/banks/item_edit.html", context, status=status)


def _more_rows(request: HttpRequest) -> Any:
    """POST data with blank rows added when "More rows" was pressed, else None."""
    if "more_rows" in request.POST:
        return with_more_rows(request.POST, "rows")
    if "more_skills" in request.POST:
        return with_more_rows(request.POST, "skills")
    return None


@member_view(Capability.AUTHOR_EXAMS)
def item_create(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    bank = banks.get_bank_for(member, pk)
    if kind not in items.KINDS:
        raise Http404("No such question kind.")
    context = {"bank": bank, "item": None, "kind": kind}
    more = _more_rows(request) if request.method == "POST" else None
    rubrics = Rubric.objects.filter(organization_id=member.organization_id)
    if more is not None:
        editor = ItemEditor(kind, more, skill_names=skill_names(member), rubrics=rubrics)
        return _editor_page(request, editor, context)
    editor = ItemEditor(
        kind,
        request.POST if request.method == "POST" else None,
        skill_names=skill_names(member),
        rubrics=rubrics,
    )
    if request.method == "POST" and editor.is_valid():
        try:
            item = banks.create_item(
                member=member,
                bank=bank,
                content=editor.content(),
                category=editor.category,
                tags=editor.tags,
                publish="publish" in request.POST,
            )
        except DomainError as exc:
            editor.add_domain_error(exc)
        else:
            messages.success(request, f"Question “{item.current}” saved.")
            return redirect("backoffice:item", slug=member.organization.slug, pk=item.pk)
    return _editor_page(request, editor, context, status=400 if editor.has_errors else 200)


@member_view(Capability.AUTHOR_EXAMS)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    item = banks.get_item_for(member, pk)
    version = item.current
    if version is None:
        raise Http404("This question has no content.")
    if item.status == ItemStatus.RETIRED:
        messages.info(request, "A retired question cannot be edited.")
        return redirect("backoffice:item", slug=member.organization.slug, pk=pk)
    context = {
        "bank": item.bank,
        "item": item,
        "kind": version.kind,
        "used": banks.is_used(version),
    }
    more = _more_rows(request) if request.method == "POST" else None
    if more is not None:
        editor = ItemEditor(
            version.kind, more, version=version, item=item, skill_names=skill_names(member)
        )
        return _editor_page(request, editor, context)
    editor = ItemEditor(
        version.kind,
        request.POST if request.method == "POST" else None,
        version=version,
        item=item,
        skill_names=skill_names(member),
    )
    if request.method == "POST" and editor.is_valid():
        try:
            saved = banks.edit_item(
                member=member,
                item=item,
                content=editor.content(),
                category=editor.category,
                tags=editor.tags,
            )
        except DomainError as exc:
            editor.add_domain_error(exc)
        else:
            if saved.pk != version.pk:
                messages.success(
                    request,
                    f"Saved as version {saved.number}; attempts that showed version "
                    f"{version.number} keep it.",
                )
            else:
                messages.success(request, "Question saved.")
            return redirect("backoffice:item", slug=member.organization.slug, pk=pk)
    return _editor_page(request, editor, context, status=400 if editor.has_errors else 200)


@member_view(Capability.AUTHOR_EXAMS)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    item = banks.get_item_for(member, pk)
    version = item.current
    context = {
        "item": item,
        "bank": item.bank,
        "version": version,
        "key": describe(version) if version else None,
        "versions": list(item.versions.order_by("-number")),
        "used": banks.is_used(version) if version else False,
    }
    return render(request, "backoffice/banks/item_detail.html", context)


@require_POST
@member_view(Capability.AUTHOR_EXAMS)
def item_status(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    item = banks.get_item_for(member, pk)
    status = request.POST.get("status", "")
    try:
        banks.set_item_status(member=member, item=item, status=status)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = {
            ItemStatus.PUBLISHED: "Published: exams can now use this question.",
            ItemStatus.RETIRED: "Retired: it is never drawn again; old attempts keep it.",
            ItemStatus.DRAFT: "Back to draft: exams will not draw it.",
        }
        messages.success(request, done[ItemStatus(status)])
    return redirect("backoffice:item", slug=member.organization.slug, pk=pk)


def describe(version: ItemVersion) -> dict[str, Any]:
    """The author's view of a version: every choice with its mark, and the key in words."""
    interaction, scoring = version.interaction, version.scoring
    feedback = version.feedback.get("choices") or {}
    kind = version.kind
    choices: list[dict[str, Any]] = []
    lines: list[str] = []
    if kind in (items.SINGLE, items.MULTIPLE, items.ORDERING):
        weights = scoring.get("weights") or {}
        correct = set(scoring.get("correct") or [])
        for choice in interaction["choices"]:
            weight = weights.get(choice["id"])
            if choice["id"] in correct or (weight is not None and weight == 1):
                mark = "correct"
            elif weight:
                mark = f"{weight * 100:g} %"
            else:
                mark = ""
            choices.append(
                {
                    "text": choice["text"],
                    "mark": "" if kind == items.ORDERING else mark,
                    "pinned": choice.get("fixed", False),
                    "feedback": feedback.get(choice["id"], ""),
                }
            )
        if kind == items.ORDERING:
            texts = {c["id"]: c["text"] for c in interaction["choices"]}
            lines.append("Correct order: " + " → ".join(texts[c] for c in scoring["order"]))
        if "rule" in scoring:
            lines.append(f"Scoring: {scoring['rule'].replace('_', ' ')}")
    elif kind == items.TRUE_FALSE:
        lines.append(f"Correct answer: {'true' if scoring['correct'] else 'false'}")
    elif kind == items.NUMERIC:
        unit = interaction.get("unit", "")
        for answer in scoring["answers"]:
            if "min" in answer:
                accepted = f"from {answer['min']} to {answer['max']}"
            else:
                accepted = f"{answer['value']} ± {answer['tolerance']}"
            lines.append(f"{accepted} {unit}".strip() + f" — {answer['fraction'] * 100:g} %")
    elif kind == items.SHORT_TEXT:
        for answer in scoring["answers"]:
            accepted = (
                f"pattern {answer['pattern']}" if "pattern" in answer else f"“{answer['text']}”"
            )
            lines.append(f"{accepted} — {answer['fraction'] * 100:g} %")
        lines.append("Case-sensitive" if scoring.get("case_sensitive") else "Ignoring case")
    elif kind == items.MATCHING:
        responses = {r["id"]: r["text"] for r in interaction["responses"]}
        for premise in interaction["premises"]:
            lines.append(f"{premise['text']} → {responses[scoring['pairs'][premise['id']]]}")
        lines.append(f"Scoring: {scoring['rule'].replace('_', ' ')}")
    elif kind == items.ESSAY:
        lines.append(f"Graded by people; about {interaction.get('expected_lines', 10)} lines.")
    elif kind == items.FILE:
        accept = ", ".join(interaction.get("accept", []))
        lines.append(f"Graded by people; {accept}, at most {interaction.get('max_mb')} MB.")
    return {"choices": choices, "lines": lines, "general": version.feedback.get("general", "")}


# -- import and export -------------------------------------------------------------------------


def detect_format(name: str, data: bytes) -> str:
    """Guess the format from the extension and the first bytes (the parsers are strict)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or extension == "zip":
        return "qti"
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<") or extension == "xml":
        return "moodlexml" if re.search(rb"<quiz[\s>]", data[:65536]) else "qti"
    if extension == "gift":
        return "gift"
    text = data[:65536].decode("utf-8", "replace")
    if re.search(r"^ANSWER:\s*[A-Za-z]", text, re.MULTILINE) and "{" not in text:
        return "aiken"
    return "gift"


def parse_file(fmt: str, data: bytes, name: str) -> ImportReport:
    if fmt == "gift":
        return gift.parse(data)
    if fmt == "aiken":
        return aiken.parse(data)
    if fmt == "moodlexml":
        return moodlexml.parse(data)
    if fmt == "qti":
        return qti.parse(data, name)
    raise FormatError(f"unknown format {fmt!r}")


def _import_page(
    request: HttpRequest, bank: Any, form: ImportForm, status: int = 200
) -> HttpResponse:
    return render(
        request, "backoffice/banks/import.html", {"bank": bank, "form": form}, status=status
    )


@member_view(Capability.AUTHOR_EXAMS)
def bank_import(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    bank = banks.get_bank_for(member, pk)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _import_confirm(request, bank)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _import_page(request, bank, form)
    if not form.is_valid():
        return _import_page(request, bank, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", "The file is larger than 10 MB.")
        return _import_page(request, bank, form, status=400)
    data = upload.read()
    fmt = form.cleaned_data["format"]
    if fmt == "auto":
        fmt = detect_format(upload.name, data)
    try:
        report = parse_file(fmt, data, upload.name)
    except FormatError as exc:
        form.add_error("file", f"The file cannot be imported: {exc}.")
        return _import_page(request, bank, form, status=400)
    kept = len(data) <= KEEP_IN_SESSION_BYTES
    pending = {
        "token": secrets.token_urlsafe(16),
        "bank": bank.pk,
        "format": fmt,
        "name": upload.name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
        "publish": form.cleaned_data["publish"],
        "data": base64.b64encode(data).decode() if kept else None,
    }
    request.session[IMPORT_SESSION_KEY] = pending
    context = {
        "bank": bank,
        "report": report,
        "pending": pending,
        "format_label": dict(_FORMAT_LABELS).get(fmt, fmt),
        "reupload": not kept,
    }
    return render(request, "backoffice/banks/import_preview.html", context)


_FORMAT_LABELS = [("gift", "GIFT"), ("aiken", "Aiken"), ("moodlexml", "Moodle XML"), ("qti", "QTI")]


def _import_confirm(request: HttpRequest, bank: Any) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    back = redirect("backoffice:bank_import", slug=member.organization.slug, pk=bank.pk)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if (
        not isinstance(pending, dict)
        or not secrets.compare_digest(str(pending.get("token")), request.POST.get("token", ""))
        or pending.get("bank") != bank.pk
    ):
        messages.error(request, "This import preview has expired. Choose the file again.")
        return back
    if pending["data"] is not None:
        data = base64.b64decode(pending["data"])
    else:
        upload = request.FILES.get("file")
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if hashlib.sha256(data).hexdigest() != pending["sha256"]:
            messages.error(request, "Choose the same file you previewed.")
            return back
    try:
        report = parse_file(pending["format"], data, pending["name"])
        created = banks.import_items(
            member=member, bank=bank, report=report, publish=bool(pending["publish"])
        )
    except FormatError as exc:
        messages.error(request, f"The file cannot be imported: {exc}.")
        return back
    except DomainError as exc:
        messages.error(request, exc.message)
        return back
    request.session.pop(IMPORT_SESSION_KEY, None)
    skipped = len(report.skipped)
    messages.success(
        request,
        f"{len(created)} question{'s' if len(created) != 1 else ''} imported"
        + (f"; {skipped} skipped." if skipped else "."),
    )
    return redirect("backoffice:bank", slug=member.organization.slug, pk=bank.pk)


def export_rows(versions: list[ItemVersion]) -> list[dict[str, Any]]:
    return [
        {
            "identifier": f"item-{version.item_id}",
            "title": version.title,
            "kind": version.kind,
            "stem": version.stem,
            "interaction": version.interaction,
            "scoring": version.scoring,
            "feedback": version.feedback,
            "max_score": float(version.max_score),
        }
        for version in versions
    ]


def qti_download(versions: list[ItemVersion], filename: str) -> HttpResponse:
    """The versions as a QTI 3.0 package; raises FormatError naming an item QTI cannot hold."""
    package = qti.export(export_rows(versions))
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_view(Capability.AUTHOR_EXAMS)
def bank_export(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    bank = banks.get_bank_for(member, pk)
    questions = (
        Item.objects.filter(bank=bank, organization_id=member.organization_id)
        .exclude(status=ItemStatus.RETIRED)
        .select_related("current")
        .order_by("id")
    )
    versions = [q.current for q in questions if q.current is not None]
    if not versions:
        messages.info(request, "This bank has no questions to export.")
        return redirect("backoffice:bank", slug=member.organization.slug, pk=pk)
    try:
        return qti_download(versions, f"question-bank-{bank.pk}-qti3.zip")
    except FormatError as exc:
        messages.error(request, f"The bank cannot be exported: {exc}.")
        return redirect("backoffice:bank", slug=member.organization.slug, pk=pk)
