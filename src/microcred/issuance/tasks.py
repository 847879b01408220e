from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

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


def workers_run_tasks() -> bool:
    """Whether tasks go to Celery workers (a broker is configured) rather than run in-process.
    Rendering ahead of time is only worth it on workers: in-process, a download renders what
    it needs (and a design change would otherwise re-render a whole definition in a request)."""
    from microcred.celery import app

    return not app.conf.task_always_eager


# Storage (OSError) and database hiccups are retried; rendering is idempotent.
@shared_task(autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=5)
def render_artifacts(credential_id: int) -> None:
    """Render a credential's certificate and badges for its definition's current design (the
    downloads render on demand too; this makes them ready). Idempotent: stored renderings of
    the current design version are kept."""
    from microcred.issuance import artifacts
    from microcred.issuance.models import IssuedCredential

    credential = (
        IssuedCredential.objects.select_related(
            "achievement", "achievement_version", "organization"
        )
        .filter(pk=credential_id)
        .first()
    )
    if credential is not None:
        artifacts.render_all(credential)


@shared_task
def rerender_design(design_id: int) -> None:
    """A design changed: queue the re-rendering of every credential of its definition."""
    from microcred.achievements.models import Design
    from microcred.issuance.models import IssuedCredential

    design = Design.objects.filter(pk=design_id).first()
    if design is None:
        return
    for credential_id in IssuedCredential.objects.filter(
        achievement_id=design.achievement_id, document__isnull=False
    ).values_list("pk", flat=True):
        render_artifacts.delay(credential_id)
