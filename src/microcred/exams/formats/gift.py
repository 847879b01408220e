"""GIFT importer: Moodle's plain-text question format → canonical items.

Reproduces the behaviour of Moodle's GIFT importer (grammar in the exam notes, §3.3) without its
code. Questions are blocks separated by blank lines; a block is ``::title::``, an optional
``[html]``/``[plain]``/``[markdown]``/``[moodle]`` marker, the text and one ``{…}`` answer block.

Kinds: ``{}`` essay; ``{#…}`` numeric (``3:0.5``, ``1..5``, ``=%50%3:1``, ``~#`` feedback for
any other answer); ``~`` choices (single choice when a ``=`` is present, else multiple response
with per-choice weights); ``=a -> b`` matching; ``T``/``TRUE``/``F``/``FALSE`` true/false (case
insensitive, ``#wrong#right`` feedback); anything else short answer. A block mid-text makes a
missing-word question: the stem gets ``_____`` where the block was.

Feedback keys (``feedback["choices"]``): choice ids for choice kinds; ``"true"``/``"false"`` for
true/false; the 1-based answer position for short answer and numeric, ``"*"`` for numeric's
feedback on any other answer. ``\\\\`` is a literal backslash (Moodle keeps both characters,
which breaks its own export round trip).

Deliberately stricter than Moodle, so an exam never silently gets a wrong key: text before the
first ``~``/``=`` of a choice block, a second ``{…}`` block, a nested ``{`` and an unclosed
``::title`` skip the question; the positive weights of a multiple-response question must add
up to 100 %.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from microcred.exams import items
from microcred.exams.formats.base import FormatError, ImportReport, read_text

FORMAT: Final = "gift"
TITLE_LENGTH: Final = 60
BLANK: Final = "_____"

# While parsing, escaped specials are Unicode noncharacters so that splitting on "~", "=", "#"
# only sees live ones. Noncharacters are not for interchange, so any in the input become U+FFFD.
_SPECIALS: Final = ":#={}~n"
_HOLD: Final = {char: chr(0xFDD0 + n) for n, char in enumerate(_SPECIALS)}
_RESTORE: Final = str.maketrans({held: "\n" if c == "n" else c for c, held in _HOLD.items()})
_NONCHARACTERS: Final = str.maketrans(dict.fromkeys(range(0xFDD0, 0xFDF0), "\ufffd"))
_ESCAPE: Final = re.compile(r"\\([\\:#={}~n])")
_CATEGORY: Final = "$CATEGORY:"
# Bounded so a hostile "%999…" cannot make a huge Decimal; anything else after "%" is text.
_WEIGHT: Final = re.compile(r"%(-?[0-9.]{1,30})%")
_FORMAT_MARKER: Final = re.compile(r"\[(html|plain|markdown|moodle)\]")
_TAG: Final = re.compile(r"<[^<>]*>")  # no nested quantifier: linear even on "<<<<…"
_TRUE_FALSE: Final = {"T": True, "TRUE": True, "F": False, "FALSE": False}

Parts = tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]


class _MalformedError(Exception):
    """A question block that cannot be read; the message is the skip reason."""


@dataclass
class _Block:
    first_line: int
    lines: list[str]  # comment lines blanked, so a newline count still gives the file line


def parse(data: bytes | str) -> ImportReport:
    """Read a GIFT file; malformed questions are skipped with a reason and a line number."""
    text = read_text(data).translate(_NONCHARACTERS)
    report = ImportReport(format=FORMAT)
    category, questions = "", 0
    for block in _blocks(text):
        new_category = _take_category(block)
        if new_category is not None:
            category = new_category
        escaped = _ESCAPE.sub(_hold, "\n".join(block.lines))
        if not escaped.strip():
            continue  # only comments (or only a category)
        begin = len(escaped) - len(escaped.lstrip())
        source = f"line {_line(escaped, begin, block.first_line)}"
        try:
            question = _read_question(escaped, begin, block.first_line)
        except _MalformedError as exc:
            questions += 1
            report.skip(source, str(exc))
            continue
        if question is None:
            report.skip(source, "description, not a question")
            continue
        questions += 1
        report.add(source=source, category=category, **question)
    if not report.items and not questions:
        raise FormatError("no questions found")
    return report


# -- blocks, escapes, text ---------------------------------------------------------------------


def _blocks(text: str) -> Iterator[_Block]:
    lines: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped:
            if lines:
                yield _Block(first, lines)
                lines = []
            continue
        if not lines:
            first = number
        lines.append("" if stripped.startswith("//") else line)
    if lines:
        yield _Block(first, lines)


def _take_category(block: _Block) -> str | None:
    """A leading ``$CATEGORY:`` line sets the category; the block's other lines stay."""
    for n, line in enumerate(block.lines):
        stripped = line.strip()
        if stripped:
            if not stripped.startswith(_CATEGORY):
                return None
            block.lines[n] = ""
            return _clean(_ESCAPE.sub(_hold, stripped[len(_CATEGORY) :]))
    return None


