"""What a candidate's browser may see of an attempt: an allow-list, built field by field.

Answer keys, weights, tolerances, patterns, feedback and the items' own choice ids never appear
here; choices carry the attempt's opaque ids. ``review`` adds results only as far as the exam's
review policy allows at that moment. A contract test walks every payload for forbidden keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from microcred.exams import items
from microcred.exams.models import Attempt, AttemptItem, AttemptState, ReviewPolicy
from microcred.exams.models.exams import REVIEW_LEVELS


def _opaque_ids(item: AttemptItem) -> dict[str, str]:
    """``"choices:A"`` (list and the item's own id) → the attempt's opaque id."""
    return {named: opaque for opaque, named in item.opaque.items()}


def _entries(
    back: dict[str, str], item: AttemptItem, key: str, texts: dict[str, str]
) -> list[dict[str, str]]:
    return [{"id": back[f"{key}:{real}"], "text": texts[real]} for real in item.order.get(key, [])]


def _texts(entries: list[dict[str, Any]]) -> dict[str, str]:
    return {entry["id"]: entry["text"] for entry in entries}


def question(item: AttemptItem) -> dict[str, Any]:
    """One question as the candidate sees it (no key, no feedback, opaque ids)."""
    version = item.item_version
    interaction = version.interaction
    back = _opaque_ids(item)
    data: dict[str, Any] = {
        "slot": item.slot,
        "section": item.section,
        "kind": version.kind,
        "stem": version.stem,
        "max_score": str(item.max_score),
        "sequence": item.sequence,
        "flagged": item.flagged,
        "answered": bool(item.response),
        "response": candidate_response(item),
    }
    for key in ("choices", "premises", "responses"):
        if key in interaction:
            data[key] = _entries(back, item, key, _texts(interaction[key]))
    if version.kind == items.NUMERIC:
        data["unit"] = interaction.get("unit", "")
    elif version.kind == items.SHORT_TEXT:
        data["max_length"] = interaction.get("max_length", 200)
    elif version.kind == items.ESSAY:
        data["expected_lines"] = interaction.get("expected_lines", 10)
    elif version.kind == items.FILE:
        data["accept"] = interaction.get("accept", [])
        data["max_mb"] = interaction.get("max_mb", 20)
    return data


def candidate_response(item: AttemptItem) -> dict[str, Any]:
    """The saved answer with the item's ids turned back into the attempt's opaque ids."""
    response = item.response or {}
    back = _opaque_ids(item)
    kind = item.item_version.kind
    if kind == items.SINGLE and "choice" in response:
        return {"choice": back[f"choices:{response['choice']}"]}
    if kind == items.MULTIPLE and "choices" in response:
        return {"choices": [back[f"choices:{c}"] for c in response["choices"]]}
    if kind == items.ORDERING and "order" in response:
        return {"order": [back[f"choices:{c}"] for c in response["order"]]}
    if kind == items.MATCHING and "pairs" in response:
        return {
            "pairs": {
                back[f"premises:{p}"]: back[f"responses:{r}"] for p, r in response["pairs"].items()
            }
        }
    return dict(response)


def load_items(attempt: Attempt) -> list[AttemptItem]:
    """The attempt's questions in order, with their versions (one query)."""
    return list(attempt.items.select_related("item_version").order_by("slot"))


def attempt_payload(
    attempt: Attempt,
    *,
    loaded: list[AttemptItem] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The whole attempt for its page: settings the page needs, the clock, the questions
    (``loaded``: what :func:`load_items` returned, when the caller has it)."""
    now = now or timezone.now()
    if loaded is None:
        loaded = load_items(attempt)
    config = attempt.exam_version.config
    return {
        "attempt": attempt.pk,
        "number": attempt.number,
        "state": attempt.state,
        "title": config["title"],
        "instructions": config.get("instructions", ""),
        "navigation": config.get("navigation", "free"),
        "deadline": attempt.deadline_at.isoformat() if attempt.deadline_at else None,
        "server_now": now.isoformat(),
        "questions": [question(item) for item in loaded],
    }


#: Competence bands shown to candidates (lower bound in percent, label), highest first.
BANDS = ((80.0, "Proficient"), (50.0, "Developing"), (0.0, "Not yet shown"))


def band(percent: float) -> str:
    return next(label for low, label in BANDS if percent >= low)


def review_level(attempt: Attempt, *, now: datetime | None = None) -> str:
    """How much of a submitted attempt its candidate may see now (the exam's review policy)."""
    if attempt.state == AttemptState.IN_PROGRESS:
        return ReviewPolicy.NOTHING
    now = now or timezone.now()
    config = attempt.exam_version.config
    level = config.get("review_after_submit", ReviewPolicy.SCORE)
    close_at = parse_datetime(config["close_at"]) if config.get("close_at") else None
    if close_at is not None and now >= close_at:
        after_close = config.get("review_after_close", ReviewPolicy.RESPONSES)
        level = max(level, after_close, key=REVIEW_LEVELS.index)
    return level


def review(attempt: Attempt, *, now: datetime | None = None) -> dict[str, Any]:
    """A submitted attempt as its candidate may see it now."""
    level = review_level(attempt, now=now)
    rank = REVIEW_LEVELS.index(level)
    data: dict[str, Any] = {
        "attempt": attempt.pk,
        "number": attempt.number,
        "state": attempt.state,
        "title": attempt.exam_version.config["title"],
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "level": level,
    }
    if rank >= REVIEW_LEVELS.index(ReviewPolicy.SCORE):
        data.update(
            {
                "percent": str(attempt.percent) if attempt.percent is not None else None,
                "passed": attempt.passed,
                "competence": [
                    {"skill": skill, "percent": score, "band": band(score)}
                    for skill, score in attempt.skill_scores.items()
                ],
            }
        )
    if rank >= REVIEW_LEVELS.index(ReviewPolicy.RESPONSES):
        from microcred.exams.services.grading import comments_for

        comments = comments_for(attempt)
        data["questions"] = []
        for item in attempt.items.select_related("item_version").order_by("slot"):
            entry = question(item)
            entry["fraction"] = str(item.fraction) if item.fraction is not None else None
            entry["comments"] = comments.get(item.slot, [])
            if rank >= REVIEW_LEVELS.index(ReviewPolicy.ANSWERS):
                entry["solution"] = solution(item)
                entry["feedback"] = item.item_version.feedback.get("general", "")
            data["questions"].append(entry)
    return data


def solution(item: AttemptItem) -> dict[str, Any]:
    """The correct answer in the attempt's opaque ids (only for the ANSWERS review level)."""
    scoring = item.item_version.scoring
    back = _opaque_ids(item)
    kind = item.item_version.kind
    if kind == items.SINGLE:
        best = max(scoring["weights"], key=scoring["weights"].get)
        return {"choice": back[f"choices:{best}"]}
    if kind == items.MULTIPLE:
        if "correct" in scoring:
            return {"choices": [back[f"choices:{c}"] for c in scoring["correct"]]}
        return {"choices": [back[f"choices:{c}"] for c, w in scoring["weights"].items() if w > 0]}
    if kind == items.TRUE_FALSE:
        return {"value": scoring["correct"]}
    if kind == items.ORDERING:
        return {"order": [back[f"choices:{c}"] for c in scoring["order"]]}
    if kind == items.MATCHING:
        return {
            "pairs": {
                back[f"premises:{p}"]: back[f"responses:{r}"] for p, r in scoring["pairs"].items()
            }
        }
    if kind in (items.NUMERIC, items.SHORT_TEXT):
        first = next(a for a in scoring["answers"] if a["fraction"] == 1.0)
        return {"value": first.get("value") or first.get("text") or first.get("min")}
    return {}
