"""The canonical item model: item kinds, their authoring data, scoring, and the candidate view.

Framework-free (no Django): importers, the exam services, the API and the tests share it.

An item version is three JSON parts plus a maximum score:

- ``interaction`` — what a candidate may see: the choices, premises, unit … (no answer key);
- ``scoring`` — the answer key and the partial-credit rule; never leaves the server before the
  review policy allows;
- ``feedback`` — per choice / general feedback, released only by the review policy.

``validate_item`` checks authoring data and returns a cleaned copy (or raises
:class:`ItemError` with a precise message); ``validate_response`` checks a candidate's answer
against the interaction; ``score`` gives the fraction of the maximum score (0‥1), or None for
kinds graded by people (essay, file).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Final

SINGLE: Final = "single"  # one choice
MULTIPLE: Final = "multiple"  # multiple response
TRUE_FALSE: Final = "true_false"
NUMERIC: Final = "numeric"
SHORT_TEXT: Final = "short_text"
ORDERING: Final = "ordering"
MATCHING: Final = "matching"
ESSAY: Final = "essay"
FILE: Final = "file"  # file / project submission

KINDS: Final = (SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, SHORT_TEXT, ORDERING, MATCHING, ESSAY, FILE)
MANUAL_KINDS: Final = frozenset({ESSAY, FILE})
KIND_LABELS: Final = {
    SINGLE: "Single choice",
    MULTIPLE: "Multiple response",
    TRUE_FALSE: "True / false",
    NUMERIC: "Numeric",
    SHORT_TEXT: "Short text",
    ORDERING: "Ordering",
    MATCHING: "Matching",
    ESSAY: "Essay",
    FILE: "File / project submission",
}

# Partial-credit rules for multiple response, ordering and matching.
ALL_OR_NOTHING: Final = "all_or_nothing"
PARTIAL: Final = "partial"  # multiple: right minus wrong, floored at 0; ordering/matching: share
WEIGHTS: Final = "weights"  # multiple: explicit weight per choice (QTI map_response), sum clamped

MAX_CHOICES: Final = 50
MAX_TEXT: Final = 20_000
MAX_ANSWER_TEXT: Final = 100_000
_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class ItemError(ValueError):
    """Authoring data or a response that does not fit the item (message says what and where)."""


def _fail(message: str) -> Any:
    raise ItemError(message)


def _text(value: Any, where: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        _fail(f"{where} must be text")
    value = value.strip()
    if required and not value:
        _fail(f"{where} is empty")
    if len(value) > limit:
        _fail(f"{where} is longer than {limit} characters")
    return value


def _fraction(value: Any, where: str, *, low: float = -1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        _fail(f"{where} must be a number")
    try:
        number = float(value)
    except ValueError:
        _fail(f"{where} must be a number")
    if not math.isfinite(number) or not low <= number <= 1.0:
        _fail(f"{where} must be between {low:g} and 1")
    return number


def _choices(value: Any, where: str, *, minimum: int = 2) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not minimum <= len(value) <= MAX_CHOICES:
        _fail(f"{where} must be a list of {minimum} to {MAX_CHOICES} entries")
    cleaned, seen = [], set()
    for n, choice in enumerate(value, 1):
        if not isinstance(choice, dict):
            _fail(f"{where} entry {n} must be an object")
        choice_id = choice.get("id")
        if not isinstance(choice_id, str) or not _ID.fullmatch(choice_id):
            _fail(f"{where} entry {n} needs an id of letters, digits, '_', '.', '-'")
        if choice_id in seen:
            _fail(f"{where} has the id {choice_id!r} twice")
        seen.add(choice_id)
        cleaned.append(
            {
                "id": choice_id,
                "text": _text(choice.get("text"), f"{where} entry {n} text"),
                "fixed": bool(choice.get("fixed", False)),
            }
        )
    return cleaned


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        _fail(f"{where} must be a number")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        _fail(f"{where} must be a number")
    if not number.is_finite():
        _fail(f"{where} must be a finite number")
    if number and abs(number.adjusted()) > 100:
        # Exponents like 1e999999999 parse, but arithmetic on them overflows the context.
        _fail(f"{where} is out of range")
    return number


# -- authoring ---------------------------------------------------------------------------------


def validate_item(
    kind: str, interaction: Any, scoring: Any, feedback: Any = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Check an item's authoring data; return cleaned (interaction, scoring, feedback)."""
    if kind not in KINDS:
        _fail(f"unknown item kind {kind!r} (one of {', '.join(KINDS)})")
    interaction = {} if interaction is None else interaction
    scoring = {} if scoring is None else scoring
    feedback = {} if feedback is None else feedback
    if not isinstance(interaction, dict) or not isinstance(scoring, dict):
        _fail("interaction and scoring must be objects")
    if not isinstance(feedback, dict):
        _fail("feedback must be an object")
    cleaned_feedback = {
        "general": _text(feedback.get("general"), "general feedback", required=False),
        "choices": {
            str(k): _text(v, f"feedback for {k}", required=False)
            for k, v in (feedback.get("choices") or {}).items()
        },
    }
    validator = _VALIDATORS[kind]
    cleaned_interaction, cleaned_scoring = validator(interaction, scoring)
    known = _answer_ids(kind, cleaned_interaction)
    for choice_id in cleaned_feedback["choices"]:
        if known is not None and choice_id not in known:
            _fail(f"feedback names {choice_id!r}, which is not a choice")
    return cleaned_interaction, cleaned_scoring, cleaned_feedback


