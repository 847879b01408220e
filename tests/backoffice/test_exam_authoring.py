"""Back office: question banks, the item editor, imports and exports, exams and the preview.

Every new URL is checked for the success of an issuer, 404 for the other organization's
members, 403 for an assessor and a log-in redirect for anonymous visitors; nothing changes on
the way. The item editor is checked kind by kind against the JSON the exam services store.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from microcred.core.models import AuditEntry
from microcred.exams import items
from microcred.exams.models import (
    Accommodation,
    Exam,
    ExamVersion,
    Item,
    ItemStatus,
    ItemVersion,
    QuestionBank,
)
from microcred.exams.services import attempts, authoring, banks
from microcred.exams.services.attempts import Access
from tests.conftest import Org, World
from tests.exams.support import make_item, published_exam

from .helpers import formset, messages_of, text, url

# -- POST data builders ----------------------------------------------------------------------


def item_post(
    rows: list[dict[str, Any]] | None = None,
    skills: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "",
        "stem": "Which measure is robust?",
        "max_score": "2",
        "category": "statistics/basics",
        "tags": "week 1, Robust",
        "general_feedback": "Think about outliers.",
        **fields,
    }
    data.update(formset("rows", rows or []))
    data.update(formset("skills", skills or []))
    return data


SINGLE_ROWS = [
    {"key": "", "text": "Mean", "correct": "", "weight": "", "pinned": "", "feedback": ""},
    {"key": "", "text": "Median", "correct": "on", "weight": "", "pinned": "", "feedback": "Yes"},
    {"key": "", "text": "Trimmed mean", "weight": "50", "feedback": ""},
    {"key": "", "text": "None of these", "pinned": "on"},
    {"key": "", "text": "", "weight": "", "feedback": ""},
]

# kind -> (POST fields, expected interaction, expected scoring, expected choice feedback)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, str]]] = {
    items.SINGLE: (
        {"rows": SINGLE_ROWS, "shuffle": "on"},
        {
            "choices": [
                {"id": "A", "text": "Mean", "fixed": False},
                {"id": "B", "text": "Median", "fixed": False},
                {"id": "C", "text": "Trimmed mean", "fixed": False},
                {"id": "D", "text": "None of these", "fixed": True},
            ],
            "shuffle": True,
        },
        {"weights": {"B": 1.0, "C": 0.5}},
        {"B": "Yes"},
    ),
    items.MULTIPLE: (
        {
            "rows": [
                {"text": "Median", "correct": "on"},
                {"text": "Mean"},
                {"text": "IQR", "correct": "on", "feedback": "Robust spread."},
            ],
            "rule_multiple": "partial",
        },
        {
            "choices": [
                {"id": "A", "text": "Median", "fixed": False},
                {"id": "B", "text": "Mean", "fixed": False},
                {"id": "C", "text": "IQR", "fixed": False},
            ],
            "shuffle": False,
        },
        {"rule": "partial", "correct": ["A", "C"]},
        {"C": "Robust spread."},
    ),
    items.TRUE_FALSE: ({"true_false": "false"}, {}, {"correct": False}, {}),
    items.NUMERIC: (
        {
            "unit": "kg",
            "rows": [
                {"value": "3.10", "tolerance": "0.05", "fraction": "100"},
                {"minimum": "3", "maximum": "3.3", "fraction": "50"},
                {"value": "", "fraction": "100"},
            ],
        },
        {"unit": "kg"},
        {
            "answers": [
                {"value": "3.1", "tolerance": "0.05", "fraction": 1.0},
                {"min": "3", "max": "3.3", "fraction": 0.5},
            ]
        },
        {},
    ),
    items.SHORT_TEXT: (
        {
            "rows": [
                {"text": "t-test", "fraction": "100"},
                {"text": "t[- ]?test", "is_pattern": "on", "fraction": "80"},
            ],
            "case_sensitive": "on",
            "max_length": "100",
        },
        {"max_length": 100},
        {
            "answers": [
                {"text": "t-test", "fraction": 1.0},
                {"pattern": "t[- ]?test", "fraction": 0.8},
            ],
            "case_sensitive": True,
            "ignore_whitespace": False,
        },
        {},
    ),
    items.ORDERING: (
        {
            "rows": [{"text": "Collect"}, {"text": "Clean"}, {"text": "Chart"}],
            "rule_share": "all_or_nothing",
        },
        {
            "choices": [
                {"id": "A", "text": "Collect", "fixed": False},
                {"id": "B", "text": "Clean", "fixed": False},
                {"id": "C", "text": "Chart", "fixed": False},
            ],
            "shuffle": True,
        },
        {"order": ["A", "B", "C"], "rule": "all_or_nothing"},
        {},
    ),
    items.MATCHING: (
        {
            "rows": [
                {"premise": "mean", "response": "average"},
                {"premise": "median", "response": "middle"},
                {"premise": "arithmetic mean", "response": "average"},
                {"premise": "", "response": "spread"},
            ],
            "rule_share": "partial",
        },
        {
            "premises": [
                {"id": "A", "text": "mean", "fixed": False},
                {"id": "B", "text": "median", "fixed": False},
                {"id": "C", "text": "arithmetic mean", "fixed": False},
            ],
            "responses": [
                {"id": "A", "text": "average", "fixed": False},
                {"id": "B", "text": "middle", "fixed": False},
                {"id": "C", "text": "spread", "fixed": False},
            ],
            "shuffle": True,
        },
        {"pairs": {"A": "A", "B": "B", "C": "A"}, "rule": "partial"},
        {},
    ),
    items.ESSAY: ({"expected_lines": "15"}, {"expected_lines": 15}, {"rubric": None}, {}),
    items.FILE: (
        {"accept": ".PDF, zip", "max_mb": "5"},
        {"accept": [".pdf", ".zip"], "max_mb": 5},
        {"rubric": None},
        {},
    ),
}


def post_for(kind: str, **overrides: Any) -> dict[str, Any]:
    fields = dict(CASES[kind][0])
    fields.update(overrides)
    return item_post(skills=[{"name": "Statistics", "weight": "2"}], **fields)


SETTINGS_POST = {
    "title": "Final exam",
    "instructions": "Calculators allowed.",
    "achievement": "",
    "time_limit_minutes": "30",
    "open_at": "",
    "close_at": "",
    "max_attempts": "3",
    "cooldown_minutes": "10",
    "pass_mark_percent": "60",
    "grading_method": "highest",
    "navigation": "free",
    "shuffle_items": "on",
    "review_after_submit": "score",
    "review_after_close": "responses",
    "ip_ranges": "",
    "seb_config_keys": "",
}


def sections_post(
    sections: list[dict[str, Any]], rules: list[dict[str, Any]], blueprint: list[dict[str, Any]]
) -> dict[str, Any]:
    empty_rule = {"section": "", "item": "", "bank": "", "count": "", "tags": "", "skills": ""}
    data = formset("sections", sections)
    data.update(formset("rules", [{**empty_rule, "category": "", **r} for r in rules]))
    data.update(formset("blueprint", blueprint))
    return data


GIFT = b"""// two questions and a broken one
::Addition:: What is 2+2? {=four ~three ~five}

