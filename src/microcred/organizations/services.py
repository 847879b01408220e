"""Organization and membership changes. Each writes an audit entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import validate_email
from django.db import transaction

from microcred.accounts.models import User, normalize_email
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.organizations import keys
from microcred.organizations.models import Membership, Organization
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability, Role

PROFILE_FIELDS = (
    "name",
    "legal_name",
    "country",
    "region",
    "website",
    "contact_email",
    "description",
    "primary_color",
    "secondary_color",
    "proof_format",
    "suspension_enabled",
    "linkedin_organization_id",
)


def _full_clean(organization: Organization) -> None:
    """Model validation as a DomainError naming the first invalid field (slug, colours…)."""
    try:
        organization.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(
            f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}", field=field
        ) from None


def _locked_member(member: Membership, pk: int) -> Membership:
    try:
        return Membership.objects.select_for_update().get(
            pk=pk, organization_id=member.organization_id
        )
    except Membership.DoesNotExist:
        raise NotFound("No such member.") from None


@transaction.atomic
def create_organization(*, owner: User, actor: User | None = None, **fields: Any) -> Organization:
    """Create a tenant with ``owner`` as its first owner."""
    slug = fields.get("slug", "")
    if Organization.objects.filter(slug=slug).exists():
        raise DomainError(f"The address name “{slug}” is already taken.", field="slug")
    organization = Organization(**fields)
    _full_clean(organization)
    organization.save()
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    keys.active_key(organization)
    log_action(
        "microcred.organization.created",
        actor=actor or owner,
        organization=organization,
        target=organization,
        data={"name": organization.name, "owner": owner.email},
    )
    return organization


@transaction.atomic
def update_organization(
    *, member: Membership, logo: File | None = None, remove_logo: bool = False, **fields: Any
) -> Organization:
    """Update profile and branding. ``logo`` must already be validated (core.uploads)."""
    require(member, Capability.MANAGE_ORGANIZATION)
    organization = Organization.objects.select_for_update().get(pk=member.organization_id)
    changed = {}
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(f"not a profile field: {name}")
        if getattr(organization, name) != value:
            changed[name] = str(value)
            setattr(organization, name, value)
    if remove_logo and organization.logo:
        organization.logo = ""
        changed["logo"] = "removed"
    if logo is not None:
        organization.logo.save(logo.name or "logo", logo, save=False)
        changed["logo"] = "replaced"
    _full_clean(organization)
    organization.save()
    if changed:
        log_action(
            "microcred.organization.updated",
            actor=member.user,
            organization=organization,
            target=organization,
            data={"changed": sorted(changed)},
        )
    return organization


def _check_role_change(member: Membership, role: str) -> None:
    if role not in Role.values:
        raise DomainError(f"Unknown role “{role}”.", field="role")
    if role == Role.OWNER:
        require(member, Capability.MANAGE_OWNERS)


@transaction.atomic
def add_member(*, member: Membership, email: str, role: str, full_name: str = "") -> Membership:
    """Add a staff member by e-mail, creating the account (without password) if needed.

    A new account sets its password through the password-reset link it is sent.
    """
    require(member, Capability.MANAGE_MEMBERS)
    _check_role_change(member, role)
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid e-mail address.", field="email") from None
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email=email, full_name=full_name.strip())
    if Membership.objects.filter(organization_id=member.organization_id, user=user).exists():
        raise DomainError(f"{email} is already a member of this organization.", field="email")
    added = Membership.objects.create(organization_id=member.organization_id, user=user, role=role)
    log_action(
        "microcred.member.added",
        actor=member.user,
        organization=member.organization,
        target=added,
        data={"email": email, "role": role, "account_created": created},
    )
    if created:
        from microcred.accounts.services import send_invitation

        transaction.on_commit(
            lambda: send_invitation(user_id=user.pk, organization_id=member.organization_id)
        )
    return added


def _lock_owners(organization_id: int) -> list[int]:
    """Lock the organization's owner memberships (in primary-key order) and return their ids.

    Role changes and removals take these locks before the target's own row, so two of them
    always queue in the same order: taking the target first lets two owners who step down at
    once deadlock. ``order_by("pk")`` also keeps the default ordering's joins (organization,
    user) out of ``FOR UPDATE``, which would lock those rows too.
    """
    return list(
        Membership.objects.select_for_update()
        .filter(organization_id=organization_id, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_role(*, member: Membership, target: Membership, role: str) -> Membership:
    require(member, Capability.MANAGE_MEMBERS)
    _check_role_change(member, role)
    owners = _lock_owners(member.organization_id)
    target = _locked_member(member, target.pk)
    if target.role == Role.OWNER and role != Role.OWNER:
        require(member, Capability.MANAGE_OWNERS)
        if owners == [target.pk]:
            raise DomainError(
                "An organization needs at least one owner; make someone else owner first."
            )
    if target.role == role:
        return target
    previous = target.role
    target.role = role
    target.save(update_fields=["role", "updated_at"])
    log_action(
        "microcred.member.role_changed",
        actor=member.user,
        organization=member.organization,
        target=target,
        data={"email": target.user.email, "from": previous, "to": role},
    )
    return target


@transaction.atomic
def remove_member(*, member: Membership, target: Membership) -> None:
    require(member, Capability.MANAGE_MEMBERS)
    owners = _lock_owners(member.organization_id)
    target = _locked_member(member, target.pk)
    if target.role == Role.OWNER:
        require(member, Capability.MANAGE_OWNERS)
        if owners == [target.pk]:
            raise DomainError("The last owner cannot be removed.")
    log_action(
        "microcred.member.removed",
        actor=member.user,
        organization=member.organization,
        target=target,
        data={"email": target.user.email, "role": target.role},
    )
    target.delete()
