"""Exam load: simulated candidates start an exam together, autosave, and submit.

Usage (from the repository root):

    .venv/bin/python bench/exam_load.py --quick            # smoke run: 50 candidates, 20 s
    .venv/bin/python bench/exam_load.py [--candidates 500] [--duration 90] [--save-interval 15]
        [--workers 2*cores+1] [--threads 4] [--worker-connections 1000] [--start-over 0]
        [--lobby 10] [--page-at-start] [--question-pages]
        [--database-url postgresql://postgres@127.0.0.1:5432/microcred_bench] [--keep]

What it does:

1. Creates the PostgreSQL database of ``--database-url`` (its name must contain "bench"; an
   existing one is dropped first), migrates it, collects static files into a scratch data
   directory, and builds an organization, a bank of 20 auto-scored questions, a published exam
   with a time limit longer than the run, and one account plus a ready-made login session per
   candidate (no login requests, no password hashing; candidates have no TOTP device, so the
   OTP middleware needs nothing in the session).
2. Starts ``gunicorn microcred.wsgi:application`` (gthread workers) on a free local port with
   the same ``MICROCRED_*`` environment (debug off), warms it up with a few extra accounts, and
   stops it at the end.
3. One client thread per candidate, each with its own connection and cookies (session and a
   CSRF cookie it made itself). The waiting room: candidates open the exam page ("page") at
   random moments over ``--lobby`` seconds, as they do before an exam opens. Then the exam
   opens: all pass a barrier at once and POST its start form ("start": the POST through its
   redirect to the first question page); ``--page-at-start`` opens the page only then, as part
   of the spike. When
   every candidate has started, the setup process reads the attempts' opaque choice ids from the
   database; each candidate then autosaves a random valid answer to a random question every
   ``--save-interval`` seconds (first save staggered over one interval, ±20 % jitter after)
   for ``--duration`` seconds, with the sequence number of its last acknowledged save, and
   finally POSTs submit ("submit": through the redirect to the review page).
   ``--start-over`` spreads the starts over some seconds instead of one instant (arrivals as
   in a real exam room); ``--question-pages`` also GETs a question's page before saving to
   another question ("question"), as a candidate clicking through the exam would.
4. Prints per operation count, requests/s, p50/p90/p99/max and errors, the same per HTTP
   request (redirect hops), save latency over time, CPU seconds per phase of gunicorn (and of
   each worker: gthread workers accept connections greedily, so a burst can pile onto one),
   PostgreSQL, this client and everything else on the machine, what the bench database's
   sessions were doing (sampled from pg_stat_activity), the issue's targets (500 candidates,
   save p99 < 250 ms, start p99 < 1 s, no lost answers) and whether this run met them, and
   the lost-answers check: every save answered 200 with sequence s must be a ResponseStep
   with sequence s and that payload (opaque ids mapped to the items' ids), and every
   question's stored response must be the last acknowledged answer.

Figures, never assertions. The client threads share the machine's cores with gunicorn and
PostgreSQL; the CPU table shows how much of the machine each of them (and other processes)
used, so a run on a busy machine can be told apart.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import re
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/microcred_bench"
TARGET_CANDIDATES = 500
TARGET_SAVE_P99_MS = 250.0
TARGET_START_P99_MS = 1000.0
ITEMS = 20
WARMUP_USERS_PER_THREAD = 1
OPERATIONS = ("page", "start", "question", "save", "submit")
CSRF_CHARS = string.ascii_letters + string.digits

# Question content per auto-scored kind (as tests/exams/support.py builds them).
ABC = [
    {"id": "A", "text": "Alpha"},
    {"id": "B", "text": "Beta"},
    {"id": "C", "text": "Gamma"},
    {"id": "N", "text": "None of the above", "fixed": True},
]
CONTENT: dict[str, dict[str, Any]] = {
    "single": {
        "stem": "Which letter comes first?",
        "interaction": {"choices": ABC},
        "scoring": {"correct": "A"},
    },
    "multiple": {
        "stem": "Which are vowels' names?",
        "interaction": {"choices": ABC},
        "scoring": {"correct": ["A", "C"], "rule": "partial"},
    },
    "true_false": {"stem": "The mean is robust.", "scoring": {"correct": False}},
    "numeric": {
        "stem": "What is 22/7 to one decimal?",
        "interaction": {"unit": ""},
        "scoring": {"answers": [{"value": "3.1", "tolerance": "0.05"}]},
    },
    "short_text": {
        "stem": "Name the test for two means.",
        "scoring": {"answers": [{"text": "t-test"}]},
    },
    "ordering": {
        "stem": "Order the steps.",
        "interaction": {"choices": ABC[:3]},
        "scoring": {"order": ["A", "B", "C"]},
    },
    "matching": {
        "stem": "Match.",
        "interaction": {
            "premises": [
                {"id": "A", "text": "mean"},
                {"id": "B", "text": "median"},
                {"id": "C", "text": "mode"},
            ],
            "responses": [
                {"id": "A", "text": "average"},
                {"id": "B", "text": "middle"},
                {"id": "C", "text": "most frequent"},
            ],
        },
        "scoring": {"pairs": {"A": "A", "B": "B", "C": "C"}},
    },
}
WORDS = ("t-test", "anova", "chi-square", "wilcoxon", "z-test", "regression", "kruskal")


# -- arguments and environment ------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 50 candidates, 20 s")
    parser.add_argument("--candidates", type=int, help="default 500 (--quick: 50)")
    parser.add_argument(
        "--duration", type=float, help="seconds of autosaving after the start (default 90)"
    )
    parser.add_argument(
        "--save-interval", type=float, help="seconds between a candidate's saves (default 15)"
    )
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=1000,
        help="gunicorn's limit of connections a gthread worker accepts (its default: 1000)",
    )
    parser.add_argument(
        "--start-over",
        type=float,
        default=0.0,
        help="spread the starts evenly at random over this many seconds (default 0: all at once)",
    )
    parser.add_argument(
        "--lobby",
        type=float,
        default=10.0,
        help="seconds over which candidates open the exam page before it opens (default 10)",
    )
    parser.add_argument(
        "--page-at-start",
        action="store_true",
        help="open the exam page as part of the start instead of in the waiting room before",
    )
    parser.add_argument(
        "--question-pages",
        action="store_true",
        help="GET a question's page before saving to a question other than the last one",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, help="random seed of the simulated answers")
    args = parser.parse_args()
    quick = {"candidates": 50, "duration": 20.0, "save_interval": 5.0}
    full = {"candidates": TARGET_CANDIDATES, "duration": 90.0, "save_interval": 15.0}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.candidates < 1 or args.duration <= 0 or args.save_interval <= 0:
        parser.error("--candidates, --duration and --save-interval must be positive")
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    name = urlsplit(args.database_url).path.lstrip("/")
    if urlsplit(args.database_url).scheme not in ("postgres", "postgresql") or "bench" not in name:
        parser.error(
            f"refusing to use {args.database_url!r}: give a postgresql:// URL of a database "
            "whose name contains 'bench' (it is dropped and created)"
        )
    return args


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure_environment(database_url: str, port: int, data_dir: str) -> None:
    """The MICROCRED_* variables for this process and gunicorn (production mode)."""
    for name in [n for n in os.environ if n.startswith("MICROCRED_")]:
        del os.environ[name]  # never the developer's configuration (broker, S3, e-mail…)
    os.environ.update(
        {
            "MICROCRED_DATABASE_URL": database_url,
            "MICROCRED_SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
            "MICROCRED_MASTER_KEY": secrets.token_urlsafe(32),
            "MICROCRED_DEBUG": "0",
            "MICROCRED_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "MICROCRED_ALLOWED_HOSTS": "127.0.0.1",
            "MICROCRED_DATA_DIR": data_dir,
            "MICROCRED_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "microcred.settings",
        }
    )
    paths = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:  # parse_args checked already; never touch another database
        raise SystemExit(f"refusing to touch database {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# -- data ---------------------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    session_key: str
    csrf: str = field(default_factory=lambda: "".join(secrets.choice(CSRF_CHARS) for _ in "x" * 32))


def build_data(
    candidates: int, warmups: int, time_limit: int
) -> tuple[str, list[Account], list[Account]]:
    """Organization, bank, published exam, accounts with sessions → (exam uuid, candidates,
    warm-up accounts)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from microcred.accounts.models import User
    from microcred.exams.services import authoring, banks
    from microcred.organizations.models import Membership
    from microcred.organizations.services import create_organization

    owner = User.objects.create_user(email="owner@bench.test", full_name="Bench Owner")
    organization = create_organization(
        owner=owner,
        slug="bench",
        name="Bench University",
        country="DE",
        contact_email="info@bench.test",
    )
    member = Membership.objects.get(organization=organization, user=owner)
    bank = banks.create_bank(member=member, name="Load bank")
    kinds = list(CONTENT)
    questions = []
    for n in range(ITEMS):
        kind = kinds[n % len(kinds)]
        content = {"kind": kind, **CONTENT[kind]}
        content["stem"] = f"{content['stem']} (question {n + 1})"
        questions.append(banks.create_item(member=member, bank=bank, content=content, publish=True))
    exam = authoring.create_exam(
        member=member, title="Load test exam", time_limit_minutes=time_limit
    )
    exam = authoring.update_exam(
        member=member,
        exam=exam,
        sections=[{"title": "All", "rules": [{"item": q.pk} for q in questions]}],
    )
    authoring.publish_exam(member=member, exam=exam)

    backend = "django.contrib.auth.backends.ModelBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS
    total = candidates + warmups
    emails = [f"candidate{n:05d}@bench.test" for n in range(candidates)]
    emails += [f"warmup{n:03d}@bench.test" for n in range(warmups)]
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    email=email, full_name=email.split("@")[0], password="!" + secrets.token_hex(20)
                )
                for email in emails
            ],
            batch_size=1000,
        )
        store = SessionStore()
        expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        sessions = []
        accounts = []
        for user in users:
            key = store._get_new_session_key()  # unique: checked against the table
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: backend,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expires)
            )
            accounts.append(Account(email=user.email, session_key=key))
        Session.objects.bulk_create(sessions, batch_size=1000)
    assert len(accounts) == total
    return str(exam.uuid), accounts[:candidates], accounts[candidates:]


