"""Taking an exam: the server's clock and grace, resume, sequence checks, idempotency, access
rules, accommodations, scoring on submission, the sweeper, integrity signals and the log."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from microcred.core.errors import DomainError, NotFound
from microcred.exams import items, log
from microcred.exams.models import Attempt, AttemptEvent, AttemptState, FinishReason
from microcred.exams.services import attempts, authoring
from microcred.exams.services.attempts import Access, AttemptClosedError, StaleAnswerError
from tests.exams.support import RIGHT, answer_all, opaque, published_exam

ACCESS = Access(ip="192.0.2.10", user_agent="pytest", session_key="s1")


def start(world, exam, **kw):
    return attempts.start_attempt(
        candidate=world.learner, exam=exam, access=kw.pop("access", ACCESS), **kw
    )


def first_item(attempt, kind=items.SINGLE):
    return attempt.items.select_related("item_version").get(item_version__kind=kind)


def save(world, attempt, item, answer, *, key="k-0000001", sequence=None, **kw):
    return attempts.save_answer(
        candidate=world.learner,
        attempt_id=attempt.pk,
        slot=item.slot,
        answer=opaque(item, answer),
        sequence=item.sequence if sequence is None else sequence,
        idempotency_key=key,
        **kw,
    )


# -- start and resume ------------------------------------------------------------------------


def test_start_pins_versions_and_resume_returns_the_same_form(world):
    exam = published_exam(world.a.issuer)
    attempt = start(world, exam)
    assert attempt.state == AttemptState.IN_PROGRESS
    assert attempt.items.count() == len(RIGHT)
    assert attempt.max_score == Decimal(len(RIGHT))
    form = list(attempt.items.values_list("slot", "item_version_id", "order", "opaque"))
    again = start(world, exam)
    assert again.pk == attempt.pk
    assert list(again.items.values_list("slot", "item_version_id", "order", "opaque")) == form
    kinds = list(attempt.events.values_list("kind", flat=True))
    # The start leads straight to question 1, so it is shown from the start.
    assert kinds == ["attempt.started", "question.shown", "attempt.resumed"]
    seen = dict(attempt.items.values_list("slot", "first_seen_at"))
    assert seen[1] == attempt.started_at
    assert all(moment is None for slot, moment in seen.items() if slot != 1)
    attempt.refresh_from_db()
    assert attempt.log_length == 3
    assert log.verify_chain(attempt) == []


def test_pinned_choices_stay_in_place_and_opaque_ids_hide_the_real_ones(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    for _ in range(5):
        attempt = start(world, exam)
        item = first_item(attempt)
        assert item.order["choices"][-1] == "N"  # "None of the above" is pinned last
        assert sorted(item.order["choices"]) == ["A", "B", "C", "N"]
        assert all(key.startswith("c") and len(key) == 9 for key in item.opaque)
        assert not set(item.opaque) & {"A", "B", "C", "N"}
        attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)


def test_one_active_attempt_is_a_database_rule(world):
    exam = published_exam(world.a.issuer)
    attempt = start(world, exam)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            organization=attempt.organization,
            exam=exam,
            exam_version=attempt.exam_version,
            candidate=world.learner,
            number=2,
            seed="00" * 16,
            started_at=timezone.now(),
        )


def test_an_unpublished_exam_cannot_be_started(world):
    exam = authoring.create_exam(member=world.a.issuer, title="Draft")
    with pytest.raises(DomainError, match="not open"):
        start(world, exam)


# -- saving answers --------------------------------------------------------------------------


def test_saving_needs_the_current_sequence_and_replays_are_idempotent(world):
    attempt = start(world, published_exam(world.a.issuer))
    item = first_item(attempt)
    saved = save(world, attempt, item, {"choice": "B"}, key="first-save")
    assert saved.sequence == 1
    assert not saved.replayed
    # The same request again (a retry, a double click): the first result, nothing saved twice.
    replay = save(world, attempt, item, {"choice": "B"}, key="first-save", sequence=0)
    assert replay.replayed
    assert replay.sequence == 1
    assert item.steps.count() == 1
    # A page that still shows sequence 0 (second tab, back button) cannot overwrite it.
    with pytest.raises(StaleAnswerError) as stale:
        save(world, attempt, item, {"choice": "C"}, key="stale-tab", sequence=0)
    assert stale.value.current == 1
    save(world, attempt, item, {"choice": "A"}, key="second-save", sequence=1)
    item.refresh_from_db()
    assert item.response == {"choice": "A"}
    assert item.sequence == 2
    kinds = list(attempt.events.values_list("kind", flat=True))
    assert kinds.count("answer.saved") == 2
    assert "answer.rejected_stale" in kinds


def test_answers_must_use_this_attempts_ids(world):
    attempt = start(world, published_exam(world.a.issuer))
    item = first_item(attempt)
    for bad in ({"choice": "A"}, {"choice": "cxxxxxxxx"}, {"choices": "cabc"}):
        with pytest.raises(DomainError, match="does not belong"):
            attempts.save_answer(
                candidate=world.learner,
                attempt_id=attempt.pk,
                slot=item.slot,
                answer=bad,
                sequence=0,
                idempotency_key="bad-answer-" + str(len(str(bad))),
            )
    matching = first_item(attempt, items.MATCHING)
    premise = next(k for k, v in matching.opaque.items() if v.startswith("premises:"))
    with pytest.raises(DomainError, match="does not belong"):
        # A premise id where a response id belongs.
        attempts.save_answer(
            candidate=world.learner,
            attempt_id=attempt.pk,
            slot=matching.slot,
            answer={"pairs": {premise: premise}},
            sequence=0,
            idempotency_key="wrong-list",
        )
    assert not item.steps.exists()


def test_other_candidates_cannot_touch_an_attempt(world):
    attempt = start(world, published_exam(world.a.issuer))
    item = first_item(attempt)
    with pytest.raises(NotFound):
        attempts.save_answer(
            candidate=world.stranger,
            attempt_id=attempt.pk,
            slot=item.slot,
            answer=opaque(item, {"choice": "A"}),
            sequence=0,
            idempotency_key="not-mine-1",
        )
    with pytest.raises(NotFound):
        attempts.submit_attempt(candidate=world.stranger, attempt_id=attempt.pk)


# -- clock, grace, sweeper ---------------------------------------------------------------------


def test_saves_in_the_grace_are_kept_and_later_ones_close_the_attempt_at_its_deadline(world):
    exam = published_exam(world.a.issuer, time_limit_minutes=10)
    begin = timezone.now()
    attempt = start(world, exam, now=begin)
    assert attempt.deadline_at == begin + dt.timedelta(minutes=10)
    item = first_item(attempt)
    late = save(
        world,
        attempt,
        item,
        {"choice": "A"},
        key="in-grace-1",
        now=begin + dt.timedelta(minutes=10, seconds=30),
    )
    assert late.sequence == 1
    assert item.steps.get().late is True
    with pytest.raises(AttemptClosedError, match="Time is up"):
        save(
            world,
            attempt,
            item,
            {"choice": "B"},
            key="too-late-1",
            sequence=1,
            now=begin + dt.timedelta(minutes=11, seconds=1),
        )
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.finish_reason == FinishReason.DEADLINE
    assert first_item(attempt).response == {"choice": "A"}  # the in-grace answer counts
    assert "answer.rejected_late" in attempt.events.values_list("kind", flat=True)


def test_the_sweeper_closes_abandoned_attempts_at_their_deadline(world):
    exam = published_exam(world.a.issuer, time_limit_minutes=5)
    begin = timezone.now() - dt.timedelta(minutes=30)
    attempt = start(world, exam, now=begin)
    answer_all(world.learner, attempt, {items.SINGLE: RIGHT[items.SINGLE]}, now=begin)
    other = attempts.start_attempt(
        candidate=world.stranger, exam=exam, access=ACCESS
    )  # just started: must stay open
    assert attempts.sweep_overdue() == 1
    attempt.refresh_from_db()
    other.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.finish_reason == FinishReason.SWEEPER
    assert attempt.submitted_at == begin + dt.timedelta(minutes=5)
    assert attempt.score == Decimal(1)
    assert other.state == AttemptState.IN_PROGRESS
    assert attempts.sweep_overdue() == 0  # idempotent


def test_resuming_after_the_deadline_closes_the_old_attempt_and_starts_no_new_one_silently(world):
    exam = published_exam(world.a.issuer, time_limit_minutes=5, max_attempts=1)
    attempt = start(world, exam, now=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(DomainError, match="used all 1 attempt"):
        start(world, exam)
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED


# -- submit and score -------------------------------------------------------------------------


def test_all_right_passes_and_submitting_twice_changes_nothing(world):
    exam = published_exam(world.a.issuer, pass_mark_percent=Decimal(80))
    attempt = start(world, exam)
    answer_all(world.learner, attempt, RIGHT)
    done = attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert (done.state, done.percent, done.passed) == (AttemptState.GRADED, Decimal(100), True)
    assert done.finish_reason == FinishReason.CANDIDATE
    assert done.skill_scores == {"Statistics": 100.0}
    again = attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert again.submitted_at == done.submitted_at
    with pytest.raises(AttemptClosedError):
        save(world, attempt, first_item(attempt), {"choice": "B"}, key="after-submit", sequence=1)


def test_partial_answers_score_partially_and_fail_below_the_pass_mark(world):
    exam = published_exam(world.a.issuer, pass_mark_percent=Decimal(80))
    attempt = start(world, exam)
    answers = dict(RIGHT)
    answers[items.SINGLE] = {"choice": "B"}  # 0
    answers[items.MULTIPLE] = {"choices": ["A"]}  # 0.5
    answer_all(world.learner, attempt, answers)
    done = attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert done.score == Decimal("5.5")
    assert done.percent == Decimal("78.57")
    assert done.passed is False
    # Statistics: single (weight 1, 0) and multiple (weight 2, 0.5): 1/3 of the weighted points.
    assert done.skill_scores == {"Statistics": 33.3}


def test_essays_wait_for_grading(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE, items.ESSAY))
    attempt = start(world, exam)
    essay = first_item(attempt, items.ESSAY)
    save(world, attempt, essay, {"text": "A p-value is…"}, key="essay-save")
    done = attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert done.state == AttemptState.GRADING
    assert done.passed is None
    essay.refresh_from_db()
    assert essay.needs_grading
    assert essay.fraction is None


# -- access rules ---------------------------------------------------------------------------


def test_window_attempt_limit_and_cooldown(world):
    now = timezone.now()
    exam = published_exam(
        world.a.issuer, max_attempts=2, cooldown_minutes=60, open_at=now + dt.timedelta(hours=1)
    )
    with pytest.raises(DomainError, match="opens at"):
        start(world, exam, now=now)
    t0 = now + dt.timedelta(hours=2)
    first = start(world, exam, now=t0)
    attempts.submit_attempt(candidate=world.learner, attempt_id=first.pk, now=t0)
    with pytest.raises(DomainError, match="next attempt at"):
        start(world, exam, now=t0 + dt.timedelta(minutes=59))
    second = start(world, exam, now=t0 + dt.timedelta(minutes=61))
    assert second.number == 2
    attempts.submit_attempt(candidate=world.learner, attempt_id=second.pk, now=t0)
    with pytest.raises(DomainError, match="used all 2 attempts"):
        start(world, exam, now=t0 + dt.timedelta(days=1))


def test_closed_exams_cannot_be_started(world):
    now = timezone.now()
    exam = published_exam(
        world.a.issuer, open_at=now - dt.timedelta(days=2), close_at=now - dt.timedelta(days=1)
    )
    with pytest.raises(DomainError, match="closed"):
        start(world, exam)


def test_access_code_ip_ranges_and_safe_exam_browser(world):
    exam = published_exam(world.a.issuer, ip_ranges="198.51.100.0/24")
    authoring.set_access_code(member=world.a.issuer, exam=exam, code="s3cret-code")
    authoring.update_exam(member=world.a.issuer, exam=exam, seb_config_keys=["ab" * 32])
    authoring.publish_exam(member=world.a.issuer, exam=exam)
    url = "https://exams.example.test/exams/1/start"
    seb = hashlib.sha256((url + "ab" * 32).encode()).hexdigest()
    good = Access(ip="198.51.100.7", access_code="s3cret-code", url=url, seb_config_key_hash=seb)
    for bad, message in (
        (
            Access(ip="192.0.2.1", access_code="s3cret-code", url=url, seb_config_key_hash=seb),
            "network",
        ),
        (
            Access(ip="198.51.100.7", access_code="wrong", url=url, seb_config_key_hash=seb),
            "access code",
        ),
        (
            Access(
                ip="198.51.100.7", access_code="s3cret-code", url=url, seb_config_key_hash="00" * 32
            ),
            "Safe Exam Browser",
        ),
    ):
        with pytest.raises(DomainError, match=message):
            start(world, exam, access=bad)
    assert not Attempt.objects.exists()
    assert start(world, exam, access=good).state == AttemptState.IN_PROGRESS


# -- accommodations ---------------------------------------------------------------------------


def test_accommodations_extend_new_and_running_attempts_and_the_window(world):
    now = timezone.now()
    exam = published_exam(
        world.a.issuer, time_limit_minutes=60, close_at=now + dt.timedelta(minutes=30)
    )
    attempt = start(world, exam, now=now)
    assert attempt.deadline_at == now + dt.timedelta(minutes=30)  # the window ends first
    authoring.grant_accommodation(
        member=world.a.issuer,
        candidate_email=world.learner.email,
        exam=exam,
        time_multiplier="1.5",
        extra_minutes=10,
    )
    attempt.refresh_from_db()
    # 60 × 1.5 + 10 = 100 minutes; the window is extended by the same 40 minutes.
    assert attempt.deadline_at == now + dt.timedelta(minutes=70)
    assert "attempt.rescheduled" in attempt.events.values_list("kind", flat=True)
    with pytest.raises(DomainError, match="from 1 to 5"):
        authoring.grant_accommodation(
            member=world.a.issuer, candidate_email=world.learner.email, time_multiplier="0.5"
        )


# -- navigation, signals, log -----------------------------------------------------------------


def test_linear_navigation_makes_earlier_answers_final(world):
    exam = published_exam(world.a.issuer, navigation="linear", shuffle_items=False)
    attempt = start(world, exam)
    first, second = attempt.items.order_by("slot")[:2]
    attempts.mark_seen(candidate=world.learner, attempt_id=attempt.pk, slot=first.slot)
    attempts.mark_seen(candidate=world.learner, attempt_id=attempt.pk, slot=second.slot)
    first = attempt.items.select_related("item_version").get(slot=first.slot)
    with pytest.raises(DomainError, match="forward only"):
        save(world, attempt, first, RIGHT[first.item_version.kind], key="going-back")


def test_integrity_signals_flag_for_review_and_never_change_scores(world):
    attempt = start(world, published_exam(world.a.issuer))
    attempts.record_signal(candidate=world.learner, attempt_id=attempt.pk, kind="tab_hidden")
    with pytest.raises(DomainError, match="Unknown signal"):
        attempts.record_signal(candidate=world.learner, attempt_id=attempt.pk, kind="hack")
    # Another network and another browser session are noticed by the server itself.
    start(world, attempt.exam, access=Access(ip="203.0.113.5", session_key="s2"))
    attempt.refresh_from_db()
    assert attempt.flagged
    kinds = set(attempt.events.values_list("kind", flat=True))
    assert {"integrity.tab_hidden", "integrity.ip_changed", "integrity.second_session"} <= kinds
    answer_all(world.learner, attempt, RIGHT)
    done = attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert done.passed is True


def test_the_attempt_log_is_a_verifiable_append_only_chain(world):
    attempt = start(world, published_exam(world.a.issuer))
    answer_all(world.learner, attempt, RIGHT)
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert log.verify_chain(attempt) == []
    event = attempt.events.order_by("sequence")[2]
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        AttemptEvent.objects.filter(pk=event.pk).update(data={"forged": True})
    with pytest.raises(ValueError, match="append-only"):
        AttemptEvent.objects.filter(pk=event.pk).delete()
    # The database refuses too (raw SQL, as a script with the app's credentials could send).
    statements = ["UPDATE exams_attemptevent SET kind = 'forged' WHERE id = %s"]
    if connection.vendor == "postgresql":
        statements.append("DELETE FROM exams_attemptevent WHERE id = %s")
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement, [event.pk])
    assert AttemptEvent.objects.get(pk=event.pk).kind == event.kind
    # What someone with the database owner's rights could still do (drop the trigger, edit or
    # delete rows) is found by verifying the chain.
    last = attempt.events.order_by("sequence").last()
    tampered = {  # what was done → (statement, parameters, first problem's event, its message)
        "changed": (
            "UPDATE exams_attemptevent SET data = %s WHERE id = %s",
            ['{"forged": 1}', event.pk],
            event.sequence,
            "content does not match its hash",
        ),
        "removed": (
            "DELETE FROM exams_attemptevent WHERE id = %s",
            [event.pk],
            event.sequence + 1,
            f"event {event.sequence} is missing",
        ),
        "last removed": (
            "DELETE FROM exams_attemptevent WHERE id = %s",
            [last.pk],
            None,
            "the chain's head is not the recorded one",
        ),
    }
    for what, (statement, params, sequence, message) in tampered.items():
        problems = _tampered(attempt, statement, params)
        assert (problems[0].sequence, problems[0].message) == (sequence, message), what
    assert log.verify_chain(attempt) == []  # each tampering was rolled back


class _RolledBackError(Exception):
    pass


def _tampered(attempt, statement, params):
    """The problems verify_chain finds after ``statement`` ran with the append-only trigger
    dropped, inside a transaction that is then rolled back."""
    drop = {
        "sqlite": "DROP TRIGGER exams_attemptevent_no_update",
        "postgresql": "DROP TRIGGER exams_attemptevent_append_only ON exams_attemptevent",
    }[connection.vendor]
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(drop)
                cursor.execute(statement, params)
            problems = log.verify_chain(Attempt.objects.get(pk=attempt.pk))
            raise _RolledBackError
    except _RolledBackError:
        return problems


def test_the_log_length_migration_backfills_attempts_logged_before_it(world):
    backfill = importlib.import_module("microcred.exams.migrations.0004_attempt_log_length")
    attempt = start(world, published_exam(world.a.issuer))
    answer_all(world.learner, attempt, RIGHT)
    attempt.refresh_from_db()
    length = attempt.log_length
    assert length == attempt.events.count() > 2
    fresh = start(world, published_exam(world.a.issuer, title="Another"))
    Attempt.objects.update(log_length=0)  # as the column's default left them
    backfill.backfill(django_apps, None)
    lengths = dict(Attempt.objects.values_list("pk", "log_length"))
    assert lengths == {attempt.pk: length, fresh.pk: 2}
    attempt.refresh_from_db()
    assert log.verify_chain(attempt) == []
