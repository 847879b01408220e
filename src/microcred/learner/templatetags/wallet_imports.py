"""The "Imported from other issuers" section of "My credentials", rendered from the holder so
that the credentials page's view need not know about imports."""

from __future__ import annotations

from typing import Any

from django import template

from microcred.accounts.models import User
from microcred.learner.imports import section_context

register = template.Library()


@register.inclusion_tag("learner/imports/_section.html")
def imported_credentials(user: User) -> dict[str, Any]:
    return section_context(user)
