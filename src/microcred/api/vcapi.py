"""W3C VC-API (https://w3c-ccg.github.io/vc-api/, now "VCALM"): issue and verify credentials.

Mounted at the site root as ``POST /credentials/issue`` and ``POST /credentials/verify`` so that
the W3C test suites (vc-data-model-2.0-test-suite, vc-di-eddsa-test-suite) can be pointed at
this installation. What the suites need and this module does (standards notes §0.5, §8.1):

- issue: 201 ``{"verifiableCredential": …}`` with ONE proof object (not an array — the OB3
  documents issued in the back office use an array, the suites require an object); any input
  the VC Data Model 2.0 forbids is a 400. Options are read leniently (suites send
  endpoint-configured options); ``cryptosuite`` (``eddsa-rdfc-2022`` default, or
  ``eddsa-jcs-2022``) is a microcred extension.
- verify: 200 when the credential verifies; a credential that does not verify gets **400**
  with the same verification result body (``verified: false``), because the suites count only
  HTTP ≥ 400 as a rejection and the VC-API lists 400 for that case. A request that is not a
  well-formed verify request is a 400 problem response.

Request bodies are parsed strictly (no duplicate member names, size and nesting limits), errors
are problem details ``{type, title, detail, status}``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.responses import Status
from pydantic import ConfigDict

from microcred.api.auth import TokenAuth
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.issuance import verification
from microcred.organizations import tokens
from microcred.organizations.models import ApiTokenScope
from microcred.organizations.tokens import InvalidCredentialError
from microcred.vc import dataintegrity, jsonld
from microcred.vc.contexts import CREDENTIALS_V2
from microcred.vc.errors import VCError
from microcred.vc.verify import Report


class StrictJsonParser(Parser):
    """Parse request bodies as untrusted JSON (vc.jsonld.parse_json): duplicate member names,
    NaN/Infinity, oversize and over-deep documents are refused, not silently accepted."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return jsonld.parse_json(request.body)  # type: ignore[no-any-return]


api = NinjaAPI(
    title="microcred VC-API",
    version="vc-api",
    description=(
        "W3C VC-API endpoints: issue (sign) a Verifiable Credential as your organization with an "
        "API token that has the `issue` scope, and verify any credential."
    ),
    urls_namespace="vc-api",
    parser=StrictJsonParser(),
)


# -- schemas -------------------------------------------------------------------------------------


class IssueOptions(Schema):
    """IssueCredentialOptions. Unknown options are ignored (the suites send their own)."""

    model_config = ConfigDict(extra="allow")

    credentialId: str | None = Field(  # noqa: N815 - VC-API member name
        None, description="An identifier the client uses for this credential (recorded only)."
    )
    mandatoryPointers: list[str] | None = Field(  # noqa: N815
        None, description="Selective disclosure is not supported: must be absent or empty."
    )
    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] = Field(
        dataintegrity.EDDSA_RDFC_2022, description="microcred extension: the Data Integrity suite."
    )


class IssueRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] = Field(
        description="A VC Data Model 2.0 credential without (or with other) proofs. Its issuer "
        "must be the DID of the token's organization."
    )
    options: IssueOptions = Field(default_factory=IssueOptions)  # type: ignore[arg-type]


class IssueResponse(Schema):
    verifiableCredential: dict[str, Any]  # noqa: N815


class VerifyOptions(Schema):
    model_config = ConfigDict(extra="allow")

    checks: list[str] | None = Field(
        None, description="Accepted for compatibility; every check always runs."
    )


class VerifyRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    verifiableCredential: dict[str, Any]  # noqa: N815
    options: VerifyOptions = Field(default_factory=VerifyOptions)  # type: ignore[arg-type]


class ProblemDetail(Schema):
    type: str
    title: str
    detail: str


class VerificationResult(Schema):
    verified: bool
    checks: list[str] = Field(description="The checks performed.")
    warnings: list[str] = Field(description="Checks that were skipped, and why.")
    errors: list[str] = Field(description="Checks that failed or could not decide, and why.")
    problemDetails: list[ProblemDetail]  # noqa: N815
    verdict: str = Field(
        description="microcred's verdict: valid, invalid, revoked, suspended, expired, "
        "not_yet_valid or unknown."
    )


