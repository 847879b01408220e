"""Public verification by code."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from microcred.core.errors import DomainError, NotFound
from microcred.issuance import codes, queries, verification
from microcred.vc import baking
from microcred.vc.errors import VCError

router = Router(tags=["verification"])


class IssuerOut(Schema):
    name: str
    country: str
    website: str


class VerificationOut(Schema):
    id: str
    code: str
    state: str
    credential_name: str
    version: int
    holder_name: str | None  # None when the holder chose not to show it
    issuer: IssuerOut
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    verification_url: str


class InvalidCodeError(DomainError):
    code = "invalid_code"


class CheckOut(Schema):
    name: str
    outcome: str
    message: str


class ReportOut(Schema):
    verdict: str
    checks: list[CheckOut]
    issuer_id: str | None
    issuer_name: str | None
    known_issuer: str | None
    status: list[dict]


class InvalidInputError(DomainError):
    code = "invalid_input"


MAX_UPLOAD = 8 * 1024 * 1024


@router.post(
    "",
    response=ReportOut,
    auth=None,
    summary="Verify a credential file",
    description=(
        "Send the credential as a JSON body (application/json or application/vc+ld+json), or upload "
        "a baked PNG/SVG badge or a JSON file as multipart field `file`. The report lists every check."
    ),
)
def verify_document(request: HttpRequest) -> dict:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size and upload.size > MAX_UPLOAD:
            raise InvalidInputError(
                f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.", field="file"
            )
        data = upload.read(MAX_UPLOAD + 1)
    else:
        data = request.body
    if not data:
        raise InvalidInputError(
            "Send a credential as the JSON body or as the file field.", field="file"
        )
    try:
        text = baking.extract(data)
    except VCError as exc:
        raise InvalidInputError(exc.message, field="file") from None
    return verification.verify(text).as_dict()


@router.get(
    "/{code}", response=VerificationOut, auth=None, summary="Verify a credential by its code"
)
def verify(request: HttpRequest, code: str) -> VerificationOut:
    try:
        credential = queries.credential_by_code(code)
    except codes.InvalidCode as exc:
        raise InvalidCodeError(str(exc), field="code") from None
    if not credential.public_page:
        # As on the public page: a private credential is verified from its file only.
        raise NotFound("The holder keeps this credential private; verify a file of it instead.")
    state = credential.verification_state()
    revoked = state == "revoked"
    return VerificationOut(
        id=credential.urn,
        code=credential.display_code,
        state=state,
        credential_name=credential.achievement_version.title,
        version=credential.achievement_version.number,
        holder_name=credential.recipient_name if credential.show_name else None,
        issuer=IssuerOut(
            name=credential.organization.name,
            country=str(credential.organization.country),
            website=credential.organization.website,
        ),
        issued_at=credential.issued_at,
        valid_until=credential.valid_until,
        revoked_at=credential.revoked_at if revoked else None,
        revocation_reason=credential.revocation_reason if revoked else None,
        verification_url=settings.PUBLIC_URL
        + reverse("public:verify_code", args=[credential.verification_code]),
    )
