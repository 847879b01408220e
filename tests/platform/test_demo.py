from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from microcred.accounts.models import User
from microcred.achievements.models import Achievement, AchievementStatus
from microcred.demo.data import ADMIN, PASSWORD
from microcred.exams.models import Exam
from microcred.issuance.models import IssuedCredential
from microcred.organizations.models import Membership, Organization


def _counts() -> tuple[int, ...]:
    return (
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Achievement.objects.count(),
        IssuedCredential.objects.count(),
    )


@pytest.mark.django_db
def test_demo_loads_once_and_is_safe_to_run_again(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = StringIO()
    call_command("demo", stdout=out)
    assert _counts() == (1, 5, 3, 1, 1)
    assert Achievement.objects.get().status == AchievementStatus.PUBLISHED
    roles = sorted(Membership.objects.values_list("role", flat=True))
    assert roles == ["assessor", "issuer", "owner"]
    text = out.getvalue()
    assert ADMIN in text
    assert PASSWORD in text
    assert "/verify/" in text
    exam = Exam.objects.get()
    assert exam.status == "published"
    assert exam.achievement == Achievement.objects.get()
    assert f"{settings.PUBLIC_URL}/me/exams/{exam.uuid}" in text
    assert User.objects.get(email=ADMIN).check_password(PASSWORD)

    call_command("demo", stdout=StringIO())
    assert _counts() == (1, 5, 3, 1, 1)


@pytest.mark.django_db
def test_createorganization_command_makes_a_tenant_with_an_owner():
    out = StringIO()
    call_command(
        "createorganization",
        slug="example-uni",
        name="Example University",
        country="nl",
        contact_email="info@example.test",
        owner_email="Boss@Example.test",
        stdout=out,
    )
    organization = Organization.objects.get(slug="example-uni")
    membership = Membership.objects.get(organization=organization)
    assert (membership.user.email, membership.role) == ("boss@example.test", "owner")
    assert not membership.user.has_usable_password()
    assert str(organization.country) == "NL"


@pytest.mark.django_db
def test_createorganization_command_reports_bad_input_and_saves_nothing():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"(?i)slug"):
        call_command(
            "createorganization",
            slug="Not A Slug",
            name="X",
            country="NL",
            contact_email="info@example.test",
            owner_email="owner@example.test",
            stdout=StringIO(),
        )
    assert Organization.objects.count() == 0
    assert not User.objects.filter(email="owner@example.test").exists()
