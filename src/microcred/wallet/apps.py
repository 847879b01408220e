from __future__ import annotations

from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "microcred.wallet"
    label = "wallet"
    verbose_name = "Holders' wallets"
