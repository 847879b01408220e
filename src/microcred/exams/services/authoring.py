"""Exams: create, change settings and sections, publish a version, access codes and
accommodations."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from microcred.accounts.models import User, normalize_email
from microcred.achievements.models import Achievement
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.exams import draw
from microcred.exams.models import (
    Accommodation,
    Attempt,
    AttemptState,
    Disagreement,
    Exam,
    ExamStatus,
    ExamVersion,
    GradingMethod,
    Item,
    ItemStatus,
    Navigation,
    QuestionBank,
    ReviewPolicy,
)
from microcred.exams.queries import requirements_naming
from microcred.exams.services import pools
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

MAX_SECTIONS = 50
MAX_RULES = 200
MAX_DRAW = 500


def exams_for(member: Membership) -> QuerySet[Exam]:
    return Exam.objects.filter(organization_id=member.organization_id).select_related("achievement")


def get_exam_for(member: Membership, pk: int) -> Exam:
    try:
        return exams_for(member).get(pk=pk)
    except Exam.DoesNotExist:
        raise NotFound("No such exam.") from None


# Settings a member may change, with their checks.
def _clean_settings(member: Membership, values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name == "title":
            value = " ".join(str(value).split())
            if not value or len(value) > 200:
                raise DomainError("Enter a title of at most 200 characters.", field="title")
        elif name == "instructions":
            value = str(value).strip()[:10000]
        elif name == "achievement":
            if value is not None and (
                not isinstance(value, Achievement)
                or value.organization_id != member.organization_id
            ):
                raise DomainError("No such credential definition.", field="achievement")
        elif name in ("time_limit_minutes", "max_attempts"):
            value = _optional_int(value, name, low=1, high=24 * 60 if "time" in name else 1000)
        elif name == "cooldown_minutes":
            value = _optional_int(value, name, low=0, high=365 * 24 * 60) or 0
        elif name in ("open_at", "close_at"):
            if value is not None and not isinstance(value, datetime):
                raise DomainError("Enter a date and time.", field=name)
        elif name == "pass_mark_percent":
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                raise DomainError("The pass mark must be a number.", field=name) from None
            if not value.is_finite() or not 0 <= value <= 100:
                raise DomainError("The pass mark must be between 0 and 100 %.", field=name)
        elif name == "grading_method":
            _choice(value, GradingMethod, name)
        elif name == "navigation":
            _choice(value, Navigation, name)
        elif name in ("review_after_submit", "review_after_close"):
            _choice(value, ReviewPolicy, name)
        elif name in ("shuffle_items", "blind_marking", "double_marking"):
            value = bool(value)
        elif name == "disagreement":
            _choice(value, Disagreement, name)
        elif name == "disagreement_points":
            value = _optional_int(value, name, low=0, high=100) or 0
        elif name == "ip_ranges":
            value = _ip_ranges(value)
        elif name == "seb_config_keys":
            value = _seb_keys(value)
        else:
            raise DomainError(f"Unknown exam setting {name!r}.")
        cleaned[name] = value
    return cleaned


def _optional_int(value: Any, name: str, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError("Enter a whole number.", field=name) from None
    if not low <= number <= high:
        raise DomainError(f"Enter a whole number from {low} to {high}.", field=name)
    return number


def _choice(value: Any, choices: Any, name: str) -> None:
    if value not in choices.values:
        raise DomainError("Choose one of the options.", field=name)


def _ip_ranges(value: Any) -> list[str]:
    entries = value.split() if isinstance(value, str) else list(value or [])
    cleaned = []
    for entry in entries:
        try:
            cleaned.append(str(ipaddress.ip_network(str(entry).strip(), strict=False)))
        except ValueError:
            raise DomainError(
                f"{entry!r} is not an IP address or range (e.g. 192.0.2.0/24).", field="ip_ranges"
            ) from None
    return cleaned


def _seb_keys(value: Any) -> list[str]:
    entries = value.split() if isinstance(value, str) else list(value or [])
    cleaned = []
    for entry in entries:
        key = str(entry).strip().lower()
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise DomainError(
                "A Safe Exam Browser config key is 64 hexadecimal characters.",
                field="seb_config_keys",
            )
        cleaned.append(key)
    return cleaned


@transaction.atomic
def create_exam(*, member: Membership, title: str, **settings: Any) -> Exam:
    require(member, Capability.AUTHOR_EXAMS)
    fields = _clean_settings(member, {"title": title, **settings})
    exam = Exam.objects.create(
        organization_id=member.organization_id, created_by=member.user, **fields
    )
    log_action(
        "microcred.exam.created",
        actor=member.user,
        organization=member.organization,
        target=exam,
        data={"title": exam.title},
    )
    return exam


@transaction.atomic
def update_exam(
    *,
    member: Membership,
    exam: Exam,
    sections: list[dict[str, Any]] | None = None,
    blueprint: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> Exam:
    """Change an exam's settings, sections or blueprint. Attempts run on published versions,
    so nothing changes for candidates until the exam is published again."""
    require(member, Capability.AUTHOR_EXAMS)
    exam = Exam.objects.select_for_update().get(pk=exam.pk, organization_id=member.organization_id)
    if exam.status == ExamStatus.ARCHIVED:
        raise DomainError("An archived exam cannot be changed.")
    fields = _clean_settings(member, settings)
    if sections is not None:
        fields["sections"] = _clean_sections(member, sections)
    if blueprint is not None:
        fields["blueprint"] = _clean_blueprint(blueprint)
    open_at = fields.get("open_at", exam.open_at)
    close_at = fields.get("close_at", exam.close_at)
    if open_at and close_at and open_at >= close_at:
        raise DomainError("The exam must open before it closes.", field="close_at")
    if "title" in fields and fields["title"].casefold() != exam.title.casefold():
        _check_not_named(exam)
    for name, value in fields.items():
        setattr(exam, name, value)
    exam.save()
    log_action(
        "microcred.exam.updated",
        actor=member.user,
        organization=member.organization,
        target=exam,
        data={"fields": sorted(fields)},
    )
    return exam


def _check_not_named(exam: Exam) -> None:
    """Requirements find exams by title: renaming one that a credential definition names would
    quietly stop it counting towards that credential."""
    naming = requirements_naming(exam.organization_id, exam.title, published_only=False)
    titles = sorted(set(naming.values_list("version__title", flat=True)))
    if titles:
        listed = ", ".join(f"“{title}”" for title in titles[:3])
        more = f" and {len(titles) - 3} more" if len(titles) > 3 else ""
        raise DomainError(
            f"The requirements of {listed}{more} name this exam by its title; keep the title, "
            "or change those requirements first.",
            field="title",
        )


def _clean_sections(member: Membership, sections: Any) -> list[dict[str, Any]]:
    if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_SECTIONS:
        raise DomainError(f"An exam has 1 to {MAX_SECTIONS} sections.", field="sections")
    banks = set(
        QuestionBank.objects.filter(organization_id=member.organization_id).values_list(
            "pk", flat=True
        )
    )
    cleaned = []
    rules_total = 0
    for number, section in enumerate(sections, 1):
        if not isinstance(section, dict) or not isinstance(section.get("rules"), list):
            raise DomainError(f"Section {number} needs a list of rules.", field="sections")
        rules = []
        for rule in section["rules"]:
            rules_total += 1
            if rules_total > MAX_RULES:
                raise DomainError(f"An exam has at most {MAX_RULES} rules.", field="sections")
            rules.append(_clean_rule(member, number, rule, banks))
        if not rules:
            raise DomainError(f"Section {number} has no questions.", field="sections")
        cleaned.append(
            {
                "title": " ".join(str(section.get("title") or "").split())[:200],
                "shuffle": bool(section.get("shuffle", True)),
                "rules": rules,
            }
        )
    return cleaned


def _clean_rule(member: Membership, section: int, rule: Any, banks: set[int]) -> dict[str, Any]:
    where = f"Section {section}"
    if not isinstance(rule, dict):
        raise DomainError(f"{where}: a rule must be an object.", field="sections")
    if "item" in rule:
        if not Item.objects.filter(
            pk=rule["item"], organization_id=member.organization_id
        ).exists():
            raise DomainError(f"{where}: no such question {rule['item']}.", field="sections")
        return {"item": int(rule["item"])}
    if rule.get("bank") not in banks:
        raise DomainError(f"{where}: no such question bank.", field="sections")
    count = _optional_int(rule.get("count"), "sections", low=1, high=MAX_DRAW)
    if count is None:
        raise DomainError(f"{where}: say how many questions to draw.", field="sections")
    return {
        "bank": rule["bank"],
        "count": count,
        "tags": sorted({str(t).strip() for t in rule.get("tags") or [] if str(t).strip()}),
        "skills": sorted({str(s).strip() for s in rule.get("skills") or [] if str(s).strip()}),
        "category": " ".join(str(rule.get("category") or "").split()),
    }


def _clean_blueprint(blueprint: Any) -> list[dict[str, Any]]:
    if not isinstance(blueprint, list):
        raise DomainError("The blueprint must be a list.", field="blueprint")
    cleaned = {}
    for entry in blueprint:
        skill = " ".join(str(entry.get("skill", "")).split()) if isinstance(entry, dict) else ""
        count = _optional_int(
            entry.get("min_items") if isinstance(entry, dict) else None,
            "blueprint",
            low=1,
            high=MAX_DRAW,
        )
        if not skill or count is None:
            raise DomainError(
                "Each blueprint entry needs a skill and a minimum number of questions.",
                field="blueprint",
            )
        cleaned[skill] = count
    return [{"skill": skill, "min_items": count} for skill, count in sorted(cleaned.items())]


@transaction.atomic
def set_access_code(*, member: Membership, exam: Exam, code: str) -> Exam:
    """Candidates must type ``code`` to start (empty: no code). Stored as a salted hash."""
    require(member, Capability.AUTHOR_EXAMS)
    exam = Exam.objects.select_for_update().get(pk=exam.pk, organization_id=member.organization_id)
    code = code.strip()
    if code and not 4 <= len(code) <= 100:
        raise DomainError("An access code has 4 to 100 characters.", field="access_code")
    exam.access_code_hash = make_password(code) if code else ""
    exam.save(update_fields=["access_code_hash", "updated_at"])
    log_action(
        "microcred.exam.access_code_set" if code else "microcred.exam.access_code_removed",
        actor=member.user,
        organization=member.organization,
        target=exam,
    )
    return exam


def config_for(exam: Exam, *, preview: bool = False) -> dict[str, Any]:
    """The exam's current settings and sections as a version config (fixed questions pinned to
    their current versions). Publishing refuses a fixed question that is not published; a
    ``preview`` shows it anyway, so authors can look before publishing it."""
    current = {
        pk: (status, version)
        for pk, status, version in Item.objects.filter(
            organization_id=exam.organization_id
        ).values_list("pk", "status", "current_id")
    }
    sections = []
    for number, section in enumerate(exam.sections, 1):
        rules = []
        for rule in section["rules"]:
            if "item" in rule:
                status, version = current.get(rule["item"], (None, None))
                if version is None:
                    raise DomainError(f"Section {number}: question {rule['item']} is gone.")
                if status != ItemStatus.PUBLISHED and not preview:
                    title = Item.objects.get(pk=rule["item"])
                    raise DomainError(
                        f"Question “{title}” is not published; publish it or remove it first."
                    )
                rules.append({"item_version": version})
            else:
                rules.append(rule)
        sections.append({**section, "rules": rules})
    return {
        "title": exam.title,
        "instructions": exam.instructions,
        "achievement": exam.achievement_id,
        "time_limit_minutes": exam.time_limit_minutes,
        "open_at": exam.open_at.isoformat() if exam.open_at else None,
        "close_at": exam.close_at.isoformat() if exam.close_at else None,
        "max_attempts": exam.max_attempts,
        "cooldown_minutes": exam.cooldown_minutes,
        "pass_mark_percent": str(exam.pass_mark_percent),
        "grading_method": exam.grading_method,
        "navigation": exam.navigation,
        "shuffle_items": exam.shuffle_items,
        "review_after_submit": exam.review_after_submit,
        "review_after_close": exam.review_after_close,
        "access_code_hash": exam.access_code_hash,
        "ip_ranges": exam.ip_ranges,
        "seb_config_keys": exam.seb_config_keys,
        "blueprint": exam.blueprint,
        "sections": sections,
        "blind_marking": exam.blind_marking,
        "double_marking": exam.double_marking,
        "disagreement": exam.disagreement,
        "disagreement_points": exam.disagreement_points,
    }


@transaction.atomic
def publish_exam(*, member: Membership, exam: Exam) -> ExamVersion:
    """Freeze the exam's current settings and sections into a new version that new attempts
    run on. Fails with the reason when no valid form can be drawn."""
    require(member, Capability.AUTHOR_EXAMS)
    exam = Exam.objects.select_for_update().get(pk=exam.pk, organization_id=member.organization_id)
    if exam.status == ExamStatus.ARCHIVED:
        raise DomainError("An archived exam cannot be published.")
    if not exam.sections:
        raise DomainError("Add at least one section with questions before publishing.")
    config = config_for(exam)
    try:  # a trial draw proves every pool is large enough and the blueprint reachable
        pools.draw_for(exam.organization_id, config, seen=Counter(), seed="00" * 16)
    except draw.DrawError as exc:
        raise DomainError(f"The exam cannot be assembled: {exc}.") from None
    latest = exam.versions.order_by("-number").first()
    version = ExamVersion.objects.create(
        organization_id=exam.organization_id,
        exam=exam,
        number=latest.number + 1 if latest else 1,
        config=config,
        published_by=member.user,
    )
    exam.status = ExamStatus.PUBLISHED
    exam.save(update_fields=["status", "updated_at"])
    log_action(
        "microcred.exam.published",
        actor=member.user,
        organization=member.organization,
        target=exam,
        data={"version": version.number},
    )
    return version


@transaction.atomic
def archive_exam(*, member: Membership, exam: Exam) -> Exam:
    require(member, Capability.AUTHOR_EXAMS)
    exam = Exam.objects.select_for_update().get(pk=exam.pk, organization_id=member.organization_id)
    exam.status = ExamStatus.ARCHIVED
    exam.save(update_fields=["status", "updated_at"])
    log_action(
        "microcred.exam.archived", actor=member.user, organization=member.organization, target=exam
    )
    return exam


@transaction.atomic
def grant_accommodation(
    *,
    member: Membership,
    candidate_email: str,
    exam: Exam | None = None,
    time_multiplier: Decimal | str = Decimal(1),
    extra_minutes: int = 0,
    note: str = "",
) -> Accommodation:
    """Extra time for one candidate (on ``exam`` or on every exam). Attempts already in
    progress get their deadline recomputed at once."""
    require(member, Capability.AUTHOR_EXAMS)
    candidate = User.objects.filter(email=normalize_email(candidate_email)).first()
    if candidate is None:
        raise DomainError("No account has this e-mail address.", field="candidate_email")
    if exam is not None and exam.organization_id != member.organization_id:
        raise NotFound("No such exam.")
    try:
        multiplier = Decimal(str(time_multiplier))
    except InvalidOperation:
        raise DomainError(
            "The time multiplier must be a number.", field="time_multiplier"
        ) from None
    if not multiplier.is_finite() or not 1 <= multiplier <= 5:
        raise DomainError("The time multiplier must be from 1 to 5.", field="time_multiplier")
    extra = _optional_int(extra_minutes, "extra_minutes", low=0, high=24 * 60) or 0
    accommodation, _ = Accommodation.objects.update_or_create(
        organization_id=member.organization_id,
        candidate=candidate,
        exam=exam,
        defaults={
            "time_multiplier": multiplier.quantize(Decimal("0.01")),
            "extra_minutes": extra,
            "note": note.strip()[:500],
            "created_by": member.user,
        },
    )
    log_action(
        "microcred.exam.accommodation_granted",
        actor=member.user,
        organization=member.organization,
        target=accommodation,
        data={
            "candidate": candidate.email,
            "exam": exam.pk if exam else None,
            "multiplier": str(multiplier),
            "extra_minutes": extra,
        },
    )
    # Imported here: attempts imports this module's helpers.
    from microcred.exams.services.attempts import reschedule_open_attempts

    open_attempts = Attempt.objects.filter(
        organization_id=member.organization_id,
        candidate=candidate,
        state=AttemptState.IN_PROGRESS,
    )
    if exam is not None:
        open_attempts = open_attempts.filter(exam=exam)
    reschedule_open_attempts(open_attempts, now=timezone.now())
    return accommodation
