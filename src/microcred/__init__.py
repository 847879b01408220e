"""microcred: self-hostable micro-credential platform."""

from __future__ import annotations

from microcred.celery import app as celery_app

__all__ = ["celery_app"]
