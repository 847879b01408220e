"""Pathways in the wallet: a stacked credential's steps, met or still to do, for its holder."""

from __future__ import annotations

from django.urls import reverse

from microcred.achievements import services as achievement_services
from microcred.achievements.services import RequirementData, SkillData
from microcred.issuance.queries import credentials_held_by
from microcred.issuance.services import revoke_credential
from microcred.wallet.pathways import pathways_for
from tests.conftest import complete_content, issue, publish_achievement


def pathway(world, title, *prerequisites, exam=None):
    requirements = [RequirementData("credential_held", prerequisite_id=p.pk) for p in prerequisites]
    if exam:
        requirements.append(RequirementData("exam_score", exam_name=exam, min_score_percent=50))
    achievement = achievement_services.create_achievement(
        member=world.a.issuer,
        content=complete_content(title=title),
        skills=[SkillData("Statistics")],
        requirements=requirements,
    )
    achievement_services.publish_version(member=world.a.issuer, version=achievement.draft_version())
    return achievement


def held_pathways(user):
    return pathways_for(user, list(credentials_held_by(user)))


def test_a_started_pathway_shows_each_step(world):
    basics = publish_achievement(world.a.issuer, title="Basics")
    methods = publish_achievement(world.a.issuer, title="Methods")
    pathway(world, "Data Analyst", basics, methods, exam="Capstone exam")
    publish_achievement(world.a.issuer, title="Unrelated")
    assert held_pathways(world.learner) == []  # nothing held: nothing started

    basics_credential = issue(world.a.issuer, basics, world.learner.email)
    (shown,) = held_pathways(world.learner)
    assert shown.title == "Data Analyst"
    assert shown.issuer == world.a.organization.name
    assert shown.earned is None
    assert [(step.title, step.met) for step in shown.steps] == [
        ("Basics", True),
        ("Methods", False),
        ("At least 50 % in “Capstone exam”", False),
    ]
    assert shown.steps[0].credential == basics_credential
    assert shown.steps[1].detail == "Earn “Methods”."
    assert shown.done == 1


def test_a_completed_pathway_links_its_credential_and_another_holder_sees_nothing(
    world, django_capture_on_commit_callbacks
):
    basics = publish_achievement(world.a.issuer, title="Basics")
    pathway(world, "Data Analyst", basics)
    with django_capture_on_commit_callbacks(execute=True):
        issue(world.a.issuer, basics, world.learner.email)
    (shown,) = held_pathways(world.learner)
    assert shown.earned is not None
    assert shown.earned.achievement_version.title == "Data Analyst"
    assert shown.done == len(shown.steps) == 1
    assert held_pathways(world.stranger) == []


def test_a_revoked_prerequisite_is_a_step_to_do_again(world):
    basics = publish_achievement(world.a.issuer, title="Basics")
    pathway(world, "Data Analyst", basics)
    credential = issue(world.a.issuer, basics, world.learner.email)
    revoke_credential(member=world.a.issuer, credential=credential, reason="Issued in error")
    (shown,) = held_pathways(world.learner)
    assert [step.met for step in shown.steps] == [False]


def test_the_wallet_page_groups_by_pathway(world, login):
    basics = publish_achievement(world.a.issuer, title="Basics")
    methods = publish_achievement(world.a.issuer, title="Methods")
    pathway(world, "Data Analyst", basics, methods)
    credential = issue(world.a.issuer, basics, world.learner.email)
    html = login(world.learner).get(reverse("learner:credentials")).content.decode()
    section = html[html.index('id="pathways-heading"') : html.index('class="institution"')]
    assert "Data Analyst" in section
    assert "1 of 2 steps done" in section
    assert f'href="#credential-{credential.pk}">Basics</a>' in section
    assert "Methods" in section
    assert "Earn “Methods”." in section
    assert (
        "Pathways" not in login(world.stranger).get(reverse("learner:credentials")).content.decode()
    )