def load_items(attempt_ids: list[int]) -> dict[int, dict[int, dict[str, Any]]]:
    """{attempt: {slot: {"kind", "sequence", "ids": {"choices": [...], ...}, "opaque": {...}}}}"""
    from microcred.exams.models import AttemptItem

    found: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    rows = AttemptItem.objects.filter(attempt_id__in=attempt_ids).values_list(
        "attempt_id", "slot", "item_version__kind", "sequence", "opaque"
    )
    for attempt_id, slot, kind, sequence, opaque in rows:
        ids: dict[str, list[str]] = defaultdict(list)
        for opaque_id, named in sorted(opaque.items()):
            ids[named.split(":", 1)[0]].append(opaque_id)
        found[attempt_id][slot] = {
            "kind": kind,
            "sequence": sequence,
            "ids": dict(ids),
            "opaque": dict(opaque),
        }
    return found


# -- answers ------------------------------------------------------------------------------------


def random_answer(kind: str, ids: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    """A valid answer in the attempt's opaque ids."""
    if kind == "single":
        return {"choice": rng.choice(ids["choices"])}
    if kind == "multiple":
        return {"choices": rng.sample(ids["choices"], rng.randint(1, len(ids["choices"])))}
    if kind == "true_false":
        return {"value": rng.random() < 0.5}
    if kind == "numeric":
        return {"value": f"{rng.uniform(0, 10):.2f}"}
    if kind == "short_text":
        return {"text": f"{rng.choice(WORDS)} {rng.randint(1, 999)}"}
    if kind == "ordering":
        return {"order": rng.sample(ids["choices"], len(ids["choices"]))}
    if kind == "matching":
        responses = rng.sample(ids["responses"], len(ids["responses"]))
        return {"pairs": dict(zip(ids["premises"], responses, strict=False))}
    raise ValueError(f"no answers for {kind!r} questions in this benchmark")


def form_fields(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """The question form's fields for ``answer`` (what the page's autosave posts)."""
    if "choice" in answer:
        return [("choice", answer["choice"])]
    if "choices" in answer:
        return [("choices", c) for c in answer["choices"]]
    if "value" in answer:
        value = answer["value"]
        return [("value", ("true" if value else "false") if isinstance(value, bool) else value)]
    if "text" in answer:
        return [("text", answer["text"])]
    if "order" in answer:
        return [(f"position-{c}", str(n)) for n, c in enumerate(answer["order"], 1)]
    return [(f"pair-{p}", r) for p, r in answer["pairs"].items()]


def stored_form(answer: dict[str, Any], opaque: dict[str, str]) -> dict[str, Any]:
    """What the server must store for ``answer``: the items' own ids, choices sorted."""

    def real(value: str) -> str:
        return opaque[value].split(":", 1)[1]

    if "choice" in answer:
        return {"choice": real(answer["choice"])}
    if "choices" in answer:
        return {"choices": sorted({real(c) for c in answer["choices"]})}
    if "order" in answer:
        return {"order": [real(c) for c in answer["order"]]}
    if "pairs" in answer:
        return {"pairs": {real(p): real(r) for p, r in answer["pairs"].items()}}
    return dict(answer)


# -- the client ---------------------------------------------------------------------------------

_PATTERNS = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"/\d+"), "/<n>"),
)


