from __future__ import annotations

from celery import shared_task

from microcred.issuance import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_credential_issued_email(credential_id: int) -> None:
    services.deliver_issued_email(credential_id=credential_id)
