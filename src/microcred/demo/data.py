"""The demo installation: one institution, its staff, two learners, one issued credential.

Built through the same services the product uses, and idempotent: running it again
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from microcred.accounts.models import User
from microcred.achievements import services as achievement_services
from microcred.achievements.models import Achievement
from microcred.achievements.services import RequirementData, SkillData
from microcred.exams.models import Exam
from microcred.exams.services import authoring
from microcred.exams.services import banks as bank_services
from microcred.issuance import services as issuance_services
from microcred.issuance.models import IssuedCredential
from microcred.organizations import services as organization_services
from microcred.organizations.models import Membership, Organization
from microcred.organizations.roles import Role

ORG_SLUG = "demo-university"
PASSWORD = "demo-password-2026"  # noqa: S105 - published demo login
ADMIN = "admin@demo.microcred.test"
ISSUER = "issuer@demo.microcred.test"
ASSESSOR = "assessor@demo.microcred.test"
LEARNERS = (
    ("Ada Lovelace", "ada@demo.microcred.test"),
    ("Alan Turing", "alan@demo.microcred.test"),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


def _user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name)
    return user


EXAM_TITLE = "Data Analysis final exam"
# (kind, stem, interaction, scoring): a short exam a visitor can pass or fail in two minutes.
_QUESTIONS = [
    (
        "single",
        "Which pandas method removes rows with missing values?",
        {
            "choices": [
                {"id": "A", "text": "dropna()"},
                {"id": "B", "text": "fillna()"},
                {"id": "C", "text": "isna()"},
            ]
        },
        {"correct": "A"},
    ),
    (
        "multiple",
        "Which of these are pandas data structures?",
        {
            "choices": [
                {"id": "A", "text": "DataFrame"},
                {"id": "B", "text": "Series"},
                {"id": "C", "text": "Tensor"},
            ]
        },
        {"correct": ["A", "B"], "rule": "partial"},
    ),
    ("true_false", "A groupby always returns as many rows as its input.", {}, {"correct": False}),
    (
        "numeric",
        "What is the median of 3, 9, 4, 7 and 1?",
        {},
        {"answers": [{"value": "4", "tolerance": "0"}]},
    ),
    (
        "short_text",
        "Which function reads a comma-separated file into a DataFrame? (name only)",
        {},
        {"answers": [{"text": "read_csv"}, {"pattern": r"pd\.read_csv(\(\))?"}]},
    ),
]


def _demo_exam(owner: Membership, achievement: Achievement) -> Exam:
    """A published exam whose pass counts towards the demo credential's exam requirement."""
    bank = bank_services.create_bank(member=owner, name="Data analysis")
    questions = [
        bank_services.create_item(
            member=owner,
            bank=bank,
            content={
                "kind": kind,
                "stem": stem,
                "interaction": interaction,
                "scoring": scoring,
                "skills": [{"name": "Data analytics", "weight": 1}],
            },
            publish=True,
        )
        for kind, stem, interaction, scoring in _QUESTIONS
    ]
    exam = authoring.create_exam(
        member=owner,
        title=EXAM_TITLE,
        instructions="Five questions on pandas basics. You may use the documentation.",
        achievement=achievement,
        time_limit_minutes=20,
        pass_mark_percent=Decimal(80),
        max_attempts=3,
        review_after_submit="responses",
    )
    authoring.update_exam(
        member=owner,
        exam=exam,
        sections=[{"title": "Pandas", "rules": [{"item": q.pk} for q in questions]}],
    )
    authoring.publish_exam(member=owner, exam=exam)
    return exam


@transaction.atomic
def load_demo() -> tuple[Organization, bool]:
    """Create the demo data if missing. Returns the organization and whether anything was created."""
    organization = Organization.objects.filter(slug=ORG_SLUG).first()
    if organization is not None:
        return organization, False
    admin = _user(ADMIN, "Grace Hopper")
    organization = organization_services.create_organization(
        owner=admin,
        slug=ORG_SLUG,
        name="Demo University",
        legal_name="Demo University of Applied Sciences",
        country="NL",
        region="Utrecht",
        website="https://demo.microcred.test",
        contact_email="credentials@demo.microcred.test",
        description="A demo institution to try microcred.",
    )
    owner = Membership.objects.get(organization=organization, user=admin)
    for email, name, role in (
        (ISSUER, "Ivan Issuer", Role.ISSUER),
        (ASSESSOR, "Asha Assessor", Role.ASSESSOR),
    ):
        staff = _user(email, name)
        Membership.objects.create(organization=organization, user=staff, role=role)
    for name, email in LEARNERS:
        _user(email, name)

    achievement = achievement_services.create_achievement(
        member=owner,
        content={
            "title": "Data Analysis with Python",
            "short_description": "Clean, analyse and visualise tabular data with pandas.",
            "scope": "The holder can load, clean, aggregate and chart real-world data sets in Python.",
            "criteria": "Pass the final exam with at least 80 % and have the capstone project approved.",
            "tags": ["data", "python"],
            "validity_months": 36,
            "awarding_bodies": ["Demo University of Applied Sciences"],
            "issuer_country": "NL",
            "learning_outcomes": [
                "Load and clean tabular data with pandas",
                "Aggregate and reshape data to answer questions",
                "Communicate findings with clear charts",
            ],
            "workload_ects": Decimal(3),
            "workload_hours": Decimal(80),
            "eqf_level": 5,
            "assessment_type": "Online exam and practical project",
            "participation_form": "online",
            "quality_assurance": "Internal quality assurance of Demo University",
            "supervision": "supervised_online_id",
            "integration": "stackable",
            "integration_details": "Counts towards the Data Science certificate.",
        },
        skills=[
            SkillData(
                "Python (computer programming)",
                "ESCO",
                "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
            ),
            SkillData("Data analytics", "ESCO"),
        ],
        requirements=[
            RequirementData(
                "exam_score", exam_name="Data Analysis final exam", min_score_percent=Decimal(80)
            ),
            RequirementData("evidence", description="Capstone project"),
        ],
    )
    draft = achievement.draft_version()
    assert draft is not None  # noqa: S101 - just created
    achievement_services.publish_version(member=owner, version=draft)
    issuance_services.issue_credential(
        member=owner,
        achievement=Achievement.objects.get(pk=achievement.pk),
        recipient_name=LEARNERS[0][0],
        recipient_email=LEARNERS[0][1],
    )
    _demo_exam(owner, Achievement.objects.get(pk=achievement.pk))
    return organization, True


def demo_summary() -> list[str]:
    credential = (
        IssuedCredential.objects.filter(organization__slug=ORG_SLUG).order_by("issued_at").first()
    )
    lines = [
        f"Demo logins (password for all: {PASSWORD}):",
        f"  owner/admin  {ADMIN}",
        f"  issuer       {ISSUER}",
        f"  assessor     {ASSESSOR}",
    ]
    lines += [f"  learner      {email}" for _, email in LEARNERS]
    if credential is not None:
        lines.append(f"Issued demo credential: code {credential.display_code}")
    exam = Exam.objects.filter(organization__slug=ORG_SLUG, title=EXAM_TITLE).first()
    if exam is not None:
        url = settings.PUBLIC_URL + reverse("learner:exam", args=[exam.uuid])
        lines.append(f"Demo exam (log in as a learner): {url}")
    return lines
