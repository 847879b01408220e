"""Organizations (tenants) and their staff memberships."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django_countries.fields import CountryField

from microcred.core.models import TimestampedModel
from microcred.organizations.roles import Capability, Role, role_can

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #1d4ed8.")
slug_rule = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
)


class Organization(TimestampedModel):
    """An institution that defines and issues credentials. Every tenant-owned row points here."""

    slug = models.CharField(max_length=50, unique=True, validators=[slug_rule])
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=300, blank=True)
    country = CountryField()
    region = models.CharField(max_length=120, blank=True, help_text="State, province or region.")
    website = models.URLField(blank=True)
    contact_email = models.EmailField()
    description = models.TextField(blank=True, max_length=5000)
    logo = models.FileField(upload_to="logos/", blank=True)
    primary_color = models.CharField(max_length=7, default="#1d4ed8", validators=[hex_colour])
    secondary_color = models.CharField(max_length=7, default="#0f172a", validators=[hex_colour])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    """A staff member's role in one organization. Learners are users without memberships."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=[role.value for role in Role]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.organization}"

    def can(self, capability: Capability) -> bool:
        return role_can(self.role, capability)


class SigningKeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"  # no longer signs; still resolvable so old credentials verify
    COMPROMISED = "compromised", "Compromised"


class SigningKey(models.Model):
    """An organization's Ed25519 key pair. The private key is encrypted at rest (core.secretbox).

    Rotation makes a new key active and retires the old one, which stays in the organization's
    DID document. A compromised key keeps its public half listed too, but signatures claiming a
    date at or after ``compromised_at`` are refused by the verifier.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="signing_keys"
    )
    key_id = models.CharField(max_length=64, help_text="Fragment of the verification method URL.")
    public_key_multibase = models.CharField(max_length=64, unique=True)
    private_key_sealed = models.TextField(editable=False)
    status = models.CharField(
        max_length=20, choices=SigningKeyStatus.choices, default=SigningKeyStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    compromised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key_id"], name="signing_key_id_unique"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="active"),
                name="signing_key_one_active",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="compromised") | models.Q(compromised_at__isnull=False),
                name="signing_key_compromise_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} key {self.key_id} ({self.status})"

    def __repr__(self) -> str:
        # Never show the sealed private key, even encrypted, in logs or tracebacks.
        return f"<SigningKey {self.organization_id}/{self.key_id} {self.status}>"
