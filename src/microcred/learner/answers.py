"""Turn a question form's fields (or the same fields sent by the page's autosave) into an answer
in the attempt's opaque ids. The form works without JavaScript; the script posts the very same
fields, so there is one parser."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from microcred.core.errors import DomainError
from microcred.exams import items


def answer_from_form(question: dict[str, Any], data: QueryDict) -> dict[str, Any]:
    kind = question["kind"]
    if kind == items.SINGLE:
        choice = data.get("choice")
        return {"choice": choice} if choice else {}
    if kind == items.MULTIPLE:
        chosen = data.getlist("choices")
        return {"choices": chosen} if chosen else {}
    if kind == items.TRUE_FALSE:
        value = data.get("value")
        if value not in ("true", "false"):
            return {}
        return {"value": value == "true"}
    if kind == items.NUMERIC:
        value = (data.get("value") or "").strip()
        return {"value": value} if value else {}
    if kind in (items.SHORT_TEXT, items.ESSAY):
        text = data.get("text") or ""
        return {"text": text} if text.strip() else {}
    if kind == items.ORDERING:
        return _order(question, data)
    if kind == items.MATCHING:
        pairs = {
            premise["id"]: data.get(f"pair-{premise['id']}")
            for premise in question["premises"]
            if data.get(f"pair-{premise['id']}")
        }
        return {"pairs": pairs} if pairs else {}
    if kind == items.FILE:
        upload = data.get("upload")
        return {"upload": int(upload)} if upload and upload.isdigit() else {}
    raise DomainError("Unknown question type.")


def _order(question: dict[str, Any], data: QueryDict) -> dict[str, Any]:
    """Each entry's position (1..n, a select per entry) → the order. Untouched → no answer."""
    positions = {}
    for choice in question["choices"]:
        raw = data.get(f"position-{choice['id']}") or ""
        if not raw:
            return {}
        if not raw.isdigit():
            raise DomainError("Choose a position for every entry.")
        positions[choice["id"]] = int(raw)
    if sorted(positions.values()) != list(range(1, len(positions) + 1)):
        raise DomainError("Give every entry a different position, from 1 to the number of entries.")
    return {"order": sorted(positions, key=positions.__getitem__)}
