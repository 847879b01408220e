"""Moodle XML question import (Moodle's ``question/format/xml``), into the canonical item model.

Supported question types: multichoice (one answer → single choice with fraction weights; several
→ multiple response with the "weights" rule), truefalse, shortanswer (``usecase``; ``*``
wildcards become patterns), numerical (answer ± tolerance, the unit with multiplier 1), matching
(subquestions; empty ones are extra distractor answers), essay (an attachments-only essay
becomes a file submission) and the ``ordering`` plug-in. ``category`` entries set the category
of the questions after them. Descriptions and every other type are skipped with a reason.

Texts keep their HTML (sanitising happens when items are stored); embedded ``<file>`` images are
not imported. The document goes through the hardened parser in :mod:`.xmlsafe`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from lxml import etree

from microcred.exams import items
from microcred.exams.formats.base import FormatError, ImportReport
from microcred.exams.formats.xmlsafe import parse_xml

FORMAT: Final = "moodle_xml"
_TAG = re.compile(r"<[^>]*>")
_EXTENSION: Final = re.compile(r"\.[a-z0-9]{1,8}")


class _SkipError(Exception):
    """This question cannot be imported; the message says why."""


# -- small readers -----------------------------------------------------------------------------


def _text(element: etree._Element | None, path: str = "text") -> str:
    """The ``<text>`` (or other) child's content; CDATA is already plain text."""
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _child_text(question: etree._Element, name: str) -> str:
    return _text(question.find(name))


def _value(question: etree._Element, name: str, default: str = "") -> str:
    found = question.find(name)
    return (found.text or "").strip() if found is not None and found.text else default


def _flag(question: etree._Element, name: str, default: bool) -> bool:
    raw = _value(question, name).lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes")


def _number(raw: str, where: str) -> float:
    try:
        number = float(raw.strip().replace(",", "."))
    except ValueError:
        raise _SkipError(f"{where} is not a number ({raw!r})") from None
    if not math.isfinite(number):
        raise _SkipError(f"{where} is not a finite number")
    return number


def _fraction(answer: etree._Element, n: int) -> float:
    # Moodle writes percentages ("100", "-50", "33.33333").
    return _number(answer.get("fraction", "0"), f"answer {n} fraction") / 100


def _answers(question: etree._Element) -> list[etree._Element]:
    return question.findall("answer")


def _plain(html: str) -> str:
    return " ".join(_TAG.sub(" ", html).split())


# -- question types ----------------------------------------------------------------------------

Converted = tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]


def _multichoice(question: etree._Element) -> Converted:
    choices, weights, feedback = [], {}, {}
    for n, answer in enumerate(_answers(question), 1):
        choice_id = f"c{n}"
        choices.append({"id": choice_id, "text": _text(answer)})
        fraction = _fraction(answer, n)
        if fraction:
            weights[choice_id] = fraction
        if text := _text(answer.find("feedback")):
            feedback[choice_id] = text
    interaction = {"choices": choices, "shuffle": _flag(question, "shuffleanswers", True)}
    if _flag(question, "single", True):
        return items.SINGLE, interaction, {"weights": weights}, feedback
    return items.MULTIPLE, interaction, {"rule": items.WEIGHTS, "weights": weights}, feedback


def _truefalse(question: etree._Element) -> Converted:
    correct, feedback = None, {}
    for n, answer in enumerate(_answers(question), 1):
        value = _text(answer).lower()
        if value not in ("true", "false"):
            raise _SkipError(f"answer {n} of a true/false question must be 'true' or 'false'")
        if _fraction(answer, n) == 1.0:
            correct = value == "true"
        if text := _text(answer.find("feedback")):
            feedback[value] = text
    if correct is None:
        raise _SkipError("the true/false question has no correct answer")
    return items.TRUE_FALSE, {}, {"correct": correct}, feedback


def _wildcard(text: str) -> dict[str, str]:
    """Moodle short answers: ``*`` matches anything, ``\\*`` is a literal star."""
    if "*" not in text.replace("\\*", ""):
        return {"text": text.replace("\\*", "*")}
    parts = re.split(r"(?<!\\)\*", text)
    return {"pattern": ".*".join(re.escape(part.replace("\\*", "*")) for part in parts)}


def _shortanswer(question: etree._Element) -> Converted:
    answers = []
    for n, answer in enumerate(_answers(question), 1):
        fraction = _fraction(answer, n)
        if fraction > 0:  # zero-credit answers only carry feedback in Moodle
            answers.append({**_wildcard(_text(answer)), "fraction": fraction})
    scoring = {
        "answers": answers,
        "case_sensitive": _value(question, "usecase") == "1",
        "ignore_whitespace": True,
    }
    return items.SHORT_TEXT, {}, scoring, {}


def _unit(question: etree._Element) -> str:
    for unit in question.iterfind("units/unit"):
        if _number(_value(unit, "multiplier", "1"), "a unit multiplier") == 1:
            return _value(unit, "unit_name")
    return ""


