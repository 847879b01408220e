"""``{% load exam_text %}``: ``{{ version.stem|stem }}`` renders a question's text as HTML.

Stems are stored sanitised (``exams.services.banks``), but a value read back from the database
is a plain string and nothing proves where it came from (older rows were stored as plain text).
So the filter sanitises again — ammonia takes microseconds and the result is the same for an
already clean stem — and only a value this filter produced is passed through as it is.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from microcred.exams.richtext import sanitize_stem

register = template.Library()


class SanitisedStem(SafeString):
    """HTML that ``sanitize_stem`` produced: safe to insert into a page as it is."""


@register.filter(name="stem")
def stem(value: Any) -> SanitisedStem:
    if isinstance(value, SanitisedStem):
        return value
    return SanitisedStem(sanitize_stem("" if value is None else str(value)))