def route(method: str, path: str) -> str:
    for pattern, placeholder in _PATTERNS:
        path = pattern.sub(placeholder, path)
    return f"{method} {path}"


@dataclass
class Sample:
    op: str
    started: float  # perf_counter
    ms: float
    outcome: str  # HTTP status of the last hop, or the exception's name


@dataclass
class Ack:
    attempt: int
    slot: int
    sent: int
    sequence: int
    key: str
    stored: dict[str, Any]


class Client:
    """One browser: a connection of its own, its session and CSRF cookies."""

    def __init__(self, port: int, account: Account) -> None:
        self.pool = urllib3.HTTPConnectionPool(
            "127.0.0.1",
            port,
            maxsize=1,
            retries=False,
            timeout=urllib3.Timeout(connect=30, read=300),
        )
        self.account = account
        self.cookie = f"sessionid={account.session_key}; csrftoken={account.csrf}"
        self.hops: list[Sample] = []
        self.retried = 0

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None, **headers: str
    ) -> urllib3.BaseHTTPResponse:
        body = urlencode(fields) if fields is not None else None
        headers = {"Cookie": self.cookie, "User-Agent": "microcred-bench/1", **headers}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            began = time.perf_counter()
            try:
                response = self.pool.request(
                    method, path, body=body, headers=headers, redirect=False
                )
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.NewConnectionError):
                # The server closed a kept-alive connection as we sent: send again, same
                # idempotency key (the protocol's own answer to a lost response).
                if attempt == 2:
                    raise
                self.retried += 1
                continue
            ms = 1000 * (time.perf_counter() - began)
            self.hops.append(Sample(route(method, path), began, ms, str(response.status)))
            return response
        raise AssertionError("unreachable")

    def follow(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[urllib3.BaseHTTPResponse, list[str]]:
        """The request and its redirects, as a browser: → (last response, locations)."""
        response = self.request(method, path, fields)
        locations: list[str] = []
        while response.status in (301, 302, 303) and len(locations) < 5:
            location = urlsplit(response.headers.get("Location", "")).path
            locations.append(location)
            response = self.request("GET", location)
        return response, locations


@dataclass
class Shared:
    port: int
    exam_uuid: str
    lobby: threading.Barrier  # every candidate has the exam page open
    barrier: threading.Barrier  # the exam opens: everyone presses Start
    started: threading.Semaphore
    items_ready: threading.Event
    timeline: dict[str, float]  # "saves_from", "saves_until" (perf_counter)
    interval: float
    question_pages: bool
    start_over: float
    page_at_start: bool
    lobby_seconds: float
    items: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)