def _answer_ids(kind: str, interaction: dict[str, Any]) -> set[str] | None:
    if kind in (SINGLE, MULTIPLE, ORDERING):
        return {c["id"] for c in interaction["choices"]}
    if kind == MATCHING:
        return {c["id"] for c in interaction["premises"]}
    return None


def _validate_single(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    choices = _choices(interaction.get("choices"), "choices")
    ids = {c["id"] for c in choices}
    weights = scoring.get("weights")
    if weights is None and "correct" in scoring:
        weights = {scoring["correct"]: 1}
    if not isinstance(weights, dict) or not weights:
        _fail("a single-choice item needs the correct choice")
    cleaned = {}
    for choice_id, weight in weights.items():
        if choice_id not in ids:
            _fail(f"the answer key names {choice_id!r}, which is not a choice")
        cleaned[choice_id] = _fraction(weight, f"the weight of {choice_id!r}")
    if max(cleaned.values()) != 1.0:
        _fail("one choice must be fully correct (weight 1)")
    return {"choices": choices, "shuffle": bool(interaction.get("shuffle", True))}, {
        "weights": cleaned
    }


def _validate_multiple(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    choices = _choices(interaction.get("choices"), "choices")
    ids = {c["id"] for c in choices}
    rule = scoring.get("rule", PARTIAL)
    if rule not in (ALL_OR_NOTHING, PARTIAL, WEIGHTS):
        _fail(f"unknown partial-credit rule {rule!r}")
    result: dict[str, Any] = {"rule": rule}
    if rule == WEIGHTS:
        weights = scoring.get("weights")
        if not isinstance(weights, dict) or not weights:
            _fail("the weights rule needs a weight per choice")
        result["weights"] = {}
        for choice_id, weight in weights.items():
            if choice_id not in ids:
                _fail(f"the answer key names {choice_id!r}, which is not a choice")
            result["weights"][choice_id] = _fraction(weight, f"the weight of {choice_id!r}")
        if sum(w for w in result["weights"].values() if w > 0) < 0.999:
            _fail("the positive weights must add up to 1")
    else:
        correct = scoring.get("correct")
        if not isinstance(correct, list) or not correct:
            _fail("a multiple-response item needs at least one correct choice")
        for choice_id in correct:
            if choice_id not in ids:
                _fail(f"the answer key names {choice_id!r}, which is not a choice")
        result["correct"] = sorted(set(correct))
    interaction_out = {"choices": choices, "shuffle": bool(interaction.get("shuffle", True))}
    return interaction_out, result


def _validate_true_false(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    if not isinstance(scoring.get("correct"), bool):
        _fail("a true/false item needs the correct value (true or false)")
    return {}, {"correct": scoring["correct"]}


def _validate_numeric(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    answers = scoring.get("answers")
    if not isinstance(answers, list) or not answers:
        _fail("a numeric item needs at least one accepted answer")
    cleaned = []
    for n, answer in enumerate(answers, 1):
        if not isinstance(answer, dict):
            _fail(f"accepted answer {n} must be an object")
        fraction = _fraction(answer.get("fraction", 1), f"accepted answer {n} fraction", low=0)
        if "min" in answer or "max" in answer:
            low = _number(answer.get("min"), f"accepted answer {n} minimum")
            high = _number(answer.get("max"), f"accepted answer {n} maximum")
            if low > high:
                _fail(f"accepted answer {n}: the minimum is above the maximum")
            cleaned.append({"min": str(low), "max": str(high), "fraction": fraction})
        else:
            value = _number(answer.get("value"), f"accepted answer {n} value")
            tolerance = _number(answer.get("tolerance", 0), f"accepted answer {n} tolerance")
            if tolerance < 0:
                _fail(f"accepted answer {n}: the tolerance cannot be negative")
            cleaned.append({"value": str(value), "tolerance": str(tolerance), "fraction": fraction})
    if max(a["fraction"] for a in cleaned) != 1.0:
        _fail("one accepted answer must be fully correct (fraction 1)")
    unit = _text(interaction.get("unit"), "unit", required=False, limit=40)
    return {"unit": unit}, {"answers": cleaned}


def _validate_short_text(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    answers = scoring.get("answers")
    if not isinstance(answers, list) or not answers:
        _fail("a short-text item needs at least one accepted answer")
    cleaned = []
    for n, answer in enumerate(answers, 1):
        if not isinstance(answer, dict):
            _fail(f"accepted answer {n} must be an object")
        fraction = _fraction(answer.get("fraction", 1), f"accepted answer {n} fraction", low=0)
        if "pattern" in answer:
            pattern = _text(answer["pattern"], f"accepted answer {n} pattern", limit=500)
            try:
                re.compile(pattern)
            except re.error as exc:
                _fail(f"accepted answer {n}: the pattern is not a valid regular expression ({exc})")
            cleaned.append({"pattern": pattern, "fraction": fraction})
        else:
            text = _text(answer.get("text"), f"accepted answer {n} text", limit=500)
            cleaned.append({"text": text, "fraction": fraction})
    if max(a["fraction"] for a in cleaned) != 1.0:
        _fail("one accepted answer must be fully correct (fraction 1)")
    return {"max_length": int(interaction.get("max_length") or 200)}, {
        "answers": cleaned,
        "case_sensitive": bool(scoring.get("case_sensitive", False)),
        "ignore_whitespace": bool(scoring.get("ignore_whitespace", True)),
    }


def _validate_ordering(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    choices = _choices(interaction.get("choices"), "choices")
    order = scoring.get("order")
    if not isinstance(order, list) or sorted(order) != sorted(c["id"] for c in choices):
        _fail("the correct order must list every choice exactly once")
    rule = scoring.get("rule", PARTIAL)
    if rule not in (ALL_OR_NOTHING, PARTIAL):
        _fail(f"unknown partial-credit rule {rule!r}")
    return {"choices": choices, "shuffle": True}, {"order": list(order), "rule": rule}


def _validate_matching(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    premises = _choices(interaction.get("premises"), "premises", minimum=2)
    responses = _choices(interaction.get("responses"), "responses", minimum=2)
    pairs = scoring.get("pairs")
    premise_ids = {p["id"] for p in premises}
    response_ids = {r["id"] for r in responses}
    if not isinstance(pairs, dict) or set(pairs) != premise_ids:
        _fail("the answer key must pair every premise with a response")
    for premise, response in pairs.items():
        if response not in response_ids:
            _fail(f"the answer key pairs {premise!r} with {response!r}, which is not a response")
    rule = scoring.get("rule", PARTIAL)
    if rule not in (ALL_OR_NOTHING, PARTIAL):
        _fail(f"unknown partial-credit rule {rule!r}")
    return {"premises": premises, "responses": responses, "shuffle": True}, {
        "pairs": dict(pairs),
        "rule": rule,
    }


def _validate_essay(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    lines = interaction.get("expected_lines", 10)
    if not isinstance(lines, int) or not 1 <= lines <= 200:
        _fail("expected lines must be a whole number from 1 to 200")
    rubric = scoring.get("rubric")
    return {"expected_lines": lines}, {"rubric": rubric if isinstance(rubric, int) else None}


def _validate_file(interaction: dict[str, Any], scoring: dict[str, Any]) -> Any:
    accept = interaction.get("accept") or [".pdf", ".zip", ".png", ".jpg", ".txt", ".md"]
    if not isinstance(accept, list) or not all(
        isinstance(a, str) and re.fullmatch(r"\.[a-z0-9]{1,8}", a) for a in accept
    ):
        _fail("accepted file types must be extensions such as .pdf")
    max_mb = interaction.get("max_mb", 20)
    if not isinstance(max_mb, int) or not 1 <= max_mb <= 200:
        _fail("the size limit must be 1 to 200 MB")
    rubric = scoring.get("rubric")
    return {"accept": accept, "max_mb": max_mb}, {
        "rubric": rubric if isinstance(rubric, int) else None
    }


_VALIDATORS = {
    SINGLE: _validate_single,
    MULTIPLE: _validate_multiple,
    TRUE_FALSE: _validate_true_false,
    NUMERIC: _validate_numeric,
    SHORT_TEXT: _validate_short_text,
    ORDERING: _validate_ordering,
    MATCHING: _validate_matching,
    ESSAY: _validate_essay,
    FILE: _validate_file,
}


# -- responses ---------------------------------------------------------------------------------


def validate_response(kind: str, interaction: dict[str, Any], response: Any) -> dict[str, Any]:
    """Check a candidate's answer (ids already mapped back from the attempt's opaque ids).
    An empty answer (``{}``) is always allowed: it clears the item."""
    if not isinstance(response, dict):
        _fail("the answer must be an object")
    if not response:
        return {}
    if kind == SINGLE:
        choice = response.get("choice")
        if choice not in {c["id"] for c in interaction["choices"]}:
            _fail("that choice is not one of this question's")
        return {"choice": choice}
    if kind == MULTIPLE:
        chosen = response.get("choices")
        ids = {c["id"] for c in interaction["choices"]}
        if not isinstance(chosen, list) or not set(chosen) <= ids:
            _fail("those choices are not this question's")
        return {"choices": sorted(set(chosen))}
    if kind == TRUE_FALSE:
        if not isinstance(response.get("value"), bool):
            _fail("answer true or false")
        return {"value": response["value"]}
    if kind == NUMERIC:
        text = _text(response.get("value"), "the number", limit=60)
        return {"value": text}  # parsed when scored: a typo is an answer, not an error
    if kind == SHORT_TEXT:
        limit = int(interaction.get("max_length") or 200)
        return {"text": _text(response.get("text"), "the answer", required=False, limit=limit)}
    if kind == ORDERING:
        order = response.get("order")
        if not isinstance(order, list) or sorted(order) != sorted(
            c["id"] for c in interaction["choices"]
        ):
            _fail("the order must list every entry exactly once")
        return {"order": list(order)}
    if kind == MATCHING:
        pairs = response.get("pairs")
        premises = {p["id"] for p in interaction["premises"]}
        responses = {r["id"] for r in interaction["responses"]}
        if not isinstance(pairs, dict) or not set(pairs) <= premises:
            _fail("those pairs are not this question's")
        if not all(v in responses for v in pairs.values()):
            _fail("those pairs are not this question's")
        return {"pairs": dict(pairs)}
    if kind == ESSAY:
        return {
            "text": _text(response.get("text"), "the essay", required=False, limit=MAX_ANSWER_TEXT)
        }
    if kind == FILE:
        upload = response.get("upload")
        if not isinstance(upload, int):
            _fail("attach a file")
        return {"upload": upload}
    return _fail(f"unknown item kind {kind!r}")


# -- scoring -----------------------------------------------------------------------------------


def score(kind: str, scoring: dict[str, Any], response: dict[str, Any]) -> float | None:
    """The fraction (0‥1) of the item's maximum a response earns; None when people grade it.
    An empty response earns 0."""
    if kind in MANUAL_KINDS:
        return None
    if not response:
        return 0.0
    return max(0.0, min(1.0, _SCORERS[kind](scoring, response)))


def _score_single(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    return float(scoring["weights"].get(response.get("choice"), 0.0))


def _score_multiple(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    chosen = set(response.get("choices", []))
    if scoring["rule"] == WEIGHTS:
        return sum(scoring["weights"].get(c, 0.0) for c in chosen)
    correct = set(scoring["correct"])
    if scoring["rule"] == ALL_OR_NOTHING:
        return 1.0 if chosen == correct else 0.0
    # Right minus wrong: each correct choice earns 1/|correct|, each wrong one costs as much.
    right, wrong = len(chosen & correct), len(chosen - correct)
    return (right - wrong) / len(correct)


def _score_true_false(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    return 1.0 if response.get("value") is scoring["correct"] else 0.0


def _score_numeric(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    try:
        value = _number(response.get("value"), "the number")
    except ItemError:
        return 0.0
    best = 0.0
    for answer in scoring["answers"]:
        if "min" in answer:
            hit = Decimal(answer["min"]) <= value <= Decimal(answer["max"])
        else:
            hit = abs(value - Decimal(answer["value"])) <= Decimal(answer["tolerance"])
        if hit:
            best = max(best, answer["fraction"])
    return best


def normalize_text(text: str, *, case_sensitive: bool, ignore_whitespace: bool) -> str:
    """Unicode NFC; whitespace runs collapsed and trimmed; case folded unless case-sensitive."""
    text = unicodedata.normalize("NFC", text)
    if ignore_whitespace:
        text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


def _score_short_text(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    options = {
        "case_sensitive": scoring["case_sensitive"],
        "ignore_whitespace": scoring["ignore_whitespace"],
    }
    given = normalize_text(response.get("text", ""), **options)
    if not given:
        return 0.0
    best = 0.0
    for answer in scoring["answers"]:
        if "pattern" in answer:
            flags = 0 if scoring["case_sensitive"] else re.IGNORECASE
            hit = re.fullmatch(answer["pattern"], given, flags) is not None
        else:
            hit = normalize_text(answer["text"], **options) == given
        if hit:
            best = max(best, answer["fraction"])
    return best


def _score_ordering(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    correct, given = scoring["order"], response.get("order", [])
    if scoring["rule"] == ALL_OR_NOTHING:
        return 1.0 if given == correct else 0.0
    # Share of adjacent pairs in the right relative order (a single misplaced entry costs
    # little, a reversed list earns nothing).
    if len(correct) < 2:
        return 1.0 if given == correct else 0.0
    position = {choice: i for i, choice in enumerate(given)}
    pairs = list(itertools.pairwise(correct))
    kept = sum(1 for a, b in pairs if position.get(a, -1) < position.get(b, -1))
    return kept / len(pairs)


def _score_matching(scoring: dict[str, Any], response: dict[str, Any]) -> float:
    pairs, given = scoring["pairs"], response.get("pairs", {})
    right = sum(1 for premise, answer in pairs.items() if given.get(premise) == answer)
    if scoring["rule"] == ALL_OR_NOTHING:
        return 1.0 if right == len(pairs) else 0.0
    return right / len(pairs)


_SCORERS = {
    SINGLE: _score_single,
    MULTIPLE: _score_multiple,
    TRUE_FALSE: _score_true_false,
    NUMERIC: _score_numeric,
    SHORT_TEXT: _score_short_text,
    ORDERING: _score_ordering,
    MATCHING: _score_matching,
}
