"""Builders for exam tests: a bank with one question of each kind, a published exam."""

from __future__ import annotations

from typing import Any

from microcred.exams import items
from microcred.exams.models import Exam, Item, QuestionBank
from microcred.exams.services import attempts, authoring, banks
from microcred.organizations.models import Membership

ABC = [
    {"id": "A", "text": "Alpha"},
    {"id": "B", "text": "Beta"},
    {"id": "C", "text": "Gamma"},
    {"id": "N", "text": "None of the above", "fixed": True},
]

CONTENT: dict[str, dict[str, Any]] = {
    items.SINGLE: {
        "stem": "Which letter comes first?",
        "interaction": {"choices": ABC},
        "scoring": {"correct": "A"},
        "feedback": {"general": "Alpha is first.", "choices": {"B": "Beta is second."}},
        "skills": [{"name": "Statistics", "weight": 1}],
    },
    items.MULTIPLE: {
        "stem": "Which are vowels' names?",
        "interaction": {"choices": ABC},
        "scoring": {"correct": ["A", "C"], "rule": "partial"},
        "skills": [{"name": "Statistics", "weight": 2}],
    },
    items.TRUE_FALSE: {"stem": "The mean is robust.", "scoring": {"correct": False}},
    items.NUMERIC: {
        "stem": "What is 22/7 to one decimal?",
        "interaction": {"unit": ""},
        "scoring": {"answers": [{"value": "3.1", "tolerance": "0.05"}]},
    },
    items.SHORT_TEXT: {
        "stem": "Name the test for two means.",
        "scoring": {"answers": [{"text": "t-test"}]},
    },
    items.ORDERING: {
        "stem": "Order the steps.",
        "interaction": {"choices": ABC[:3]},
        "scoring": {"order": ["A", "B", "C"]},
    },
    items.MATCHING: {
        "stem": "Match.",
        "interaction": {
            "premises": [{"id": "A", "text": "mean"}, {"id": "B", "text": "median"}],
            "responses": [{"id": "A", "text": "average"}, {"id": "B", "text": "middle"}],
        },
        "scoring": {"pairs": {"A": "A", "B": "B"}},
    },
    items.ESSAY: {"stem": "Explain a p-value."},
    items.FILE: {"stem": "Upload your project.", "interaction": {"accept": [".pdf"], "max_mb": 5}},
}

# A correct answer per kind, in the items' own ids (tests map them to the attempt's opaque ids).
RIGHT: dict[str, dict[str, Any]] = {
    items.SINGLE: {"choice": "A"},
    items.MULTIPLE: {"choices": ["A", "C"]},
    items.TRUE_FALSE: {"value": False},
    items.NUMERIC: {"value": "3.14"},
    items.SHORT_TEXT: {"text": "T-Test"},
    items.ORDERING: {"order": ["A", "B", "C"]},
    items.MATCHING: {"pairs": {"A": "A", "B": "B"}},
}


def make_item(member: Membership, bank: QuestionBank, kind: str, **extra: Any) -> Item:
    content = {"kind": kind, **CONTENT[kind], **extra.pop("content", {})}
    return banks.create_item(member=member, bank=bank, content=content, publish=True, **extra)


def auto_bank(member: Membership, name: str = "Statistics") -> tuple[QuestionBank, list[Item]]:
    bank = banks.create_bank(member=member, name=name)
    made = [make_item(member, bank, kind) for kind in RIGHT]
    return bank, made


def published_exam(
    member: Membership,
    *,
    title: str = "Final exam",
    kinds: tuple[str, ...] | None = None,
    **settings: Any,
) -> Exam:
    """An exam with one fixed question of each auto-scored kind (or ``kinds``)."""
    bank = banks.create_bank(member=member, name=f"Bank for {title}")
    questions = [make_item(member, bank, kind) for kind in (kinds or tuple(RIGHT))]
    exam = authoring.create_exam(member=member, title=title, **settings)
    exam = authoring.update_exam(
        member=member,
        exam=exam,
        sections=[{"title": "All", "rules": [{"item": q.pk} for q in questions]}],
    )
    authoring.publish_exam(member=member, exam=exam)
    exam.refresh_from_db()
    return exam


def opaque(attempt_item: Any, answer: dict[str, Any]) -> dict[str, Any]:
    """An answer in item ids → the same answer in the attempt's opaque ids (as the page sends)."""
    back = {named: key for key, named in attempt_item.opaque.items()}
    result = dict(answer)
    if "choice" in answer:
        result["choice"] = back[f"choices:{answer['choice']}"]
    if "choices" in answer:
        result["choices"] = [back[f"choices:{c}"] for c in answer["choices"]]
    if "order" in answer:
        result["order"] = [back[f"choices:{c}"] for c in answer["order"]]
    if "pairs" in answer:
        result["pairs"] = {
            back[f"premises:{p}"]: back[f"responses:{r}"] for p, r in answer["pairs"].items()
        }
    return result


def answer_all(candidate: Any, attempt: Any, answers: dict[str, dict[str, Any]], **kw: Any) -> None:
    for item in attempt.items.select_related("item_version").order_by("slot"):
        kind = item.item_version.kind
        if kind not in answers:
            continue
        attempts.save_answer(
            candidate=candidate,
            attempt_id=attempt.pk,
            slot=item.slot,
            answer=opaque(item, answers[kind]),
            sequence=item.sequence,
            idempotency_key=f"key-{attempt.pk}-{item.slot}-{item.sequence}",
            **kw,
        )