class Problem(Schema):
    type: str
    title: str
    detail: str
    status: int
    field: str | None = None


# -- errors ----------------------------------------------------------------------------------------

_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
}


def _problem(
    request: HttpRequest, status: int, code: str, detail: str, field: str | None = None
) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "type": code,
            "title": _TITLES.get(status, "Error"),
            "detail": detail,
            "status": status,
            "field": field,
        },
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="microcred"'
    return response


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, tokens.TokenRejectedError):
        status = 401
    elif isinstance(exc, PermissionDenied | tokens.InsufficientScopeError):
        status = 403
    elif isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, tokens.IdempotencyConflictError):
        status = 409
    else:
        status = 400
    return _problem(request, status, exc.code, exc.message, exc.field)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _problem(
        request, 401, "invalid_token", "Send an API token as “Authorization: Bearer mc_…”."
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, VCError):  # the strict body parser
        return _problem(request, exc.status_code, "malformed_json", cause.message)
    return _problem(request, exc.status_code, "http_error", exc.message)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    messages = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        messages.append(f"{'.'.join(location) or 'body'}: {error.get('msg', 'invalid')}")
    return _problem(request, 400, "invalid_request", "; ".join(messages) or "Invalid request.")


# -- VC Data Model 2.0 checks of a credential to issue -------------------------------------------
# The JSON-LD rules (defined terms, absolute IRIs, pinned contexts) are enforced by vc.jsonld while
# signing; these are the data model's own "MUST"s that JSON-LD does not express (VC DM 2.0 §4).

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")
# XMLSCHEMA11-2 dateTimeStamp (time zone required), VC Data Model 2.0 §4.9.
_DATE_TIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
_LANGUAGE_VALUE_KEYS = {"@value", "@language", "@direction"}


def _fail(field: str, message: str) -> InvalidCredentialError:
    return InvalidCredentialError(f"{field}: {message}", field=f"credential.{field}")


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def _objects(credential: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = credential.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, dict) for item in items):
        raise _fail(name, "must be an object or a non-empty list of objects")
    return items


def _check_types(name: str, item: dict[str, Any], *, required: bool) -> None:
    kind = item.get("type")
    if kind is None:
        if required:
            raise _fail(name, "each entry needs a type")
        return
    kinds = kind if isinstance(kind, list) else [kind]
    if not kinds or not all(isinstance(k, str) and k for k in kinds):
        raise _fail(name, "type must be a string or a list of strings")


def _check_id(name: str, item: dict[str, Any], *, required: bool = False) -> None:
    if "id" not in item:
        if required:
            raise _fail(name, "each entry needs an id")
        return
    if not _is_url(item["id"]):
        raise _fail(name, "id must be one URL")


