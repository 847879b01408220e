"""The database side of drawing a form: which item versions a rule may draw."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from microcred.exams import draw
from microcred.exams.models import Item, ItemStatus, ItemVersion


def _candidate(version: ItemVersion) -> draw.Candidate:
    return draw.Candidate(
        version_id=version.pk,
        item_id=version.item_id,
        kind=version.kind,
        skills=tuple(skill["name"] for skill in version.skills),
        interaction=version.interaction,
        max_score=version.max_score,
    )


def _matches(item: Item, rule: dict[str, Any]) -> bool:
    category = rule.get("category") or ""
    if category and not (item.category == category or item.category.startswith(category + "/")):
        return False
    if not set(rule.get("tags") or ()) <= set(item.tags):
        return False
    wanted = set(rule.get("skills") or ())
    version = item.current
    return not wanted or bool(wanted & {skill["name"] for skill in version.skills})


def draw_for(
    organization_id: int, config: dict[str, Any], *, seen: Counter[int], seed: str
) -> list[draw.Slot]:
    """Draw a form for an exam version's ``config`` (see :func:`microcred.exams.draw.draw_form`)."""
    pools: dict[str, list[draw.Candidate]] = {}

    def pool(rule: dict[str, Any]) -> list[draw.Candidate]:
        key = json.dumps(rule, sort_keys=True)
        if key not in pools:
            published = Item.objects.filter(
                organization_id=organization_id,
                bank_id=rule["bank"],
                status=ItemStatus.PUBLISHED,
                current__isnull=False,
            ).select_related("current")
            pools[key] = [_candidate(i.current) for i in published if _matches(i, rule)]
        return list(pools[key])

    # Every fixed rule's version in one query, not one per question.
    fixed_ids = [
        rule["item_version"]
        for section in config["sections"]
        for rule in section["rules"]
        if "item_version" in rule
    ]
    versions = ItemVersion.objects.filter(organization_id=organization_id).in_bulk(fixed_ids)

    def fixed(version_id: int) -> draw.Candidate:
        if version_id not in versions:
            raise draw.DrawError(f"question version {version_id} is gone")
        return _candidate(versions[version_id])

    return draw.draw_form(
        sections=config["sections"],
        blueprint=config.get("blueprint") or [],
        pool=pool,
        fixed=fixed,
        seen=seen,
        seed=seed,
        shuffle_items=bool(config.get("shuffle_items", True)),
    )
