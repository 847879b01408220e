"""Attempts: the server owns the clock (``deadline_at``), each attempt pins the item versions
and choice order it showed, answers are append-only steps with a per-item sequence check and
idempotency keys, and every event goes to a hash-chained, append-only log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    GRADING = "grading", "Waiting for grading"  # submitted; essays or projects to mark
    GRADED = "graded", "Graded"


class FinishReason(models.TextChoices):
    CANDIDATE = "candidate", "Submitted by the candidate"
    DEADLINE = "deadline", "Submitted at the deadline"  # late save or submit, server closed it
    SWEEPER = "sweeper", "Closed by the server after the deadline"


class Attempt(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    exam = models.ForeignKey("exams.Exam", on_delete=models.PROTECT, related_name="attempts")
    exam_version = models.ForeignKey(
        "exams.ExamVersion", on_delete=models.PROTECT, related_name="attempts"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_attempts"
    )
    number = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=20, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS
    )
    seed = models.CharField(max_length=64, editable=False)  # draws, shuffles and opaque ids
    started_at = models.DateTimeField()
    deadline_at = models.DateTimeField(null=True, blank=True)  # None: untimed, no window end
    submitted_at = models.DateTimeField(null=True, blank=True)
    finish_reason = models.CharField(max_length=20, choices=FinishReason.choices, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    session_key = models.CharField(max_length=64, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=3, default=0)
    percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True)
    skill_scores = models.JSONField(default=dict, blank=True)  # {skill: percent}
    flagged = models.BooleanField(default=False)  # integrity signals for an assessor to review
    log_head = models.CharField(max_length=64, blank=True)  # hash of the last log event
    log_length = models.PositiveIntegerField(default=0)  # sequence of the last log event

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "candidate"],
                condition=Q(state="in_progress"),
                name="attempt_one_active",
            ),
            models.UniqueConstraint(
                fields=["exam", "candidate", "number"], name="attempt_number_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline_at"],
                condition=Q(state="in_progress"),
                name="attempt_open_deadline",
            )
        ]

    def __str__(self) -> str:
        return f"{self.exam} attempt {self.number} by {self.candidate}"


class AttemptItem(models.Model):
    """One question of one attempt: the pinned version, the order shown, the opaque ids the
    candidate's page uses, the latest answer and its automatic and manual marks."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    slot = models.PositiveSmallIntegerField()  # 1-based position in the attempt
    section = models.PositiveSmallIntegerField(default=0)
    item_version = models.ForeignKey(
        "exams.ItemVersion", on_delete=models.PROTECT, related_name="attempt_items"
    )
    # Display order of choices / premises / responses, as real ids.
    order = models.JSONField(default=dict, blank=True)
    # {opaque id: real id}: the only ids the candidate's browser sees.
    opaque = models.JSONField(default=dict, blank=True)
    max_score = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(default=dict, blank=True)  # latest answer, real ids
    sequence = models.PositiveIntegerField(default=0)  # saved steps so far
    flagged = models.BooleanField(default=False)  # the candidate's "review later" flag
    first_seen_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    fraction = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)
    needs_grading = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "slot"], name="attempt_item_slot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt} question {self.slot}"


class ResponseStep(models.Model):
    """An answer as saved (append-only). ``(attempt, idempotency_key)`` is unique, so a retried
    request finds its first result instead of saving twice."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="steps")
    attempt_item = models.ForeignKey(AttemptItem, on_delete=models.CASCADE, related_name="steps")
    sequence = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=64)
    payload = models.JSONField()
    saved_at = models.DateTimeField()
    late = models.BooleanField(default=False)  # inside the network grace after the deadline

    class Meta:
        ordering = ["attempt_item", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt_item", "sequence"], name="response_step_sequence_unique"
            ),
            models.UniqueConstraint(
                fields=["attempt", "idempotency_key"], name="response_step_idempotent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_item} step {self.sequence}"


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("attempt events are append-only")

    def delete(self):  # type: ignore[no-untyped-def]
        raise ValueError("attempt events are append-only")


class AttemptEvent(models.Model):
    """Append-only, hash-chained log of one attempt: ``hash = SHA-256(previous hash ‖ canonical
    JSON of the event)``, so a changed, removed or inserted event breaks the chain."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=60)
    data = models.JSONField(default=dict)
    at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["attempt", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "sequence"], name="attempt_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.sequence} {self.kind}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("attempt events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("attempt events are append-only")


class AttemptUpload(models.Model):
    """A file a candidate handed in for a file/project question. Private: served only to the
    candidate and to the organization's assessors."""

    attempt_item = models.ForeignKey(AttemptItem, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to="submissions/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt_item", "uploaded_at"]

    def __str__(self) -> str:
        return self.name
