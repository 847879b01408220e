from __future__ import annotations

from celery import shared_task

from microcred.accounts import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(user_id: int, organization_id: int) -> None:
    services.deliver_invitation(user_id=user_id, organization_id=organization_id)
