from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from microcred.accounts.models import User
from microcred.achievements.models import Achievement, AchievementStatus
from microcred.demo.data import ADMIN, PASSWORD
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
    assert User.objects.get(email=ADMIN).check_password(PASSWORD)

    call_command("demo", stdout=StringIO())
    assert _counts() == (1, 5, 3, 1, 1)
