"""Members and roles: add (existing account or invitation), change role, remove, owner rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from microcred.accounts.models import User
from microcred.core.models import AuditEntry
from microcred.organizations.models import Membership
from microcred.organizations.roles import Role
from tests.conftest import World

from .helpers import audit_actions, messages_of, text, url


def role_of(membership: Membership) -> str:
    return Membership.objects.get(pk=membership.pk).role


def test_members_page_lists_only_the_own_organization(world: World, login: Any) -> None:
    response = login(world.a.admin.user).get(url("members", world.a.slug))

    assert response.status_code == 200
    page = text(response)
    for role in ("owner", "admin", "issuer", "assessor"):
        assert f"{role}@org-a.test" in page
        assert f"{role}@org-b.test" not in page
    assert login(world.b.admin.user).get(url("members", world.a.slug)).status_code == 404


def test_add_an_existing_account(
    world: World, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    path = url("members", world.a.slug)

    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.a.admin.user).post(
            path, {"email": " Learner@Example.TEST ", "full_name": "", "role": "issuer"}
        )

    assert response.status_code == 302
    assert response["Location"] == path
    assert messages_of(response) == ["learner@example.test added as Issuer."]
    membership = Membership.objects.get(organization=world.a.organization, user=world.learner)
    assert membership.role == Role.ISSUER
    assert not Membership.objects.filter(organization=world.b.organization, user=world.learner)
    assert mail.outbox == []  # the account exists: no invitation
    entry = AuditEntry.objects.get(action="microcred.member.added")
    assert entry.organization == world.a.organization
    assert entry.actor == world.a.admin.user
    assert entry.data == {
        "email": "learner@example.test",
        "role": "issuer",
        "account_created": False,
    }
    # The new member now reaches A's back office, and still not B's.
    assert login(world.learner).get(url("dashboard", world.a.slug)).status_code == 200
    assert login(world.learner).get(url("dashboard", world.b.slug)).status_code == 404


def test_add_a_new_address_creates_the_account_and_sends_an_invitation(
    world: World, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = login(world.a.owner.user).post(
            url("members", world.a.slug),
            {"email": "New.Person@Example.test", "full_name": " Nora New ", "role": "assessor"},
        )

    assert response.status_code == 302
    assert len(callbacks) == 1
    user = User.objects.get(email="new.person@example.test")
    assert user.full_name == "Nora New"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).organization == world.a.organization
    assert Membership.objects.get(user=user).role == Role.ASSESSOR
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert message.subject == "You have been added to Alpha Academy on microcred"
    assert "Hello Nora New," in message.body
    assert "/accounts/" in message.body
    assert AuditEntry.objects.get(action="microcred.member.added").data["account_created"] is True


def test_invitation_is_only_sent_after_commit(world: World, login: Any) -> None:
    response = login(world.a.owner.user).post(
        url("members", world.a.slug), {"email": "later@example.test", "role": "issuer"}
    )

    assert response.status_code == 302
    assert User.objects.filter(email="later@example.test").exists()
    assert mail.outbox == []  # the test transaction never commits


def test_adding_a_member_twice_is_refused(world: World, login: Any) -> None:
    before = Membership.objects.count()

    response = login(world.a.owner.user).post(
        url("members", world.a.slug), {"email": "ISSUER@org-a.test", "role": "assessor"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["issuer@org-a.test is already a member of this organization."]
    }
    assert "issuer@org-a.test is already a member of this organization." in text(response)
    assert Membership.objects.count() == before
    assert role_of(world.a.issuer) == Role.ISSUER
    assert "microcred.member.added" not in audit_actions(world.a.organization)


def test_a_member_of_the_other_organization_can_be_added(world: World, login: Any) -> None:
    response = login(world.a.owner.user).post(
        url("members", world.a.slug), {"email": "issuer@org-b.test", "role": "assessor"}
    )

    assert response.status_code == 302
    assert role_of(world.b.issuer) == Role.ISSUER
    assert (
        Membership.objects.get(organization=world.a.organization, user=world.b.issuer.user).role
        == Role.ASSESSOR
    )


def test_invalid_address_is_refused(world: World, login: Any) -> None:
    before = User.objects.count()

    response = login(world.a.owner.user).post(
        url("members", world.a.slug), {"email": "not-an-address", "role": "issuer"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert User.objects.count() == before


def test_admin_cannot_add_an_owner(world: World, login: Any) -> None:
    response = login(world.a.admin.user).post(
        url("members", world.a.slug), {"email": "boss@example.test", "role": "owner"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "role": ["Select a valid choice. owner is not one of the available choices."]
    }
    assert not User.objects.filter(email="boss@example.test").exists()


def test_owner_changes_a_role(world: World, login: Any) -> None:
    path = url("member_role", world.a.slug, world.a.issuer.pk)

    response = login(world.a.owner.user).post(path, {f"m{world.a.issuer.pk}-role": "assessor"})

    assert response.status_code == 302
    assert response["Location"] == url("members", world.a.slug)
    assert messages_of(response) == ["issuer@org-a.test is now Assessor."]
    assert role_of(world.a.issuer) == Role.ASSESSOR
    entry = AuditEntry.objects.get(action="microcred.member.role_changed")
    assert entry.organization == world.a.organization
    assert entry.data == {"email": "issuer@org-a.test", "from": "issuer", "to": "assessor"}
    # B's owner can neither change A's member through A's address nor through B's.
    b_owner = login(world.b.owner.user)
    data = {f"m{world.a.issuer.pk}-role": "owner"}
    assert b_owner.post(path, data).status_code == 404
    assert (
        b_owner.post(url("member_role", world.b.slug, world.a.issuer.pk), data).status_code == 404
    )
    assert role_of(world.a.issuer) == Role.ASSESSOR


def test_owner_can_make_another_owner(world: World, login: Any) -> None:
    response = login(world.a.owner.user).post(
        url("member_role", world.a.slug, world.a.admin.pk), {f"m{world.a.admin.pk}-role": "owner"}
    )

    assert response.status_code == 302
    assert role_of(world.a.admin) == Role.OWNER


def test_admin_cannot_grant_owner(world: World, login: Any) -> None:
    response = login(world.a.admin.user).post(
        url("member_role", world.a.slug, world.a.issuer.pk), {f"m{world.a.issuer.pk}-role": "owner"}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Choose one of the listed roles."]
    assert role_of(world.a.issuer) == Role.ISSUER
    assert audit_actions(world.a.organization) == []


def test_admin_cannot_demote_or_remove_an_owner(world: World, login: Any) -> None:
    owner = world.a.owner

    demoted = login(world.a.admin.user).post(
        url("member_role", world.a.slug, owner.pk), {f"m{owner.pk}-role": "issuer"}
    )
    removed = login(world.a.admin.user).post(url("member_remove", world.a.slug, owner.pk))

    assert messages_of(demoted) == ["Your role (Admin) does not allow this action."]
    assert messages_of(removed) == ["Your role (Admin) does not allow this action."]
    assert role_of(owner) == Role.OWNER
    assert audit_actions(world.a.organization) == []


def test_admin_sees_owners_as_owners_without_controls(world: World, login: Any) -> None:
    page = text(login(world.a.admin.user).get(url("members", world.a.slug)))

    # No control offers "owner" to an admin, and the owner's row is not shown as another role.
    assert 'value="owner"' not in page
    assert url("member_role", world.a.slug, world.a.owner.pk) not in page
    assert url("member_remove", world.a.slug, world.a.owner.pk) not in page
    assert url("member_role", world.a.slug, world.a.issuer.pk) in page
    owner_row = page.split("owner@org-a.test", 1)[1].split("</tr>", 1)[0]
    assert "Owner" in owner_row


def test_owner_sees_owner_among_the_choices(world: World, login: Any) -> None:
    page = text(login(world.a.owner.user).get(url("members", world.a.slug)))

    assert 'value="owner"' in page
    assert url("member_role", world.a.slug, world.a.admin.pk) in page


def test_the_last_owner_cannot_be_demoted_or_removed(world: World, login: Any) -> None:
    owner = world.a.owner

    demoted = login(owner.user).post(
        url("member_role", world.a.slug, owner.pk), {f"m{owner.pk}-role": "admin"}
    )
    removed = login(owner.user).post(url("member_remove", world.a.slug, owner.pk))

    assert messages_of(demoted) == [
        "An organization needs at least one owner; make someone else owner first."
    ]
    assert messages_of(removed) == ["The last owner cannot be removed."]
    assert role_of(owner) == Role.OWNER
    assert audit_actions(world.a.organization) == []


def test_an_owner_steps_down_once_there_is_another(world: World, login: Any) -> None:
    owner = world.a.owner
    login(owner.user).post(
        url("member_role", world.a.slug, world.a.admin.pk), {f"m{world.a.admin.pk}-role": "owner"}
    )

    response = login(owner.user).post(
        url("member_role", world.a.slug, owner.pk), {f"m{owner.pk}-role": "admin"}
    )

    assert messages_of(response) == ["owner@org-a.test is now Admin."]
    assert role_of(owner) == Role.ADMIN
    assert role_of(world.a.admin) == Role.OWNER


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_remove_a_member(world: World, login: Any, role: str) -> None:
    response = login(world.a.member(role).user).post(
        url("member_remove", world.a.slug, world.a.assessor.pk)
    )

    assert response.status_code == 302
    assert messages_of(response) == ["assessor@org-a.test removed."]
    assert not Membership.objects.filter(pk=world.a.assessor.pk).exists()
    assert User.objects.filter(email="assessor@org-a.test").exists()
    assert Membership.objects.filter(pk=world.b.assessor.pk).exists()
    entry = AuditEntry.objects.get(action="microcred.member.removed")
    assert entry.organization == world.a.organization
    assert entry.data == {"email": "assessor@org-a.test", "role": "assessor"}
    assert login(world.a.assessor.user).get(url("dashboard", world.a.slug)).status_code == 404


def test_removing_a_member_of_the_other_organization_is_not_found(world: World, login: Any) -> None:
    b_owner = login(world.b.owner.user)

    assert b_owner.post(url("member_remove", world.b.slug, world.a.assessor.pk)).status_code == 404
    assert b_owner.post(url("member_remove", world.a.slug, world.a.assessor.pk)).status_code == 404
    assert Membership.objects.filter(pk=world.a.assessor.pk).exists()


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_issuer_and_assessor_cannot_manage_members(world: World, login: Any, role: str) -> None:
    client = login(world.a.member(role).user)

    assert client.get(url("members", world.a.slug)).status_code == 403
    added = client.post(url("members", world.a.slug), {"email": "x@example.test", "role": "issuer"})
    assert added.status_code == 403
    changed = client.post(
        url("member_role", world.a.slug, world.a.admin.pk),
        {f"m{world.a.admin.pk}-role": "assessor"},
    )
    assert changed.status_code == 403
    assert client.post(url("member_remove", world.a.slug, world.a.admin.pk)).status_code == 403
    assert role_of(world.a.admin) == Role.ADMIN
    assert not User.objects.filter(email="x@example.test").exists()