def _hold(match: re.Match[str]) -> str:
    char = match[1]
    return "\\" if char == "\\" else _HOLD[char]


def _line(text: str, position: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, position)


def _split_format(text: str) -> tuple[str, str]:
    """(format, text without the marker); the text is kept as written, HTML included."""
    match = _FORMAT_MARKER.match(text)
    if match is None:
        return "", text
    return match[1], text[match.end() :]


def _clean(text: str) -> str:
    """Escaped answer/feedback text → final text: marker dropped, escapes restored."""
    return _split_format(text.strip())[1].translate(_RESTORE).strip()


def _quote(text: str) -> str:
    text = " ".join(text.translate(_RESTORE).split())
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _default_title(stem: str, text_format: str) -> str:
    text = stem[:10_000]  # the title needs only the start
    if text_format == "html":
        text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())[:TITLE_LENGTH]


# -- one question ------------------------------------------------------------------------------


def _read_question(text: str, begin: int, first_line: int) -> dict[str, Any] | None:
    """One escaped block → keyword arguments for ``ImportReport.add``; None for a description."""
    at, title = begin, ""
    if text.startswith("::", at):
        end = text.find("::", at + 2)
        if end == -1:
            line = _line(text, at, first_line)
            raise _MalformedError(
                f"the title opened with '::' on line {line} is not closed with '::'"
            )
        title, at = " ".join(text[at + 2 : end].translate(_RESTORE).split()), end + 2
    block = _answer_block(text, at, first_line)
    if block is None:
        return None
    opening, closing = block
    text_format, before = _split_format(text[at:opening].lstrip())
    after = text[closing + 1 :]
    stem = (before + (BLANK if after.strip() else "") + after).translate(_RESTORE).strip()
    answer, general = _split_general_feedback(text[opening + 1 : closing])
    kind, interaction, scoring, feedback = _interpret(answer.strip())
    return {
        "title": title or _default_title(stem, text_format),
        "kind": kind,
        "stem": stem,
        "interaction": interaction,
        "scoring": scoring,
        "feedback": {"general": general, "choices": feedback},
    }


def _answer_block(text: str, at: int, first_line: int) -> tuple[int, int] | None:
    """Positions of the one ``{`` and ``}``; None when there is no block (a description)."""
    opening, closing = text.find("{", at), text.find("}", at)
    if opening == -1 and closing == -1:
        return None
    if opening == -1 or -1 < closing < opening:
        line = _line(text, closing, first_line)
        raise _MalformedError(f"'}}' on line {line} has no matching '{{'")
    if closing == -1:
        line = _line(text, opening, first_line)
        raise _MalformedError(f"'{{' on line {line} is not closed with '}}'")
    inner = text.find("{", opening + 1, closing)
    if inner != -1:
        line, outer = _line(text, inner, first_line), _line(text, opening, first_line)
        raise _MalformedError(
            f"'{{' on line {line} is inside the answer block opened on line {outer} "
            "(write a literal brace as \\{)"
        )
    found = [p for p in (text.find("{", closing), text.find("}", closing + 1)) if p != -1]
    if found:
        extra = min(found)
        line = _line(text, extra, first_line)
        raise _MalformedError(
            f"'{text[extra]}' on line {line} follows the answer block; a question has one "
            "{…} block (write a literal brace as \\{ or \\})"
        )
    return opening, closing


