"""Organizations and memberships: creation, profile, members, roles and the capability table."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection, connections
from django.urls import resolve
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from microcred.accounts.models import User
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.organizations import queries, services
from microcred.organizations.models import Membership, Organization
from microcred.organizations.roles import CAPABILITIES, Capability, Role, role_can
from tests.conftest import PASSWORD, World, make_user

PROFILE = {
    "name": "Gamma Institute",
    "country": "NL",
    "contact_email": "info@gamma.test",
}


def _snapshot() -> tuple[Any, ...]:
    return (
        list(
            Organization.objects.order_by("pk").values_list(
                "pk", "slug", "name", "primary_color", "secondary_color", "country"
            )
        ),
        list(
            Membership.objects.order_by("pk").values_list(
                "pk", "organization_id", "user_id", "role"
            )
        ),
        list(User.objects.order_by("pk").values_list("pk", "email")),
        AuditEntry.objects.count(),
    )


# -- creating organizations ------------------------------------------------------------------


def test_create_organization_makes_the_owner_and_an_audit_entry(world: World) -> None:
    organization = services.create_organization(owner=world.stranger, slug="gamma", **PROFILE)

    assert organization.pk is not None
    assert organization.name == "Gamma Institute"
    assert organization.primary_color == "#1d4ed8"
    membership = Membership.objects.get(organization=organization)
    assert (membership.user, membership.role) == (world.stranger, Role.OWNER)
    entry = AuditEntry.objects.get(action="microcred.organization.created")
    assert entry.actor == world.stranger
    assert entry.organization == organization
    assert entry.object_type == "organizations.organization"
    assert entry.object_id == str(organization.pk)
    assert entry.data == {"name": "Gamma Institute", "owner": "stranger@example.test"}
    assert queries.get_membership(world.stranger, "gamma") == membership


def test_create_organization_records_a_different_actor(world: World) -> None:
    operator = make_user("operator@example.test")
    organization = services.create_organization(
        owner=world.stranger, actor=operator, slug="gamma", **PROFILE
    )
    entry = AuditEntry.objects.get(action="microcred.organization.created")
    assert entry.actor == operator
    assert entry.data["owner"] == "stranger@example.test"
    assert organization.memberships.get().user == world.stranger


def test_create_organization_refuses_a_taken_slug(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.create_organization(owner=world.stranger, slug="org-a", **PROFILE)
    assert excinfo.value.field == "slug"
    assert "“org-a” is already taken" in excinfo.value.message
    assert _snapshot() == before


@pytest.mark.parametrize(
    "slug", ["", "Gamma", "-gamma", "gamma-", "gam ma", "gamma_inst", "ä", "g" * 51]
)
def test_create_organization_refuses_an_invalid_slug(world: World, slug: str) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.create_organization(owner=world.stranger, slug=slug, **PROFILE)
    assert excinfo.value.field == "slug"
    assert _snapshot() == before


@pytest.mark.parametrize("slug", ["g", "g1", "gamma-2", "g" * 50])
def test_create_organization_accepts_valid_slugs(world: World, slug: str) -> None:
    assert services.create_organization(owner=world.stranger, slug=slug, **PROFILE).slug == slug


@pytest.mark.parametrize(
    ("field", "colour"),
    [
        ("primary_color", "blue"),
        ("primary_color", "#12345"),
        ("primary_color", "1d4ed8"),
        ("secondary_color", "#12345g"),
        ("secondary_color", "#1234567"),
    ],
)
def test_create_organization_refuses_an_invalid_colour(
    world: World, field: str, colour: str
) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.create_organization(
            owner=world.stranger, slug="gamma", **PROFILE, **{field: colour}
        )
    assert excinfo.value.field == field
    assert "#RRGGBB" in excinfo.value.message
    assert _snapshot() == before


# -- the profile -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_update_organization_audits_the_changed_fields(world: World, role: str) -> None:
    member = world.a.member(role)

    organization = services.update_organization(
        member=member,
        name="Alpha Academy of Sciences",
        country="DE",  # unchanged: not listed
        primary_color="#ff0000",
        contact_email="info@org-a.test",  # unchanged
    )

    organization.refresh_from_db()
    assert organization.name == "Alpha Academy of Sciences"
    assert organization.primary_color == "#ff0000"
    entry = AuditEntry.objects.get(action="microcred.organization.updated")
    assert entry.actor == member.user
    assert entry.organization == world.a.organization
    assert entry.data == {"changed": ["name", "primary_color"]}
    world.b.organization.refresh_from_db()
    assert world.b.organization.name == "Beta College"  # only the member's own organization


def test_update_organization_without_changes_writes_no_audit_entry(world: World) -> None:
    services.update_organization(member=world.a.owner, name="Alpha Academy", country="DE")
    assert not AuditEntry.objects.filter(action="microcred.organization.updated").exists()


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_update_organization_is_denied_to_issuers_and_assessors(world: World, role: str) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.update_organization(member=world.a.member(role), name="Taken over")
    assert _snapshot() == before


def test_update_organization_refuses_invalid_values_and_saves_nothing(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.update_organization(
            member=world.a.owner, name="Renamed", secondary_color="not a colour"
        )
    assert excinfo.value.field == "secondary_color"
    assert _snapshot() == before


def test_update_organization_refuses_fields_outside_the_profile(world: World) -> None:
    with pytest.raises(ValueError, match="not a profile field: slug"):
        services.update_organization(member=world.a.owner, slug="hijack")
    world.a.organization.refresh_from_db()
    assert world.a.organization.slug == "org-a"


# -- adding members --------------------------------------------------------------------------


def _password_set_link(body: str) -> str:
    match = re.search(r"https?://\S+/accounts/reset/\S+/", body)
    assert match, body
    return match.group(0)


def test_add_member_creates_an_account_and_invites_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        added = services.add_member(
            member=world.a.admin,
            email=" New.Person@Example.TEST ",
            role=Role.ISSUER,
            full_name=" Nia New ",
        )
        assert mail.outbox == []

    assert len(callbacks) == 1
    user = added.user
    assert user.email == "new.person@example.test"
    assert user.full_name == "Nia New"
    assert not user.has_usable_password()
    assert (added.organization, added.role) == (world.a.organization, Role.ISSUER)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert message.subject == "You have been added to Alpha Academy on microcred"
    assert "Alpha Academy added you to its team" in message.body
    link = _password_set_link(message.body)
    assert link.startswith(settings.PUBLIC_URL + "/accounts/reset/")
    match = resolve(urlsplit(link).path)
    assert match.url_name == "password_reset_confirm"
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(user.pk)
    assert default_token_generator.check_token(user, match.kwargs["token"])
    entry = AuditEntry.objects.get(action="microcred.member.added")
    assert entry.actor == world.a.admin.user
    assert entry.organization == world.a.organization
    assert entry.object_id == str(added.pk)
    assert entry.data == {
        "email": "new.person@example.test",
        "role": "issuer",
        "account_created": True,
    }


def test_add_member_reuses_an_existing_account_without_inviting(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        added = services.add_member(
            member=world.a.owner, email="  LEARNER@example.TEST", role=Role.ASSESSOR
        )

    assert added.user == world.learner
    assert User.objects.count() == users_before
    world.learner.refresh_from_db()
    assert world.learner.check_password(PASSWORD)  # the existing password is untouched
    assert callbacks == []
    assert mail.outbox == []
    entry = AuditEntry.objects.get(action="microcred.member.added")
    assert entry.data["account_created"] is False


def test_a_member_of_another_organization_can_be_added_too(world: World) -> None:
    added = services.add_member(member=world.a.owner, email="issuer@org-b.test", role=Role.ISSUER)
    assert added.user == world.b.issuer.user
    assert world.b.issuer.user.memberships.count() == 2


@pytest.mark.parametrize("email", ["issuer@org-a.test", "ISSUER@Org-A.test "])
def test_add_member_refuses_an_existing_member(world: World, email: str) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.add_member(member=world.a.owner, email=email, role=Role.ADMIN)
    assert excinfo.value.field == "email"
    assert "issuer@org-a.test is already a member" in excinfo.value.message
    assert _snapshot() == before
    assert Membership.objects.get(pk=world.a.issuer.pk).role == Role.ISSUER


@pytest.mark.parametrize("email", ["", "not-an-address", "two@@example.test"])
def test_add_member_refuses_an_invalid_address(world: World, email: str) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.add_member(member=world.a.owner, email=email, role=Role.ISSUER)
    assert excinfo.value.field == "email"
    assert _snapshot() == before


def test_add_member_refuses_an_unknown_role(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError) as excinfo:
        services.add_member(member=world.a.owner, email="x@example.test", role="superuser")
    assert excinfo.value.field == "role"
    assert _snapshot() == before


def test_only_owners_can_grant_the_owner_role(world: World) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.add_member(member=world.a.admin, email="boss@example.test", role=Role.OWNER)
    assert _snapshot() == before

    added = services.add_member(member=world.a.owner, email="boss@example.test", role=Role.OWNER)
    assert added.role == Role.OWNER


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_issuers_and_assessors_cannot_add_members(world: World, role: str) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.add_member(member=world.a.member(role), email="x@example.test", role=Role.ASSESSOR)
    assert _snapshot() == before


# -- changing roles and removing members -----------------------------------------------------


def test_change_role_is_audited(world: World) -> None:
    changed = services.change_role(member=world.a.admin, target=world.a.issuer, role=Role.ASSESSOR)

    assert Membership.objects.get(pk=world.a.issuer.pk).role == Role.ASSESSOR
    assert changed.role == Role.ASSESSOR
    entry = AuditEntry.objects.get(action="microcred.member.role_changed")
    assert entry.actor == world.a.admin.user
    assert entry.organization == world.a.organization
    assert entry.data == {"email": "issuer@org-a.test", "from": "issuer", "to": "assessor"}


def test_change_to_the_same_role_changes_nothing(world: World) -> None:
    before = _snapshot()
    services.change_role(member=world.a.owner, target=world.a.issuer, role=Role.ISSUER)
    services.change_role(member=world.a.owner, target=world.a.owner, role=Role.OWNER)
    assert _snapshot() == before


def test_the_last_owner_cannot_step_down(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError, match="at least one owner"):
        services.change_role(member=world.a.owner, target=world.a.owner, role=Role.ADMIN)
    assert _snapshot() == before


def test_an_owner_can_step_down_once_there_is_another(world: World) -> None:
    services.change_role(member=world.a.owner, target=world.a.admin, role=Role.OWNER)

    services.change_role(member=world.a.owner, target=world.a.owner, role=Role.ADMIN)

    roles = dict(world.a.organization.memberships.values_list("user__email", "role"))
    assert roles["owner@org-a.test"] == Role.ADMIN
    assert roles["admin@org-a.test"] == Role.OWNER
    # Now the former admin is the last owner and is held to the same rule.
    new_owner = Membership.objects.get(pk=world.a.admin.pk)
    with pytest.raises(DomainError, match="at least one owner"):
        services.change_role(member=new_owner, target=new_owner, role=Role.ISSUER)


def test_admins_cannot_promote_to_or_demote_from_owner(world: World) -> None:
    services.change_role(member=world.a.owner, target=world.a.issuer, role=Role.OWNER)
    before = _snapshot()

    with pytest.raises(PermissionDenied):
        services.change_role(member=world.a.admin, target=world.a.assessor, role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.change_role(member=world.a.admin, target=world.a.owner, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.change_role(member=world.a.admin, target=world.a.admin, role=Role.OWNER)

    assert _snapshot() == before


def test_change_role_refuses_an_unknown_role(world: World) -> None:
    with pytest.raises(DomainError) as excinfo:
        services.change_role(member=world.a.owner, target=world.a.issuer, role="root")
    assert excinfo.value.field == "role"


def test_the_last_owner_cannot_be_removed(world: World) -> None:
    before = _snapshot()
    with pytest.raises(DomainError, match="last owner"):
        services.remove_member(member=world.a.owner, target=world.a.owner)
    assert _snapshot() == before


def test_an_owner_can_be_removed_when_another_remains(world: World) -> None:
    second = services.add_member(member=world.a.owner, email="boss@example.test", role=Role.OWNER)

    services.remove_member(member=second, target=world.a.owner)

    assert not Membership.objects.filter(pk=world.a.owner.pk).exists()
    assert User.objects.filter(pk=world.a.owner.user_id).exists()  # the account stays
    entry = AuditEntry.objects.get(action="microcred.member.removed")
    assert entry.actor == second.user
    assert entry.data == {"email": "owner@org-a.test", "role": "owner"}


def test_admins_remove_staff_but_not_owners(world: World) -> None:
    services.add_member(member=world.a.owner, email="boss@example.test", role=Role.OWNER)
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.remove_member(member=world.a.admin, target=world.a.owner)
    assert _snapshot() == before

    services.remove_member(member=world.a.admin, target=world.a.issuer)

    assert not Membership.objects.filter(pk=world.a.issuer.pk).exists()
    with pytest.raises(NotFound):
        queries.get_membership(world.a.issuer.user, "org-a")


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_issuers_and_assessors_cannot_change_or_remove_members(world: World, role: str) -> None:
    before = _snapshot()
    member = world.a.member(role)
    with pytest.raises(PermissionDenied):
        services.change_role(member=member, target=world.a.assessor, role=Role.ISSUER)
    with pytest.raises(PermissionDenied):
        services.remove_member(member=member, target=world.a.assessor)
    assert _snapshot() == before


def test_another_organization_cannot_change_or_remove_our_members(world: World) -> None:
    before = _snapshot()
    with pytest.raises(NotFound):
        services.change_role(member=world.b.owner, target=world.a.issuer, role=Role.ASSESSOR)
    with pytest.raises(NotFound):
        services.change_role(member=world.b.owner, target=world.a.owner, role=Role.ADMIN)
    with pytest.raises(NotFound):
        services.remove_member(member=world.b.owner, target=world.a.issuer)
    assert _snapshot() == before


def test_membership_queries_are_scoped(world: World) -> None:
    assert queries.get_member_for(world.a.admin, world.a.issuer.pk) == world.a.issuer
    with pytest.raises(NotFound):
        queries.get_member_for(world.b.admin, world.a.issuer.pk)
    with pytest.raises(NotFound):
        queries.get_membership(world.stranger, "org-a")
    with pytest.raises(NotFound):
        queries.get_membership(world.a.owner.user, "org-b")
    emails = [m.user.email for m in queries.members_of(world.b.assessor)]
    assert emails == sorted(f"{r}@org-b.test" for r in ("owner", "admin", "issuer", "assessor"))


# -- the capability table --------------------------------------------------------------------

INTENDED = {
    Role.OWNER: set(Capability),
    Role.ADMIN: set(Capability) - {Capability.MANAGE_OWNERS},
    Role.ISSUER: {
        Capability.VIEW,
        Capability.EDIT_ACHIEVEMENTS,
        Capability.ISSUE,
        Capability.AUTHOR_EXAMS,
    },
    Role.ASSESSOR: {Capability.VIEW, Capability.ASSESS},
}


@pytest.mark.parametrize("capability", list(Capability), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_capability_matrix(role: Role, capability: Capability) -> None:
    expected = capability in INTENDED[role]
    assert role_can(role, capability) is expected
    assert role_can(role.value, capability) is expected
    assert Membership(role=role).can(capability) is expected


def test_capability_table_covers_exactly_the_roles() -> None:
    assert set(CAPABILITIES) == set(Role)
    assert len(Capability) == 9


@pytest.mark.parametrize("role", ["", "superuser", "OWNER", "learner"])
def test_unknown_roles_can_do_nothing(role: str) -> None:
    assert not any(role_can(role, capability) for capability in Capability)


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_two_owners_stepping_down_at_once_leave_one_owner(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of the two owners demotes themself at the same moment.

    The owners are counted under lock, so exactly one succeeds and the other is told the
    organization needs an owner; neither waits forever nor dies in a deadlock.
    """
    first = world.a.owner
    second = services.change_role(member=first, target=world.a.admin, role=Role.OWNER)
    both_arrived = threading.Barrier(2)
    lock_owners = services._lock_owners

    def lock_owners_together(organization_id: int) -> list[int]:
        both_arrived.wait(timeout=10)  # both requests are in flight before either counts owners
        return lock_owners(organization_id)

    monkeypatch.setattr(services, "_lock_owners", lock_owners_together)
    outcomes: dict[str, Any] = {}

    def step_down(name: str, owner: Membership) -> None:
        try:
            outcomes[name] = services.change_role(member=owner, target=owner, role=Role.ADMIN)
        except BaseException as exc:  # reported below, not lost in the thread
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=step_down, args=(name, owner))
        for name, owner in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    succeeded = [o for o in outcomes.values() if isinstance(o, Membership)]
    refused = [o for o in outcomes.values() if isinstance(o, DomainError)]
    assert (len(succeeded), len(refused)) == (1, 1), outcomes
    assert "at least one owner" in refused[0].message
    assert world.a.organization.memberships.filter(role=Role.OWNER).count() == 1
