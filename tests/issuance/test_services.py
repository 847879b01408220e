"""Issuing and revoking credentials: rules, tenancy, roles, audit, mail, and the constraints."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from microcred.achievements import services as achievement_services
from microcred.achievements.models import Achievement
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.issuance import codes, queries
from microcred.issuance import services as issuance_services
from microcred.issuance.models import CredentialStatus, IssuedCredential, VerificationState
from tests.conftest import World, complete_content, issue, publish_achievement

NOON = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
HOLDER = "holder@example.test"


@pytest.fixture
def achievement(world: World) -> Achievement:
    return publish_achievement(world.a.issuer)


@pytest.fixture
def expiring(world: World) -> Achievement:
    """Published with a one-month validity."""
    return publish_achievement(world.a.issuer, title="First Aid", validity_months=1)


def _revoke(member: Any, credential: IssuedCredential, reason: str = "Exam fraud") -> Any:
    return issuance_services.revoke_credential(member=member, credential=credential, reason=reason)


def _state() -> tuple[list[tuple[Any, ...]], int]:
    """Every credential row and the number of audit entries: to show that nothing changed."""
    rows = list(
        IssuedCredential.objects.order_by("pk").values_list(
            "pk", "status", "revoked_at", "revocation_reason", "recipient_email"
        )
    )
    return rows, AuditEntry.objects.count()


# -- issuing ---------------------------------------------------------------------------------


def test_issue_sets_identity_code_dates_and_provenance(world: World, expiring: Achievement) -> None:
    with time_machine.travel(NOON, tick=False):
        credential = issue(world.a.issuer, expiring)

    credential.refresh_from_db()
    assert isinstance(credential.uuid, uuid.UUID)
    assert credential.uuid.version == 4
    assert credential.urn == f"urn:uuid:{credential.uuid}"
    assert codes.normalize(credential.verification_code) == credential.verification_code
    assert credential.display_code == codes.display(credential.verification_code)
    assert credential.organization == world.a.organization
    assert credential.achievement == expiring
    assert credential.achievement_version == expiring.published_version()
    assert credential.recipient_name == "Hana Holder"
    assert credential.recipient_email == HOLDER
    assert credential.recipient is None  # no account with this address
    assert credential.issued_by == world.a.issuer.user
    assert credential.status == CredentialStatus.ACTIVE
    assert credential.issued_at == NOON
    assert credential.valid_from == NOON
    # 31 January + 1 month: clamped to the end of February, same time of day.
    assert credential.valid_until == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)


def test_issue_without_validity_period_never_expires(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement)

    assert credential.valid_until is None
    assert not credential.is_expired(datetime(2999, 1, 1, tzinfo=UTC))


def test_each_credential_gets_its_own_uuid_and_code(world: World, achievement: Achievement) -> None:
    credentials = [issue(world.a.issuer, achievement, f"p{i}@example.test") for i in range(25)]

    assert len({c.verification_code for c in credentials}) == 25
    assert len({c.uuid for c in credentials}) == 25


def test_issue_retries_when_a_generated_code_is_taken(
    world: World, achievement: Achievement, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = issue(world.a.issuer, achievement, "first@example.test").verification_code
    fresh = codes.generate()
    while fresh == taken:  # pragma: no cover - 1 in 2**45
        fresh = codes.generate()
    offered = iter([taken, taken, fresh])
    monkeypatch.setattr(codes, "generate", lambda: next(offered))

    credential = issue(world.a.issuer, achievement, "second@example.test")

    assert credential.verification_code == fresh


def test_issue_gives_up_when_every_code_is_taken_and_writes_nothing(
    world: World, achievement: Achievement, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = issue(world.a.issuer, achievement, "first@example.test").verification_code
    before = _state()
    monkeypatch.setattr(codes, "generate", lambda: taken)

    with pytest.raises(RuntimeError, match="unused verification code"):
        issue(world.a.issuer, achievement, "second@example.test")

    assert _state() == before


def test_recipient_is_linked_to_an_existing_account_case_insensitively(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement, "  Learner@EXAMPLE.Test ")

    assert credential.recipient == world.learner
    assert credential.recipient_email == "learner@example.test"
    assert list(queries.credentials_held_by(world.learner)) == [credential]


def test_recipient_name_is_tidied(world: World, achievement: Achievement) -> None:
    credential = issuance_services.issue_credential(
        member=world.a.issuer,
        achievement=achievement,
        recipient_name="  Hana \n  Holder ",
        recipient_email=HOLDER,
    )
    assert credential.recipient_name == "Hana Holder"


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("", HOLDER, "recipient_name"),
        ("   ", HOLDER, "recipient_name"),
        ("x" * 201, HOLDER, "recipient_name"),
        ("Hana Holder", "not-an-address", "recipient_email"),
        ("Hana Holder", "", "recipient_email"),
    ],
)
def test_invalid_recipient_is_refused(
    world: World, achievement: Achievement, name: str, email: str, field: str
) -> None:
    before = _state()
    with pytest.raises(DomainError) as excinfo:
        issuance_services.issue_credential(
            member=world.a.issuer,
            achievement=achievement,
            recipient_name=name,
            recipient_email=email,
        )
    assert excinfo.value.field == field
    assert _state() == before


def test_mail_with_the_verification_link_is_sent_after_commit(
    world: World, expiring: Achievement, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with time_machine.travel(NOON, tick=False):
            credential = issue(world.a.issuer, expiring)
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert len(callbacks) == 2  # the e-mail, and pathways this credential may complete
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [HOLDER]
    assert message.subject == "Your credential: First Aid"
    url = settings.PUBLIC_URL + reverse("public:verify_code", args=[credential.verification_code])
    assert url in message.body
    assert credential.display_code in message.body
    assert "Hello Hana Holder," in message.body
    assert "Alpha Academy has issued you the credential “First Aid”." in message.body
    assert "It is valid until 28 February 2025." in message.body


def test_no_mail_is_queued_when_issuing_fails(
    world: World, achievement: Achievement, django_capture_on_commit_callbacks: Any
) -> None:
    issue(world.a.issuer, achievement)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DomainError),
    ):
        issue(world.a.issuer, achievement)
    assert callbacks == []
    assert mail.outbox == []


def test_a_draft_definition_cannot_be_issued(world: World) -> None:
    draft = achievement_services.create_achievement(
        member=world.a.issuer, content=complete_content()
    )
    before = _state()

    with pytest.raises(DomainError, match="Only a published credential definition"):
        issue(world.a.issuer, draft)

    assert _state() == before


def test_an_archived_definition_cannot_be_issued(world: World, achievement: Achievement) -> None:
    achievement_services.archive_achievement(member=world.a.issuer, achievement=achievement)
    before = _state()

    with pytest.raises(DomainError, match="Only a published credential definition"):
        issue(world.a.issuer, achievement)

    assert _state() == before


def test_second_active_credential_for_the_same_person_is_refused(
    world: World, achievement: Achievement
) -> None:
    first = issue(world.a.issuer, achievement)
    before = _state()

    with pytest.raises(DomainError) as excinfo:
        issue(world.a.admin, achievement, "HOLDER@example.test")

    assert excinfo.value.field == "recipient_email"
    assert "holder@example.test already holds an active credential" in excinfo.value.message
    assert _state() == before
    assert list(IssuedCredential.objects.all()) == [first]


def test_after_revocation_the_same_person_can_be_issued_again(
    world: World, achievement: Achievement
) -> None:
    first = issue(world.a.issuer, achievement)
    _revoke(world.a.issuer, first)

    second = issue(world.a.issuer, achievement)

    assert second.pk != first.pk
    assert second.verification_code != first.verification_code
    assert second.status == CredentialStatus.ACTIVE
    first.refresh_from_db()
    assert first.status == CredentialStatus.REVOKED
    with pytest.raises(DomainError):
        issue(world.a.issuer, achievement)  # the new one is active again: one at a time


# -- revoking --------------------------------------------------------------------------------


def test_revoke_records_who_when_and_why(world: World, achievement: Achievement) -> None:
    credential = issue(world.a.issuer, achievement)
    later = NOON + timedelta(days=3)

    with time_machine.travel(later, tick=False):
        revoked = _revoke(world.a.admin, credential, "  Exam   fraud\nconfirmed ")

    revoked.refresh_from_db()
    assert revoked.status == CredentialStatus.REVOKED
    assert revoked.revoked_at == later
    assert revoked.revoked_by == world.a.admin.user
    assert revoked.revocation_reason == "Exam fraud confirmed"


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * 501])
def test_revoke_needs_a_reason_of_sensible_length(
    world: World, achievement: Achievement, reason: str
) -> None:
    credential = issue(world.a.issuer, achievement)
    before = _state()

    with pytest.raises(DomainError) as excinfo:
        _revoke(world.a.issuer, credential, reason)

    assert excinfo.value.field == "reason"
    assert _state() == before


def test_second_revocation_is_refused_and_keeps_the_first(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement)
    _revoke(world.a.issuer, credential, "First reason")
    before = _state()

    with pytest.raises(DomainError, match="already revoked"):
        _revoke(world.a.owner, credential, "Second reason")

    assert _state() == before
    credential.refresh_from_db()
    assert credential.revocation_reason == "First reason"
    assert credential.revoked_by == world.a.issuer.user


# -- roles and tenancy -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_staff_with_the_issue_capability_can_issue_and_revoke(
    world: World, achievement: Achievement, role: str
) -> None:
    member = world.a.member(role)
    credential = issue(member, achievement)
    _revoke(member, credential)
    credential.refresh_from_db()
    assert credential.issued_by == member.user
    assert credential.revoked_by == member.user


def test_assessor_can_neither_issue_nor_revoke(world: World, achievement: Achievement) -> None:
    credential = issue(world.a.issuer, achievement)
    before = _state()

    with pytest.raises(PermissionDenied):
        issue(world.a.assessor, achievement, "other@example.test")
    with pytest.raises(PermissionDenied):
        _revoke(world.a.assessor, credential)

    assert _state() == before


@pytest.mark.parametrize("role", ["owner", "admin", "issuer", "assessor"])
def test_other_organization_cannot_issue_our_definition(
    world: World, achievement: Achievement, role: str
) -> None:
    before = _state()

    with pytest.raises(DomainError):  # NotFound for issuing roles, PermissionDenied otherwise
        issue(world.b.member(role), achievement)

    assert _state() == before
    assert not world.b.organization.issued_credentials.exists()


def test_other_organization_owner_gets_not_found_for_our_definition(
    world: World, achievement: Achievement
) -> None:
    with pytest.raises(NotFound):
        issue(world.b.owner, achievement)


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_other_organization_cannot_revoke_our_credential(
    world: World, achievement: Achievement, role: str
) -> None:
    credential = issue(world.a.issuer, achievement)
    before = _state()

    with pytest.raises(NotFound):
        _revoke(world.b.member(role), credential)

    assert _state() == before
    credential.refresh_from_db()
    assert credential.verification_state() == VerificationState.VALID


def test_queries_scope_credentials_to_the_members_organization(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement)
    theirs = issue(world.b.issuer, publish_achievement(world.b.issuer))

    assert queries.get_credential_for(world.a.assessor, credential.pk) == credential
    with pytest.raises(NotFound):
        queries.get_credential_for(world.b.owner, credential.pk)
    assert list(queries.credentials_for(world.a.assessor)) == [credential]
    assert list(queries.credentials_for(world.b.assessor)) == [theirs]
    # A code search does not reach into another organization either.
    assert not queries.credentials_for(world.b.owner, search=credential.verification_code).exists()
    found = queries.credentials_for(world.a.owner, search=credential.display_code.lower())
    assert list(found) == [credential]


def test_public_lookup_by_code(world: World, achievement: Achievement) -> None:
    credential = issue(world.a.issuer, achievement)

    assert queries.credential_by_code(credential.display_code.lower()) == credential
    unused = codes.generate()
    while unused == credential.verification_code:  # pragma: no cover
        unused = codes.generate()
    with pytest.raises(NotFound):
        queries.credential_by_code(unused)
    with pytest.raises(codes.InvalidCode):
        queries.credential_by_code("not a code")


# -- what a verifier sees --------------------------------------------------------------------


def test_verification_state_valid_then_expired(world: World, expiring: Achievement) -> None:
    with time_machine.travel(NOON, tick=False):
        credential = issue(world.a.issuer, expiring)
        assert credential.verification_state() == VerificationState.VALID
        assert not credential.is_expired()
    assert credential.valid_until is not None

    with time_machine.travel(credential.valid_until - timedelta(seconds=1), tick=False):
        assert credential.verification_state() == VerificationState.VALID
    with time_machine.travel(credential.valid_until, tick=False):
        assert credential.verification_state() == VerificationState.EXPIRED
    with time_machine.travel(credential.valid_until + timedelta(days=400), tick=False):
        assert credential.is_expired()
        assert credential.verification_state() == VerificationState.EXPIRED


def test_verification_state_revoked_wins_over_expired(world: World, expiring: Achievement) -> None:
    with time_machine.travel(NOON, tick=False):
        credential = issue(world.a.issuer, expiring)
        _revoke(world.a.issuer, credential)
        credential.refresh_from_db()
        assert credential.verification_state() == VerificationState.REVOKED
    with time_machine.travel(NOON + timedelta(days=90), tick=False):
        assert credential.verification_state() == VerificationState.REVOKED


def test_verification_state_not_yet_valid_until_the_issue_date(
    world: World, expiring: Achievement
) -> None:
    starts = NOON + timedelta(days=10)
    with time_machine.travel(NOON, tick=False):
        credential = issuance_services.issue_credential(
            member=world.a.issuer,
            achievement=expiring,
            recipient_name="Hana Holder",
            recipient_email=HOLDER,
            issued_at=starts,
        )
        assert credential.valid_from == starts
        assert credential.valid_until == datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
        assert credential.verification_state() == VerificationState.NOT_YET_VALID
    with time_machine.travel(starts, tick=False):
        assert credential.verification_state() == VerificationState.VALID


# -- audit -----------------------------------------------------------------------------------


def test_issuing_and_revoking_are_audited(world: World, achievement: Achievement) -> None:
    credential = issue(world.a.issuer, achievement)
    _revoke(world.a.admin, credential, "Issued by mistake")

    issued = AuditEntry.objects.get(action="microcred.credential.issued")
    assert issued.actor == world.a.issuer.user
    assert issued.actor_label == "issuer@org-a.test"
    assert issued.organization == world.a.organization
    assert issued.object_type == "issuance.issuedcredential"
    assert issued.object_id == str(credential.pk)
    assert issued.data == {
        "code": credential.verification_code,
        "recipient_email": HOLDER,
        "achievement": "Applied Statistics",
        "version": 1,
    }
    revoked = AuditEntry.objects.get(action="microcred.credential.revoked")
    assert revoked.actor == world.a.admin.user
    assert revoked.organization == world.a.organization
    assert revoked.object_id == str(credential.pk)
    assert revoked.data == {"code": credential.verification_code, "reason": "Issued by mistake"}


# -- database constraints --------------------------------------------------------------------


def _row(credential: IssuedCredential, **overrides: Any) -> dict[str, Any]:
    fields = {
        "organization_id": credential.organization_id,
        "achievement_id": credential.achievement_id,
        "achievement_version_id": credential.achievement_version_id,
        "verification_code": codes.generate(),
        "recipient_name": "Copy",
        "recipient_email": credential.recipient_email,
    }
    fields.update(overrides)
    return fields


def test_database_refuses_a_second_active_credential(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement)

    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedCredential.objects.create(**_row(credential))

    assert IssuedCredential.objects.count() == 1


def test_database_allows_revoked_duplicates(world: World, achievement: Achievement) -> None:
    credential = issue(world.a.issuer, achievement)
    revoked = {"status": CredentialStatus.REVOKED, "revoked_at": NOON}

    IssuedCredential.objects.create(**_row(credential, **revoked))
    IssuedCredential.objects.create(**_row(credential, **revoked))

    assert IssuedCredential.objects.count() == 3


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": CredentialStatus.REVOKED},  # revoked without a date
        {"status": CredentialStatus.ACTIVE, "revoked_at": NOON},  # active with a revocation
        {"valid_from": NOON, "valid_until": NOON},  # expires the moment it starts
        {"valid_from": NOON, "valid_until": NOON - timedelta(days=1)},
    ],
)
def test_database_refuses_inconsistent_rows(
    world: World, achievement: Achievement, overrides: dict[str, Any]
) -> None:
    credential = issue(world.a.issuer, achievement)

    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedCredential.objects.create(
            **_row(credential, recipient_email="x@example.test", **overrides)
        )


def test_database_refuses_a_repeated_verification_code(
    world: World, achievement: Achievement
) -> None:
    credential = issue(world.a.issuer, achievement)

    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedCredential.objects.create(
            **_row(
                credential,
                recipient_email="x@example.test",
                verification_code=credential.verification_code,
            )
        )


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_to_the_same_recipient_creates_one_credential(world: World) -> None:
    achievement = publish_achievement(world.a.issuer)
    mail.outbox.clear()
    contenders = 2
    barrier = threading.Barrier(contenders)
    issued: list[IssuedCredential] = []
    refused: list[DomainError] = []
    unexpected: list[BaseException] = []

    def attempt(member: Any) -> None:
        try:
            barrier.wait(timeout=10)
            issued.append(issue(member, achievement, "race@example.test"))
        except DomainError as exc:
            refused.append(exc)
        except BaseException as exc:  # reported below, not lost in the thread
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(member,))
        for member in (world.a.issuer, world.a.admin)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert unexpected == []
    assert len(issued) == 1
    assert len(refused) == 1
    assert refused[0].field == "recipient_email"
    assert "already holds an active credential" in refused[0].message
    rows = IssuedCredential.objects.filter(recipient_email="race@example.test")
    assert list(rows) == issued
    assert AuditEntry.objects.filter(action="microcred.credential.issued").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_issues_share_one_status_list_with_distinct_indexes(world: World) -> None:
    # Different definitions, so the definition's row lock does not serialize them.
    achievements = [publish_achievement(world.a.issuer, title=f"Course {n}") for n in range(3)]
    barrier = threading.Barrier(3)
    issued: list[IssuedCredential] = []
    unexpected: list[BaseException] = []

    def attempt(achievement: Any) -> None:
        try:
            barrier.wait(timeout=10)
            issued.append(issue(world.a.issuer, achievement, "same@example.test"))
        except BaseException as exc:  # reported below, not lost in the thread
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(achievement,)) for achievement in achievements
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert unexpected == []
    assert len(issued) == 3
    rows = list(IssuedCredential.objects.filter(organization=world.a.organization))
    assert len({row.status_list_id for row in rows}) == 1
    assert len({row.status_index for row in rows}) == 3


def test_signed_images_point_at_the_apps_lasting_address_not_the_storages(
    world: World, settings: Any, client: Any
) -> None:
    # As with S3, the storage's own URLs are signed and expire; a credential lives for years.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://bucket.example/signed/"},
        },
    }
    organization = world.a.organization
    organization.logo.save("logo.png", ContentFile(b"png"), save=True)
    assert organization.logo.url.startswith("https://bucket.example/signed/")
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer))
    image = credential.document["issuer"]["image"]["id"]
    assert image == f"{settings.PUBLIC_URL}/media/{organization.logo.name}"
    served = client.get(urlsplit(image).path)
    assert served.status_code == 200
    assert served.getvalue() == b"png"
