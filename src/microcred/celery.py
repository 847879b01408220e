"""Celery application. With no ``MICROCRED_BROKER_URL`` tasks run eagerly in-process."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microcred.settings")

app = Celery("microcred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
