"""Issued credentials."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from microcred.issuance import codes


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class VerificationState(models.TextChoices):
    """What a verifier sees, derived from status and dates."""

    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    NOT_YET_VALID = "not_yet_valid", "Not yet valid"


class IssuedCredential(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="issued_credentials"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement", on_delete=models.PROTECT, related_name="issued_credentials"
    )
    achievement_version = models.ForeignKey(
        "achievements.AchievementVersion",
        on_delete=models.PROTECT,
        related_name="issued_credentials",
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    verification_code = models.CharField(max_length=codes.LENGTH, unique=True, editable=False)

    recipient_name = models.CharField(max_length=200)
    recipient_email = models.EmailField(max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credentials",
    )

    issued_at = models.DateTimeField(default=timezone.now)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(
        max_length=20, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.CharField(max_length=500, blank=True)

    # The signed OpenBadgeCredential, fixed at issuance (presentation may change; this never does).
    recipient_salt = models.CharField(max_length=64, blank=True)
    document = models.JSONField(null=True, blank=True, editable=False)
    status_list = models.ForeignKey(
        "issuance.StatusList",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credentials",
    )
    status_index = models.PositiveIntegerField(null=True, blank=True)
    suspension_list = models.ForeignKey(
        "issuance.StatusList",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suspendable_credentials",
    )
    suspension_index = models.PositiveIntegerField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)

    # Issued automatically when the requirements were met: "<achievement>:<user>", unique, so a
    # definition is issued to a candidate automatically at most once, however many events race
    # (and never again after a revocation).
    auto_issue_key = models.CharField(
        max_length=100, null=True, blank=True, unique=True, editable=False
    )
    # What the credential embeds as OB3 results ([{"name", "value", "type"}]) and evidence
    # ([{"id", "name", "narrative"}]).
    # The holder's sharing choices: the public verification page (and the public badge image),
    # and their name on it. Verifying a file of the credential works either way.
    public_page = models.BooleanField(default=True)
    show_name = models.BooleanField(default=True)
    results = models.JSONField(default=list, blank=True, editable=False)
    evidence = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-issued_at"], name="credential_org_issued"),
            models.Index(fields=["recipient_email"], name="credential_recipient_email"),
        ]
        constraints = [
            # A recipient holds one active credential per definition version.
            models.UniqueConstraint(
                fields=["achievement_version", "recipient_email"],
                condition=Q(status="active"),
                name="credential_one_active_per_version",
            ),
            models.CheckConstraint(
                condition=Q(status="active", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="credential_revocation_consistent",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="credential_validity_ordered",
            ),
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credential_status_index_unique"
            ),
            models.UniqueConstraint(
                fields=["suspension_list", "suspension_index"],
                name="credential_suspension_index_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_code} for {self.recipient_name}"

    @property
    def urn(self) -> str:
        return f"urn:uuid:{self.uuid}"

    @property
    def is_suspendable(self) -> bool:
        return self.suspension_list_id is not None

    @property
    def secured_kind(self) -> str:
        """File kind of the secured credential: ``jwt`` (VC-JOSE compact JWS) or ``json``."""
        return "jwt" if isinstance(self.document, str) else "json"

    @property
    def display_code(self) -> str:
        return codes.display(self.verification_code)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.valid_until is not None and self.valid_until <= (now or timezone.now())

    # Wallets flag a credential this close to its end, so the holder can renew it in time.
    EXPIRING_SOON = timedelta(days=60)

    def expires_soon(self, now: datetime | None = None) -> bool:
        """Valid now and ending within :attr:`EXPIRING_SOON`."""
        now = now or timezone.now()
        return (
            self.valid_until is not None
            and self.valid_until - now <= self.EXPIRING_SOON
            and self.verification_state(now) == VerificationState.VALID
        )

    def verification_state(self, now: datetime | None = None) -> VerificationState:
        now = now or timezone.now()
        if self.status == CredentialStatus.REVOKED:
            return VerificationState.REVOKED
        if self.suspended_at is not None:
            return VerificationState.SUSPENDED
        if self.is_expired(now):
            return VerificationState.EXPIRED
        if self.valid_from > now:
            return VerificationState.NOT_YET_VALID
        return VerificationState.VALID


class StatusList(models.Model):
    """One W3C Bitstring Status List of an organization (131,072 entries), and its signed form.

    Bits are flipped under a row lock (``select_for_update``) so two revocations never lose
    each other's update; the list credential is re-signed after every change.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="status_lists"
    )
    purpose = models.CharField(max_length=20, default="revocation")
    number = models.PositiveIntegerField()
    size = models.PositiveIntegerField(default=131_072)
    bits = models.BinaryField()
    # The DID the list is issued as, fixed when it starts: its credentials name the same issuer
    # (verifiers require that), even after the organization's issuing DID changes.
    issuer = models.CharField(max_length=255, blank=True, default="", editable=False)
    document = models.JSONField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "purpose", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "purpose", "number"], name="status_list_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.purpose} list {self.number}"


class ArtifactKind(models.TextChoices):
    CERTIFICATE_PDF = "pdf", "Certificate (PDF/A)"
    BADGE_PNG = "png", "Badge (PNG, baked)"
    BADGE_SVG = "svg", "Badge (SVG, baked)"


class RenderedArtifact(models.Model):
    """A rendered file of one credential for one version of its design (cached in storage; a
    new design version renders anew, the signed credential inside stays the same)."""

    credential = models.ForeignKey(
        IssuedCredential, on_delete=models.CASCADE, related_name="artifacts"
    )
    kind = models.CharField(max_length=10, choices=ArtifactKind.choices)
    design_version = models.PositiveIntegerField()
    file = models.FileField(upload_to="artifacts/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    rendered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "kind", "design_version"], name="artifact_unique_render"
            )
        ]

    def __str__(self) -> str:
        return f"{self.credential} {self.kind} (design {self.design_version})"
