"""What a holder keeps in the wallet besides credentials issued here: credentials imported from
other issuers (Open Badges 3.0 verified on import, Open Badges 2.0 hosted assertions)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ImportKind(models.TextChoices):
    OB3 = "ob3", "Open Badges 3.0"
    OB2_HOSTED = "ob2_hosted", "Open Badges 2.0 (hosted)"


class ImportSource(models.TextChoices):
    JSON = "json", "JSON file"
    JWT = "jwt", "JWT (VC-JOSE) file"
    PNG = "png", "Baked PNG badge"
    SVG = "svg", "Baked SVG badge"
    PDF = "pdf", "PDF certificate"
    URL = "url", "Address (URL)"


class ImportVerdict(models.TextChoices):
    """The verification pipeline's verdicts (``vc.verify.Verdict``); "invalid" only after a
    re-verification, since an invalid credential is never imported."""

    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    NOT_YET_VALID = "not_yet_valid", "Not yet valid"
    UNKNOWN = "unknown", "Status unknown"
    INVALID = "invalid", "Not valid"


class ImportedCredential(models.Model):
    """A credential from another issuer, as the holder handed it to us. ``content`` is kept
    verbatim (exported byte for byte); every other field is read from it for listing."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_credentials"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    source_format = models.CharField(max_length=8, choices=ImportSource.choices)
    # The uploaded file's name, the entry's path inside an uploaded archive, or the URL.
    source_name = models.CharField(max_length=500, blank=True)
    content = models.TextField(editable=False)
    # SHA-256 of the canonical JSON (RFC 8785) of the credential, or of a compact JWS's text:
    # the same credential as a JSON file and as a baked badge has the same digest.
    content_sha256 = models.CharField(max_length=64, editable=False)
    credential_id = models.CharField(max_length=500, blank=True)
    issuer_id = models.CharField(max_length=500)
    issuer_name = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=500, blank=True)  # as the credential states it
    verdict = models.CharField(max_length=16, choices=ImportVerdict.choices)
    checks = models.JSONField(default=list)  # [{"name", "label", "outcome", "message"}]
    verified_at = models.DateTimeField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["issuer_name", "-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "content_sha256"], name="wallet_import_once_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.issuer_name or self.issuer_id})"

    @property
    def is_cryptographically_verified(self) -> bool:
        return self.kind == ImportKind.OB3

    @property
    def label(self) -> str:
        """How the wallet labels the import: what kind of trust it carries."""
        if self.kind == ImportKind.OB3:
            return (
                "Open Badges 3.0 — verified"
                if self.verdict != ImportVerdict.INVALID
                else ("Open Badges 3.0 — failed verification")
            )
        return "Open Badges 2.0 — not cryptographically verified"

    @property
    def issued_here(self) -> bool:
        """Whether verification found the issuer to be an organization of this installation."""
        return any(
            check.get("name") == "known_issuer" and check.get("outcome") == "passed"
            for check in self.checks
        )

    @property
    def issuer_label(self) -> str:
        return self.issuer_name or self.issuer_id

    @property
    def file_extension(self) -> str:
        return "jwt" if not self.content.lstrip().startswith("{") else "json"
