"""Exams: editable settings and sections, frozen into a version when published (attempts pin
the version they were started on), and per-candidate accommodations."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from microcred.core.models import TimestampedModel


class Disagreement(models.TextChoices):
    """What happens when two assessors' marks differ by more than the exam's threshold."""

    THIRD = "third", "A third assessor decides (the median of the three marks counts)"
    AVERAGE = "average", "The average of the two marks counts"


class ExamStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", "Highest attempt"
    LAST = "last", "Last attempt"


class Navigation(models.TextChoices):
    FREE = "free", "Free (any order, go back)"
    LINEAR = "linear", "Linear (forward only)"


class ReviewPolicy(models.TextChoices):
    """What a candidate sees of a submitted attempt (each level includes the ones above)."""

    NOTHING = "nothing", "Nothing"
    SCORE = "score", "Score and pass/fail"
    RESPONSES = "responses", "Score, own responses and marks per question"
    ANSWERS = "answers", "All of that, the correct answers and feedback"


REVIEW_LEVELS = [choice.value for choice in ReviewPolicy]


class Exam(TimestampedModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="exams"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # candidates' link
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, max_length=10000)
    achievement = models.ForeignKey(
        "achievements.Achievement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exams",
        help_text="The credential definition this exam counts towards.",
    )
    status = models.CharField(max_length=20, choices=ExamStatus.choices, default=ExamStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Settings (copied into the version's config when published).
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    open_at = models.DateTimeField(null=True, blank=True)
    close_at = models.DateTimeField(null=True, blank=True)
    max_attempts = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cooldown_minutes = models.PositiveIntegerField(default=0)
    pass_mark_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    grading_method = models.CharField(
        max_length=10, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    navigation = models.CharField(max_length=10, choices=Navigation.choices, default="free")
    shuffle_items = models.BooleanField(default=True)
    review_after_submit = models.CharField(
        max_length=12, choices=ReviewPolicy.choices, default=ReviewPolicy.SCORE
    )
    review_after_close = models.CharField(
        max_length=12, choices=ReviewPolicy.choices, default=ReviewPolicy.RESPONSES
    )
    access_code_hash = models.CharField(max_length=128, blank=True, editable=False)
    ip_ranges = models.JSONField(default=list, blank=True)  # CIDRs; empty = anywhere
    seb_config_keys = models.JSONField(default=list, blank=True)  # Safe Exam Browser config keys
    # [{"title", "shuffle", "rules": [{"item": id} | {"bank": id, "count": n, "tags": [],
    #   "skills": [], "category": ""}]}]
    sections = models.JSONField(default=list, blank=True)
    # [{"skill": name, "min_items": n}]: every drawn form must cover each skill this often.
    blueprint = models.JSONField(default=list, blank=True)
    # Marking of essays and projects.
    blind_marking = models.BooleanField(
        default=False, help_text="Assessors do not see who wrote the answer."
    )
    double_marking = models.BooleanField(
        default=False, help_text="Two assessors mark every essay and project independently."
    )
    disagreement = models.CharField(
        max_length=10, choices=Disagreement.choices, default=Disagreement.THIRD
    )
    disagreement_points = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="Marks further apart than this many percentage points disagree.",
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(open_at__isnull=True)
                | Q(close_at__isnull=True)
                | Q(open_at__lt=models.F("close_at")),
                name="exam_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark_percent__gte=0, pass_mark_percent__lte=100),
                name="exam_pass_mark_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def published_version(self) -> ExamVersion | None:
        return self.versions.order_by("-number").first()


class ExamVersion(models.Model):
    """The frozen configuration attempts run on: settings, sections and the item versions each
    fixed rule named, as they were when published."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    config = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["exam", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "number"], name="exam_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.exam} (v{self.number})"


class Accommodation(models.Model):
    """Extra time for one candidate: on one exam, or on every exam of the organization (no
    exam). Applies to attempts already in progress too (their deadline is recomputed)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodations"
    )
    exam = models.ForeignKey(
        Exam, null=True, blank=True, on_delete=models.CASCADE, related_name="accommodations"
    )
    time_multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(5))],
    )
    extra_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(24 * 60)])
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "candidate", "exam"],
                condition=Q(exam__isnull=False),
                name="accommodation_one_per_exam",
            ),
            models.UniqueConstraint(
                fields=["organization", "candidate"],
                condition=Q(exam__isnull=True),
                name="accommodation_one_general",
            ),
            models.CheckConstraint(
                condition=Q(time_multiplier__gte=1, time_multiplier__lte=5),
                name="accommodation_multiplier_range",
            ),
        ]

    def __str__(self) -> str:
        return f"×{self.time_multiplier} +{self.extra_minutes} min for {self.candidate}"
