"""Aiken importer: single-choice questions in Moodle's Aiken text format → canonical items.

Reproduces Moodle's Aiken importer (exam notes, §3.4) without its code::

    What is the capital of France?
    A. Berlin
    B) Paris
    ANSWER: B

A question is one or more text lines, then options ``A.``/``A)`` + space + text, lettered A, B,
C … in order, then ``ANSWER: X``. Blank lines between questions are optional. Every item is a
single-choice item; the format has no feedback. Options such as "All of the above" are marked
``fixed`` so that shuffling leaves them in place.

A malformed question (no ``ANSWER:``, an answer that is not an option, fewer than two options,
options out of order, ``Answer:`` in the wrong case) is skipped with the reason and its line; an
option or ``ANSWER:`` line outside a question is skipped on its own. The rest still imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from microcred.exams import items
from microcred.exams.formats.base import FormatError, ImportReport, read_text

FORMAT: Final = "aiken"
TITLE_LENGTH: Final = 60
ANSWER: Final = "ANSWER:"
_OPTION: Final = re.compile(r"([A-Z])[.)][ \t]")
# Shuffling must not move these away from the end of the list, where their meaning depends.
_PINNED: Final = frozenset(
    {"all of the above", "none of the above", "all of these", "none of these"}
)


@dataclass
class _Draft:
    """A question being read: its first line, text lines and options so far."""

    line: int
    stem: list[str]
    options: list[dict[str, Any]] = field(default_factory=list)
    gap: bool = False  # a blank line came after the text, before any option
    problem: str = ""  # the first error found; reported when the question ends


def parse(data: bytes | str) -> ImportReport:
    """Read an Aiken file; malformed questions are skipped with a reason and a line number."""
    reader = _Reader(ImportReport(format=FORMAT))
    for number, line in enumerate(read_text(data).split("\n"), 1):
        reader.feed(number, line.strip())
    reader.close()
    if not reader.report.items and not reader.seen:
        raise FormatError("no questions found")
    return reader.report


class _Reader:
    """A line-by-line state machine: at most one question is open at a time."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.draft: _Draft | None = None
        self.seen = False  # any option or ANSWER line: the file is meant to be Aiken

    def feed(self, number: int, line: str) -> None:
        if not line:
            if self.draft is not None and not self.draft.options:
                self.draft.gap = True
        elif _OPTION.match(line):
            self._option(number, line)
        elif line.startswith(ANSWER):
            self._answer(number, line[len(ANSWER) :].strip())
        elif line[: len(ANSWER)].upper() == ANSWER:
            self._wrong_case_answer(number, line[: len(ANSWER)])
        else:
            self._text(number, line)

    def close(self) -> None:
        if self.draft is not None:
            self._abandon(self.draft)
            self.draft = None

    def _option(self, number: int, line: str) -> None:
        self.seen = True
        draft = self.draft
        if draft is None:
            self.report.skip(f"line {number}", f"option {line[:2]} is outside a question")
            return
        letter, expected = line[0], chr(ord("A") + len(draft.options))
        if letter != expected and not draft.problem:
            draft.problem = (
                f"option {letter} on line {number} is out of order (expected {expected})"
            )
        text = line[2:].strip()
        draft.options.append({"id": letter, "text": text, "fixed": _pinned(text)})

    def _answer(self, number: int, value: str) -> None:
        self.seen = True
        draft, self.draft = self.draft, None
        if draft is None:
            self.report.skip(f"line {number}", "ANSWER line is outside a question")
            return
        source, ids = f"line {draft.line}", [option["id"] for option in draft.options]
        if draft.problem:
            self.report.skip(source, draft.problem)
        elif len(ids) < 2:
            self.report.skip(source, f"fewer than 2 options (found {len(ids)})")
        elif len(value) != 1 or not value.isascii() or not value.isalpha():
            shown = value[:20] or "nothing"
            self.report.skip(source, f"ANSWER on line {number} must be one letter, not '{shown}'")
        elif value.upper() not in ids:
            self.report.skip(
                source,
                f"ANSWER {value.upper()} on line {number} is not an option (A to {ids[-1]})",
            )
        else:
            self._add(draft, value.upper())

    def _wrong_case_answer(self, number: int, written: str) -> None:
        self.seen = True
        if self.draft is not None and not self.draft.problem:
            self.draft.problem = f"'{written}' on line {number} must be written '{ANSWER}'"
        self._answer(number, "")  # it still ends the question

    def _text(self, number: int, line: str) -> None:
        draft = self.draft
        if draft is not None and not draft.options and not draft.gap:
            draft.stem.append(line)  # a question text over several lines
            return
        if draft is not None:
            self._abandon(draft)  # a new question starts before this one got its ANSWER
        self.draft = _Draft(line=number, stem=[line])

    def _abandon(self, draft: _Draft) -> None:
        if draft.problem:
            reason = draft.problem
        elif draft.options:
            reason = "no 'ANSWER:' line after the options"
        else:
            reason = "no options and no 'ANSWER:' line"
        self.report.skip(f"line {draft.line}", reason)

    def _add(self, draft: _Draft, correct: str) -> None:
        stem = "\n".join(draft.stem)
        self.report.add(
            source=f"line {draft.line}",
            title=" ".join(stem[:1_000].split())[:TITLE_LENGTH],
            kind=items.SINGLE,
            stem=stem,
            interaction={"choices": draft.options},
            scoring={"weights": {correct: 1}},
        )


def _pinned(text: str) -> bool:
    return text.casefold().rstrip(" .!") in _PINNED
