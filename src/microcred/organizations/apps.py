from __future__ import annotations

from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "microcred.organizations"
    label = "organizations"
    verbose_name = "Organizations"
