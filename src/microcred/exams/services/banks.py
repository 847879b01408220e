"""Question banks and items: create, edit (a used item gets a new version), publish, retire,
and import a whole file into a bank."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.exams import items
from microcred.exams.formats.base import ImportReport
from microcred.exams.models import AttemptItem, Item, ItemStatus, ItemVersion, QuestionBank
from microcred.exams.richtext import sanitize_stem, stem_text
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

MAX_SCORE = Decimal(1000)


def banks_for(member: Membership):  # type: ignore[no-untyped-def]
    return QuestionBank.objects.filter(organization_id=member.organization_id)


def get_bank_for(member: Membership, pk: int) -> QuestionBank:
    try:
        return banks_for(member).get(pk=pk)
    except QuestionBank.DoesNotExist:
        raise NotFound("No such question bank.") from None


def get_item_for(member: Membership, pk: int) -> Item:
    try:
        return Item.objects.select_related("current", "bank").get(
            pk=pk, organization_id=member.organization_id
        )
    except Item.DoesNotExist:
        raise NotFound("No such question.") from None


@transaction.atomic
def create_bank(*, member: Membership, name: str, description: str = "") -> QuestionBank:
    require(member, Capability.AUTHOR_EXAMS)
    name = " ".join(name.split())
    if not name:
        raise DomainError("Enter a name for the bank.", field="name")
    if len(name) > 200:
        raise DomainError("The name is longer than 200 characters.", field="name")
    try:
        with transaction.atomic():
            bank = QuestionBank.objects.create(
                organization_id=member.organization_id,
                name=name,
                description=description.strip()[:2000],
                created_by=member.user,
            )
    except IntegrityError:
        raise DomainError("A bank with this name exists already.", field="name") from None
    log_action(
        "microcred.question_bank.created",
        actor=member.user,
        organization=member.organization,
        target=bank,
        data={"name": name},
    )
    return bank


def _clean_content(content: dict[str, Any]) -> dict[str, Any]:
    """Validate an item's content; returns the fields of an ItemVersion."""
    kind = content.get("kind")
    title = " ".join(str(content.get("title") or "").split())
    stem = sanitize_stem(str(content.get("stem") or ""))
    if not (text := stem_text(stem)):
        raise DomainError("Enter the question text.", field="stem")
    if len(text) > items.MAX_TEXT:
        raise DomainError(
            f"The question text is longer than {items.MAX_TEXT} characters.", field="stem"
        )
    try:
        interaction, scoring, feedback = items.validate_item(
            str(kind), content.get("interaction"), content.get("scoring"), content.get("feedback")
        )
    except items.ItemError as exc:
        raise DomainError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", field="content") from None
    try:
        max_score = Decimal(str(content.get("max_score", 1)))
    except InvalidOperation:
        raise DomainError("The maximum score must be a number.", field="max_score") from None
    if not max_score.is_finite() or not 0 < max_score <= MAX_SCORE:
        raise DomainError(
            f"The maximum score must be above 0 and at most {MAX_SCORE}.", field="max_score"
        )
    skills = []
    for entry in content.get("skills") or []:
        name = " ".join(str(entry.get("name", "")).split()) if isinstance(entry, dict) else ""
        try:
            weight = float(entry.get("weight", 1))
        except (TypeError, ValueError):
            weight = -1
        if not name or not 0 < weight <= 100:
            raise DomainError(
                "Each skill needs a name and a weight above 0 (at most 100).", field="skills"
            )
        skills.append({"name": name[:200], "weight": weight})
    return {
        "kind": kind,
        "title": (title or text)[:200],
        "stem": stem,
        "interaction": interaction,
        "scoring": scoring,
        "feedback": feedback,
        "max_score": max_score.quantize(Decimal("0.01")),
        "skills": skills,
    }


def _tags(value: Any) -> list[str]:
    tags = value if isinstance(value, list) else str(value or "").split(",")
    return sorted({" ".join(str(tag).split())[:60] for tag in tags if str(tag).strip()})