def _check_language_string(name: str, value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            continue
        if (
            isinstance(item, dict)
            and isinstance(item.get("@value"), str)
            and set(item) <= _LANGUAGE_VALUE_KEYS
        ):
            continue
        raise _fail(name, "must be a string or language value objects (@value, @language)")


def _moment(credential: dict[str, Any], name: str) -> datetime | None:
    value = credential.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE_TIME_STAMP.fullmatch(value):
        raise _fail(name, "must be an XML Schema dateTimeStamp, e.g. 2025-01-01T00:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_credential(credential: dict[str, Any]) -> None:
    """Refuse a credential VC Data Model 2.0 does not allow (400), before signing it."""
    try:
        jsonld.check_document_limits(credential)
    except VCError as exc:
        raise InvalidCredentialError(exc.message, field="credential") from None
    context = credential.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != CREDENTIALS_V2:
        raise _fail("@context", f"the first context must be {CREDENTIALS_V2}")
    if not all(isinstance(item, str | dict) for item in contexts):
        raise _fail("@context", "entries must be URLs or objects")
    kinds = credential.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not all(isinstance(kind, str) for kind in kinds) or "VerifiableCredential" not in kinds:
        raise _fail("type", "must include VerifiableCredential")
    if "id" in credential and not _is_url(credential["id"]):
        raise _fail("id", "must be one URL")
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        if not _is_url(issuer.get("id")):
            raise _fail("issuer", "issuer.id must be a URL")
        for name in ("name", "description"):
            if name in issuer:
                _check_language_string(f"issuer.{name}", issuer[name])
    elif not _is_url(issuer):
        raise _fail("issuer", "required; a URL or an object with an id")
    for name in ("name", "description"):
        if name in credential:
            _check_language_string(name, credential[name])
    if "credentialSubject" not in credential:
        raise _fail("credentialSubject", "required")
    for subject in _objects(credential, "credentialSubject"):
        if not subject:
            raise _fail("credentialSubject", "each subject needs at least one claim")
        _check_id("credentialSubject", subject)
    valid_from, valid_until = _moment(credential, "validFrom"), _moment(credential, "validUntil")
    if valid_from and valid_until and valid_until < valid_from:
        raise _fail("validUntil", "is before validFrom")
    for name in ("credentialStatus", "evidence", "refreshService", "termsOfUse"):
        for item in _objects(credential, name):
            _check_types(name, item, required=True)
            _check_id(name, item)
    for item in _objects(credential, "credentialSchema"):
        _check_types("credentialSchema", item, required=True)
        _check_id("credentialSchema", item, required=True)
    for item in _objects(credential, "proof"):
        _check_types("proof", item, required=True)


# -- endpoints -------------------------------------------------------------------------------------


@api.post(
    "/issue",
    response={201: IssueResponse, 400: Problem, 401: Problem, 403: Problem, 409: Problem},
    auth=TokenAuth(ApiTokenScope.ISSUE),
    summary="Issue a credential",
    description=(
        "Signs the credential with the token's organization's active key (Data Integrity, "
        "eddsa-rdfc-2022 unless `options.cryptosuite` says eddsa-jcs-2022) and returns it with "
        "one proof object. The credential's `issuer` (or `issuer.id`) must be the "
        "organization's DID. Send an `Idempotency-Key` to make retries safe: the same key and "
        "body within 24 hours returns the first response; the same key with another body is "
        "a 409."
    ),
    tags=["credentials"],
)
def issue_credential(
    request: HttpRequest,
    payload: IssueRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    if payload.options.mandatoryPointers:
        raise InvalidCredentialError(
            "Selective disclosure (mandatoryPointers) is not supported.",
            field="options.mandatoryPointers",
        )
    check_credential(payload.credential)
    idempotency = None
    if idempotency_key is not None:
        idempotency = tokens.idempotency_key(
            idempotency_key, payload.model_dump(mode="json", exclude_unset=True)
        )
    signed = tokens.sign_credential(
        token=request.auth,  # type: ignore[attr-defined]
        credential=payload.credential,
        cryptosuite=payload.options.cryptosuite,
        idempotency=idempotency,
    )
    return Status(201, {"verifiableCredential": signed.document})


def _result(report: Report) -> dict[str, Any]:
    performed = [check for check in report.checks if check.outcome != "skipped"]
    problems = [check for check in report.checks if check.outcome in ("failed", "unknown")]
    return {
        "verified": report.is_valid,
        "checks": [check.name for check in performed],
        "warnings": [
            f"{check.name}: {check.message}"
            for check in report.checks
            if check.outcome == "skipped"
        ],
        "errors": [f"{check.name}: {check.message}" for check in problems],
        "problemDetails": [
            {
                "type": f"microcred:{check.name}:{check.outcome}",
                "title": f"The {check.name} check "
                + ("failed" if check.outcome == "failed" else "could not decide"),
                "detail": check.message,
            }
            for check in problems
        ],
        "verdict": report.verdict,
    }


@api.post(
    "/verify",
    response={200: VerificationResult, 400: VerificationResult | Problem},
    auth=None,
    summary="Verify a credential",
    description=(
        "Runs every check (JSON, contexts, OB 3.0 schema where it applies, proofs, issuer key "
        "binding, validity period, status list, known issuer). 200 with `verified: true` when "
        "the credential is valid; 400 with the same result and `verified: false` when it is "
        "not (revoked, expired, tampered, status unknown…); 400 with a problem body when the "
        "request itself is malformed."
    ),
    tags=["credentials"],
)
def verify_credential(request: HttpRequest, payload: VerifyRequest) -> Status[dict[str, Any]]:
    report = verification.verify(payload.verifiableCredential)
    malformed = report.check("json")
    if malformed is not None and malformed.outcome == "failed":
        raise DomainError(malformed.message, field="verifiableCredential")
    result = _result(report)
    return Status(200 if result["verified"] else 400, result)
