"""People's marks: rubrics, the marks assessors give to essays and projects (blind and double
marking with a rule for disagreement), and the review list a regrade fills."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Rubric(models.Model):
    """Criteria, each with scored levels: ``[{"id", "title", "levels": [{"points", "descriptor"}]}]``.
    Immutable once used by a mark (a changed rubric is a new rubric)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    criteria = models.JSONField()
    pass_points = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Points needed for the work to count as approved (empty: half the maximum).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def max_points(self) -> Decimal:
        return sum(
            (max(Decimal(str(level["points"])) for level in c["levels"]) for c in self.criteria),
            Decimal(0),
        )


class Mark(models.Model):
    """One assessor's mark for one essay or project answer."""

    attempt_item = models.ForeignKey(
        "exams.AttemptItem", on_delete=models.CASCADE, related_name="marks"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_marks"
    )
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.PROTECT)
    scores = models.JSONField(default=dict, blank=True)  # {criterion id: points}
    fraction = models.DecimalField(max_digits=6, decimal_places=5)
    comment = models.TextField(blank=True, max_length=5000)  # shown to the candidate
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt_item", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt_item", "assessor"], name="mark_one_per_assessor"
            ),
            models.CheckConstraint(
                condition=models.Q(fraction__gte=0, fraction__lte=1), name="mark_fraction_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_item}: {self.fraction} by {self.assessor}"


class RegradeReview(models.Model):
    """A regrade changed the result of an attempt whose candidate already holds the credential:
    a person decides (credentials are never revoked automatically)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.ForeignKey("exams.Attempt", on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey(
        "issuance.IssuedCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    old_percent = models.DecimalField(max_digits=6, decimal_places=2)
    new_percent = models.DecimalField(max_digits=6, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.old_percent} → {self.new_percent}"
