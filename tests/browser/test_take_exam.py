"""Candidates in a real browser: one passes and finds the credential in their account and on its
verification page, one fails and gets nothing, and a timed attempt is submitted at its deadline
by the page and by the server."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from microcred.exams import items
from microcred.exams.models import Attempt, AttemptState, Exam, FinishReason
from microcred.exams.services import attempts
from microcred.issuance.models import IssuedCredential
from tests.browser.support import log_in
from tests.conftest import publish_achievement
from tests.exams.support import published_exam

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = (items.SINGLE, items.MULTIPLE, items.TRUE_FALSE, items.NUMERIC, items.SHORT_TEXT)


def script_ready(page) -> None:
    """The page's script has attached its autosave listeners (it loads deferred)."""
    expect(page.locator(".exam-bar[data-ready=true]")).to_have_count(1)


def answer_current(page, *, right: bool) -> None:
    """Answer the question on screen (rightly or wrongly) the way a person would."""
    script_ready(page)
    kind = page.locator("#question-form").get_attribute("data-kind")
    if kind == items.SINGLE:
        page.get_by_label("Alpha" if right else "Beta", exact=True).check()
    elif kind == items.MULTIPLE:
        for name in ("Alpha", "Gamma") if right else ("Beta",):
            page.get_by_label(name, exact=True).check()
    elif kind == items.TRUE_FALSE:
        page.get_by_label("False" if right else "True", exact=True).check()
    elif kind == items.NUMERIC:
        page.get_by_label("Your answer").fill("3.14" if right else "7")
    elif kind == items.SHORT_TEXT:
        page.get_by_label("Your answer").fill("t-test" if right else "chi-square")
    else:
        raise AssertionError(kind)
    # Autosave confirms before moving on.
    expect(page.locator("#save-status")).to_contain_text("Saved at")


def move_on(page) -> None:
    """Press Next (or Finish… on the last question) and wait until the next page is there:
    until then the old page, still on screen, would take the next answer."""
    before = page.url
    if page.get_by_role("button", name="Next").count():
        page.get_by_role("button", name="Next").click()
    else:
        page.get_by_role("button", name="Finish…").click()
    expect(page).not_to_have_url(before)


def take(page, exam, *, right: bool) -> None:
    page.goto(f"/me/exams/{exam.uuid}")
    page.get_by_role("button", name="Start the exam").click()
    for _ in KINDS:
        expect(page.get_by_role("heading", name=re.compile(r"^Question \d"))).to_be_visible()
        answer_current(page, right=right)
        move_on(page)
    expect(page.get_by_role("heading", name="Submit your answers?")).to_be_visible()
    expect(page.get_by_text("You have answered every question.")).to_be_visible()
    page.get_by_role("button", name="Submit my answers").click()


def test_a_candidate_passes_and_finds_the_credential_another_fails(page, world):
    achievement = publish_achievement(world.a.issuer)  # needs 70 % in "Final exam"
    exam = published_exam(world.a.issuer, title="Final exam", kinds=KINDS, time_limit_minutes=30)

    log_in(page, world.learner.email)
    take(page, exam, right=True)
    expect(page.get_by_text("Passed")).to_be_visible()
    expect(page.get_by_text("100.00 %")).to_be_visible()
    page.get_by_role("link", name="My credentials").first.click()
    expect(page.get_by_role("heading", name="Applied Statistics")).to_be_visible()
    credential = IssuedCredential.objects.get(achievement=achievement, recipient=world.learner)
    page.get_by_role("link", name="Public verification page").click()
    expect(page.locator(".verdict")).to_contain_text("Valid")
    assert credential.document["credentialSubject"]["result"][0]["value"] == "100"

    page.context.clear_cookies()
    log_in(page, world.stranger.email)
    take(page, exam, right=False)
    expect(page.get_by_text("Not passed")).to_be_visible()
    assert not IssuedCredential.objects.filter(recipient=world.stranger).exists()


