from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "microcred.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Creates the Celery app and makes it current, so @shared_task binds to it.
        from microcred import celery  # noqa: F401
