"""Background work on a real Celery worker consuming from Redis."""

from __future__ import annotations

import os
import socket
import time

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import OperationalError

from microcred.celery import app
from tests.conftest import issue, publish_achievement

REDIS_URL = os.environ.get("MICROCRED_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not _redis_reachable(), reason="no Redis at 127.0.0.1:6379 for a real Celery worker"
    ),
]


@pytest.fixture
def redis_broker():
    """Point the app at Redis and stop running tasks in-process, for this test only."""
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    queue = f"microcred-test-{os.getpid()}-{time.time_ns()}"  # parallel runs never share a queue
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    _drop_connection_pools()
    yield
    app.conf.update(saved)
    _drop_connection_pools()


def _drop_connection_pools() -> None:
    # Connection pools are cached per app; the next use builds them from the current broker_url.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    # So are the queues and the router: without this, a later test's tasks would still be
    # routed to the first test's queue, which its worker does not consume.
    for cached in ("default_queue", "queues", "router", "default_exchange"):
        app.amqp.__dict__.pop(cached, None)


@pytest.mark.django_db(transaction=True)
def test_issued_mail_is_queued_in_redis_and_sent_by_a_worker(world, redis_broker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "queued@example.test")
    assert mail.outbox == []  # queued, not run in-process

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 20
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.1)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["queued@example.test"]
    assert credential.verification_code in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_certificates_and_badges_are_rendered_by_a_worker_after_issuing(
    world, redis_broker, settings
):
    from microcred.achievements import designs
    from microcred.issuance.models import RenderedArtifact

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    achievement = publish_achievement(world.a.issuer)
    credential = issue(world.a.issuer, achievement, "rendered@example.test")
    assert not RenderedArtifact.objects.filter(credential=credential).exists()  # queued

    def kinds(version: int) -> set[str]:
        try:
            return set(
                RenderedArtifact.objects.filter(
                    credential=credential, design_version=version
                ).values_list("kind", flat=True)
            )
        except OperationalError:
            # SQLite's shared in-memory test database locks the whole table while the worker
            # thread writes to it (no busy timeout for that lock): read again on the next poll.
            return set()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 30
        while kinds(1) != {"pdf", "png", "svg"} and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kinds(1) == {"pdf", "png", "svg"}
        # A design change re-renders the definition's credentials on the worker.
        designs.update_design(
            member=world.a.issuer,
            design=designs.design_of(achievement),
            fields={"badge_layout": "ribbon"},
        )
        deadline = time.monotonic() + 30
        while kinds(2) != {"pdf", "png", "svg"} and time.monotonic() < deadline:
            time.sleep(0.1)
    assert kinds(2) == {"pdf", "png", "svg"}
    assert kinds(1) == set()  # superseded renderings are gone