@transaction.atomic
def create_item(
    *,
    member: Membership,
    bank: QuestionBank,
    content: dict[str, Any],
    category: str = "",
    tags: Any = (),
    publish: bool = False,
) -> Item:
    """A new question in ``bank`` with its first version."""
    require(member, Capability.AUTHOR_EXAMS)
    if bank.organization_id != member.organization_id:
        raise NotFound("No such question bank.")
    fields = _clean_content(content)
    item = Item.objects.create(
        organization_id=member.organization_id,
        bank=bank,
        category=" ".join(category.split())[:200],
        tags=_tags(tags),
        status=ItemStatus.PUBLISHED if publish else ItemStatus.DRAFT,
        created_by=member.user,
    )
    version = ItemVersion.objects.create(
        organization_id=member.organization_id,
        item=item,
        number=1,
        created_by=member.user,
        **fields,
    )
    item.current = version
    item.save(update_fields=["current"])
    log_action(
        "microcred.item.created",
        actor=member.user,
        organization=member.organization,
        target=item,
        data={"bank": bank.pk, "kind": fields["kind"], "title": fields["title"]},
    )
    return item


def is_used(version: ItemVersion) -> bool:
    return AttemptItem.objects.filter(item_version=version).exists()


@transaction.atomic
def edit_item(
    *,
    member: Membership,
    item: Item,
    content: dict[str, Any],
    category: str | None = None,
    tags: Any = None,
) -> ItemVersion:
    """Change a question. A version an attempt has shown is never changed: the edit becomes a
    new version, which new attempts get; old attempts keep theirs."""
    require(member, Capability.AUTHOR_EXAMS)
    item = Item.objects.select_for_update().get(pk=item.pk, organization_id=member.organization_id)
    if item.status == ItemStatus.RETIRED:
        raise DomainError("A retired question cannot be edited.")
    fields = _clean_content(content)
    current = ItemVersion.objects.get(pk=item.current_id)
    if is_used(current):
        version = ItemVersion.objects.create(
            organization_id=member.organization_id,
            item=item,
            number=current.number + 1,
            created_by=member.user,
            **fields,
        )
        item.current = version
        action = "microcred.item.versioned"
    else:
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        version = current
        action = "microcred.item.edited"
    if category is not None:
        item.category = " ".join(category.split())[:200]
    if tags is not None:
        item.tags = _tags(tags)
    item.save()
    log_action(
        action,
        actor=member.user,
        organization=member.organization,
        target=item,
        data={"version": version.number, "title": version.title},
    )
    return version


@transaction.atomic
def set_item_status(*, member: Membership, item: Item, status: str) -> Item:
    require(member, Capability.AUTHOR_EXAMS)
    if status not in ItemStatus.values:
        raise DomainError("Unknown status.")
    item = Item.objects.select_for_update().get(pk=item.pk, organization_id=member.organization_id)
    if item.status == ItemStatus.RETIRED and status != ItemStatus.RETIRED:
        raise DomainError("A retired question stays retired; copy it to use it again.")
    previous, item.status = item.status, status
    item.save(update_fields=["status", "updated_at"])
    log_action(
        f"microcred.item.{status}",
        actor=member.user,
        organization=member.organization,
        target=item,
        data={"from": previous},
    )
    return item


@transaction.atomic
def import_items(
    *, member: Membership, bank: QuestionBank, report: ImportReport, publish: bool = False
) -> list[Item]:
    """Store every item of an import report in ``bank`` (all or nothing)."""
    require(member, Capability.AUTHOR_EXAMS)
    if bank.organization_id != member.organization_id:
        raise NotFound("No such question bank.")
    if not report.items:
        raise DomainError("The file has no question that could be imported.")
    created = []
    for imported in report.items:
        content = {
            "kind": imported.kind,
            "title": imported.title,
            "stem": imported.stem,
            "interaction": imported.interaction,
            "scoring": imported.scoring,
            "feedback": imported.feedback,
            "max_score": imported.max_score,
        }
        try:
            created.append(
                create_item(
                    member=member,
                    bank=bank,
                    content=content,
                    category=imported.category,
                    tags=list(imported.tags),
                    publish=publish,
                )
            )
        except DomainError as exc:
            raise DomainError(f"{imported.source}: {exc.message}") from None
    log_action(
        "microcred.question_bank.imported",
        actor=member.user,
        organization=member.organization,
        target=bank,
        data={
            "format": report.format,
            "imported": len(created),
            "skipped": [{"source": s.source, "reason": s.reason} for s in report.skipped],
        },
    )
    return created
