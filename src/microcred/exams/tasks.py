"""Background work of the exam engine (thin: load, call a service)."""

from __future__ import annotations

from celery import shared_task

from microcred.exams.models import Attempt


@shared_task
def attempt_graded(attempt_id: int) -> None:
    """An attempt has its final grade: issue what its candidate now qualifies for."""
    from microcred.exams.queries import achievements_counting
    from microcred.issuance.requirements import issue_if_met

    attempt = Attempt.objects.select_related("exam", "candidate").get(pk=attempt_id)
    for achievement in achievements_counting(attempt.exam):
        issue_if_met(candidate=attempt.candidate, achievement=achievement, trigger="attempt_graded")


@shared_task
def sweep_overdue_attempts() -> int:
    """Close attempts past their deadline (run every minute by Celery beat or the command)."""
    from microcred.exams.services.attempts import sweep_overdue

    return sweep_overdue()