def test_the_page_submits_a_timed_attempt_at_its_deadline(page, world):
    exam = published_exam(
        world.a.issuer, title="Quick quiz", kinds=(items.SINGLE,), time_limit_minutes=1
    )
    log_in(page, world.learner.email)
    page.goto(f"/me/exams/{exam.uuid}")
    page.get_by_role("button", name="Start the exam").click()
    answer_current(page, right=True)
    attempt = Attempt.objects.get(candidate=world.learner)
    # Shorten the deadline on the server; the page learns it from its next save.
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=timezone.now() + dt.timedelta(seconds=4)
    )
    page.get_by_label("Beta", exact=True).check()
    page.get_by_label("Alpha", exact=True).check()
    expect(page.locator("#save-status")).to_contain_text("Saved at")
    expect(page.get_by_role("heading", name="Quick quiz")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Passed")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.finish_reason in (FinishReason.CANDIDATE, FinishReason.DEADLINE)


def test_an_abandoned_attempt_is_closed_by_the_sweeper(page, world):
    exam = published_exam(
        world.a.issuer, title="Left open", kinds=(items.SINGLE,), time_limit_minutes=1
    )
    log_in(page, world.learner.email)
    page.goto(f"/me/exams/{exam.uuid}")
    page.get_by_role("button", name="Start the exam").click()
    answer_current(page, right=True)
    page.goto("/me/credentials")  # the candidate walks away
    attempt = Attempt.objects.get(candidate=world.learner)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert attempts.sweep_overdue() == 1
    attempt.refresh_from_db()
    assert attempt.finish_reason == FinishReason.SWEEPER
    assert attempt.submitted_at == attempt.deadline_at
    page.goto(f"/me/exams/{exam.uuid}")
    page.get_by_role("link", name="Review").click()
    expect(page.get_by_text("Passed")).to_be_visible()


def test_an_author_builds_and_publishes_an_exam_in_the_back_office(page, world):
    achievement = publish_achievement(world.a.issuer)
    log_in(page, world.a.issuer.user.email)
    page.get_by_role("link", name="Back office").click()
    page.get_by_role("link", name="Question banks").first.click()
    page.get_by_label("Name").fill("Statistics basics")
    page.get_by_role("button", name="Create bank").click()
    expect(page.get_by_role("heading", name="Statistics basics")).to_be_visible()

    # A single-choice question and a true/false one, published.
    page.get_by_role("link", name="Single choice").click()
    page.get_by_label("Question text").fill("Which measure is robust to outliers?")
    for row, (text, correct) in enumerate((("Median", True), ("Mean", False), ("Range", False))):
        page.locator(f"#id_rows-{row}-text").fill(text)
        if correct:
            page.locator(f"#id_rows-{row}-correct").check()
    page.locator("#id_skills-0-name").fill("Statistics")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("Which measure is robust to outliers?").first).to_be_visible()
    page.get_by_role("link", name="Statistics basics").first.click()
    page.get_by_role("link", name="True / false").click()
    page.get_by_label("Question text").fill("A p-value is the probability that the null is true.")
    page.get_by_label("False", exact=True).check()
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("A p-value is the probability").first).to_be_visible()

    # The exam: counts towards the definition, draws both questions, published.
    page.get_by_role("link", name="Exams", exact=True).first.click()
    page.get_by_role("link", name="New exam").click()
    page.get_by_label("Title").fill("Final exam")
    page.get_by_label("Counts towards").select_option(label="Applied Statistics")
    page.get_by_label("Time limit (minutes)").fill("20")
    page.get_by_label("Pass mark (%)").fill("50")
    page.get_by_role("button", name="Create exam").click()
    expect(page.get_by_text("Exam created. Add its questions next.")).to_be_visible()
    page.locator("#id_sections-0-title").fill("Basics")
    page.locator("#id_rules-0-section").fill("1")
    page.locator("#id_rules-0-bank").select_option(label="Statistics basics")
    page.locator("#id_rules-0-count").fill("2")
    page.get_by_role("button", name="Save", exact=True).last.click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Version 1 published; new attempts use it.")).to_be_visible()
    exam = Exam.objects.get(title="Final exam")
    assert exam.status == "published"
    assert exam.achievement == achievement

    # A candidate takes it and gets the credential.
    page.context.clear_cookies()
    log_in(page, world.learner.email)
    page.goto(f"/me/exams/{exam.uuid}")
    page.get_by_role("button", name="Start the exam").click()
    for _ in range(2):
        script_ready(page)
        if page.locator("#question-form").get_attribute("data-kind") == items.SINGLE:
            page.get_by_label("Median", exact=True).check()
        else:
            page.get_by_label("False", exact=True).check()
        expect(page.locator("#save-status")).to_contain_text("Saved at")
        move_on(page)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("Passed")).to_be_visible()
    expect(page.get_by_text("Met:", exact=False).first).to_be_attached()
    assert IssuedCredential.objects.filter(
        achievement=achievement, recipient=world.learner
    ).exists()


def test_the_exam_page_works_on_a_phone_and_with_the_keyboard(browser, live_server, world):
    exam = published_exam(
        world.a.issuer,
        title="Phone exam",
        kinds=(items.SINGLE, items.NUMERIC),
        time_limit_minutes=30,
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    try:
        log_in(page, world.learner.email)
        page.goto(f"/me/exams/{exam.uuid}")
        page.get_by_role("button", name="Start the exam").click()
        expect(page.get_by_role("timer")).to_be_visible()
        expect(page.get_by_text("Question 1 of 2")).to_be_visible()
        # Nothing is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # Every answer control has an accessible name, and the keyboard alone can answer.
        controls = "#question-form input:not([type=hidden]), #question-form select, #question-form textarea"
        unnamed = page.evaluate(
            "s => [...document.querySelectorAll(s)].filter(e => !e.labels || !e.labels.length).length",
            controls,
        )
        assert unnamed == 0
        script_ready(page)
        if page.locator("#question-form").get_attribute("data-kind") == items.SINGLE:
            page.get_by_label("Alpha", exact=True).focus()
            page.keyboard.press("Space")
        else:
            page.get_by_label("Your answer").focus()
            page.keyboard.type("3.14")
        expect(page.locator("#save-status")).to_contain_text("Saved at")
        # The navigator names each question's state for screen readers.
        expect(page.locator(".question-nav a").first).to_contain_text("answered")
    finally:
        context.close()
