"""The attempt log: append-only events, each hashed over the previous event's hash and its own
canonical JSON (sorted keys, no whitespace, UTF-8, RFC 3339 UTC timestamps), so that changing,
removing, reordering or inserting an event anywhere breaks every later hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microcred.exams.models import Attempt, AttemptEvent

GENESIS = "0" * 64


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_hash(
    previous_hash: str, *, attempt_id: int, sequence: int, kind: str, data: Any, at: datetime
) -> str:
    body = json.dumps(
        {
            "attempt": attempt_id,
            "sequence": sequence,
            "kind": kind,
            "data": data,
            "at": _timestamp(at),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(previous_hash.encode() + body.encode("utf-8")).hexdigest()


def append(attempt: Attempt, kind: str, data: dict[str, Any], *, at: datetime) -> AttemptEvent:
    """Add an event to ``attempt``'s chain (see :func:`extend`)."""
    return extend(attempt, [(kind, data)], at=at)[-1]


def extend(
    attempt: Attempt, events: list[tuple[str, dict[str, Any]]], *, at: datetime
) -> list[AttemptEvent]:
    """Add events to ``attempt``'s chain in one insert. The chain's end is read from the
    attempt row (``log_length``, ``log_head``), which the caller holds locked (every attempt
    service does) or has just created, so sequences cannot race; were it stale anyway, the
    unique (attempt, sequence) constraint refuses the insert rather than fork the chain."""
    sequence, previous = attempt.log_length, attempt.log_head or GENESIS
    rows = []
    for kind, data in events:
        sequence += 1
        # JSON round trip: the stored data is exactly what was hashed (no tuples, no Decimals).
        data = json.loads(json.dumps(data, default=str))
        digest = event_hash(
            previous, attempt_id=attempt.pk, sequence=sequence, kind=kind, data=data, at=at
        )
        rows.append(
            AttemptEvent(
                attempt=attempt,
                sequence=sequence,
                kind=kind,
                data=data,
                at=at,
                previous_hash=previous,
                hash=digest,
            )
        )
        previous = digest
    AttemptEvent.objects.bulk_create(rows)
    Attempt.objects.filter(pk=attempt.pk).update(log_head=previous, log_length=sequence)
    attempt.log_head, attempt.log_length = previous, sequence
    return rows


@dataclass(frozen=True, slots=True)
class ChainProblem:
    attempt_id: int
    sequence: int | None
    message: str


def verify_chain(attempt: Attempt) -> list[ChainProblem]:
    """Recompute an attempt's chain; every mismatch is reported (empty list: intact)."""
    problems = []
    previous = GENESIS
    expected_sequence = 1
    for event in attempt.events.order_by("sequence"):
        if event.sequence != expected_sequence:
            problems.append(
                ChainProblem(attempt.pk, event.sequence, f"event {expected_sequence} is missing")
            )
        if event.previous_hash != previous:
            problems.append(
                ChainProblem(attempt.pk, event.sequence, "does not follow the previous event")
            )
        computed = event_hash(
            event.previous_hash,
            attempt_id=attempt.pk,
            sequence=event.sequence,
            kind=event.kind,
            data=event.data,
            at=event.at,
        )
        if computed != event.hash:
            problems.append(
                ChainProblem(attempt.pk, event.sequence, "content does not match its hash")
            )
        previous = event.hash
        expected_sequence = event.sequence + 1
    if attempt.log_head and attempt.log_head != previous:
        problems.append(ChainProblem(attempt.pk, None, "the chain's head is not the recorded one"))
    if attempt.log_length and attempt.log_length != expected_sequence - 1:
        problems.append(
            ChainProblem(attempt.pk, None, "the chain's length is not the recorded one")
        )
    return problems