::Flat earth:: The earth is flat. {F}

::Broken:: Pick one {=a ~b ~c ~}
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="truefalse"><name><text>&lol4;</text></name></question></quiz>
"""


def upload(name: str = "questions.gift", content: bytes = GIFT) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# -- the access matrix -----------------------------------------------------------------------


@dataclass
class Objects:
    bank: QuestionBank
    item: Item
    exam: Exam


def _objects(org: Org) -> Objects:
    exam = published_exam(org.issuer, title=f"{org.organization.name} exam")
    bank = QuestionBank.objects.get(organization=org.organization)
    item = Item.objects.filter(bank=bank, current__kind=items.SINGLE).get()
    return Objects(bank, item, exam)


@pytest.fixture
def scene(world: World) -> dict[str, Objects]:
    return {"a": _objects(world.a), "b": _objects(world.b)}


def _args(target: str | None, objects: Objects) -> list[Any]:
    if target == "bank":
        return [objects.bank.pk]
    if target == "bank+kind":
        return [objects.bank.pk, items.SINGLE]
    if target == "item":
        return [objects.item.pk]
    if target == "exam":
        return [objects.exam.pk]
    return []


def _data(name: str, objects: Objects) -> dict[str, Any]:
    """A valid POST for the URL, so that a missing check would show as a change."""
    if name == "banks":
        return {"name": "Hijacked", "description": ""}
    if name in ("item_create", "item_edit"):
        return post_for(items.SINGLE, stem="Hijacked")
    if name == "item_status":
        return {"status": "retired"}
    if name == "bank_import":
        return {"file": upload(), "format": "auto", "step": "preview"}
    if name in ("exam_create", "exam_edit"):
        return {**SETTINGS_POST, "title": "Hijacked"}
    if name == "exam_questions":
        return sections_post(
            [{"title": "Hijacked", "shuffle": "on"}],
            [{"section": "1", "item": objects.item.pk}],
            [],
        )
    if name == "exam_access_code":
        return {"access_code": "hijacked"}
    if name == "exam_accommodations":
        return {
            "candidate_email": "learner@example.test",
            "time_multiplier": "2",
            "extra_minutes": "30",
            "note": "",
        }
    return {}


ROUTES = [
    ("banks", None, "get"),
    ("banks", None, "post"),
    ("bank", "bank", "get"),
    ("item_create", "bank+kind", "get"),
    ("item_create", "bank+kind", "post"),
    ("bank_import", "bank", "get"),
    ("bank_import", "bank", "post"),
    ("bank_export", "bank", "get"),
    ("item", "item", "get"),
    ("item_edit", "item", "get"),
    ("item_edit", "item", "post"),
    ("item_status", "item", "post"),
    ("exams", None, "get"),
    ("exam_create", None, "get"),
    ("exam_create", None, "post"),
    ("exam", "exam", "get"),
    ("exam_edit", "exam", "get"),
    ("exam_edit", "exam", "post"),
    ("exam_questions", "exam", "get"),
    ("exam_questions", "exam", "post"),
    ("exam_access_code", "exam", "post"),
    ("exam_publish", "exam", "post"),
    ("exam_archive", "exam", "post"),
    ("exam_accommodations", "exam", "get"),
    ("exam_accommodations", "exam", "post"),
    ("exam_preview", "exam", "get"),
    ("exam_export", "exam", "get"),
]
ROUTES_WITH_IDS = [route for route in ROUTES if route[1] is not None]
POST_ONLY = {"item_status", "exam_access_code", "exam_publish", "exam_archive"}


def _route_id(route: tuple[str, str | None, str]) -> str:
    return f"{route[2].upper()} {route[0]}"


def _request(client: Client, method: str, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data) if method == "post" else client.get(path)


def _snapshot() -> tuple[Any, ...]:
    return (
        AuditEntry.objects.count(),
        list(QuestionBank.objects.order_by("pk").values_list("pk", "name")),
        list(Item.objects.order_by("pk").values_list("pk", "status", "current_id")),
        list(ItemVersion.objects.order_by("pk").values_list("pk", "stem")),
        list(
            Exam.objects.order_by("pk").values_list(
                "pk", "title", "status", "access_code_hash", "sections"
            )
        ),
        ExamVersion.objects.count(),
        Accommodation.objects.count(),
    )


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_issuer_of_the_organization_succeeds(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    response = _request(
        login(world.a.issuer.user),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )
    assert response.status_code in ({200, 302} if method == "post" else {200})
    if method == "get" and not name.endswith("export"):
        assert world.a.organization.name in text(response)


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
@pytest.mark.parametrize("role", ["owner", "issuer"])
def test_member_of_the_other_organization_gets_404(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    role: str,
) -> None:
    name, target, method = route
    before = _snapshot()
    response = _request(
        login(world.b.member(role).user),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=_route_id)
def test_object_of_the_other_organization_through_own_address_gets_404(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    before = _snapshot()
    response = _request(
        login(world.b.issuer.user),
        method,
        url(name, world.b.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_assessor_gets_403(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    before = _snapshot()
    response = _request(
        login(world.a.assessor.user),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )
    assert response.status_code == 403
    assert "Your role (Assessor) does not allow this." in text(response)
    assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
@pytest.mark.parametrize("who", ["stranger", "learner"])
def test_user_without_membership_gets_404(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    who: str,
) -> None:
    name, target, method = route
    before = _snapshot()
    response = _request(
        login(getattr(world, who)),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_anonymous_visitor_is_sent_to_log_in(
    world: World, scene: dict[str, Objects], route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    path = url(name, world.a.slug, *_args(target, scene["a"]))
    before = _snapshot()
    response = _request(Client(), method, path, _data(name, scene["a"]))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    assert _snapshot() == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r[0] in POST_ONLY], ids=_route_id)
def test_actions_refuse_get(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, _ = route
    before = _snapshot()
    response = login(world.a.owner.user).get(url(name, world.a.slug, *_args(target, scene["a"])))
    assert response.status_code == 405
    assert _snapshot() == before


def test_navigation_shows_exam_entries_to_authors_only(world: World, login: Any) -> None:
    page = text(login(world.a.issuer.user).get(url("dashboard", world.a.slug)))
    assert url("exams", world.a.slug) in page
    assert url("banks", world.a.slug) in page
    page = text(login(world.a.assessor.user).get(url("dashboard", world.a.slug)))
    assert url("exams", world.a.slug) not in page


# -- banks and the item editor ---------------------------------------------------------------


@pytest.fixture
def bank(world: World) -> QuestionBank:
    return banks.create_bank(member=world.a.issuer, name="Statistics")


def test_create_a_bank(world: World, login: Any) -> None:
    client = login(world.a.issuer.user)
    response = client.post(
        url("banks", world.a.slug), {"name": "  Data   literacy ", "description": ""}
    )
    created = QuestionBank.objects.get(organization=world.a.organization)
    assert response.status_code == 302
    assert response["Location"] == url("bank", world.a.slug, created.pk)
    assert created.name == "Data literacy"
    again = client.post(url("banks", world.a.slug), {"name": "Data literacy"})
    assert again.status_code == 400
    assert "A bank with this name exists already." in text(again)
    assert QuestionBank.objects.count() == 1


@pytest.mark.parametrize("kind", items.KINDS)
def test_create_an_item_of_each_kind_through_the_form(
    world: World, login: Any, bank: QuestionBank, kind: str
) -> None:
    client = login(world.a.issuer.user)
    page = client.get(url("item_create", world.a.slug, bank.pk, kind))
    assert page.status_code == 200
    assert items.KIND_LABELS[kind].lower() in text(page).lower()

    response = client.post(url("item_create", world.a.slug, bank.pk, kind), post_for(kind))

    assert response.status_code == 302, text(response)
    item = Item.objects.get(bank=bank)
    version = item.current
    _, interaction, scoring, choice_feedback = CASES[kind]
    assert version.kind == kind
    assert version.interaction == interaction
    assert version.scoring == scoring
    assert version.feedback == {"general": "Think about outliers.", "choices": choice_feedback}
    assert version.stem == "Which measure is robust?"
    assert version.title == "Which measure is robust?"
    assert str(version.max_score) == "2.00"
    assert version.skills == [{"name": "Statistics", "weight": 2.0}]
    assert item.category == "statistics/basics"
    assert item.tags == ["Robust", "week 1"]
    assert item.status == ItemStatus.DRAFT
    assert response["Location"] == url("item", world.a.slug, item.pk)


@pytest.mark.parametrize("kind", items.KINDS)
def test_the_edit_form_round_trips_every_kind(
    world: World, login: Any, bank: QuestionBank, kind: str
) -> None:
    """Opening a question and saving it unchanged stores the same content."""
    client = login(world.a.issuer.user)
    client.post(url("item_create", world.a.slug, bank.pk, kind), post_for(kind))
    item = Item.objects.get(bank=bank)
    before = ItemVersion.objects.values("interaction", "scoring", "feedback", "skills").get()
    form = client.get(url("item_edit", world.a.slug, item.pk)).context
    editor = form["editor"]
    data: dict[str, Any] = {}
    for bound_form in [
        editor.form,
        *(editor.rows.forms if editor.rows else []),
        *editor.skills.forms,
    ]:
        for field in bound_form:
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list):
                data[field.html_name] = ", ".join(value)
            elif value is not None:
                data[field.html_name] = str(value)
    for rowset in filter(None, [editor.rows, editor.skills]):
        for field in rowset.management_form:
            data[field.html_name] = field.value()

    response = client.post(url("item_edit", world.a.slug, item.pk), data)

    assert response.status_code == 302, text(response)
    assert ItemVersion.objects.count() == 1
    assert (
        ItemVersion.objects.values("interaction", "scoring", "feedback", "skills").get() == before
    )


def test_save_and_publish(world: World, login: Any, bank: QuestionBank) -> None:
    client = login(world.a.issuer.user)
    client.post(
        url("item_create", world.a.slug, bank.pk, items.TRUE_FALSE),
        {**post_for(items.TRUE_FALSE), "publish": "1"},
    )
    assert Item.objects.get().status == ItemStatus.PUBLISHED


@pytest.mark.parametrize(
    ("kind", "overrides", "message"),
    [
        (items.SINGLE, {"rows": [{"text": "a"}, {"text": "b"}]}, "Tick the correct choice."),
        (
            items.SINGLE,
            {"rows": [{"text": "a", "correct": "on"}, {"text": "b", "correct": "on"}]},
            "A single-choice question has one correct choice",
        ),
        (items.SINGLE, {"rows": [{"text": "a", "correct": "on"}]}, "Enter at least two choices."),
        (
            items.SINGLE,
            {"rows": [{"text": "a", "correct": "on"}, {"text": "", "feedback": "orphan"}]},
            "Enter the choice text, or clear this row.",
        ),
        (
            items.MULTIPLE,
            {
                "rule_multiple": "weights",
                "rows": [{"text": "a", "weight": "50"}, {"text": "b", "weight": "20"}],
            },
            "the positive weights must add up to 100 %",
        ),
        (
            items.NUMERIC,
            {"rows": [{"value": "3", "minimum": "1", "maximum": "4"}]},
            "Give either a value (± tolerance) or a range, not both.",
        ),
        (
            items.NUMERIC,
            {"rows": [{"value": "3", "fraction": "50"}]},
            "One accepted answer must earn full credit (100 %).",
        ),
        (
            items.SHORT_TEXT,
            {"rows": [{"text": "t(est", "is_pattern": "on", "fraction": "100"}]},
            "This is not a valid regular expression",
        ),
        (
            items.MATCHING,
            {"rows": [{"premise": "a", "response": ""}, {"premise": "b", "response": "x"}]},
            "Enter what this premise matches.",
        ),
        (items.FILE, {"accept": "pdf, .exe!"}, "is not a file extension"),
        (items.SINGLE, {"max_score": "0"}, "greater than or equal to 0.01"),
        (items.SINGLE, {"stem": "   "}, "This field is required."),
        (items.TRUE_FALSE, {"true_false": ""}, "This field is required."),
    ],
)
def test_precise_errors_leave_nothing_stored(
    world: World, login: Any, bank: QuestionBank, kind: str, overrides: dict[str, Any], message: str
) -> None:
    before = _snapshot()
    response = login(world.a.issuer.user).post(
        url("item_create", world.a.slug, bank.pk, kind), post_for(kind, **overrides)
    )
    assert response.status_code == 400
    assert "Nothing was saved." in text(response)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert _snapshot() == before


def test_skill_weight_errors_are_shown_next_to_the_skills(
    world: World, login: Any, bank: QuestionBank
) -> None:
    data = post_for(items.TRUE_FALSE)
    data.update(formset("skills", [{"name": "Statistics", "weight": "0"}]))
    response = login(world.a.issuer.user).post(
        url("item_create", world.a.slug, bank.pk, items.TRUE_FALSE), data
    )
    assert response.status_code == 400
    assert not Item.objects.exists()


def test_more_rows_adds_blank_rows_and_saves_nothing(
    world: World, login: Any, bank: QuestionBank
) -> None:
    data = {**post_for(items.SINGLE), "more_rows": "1"}
    response = login(world.a.issuer.user).post(
        url("item_create", world.a.slug, bank.pk, items.SINGLE), data
    )
    assert response.status_code == 200
    assert response.context["editor"].rows.total_form_count() == len(SINGLE_ROWS) + 3
    assert not Item.objects.exists()


def test_unknown_kind_is_404(world: World, login: Any, bank: QuestionBank) -> None:
    response = login(world.a.issuer.user).get(url("item_create", world.a.slug, bank.pk, "poll"))
    assert response.status_code == 404


def test_editing_an_unused_item_changes_it_in_place(
    world: World, login: Any, bank: QuestionBank
) -> None:
    item = make_item(world.a.issuer, bank, items.SINGLE)
    client = login(world.a.issuer.user)
    page = client.get(url("item_edit", world.a.slug, item.pk))
    assert "Saving creates version" not in text(page)
    response = client.post(
        url("item_edit", world.a.slug, item.pk), post_for(items.SINGLE, stem="Reworded")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.versions.count() == 1
    assert item.current.stem == "Reworded"


def test_editing_a_used_item_creates_a_new_version_and_says_so(world: World, login: Any) -> None:
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    attempts.start_attempt(candidate=world.learner, exam=exam, access=Access())
    item = Item.objects.get(organization=world.a.organization)
    client = login(world.a.issuer.user)

    assert "Editing creates version 2" in text(client.get(url("item", world.a.slug, item.pk)))
    page = client.get(url("item_edit", world.a.slug, item.pk))
    assert "Saving creates version 2" in text(page)
    # The form keeps the item's own choice ids.
    assert [f["key"].value() for f in page.context["editor"].rows.forms[:4]] == ["A", "B", "C", "N"]

    response = client.post(
        url("item_edit", world.a.slug, item.pk), post_for(items.SINGLE, stem="Reworded")
    )

    assert response.status_code == 302
    assert "Saved as version 2" in messages_of(response)[0]
    item.refresh_from_db()
    assert [v.number for v in item.versions.order_by("number")] == [1, 2]
    assert item.current.number == 2
    history = text(client.get(url("item", world.a.slug, item.pk)))
    assert "Version 1" in history
    assert "Version 2" in history


def test_publish_and_retire(world: World, login: Any, bank: QuestionBank) -> None:
    item = banks.create_item(
        member=world.a.issuer, bank=bank, content={"kind": "essay", "stem": "Explain."}
    )
    client = login(world.a.issuer.user)
    client.post(url("item_status", world.a.slug, item.pk), {"status": "published"})
    item.refresh_from_db()
    assert item.status == ItemStatus.PUBLISHED
    client.post(url("item_status", world.a.slug, item.pk), {"status": "retired"})
    item.refresh_from_db()
    assert item.status == ItemStatus.RETIRED
    response = client.post(url("item_status", world.a.slug, item.pk), {"status": "published"})
    assert "A retired question stays retired" in messages_of(response)[-1]
    edit = client.get(url("item_edit", world.a.slug, item.pk))
    assert edit.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.RETIRED


def test_bank_detail_lists_and_filters_items(world: World, login: Any, bank: QuestionBank) -> None:
    make_item(world.a.issuer, bank, items.SINGLE, tags=["Week 1"], category="basics")
    make_item(world.a.issuer, bank, items.ESSAY)
    banks.create_item(
        member=world.a.issuer,
        bank=bank,
        content={"kind": "true_false", "stem": "Drafty", "scoring": {"correct": True}},
    )
    client = login(world.a.issuer.user)
    page = text(client.get(url("bank", world.a.slug, bank.pk)))
    assert "3 questions" in page
    assert "Week 1" in page
    assert "basics" in page
    assert "Single choice" in page

    path = url("bank", world.a.slug, bank.pk)
    partial = client.get(path, {"kind": "essay"}, headers={"HX-Request": "true"})
    assert "<html" not in text(partial)
    assert "1 question" in text(partial)
    assert "Explain a p-value." in text(partial)
    assert "1 question" in text(client.get(path, {"status": "draft"}))
    assert "1 question" in text(client.get(path, {"tag": "week 1"}))
    assert "0 questions" in text(client.get(path, {"tag": "week 2"}))
    assert "3 questions" in text(client.get(path, {"kind": "bogus"}))


# -- import and export -----------------------------------------------------------------------


def test_gift_import_preview_then_confirm(world: World, login: Any, bank: QuestionBank) -> None:
    client = login(world.a.issuer.user)
    path = url("bank_import", world.a.slug, bank.pk)
    assert client.get(path).status_code == 200

    preview = client.post(path, {"file": upload(), "format": "auto", "step": "preview"})

    assert preview.status_code == 200
    page = text(preview)
    assert "<strong>2</strong> questions will be imported" in page
    assert "Addition" in page
    assert "Flat earth" in page
    assert "line 6" in page
    assert "choices entry 4 text is empty" in page
    assert not Item.objects.exists()  # nothing stored before the confirmation

    token = preview.context["pending"]["token"]
    # A forged or stale token imports nothing.
    stale = client.post(path, {"step": "confirm", "token": "forged"})
    assert "expired" in messages_of(stale)[0]
    assert not Item.objects.exists()

    done = client.post(path, {"step": "confirm", "token": token})

    assert done.status_code == 302
    assert done["Location"] == url("bank", world.a.slug, bank.pk)
    assert messages_of(done)[-1] == "2 questions imported; 1 skipped."
    stored = Item.objects.filter(bank=bank).select_related("current").order_by("id")
    assert [(i.current.title, i.current.kind, i.status) for i in stored] == [
        ("Addition", "single", "draft"),
        ("Flat earth", "true_false", "draft"),
    ]
    # The preview is used up.
    again = client.post(path, {"step": "confirm", "token": token})
    assert "expired" in messages_of(again)[-1]
    assert Item.objects.count() == 2


def test_import_of_a_large_file_needs_the_same_file_again(
    world: World, login: Any, bank: QuestionBank, settings: Any, monkeypatch: Any
) -> None:
    from microcred.backoffice.views import banks as bank_views

    monkeypatch.setattr(bank_views, "KEEP_IN_SESSION_BYTES", 10)
    client = login(world.a.issuer.user)
    path = url("bank_import", world.a.slug, bank.pk)
    preview = client.post(path, {"file": upload(), "format": "gift", "publish": "on"})
    assert "Choose questions.gift again to confirm" in text(preview)
    token = preview.context["pending"]["token"]
    other = client.post(
        path, {"step": "confirm", "token": token, "file": upload(content=GIFT + b"\n")}
    )
    assert messages_of(other) == ["Choose the same file you previewed."]
    assert not Item.objects.exists()
    done = client.post(path, {"step": "confirm", "token": token, "file": upload()})
    assert done.status_code == 302
    assert set(Item.objects.values_list("status", flat=True)) == {ItemStatus.PUBLISHED}


def test_billion_laughs_is_refused_with_a_message(
    world: World, login: Any, bank: QuestionBank
) -> None:
    before = _snapshot()
    response = login(world.a.issuer.user).post(
        url("bank_import", world.a.slug, bank.pk),
        {"file": upload("quiz.xml", BILLION_LAUGHS), "format": "auto"},
    )
    assert response.status_code == 400
    assert "The file cannot be imported" in text(response)
    assert "DTDs and entities are not allowed" in text(response)
    assert "lollollol" not in text(response)
    assert _snapshot() == before


def test_a_file_in_the_wrong_format_is_refused(
    world: World, login: Any, bank: QuestionBank
) -> None:
    response = login(world.a.issuer.user).post(
        url("bank_import", world.a.slug, bank.pk),
        {"file": upload("notes.txt", b"just some words\n"), "format": "gift"},
    )
    assert response.status_code == 400
    assert "no questions found" in text(response)


def test_format_detection() -> None:
    from microcred.backoffice.views.banks import detect_format

    assert detect_format("a.zip", b"PK\x03\x04rest") == "qti"
    assert detect_format("a.xml", b"<?xml version='1.0'?><quiz></quiz>") == "moodlexml"
    assert detect_format("a.xml", b"<qti-assessment-item/>") == "qti"
    assert detect_format("a.txt", b"What?\nA. x\nB. y\nANSWER: A\n") == "aiken"
    assert detect_format("a.txt", b"::Q:: What? {=x ~y}") == "gift"


def _zip_names(response: Any) -> list[str]:
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.namelist()


def test_bank_export_is_a_qti_zip(world: World, login: Any, bank: QuestionBank) -> None:
    for kind in items.KINDS:
        make_item(world.a.issuer, bank, kind)
    response = login(world.a.issuer.user).get(url("bank_export", world.a.slug, bank.pk))
    assert response.status_code == 200
    names = _zip_names(response)
    assert "imsmanifest.xml" in names
    assert len([n for n in names if n.startswith("items/")]) == len(items.KINDS)


def test_exam_export_holds_its_fixed_questions(world: World, login: Any) -> None:
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE, items.NUMERIC))
    response = login(world.a.issuer.user).get(url("exam_export", world.a.slug, exam.pk))
    names = _zip_names(response)
    assert "imsmanifest.xml" in names
    assert len([n for n in names if n.startswith("items/")]) == 2


def test_export_of_an_empty_bank_says_so(world: World, login: Any, bank: QuestionBank) -> None:
    response = login(world.a.issuer.user).get(url("bank_export", world.a.slug, bank.pk))
    assert response.status_code == 302
    assert messages_of(response) == ["This bank has no questions to export."]


# -- exams -----------------------------------------------------------------------------------


def test_create_an_exam_and_edit_its_settings(world: World, login: Any) -> None:
    from tests.conftest import publish_achievement

    achievement = publish_achievement(world.a.issuer)
    client = login(world.a.issuer.user)
    assert client.get(url("exam_create", world.a.slug)).status_code == 200
    response = client.post(
        url("exam_create", world.a.slug), {**SETTINGS_POST, "achievement": achievement.pk}
    )
    exam = Exam.objects.get(organization=world.a.organization)
    assert response["Location"] == url("exam_questions", world.a.slug, exam.pk)
    assert (exam.title, exam.time_limit_minutes, exam.max_attempts) == ("Final exam", 30, 3)
    assert exam.achievement_id == achievement.pk
    assert str(exam.pass_mark_percent) == "60.00"

    changes = {
        "open_at": "2030-01-01T09:00",
        "close_at": "2030-01-01T12:00",
        "ip_ranges": "192.0.2.0/24\n2001:db8::/32",
        "seb_config_keys": "a" * 64,
        "navigation": "linear",
    }
    # The definition's requirement names the exam: renaming it is refused on the title field.
    renamed = {**SETTINGS_POST, **changes, "title": "Final exam 2"}
    response = client.post(url("exam_edit", world.a.slug, exam.pk), renamed)
    assert response.status_code == 400
    assert "name this exam by its title" in text(response)
    exam.refresh_from_db()
    assert (exam.title, exam.navigation) == ("Final exam", "free")
    response = client.post(url("exam_edit", world.a.slug, exam.pk), {**SETTINGS_POST, **changes})
    assert response.status_code == 302
    exam.refresh_from_db()
    assert exam.title == "Final exam"
    assert exam.ip_ranges == ["192.0.2.0/24", "2001:db8::/32"]
    assert exam.seb_config_keys == ["a" * 64]
    assert exam.navigation == "linear"
    assert exam.open_at is not None
    assert exam.open_at < exam.close_at
    # The form shows the stored settings.
    page = text(client.get(url("exam_edit", world.a.slug, exam.pk)))
    assert "2030-01-01T09:00" in page
    assert "192.0.2.0/24" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ip_ranges": "not-an-ip"}, "is not an IP address or range"),
        ({"seb_config_keys": "abc"}, "A Safe Exam Browser config key is 64 hexadecimal"),
        (
            {"open_at": "2030-01-02T09:00", "close_at": "2030-01-01T09:00"},
            "The exam must open before it closes.",
        ),
        ({"pass_mark_percent": "120"}, "less than or equal to 100"),
        ({"title": ""}, "This field is required."),
    ],
)
def test_settings_errors_change_nothing(
    world: World, login: Any, fields: dict[str, str], message: str
) -> None:
    exam = authoring.create_exam(member=world.a.issuer, title="Draft exam")
    before = _snapshot()
    response = login(world.a.issuer.user).post(
        url("exam_edit", world.a.slug, exam.pk), {**SETTINGS_POST, **fields}
    )
    assert response.status_code == 400
    assert message in text(response).replace("&#x27;", "'")
    assert _snapshot() == before


@pytest.fixture
def pools(world: World) -> dict[str, Any]:
    """A bank of three published single-choice questions and one fixed essay."""
    member = world.a.issuer
    pool = banks.create_bank(member=member, name="Pool")
    drawn = [
        make_item(member, pool, items.SINGLE, tags=["core"], content={"stem": f"Pool question {n}"})
        for n in range(3)
    ]
    fixed_bank = banks.create_bank(member=member, name="Fixed")
    essay = make_item(member, fixed_bank, items.ESSAY)
    exam = authoring.create_exam(member=member, title="Final exam")
    return {"pool": pool, "drawn": drawn, "essay": essay, "exam": exam}


def test_sections_editor_stores_sections_rules_and_blueprint(
    world: World, login: Any, pools: dict[str, Any]
) -> None:
    exam = pools["exam"]
    client = login(world.a.issuer.user)
    assert client.get(url("exam_questions", world.a.slug, exam.pk)).status_code == 200
    data = sections_post(
        [{"title": "Basics", "shuffle": "on"}, {"title": "Writing"}, {"title": ""}],
        [
            {"section": "1", "bank": pools["pool"].pk, "count": "2", "tags": "core"},
            {"section": "2", "item": pools["essay"].pk},
            {"section": ""},
        ],
        [{"skill": "Statistics", "min_items": "1"}, {"skill": "", "min_items": ""}],
    )

    response = client.post(url("exam_questions", world.a.slug, exam.pk), data)

    assert response.status_code == 302, text(response)
    exam.refresh_from_db()
    assert exam.sections == [
        {
            "title": "Basics",
            "shuffle": True,
            "rules": [
                {
                    "bank": pools["pool"].pk,
                    "count": 2,
                    "tags": ["core"],
                    "skills": [],
                    "category": "",
                }
            ],
        },
        {"title": "Writing", "shuffle": False, "rules": [{"item": pools["essay"].pk}]},
    ]
    assert exam.blueprint == [{"skill": "Statistics", "min_items": 1}]
    # The editor reopens with what is stored.
    page = client.get(url("exam_questions", world.a.slug, exam.pk))
    assert page.context["rules"].forms[0]["bank"].value() == pools["pool"].pk
    detail = text(client.get(url("exam", world.a.slug, exam.pk)))
    assert "Draw 2 from “Pool” tagged core" in detail
    assert "At least 1 on Statistics" in detail


@pytest.mark.parametrize(
    ("sections", "rules", "message"),
    [
        ([{"title": "A"}], [{"section": "2", "item": "ITEM"}], "Rule 1 names section 2"),
        ([{"title": "A"}], [{"section": "1", "bank": "BANK"}], "Say how many questions to draw."),
        (
            [{"title": "A"}],
            [{"section": "1", "item": "ITEM", "bank": "BANK", "count": "1"}],
            "not both",
        ),
        ([{"title": "A"}], [], "Section 1 has no questions"),
        ([{"title": ""}], [], "An exam has 1 to 50 sections."),
    ],
)
def test_sections_errors_change_nothing(
    world: World,
    login: Any,
    pools: dict[str, Any],
    sections: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    message: str,
) -> None:
    swap = {"ITEM": pools["essay"].pk, "BANK": pools["pool"].pk}
    rules = [{k: swap.get(v, v) for k, v in rule.items()} for rule in rules]
    before = _snapshot()
    response = login(world.a.issuer.user).post(
        url("exam_questions", world.a.slug, pools["exam"].pk), sections_post(sections, rules, [])
    )
    assert response.status_code == 400
    assert "Nothing was saved." in text(response)
    assert message in text(response)
    assert _snapshot() == before


def test_sections_editor_refuses_another_organizations_question(
    world: World, login: Any, pools: dict[str, Any]
) -> None:
    foreign = make_item(world.b.issuer, banks.create_bank(member=world.b.issuer, name="B"), "essay")
    before = _snapshot()
    response = login(world.a.issuer.user).post(
        url("exam_questions", world.a.slug, pools["exam"].pk),
        sections_post([{"title": "A"}], [{"section": "1", "item": foreign.pk}], []),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    assert _snapshot() == before


def test_publish_errors_are_shown(world: World, login: Any, pools: dict[str, Any]) -> None:
    exam = pools["exam"]
    client = login(world.a.issuer.user)
    response = client.post(url("exam_publish", world.a.slug, exam.pk), follow=True)
    assert "Not published. Add at least one section with questions before publishing." in text(
        response
    )
    authoring.update_exam(
        member=world.a.issuer,
        exam=exam,
        sections=[{"title": "All", "rules": [{"bank": pools["pool"].pk, "count": 4}]}],
    )

    response = client.post(url("exam_publish", world.a.slug, exam.pk), follow=True)

    assert "Not published. The exam cannot be assembled" in text(response)
    assert "asks for 4 questions from a pool of 3" in text(response)
    assert not ExamVersion.objects.exists()


def test_publish_then_archive(world: World, login: Any, pools: dict[str, Any]) -> None:
    exam = pools["exam"]
    authoring.update_exam(
        member=world.a.issuer,
        exam=exam,
        sections=[{"title": "All", "rules": [{"bank": pools["pool"].pk, "count": 3}]}],
    )
    client = login(world.a.issuer.user)
    response = client.post(url("exam_publish", world.a.slug, exam.pk), follow=True)
    assert "Version 1 published" in text(response)
    assert "Version 1</strong>" in text(response)
    client.post(url("exam_archive", world.a.slug, exam.pk))
    exam.refresh_from_db()
    assert exam.status == "archived"
    response = client.post(url("exam_publish", world.a.slug, exam.pk), follow=True)
    assert "An archived exam cannot be published." in text(response)


def test_access_code_is_set_and_removed_and_never_shown(
    world: World, login: Any, pools: dict[str, Any]
) -> None:
    exam = pools["exam"]
    client = login(world.a.issuer.user)
    client.post(url("exam_access_code", world.a.slug, exam.pk), {"access_code": "opensesame"})
    exam.refresh_from_db()
    assert exam.access_code_hash
    assert "opensesame" not in exam.access_code_hash
    page = text(client.get(url("exam", world.a.slug, exam.pk)))
    assert "Candidates need a code to start" in page
    assert exam.access_code_hash not in page
    assert "opensesame" not in page
    short = client.post(url("exam_access_code", world.a.slug, exam.pk), {"access_code": "abc"})
    assert messages_of(short) == ["An access code has 4 to 100 characters."]
    client.post(url("exam_access_code", world.a.slug, exam.pk), {"remove": "1"})
    exam.refresh_from_db()
    assert exam.access_code_hash == ""


def test_accommodations_are_granted_and_listed(
    world: World, login: Any, pools: dict[str, Any]
) -> None:
    exam = pools["exam"]
    client = login(world.a.issuer.user)
    path = url("exam_accommodations", world.a.slug, exam.pk)
    response = client.post(
        path,
        {
            "candidate_email": "Learner@Example.test",
            "time_multiplier": "1.5",
            "extra_minutes": "10",
            "note": "Dyslexia",
        },
    )
    assert response.status_code == 302
    accommodation = Accommodation.objects.get()
    assert accommodation.exam_id == exam.pk
    assert str(accommodation.time_multiplier) == "1.50"
    page = text(client.get(path))
    assert "learner@example.test" in page
    assert "× 1.50 + 10 min" in page

    unknown = client.post(
        path,
        {"candidate_email": "nobody@example.test", "time_multiplier": "1", "extra_minutes": "0"},
    )
    assert unknown.status_code == 400
    assert "No account has this e-mail address." in text(unknown)
    assert Accommodation.objects.count() == 1


def test_preview_shows_the_questions_without_the_answer_key(
    world: World, login: Any, pools: dict[str, Any]
) -> None:
    member = world.a.issuer
    fixed = make_item(
        member,
        pools["pool"],
        items.SINGLE,
        content={"feedback": {"general": "SECRET-GENERAL", "choices": {"B": "SECRET-B"}}},
    )
    draft = banks.create_item(
        member=member,
        bank=pools["pool"],
        content={
            "kind": "matching",
            "stem": "Match the terms.",
            "interaction": {
                "premises": [{"id": "A", "text": "mean"}, {"id": "B", "text": "median"}],
                "responses": [{"id": "A", "text": "average"}, {"id": "B", "text": "middle"}],
            },
            "scoring": {"pairs": {"A": "A", "B": "B"}},
        },
    )
    exam = authoring.update_exam(
        member=member,
        exam=pools["exam"],
        sections=[
            {"title": "Fixed part", "rules": [{"item": fixed.pk}, {"item": draft.pk}]},
            {
                "title": "Drawn part",
                "rules": [{"bank": pools["pool"].pk, "count": 2, "tags": ["core"]}],
            },
        ],
    )
    client = login(world.a.issuer.user)

    response = client.get(url("exam_preview", world.a.slug, exam.pk))

    assert response.status_code == 200
    page = text(response)
    for choice in ("Alpha", "Beta", "Gamma", "None of the above", "average", "middle"):
        assert choice in page
    assert "Fixed part" in page
    assert "Drawn part" in page
    assert page.count("Pool question") == 2
    for secret in ("SECRET-GENERAL", "SECRET-B", "weights", "Answer key", ">correct<"):
        assert secret not in page
    # Choices carry the draw's opaque ids, never the item's own ids.
    assert 'value="A"' not in page
    questions = response.context["questions"]
    assert [q["question"]["slot"] for q in questions] == [1, 2, 3, 4]

    answers = text(client.get(url("exam_preview", world.a.slug, exam.pk), {"answers": "1"}))
    assert "Answer key" in answers
    assert "SECRET-GENERAL" in answers
    assert "mean → average" in answers
    assert not Item.objects.filter(pk=draft.pk, status=ItemStatus.PUBLISHED).exists()


def test_preview_names_a_draw_problem(world: World, login: Any, pools: dict[str, Any]) -> None:
    exam = authoring.update_exam(
        member=world.a.issuer,
        exam=pools["exam"],
        sections=[{"title": "All", "rules": [{"bank": pools["pool"].pk, "count": 5}]}],
    )
    page = text(login(world.a.issuer.user).get(url("exam_preview", world.a.slug, exam.pk)))
    assert "asks for 5 questions from a pool of 3" in page


def test_preview_of_the_published_version(world: World, login: Any) -> None:
    exam = published_exam(world.a.issuer, kinds=(items.ORDERING, items.NUMERIC))
    response = login(world.a.issuer.user).get(
        url("exam_preview", world.a.slug, exam.pk), {"source": "published"}
    )
    assert response.context["source"] == "published"
    assert "Order the steps." in text(response)
    assert "What is 22/7" in text(response)
