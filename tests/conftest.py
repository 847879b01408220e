"""Shared fixtures: two organizations with staff in every role, learners, and a stranger.

Every view test uses ``world`` to assert both the success for its own organization and the
denial for the other one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from microcred.accounts.models import User
from microcred.achievements import services as achievement_services
from microcred.achievements.models import Achievement
from microcred.achievements.services import RequirementData, SkillData
from microcred.issuance import services as issuance_services
from microcred.issuance.models import IssuedCredential
from microcred.organizations.models import Membership, Organization
from microcred.organizations.roles import Role

PASSWORD = "correct-horse-battery-9"


def make_user(email: str, full_name: str = "") -> User:
    return User.objects.create_user(
        email=email, password=PASSWORD, full_name=full_name or email.split("@")[0]
    )


def complete_content(**overrides: Any) -> dict[str, Any]:
    """Content with every mandatory EU element, ready to publish."""
    content: dict[str, Any] = {
        "title": "Applied Statistics",
        "short_description": "Descriptive and inferential statistics for practitioners.",
        "scope": "The holder can choose and run the right statistical test.",
        "criteria": "Pass the exam with 70 %.",
        "awarding_bodies": ["Example University"],
        "issuer_country": "DE",
        "learning_outcomes": ["Choose a test", "Interpret a p-value"],
        "workload_ects": Decimal(2),
        "assessment_type": "Online exam",
        "participation_form": "online",
        "quality_assurance": "Internal QA",
    }
    content.update(overrides)
    return content


@dataclass
class Org:
    organization: Organization
    owner: Membership
    admin: Membership
    issuer: Membership
    assessor: Membership

    @property
    def slug(self) -> str:
        return self.organization.slug

    def member(self, role: str) -> Membership:
        return getattr(self, role)


@dataclass
class World:
    a: Org
    b: Org
    stranger: User
    learner: User


def _org(slug: str, name: str) -> Org:
    owner = make_user(f"owner@{slug}.test", f"{name} Owner")
    organization = Organization.objects.create(
        slug=slug, name=name, country="DE", contact_email=f"info@{slug}.test"
    )
    members = {
        Role.OWNER: Membership.objects.create(
            organization=organization, user=owner, role=Role.OWNER
        )
    }
    for role in (Role.ADMIN, Role.ISSUER, Role.ASSESSOR):
        user = make_user(f"{role}@{slug}.test", f"{name} {role.label}")
        members[role] = Membership.objects.create(organization=organization, user=user, role=role)
    return Org(
        organization,
        members[Role.OWNER],
        members[Role.ADMIN],
        members[Role.ISSUER],
        members[Role.ASSESSOR],
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """``world`` creates ten accounts per test; Argon2 would make each cost ~0.5 s.

    tests/accounts restores the production hashers, where hashing is the subject.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files(settings, tmp_path_factory):
    """Serve static files from the source tree: the suite does not run collectstatic."""
    root = tmp_path_factory.mktemp("static")
    settings.STATIC_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Each test stores uploads and renderings in its own folder: database ids restart after
    each test's rollback, so paths like designs/<pk>/… would otherwise meet another test's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None) -> World:
    return World(
        a=_org("org-a", "Alpha Academy"),
        b=_org("org-b", "Beta College"),
        stranger=make_user("stranger@example.test", "Stan Stranger"),
        learner=make_user("learner@example.test", "Lea Learner"),
    )


def publish_achievement(member: Membership, **overrides: Any) -> Achievement:
    achievement = achievement_services.create_achievement(
        member=member,
        content=complete_content(**overrides),
        skills=[SkillData("Statistics", "ESCO", "http://data.europa.eu/esco/skill/example", "S1")],
        requirements=[
            RequirementData("exam_score", exam_name="Final exam", min_score_percent=Decimal(70))
        ],
    )
    draft = achievement.draft_version()
    assert draft is not None
    achievement_services.publish_version(member=member, version=draft)
    return Achievement.objects.get(pk=achievement.pk)


def issue(
    member: Membership, achievement: Achievement, email: str = "holder@example.test"
) -> IssuedCredential:
    return issuance_services.issue_credential(
        member=member, achievement=achievement, recipient_name="Hana Holder", recipient_email=email
    )


@pytest.fixture
def login():
    """``login(user)`` returns a client logged in as ``user`` (no two-factor set up)."""

    def _login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login
