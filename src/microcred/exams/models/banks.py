"""Question banks and items. An item's content lives in immutable versions once an attempt has
shown it: editing a used item makes a new version, and attempts keep the version they showed."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from microcred.core.models import TimestampedModel
from microcred.exams import items


class QuestionBank(TimestampedModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="question_banks"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="bank_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ItemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"  # not drawn into exams yet
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"  # kept for old attempts, never drawn again


class Item(TimestampedModel):
    """The stable identity of a question; ``current`` is the version new attempts get."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=20, choices=ItemStatus.choices, default=ItemStatus.DRAFT)
    category = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    current = models.ForeignKey(
        "ItemVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["bank", "id"]

    def __str__(self) -> str:
        return self.current.title if self.current else f"Item {self.pk}"


class ItemVersion(models.Model):
    """One immutable state of an item. ``scoring`` and ``feedback`` never reach a candidate
    before the review policy allows (the candidate payload is an allow-list)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=list(items.KIND_LABELS.items()))
    title = models.CharField(max_length=200)
    stem = models.TextField(max_length=items.MAX_TEXT)  # sanitised HTML
    interaction = models.JSONField(default=dict)
    scoring = models.JSONField(default=dict)
    feedback = models.JSONField(default=dict)
    max_score = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    # [{"name": skill name of the credential definition, "weight": positive number}]
    skills = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_unique"),
            models.CheckConstraint(condition=models.Q(max_score__gte=0), name="item_score_ge_0"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    @property
    def is_manual(self) -> bool:
        return self.kind in items.MANUAL_KINDS
