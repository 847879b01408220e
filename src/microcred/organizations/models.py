"""Organizations (tenants) and their staff memberships."""

from __future__ import annotations

from datetime import datetime

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


class ProofFormat(models.TextChoices):
    """How this organization's credentials are secured (all three verify here)."""

    EDDSA_RDFC_2022 = (
        "eddsa-rdfc-2022",
        "Data Integrity eddsa-rdfc-2022 (Open Badges 3.0 certification)",
    )
    EDDSA_JCS_2022 = "eddsa-jcs-2022", "Data Integrity eddsa-jcs-2022"
    VC_JOSE = "vc-jose", "VC-JOSE JWT (EdDSA)"


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
    proof_format = models.CharField(
        max_length=20,
        choices=ProofFormat.choices,
        default=ProofFormat.EDDSA_RDFC_2022,
        help_text="Applies to credentials issued from now on; issued credentials keep their proof.",
    )
    linkedin_organization_id = models.CharField(
        "LinkedIn Page id",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9]+$", "Enter the numeric id of the LinkedIn Page.")],
        help_text=(
            "The number in your LinkedIn Page's admin address (linkedin.com/company/<id>/admin). "
            "Holders' “Add to LinkedIn” then names the Page instead of typing your name."
        ),
    )
    suspension_enabled = models.BooleanField(
        default=False,
        help_text=(
            "Give new credentials a second status entry so they can be suspended and reinstated. "
            "Open Badges 3.0's JSON schema allows only one status entry; VC 2.0 allows several."
        ),
    )

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


class ApiTokenScope(models.TextChoices):
    ISSUE = "issue", "Issue (sign credentials through the VC-API)"
    READ = "read", "Read"


class ApiToken(models.Model):
    """An organization-scoped secret for machine clients (``Authorization: Bearer mc_…``).

    The secret is shown once, when the token is created; only its SHA-256 is stored. The
    public ``key_id`` (the middle part of ``mc_<key_id>_<secret>``) finds the row without a
    lookup by secret. A revoked or expired token stays listed, for the audit trail.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["organization", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} token {self.name!r}"

    def __repr__(self) -> str:
        # Never show the secret's hash in logs or tracebacks either.
        return f"<ApiToken {self.organization_id}/{self.key_id} {self.name!r}>"

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def is_usable(self, now: datetime) -> bool:
        return not self.is_revoked() and not self.is_expired(now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotentRequest(models.Model):
    """A signing call made with an ``Idempotency-Key``: its request fingerprint and response.

    A retry with the same key and body within the replay window gets the stored response
    instead of a second signature; the same key with another body is a conflict.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="requests")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the canonical body.")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotent_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.token} request {self.key!r}"