class Candidate(threading.Thread):
    def __init__(self, number: int, account: Account, shared: Shared, seed: int) -> None:
        super().__init__(name=f"candidate-{number}", daemon=True)
        self.number = number
        self.shared = shared
        self.client = Client(shared.port, account)
        self.rng = random.Random(seed)
        self.samples: list[Sample] = []
        self.acks: list[Ack] = []
        self.attempt: int | None = None
        self.failure = ""
        self.noop_saves = 0
        self.stale = 0

    def timed(self, op: str, action: Any) -> Any:
        began = time.perf_counter()
        try:
            response, outcome = action()
        except Exception as exc:  # a failed request is a figure, not a crash
            self.samples.append(
                Sample(op, began, 1000 * (time.perf_counter() - began), type(exc).__name__)
            )
            return None
        self.samples.append(Sample(op, began, 1000 * (time.perf_counter() - began), outcome))
        return response

    def run(self) -> None:
        page_first = not self.shared.page_at_start
        try:
            if page_first:  # the waiting room: the page is open before the exam opens
                time.sleep(self.rng.uniform(0, self.shared.lobby_seconds))
                self.open_page()
            self.shared.lobby.wait()
            self.shared.barrier.wait()
        except threading.BrokenBarrierError:
            self.failure = "barrier broken"
            self.shared.started.release()
            return
        try:
            time.sleep(self.rng.uniform(0, self.shared.start_over))
            if not page_first:
                self.open_page()
            self.start_exam()  # not after a failed page
        finally:
            self.shared.started.release()
        if self.attempt is None:
            return
        self.shared.items_ready.wait()
        try:
            self.take_exam()
        except Exception as exc:  # reported with the figures
            self.failure = f"{type(exc).__name__}: {exc}"

    def open_page(self) -> None:
        exam = f"/me/exams/{self.shared.exam_uuid}"
        if self.timed("page", lambda: self._ok(self.client.follow("GET", exam))) is None:
            self.failure = "exam page failed"

    def start_exam(self) -> None:
        if self.failure:
            return
        exam = f"/me/exams/{self.shared.exam_uuid}"
        csrf = [("csrfmiddlewaretoken", self.client.account.csrf)]
        started = self.timed("start", lambda: self._ok(self.client.follow("POST", exam, csrf)))
        if started is None:
            self.failure = "start failed"
            return
        response, locations = started
        found = re.match(r"/me/attempts/(\d+)", locations[0] if locations else "")
        if response.status != 200 or found is None:
            self.failure = f"start ended with {response.status} at {locations}"
            return
        self.attempt = int(found.group(1))

    @staticmethod
    def _ok(result: tuple[urllib3.BaseHTTPResponse, list[str]]) -> tuple[Any, str]:
        return result, str(result[0].status)

    def take_exam(self) -> None:
        assert self.attempt is not None
        items = self.shared.items[self.attempt]
        sequences = {slot: item["sequence"] for slot, item in items.items()}
        base = f"/me/attempts/{self.attempt}"
        moment = self.shared.timeline["saves_from"] + self.rng.uniform(0, self.shared.interval)
        until = self.shared.timeline["saves_until"]
        current = 1
        while moment < until:
            time.sleep(max(0.0, moment - time.perf_counter()))
            slot = self.rng.choice(sorted(items))
            if self.shared.question_pages and slot != current:
                self.timed(
                    "question", lambda s=slot: self._ok(self.client.follow("GET", f"{base}/q/{s}"))
                )
            current = slot
            self.save(base, slot, items[slot], sequences)
            moment += self.shared.interval * self.rng.uniform(0.8, 1.2)
        time.sleep(max(0.0, moment - time.perf_counter()))
        csrf = [("csrfmiddlewaretoken", self.client.account.csrf)]
        self.timed("submit", lambda: self._ok(self.client.follow("POST", f"{base}/submit", csrf)))

    def save(self, base: str, slot: int, item: dict[str, Any], sequences: dict[int, int]) -> None:
        answer = random_answer(item["kind"], item["ids"], self.rng)
        key = uuid.uuid4().hex
        sent = sequences[slot]
        fields = [*form_fields(answer), ("slot", str(slot)), ("sequence", str(sent)), ("key", key)]

        def post() -> tuple[urllib3.BaseHTTPResponse, str]:
            response = self.client.request(
                "POST", f"{base}/save", fields, **{"X-CSRFToken": self.client.account.csrf}
            )
            return response, str(response.status)

        response = self.timed("save", post)
        if response is None:
            return
        if response.status == 200:
            body = response.json()
            sequence = int(body["sequence"])
            if sequence == sent:
                self.noop_saves += 1  # the same answer as the stored one: nothing new stored
            sequences[slot] = sequence
            self.acks.append(
                Ack(
                    self.attempt or 0,
                    slot,
                    sent,
                    sequence,
                    key,
                    stored_form(answer, item["opaque"]),
                )
            )
        elif response.status == 409:
            self.stale += 1
            sequences[slot] = int(response.json().get("current", sent))