def _split_general_feedback(answer: str) -> tuple[str, str]:
    at = answer.rfind("####")
    if at == -1:
        return answer, ""
    return answer[:at], _clean(answer[at + 4 :])


def _interpret(answer: str) -> Parts:
    """Type detection in Moodle's order: the first matching rule wins."""
    if not answer:
        return items.ESSAY, {}, {}, {}
    if answer.startswith("#"):
        return _numeric(answer[1:])
    if "~" in answer:
        return _choices(answer)
    if "=" in answer and "->" in answer:
        return _matching(answer)
    if answer.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
        return _true_false(answer)
    return _short_text(answer)


# -- answers -----------------------------------------------------------------------------------


def _weight(chunk: str, default: float) -> tuple[float, str]:
    """A leading ``%n%`` as a fraction (−1‥1), and the rest of the answer."""
    match = _WEIGHT.match(chunk)
    if match is None:
        return default, chunk
    try:
        percent = Decimal(match[1])
    except InvalidOperation:
        raise _MalformedError(f"the weight {match[0]} is not a number") from None
    if not -100 <= percent <= 100:
        raise _MalformedError(f"the weight {match[0]} is outside -100% to 100%")
    return float(percent / 100), chunk[match.end() :]


def _split_feedback(chunk: str) -> tuple[str, str]:
    text, _, remark = chunk.partition("#")
    return text, _clean(remark)


def _answer_chunks(answer: str, separator: str, what: str) -> list[str]:
    """Split on the separator; an empty lead (the text before the first one) is dropped."""
    chunks = answer.split(separator, items.MAX_CHOICES + 1)
    if not chunks[0].strip():
        chunks.pop(0)
    if len(chunks) > items.MAX_CHOICES:
        raise _MalformedError(f"{what} has more than {items.MAX_CHOICES} answers")
    return chunks


