from __future__ import annotations

from django.apps import AppConfig


class LearnerConfig(AppConfig):
    name = "microcred.learner"
    label = "learner"
