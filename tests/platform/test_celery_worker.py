"""Background work on a real Celery worker consuming from Redis."""

from __future__ import annotations

import os
import socket
import time

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

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