def _choice_id(index: int) -> str:
    """0 → "A" … 25 → "Z", 26 → "AA": spreadsheet-style, in file order."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _choices(answer: str) -> Parts:
    single = "=" in answer
    chunks = answer.replace("=", "~=").split("~", items.MAX_CHOICES + 1)
    lead = chunks.pop(0)
    if lead.strip():
        raise _MalformedError(f"the answer {_quote(lead)} must start with '=' or '~'")
    if len(chunks) < 2:
        raise _MalformedError("a multiple-choice question needs at least 2 answers")
    if len(chunks) > items.MAX_CHOICES:
        raise _MalformedError(
            f"a multiple-choice question has more than {items.MAX_CHOICES} answers"
        )
    choices, weights, feedback = [], {}, {}
    for index, chunk in enumerate(chunks):
        chunk = chunk.strip()
        if chunk.startswith("="):
            weight, chunk = 1.0, chunk[1:]
        else:
            weight, chunk = _weight(chunk, 0.0)
        text, remark = _split_feedback(chunk)
        choice_id = _choice_id(index)
        choices.append({"id": choice_id, "text": _clean(text)})
        weights[choice_id] = weight
        if remark:
            feedback[choice_id] = remark
    if single:
        return items.SINGLE, {"choices": choices}, {"weights": weights}, feedback
    positive = sum(w for w in weights.values() if w > 0)
    if abs(positive - 1) > 0.001:
        raise _MalformedError(
            f"the positive weights of a multiple-response question add up to {positive * 100:g}%,"
            " not 100%"
        )
    return (
        items.MULTIPLE,
        {"choices": choices},
        {"rule": items.WEIGHTS, "weights": weights},
        feedback,
    )


def _matching(answer: str) -> Parts:
    premises: list[dict[str, str]] = []
    responses: dict[str, str] = {}  # text → id: identical answers share one response
    pairs: dict[str, str] = {}
    for chunk in _answer_chunks(answer, "=", "a matching question"):
        left, arrow, right = chunk.partition("->")
        if not arrow:
            raise _MalformedError(f"the pair {_quote(chunk)} has no '->'")
        response = _clean(right)
        if not response:
            raise _MalformedError(f"the pair {_quote(chunk)} has no answer after '->'")
        response_id = responses.setdefault(response, f"R{len(responses) + 1}")
        premise = _clean(left)
        if premise:  # "= -> text" adds a distractor answer, as in Moodle
            premise_id = _choice_id(len(premises))
            premises.append({"id": premise_id, "text": premise})
            pairs[premise_id] = response_id
    if len(premises) < 2:
        raise _MalformedError("a matching question needs at least 2 pairs '=premise -> answer'")
    if len(responses) < 2:
        raise _MalformedError("a matching question needs at least 2 different answers")
    interaction = {
        "premises": premises,
        "responses": [{"id": rid, "text": text} for text, rid in responses.items()],
    }
    return items.MATCHING, interaction, {"pairs": pairs, "rule": items.PARTIAL}, {}


def _true_false(answer: str) -> Parts:
    key, *remarks = answer.split("#", 2)
    correct = _TRUE_FALSE[key.strip().upper()]
    wrong, right = ([_clean(r) for r in remarks] + ["", ""])[:2]
    # Feedback follows the candidate's answer: the right one gets "right", the other "wrong".
    feedback = {str(correct).lower(): right, str(not correct).lower(): wrong}
    return items.TRUE_FALSE, {}, {"correct": correct}, {k: v for k, v in feedback.items() if v}


def _short_text(answer: str) -> Parts:
    answers, feedback = [], {}
    for n, chunk in enumerate(_answer_chunks(answer, "=", "a short-answer question"), 1):
        weight, chunk = _weight(chunk.strip(), 1.0)
        text, remark = _split_feedback(chunk)
        answers.append({"text": _clean(text), "fraction": weight})
        if remark:
            feedback[str(n)] = remark
    return items.SHORT_TEXT, {}, {"answers": answers}, feedback


def _numeric(body: str) -> Parts:
    body, tilde, other = body.partition("~")  # "~#text": feedback for any other answer
    chunks = _answer_chunks(body, "=", "a numeric question")
    if not chunks:
        raise _MalformedError("a numeric question needs at least one answer after '#'")
    answers, feedback = [], {}
    for n, chunk in enumerate(chunks, 1):
        weight, chunk = _weight(chunk.strip(), 1.0)
        value, remark = _split_feedback(chunk)
        answers.append({**_numeric_value(value), "fraction": weight})
        if remark:
            feedback[str(n)] = remark
    other_feedback = _split_feedback(other)[1] if tilde else ""
    if other_feedback:
        feedback["*"] = other_feedback
    return items.NUMERIC, {}, {"answers": answers}, feedback


def _numeric_value(value: str) -> dict[str, str]:
    """``1..5`` → a range; ``3:0.5`` → value and tolerance; ``3`` → exact. Checked later."""
    if value.find("..") > 0:
        low, _, high = value.partition("..")
        return {"min": _clean(low), "max": _clean(high)}
    if value.find(":") > 0:
        centre, _, tolerance = value.partition(":")
        return {"value": _clean(centre), "tolerance": _clean(tolerance)}
    return {"value": _clean(value), "tolerance": "0"}
