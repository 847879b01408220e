"""Claim links: the e-mail carries one; following it adds the credential to the signed-in
account or to a new account for that address; bad, tampered or foreign links change nothing;
issuers can send the e-mail again."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from microcred.accounts.models import User
from microcred.core.errors import DomainError, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.issuance import services
from microcred.issuance.queries import credentials_held_by
from microcred.wallet import claims
from tests.conftest import issue, publish_achievement


@pytest.fixture
def credential(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    achievement = publish_achievement(world.a.issuer)
    with django_capture_on_commit_callbacks(execute=True):
        return issue(world.a.issuer, achievement, "New.Person@Example.test")


def link_from_mail() -> str:
    found = re.search(r"https?://\S+/claim/\S+", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(0)


def test_the_email_link_creates_an_account_and_puts_the_credential_in_its_wallet(
    client, credential
):
    path = "/" + link_from_mail().split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    assert "new.person@example.test" in page.content.decode()
    weak = client.post(path, {"full_name": "New Person", "password": "123"})
    assert weak.status_code == 400
    assert not User.objects.filter(email="new.person@example.test").exists()
    response = client.post(path, {"full_name": "New Person", "password": "a long passphrase 42"})
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    credential.refresh_from_db()
    assert credential.recipient == user
    wallet = client.get(reverse("learner:credentials")).content.decode()  # signed in already
    assert credential.display_code in wallet
    assert AuditEntry.objects.filter(action="microcred.credential.claimed").count() == 1


def test_a_signed_in_holder_claims_into_their_account_even_from_another_address(
    world, login, credential
):
    holder = login(world.learner)  # learner@example.test: not the address the link went to
    path = reverse("claim", args=[claims.claim_token(credential)])
    assert "Add it to the wallet of" in holder.get(path).content.decode()
    assert holder.post(path).status_code == 302
    assert credentials_held_by(world.learner).filter(pk=credential.pk).exists()
    assert holder.post(path).status_code == 302  # again: nothing changes
    # A second account cannot take it over with the same link.
    other = login(world.stranger)
    response = other.post(path)
    assert response.status_code == 400
    credential.refresh_from_db()
    assert credential.recipient == world.learner


def test_bad_links_are_refused_clearly(client, credential):
    token = claims.claim_token(credential)
    for broken, message in [
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "not valid"),
        ("nonsense", "not valid"),
    ]:
        response = client.get(reverse("claim", args=[broken]))
        assert response.status_code == 400
        assert message in response.content.decode()
    later = timezone.now() + dt.timedelta(days=400)
    with time_machine.travel(later), pytest.raises(DomainError, match="expired"):
        claims.read_claim(token)
    credential.refresh_from_db()
    assert credential.recipient is None


def test_an_existing_account_logs_in_instead_of_making_a_second_one(world, client, credential):
    User.objects.create_user("new.person@example.test", "another passphrase 9", full_name="N P")
    path = reverse("claim", args=[claims.claim_token(credential)])
    response = client.post(path, {"full_name": "New Person", "password": "a long passphrase 42"})
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()
    assert User.objects.filter(email="new.person@example.test").count() == 1


def test_issuers_resend_the_email_with_a_working_link(
    world, login, credential, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    staff = login(world.a.issuer.user)
    url = reverse("backoffice:credential_resend", args=[world.a.slug, credential.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url).status_code == 302
    assert mail.outbox[-1].to == [credential.recipient_email]
    assert claims.read_claim(link_from_mail().rsplit("/", 1)[1]).credential == credential
    assert (
        login(world.b.owner.user)
        .post(reverse("backoffice:credential_resend", args=[world.b.slug, credential.pk]))
        .status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.resend_notification(member=world.a.assessor, credential=credential)
    services.revoke_credential(member=world.a.issuer, credential=credential, reason="Mistake")
    with pytest.raises(DomainError, match="revoked"):
        services.resend_notification(member=world.a.issuer, credential=credential)
    assert AuditEntry.objects.filter(action="microcred.credential.notification_resent").count() == 1
