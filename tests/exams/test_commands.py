"""The sweeper and log-verification commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from microcred.exams import items
from microcred.exams.models import Attempt, AttemptState
from microcred.exams.services import attempts
from tests.exams.support import published_exam
from tests.exams.test_attempts import ACCESS


def test_sweepattempts_closes_overdue_attempts(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,), time_limit_minutes=5)
    attempt = attempts.start_attempt(
        candidate=world.learner,
        exam=exam,
        access=ACCESS,
        now=timezone.now() - dt.timedelta(hours=1),
    )
    out = StringIO()
    call_command("sweepattempts", stdout=out)
    assert "closed 1 overdue attempt(s)" in out.getvalue()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED


def test_verifyattemptlogs_reports_a_broken_chain(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    out = StringIO()
    call_command("verifyattemptlogs", stdout=out)
    assert "1 attempt log(s) checked, 0 broken" in out.getvalue()
    # The recorded head no longer matches: events were cut off the end of the chain.
    Attempt.objects.filter(pk=attempt.pk).update(log_head="0" * 64)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verifyattemptlogs", str(attempt.pk), stdout=out)
    assert exit_.value.code == 1
    assert "head: the chain's head is not the recorded one" in out.getvalue()
