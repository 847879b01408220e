"""Question banks, versioned items, exams, publishing and importing — with tenancy and roles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from microcred.achievements.services import archive_achievement
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.exams import items
from microcred.exams.formats.base import ImportReport
from microcred.exams.models import ExamVersion, Item, ItemStatus, ItemVersion
from microcred.exams.services import attempts, authoring, banks
from tests.conftest import publish_achievement
from tests.exams.support import CONTENT, RIGHT, answer_all, make_item, published_exam
from tests.exams.test_attempts import ACCESS


def test_banks_and_items_are_created_validated_and_audited(world):
    bank = banks.create_bank(member=world.a.issuer, name="  Statistics  basics ")
    assert bank.name == "Statistics basics"
    with pytest.raises(DomainError, match="exists already"):
        banks.create_bank(member=world.a.issuer, name="Statistics basics")
    item = make_item(world.a.issuer, bank, items.SINGLE, tags="core, week 1,core")
    assert item.tags == ["core", "week 1"]
    assert item.current.number == 1
    assert item.current.title == "Which letter comes first?"
    for content, message in (
        ({"kind": "single", "stem": ""}, "question text"),
        ({"kind": "single", "stem": "Q", "interaction": {"choices": []}}, "2 to 50 entries"),
        ({**CONTENT[items.SINGLE], "kind": "single", "max_score": "0"}, "above 0"),
        ({**CONTENT[items.SINGLE], "kind": "single", "skills": [{"name": ""}]}, "skill needs"),
        ({"kind": "hotspot", "stem": "Q"}, "Unknown item kind"),
    ):
        with pytest.raises(DomainError, match=message):
            banks.create_item(member=world.a.issuer, bank=bank, content=content)
    assert Item.objects.count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"microcred.question_bank.created", "microcred.item.created"} <= actions


def test_roles_and_tenants(world):
    bank = banks.create_bank(member=world.a.issuer, name="A's bank")
    with pytest.raises(PermissionDenied):
        banks.create_bank(member=world.a.assessor, name="Nope")
    with pytest.raises(NotFound):
        banks.get_bank_for(world.b.owner, bank.pk)
    with pytest.raises(NotFound):
        banks.create_item(member=world.b.owner, bank=bank, content={"kind": "essay", "stem": "Q"})
    item = make_item(world.a.issuer, bank, items.ESSAY)
    with pytest.raises(NotFound):
        banks.get_item_for(world.b.owner, item.pk)
    exam = authoring.create_exam(member=world.a.issuer, title="A's exam")
    with pytest.raises(NotFound):
        authoring.get_exam_for(world.b.owner, exam.pk)
    b_exam = authoring.create_exam(member=world.b.owner, title="B's exam")
    with pytest.raises(DomainError, match="no such question"):
        authoring.update_exam(
            member=world.b.owner, exam=b_exam, sections=[{"rules": [{"item": item.pk}]}]
        )
    with pytest.raises(DomainError, match="no such question bank"):
        authoring.update_exam(
            member=world.b.owner, exam=b_exam, sections=[{"rules": [{"bank": bank.pk, "count": 1}]}]
        )


def test_editing_a_used_item_makes_a_new_version_and_attempts_keep_theirs(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    item = Item.objects.get(bank__name="Bank for Final exam")
    # Unused: edited in place.
    banks.edit_item(
        member=world.a.issuer,
        item=item,
        content={**CONTENT[items.SINGLE], "kind": "single", "stem": "Fixed typo?"},
    )
    item.refresh_from_db()
    assert item.current.number == 1
    assert item.current.stem == "Fixed typo?"
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    changed = {**CONTENT[items.SINGLE], "kind": "single", "scoring": {"correct": "B"}}
    version = banks.edit_item(member=world.a.issuer, item=item, content=changed)
    assert version.number == 2
    old = ItemVersion.objects.get(item=item, number=1)
    assert old.scoring == {"weights": {"A": 1.0}}  # untouched
    assert attempt.items.get().item_version == old
    # The running attempt is scored on the version it showed.
    answer_all(world.learner, attempt, RIGHT)
    assert attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk).percent == 100
    assert AuditEntry.objects.filter(action="microcred.item.versioned").exists()


def test_publishing_freezes_the_exam_and_checks_it_can_be_drawn(world):
    bank = banks.create_bank(member=world.a.issuer, name="Pool")
    for _ in range(3):
        make_item(world.a.issuer, bank, items.TRUE_FALSE)
    exam = authoring.create_exam(member=world.a.issuer, title="Drawn", time_limit_minutes=20)
    with pytest.raises(DomainError, match="at least one section"):
        authoring.publish_exam(member=world.a.issuer, exam=exam)
    authoring.update_exam(
        member=world.a.issuer, exam=exam, sections=[{"rules": [{"bank": bank.pk, "count": 4}]}]
    )
    with pytest.raises(DomainError, match="asks for 4 questions from a pool of 3"):
        authoring.publish_exam(member=world.a.issuer, exam=exam)
    authoring.update_exam(
        member=world.a.issuer,
        exam=exam,
        sections=[{"rules": [{"bank": bank.pk, "count": 2}]}],
        blueprint=[{"skill": "Statistics", "min_items": 1}],
    )
    with pytest.raises(DomainError, match="blueprint"):
        authoring.publish_exam(member=world.a.issuer, exam=exam)
    make_item(world.a.issuer, bank, items.SINGLE)  # tagged Statistics
    version = authoring.publish_exam(member=world.a.issuer, exam=exam)
    assert version.number == 1
    assert version.config["time_limit_minutes"] == 20
    # Later edits do not touch the published version.
    authoring.update_exam(member=world.a.issuer, exam=exam, time_limit_minutes=90)
    assert ExamVersion.objects.get(pk=version.pk).config["time_limit_minutes"] == 20
    # Every drawn form meets the blueprint.
    exam.refresh_from_db()
    for candidate in (world.learner, world.stranger, world.a.owner.user):
        attempt = attempts.start_attempt(candidate=candidate, exam=exam, access=ACCESS)
        skills = [s["name"] for i in attempt.items.all() for s in i.item_version.skills]
        assert "Statistics" in skills
        assert attempt.items.count() == 2


def test_pools_prefer_unseen_items_on_later_attempts(world):
    bank = banks.create_bank(member=world.a.issuer, name="Pool")
    for _ in range(4):
        make_item(world.a.issuer, bank, items.TRUE_FALSE)
    exam = authoring.create_exam(member=world.a.issuer, title="Retakes")
    authoring.update_exam(
        member=world.a.issuer, exam=exam, sections=[{"rules": [{"bank": bank.pk, "count": 2}]}]
    )
    authoring.publish_exam(member=world.a.issuer, exam=exam)
    exam.refresh_from_db()
    first = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    attempts.submit_attempt(candidate=world.learner, attempt_id=first.pk)
    second = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    seen = {i.item_version.item_id for i in first.items.all()}
    assert not seen & {i.item_version.item_id for i in second.items.all()}


def test_settings_are_validated_precisely(world):
    exam = authoring.create_exam(member=world.a.issuer, title="Settings")
    for settings, message in (
        ({"pass_mark_percent": "120"}, "between 0 and 100"),
        ({"time_limit_minutes": "0"}, "from 1 to 1440"),
        ({"ip_ranges": "10.0.0.0/8 not-an-ip"}, "not an IP address"),
        ({"seb_config_keys": ["short"]}, "64 hexadecimal"),
        ({"grading_method": "average"}, "Choose one"),
        ({"title": ""}, "Enter a title"),
    ):
        with pytest.raises(DomainError, match=message):
            authoring.update_exam(member=world.a.issuer, exam=exam, **settings)
    exam.refresh_from_db()
    assert exam.pass_mark_percent == Decimal(50)
    assert exam.title == "Settings"


def test_importing_a_report_stores_every_item_or_none(world):
    bank = banks.create_bank(member=world.a.issuer, name="Imported")
    report = ImportReport("gift")
    report.add(
        source="line 1",
        title="",
        kind="true_false",
        stem="Sky is blue",
        interaction={},
        scoring={"correct": True},
    )
    report.add(
        source="line 3",
        title="",
        kind="single",
        stem="Bad",
        interaction={"choices": []},
        scoring={},
    )
    assert [s.source for s in report.skipped] == ["line 3"]
    created = banks.import_items(member=world.a.issuer, bank=bank, report=report, publish=True)
    assert [i.status for i in created] == [ItemStatus.PUBLISHED]
    entry = AuditEntry.objects.get(action="microcred.question_bank.imported")
    assert entry.data["skipped"] == [
        {"source": "line 3", "reason": "choices must be a list of 2 to 50 entries"}
    ]
    with pytest.raises(DomainError, match="no question"):
        banks.import_items(member=world.a.issuer, bank=bank, report=ImportReport("gift"))


def test_accommodations_need_an_existing_account(world):
    with pytest.raises(DomainError, match="No account"):
        authoring.grant_accommodation(member=world.a.issuer, candidate_email="nobody@example.test")
    with pytest.raises(PermissionDenied):
        authoring.grant_accommodation(member=world.a.assessor, candidate_email=world.learner.email)


def test_an_exam_named_by_a_credentials_requirement_keeps_its_title(world):
    achievement = publish_achievement(world.a.issuer)  # needs 70 % in "Final exam"
    exam = published_exam(world.a.issuer)
    assert exam.title == "Final exam"
    with pytest.raises(DomainError, match="Applied Statistics") as refused:
        authoring.update_exam(member=world.a.issuer, exam=exam, title="Final exam 2025")
    assert refused.value.field == "title"
    exam.refresh_from_db()
    assert exam.title == "Final exam"
    # Case and spacing are not a rename: requirements match them anyway.
    authoring.update_exam(member=world.a.issuer, exam=exam, title="final   EXAM")
    exam.refresh_from_db()
    assert exam.title == "final EXAM"
    # Organization A's requirement binds nothing in B, whose exam has the same title.
    other = published_exam(world.b.issuer)
    authoring.update_exam(member=world.b.issuer, exam=other, title="Midterm")
    # Once the definition is archived, nothing names the exam any more.
    archive_achievement(member=world.a.issuer, achievement=achievement)
    authoring.update_exam(member=world.a.issuer, exam=exam, title="Final exam 2025")
    exam.refresh_from_db()
    assert exam.title == "Final exam 2025"
