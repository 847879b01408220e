"""Small builders shared by the back-office tests: URLs, form posts, upload files."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from microcred.achievements.models import Achievement, AchievementVersion
from microcred.core.models import AuditEntry
from microcred.organizations.models import Organization


def url(name: str, slug: str, *args: Any) -> str:
    return reverse(f"backoffice:{name}", args=[slug, *args])


def messages_of(response: HttpResponse) -> list[str]:
    """The flash messages queued by a (redirecting) response."""
    return [str(message) for message in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def text(response: HttpResponse) -> str:
    return response.content.decode()


def audit_actions(organization: Organization) -> list[str]:
    return list(
        AuditEntry.objects.filter(organization=organization)
        .order_by("id")
        .values_list("action", flat=True)
    )


def version(achievement: Achievement, number: int) -> AchievementVersion:
    return AchievementVersion.objects.get(achievement=achievement, number=number)


def query_count(client: Client, path: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(queries)


def formset(prefix: str, rows: Iterable[Mapping[str, Any]], *, initial: int = 0) -> dict[str, Any]:
    """POST data of a formset: the management form plus one block of fields per row."""
    rows = list(rows)
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


COMPLETE_FIELDS: dict[str, Any] = {
    "title": "Data Literacy",
    "short_description": "Reading, cleaning and charting data.",
    "scope": "The holder can clean a data set and chart it honestly.",
    "criteria": "Pass the final exam with at least 75 %.",
    "tags": "data, Charts, data",
    "validity_months": "24",
    "awarding_bodies": "Alpha Academy\nPartner Institute",
    "issuer_country": "DE",
    "issuer_region": "Berlin",
    "learning_outcomes": "Clean a data set\n\nChart a distribution",
    "workload_ects": "3",
    "workload_hours": "",
    "eqf_level": "5",
    "nqf_level": "",
    "assessment_type": "Online exam",
    "participation_form": "online",
    "quality_assurance": "Internal QA",
    "prerequisites": "",
    "supervision": "",
    "grade": "",
    "integration": "",
    "integration_details": "",
    "further_information": "",
}

SKILL_ROWS = [
    {
        "name": "Data cleaning",
        "framework_name": "ESCO",
        "framework_url": "http://data.europa.eu/esco/skill/clean",
        "code": "S5.1",
    },
    {"name": "Charting", "framework_name": "", "framework_url": "", "code": ""},
    {"name": "", "framework_name": "", "framework_url": "", "code": ""},
]

REQUIREMENT_ROWS = [
    {
        "kind": "exam_score",
        "exam_name": "Final exam",
        "min_score_percent": "75",
        "description": "",
        "prerequisite": "",
    },
    {"kind": "", "exam_name": "", "min_score_percent": "", "description": "", "prerequisite": ""},
]


def definition_post(
    *,
    skills: Iterable[Mapping[str, Any]] = SKILL_ROWS,
    requirements: Iterable[Mapping[str, Any]] = REQUIREMENT_ROWS,
    initial_skills: int = 0,
    initial_requirements: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """The create/edit form as a browser posts it: content, then both formsets."""
    data = {**COMPLETE_FIELDS, **fields}
    data.update(formset("skills", skills, initial=initial_skills))
    data.update(formset("requirements", requirements, initial=initial_requirements))
    return data


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 60))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
    b"<script>alert('owned')</script>"
    b'<rect width="10" height="10" fill="#1d4ed8"/></svg>'
)
