"""Credential definitions: list, create and edit drafts, publish, versions, discard, archive."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from microcred.achievements import services as achievement_services
from microcred.achievements.models import (
    Achievement,
    AchievementStatus,
    AchievementVersion,
    VersionState,
)
from microcred.core.models import AuditEntry
from microcred.issuance.models import IssuedCredential
from tests.conftest import World, complete_content, issue, publish_achievement

from .helpers import (
    REQUIREMENT_ROWS,
    SKILL_ROWS,
    audit_actions,
    definition_post,
    messages_of,
    query_count,
    text,
    url,
    version,
)


def draft(world_org: Any, **content: Any) -> Achievement:
    """A definition with only a draft version (content may be incomplete)."""
    return achievement_services.create_achievement(
        member=world_org.issuer, content={"title": "Draft only", **content}
    )


# --- List ----------------------------------------------------------------------------------------


def test_list_shows_the_own_definitions_with_a_status_filter(world: World, login: Any) -> None:
    published = publish_achievement(world.a.issuer, title="Published Course")
    draft(world.a, title="Draft Course")
    archived = publish_achievement(world.a.issuer, title="Archived Course")
    achievement_services.archive_achievement(member=world.a.issuer, achievement=archived)
    publish_achievement(world.b.issuer, title="Beta Course")
    client = login(world.a.assessor.user)
    path = url("achievements", world.a.slug)

    every = text(client.get(path))
    assert "Published Course" in every
    assert "Draft Course" in every
    assert "Archived Course" in every
    assert "Beta Course" not in every
    assert url("achievement", world.a.slug, published.pk) in every
    # Assessors may look but get no "New definition" button.
    assert url("achievement_create", world.a.slug) not in every

    def titles(status: str) -> set[str]:
        response = client.get(path, {"status": status})
        assert response.status_code == 200
        return {a.latest_version.title for a in response.context["achievements"]}

    assert titles("published") == {"Published Course"}
    assert titles("draft") == {"Draft Course"}
    assert titles("archived") == {"Archived Course"}
    assert titles("nonsense") == {"Published Course", "Draft Course", "Archived Course"}
    assert login(world.b.owner.user).get(path).status_code == 404


def test_list_query_count_does_not_grow_with_the_rows(
    world: World, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(world.a.issuer.user)
    path = url("achievements", world.a.slug)
    for number in range(3):
        publish_achievement(world.a.issuer, title=f"Course {number}")
    few = query_count(client, path)
    for number in range(3, 15):
        achievement = publish_achievement(world.a.issuer, title=f"Course {number}")
        achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)

    with django_assert_max_num_queries(few):
        response = client.get(path)

    assert len(response.context["achievements"]) == 15
    assert text(response).count("draft v2") == 12
    assert few <= 8


# --- Create and edit -------------------------------------------------------------------------------


def test_create_a_draft_with_skills_and_requirements(world: World, login: Any) -> None:
    prerequisite = publish_achievement(world.a.issuer, title="Basics")
    requirements = [
        *REQUIREMENT_ROWS[:1],
        {
            "kind": "credential_held",
            "exam_name": "",
            "min_score_percent": "",
            "description": "",
            "prerequisite": str(prerequisite.pk),
        },
        REQUIREMENT_ROWS[1],
    ]
    client = login(world.a.issuer.user)

    form = client.get(url("achievement_create", world.a.slug))
    assert form.status_code == 200
    assert 'name="skills-TOTAL_FORMS"' in text(form)
    assert form.context["form"]["issuer_country"].value() == "DE"

    response = client.post(
        url("achievement_create", world.a.slug), definition_post(requirements=requirements)
    )

    assert response.status_code == 302
    achievement = Achievement.objects.exclude(pk=prerequisite.pk).get()
    assert response["Location"] == url("achievement", world.a.slug, achievement.pk)
    assert messages_of(response) == [
        "Draft created. Publish it when the mandatory EU elements are complete."
    ]
    assert achievement.organization == world.a.organization
    assert achievement.status == AchievementStatus.DRAFT
    v1 = version(achievement, 1)
    assert v1.state == VersionState.DRAFT
    assert v1.title == "Data Literacy"
    assert v1.tags == ["data", "charts"]
    assert v1.awarding_bodies == ["Alpha Academy", "Partner Institute"]
    assert v1.learning_outcomes == ["Clean a data set", "Chart a distribution"]
    assert v1.workload_ects == Decimal(3)
    assert v1.validity_months == 24
    assert [(s.name, s.framework_name, s.framework_url, s.code) for s in v1.skills.all()] == [
        ("Data cleaning", "ESCO", "http://data.europa.eu/esco/skill/clean", "S5.1"),
        ("Charting", "", "", ""),
    ]
    assert [
        (r.kind, r.exam_name, r.min_score_percent, r.prerequisite_id) for r in v1.requirements.all()
    ] == [
        ("exam_score", "Final exam", Decimal(75), None),
        ("credential_held", "", None, prerequisite.pk),
    ]
    entry = AuditEntry.objects.get(
        action="microcred.achievement.created", object_id=str(achievement.pk)
    )
    assert entry.organization == world.a.organization
    assert entry.actor == world.a.issuer.user
    # The detail page shows it to A, and B cannot see it.
    detail = text(client.get(response["Location"]))
    assert "Data Literacy" in detail
    assert "At least 75 % in “Final exam”" in detail
    assert "Holds “Basics”" in detail
    assert login(world.b.owner.user).get(response["Location"]).status_code == 404
    hostile = login(world.b.owner.user).post(
        url("achievement_create", world.a.slug), definition_post(title="Planted")
    )
    assert hostile.status_code == 404
    assert not Achievement.objects.filter(versions__title="Planted").exists()
    assert (
        login(world.b.owner.user).get(url("achievement", world.b.slug, achievement.pk)).status_code
        == 404
    )


def test_an_incomplete_draft_can_be_saved(world: World, login: Any) -> None:
    data = definition_post(
        skills=[], requirements=[], awarding_bodies="", learning_outcomes="", workload_ects=""
    )

    response = login(world.a.issuer.user).post(url("achievement_create", world.a.slug), data)

    assert response.status_code == 302
    assert Achievement.objects.get().status == AchievementStatus.DRAFT


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"title": ""}, "title", "This field is required."),
        (
            {"validity_months": "0"},
            "validity_months",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"eqf_level": "9"},
            "eqf_level",
            "Select a valid choice. 9 is not one of the available choices.",
        ),
    ],
)
def test_invalid_content_is_refused(
    world: World, login: Any, change: dict[str, str], field: str, error: str
) -> None:
    response = login(world.a.issuer.user).post(
        url("achievement_create", world.a.slug), definition_post(**change)
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [error]
    assert not Achievement.objects.exists()


def test_invalid_requirement_rows_are_refused(world: World, login: Any) -> None:
    requirements = [
        {
            "kind": "exam_score",
            "exam_name": "",
            "min_score_percent": "",
            "description": "",
            "prerequisite": "",
        },
        {
            "kind": "evidence",
            "exam_name": "",
            "min_score_percent": "",
            "description": "",
            "prerequisite": "",
        },
    ]

    response = login(world.a.issuer.user).post(
        url("achievement_create", world.a.slug), definition_post(requirements=requirements)
    )

    assert response.status_code == 400
    errors = response.context["requirements"].errors
    assert errors[0] == {
        "exam_name": ["Name the exam."],
        "min_score_percent": ["Give the minimum score in %."],
    }
    assert errors[1] == {"description": ["Describe the project or evidence to approve."]}
    assert "Name the exam." in text(response)
    assert not Achievement.objects.exists()


def test_a_prerequisite_of_the_other_organization_cannot_be_chosen(
    world: World, login: Any
) -> None:
    foreign = publish_achievement(world.b.issuer, title="Beta Basics")
    requirements = [
        {
            "kind": "credential_held",
            "exam_name": "",
            "min_score_percent": "",
            "description": "",
            "prerequisite": str(foreign.pk),
        }
    ]

    response = login(world.a.issuer.user).post(
        url("achievement_create", world.a.slug), definition_post(requirements=requirements)
    )

    assert response.status_code == 400
    assert response.context["requirements"].errors[0] == {
        "prerequisite": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert "Beta Basics" not in text(response)
    assert not Achievement.objects.filter(organization=world.a.organization).exists()


def test_edit_a_draft(world: World, login: Any) -> None:
    client = login(world.a.issuer.user)
    client.post(url("achievement_create", world.a.slug), definition_post())
    achievement = Achievement.objects.get()
    path = url("achievement_edit", world.a.slug, achievement.pk)

    form = client.get(path)
    assert form.status_code == 200
    assert 'value="Data Literacy"' in text(form)
    assert 'value="Data cleaning"' in text(form)
    assert 'name="skills-INITIAL_FORMS" value="2"' in text(form)
    assert 'name="requirements-INITIAL_FORMS" value="1"' in text(form)

    response = client.post(
        path,
        definition_post(
            title="Data Literacy II",
            skills=[{**SKILL_ROWS[0], "name": "Data wrangling"}, {**SKILL_ROWS[1], "name": ""}],
            initial_skills=2,
            requirements=[REQUIREMENT_ROWS[1]],
            initial_requirements=1,
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == url("achievement", world.a.slug, achievement.pk)
    v1 = version(achievement, 1)
    assert v1.title == "Data Literacy II"
    assert v1.state == VersionState.DRAFT
    assert [s.name for s in v1.skills.all()] == ["Data wrangling"]
    assert not v1.requirements.exists()
    assert "microcred.achievement.draft_updated" in audit_actions(world.a.organization)
    # B cannot edit it, neither through A's address nor through its own.
    b_owner = login(world.b.owner.user)
    assert b_owner.post(path, definition_post(title="Stolen")).status_code == 404
    assert (
        b_owner.post(
            url("achievement_edit", world.b.slug, achievement.pk), definition_post(title="Stolen")
        ).status_code
        == 404
    )
    assert version(achievement, 1).title == "Data Literacy II"


def test_edit_without_a_draft_points_to_new_version(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)

    response = login(world.a.issuer.user).get(url("achievement_edit", world.a.slug, achievement.pk))

    assert response.status_code == 302
    assert response["Location"] == url("achievement", world.a.slug, achievement.pk)
    assert messages_of(response) == [
        "Published versions are never changed. Start a new version to edit."
    ]


# --- Publish ---------------------------------------------------------------------------------------


def test_publish_is_blocked_until_the_eu_elements_are_complete(world: World, login: Any) -> None:
    achievement = draft(world.a, title="Half done", issuer_country="")
    client = login(world.a.issuer.user)

    detail = text(client.get(url("achievement", world.a.slug, achievement.pk)))
    assert "Not ready to publish." in detail
    for missing in (
        "Awarding body(ies) is required",
        "Learning outcomes is required",
        "Notional workload (ECTS and/or hours) is required",
        "Type of assessment is required",
        "Form of participation is required",
        "Type of quality assurance is required",
    ):
        assert missing in detail
    # The issuer country defaults to the organization's.
    assert "Country/region of the issuer is required" not in detail

    response = client.post(url("achievement_publish", world.a.slug, achievement.pk))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Complete the mandatory EU elements before publishing: "
        "Awarding body(ies) is required; Learning outcomes is required; "
        "Notional workload (ECTS and/or hours) is required; Type of assessment is required; "
        "Form of participation is required; Type of quality assurance is required"
    ]
    assert version(achievement, 1).state == VersionState.DRAFT
    assert Achievement.objects.get(pk=achievement.pk).status == AchievementStatus.DRAFT
    assert "microcred.achievement.published" not in audit_actions(world.a.organization)


def test_publish(world: World, login: Any) -> None:
    achievement = draft(world.a, **complete_content())
    path = url("achievement_publish", world.a.slug, achievement.pk)
    assert login(world.b.owner.user).post(path).status_code == 404
    assert (
        login(world.b.owner.user)
        .post(url("achievement_publish", world.b.slug, achievement.pk))
        .status_code
        == 404
    )
    assert version(achievement, 1).state == VersionState.DRAFT

    response = login(world.a.issuer.user).post(path)

    assert response.status_code == 302
    assert messages_of(response) == ["Published. New credentials are issued against this version."]
    v1 = version(achievement, 1)
    assert v1.state == VersionState.PUBLISHED
    assert v1.published_by == world.a.issuer.user
    assert Achievement.objects.get(pk=achievement.pk).status == AchievementStatus.PUBLISHED
    entry = AuditEntry.objects.get(action="microcred.achievement.published")
    assert entry.organization == world.a.organization
    assert entry.data == {"version": 1, "title": "Applied Statistics", "supersedes": None}
    # Publishing again finds no draft.
    again = login(world.a.issuer.user).post(path)
    assert messages_of(again) == ["There is no draft to publish."]


def test_new_version_keeps_v1_in_use_until_v2_is_published(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer, title="Statistics")
    client = login(world.a.issuer.user)
    assert (
        login(world.b.owner.user)
        .post(url("achievement_new_version", world.a.slug, achievement.pk))
        .status_code
        == 404
    )
    assert achievement.versions.count() == 1

    response = client.post(url("achievement_new_version", world.a.slug, achievement.pk))

    assert response.status_code == 302
    assert response["Location"] == url("achievement_edit", world.a.slug, achievement.pk)
    assert messages_of(response) == [
        "Version 2 is a draft; the published version stays in use until you publish."
    ]
    assert version(achievement, 1).state == VersionState.PUBLISHED
    assert version(achievement, 2).state == VersionState.DRAFT
    assert [s.name for s in version(achievement, 2).skills.all()] == ["Statistics"]
    assert Achievement.objects.get(pk=achievement.pk).status == AchievementStatus.PUBLISHED

    # While v2 is a draft, credentials are issued against v1.
    early = issue(world.a.issuer, achievement, email="early@example.test")
    assert early.achievement_version == version(achievement, 1)

    edit = login(world.a.issuer.user).post(
        url("achievement_edit", world.a.slug, achievement.pk),
        definition_post(title="Statistics 2025", skills=[], requirements=[]),
    )
    assert edit.status_code == 302
    assert version(achievement, 1).title == "Statistics"

    published = login(world.a.issuer.user).post(
        url("achievement_publish", world.a.slug, achievement.pk)
    )

    assert messages_of(published) == ["Published. New credentials are issued against this version."]
    assert version(achievement, 1).state == VersionState.SUPERSEDED
    assert version(achievement, 2).state == VersionState.PUBLISHED
    early.refresh_from_db()
    assert early.achievement_version == version(achievement, 1)
    late = issue(world.a.issuer, achievement, email="late@example.test")
    assert late.achievement_version == version(achievement, 2)
    # The early holder may also get the new version: one active credential per version.
    assert issue(
        world.a.issuer, achievement, email="early@example.test"
    ).achievement_version == version(achievement, 2)
    assert (
        AuditEntry.objects.filter(action="microcred.achievement.published")
        .latest("id")
        .data["supersedes"]
        == 1
    )

    # Each version keeps its own page.
    v1_page = client.get(url("achievement_version", world.a.slug, achievement.pk, 1))
    assert v1_page.context["version"].title == "Statistics"
    assert "Superseded" in text(v1_page)
    assert (
        client.get(url("achievement_version", world.a.slug, achievement.pk, 3)).status_code == 404
    )
    b_owner = login(world.b.owner.user)
    assert (
        b_owner.get(url("achievement_version", world.a.slug, achievement.pk, 1)).status_code == 404
    )
    assert (
        b_owner.get(url("achievement_version", world.b.slug, achievement.pk, 1)).status_code == 404
    )
    credential_page = text(client.get(url("credential", world.a.slug, early.pk)))
    assert "Statistics, version 1" in credential_page


def test_new_version_returns_the_open_draft(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)
    client = login(world.a.issuer.user)
    client.post(url("achievement_new_version", world.a.slug, achievement.pk))

    client.post(url("achievement_new_version", world.a.slug, achievement.pk))

    assert sorted(achievement.versions.values_list("number", flat=True)) == [1, 2]


def test_discard_a_draft_version(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)
    achievement_services.start_new_version(member=world.a.issuer, achievement=achievement)
    path = url("achievement_discard_draft", world.a.slug, achievement.pk)
    assert login(world.b.owner.user).post(path).status_code == 404
    assert achievement.versions.count() == 2

    response = login(world.a.issuer.user).post(path)

    assert response.status_code == 302
    assert messages_of(response) == ["Draft discarded."]
    assert list(achievement.versions.values_list("number", "state")) == [(1, "published")]
    assert "microcred.achievement.draft_discarded" in audit_actions(world.a.organization)
    again = login(world.a.issuer.user).post(path)
    assert messages_of(again) == ["There is no draft to discard."]


def test_the_only_version_cannot_be_discarded(world: World, login: Any) -> None:
    achievement = draft(world.a)

    response = login(world.a.issuer.user).post(
        url("achievement_discard_draft", world.a.slug, achievement.pk)
    )

    assert messages_of(response) == ["This is the only version; archive the definition instead."]
    assert AchievementVersion.objects.filter(achievement=achievement).count() == 1


def test_archive(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)
    credential = issue(world.a.issuer, achievement)
    path = url("achievement_archive", world.a.slug, achievement.pk)
    assert login(world.b.owner.user).post(path).status_code == 404
    assert (
        login(world.b.owner.user)
        .post(url("achievement_archive", world.b.slug, achievement.pk))
        .status_code
        == 404
    )
    assert Achievement.objects.get(pk=achievement.pk).status == AchievementStatus.PUBLISHED

    response = login(world.a.owner.user).post(path)

    assert response.status_code == 302
    assert messages_of(response) == [
        "Archived. It can no longer be issued; credentials already issued stay valid."
    ]
    archived = Achievement.objects.get(pk=achievement.pk)
    assert archived.status == AchievementStatus.ARCHIVED
    assert archived.archived_at is not None
    assert IssuedCredential.objects.get(pk=credential.pk).status == "active"
    assert "microcred.achievement.archived" in audit_actions(world.a.organization)
    # No more versions, no more issuing, no second archive.
    detail = text(login(world.a.owner.user).get(url("achievement", world.a.slug, achievement.pk)))
    assert url("achievement_new_version", world.a.slug, achievement.pk) not in detail
    assert url("achievement_archive", world.a.slug, achievement.pk) not in detail
    refused = login(world.a.owner.user).post(
        url("achievement_new_version", world.a.slug, achievement.pk)
    )
    assert messages_of(refused) == ["This definition is archived."]
    assert messages_of(login(world.a.owner.user).post(path)) == [
        "This definition is already archived."
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_assessor_cannot_create_a_definition(world: World, login: Any, method: str) -> None:
    client = login(world.a.assessor.user)
    path = url("achievement_create", world.a.slug)

    response = client.post(path, definition_post()) if method == "post" else client.get(path)

    assert response.status_code == 403
    assert not Achievement.objects.exists()


def test_assessor_sees_a_definition_without_controls(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)

    response = login(world.a.assessor.user).get(url("achievement", world.a.slug, achievement.pk))

    assert response.status_code == 200
    page = text(response)
    assert "Applied Statistics" in page
    assert url("achievement_new_version", world.a.slug, achievement.pk) not in page
    assert url("achievement_archive", world.a.slug, achievement.pk) not in page
    assert url("credential_issue", world.a.slug) not in page
