"""Assembling an attempt's form from an exam version: fixed items, random draws from pools
(items the candidate has not seen first, then the least seen), the blueprint's minimum number
of items per skill, item and choice shuffling, and the attempt's opaque choice ids.

Everything random comes from the attempt's seed, and the result is stored with the attempt, so
a resumed attempt shows exactly the same form and no draw is ever replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microcred.exams import items

#: How many seeds a blueprint may try before the form is declared impossible.
BLUEPRINT_TRIES = 25


class DrawError(ValueError):
    """The exam cannot be assembled (too few items in a pool, blueprint unreachable)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item version a rule may draw: its id, its item's id, kind, skills, interaction."""

    version_id: int
    item_id: int
    kind: str
    skills: tuple[str, ...]
    interaction: dict[str, Any]
    max_score: Any


@dataclass(slots=True)
class Slot:
    section: int
    candidate: Candidate
    order: dict[str, list[str]] = field(default_factory=dict)
    opaque: dict[str, str] = field(default_factory=dict)


def opaque_id(seed: str, slot: int, real: str) -> str:
    """A per-attempt id for a choice: two candidates' "c3" are unrelated and order-free."""
    digest = hmac.new(bytes.fromhex(seed), f"{slot}:{real}".encode(), hashlib.sha256).digest()
    return "c" + base64.b32encode(digest[:5]).decode().lower()


def _shuffled(rng: random.Random, entries: list[dict[str, Any]], shuffle: bool) -> list[str]:
    """Choice order: shuffled if asked, with pinned ("fixed") choices kept in place."""
    ids = [entry["id"] for entry in entries]
    if not shuffle:
        return ids
    movable = [entry["id"] for entry in entries if not entry.get("fixed")]
    rng.shuffle(movable)
    moving = iter(movable)
    return [entry["id"] if entry.get("fixed") else next(moving) for entry in entries]


def arrange(slot_number: int, slot: Slot, seed: str, rng: random.Random) -> None:
    """Choice order and opaque ids of one slot."""
    interaction = slot.candidate.interaction
    lists = {
        key: interaction[key] for key in ("choices", "premises", "responses") if key in interaction
    }
    shuffle = bool(interaction.get("shuffle", True))
    for key, entries in lists.items():
        slot.order[key] = _shuffled(rng, entries, shuffle)
        for real in slot.order[key]:
            # Values keep the list's name: a premise and a response may share an id.
            slot.opaque[opaque_id(seed, slot_number, f"{key}:{real}")] = f"{key}:{real}"
    if slot.candidate.kind == items.ORDERING:
        # The correct order must never be the order shown.
        correct = [c["id"] for c in interaction["choices"]]
        if slot.order["choices"] == correct and len(correct) > 1:
            shown = slot.order["choices"]
            shown[0], shown[1] = shown[1], shown[0]


def draw_form(
    *,
    sections: Sequence[dict[str, Any]],
    blueprint: Sequence[dict[str, Any]],
    pool: Callable[[dict[str, Any]], list[Candidate]],
    fixed: Callable[[int], Candidate],
    seen: Counter[int],
    seed: str,
    shuffle_items: bool,
) -> list[Slot]:
    """The attempt's form. ``pool(rule)`` lists the candidates of a pool rule, ``fixed(id)``
    the pinned version of a fixed rule, ``seen`` how often the candidate saw each item before.
    Raises :class:`DrawError` when a pool is too small or the blueprint cannot be met."""
    base = int.from_bytes(bytes.fromhex(seed), "big")
    for attempt in range(BLUEPRINT_TRIES):
        rng = random.Random(base + attempt)  # noqa: S311 - fairness, not secrecy: seed is secret
        slots = _draw_once(sections, blueprint, pool, fixed, seen, rng, shuffle_items)
        if _blueprint_met(slots, blueprint):
            for number, slot in enumerate(slots, 1):
                arrange(number, slot, seed, rng)
            return slots
    wanted = ", ".join(f"{b['min_items']} on {b['skill']}" for b in blueprint)
    raise DrawError(f"no form meets the blueprint ({wanted}); add items with those skills")


def _draw_once(
    sections: Sequence[dict[str, Any]],
    blueprint: Sequence[dict[str, Any]],
    pool: Callable[[dict[str, Any]], list[Candidate]],
    fixed: Callable[[int], Candidate],
    seen: Counter[int],
    rng: random.Random,
    shuffle_items: bool,
) -> list[Slot]:
    deficit = Counter({b["skill"]: int(b["min_items"]) for b in blueprint})
    taken: set[int] = set()
    slots: list[Slot] = []
    for section_number, section in enumerate(sections):
        section_slots: list[Slot] = []
        for rule in section["rules"]:
            if "item_version" in rule:
                chosen = [fixed(rule["item_version"])]
            else:
                available = [c for c in pool(rule) if c.item_id not in taken]
                if len(available) < rule["count"]:
                    raise DrawError(
                        f"section {section_number + 1} asks for {rule['count']} questions from "
                        f"a pool of {len(available)}"
                    )
                rng.shuffle(available)
                # Unseen before seen, then least seen; among equals, skills still short first.
                available.sort(
                    key=lambda c: (
                        seen[c.item_id],
                        -sum(1 for skill in c.skills if deficit[skill] > 0),
                    )
                )
                chosen = available[: rule["count"]]
            for candidate in chosen:
                taken.add(candidate.item_id)
                deficit.subtract(dict.fromkeys(set(candidate.skills), 1))
                section_slots.append(Slot(section_number, candidate))
        if shuffle_items and section.get("shuffle", True):
            rng.shuffle(section_slots)
        slots.extend(section_slots)
    return slots


def _blueprint_met(slots: list[Slot], blueprint: Sequence[dict[str, Any]]) -> bool:
    counts = Counter(skill for slot in slots for skill in set(slot.candidate.skills))
    return all(counts[b["skill"]] >= int(b["min_items"]) for b in blueprint)
