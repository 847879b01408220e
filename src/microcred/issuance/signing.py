"""The signed OpenBadgeCredential of an issued credential: built once, at issuance, and kept."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.urls import reverse

from microcred.issuance import status
from microcred.issuance.models import IssuedCredential
from microcred.organizations import keys
from microcred.organizations.models import ProofFormat
from microcred.vc import dataintegrity, jose, ob3

DATE_FORMAT = status.DATE_FORMAT


def _public_file_url(field: FieldFile) -> str:
    """The app's own, lasting address of an upload (``core.views.media``): a credential keeps
    it for years, so never the storage's URL (with S3, a signed one that expires)."""
    return f"{settings.PUBLIC_URL}{settings.MEDIA_URL}{field.name}"


def _skill_url(credential: IssuedCredential, position: int) -> str:
    path = reverse("public:verify_code", args=[credential.verification_code])
    return f"{settings.PUBLIC_URL}{path}#skill-{position + 1}"


def _status(entry: dict[str, Any]) -> ob3.CredentialStatus:
    return ob3.CredentialStatus(
        id=entry["id"],
        type=entry["type"],
        properties=tuple((k, v) for k, v in entry.items() if k not in {"id", "type"}),
    )


def unsigned_document(
    credential: IssuedCredential, status_entries: list[dict[str, Any]]
) -> dict[str, Any]:
    version = credential.achievement_version
    organization = credential.organization
    verify_url = settings.PUBLIC_URL + reverse(
        "public:verify_code", args=[credential.verification_code]
    )
    eu = ob3.EuElements(
        awarding_bodies=tuple(version.awarding_bodies),
        learning_outcomes=tuple(version.learning_outcomes),
        workload_ects=Decimal(version.workload_ects) if version.workload_ects is not None else None,
        workload_hours=Decimal(version.workload_hours)
        if version.workload_hours is not None
        else None,
        eqf_level=version.eqf_level,
        nqf_level=version.nqf_level,
        assessment_type=version.assessment_type,
        participation_form=version.get_participation_form_display()
        if version.participation_form
        else "",
        quality_assurance=version.quality_assurance,
        prerequisites=version.prerequisites,
        supervision=version.get_supervision_display() if version.supervision else "",
        grade=version.grade,
        integration=(
            f"{version.get_integration_display()}: {version.integration_details}".rstrip(": ")
            if version.integration
            else ""
        ),
        further_information=version.further_information,
    )
    achievement = ob3.Achievement(
        id=f"urn:uuid:{credential.achievement.uuid}",
        name=version.title,
        description=version.short_description or version.scope or version.title,
        criteria_narrative=version.criteria,
        image=_public_file_url(version.image) if version.image else "",
        tags=tuple(version.tags),
        skills=tuple(
            ob3.Skill(
                s.name, s.framework_url or _skill_url(credential, i), s.framework_name, s.code
            )
            for i, s in enumerate(version.skills.all())
        ),
        version=str(version.number),
        eu=eu,
    )
    issuer = ob3.Issuer(
        id=keys.organization_did(organization),
        name=organization.name,
        url=organization.website,
        email=organization.contact_email,
        image=_public_file_url(organization.logo) if organization.logo else "",
        country_code=str(organization.country),
        region=organization.region,
    )
    document = ob3.build_credential(
        id=credential.urn,
        issuer=issuer,
        achievement=achievement,
        recipient=ob3.Recipient(
            email=credential.recipient_email,
            salt=credential.recipient_salt,
            name=credential.recipient_name,
        ),
        valid_from=credential.valid_from.strftime(DATE_FORMAT),
        valid_until=credential.valid_until.strftime(DATE_FORMAT)
        if credential.valid_until
        else None,
        status=tuple(_status(entry) for entry in status_entries),
        results=tuple(
            ob3.Result(
                description_id=f"{verify_url}#result-{n}",
                name=result["name"],
                value=str(result["value"]),
                result_type=result.get("type", "Percent"),
            )
            for n, result in enumerate(credential.results, 1)
        ),
        evidence=tuple(
            {"id": e["id"], "type": ["Evidence"], "name": e["name"], "narrative": e["narrative"]}
            for e in credential.evidence
        ),
    )
    document["credentialSubject"]["achievement"]["criteria"].setdefault("id", verify_url)
    return document


def sign_credential(credential: IssuedCredential) -> dict[str, Any] | str:
    """Allocate a status index, build and sign the credential in the organization's proof format
    (Data Integrity with a proof set as the OB3 schema requires, or a VC-JOSE compact JWS).
    Called inside the issuing transaction."""
    credential.recipient_salt = credential.recipient_salt or secrets.token_hex(16)
    entries = [status.allocate(credential, status.REVOCATION)]
    if credential.organization.suspension_enabled:
        entries.append(status.allocate(credential, status.SUSPENSION))
    key = keys.active_key(credential.organization)
    unsigned = unsigned_document(credential, entries)
    proof_format = credential.organization.proof_format
    document: dict[str, Any] | str
    if proof_format == ProofFormat.VC_JOSE:
        document = jose.sign_jwt(
            unsigned, key=keys.private_key(key), kid=keys.verification_method(key)
        )
    else:
        document = dataintegrity.sign(
            unsigned,
            key=keys.private_key(key),
            verification_method=keys.verification_method(key),
            cryptosuite=proof_format,
            proof_as_array=True,
        )
    credential.document = document
    credential.save(
        update_fields=[
            "recipient_salt",
            "document",
            "status_list",
            "status_index",
            "suspension_list",
            "suspension_index",
        ]
    )
    return document
