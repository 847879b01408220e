from __future__ import annotations

from celery import shared_task

from microcred.issuance import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_credential_issued_email(credential_id: int) -> None:
    services.deliver_issued_email(credential_id=credential_id)


@shared_task
def evaluate_pathways(credential_id: int) -> None:
    """A credential was issued (by hand or automatically): issue what it completes for its
    holder (definitions that require it). Idempotent: issuance happens at most once."""
    from microcred.issuance import requirements
    from microcred.issuance.models import IssuedCredential

    credential = IssuedCredential.objects.select_related("achievement", "recipient").get(
        pk=credential_id
    )
    if credential.recipient is None:
        return
    for achievement in requirements.dependents(credential.achievement):
        requirements.issue_if_met(
            candidate=credential.recipient, achievement=achievement, trigger="credential_issued"
        )
