from __future__ import annotations

from django.apps import AppConfig


class AchievementsConfig(AppConfig):
    name = "microcred.achievements"
    label = "achievements"
    verbose_name = "Credential definitions"
