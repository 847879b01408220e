from __future__ import annotations

from celery import shared_task

from microcred.issuance import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_credential_issued_email(credential_id: int) -> None:
    services.deliver_issued_email(credential_id=credential_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def credential_issued_automatically(credential_id: int) -> None:
    """Tell the holder, then check the definitions this one is a prerequisite of."""
    from microcred.issuance import requirements
    from microcred.issuance.models import IssuedCredential

    services.deliver_issued_email(credential_id=credential_id)
    credential = IssuedCredential.objects.select_related("achievement", "recipient").get(
        pk=credential_id
    )
    if credential.recipient is None:
        return
    for achievement in requirements.dependents(credential.achievement):
        requirements.issue_if_met(
            candidate=credential.recipient, achievement=achievement, trigger="credential_issued"
        )
