from __future__ import annotations

from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "microcred.issuance"
    label = "issuance"
    verbose_name = "Issued credentials"
