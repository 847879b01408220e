"""The number of answers waiting for the acting assessor, for the back-office navigation."""

from __future__ import annotations

from django import template

from microcred.organizations.models import Membership

register = template.Library()


@register.simple_tag
def marking_waiting(member: Membership) -> int:
    from microcred.backoffice.views.grading import waiting_count

    return waiting_count(member)
