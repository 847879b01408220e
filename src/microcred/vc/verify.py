"""One verification pipeline for every surface (page, API, VC-API, CLI).

Checks, in order, each reported with its outcome and a message:

1. ``json`` — well-formed JSON object within size limits, no duplicate keys.
2. ``contexts`` — first ``https://www.w3.org/ns/credentials/v2``; every other URL context is
   one of the pinned ones (never fetched); inline context objects are allowed.
3. ``schema`` — OB 3.0 AchievementCredential JSON Schema, for Open Badges credentials.
4. ``proof`` — every Data Integrity proof verifies (eddsa-rdfc-2022 / eddsa-jcs-2022).
5. ``issuer`` — each proof's key is controlled by ``issuer.id`` (VC DM 2.0 §4.7; what
   @digitalbazaar/vc enforces), and was not compromised at the proof's ``created`` date.
6. ``validity`` — ``validFrom`` ≤ now < ``validUntil``.
7. ``status`` — Bitstring Status List entries: the list credential is retrieved, its own proof
   and issuer verified, and the bit read; an unreachable list gives "unknown", never "valid".
8. ``known_issuer`` — whether the issuer is an organization of this installation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from microcred.vc import contexts, dataintegrity, jose, jsonld, status_list
from microcred.vc.errors import VCError
from microcred.vc.resolver import ResolutionError, Resolver
from microcred.vc.schema import schema_errors

logger = logging.getLogger(__name__)
Outcome = Literal["passed", "failed", "unknown", "skipped"]
Verdict = Literal["valid", "invalid", "revoked", "suspended", "expired", "not_yet_valid", "unknown"]
BASE_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_TYPES = {"OpenBadgeCredential", "AchievementCredential"}


CHECK_LABELS = {
    "json": "Format",
    "contexts": "JSON-LD contexts",
    "schema": "Open Badges 3.0 schema",
    "proof": "Signature",
    "issuer": "Issuer's key",
    "validity": "Validity period",
    "status": "Revocation status",
    "known_issuer": "Issuer on this installation",
}


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    message: str

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.name, self.name)


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    checks: tuple[Check, ...]
    credential: dict[str, Any] | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    known_issuer: str | None = None
    status: tuple[dict[str, Any], ...] = field(default=())

    @property
    def is_valid(self) -> bool:
        return self.verdict == "valid"

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [asdict(check) for check in self.checks]
        data["status"] = list(self.status)
        return data


StatusFetcher = Callable[[str], dict[str, Any]]
KnownIssuer = Callable[[str], str | None]


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _types(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    return {item for item in value if isinstance(item, str)} if isinstance(value, list) else set()


def _issuer(credential: dict[str, Any]) -> tuple[str | None, str | None]:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer, None
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        name = issuer.get("name")
        return issuer["id"], name if isinstance(name, str) else None
    return None, None


class _Run:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def add(self, name: str, outcome: Outcome, message: str) -> None:
        self.checks.append(Check(name, outcome, message))

    def failed(self, *names: str) -> bool:
        return any(c.outcome == "failed" for c in self.checks if not names or c.name in names)


def _check_contexts(run: _Run, credential: dict[str, Any]) -> None:
    value = credential.get("@context")
    items = value if isinstance(value, list) else [value]
    if not items or items[0] != BASE_CONTEXT:
        run.add("contexts", "failed", f"the first @context must be {BASE_CONTEXT}")
        return
    unknown = [
        item for item in items if isinstance(item, str) and not contexts.is_known_context(item)
    ]
    if unknown:
        run.add("contexts", "failed", f"unknown context {unknown[0]} (contexts are never fetched)")
    elif any(not isinstance(item, str | dict) for item in items):
        run.add("contexts", "failed", "@context entries must be URLs or objects")
    else:
        run.add("contexts", "passed", f"{len(items)} context(s), all pinned or inline")


def _check_proofs(
    run: _Run, credential: dict[str, Any], resolver: Resolver, issuer_id: str | None
) -> None:
    resolved: dict[str, Any] = {}

    def resolve_key(method: str) -> Any:
        key = resolver.resolve(method)
        resolved[method] = key
        return key.public_key

    results = dataintegrity.verify(credential, resolve_key=resolve_key)
    if not results:
        run.add("proof", "failed", "the credential has no proof")
        run.add("issuer", "skipped", "no proof to bind to the issuer")
        return
    bad = [r for r in results if not r.ok]
    if bad:
        first = bad[0]
        run.add(
            "proof",
            "failed",
            f"proof {first.index + 1}: {first.error_message} ({first.error_code})",
        )
        run.add("issuer", "skipped", "the proof did not verify")
        return
    suites = ", ".join(sorted({r.cryptosuite or "?" for r in results}))
    run.add("proof", "passed", f"{len(results)} proof(s) verified ({suites})")
    for result in results:
        key = resolved[result.verification_method or ""]
        if key.controller != issuer_id:
            run.add(
                "issuer",
                "failed",
                f"the signing key is controlled by {key.controller}, not the issuer {issuer_id}",
            )
            return
        if key.compromised_at is not None:
            try:
                created = _parse_time(result.created)
            except ValueError:
                run.add(
                    "issuer",
                    "failed",
                    "the signing key was compromised and the proof has no valid creation date",
                )
                return
            if created >= key.compromised_at:
                run.add(
                    "issuer",
                    "failed",
                    f"the signing key was compromised on {key.compromised_at:%Y-%m-%d}; this proof is dated after that",
                )
                return
    run.add("issuer", "passed", f"signed with a key of {issuer_id}")


def _check_validity(run: _Run, credential: dict[str, Any], now: datetime) -> Verdict | None:
    try:
        valid_from = _parse_time(credential["validFrom"]) if "validFrom" in credential else None
        valid_until = _parse_time(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError:
        run.add("validity", "failed", "validFrom/validUntil is not a date-time")
        return None
    if valid_from and valid_until and valid_until < valid_from:
        run.add("validity", "failed", "validUntil is before validFrom")
        return None
    if valid_from and now < valid_from:
        run.add("validity", "failed", f"not valid before {valid_from:%Y-%m-%d %H:%M} UTC")
        return "not_yet_valid"
    if valid_until and now >= valid_until:
        run.add("validity", "failed", f"expired on {valid_until:%Y-%m-%d %H:%M} UTC")
        return "expired"
    run.add(
        "validity",
        "passed",
        "within its validity period" + ("" if valid_until else "; does not expire"),
    )
    return None


def _check_status(
    run: _Run,
    credential: dict[str, Any],
    resolver: Resolver,
    fetch_list: StatusFetcher | None,
    now: datetime,
) -> tuple[Verdict | None, list[dict[str, Any]]]:
    entries = credential.get("credentialStatus")
    if entries is None:
        run.add("status", "skipped", "the credential has no status entry")
        return None, []
    entries = entries if isinstance(entries, list) else [entries]
    outcomes: list[dict[str, Any]] = []
    verdict: Verdict | None = None
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != status_list.ENTRY_TYPE:
            run.add(
                "status",
                "unknown",
                f"unsupported status type {entry.get('type') if isinstance(entry, dict) else entry!r}",
            )
            return "unknown", outcomes
        url = entry.get("statusListCredential")
        if fetch_list is None or not isinstance(url, str):
            run.add("status", "unknown", "the status list could not be retrieved")
            return "unknown", outcomes
        try:
            list_credential = fetch_list(url)
            list_report = verify_credential(
                list_credential, resolver=resolver, status_lists=None, now=now, check_status=False
            )
            if list_report.verdict != "valid":
                raise status_list.StatusVerificationError(
                    f"the status list credential is {list_report.verdict}"
                )
            list_issuer, _ = _issuer(list_credential)
            credential_issuer, _ = _issuer(credential)
            if list_issuer != credential_issuer:
                raise status_list.StatusVerificationError(
                    "the status list was issued by someone else"
                )
            result = status_list.check_entry(entry, list_credential)
        except VCError as exc:
            run.add("status", "unknown", f"status could not be determined: {exc.message}")
            return "unknown", outcomes
        except Exception:  # a fetcher's own failure must never turn into "valid" or a crash
            logger.exception("status list retrieval failed for %s", url)
            run.add(
                "status",
                "unknown",
                "status could not be determined: the status list could not be read",
            )
            return "unknown", outcomes
        outcomes.append(result.as_spec_result())
        if result.is_set and result.purpose == status_list.PURPOSE_REVOCATION:
            verdict = "revoked"
        elif (
            result.is_set
            and result.purpose == status_list.PURPOSE_SUSPENSION
            and verdict != "revoked"
        ):
            verdict = "suspended"
    if verdict:
        run.add("status", "failed", f"the issuer has {verdict} this credential")
    else:
        run.add("status", "passed", "not revoked or suspended")
    return verdict, outcomes


def _jwt_token(data: bytes | str | dict[str, Any]) -> str | None:
    """The compact JWS in ``data`` (bare, or enveloped per VC-JOSE-COSE §3.1.2), else None."""
    if isinstance(data, dict):
        return (
            jose.unenveloped(data)
            if _types(data.get("type")) == {"EnvelopedVerifiableCredential"}
            else None
        )
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    return text if jose.is_compact_jws(text) else None


def _record_jwt(run: _Run, jwt: jose.JwtResult, issuer_id: str | None) -> None:
    run.add("proof", "passed", f"JWS signature verified (EdDSA, {jwt.profile})")
    if jwt.controller != issuer_id:
        run.add(
            "issuer",
            "failed",
            f"the signing key is controlled by {jwt.controller}, not the issuer {issuer_id}",
        )
    elif jwt.compromised_at is not None and (
        jwt.signed_at is None or jwt.signed_at >= jwt.compromised_at
    ):
        run.add(
            "issuer", "failed", f"the signing key was compromised on {jwt.compromised_at:%Y-%m-%d}"
        )
    else:
        run.add("issuer", "passed", f"signed with a key of {issuer_id}")


def verify_credential(
    data: bytes | str | dict[str, Any],
    *,
    resolver: Resolver,
    status_lists: StatusFetcher | None,
    now: datetime | None = None,
    known_issuer: KnownIssuer = lambda issuer_id: None,
    check_status: bool = True,
) -> Report:
    """Verify a credential (JSON text, bytes, or an already parsed object)."""
    now = now or datetime.now(UTC)
    run = _Run()
    jwt: jose.JwtResult | None = None
    token: str | None = None
    try:
        token = _jwt_token(data)
        if token is not None:
            jwt = jose.verify_jwt(token, resolve=resolver.resolve, now=now)
            credential = jwt.credential
        else:
            credential = data if isinstance(data, dict) else jsonld.parse_json(data)
        if not isinstance(credential, dict):
            raise ValueError("a credential is a JSON object")
        jsonld.check_document_limits(credential)
    except jose.JwtParsingError as exc:
        run.add("json", "failed", exc.message)
        return Report("invalid", tuple(run.checks))
    except (VCError, ValueError) as exc:
        if token is not None:
            run.add("json", "passed", "a compact JWS (VC-JOSE / OB3 VC-JWT)")
            run.add("proof", "failed", getattr(exc, "message", str(exc)))
        else:
            run.add("json", "failed", getattr(exc, "message", str(exc)))
        return Report("invalid", tuple(run.checks))
    run.add("json", "passed", "a compact JWS (VC-JOSE / OB3 VC-JWT)" if jwt else "well-formed JSON")
    issuer_id, issuer_name = _issuer(credential)

    _check_contexts(run, credential)
    if _types(credential.get("type")) & OB_TYPES:
        errors = schema_errors(credential)
        if errors:
            run.add("schema", "failed", f"{len(errors)} schema error(s): " + "; ".join(errors[:3]))
        else:
            run.add("schema", "passed", "valid against the OB 3.0 AchievementCredential schema")
    else:
        run.add("schema", "skipped", "not an Open Badges credential")
    if jwt is not None:
        _record_jwt(run, jwt, issuer_id)
    elif run.failed("contexts"):
        run.add("proof", "skipped", "not checked: the contexts are not acceptable")
    else:
        try:
            _check_proofs(run, credential, resolver, issuer_id)
        except ResolutionError as exc:
            run.add("proof", "failed", exc.message)
    timing = _check_validity(run, credential, now)
    status_verdict, outcomes = (None, [])
    if check_status:
        status_verdict, outcomes = _check_status(run, credential, resolver, status_lists, now)
    known = known_issuer(issuer_id) if issuer_id else None
    run.add(
        "known_issuer",
        "passed" if known else "skipped",
        f"issued by {known}, an organization of this installation"
        if known
        else "not an organization of this installation",
    )

    verdict: Verdict
    if run.failed("json", "contexts", "schema", "proof", "issuer") or (
        run.failed("validity") and not timing
    ):
        verdict = "invalid"
    elif status_verdict in {"revoked", "suspended"}:
        verdict = status_verdict
    elif timing:
        verdict = timing
    elif status_verdict == "unknown":
        verdict = "unknown"
    else:
        verdict = "valid"
    return Report(
        verdict, tuple(run.checks), credential, issuer_id, issuer_name, known, tuple(outcomes)
    )