class Warmup(threading.Thread):
    """Page, start, the first question, submit: loads templates and opens database connections
    in the workers before the measured spike."""

    def __init__(self, account: Account, port: int, exam_uuid: str) -> None:
        super().__init__(daemon=True)
        self.client = Client(port, account)
        self.exam_uuid = exam_uuid
        self.ok = False
        self.error = ""

    def run(self) -> None:
        try:
            exam = f"/me/exams/{self.exam_uuid}"
            self.client.follow("GET", exam)
            csrf = [("csrfmiddlewaretoken", self.client.account.csrf)]
            response, locations = self.client.follow("POST", exam, csrf)
            if response.status == 200 and locations:
                attempt = locations[0]
                self.client.follow("POST", f"{attempt}/submit", csrf)
                self.ok = True
        except Exception as exc:  # the warm-up only warms; its failures are counted
            self.error = type(exc).__name__


class PgSampler(threading.Thread):
    """Samples the bench database's sessions in pg_stat_activity every 0.1 s: how many run,
    and on what they wait (row locks, WAL flushes, the client), per phase of the run."""

    def __init__(self, database_url: str) -> None:
        super().__init__(name="pg-sampler", daemon=True)
        self.database_url = database_url
        self.phase = ""
        self.stop = threading.Event()
        self.samples: Counter[str] = Counter()
        self.waits: dict[str, Counter[str]] = defaultdict(Counter)

    def run(self) -> None:
        import psycopg

        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stop.wait(0.1):
                phase = self.phase
                if not phase:
                    continue
                self.samples[phase] += 1
                for state, wait_type, wait in conn.execute(query).fetchall():
                    if state == "active":
                        what = f"{wait_type}:{wait}" if wait_type else "running"
                    elif state == "idle in transaction":
                        what = "idle in transaction (waiting for the app)"
                    else:
                        continue
                    self.waits[phase][what] += 1

    def summary(self, phase: str) -> str:
        count = self.samples.get(phase, 0)
        if not count:
            return "no samples"
        busy = self.waits[phase]
        parts = [f"{what} {n / count:.1f}" for what, n in busy.most_common(5)]
        return f"{sum(busy.values()) / count:.1f} busy sessions on average: " + ", ".join(parts)


# -- server -------------------------------------------------------------------------------------


def start_gunicorn(port: int, args: argparse.Namespace, log_path: Path) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [
        str(gunicorn),
        "microcred.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-connections",
        str(args.worker_connections),
        "--timeout",
        "300",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed argv: the venv's gunicorn, our settings
        argv, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
    )
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, retries=False, timeout=2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited: {log_path.read_text()[-3000:]}")
        try:
            if pool.request("GET", "/healthz").status == 200:
                return process
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer within 60 s: {log_path.read_text()[-3000:]}")


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- measuring ----------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds) of a process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    return command, int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK  # utime + stime


