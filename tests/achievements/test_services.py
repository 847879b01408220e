"""Credential definitions: drafts, EU completeness, publishing, versions, archive, tenancy."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections, transaction

from microcred.achievements import queries
from microcred.achievements import services as achievement_services
from microcred.achievements.models import (
    Achievement,
    AchievementStatus,
    AchievementVersion,
    Requirement,
    RequirementKind,
    Skill,
    VersionState,
)
from microcred.achievements.services import PublishBlocked, RequirementData, SkillData
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.issuance.models import VerificationState
from microcred.organizations.models import Membership
from tests.conftest import World, complete_content, issue, publish_achievement

ESCO = "http://data.europa.eu/esco/skill/example"


def _create(member: Membership, **overrides: Any) -> Achievement:
    return achievement_services.create_achievement(
        member=member,
        content=complete_content(**overrides),
        skills=[SkillData("Statistics", "ESCO", ESCO, "S1")],
        requirements=[
            RequirementData("exam_score", exam_name="Final exam", min_score_percent=Decimal(70))
        ],
    )


def _draft(achievement: Achievement) -> AchievementVersion:
    achievement = Achievement.objects.get(pk=achievement.pk)
    draft = achievement.draft_version()
    assert draft is not None
    return draft


def _update(
    member: Membership,
    version: AchievementVersion,
    content: dict[str, Any] | None = None,
    skills: list[SkillData] | None = None,
    requirements: list[RequirementData] | None = None,
) -> AchievementVersion:
    return achievement_services.update_draft(
        member=member,
        version=version,
        content=content if content is not None else {},
        skills=skills if skills is not None else [],
        requirements=requirements if requirements is not None else [],
    )


def _snapshot() -> tuple[Any, ...]:
    """Everything these services write, to show that a refused call changed nothing."""
    return (
        list(Achievement.objects.order_by("pk").values_list("pk", "status", "archived_at")),
        list(
            AchievementVersion.objects.order_by("pk").values_list(
                "pk", "number", "state", "title", "published_at", "eqf_level"
            )
        ),
        list(Skill.objects.order_by("pk").values_list("pk", "version_id", "name")),
        list(
            Requirement.objects.order_by("pk").values_list(
                "pk", "version_id", "kind", "exam_name", "min_score_percent", "prerequisite_id"
            )
        ),
        AuditEntry.objects.count(),
    )


# -- creating and editing drafts -------------------------------------------------------------


def test_create_makes_a_draft_first_version(world: World) -> None:
    achievement = _create(world.a.issuer)

    assert achievement.status == AchievementStatus.DRAFT
    assert achievement.organization == world.a.organization
    assert achievement.created_by == world.a.issuer.user
    versions = list(achievement.versions.all())
    assert len(versions) == 1
    version = versions[0]
    assert (version.number, version.state) == (1, VersionState.DRAFT)
    assert version.organization == world.a.organization
    assert version.title == "Applied Statistics"
    assert version.learning_outcomes == ["Choose a test", "Interpret a p-value"]
    assert version.workload_ects == Decimal(2)
    assert version.published_at is None
    assert [(s.name, s.framework_url, s.position) for s in version.skills.all()] == [
        ("Statistics", ESCO, 0)
    ]
    assert [(r.kind, r.exam_name, r.min_score_percent) for r in version.requirements.all()] == [
        (RequirementKind.EXAM_SCORE, "Final exam", Decimal(70))
    ]
    assert not achievement.can_issue()
    entry = AuditEntry.objects.get(action="microcred.achievement.created")
    assert (entry.actor, entry.organization) == (world.a.issuer.user, world.a.organization)
    assert entry.object_id == str(achievement.pk)
    assert entry.data == {"title": "Applied Statistics"}


def test_create_defaults_the_issuer_country_to_the_organizations(world: World) -> None:
    world.a.organization.country = "AT"
    world.a.organization.save()

    defaulted = _create(world.a.issuer, issuer_country="")
    explicit = _create(world.a.issuer, issuer_country="FR")

    assert _draft(defaulted).issuer_country.code == "AT"
    assert _draft(explicit).issuer_country.code == "FR"


def test_create_tidies_list_fields(world: World) -> None:
    achievement = _create(
        world.a.issuer, learning_outcomes=["  Choose a test ", "", "   "], tags=[" stats ", ""]
    )
    version = _draft(achievement)
    assert version.learning_outcomes == ["Choose a test"]
    assert version.tags == ["stats"]


def test_create_refuses_invalid_content_and_writes_nothing(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        _create(world.a.issuer, title="")
    assert excinfo.value.field == "title"
    assert _snapshot() == before


def test_create_refuses_an_invalid_skill_and_writes_nothing(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        achievement_services.create_achievement(
            member=world.a.issuer,
            content=complete_content(),
            skills=[SkillData("Statistics", "ESCO", "not a url")],
        )
    assert excinfo.value.field == "skills"
    assert _snapshot() == before


def test_update_draft_replaces_content_skills_and_requirements(world: World) -> None:
    achievement = _create(world.a.issuer)
    version = _draft(achievement)
    old_skill_ids = set(version.skills.values_list("pk", flat=True))

    updated = _update(
        world.a.admin,
        version,
        content={"title": "Applied Statistics II", "workload_hours": Decimal("50.5")},
        skills=[SkillData("Regression"), SkillData("Sampling", "ESCO", ESCO, "S2")],
        requirements=[RequirementData("evidence", description="  A project report ")],
    )

    updated.refresh_from_db()
    assert updated.pk == version.pk
    assert (updated.number, updated.state) == (1, VersionState.DRAFT)
    assert updated.title == "Applied Statistics II"
    assert updated.workload_hours == Decimal("50.5")
    assert updated.workload_ects == Decimal(2)  # content not named stays as it was
    assert [(s.name, s.position) for s in updated.skills.all()] == [
        ("Regression", 0),
        ("Sampling", 1),
    ]
    assert not Skill.objects.filter(pk__in=old_skill_ids).exists()
    requirements = list(updated.requirements.all())
    assert [(r.kind, r.description, r.exam_name) for r in requirements] == [
        (RequirementKind.EVIDENCE, "A project report", "")
    ]
    assert Requirement.objects.filter(version__achievement=achievement).count() == 1
    entry = AuditEntry.objects.get(action="microcred.achievement.draft_updated")
    assert entry.actor == world.a.admin.user
    assert entry.data == {"version": 1, "title": "Applied Statistics II"}


def test_update_draft_can_clear_skills_and_requirements(world: World) -> None:
    version = _draft(_create(world.a.issuer))
    _update(world.a.issuer, version, skills=[], requirements=[])
    assert not version.skills.exists()
    assert not version.requirements.exists()


def test_update_draft_refuses_unknown_content_fields(world: World) -> None:
    version = _draft(_create(world.a.issuer))
    with pytest.raises(ValueError, match="not a content field: state"):
        _update(world.a.issuer, version, content={"state": VersionState.PUBLISHED})
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_a_published_version_is_never_edited(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    published = achievement.published_version()
    assert published is not None
    before = _snapshot()

    with pytest.raises(DomainError, match="Only a draft can be edited"):
        _update(world.a.issuer, published, content={"title": "Changed"})

    assert _snapshot() == before


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        (RequirementData("exam_score", exam_name="", min_score_percent=Decimal(50)), "name the exam"),
        (RequirementData("exam_score", exam_name="   ", min_score_percent=Decimal(50)), "name the exam"),
        (RequirementData("exam_score", exam_name="Final", min_score_percent=None), "between 0 and 100"),
        (RequirementData("exam_score", exam_name="Final", min_score_percent=Decimal("100.01")), "between 0 and 100"),
        (RequirementData("exam_score", exam_name="Final", min_score_percent=Decimal(-1)), "between 0 and 100"),
        (RequirementData("evidence", description="  "), "describe the project"),
        (RequirementData("credential_held", prerequisite_id=None), "of this organization"),
        (RequirementData("credential_held", prerequisite_id=987654), "of this organization"),
        (RequirementData("attendance"), "unknown kind"),
    ],
)  # fmt: skip
def test_invalid_requirements_are_refused(
    world: World, requirement: RequirementData, message: str
) -> None:
    version = _draft(_create(world.a.issuer))
    before = _snapshot()

    with pytest.raises(DomainError, match=message) as excinfo:
        _update(
            world.a.issuer,
            version,
            requirements=[RequirementData("evidence", description="ok"), requirement],
        )
    assert excinfo.value.field == "requirements"
    assert excinfo.value.message.startswith("Requirement 2:")
    with pytest.raises(DomainError, match=message):
        achievement_services.create_achievement(
            member=world.a.issuer, content=complete_content(), requirements=[requirement]
        )

    assert _snapshot() == before


@pytest.mark.parametrize("score", [Decimal(0), Decimal(100), Decimal("72.5")])
def test_exam_score_bounds_are_inclusive(world: World, score: Decimal) -> None:
    version = _draft(_create(world.a.issuer))
    _update(
        world.a.issuer,
        version,
        requirements=[RequirementData("exam_score", exam_name="Final", min_score_percent=score)],
    )
    assert version.requirements.get().min_score_percent == score


def test_prerequisite_must_be_another_definition_of_the_same_organization(world: World) -> None:
    achievement = _create(world.a.issuer)
    version = _draft(achievement)
    ours = publish_achievement(world.a.issuer, title="Basic Statistics")
    theirs = publish_achievement(world.b.issuer, title="Their Statistics")
    before = _snapshot()

    with pytest.raises(DomainError, match="cannot require itself"):
        _update(
            world.a.issuer,
            version,
            requirements=[RequirementData("credential_held", prerequisite_id=achievement.pk)],
        )
    with pytest.raises(DomainError, match="of this organization"):
        _update(
            world.a.issuer,
            version,
            requirements=[RequirementData("credential_held", prerequisite_id=theirs.pk)],
        )
    assert _snapshot() == before

    _update(
        world.a.issuer,
        version,
        requirements=[RequirementData("credential_held", prerequisite_id=ours.pk)],
    )
    assert version.requirements.get().prerequisite == ours


def test_eqf_level_outside_one_to_eight_is_refused(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        _create(world.a.issuer, eqf_level=9)
    assert excinfo.value.field == "eqf_level"
    assert _snapshot() == before

    version = _draft(_create(world.a.issuer, eqf_level=8))
    with pytest.raises(DomainError) as excinfo:
        _update(world.a.issuer, version, content={"eqf_level": 0})
    assert excinfo.value.field == "eqf_level"
    version.refresh_from_db()
    assert version.eqf_level == 8


# -- EU completeness and publishing ----------------------------------------------------------

MANDATORY_GAPS = {
    "awarding_bodies": {"awarding_bodies": []},
    "issuer_country": {"issuer_country": ""},
    "learning_outcomes": {"learning_outcomes": ["  ", ""]},
    "workload": {"workload_ects": None, "workload_hours": None},
    "assessment_type": {"assessment_type": ""},
    "participation_form": {"participation_form": ""},
    "quality_assurance": {"quality_assurance": ""},
}


@pytest.mark.parametrize(("element", "gap"), MANDATORY_GAPS.items(), ids=list(MANDATORY_GAPS))
def test_publish_problems_name_each_missing_mandatory_element(
    world: World, element: str, gap: dict[str, Any]
) -> None:
    version = _draft(_create(world.a.issuer))
    assert achievement_services.publish_problems(version) == {}
    _update(world.a.issuer, version, content=gap)
    version.refresh_from_db()

    problems = achievement_services.publish_problems(version)

    assert list(problems) == [element]
    assert problems[element].endswith(" is required")
    with pytest.raises(PublishBlocked) as excinfo:
        achievement_services.publish_version(member=world.a.issuer, version=version)
    assert excinfo.value.problems == problems
    assert problems[element] in excinfo.value.message
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT
    assert Achievement.objects.get(pk=version.achievement_id).status == AchievementStatus.DRAFT


def test_a_bare_draft_lists_every_missing_element(world: World) -> None:
    achievement = achievement_services.create_achievement(
        member=world.a.issuer, content={"title": "Just a title"}
    )
    problems = achievement_services.publish_problems(_draft(achievement))
    # The country defaults to the organization's; the title is required to save at all.
    assert set(problems) == set(MANDATORY_GAPS) - {"issuer_country"}


@pytest.mark.parametrize(
    "workload",
    [
        {"workload_ects": Decimal(3), "workload_hours": None},
        {"workload_ects": None, "workload_hours": Decimal(25)},
    ],
)
def test_workload_in_ects_or_hours_is_enough(world: World, workload: dict[str, Any]) -> None:
    version = _draft(_create(world.a.issuer, **workload))
    assert achievement_services.publish_problems(version) == {}


def test_publish_makes_the_draft_the_issuable_version(world: World) -> None:
    achievement = _create(world.a.issuer)
    version = _draft(achievement)

    published = achievement_services.publish_version(member=world.a.admin, version=version)

    published.refresh_from_db()
    assert published.state == VersionState.PUBLISHED
    assert published.published_at is not None
    assert published.published_by == world.a.admin.user
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.PUBLISHED
    assert achievement.can_issue()
    entry = AuditEntry.objects.get(action="microcred.achievement.published")
    assert entry.actor == world.a.admin.user
    assert entry.organization == world.a.organization
    assert entry.data == {"version": 1, "title": "Applied Statistics", "supersedes": None}

    with pytest.raises(DomainError, match="Version 1 is already published"):
        achievement_services.publish_version(member=world.a.admin, version=published)


# -- versions --------------------------------------------------------------------------------


def test_new_version_copies_v1_and_v1_stays_published_and_issuable(world: World) -> None:
    achievement = publish_achievement(world.a.issuer, validity_months=12, eqf_level=5)
    v1 = achievement.published_version()
    assert v1 is not None

    v2 = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)

    assert (v2.number, v2.state) == (2, VersionState.DRAFT)
    assert v2.pk != v1.pk
    for name in achievement_services.CONTENT_FIELDS:
        assert getattr(v2, name) == getattr(v1, name), name
    assert [(s.name, s.framework_name, s.framework_url, s.code) for s in v2.skills.all()] == [
        (s.name, s.framework_name, s.framework_url, s.code) for s in v1.skills.all()
    ]
    assert [(r.kind, r.exam_name, r.min_score_percent) for r in v2.requirements.all()] == [
        (r.kind, r.exam_name, r.min_score_percent) for r in v1.requirements.all()
    ]
    assert not set(v2.skills.values_list("pk", flat=True)) & set(
        v1.skills.values_list("pk", flat=True)
    )
    # Editing the copy leaves the published version untouched.
    _update(
        world.a.issuer, v2, content={"title": "Applied Statistics 2026"}, skills=[], requirements=[]
    )
    v1.refresh_from_db()
    assert (v1.state, v1.title, v1.skills.count(), v1.requirements.count()) == (
        VersionState.PUBLISHED,
        "Applied Statistics",
        1,
        1,
    )
    credential = issue(world.a.issuer, achievement)
    assert credential.achievement_version == v1
    assert AuditEntry.objects.get(action="microcred.achievement.version_started").data == {
        "version": 2,
        "from_version": 1,
    }


def test_starting_a_new_version_twice_returns_the_open_draft(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    first = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    second = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    assert first == second
    assert achievement.versions.count() == 2


def test_new_version_of_an_unpublished_definition_is_its_open_draft(world: World) -> None:
    achievement = _create(world.a.issuer)
    draft = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    assert (draft.number, draft.state) == (1, VersionState.DRAFT)
    assert achievement.versions.count() == 1


def test_publishing_v2_supersedes_v1_and_old_credentials_keep_v1(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    v1 = achievement.published_version()
    assert v1 is not None
    old = issue(world.a.issuer, achievement, "early@example.test")
    v2 = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    _update(world.a.issuer, v2, content={"title": "Applied Statistics 2026"})

    achievement_services.publish_version(member=world.a.issuer, version=v2)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.state == VersionState.SUPERSEDED
    assert v2.state == VersionState.PUBLISHED
    achievement = Achievement.objects.get(pk=achievement.pk)
    assert achievement.published_version() == v2
    assert achievement.status == AchievementStatus.PUBLISHED
    old.refresh_from_db()
    assert old.achievement_version == v1
    assert old.achievement_version.title == "Applied Statistics"
    assert old.verification_state() == VerificationState.VALID
    new = issue(world.a.issuer, achievement, "late@example.test")
    assert new.achievement_version == v2
    entry = AuditEntry.objects.filter(action="microcred.achievement.published").first()
    assert entry is not None
    assert entry.data == {"version": 2, "title": "Applied Statistics 2026", "supersedes": 1}
    with pytest.raises(DomainError, match="Version 1 is already superseded"):
        achievement_services.publish_version(member=world.a.issuer, version=v1)


def test_discarding_a_new_draft_keeps_the_published_version(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    v2 = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    skill_ids = list(v2.skills.values_list("pk", flat=True))

    achievement_services.discard_draft(member=world.a.issuer, version=v2)

    assert not AchievementVersion.objects.filter(pk=v2.pk).exists()
    assert not Skill.objects.filter(pk__in=skill_ids).exists()
    achievement = Achievement.objects.get(pk=achievement.pk)
    assert achievement.draft_version() is None
    published = achievement.published_version()
    assert published is not None
    assert published.number == 1
    assert AuditEntry.objects.get(action="microcred.achievement.draft_discarded").data == {
        "version": 2
    }
    # A later new version starts from the published one again.
    again = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    assert again.number == 2


def test_only_a_draft_that_is_not_the_only_version_can_be_discarded(world: World) -> None:
    only = _draft(_create(world.a.issuer))
    published = publish_achievement(world.a.issuer).published_version()
    assert published is not None
    before = _snapshot()

    with pytest.raises(DomainError, match="only version"):
        achievement_services.discard_draft(member=world.a.issuer, version=only)
    with pytest.raises(DomainError, match="Only a draft can be discarded"):
        achievement_services.discard_draft(member=world.a.issuer, version=published)

    assert _snapshot() == before


# -- archiving -------------------------------------------------------------------------------


def test_archive_stops_issuing_and_editing_but_keeps_issued_credentials(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    credential = issue(world.a.issuer, achievement)
    draft = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)

    archived = achievement_services.archive_achievement(
        member=world.a.issuer, achievement=achievement
    )

    assert archived.status == AchievementStatus.ARCHIVED
    assert archived.archived_at is not None
    assert not archived.can_issue()
    assert AuditEntry.objects.get(action="microcred.achievement.archived").data == {
        "previous_status": "published"
    }
    before = _snapshot()
    with pytest.raises(DomainError):
        issue(world.a.issuer, archived, "late@example.test")
    with pytest.raises(DomainError, match="archived"):
        _update(world.a.issuer, draft, content={"title": "Changed"})
    with pytest.raises(DomainError, match="archived"):
        achievement_services.publish_version(member=world.a.issuer, version=draft)
    with pytest.raises(DomainError, match="archived"):
        achievement_services.start_new_version(member=world.a.issuer, achievement=archived)
    with pytest.raises(DomainError, match="already archived"):
        achievement_services.archive_achievement(member=world.a.issuer, achievement=archived)
    assert _snapshot() == before
    credential.refresh_from_db()
    assert credential.verification_state() == VerificationState.VALID


def test_a_draft_definition_can_be_archived(world: World) -> None:
    achievement = _create(world.a.issuer)
    achievement_services.archive_achievement(member=world.a.issuer, achievement=achievement)
    assert AuditEntry.objects.get(action="microcred.achievement.archived").data == {
        "previous_status": "draft"
    }


# -- database constraints --------------------------------------------------------------------


def _version_row(achievement: Achievement, number: int, state: str) -> AchievementVersion:
    return AchievementVersion.objects.create(
        organization_id=achievement.organization_id,
        achievement=achievement,
        number=number,
        state=state,
        title="Copy",
    )


def test_database_allows_one_draft_per_definition(world: World) -> None:
    achievement = _create(world.a.issuer)
    with pytest.raises(IntegrityError), transaction.atomic():
        _version_row(achievement, 2, VersionState.DRAFT)
    assert achievement.versions.count() == 1


def test_database_allows_one_published_version_per_definition(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    with pytest.raises(IntegrityError), transaction.atomic():
        _version_row(achievement, 2, VersionState.PUBLISHED)
    # Any number of superseded versions is fine.
    _version_row(achievement, 2, VersionState.SUPERSEDED)
    _version_row(achievement, 3, VersionState.SUPERSEDED)
    assert achievement.versions.count() == 3


def test_database_refuses_a_repeated_version_number(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    with pytest.raises(IntegrityError), transaction.atomic():
        _version_row(achievement, 1, VersionState.SUPERSEDED)


@pytest.mark.parametrize("level", [0, 9])
def test_database_refuses_an_eqf_level_outside_the_framework(world: World, level: int) -> None:
    version = _draft(_create(world.a.issuer))
    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementVersion.objects.filter(pk=version.pk).update(eqf_level=level)


def test_database_refuses_incomplete_requirements(world: World) -> None:
    version = _draft(_create(world.a.issuer))
    base = {"organization_id": version.organization_id, "version": version}
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.create(**base, kind="exam_score", exam_name="", min_score_percent=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.create(
            **base, kind="exam_score", exam_name="Final", min_score_percent=101
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.create(**base, kind="credential_held", prerequisite=None)


# -- roles and tenancy -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_staff_who_edit_definitions_can_create_them(world: World, role: str) -> None:
    achievement = _create(world.a.member(role))
    assert achievement.organization == world.a.organization


def test_assessor_cannot_create_or_change_definitions(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    draft = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    before = _snapshot()
    assessor = world.a.assessor

    with pytest.raises(PermissionDenied):
        _create(assessor)
    with pytest.raises(PermissionDenied):
        _update(assessor, draft, content={"title": "Changed"})
    with pytest.raises(PermissionDenied):
        achievement_services.publish_version(member=assessor, version=draft)
    with pytest.raises(PermissionDenied):
        achievement_services.start_new_version(member=assessor, achievement=achievement)
    with pytest.raises(PermissionDenied):
        achievement_services.discard_draft(member=assessor, version=draft)
    with pytest.raises(PermissionDenied):
        achievement_services.archive_achievement(member=assessor, achievement=achievement)

    assert _snapshot() == before


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_other_organization_cannot_touch_our_definitions(world: World, role: str) -> None:
    achievement = publish_achievement(world.a.issuer)
    draft = achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    unpublished = _create(world.a.issuer)
    before = _snapshot()
    outsider = world.b.member(role)

    with pytest.raises(NotFound):
        _update(outsider, draft, content={"title": "Hijacked"})
    with pytest.raises(NotFound):
        achievement_services.publish_version(member=outsider, version=draft)
    with pytest.raises(NotFound):
        achievement_services.publish_version(member=outsider, version=_draft(unpublished))
    with pytest.raises(NotFound):
        achievement_services.start_new_version(member=outsider, achievement=achievement)
    with pytest.raises(NotFound):
        achievement_services.discard_draft(member=outsider, version=draft)
    with pytest.raises(NotFound):
        achievement_services.archive_achievement(member=outsider, achievement=achievement)

    assert _snapshot() == before


def test_queries_only_see_the_members_organization(world: World) -> None:
    ours = publish_achievement(world.a.issuer)
    theirs = publish_achievement(world.b.issuer, title="Their course")

    assert queries.get_achievement_for(world.a.assessor, ours.pk) == ours
    with pytest.raises(NotFound):
        queries.get_achievement_for(world.b.owner, ours.pk)
    with pytest.raises(NotFound):
        queries.get_achievement_for(world.a.owner, theirs.pk)
    assert queries.get_version_for(world.a.assessor, ours.pk, 1).achievement == ours
    with pytest.raises(NotFound):
        queries.get_version_for(world.b.owner, ours.pk, 1)
    assert list(queries.achievements_for(world.a.assessor)) == [ours]
    assert list(queries.achievements_for(world.b.assessor)) == [theirs]
    _create(world.a.issuer, title="Unpublished")
    assert list(queries.issuable_achievements_for(world.a.issuer)) == [ours]


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_editing_and_publishing_one_draft_at_once_neither_deadlocks_nor_skips_the_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor empties a mandatory element while the publisher arrives.

    Both services must take the definition's lock before the version's: then the publisher waits
    for the edit, sees the emptied element and refuses, instead of a deadlock (or publishing
    content it never checked).
    """
    version = _draft(_create(world.a.issuer))
    editing = threading.Event()
    replace_children = achievement_services._replace_children

    def slow_replace_children(*args: Any) -> None:
        replace_children(*args)
        if threading.current_thread().name == "editor":
            editing.set()  # the editor now holds its locks...
            time.sleep(0.5)  # ...and keeps them while the publisher arrives

    monkeypatch.setattr(achievement_services, "_replace_children", slow_replace_children)
    outcomes: dict[str, Any] = {}

    def run(name: str, work: Any) -> None:
        try:
            outcomes[name] = work()
        except BaseException as exc:  # reported below, not lost in the thread
            outcomes[name] = exc
        finally:
            connections.close_all()

    def edit() -> Any:
        return _update(world.a.issuer, version, content={"learning_outcomes": []})

    def publish() -> Any:
        assert editing.wait(timeout=10)
        return achievement_services.publish_version(member=world.a.admin, version=version)

    threads = [
        threading.Thread(target=run, args=("editor", edit), name="editor"),
        threading.Thread(target=run, args=("publisher", publish), name="publisher"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert isinstance(outcomes["editor"], AchievementVersion), outcomes
    assert isinstance(outcomes["publisher"], PublishBlocked), outcomes
    assert list(outcomes["publisher"].problems) == ["learning_outcomes"]
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT
    assert version.learning_outcomes == []
