"""Credential definitions (the OB3 "Achievement"), their versions, skills and requirements.

An ``Achievement`` is the stable identity; its content lives in ``AchievementVersion`` rows.
At most one version is a draft and at most one is published at any time; issued
credentials point at the exact version they were issued against.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from microcred.achievements.eu import EQF_LEVELS, Integration, ParticipationForm, Supervision
from microcred.core.models import TimestampedModel


class AchievementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class Achievement(TimestampedModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="achievements"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=20, choices=AchievementStatus.choices, default=AchievementStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        version = self.latest_version
        return version.title if version else f"Achievement {self.uuid}"

    # These read ``versions.all()`` so that a prefetch (queries.achievements_for) serves them.
    def _versions(self) -> list[AchievementVersion]:
        return sorted(self.versions.all(), key=lambda version: -version.number)

    @property
    def latest_version(self) -> AchievementVersion | None:
        """The draft if one is open, else the newest version (for titles in lists)."""
        versions = self._versions()
        return versions[0] if versions else None

    def published_version(self) -> AchievementVersion | None:
        return next((v for v in self._versions() if v.state == VersionState.PUBLISHED), None)

    def draft_version(self) -> AchievementVersion | None:
        return next((v for v in self._versions() if v.state == VersionState.DRAFT), None)

    def can_issue(self) -> bool:
        return self.status == AchievementStatus.PUBLISHED


class AchievementVersion(TimestampedModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="achievement_versions"
    )
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=VersionState.choices, default=VersionState.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # What the credential is.
    title = models.CharField(max_length=200)
    short_description = models.CharField(max_length=500, blank=True)
    scope = models.TextField("scope (what the holder can do)", blank=True, max_length=5000)
    criteria = models.TextField("criteria narrative", blank=True, max_length=10000)
    image = models.FileField(upload_to="achievements/", blank=True)
    tags = models.JSONField(default=list, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text="Leave empty if the credential never expires.",
    )

    # EU standard elements, mandatory (Annex I part 1).
    awarding_bodies = models.JSONField(default=list, blank=True)
    issuer_country = CountryField(blank=True)
    issuer_region = models.CharField(max_length=120, blank=True)
    learning_outcomes = models.JSONField(default=list, blank=True)
    workload_ects = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    workload_hours = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    eqf_level = models.PositiveSmallIntegerField(null=True, blank=True, choices=EQF_LEVELS)
    nqf_level = models.CharField(
        "national qualifications framework level", max_length=120, blank=True
    )
    assessment_type = models.CharField(max_length=500, blank=True)
    participation_form = models.CharField(
        max_length=20, choices=ParticipationForm.choices, blank=True
    )
    quality_assurance = models.CharField(max_length=500, blank=True)

    # EU standard elements, optional (Annex I part 2).
    prerequisites = models.TextField(blank=True, max_length=2000)
    supervision = models.CharField(max_length=30, choices=Supervision.choices, blank=True)
    grade = models.CharField(max_length=200, blank=True)
    integration = models.CharField(max_length=20, choices=Integration.choices, blank=True)
    integration_details = models.CharField(max_length=500, blank=True)
    further_information = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["achievement", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["achievement", "number"], name="achievement_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["achievement"], condition=Q(state="draft"), name="achievement_one_draft"
            ),
            models.UniqueConstraint(
                fields=["achievement"],
                condition=Q(state="published"),
                name="achievement_one_published",
            ),
            models.CheckConstraint(
                condition=Q(eqf_level__isnull=True) | Q(eqf_level__gte=1, eqf_level__lte=8),
                name="achievement_version_eqf_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    @property
    def is_editable(self) -> bool:
        return self.state == VersionState.DRAFT


class Skill(models.Model):
    """A skill the credential attests, optionally aligned to a framework entry (ESCO, O*NET…)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(AchievementVersion, on_delete=models.CASCADE, related_name="skills")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    framework_name = models.CharField(max_length=120, blank=True)
    framework_url = models.URLField("framework entry URL", blank=True, max_length=500)
    code = models.CharField("framework code", max_length=120, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RequirementKind(models.TextChoices):
    EXAM_SCORE = "exam_score", "Minimum exam score"
    EVIDENCE = "evidence", "Approved project or evidence"
    CREDENTIAL_HELD = "credential_held", "Prerequisite credential held"


class Requirement(models.Model):
    """One condition for earning the credential. Evaluated by the issuance engine."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        AchievementVersion, on_delete=models.CASCADE, related_name="requirements"
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=RequirementKind.choices)
    exam_name = models.CharField(max_length=200, blank=True)
    min_score_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    description = models.CharField(max_length=500, blank=True)
    prerequisite = models.ForeignKey(
        Achievement, null=True, blank=True, on_delete=models.PROTECT, related_name="required_by"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="exam_score")
                | (Q(min_score_percent__gte=0, min_score_percent__lte=100) & ~Q(exam_name="")),
                name="requirement_exam_score_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credential_held") | Q(prerequisite__isnull=False),
                name="requirement_prerequisite_set",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RequirementKind.EXAM_SCORE:
            return f"At least {self.min_score_percent.normalize():f} % in “{self.exam_name}”"
        if self.kind == RequirementKind.CREDENTIAL_HELD:
            return f"Holds “{self.prerequisite}”"
        return f"Approved: {self.description}"


class CertificateLayout(models.TextChoices):
    CLASSIC = "classic", "Classic — centred, framed"
    MODERN = "modern", "Modern — colour band with the QR code"
    MINIMAL = "minimal", "Minimal — white with one accent rule"
    CUSTOM = "custom", "Custom SVG template"


class BadgeLayout(models.TextChoices):
    SEAL = "seal", "Seal — round medal"
    RIBBON = "ribbon", "Ribbon — shield with a ribbon"
    CUSTOM = "custom", "Custom SVG template"


class Paper(models.TextChoices):
    A4 = "a4", "A4 landscape"
    LETTER = "us-letter", "US Letter landscape"


class DesignFont(models.TextChoices):
    SANS = "Noto Sans", "Sans serif (Noto Sans)"
    SERIF = "Noto Serif", "Serif (Noto Serif)"


class Design(TimestampedModel):
    """How a credential definition's certificate and badge look. Built from the organization's
    branding (logo; colours unless set here). Every change bumps ``version``: artifacts are
    cached per version, and credentials already issued are re-rendered (their signed content
    never changes, only its presentation)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    achievement = models.OneToOneField(Achievement, on_delete=models.CASCADE, related_name="design")
    version = models.PositiveIntegerField(default=1)
    certificate_layout = models.CharField(
        max_length=20, choices=CertificateLayout.choices, default=CertificateLayout.CLASSIC
    )
    badge_layout = models.CharField(
        max_length=20, choices=BadgeLayout.choices, default=BadgeLayout.SEAL
    )
    paper = models.CharField(max_length=20, choices=Paper.choices, default=Paper.A4)
    font = models.CharField(max_length=40, choices=DesignFont.choices, default=DesignFont.SANS)
    primary_color = models.CharField(
        max_length=7, blank=True, help_text="Empty: the organization's primary colour."
    )
    accent_color = models.CharField(
        max_length=7, blank=True, help_text="Empty: the organization's secondary colour."
    )
    custom_certificate = models.FileField(upload_to="designs/", blank=True)
    custom_badge = models.FileField(upload_to="designs/", blank=True)

    def __str__(self) -> str:
        return f"Design of {self.achievement} (version {self.version})"


class Signatory(models.Model):
    """A person who signs the certificates of a design (name, title, signature image)."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="signatories")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=160, blank=True)
    signature = models.FileField(upload_to="signatures/", blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