def _numerical(question: etree._Element) -> Converted:
    answers = []
    for n, answer in enumerate(_answers(question), 1):
        fraction, value = _fraction(answer, n), _text(answer)
        if fraction <= 0 or value == "*":  # "*" is Moodle's "any other answer"
            continue
        tolerance = _value(answer, "tolerance", "0")
        _number(value, f"answer {n}")
        _number(tolerance, f"answer {n} tolerance")
        answers.append({"value": value, "tolerance": tolerance, "fraction": fraction})
    return items.NUMERIC, {"unit": _unit(question)}, {"answers": answers}, {}


def _matching(question: etree._Element) -> Converted:
    premises, responses, pairs = [], {}, {}
    for sub in question.findall("subquestion"):
        answer = _text(sub.find("answer"))
        if not answer:
            raise _SkipError("a matching subquestion has no answer")
        response_id = responses.setdefault(answer, f"r{len(responses) + 1}")
        premise = _text(sub)
        if premise:  # an empty premise only adds a distractor answer
            premise_id = f"p{len(premises) + 1}"
            premises.append({"id": premise_id, "text": premise})
            pairs[premise_id] = response_id
    interaction = {
        "premises": premises,
        "responses": [{"id": rid, "text": text} for text, rid in responses.items()],
    }
    return items.MATCHING, interaction, {"pairs": pairs, "rule": items.PARTIAL}, {}


def _ordering(question: etree._Element) -> Converted:
    answers = _answers(question)
    # qtype_ordering writes the position as the fraction; sort by it (stable on ties).
    ranked = sorted(
        enumerate(answers, 1), key=lambda pair: _number(pair[1].get("fraction", "0"), "a rank")
    )
    choices = [{"id": f"c{n}", "text": _text(answer)} for n, answer in enumerate(answers, 1)]
    grading = _value(question, "gradingtype").upper()
    rule = items.ALL_OR_NOTHING if grading in ("-1", "ALL_OR_NOTHING") else items.PARTIAL
    scoring = {"order": [f"c{n}" for n, _ in ranked], "rule": rule}
    return items.ORDERING, {"choices": choices}, scoring, {}


def _essay(question: etree._Element) -> Converted:
    lines = int(_number(_value(question, "responsefieldlines", "10"), "the response lines"))
    attachments = int(_number(_value(question, "attachments", "0"), "the attachments"))
    if _value(question, "responseformat") == "noinline" and attachments != 0:
        return items.FILE, _file_interaction(question), {}, {}
    return items.ESSAY, {"expected_lines": max(1, min(200, lines))}, {}, {}


def _file_interaction(question: etree._Element) -> dict[str, Any]:
    interaction: dict[str, Any] = {}
    accept = sorted(set(_EXTENSION.findall(_value(question, "filetypeslist").lower())))
    if accept:
        interaction["accept"] = accept
    max_bytes = int(_number(_value(question, "maxbytes", "0"), "the size limit"))
    if max_bytes > 0:
        interaction["max_mb"] = max(1, min(200, max_bytes // (1024 * 1024)))
    return interaction


_CONVERTERS: Final = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "ordering": _ordering,
    "essay": _essay,
}


# -- the file ----------------------------------------------------------------------------------


def _category(question: etree._Element) -> str:
    """``$course$/top/Networking/IPv4`` → ``Networking/IPv4``."""
    path = _text(question.find("category")) or _value(question, "category")
    parts = [p.strip() for p in path.split("/") if p.strip()]
    if parts and re.fullmatch(r"\$[a-z0-9]+\$", parts[0]):
        parts = parts[1:]
    if parts and parts[0].lower() == "top":
        parts = parts[1:]
    return "/".join(parts)


def _max_score(question: etree._Element) -> float:
    raw = _value(question, "defaultgrade", "1")
    grade = _number(raw, "the default grade")
    return grade if grade > 0 else 1.0


def _import_question(
    report: ImportReport, question: etree._Element, qtype: str, source: str, category: str
) -> None:
    converter = _CONVERTERS.get(qtype)
    if qtype == "description":
        report.skip(source, "a description is not a question")
        return
    if converter is None:
        report.skip(source, f"question type {qtype!r} is not supported")
        return
    try:
        kind, interaction, scoring, choice_feedback = converter(question)
        max_score = _max_score(question)
    except _SkipError as exc:
        report.skip(source, str(exc))
        return
    stem = _child_text(question, "questiontext")
    tags = tuple(t for t in (_text(tag) for tag in question.iterfind("tags/tag")) if t)
    report.add(
        source=source,
        title=_child_text(question, "name") or _plain(stem),
        kind=kind,
        stem=stem,
        interaction=interaction,
        scoring=scoring,
        feedback={"general": _child_text(question, "generalfeedback"), "choices": choice_feedback},
        max_score=max_score,
        category=category,
        tags=tags,
    )


def parse(data: bytes | str) -> ImportReport:
    """A Moodle XML export → the items it holds, and why any question was skipped."""
    root = parse_xml(data)
    if etree.QName(root).localname != "quiz":
        raise FormatError(f"this is not a Moodle XML file (the root is <{root.tag}>, not <quiz>)")
    report = ImportReport(format=FORMAT)
    category = ""
    for n, question in enumerate(root.iterchildren("question"), 1):
        qtype = question.get("type", "").strip()
        name = _child_text(question, "name")
        source = f"question {n} ({name})" if name else f"question {n}"
        if qtype == "category":
            category = _category(question)
            continue
        _import_question(report, question, qtype, source, category)
    return report