def _ours(pid: int, database: str) -> bool:
    """A PostgreSQL process serving the bench database, or one of the server's own background
    processes (WAL writer, checkpointer…) — not another database's client backends."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return f" {database} " in title or ("(" not in title and "[local]" not in title)


def cpu_snapshot(gunicorn_pid: int, database: str) -> dict[str, float]:
    """CPU seconds so far of gunicorn (master and workers, and each worker), PostgreSQL (its
    background processes and the bench database's backends), this client process, and the
    whole machine (busy time of all cores, from /proc/stat)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                stats[int(entry)] = found
    workers = {pid: s[2] for pid, s in stats.items() if s[1] == gunicorn_pid}
    gunicorn = sum(workers.values()) + (stats[gunicorn_pid][2] if gunicorn_pid in stats else 0)
    postgres = {
        f"pg {pid}": s[2]
        for pid, s in stats.items()
        if s[0] in ("postgres", "postmaster") and _ours(pid, database)
    }
    own = os.times()
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    machine = sum(int(v) for n, v in enumerate(fields[:8]) if n not in (3, 4)) / TICK
    return {
        "at": time.perf_counter(),
        "gunicorn": gunicorn,
        "client": own.user + own.system,
        "machine": machine,
        **{f"worker {pid}": used for pid, used in workers.items()},
        **postgres,
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank of sorted samples."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def table(title: str, groups: dict[str, list[Sample]], order: list[str]) -> None:
    print(f"\n{title}")
    print(
        f"  {'':30} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8}  errors"
    )
    for name in order:
        samples = groups.get(name)
        if not samples:
            continue
        ordered = sorted(s.ms for s in samples)
        window = max(s.started + s.ms / 1000 for s in samples) - min(s.started for s in samples)
        rate = len(samples) / window if window > 0 else float("nan")
        bad = Counter(s.outcome for s in samples if not ok_outcome(s))
        errors = ", ".join(f"{k}×{v}" for k, v in sorted(bad.items())) or "0"
        print(
            f"  {name:30} {len(samples):6} {rate:7.1f} {percentile(ordered, 0.5):8.1f} "
            f"{percentile(ordered, 0.9):8.1f} {percentile(ordered, 0.99):8.1f} "
            f"{ordered[-1]:8.1f}  {errors}"
        )


def timeline(samples: list[Sample], windows: int = 8) -> None:
    """Save latency over the run: p50/p99 per slice of time, to tell bursts from a steady tail."""
    if len(samples) < 2 * windows:
        return
    first = min(s.started for s in samples)
    width = (max(s.started for s in samples) - first) / windows or 1.0
    slices: dict[int, list[float]] = defaultdict(list)
    for sample in samples:
        slices[min(windows - 1, int((sample.started - first) / width))].append(sample.ms)
    cells = []
    for n in range(windows):
        ordered = sorted(slices.get(n, []))
        if ordered:
            cells.append(
                f"{n * width:.0f}s: {len(ordered)} × {percentile(ordered, 0.5):.0f}/"
                f"{percentile(ordered, 0.99):.0f}"
            )
    print("\nsave latency over time (from the first save: count × p50/p99 ms)")
    print("  " + "; ".join(cells))


def ok_outcome(sample: Sample) -> bool:
    return sample.outcome.isdigit() and int(sample.outcome) < 400


def p99(samples: list[Sample]) -> float | None:
    return percentile(sorted(s.ms for s in samples), 0.99) if samples else None


# -- lost answers ---------------------------------------------------------------------------------


def check_answers(acks: list[Ack], attempt_ids: list[int]) -> tuple[list[str], dict[str, int]]:
    from microcred.exams.models import Attempt, AttemptItem, AttemptState, ResponseStep

    steps = {
        (a, slot, seq): (payload, key)
        for a, slot, seq, payload, key in ResponseStep.objects.filter(
            attempt_id__in=attempt_ids
        ).values_list("attempt_id", "attempt_item__slot", "sequence", "payload", "idempotency_key")
    }
    responses = {
        (a, slot): (response, seq)
        for a, slot, response, seq in AttemptItem.objects.filter(
            attempt_id__in=attempt_ids
        ).values_list("attempt_id", "slot", "response", "sequence")
    }
    problems = []
    last: dict[tuple[int, int], Ack] = {}
    for ack in acks:
        where = f"attempt {ack.attempt} slot {ack.slot} sequence {ack.sequence}"
        found = steps.get((ack.attempt, ack.slot, ack.sequence))
        if found is None:
            problems.append(f"{where}: acknowledged, no response step")
        elif found[0] != ack.stored:
            problems.append(f"{where}: stored {found[0]!r}, sent {ack.stored!r}")
        elif ack.sequence > ack.sent and found[1] != ack.key:
            problems.append(f"{where}: stored under another idempotency key")
        previous = last.get((ack.attempt, ack.slot))
        if previous is None or ack.sequence >= previous.sequence:
            last[(ack.attempt, ack.slot)] = ack
    for (attempt, slot), ack in sorted(last.items()):
        response, sequence = responses.get((attempt, slot), (None, None))
        if response != ack.stored or sequence != ack.sequence:
            problems.append(
                f"attempt {attempt} slot {slot}: the question holds {response!r} (sequence "
                f"{sequence}), the last acknowledged save was {ack.stored!r} "
                f"(sequence {ack.sequence})"
            )
    acked = {(a.attempt, a.slot, a.sequence) for a in acks}
    figures = {
        "response steps stored": len(steps),
        "stored but never acknowledged": len(set(steps) - acked),
        "attempts submitted": Attempt.objects.filter(pk__in=attempt_ids)
        .exclude(state=AttemptState.IN_PROGRESS)
        .count(),
    }
    return problems, figures


# -- main ---------------------------------------------------------------------------------------


@dataclass
class Run:
    candidates: list[Candidate]
    attempt_ids: list[int]
    cpu: list[tuple[str, dict[str, float]]]
    wall: float
    load_average: tuple[float, float, float]
    sampler: PgSampler


def run_load(args: argparse.Namespace, port: int, data_dir: str, seed: int) -> Run:
    """Set up, start gunicorn, warm it up, run the candidates, stop gunicorn."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    time_limit = min(24 * 60, 60 + math.ceil(4 * (args.duration + args.save_interval) / 60))
    warmups = args.workers * args.threads * WARMUP_USERS_PER_THREAD
    exam_uuid, accounts, warm_accounts = build_data(args.candidates, warmups, time_limit)
    print(f"setup: database, static files and data in {time.perf_counter() - began:.1f} s")
    connections.close_all()

    process = start_gunicorn(port, args, Path(data_dir) / "gunicorn.log")
    database = urlsplit(args.database_url).path.lstrip("/")
    sampler = PgSampler(args.database_url)
    sampler.start()
    try:
        began = time.perf_counter()
        warm = [Warmup(account, port, exam_uuid) for account in warm_accounts]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()
        print(
            f"warm-up: {sum(t.ok for t in warm)}/{len(warm)} extra accounts took the exam "
            f"in {time.perf_counter() - began:.1f} s (not counted)"
        )
        rng = random.Random(seed)
        shared = Shared(
            port=port,
            exam_uuid=exam_uuid,
            lobby=threading.Barrier(args.candidates + 1),
            barrier=threading.Barrier(args.candidates + 1),
            started=threading.Semaphore(0),
            items_ready=threading.Event(),
            timeline={},
            interval=args.save_interval,
            question_pages=args.question_pages,
            start_over=args.start_over,
            page_at_start=args.page_at_start,
            lobby_seconds=args.lobby,
        )
        candidates = [
            Candidate(n, account, shared, rng.randrange(2**32))
            for n, account in enumerate(accounts)
        ]
        for thread in candidates:
            thread.start()
        shared.lobby.wait()
        if not args.page_at_start:
            print(f"waiting room: {len(candidates)} candidates opened the exam page")
        time.sleep(1)
        cpu = [("before", cpu_snapshot(process.pid, database))]
        sampler.phase = "start spike"
        shared.barrier.wait()
        spike_began = time.perf_counter()
        for _ in candidates:
            shared.started.acquire()
        spike = time.perf_counter() - spike_began
        cpu.append(("start spike", cpu_snapshot(process.pid, database)))
        sampler.phase = ""
        attempt_ids = [c.attempt for c in candidates if c.attempt is not None]
        print(
            f"start spike: {len(attempt_ids)}/{len(candidates)} candidates started in {spike:.1f} s"
        )
        shared.items = load_items(attempt_ids)
        connections.close_all()
        saves_from = time.perf_counter()
        shared.timeline.update(saves_from=saves_from, saves_until=saves_from + args.duration)
        sampler.phase = "autosaving"
        shared.items_ready.set()
        time.sleep(max(0.0, saves_from + args.duration - time.perf_counter()))
        cpu.append(("autosaving", cpu_snapshot(process.pid, database)))
        sampler.phase = "submitting"
        for thread in candidates:
            thread.join()
        cpu.append(("submitting", cpu_snapshot(process.pid, database)))
        sampler.phase = ""
        load_average = os.getloadavg()
        wall = time.perf_counter() - spike_began
    finally:
        sampler.stop.set()
        stop_gunicorn(process)
    sampler.join()
    return Run(candidates, attempt_ids, cpu, wall, load_average, sampler)


def report(args: argparse.Namespace, run: Run) -> None:
    cores = os.cpu_count() or 1
    candidates = run.candidates
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for sample in (s for c in candidates for s in c.samples):
        by_op[sample.op].append(sample)
    hops = [s for c in candidates for s in c.client.hops]
    by_route: dict[str, list[Sample]] = defaultdict(list)
    for sample in hops:
        by_route[sample.op].append(sample)
    routes = sorted(by_route, key=lambda r: min(s.started for s in by_route[r]))
    table("per operation (start and submit include their redirects)", by_op, list(OPERATIONS))
    table("per HTTP request", by_route, routes)
    timeline(by_op.get("save", []))
    print(
        f"\noverall: {len(hops)} HTTP requests in {run.wall:.1f} s = "
        f"{len(hops) / run.wall:.1f} req/s; reconnect retries "
        f"{sum(c.client.retried for c in candidates)}; stale saves (409) "
        f"{sum(c.stale for c in candidates)}; saves of an unchanged answer "
        f"{sum(c.noop_saves for c in candidates)}"
    )
    for failure, count in Counter(c.failure for c in candidates if c.failure).most_common(10):
        print(f"candidates failed: {count} × {failure}")

    print(f"\nCPU seconds by phase (% of the machine: {cores} cores × the phase's wall time)")
    print(
        f"  {'phase':12} {'wall s':>6} {'gunicorn':>14} {'postgres':>14} {'client':>14} "
        f"{'others':>14}   [% of one core per gunicorn worker]"
    )
    busiest = 0.0
    for (_, before), (phase, after) in itertools.pairwise(run.cpu):
        wall = after["at"] - before["at"]
        used = {"gunicorn": after["gunicorn"] - before["gunicorn"]}
        # Per process: a backend that ended between the snapshots drops out, never below zero.
        used["postgres"] = sum(after[k] - before.get(k, 0.0) for k in after if k.startswith("pg "))
        used["client"] = after["client"] - before["client"]
        used["others"] = max(0.0, after["machine"] - before["machine"] - sum(used.values()))
        busiest = max(busiest, used["others"] / (wall * cores))
        cells = " ".join(
            f"{f'{v:.1f} ({100 * v / (wall * cores):.0f} %)':>14}" for v in used.values()
        )
        workers = sorted(
            (after[k] - before.get(k, 0.0) for k in after if k.startswith("worker ")), reverse=True
        )
        split = " ".join(f"{100 * w / wall:.0f}" for w in workers)
        print(f"  {phase:12} {wall:6.1f} {cells}   [{split}]")
    if busiest > 0.1:
        print(
            f"  note: other processes used up to {100 * busiest:.0f} % of the machine during "
            "the run; these figures are pessimistic (run again on a quiet machine)"
        )
    print("PostgreSQL sessions of the bench database (sampled every 0.1 s)")
    for phase, _ in run.cpu[1:]:
        print(f"  {phase:12} {run.sampler.summary(phase)}")
    one, five, fifteen = run.load_average
    print(f"  load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) at the end")

    acks = [a for c in candidates for a in c.acks]
    problems, figures = check_answers(acks, run.attempt_ids)
    print(
        f"\nanswers: {len(acks)} saves acknowledged; "
        + "; ".join(f"{k} {v}" for k, v in figures.items())
        + f" (of {len(run.attempt_ids)} attempts)"
    )
    print(f"lost answers: {len(problems)}")
    for problem in problems[:50]:
        print(f"  {problem}")

    print(f"\ntargets (issue: {TARGET_CANDIDATES} concurrent candidates, 2 cores, PostgreSQL)")
    full = args.candidates >= TARGET_CANDIDATES
    print(
        f"  candidates {args.candidates} (target {TARGET_CANDIDATES}): "
        + ("met" if full else "not met (a smaller run: the latency targets do not apply)")
    )
    for op, target in (("save", TARGET_SAVE_P99_MS), ("start", TARGET_START_P99_MS)):
        samples = by_op.get(op, [])
        value = p99(samples)
        if value is None:
            print(f"  {op} p99: no samples")
            continue
        errors = sum(not ok_outcome(s) for s in samples)
        verdict = "met" if value < target and not errors else "NOT met"
        extra = f", {errors} failed" if errors else ""
        if op == "start":
            extra += f"; {spike(args)}"
        print(f"  {op} p99 {value:.0f} ms (target < {target:.0f} ms{extra}): {verdict}")
    print(f"  lost answers {len(problems)} (target 0): {'met' if not problems else 'NOT met'}")


def spike(args: argparse.Namespace) -> str:
    """How the starts arrived, in words."""
    when = f"spread over {args.start_over:g} s" if args.start_over else "all at once"
    page = "with the exam page" if args.page_at_start else "the exam page open before"
    return f"{args.candidates} starts {when}, {page}"


def main() -> None:
    args = parse_args()
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="microcred-exam-load-")
    configure_environment(args.database_url, port, data_dir)
    threading.stack_size(512 * 1024)
    print(
        f"exam load: {args.candidates} candidates, {args.duration:g} s of autosaving every "
        f"~{args.save_interval:g} s, gunicorn gthread {args.workers} workers × {args.threads} "
        f"threads, worker connections {args.worker_connections} (up to "
        f"{args.workers * args.threads} database connections), "
        f"{os.cpu_count()} cores, {ITEMS} questions, seed {seed}; {spike(args)}"
    )
    recreate_database(args.database_url)
    try:
        run = run_load(args, port, data_dir, seed)
        report(args, run)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            name = urlsplit(args.database_url).path.lstrip("/")
            print(f"\nkept database {name} and {data_dir}")
        else:
            recreate_database(args.database_url, drop_only=True)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
