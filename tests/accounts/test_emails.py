"""Further e-mail addresses: confirmed by a link, then credentials sent there are in the wallet;
addresses of other accounts, foreign links and bad input are refused and change nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from microcred.accounts import emails
from microcred.accounts.models import EmailAddress
from microcred.core.errors import DomainError
from microcred.core.models import AuditEntry
from microcred.issuance.queries import credentials_held_by
from microcred.wallet import claims
from tests.conftest import issue, publish_achievement

WALLET = reverse("learner:credentials")


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def confirmation_path() -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/emails/verify/\S+)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_a_confirmed_address_brings_its_credentials_into_the_wallet(
    world, login, django_capture_on_commit_callbacks
):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "Work@Example.test")
    holder = login(world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = holder.post(reverse("accounts:email_add"), {"email": " work@example.TEST "})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["work@example.test"]
    assert credential.display_code not in holder.get(WALLET).content.decode()  # not yet
    page = holder.get(reverse("accounts:security")).content.decode()
    assert "Waiting for confirmation" in page
    holder.get(confirmation_path())
    assert credential.display_code in holder.get(WALLET).content.decode()
    assert "Confirmed" in holder.get(reverse("accounts:security")).content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"microcred.account.email_added", "microcred.account.email_verified"} <= actions

    address = EmailAddress.objects.get(user=world.learner)
    holder.post(reverse("accounts:email_remove", args=[address.pk]))
    assert credential.display_code not in holder.get(WALLET).content.decode()


def test_a_link_for_another_account_confirms_nothing(
    world, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        emails.add_email(user=world.learner, email="work@example.test")
    path = confirmation_path()
    login(world.stranger).get(path)
    assert EmailAddress.objects.get().verified_at is None
    with pytest.raises(DomainError, match="not valid"):
        emails.verify_email(user=world.learner, token="garbage")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "Enter a valid e-mail address"),
        ("learner@example.test", "already your account's address"),
        ("stranger@example.test", "belongs to another account"),
    ],
)
def test_bad_or_taken_addresses_are_refused(world, email, message):
    with pytest.raises(DomainError, match=message):
        emails.add_email(user=world.learner, email=email)
    assert not EmailAddress.objects.exists()


def test_an_address_verified_elsewhere_cannot_be_added_and_claims_are_respected(world):
    other = EmailAddress.objects.create(user=world.stranger, email="shared@example.test")
    emails.verify_email(user=world.stranger, token=emails.verification_url(other).rsplit("/", 2)[1])
    with pytest.raises(DomainError, match="belongs to another account"):
        emails.add_email(user=world.learner, email="shared@example.test")
    # A credential claimed into one account is not listed for the address's other owner.
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "shared@example.test")
    assert credentials_held_by(world.stranger).filter(pk=credential.pk).exists()
    claims.claim_credential(user=world.learner, token=claims.claim_token(credential))
    assert not credentials_held_by(world.stranger).filter(pk=credential.pk).exists()
    assert credentials_held_by(world.learner).filter(pk=credential.pk).exists()
    emails.add_email(user=world.learner, email="again@example.test")
    with pytest.raises(DomainError, match="added that address already"):
        emails.add_email(user=world.learner, email="Again@example.test")
