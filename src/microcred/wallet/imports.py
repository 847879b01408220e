"""Importing credentials issued elsewhere into the holder's wallet.

Open Badges 3.0 credentials (JSON, compact JWS, baked PNG/SVG, PDF with the credential
attached, or a ZIP archive of such files) go through the same verification pipeline as the
public verify page. One that fails verification (signature, issuer key, schema, contexts,
dates that make no sense) is not imported; one that verifies but is revoked, suspended, expired
or whose status cannot be read is imported and labelled so, as mature wallets do: the holder
keeps the record, and everyone sees its state.

Open Badges 2.0 hosted assertions (JSON, baked PNG/SVG, or the address of the assertion) are
fetched from their ``id`` through the SSRF-guarded client (``vc.fetch``), with their badge class
and issuer profile when those are given as addresses, and kept labelled "not cryptographically
verified": all we can check is that the issuer still hosts the assertion and has not marked it
revoked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from microcred.accounts.models import User
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.issuance import verification
from microcred.vc import jcs, jsonld
from microcred.vc.errors import VCError
from microcred.vc.fetch import FetchError, fetch_json
from microcred.vc.verify import CHECK_LABELS, OB_TYPES, Report
from microcred.wallet import files
from microcred.wallet.models import ImportedCredential, ImportKind, ImportVerdict

logger = logging.getLogger(__name__)

#: Verifying a credential may fetch DID documents and status lists: bound the work per upload.
MAX_CREDENTIALS_PER_IMPORT = 200
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
OB2_HOSTED = {"hosted", "HostedBadge"}
OB2_SIGNED = {"signed", "SignedBadge"}
_PREFERRED_SOURCE = {"json": 0, "jwt": 1, "pdf": 2, "png": 3, "svg": 4, "url": 5}

Fetch = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Problem:
    source: str  # the file, the archive entry or the address
    message: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: tuple[ImportedCredential, ...] = ()
    problems: tuple[Problem, ...] = ()
    skipped: tuple[Problem, ...] = ()  # an archive's files that are not credentials (README…)


class _Refused(Exception):  # noqa: N818 - reads as a verdict
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Prepared:
    """Everything to store about one credential, before it is stored."""

    kind: str
    source_format: str
    source_name: str
    content: str
    sha256: str
    verdict: str
    checks: list[dict[str, str]]
    fields: dict[str, Any] = field(default_factory=dict)


# --- Queries ------------------------------------------------------------------------------------


def imported_credentials_of(owner: User) -> QuerySet[ImportedCredential]:
    return ImportedCredential.objects.filter(owner=owner)


def imported_credential_for(owner: User, uuid: Any) -> ImportedCredential:
    """The owner's imported credential; ``NotFound`` for anyone else's (no existence leak)."""
    found = imported_credentials_of(owner).filter(uuid=uuid).first()
    if found is None:
        raise NotFound("No such imported credential.")
    return found


# --- Importing ----------------------------------------------------------------------------------


def import_credentials(
    *,
    owner: User,
    upload: Any = None,
    url: str | None = None,
    fetch: Fetch | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import the credentials in ``upload`` (a Django file: one credential file or a ZIP
    archive) or at ``url`` into ``owner``'s wallet.

    Never raises for what the file holds: each credential imported is in ``imported``, every
    file or credential refused is a ``Problem`` whose message says why. ``fetch`` is the JSON
    fetcher for Open Badges 2.0 (the guarded ``vc.fetch.fetch_json`` unless given).
    """
    url = (url or "").strip()
    if (upload is None) == (not url):
        raise DomainError(
            "Choose a credential file or enter the address of a badge, one of the two."
        )
    fetch = fetch or fetch_json
    now = now or timezone.now()
    problems: list[Problem] = []
    skipped: list[Problem] = []
    found: list[files.Found] = []
    if upload is not None:
        name = posixpath.basename(str(getattr(upload, "name", "") or "upload").replace("\\", "/"))
        try:
            data = files.read_upload(upload.chunks(), getattr(upload, "size", None))
            if files.is_archive(data):
                entries, ignored = files.archive_entries(data)
                for entry in ignored:
                    noted = Problem(f"{name}: {entry.name}", entry.message)
                    (skipped if entry.benign else problems).append(noted)
                entries = [(f"{name}: {entry}", content) for entry, content in entries]
                if not entries and not problems:
                    problems.append(Problem(name, "The archive holds no credential files."))
            else:
                entries = [(name, data)]
        except files.FileRefused as exc:
            return ImportResult((), (Problem(name, exc.message),))
        for entry_name, content in entries:
            try:
                found.append(files.credential_in(entry_name, content))
            except VCError as exc:
                problems.append(Problem(entry_name, exc.message))
    prepared: list[_Prepared] = []
    if url:
        try:
            prepared.append(_prepare_url(url, fetch, now))
        except _Refused as exc:
            problems.append(Problem(url, exc.message))
    else:
        prepared_or_problems = _prepare_files(found, fetch, now)
        prepared += [p for p in prepared_or_problems if isinstance(p, _Prepared)]
        problems += [p for p in prepared_or_problems if isinstance(p, Problem)]
    imported: list[ImportedCredential] = []
    for item in prepared:
        try:
            imported.append(_store(owner, item))
        except _Refused as exc:
            problems.append(Problem(item.source_name, exc.message))
    return ImportResult(tuple(imported), tuple(problems), tuple(skipped))


def _prepare_files(
    found: list[files.Found], fetch: Fetch, now: datetime
) -> list[_Prepared | Problem]:
    """Verify each distinct credential once (an archive often holds the same credential as
    JSON and as baked badges): the same digest is prepared from its best source only."""
    results: list[_Prepared | Problem] = []
    seen: set[str] = set()
    ordered = sorted(found, key=lambda f: _PREFERRED_SOURCE[f.source_format])
    count = 0
    for item in ordered:
        try:
            digest = _digest(item.text) if item.text is not None else None
            if digest is not None and digest in seen:
                continue
            count += 1
            if count > MAX_CREDENTIALS_PER_IMPORT:
                raise _Refused(
                    f"Not imported: at most {MAX_CREDENTIALS_PER_IMPORT} credentials are "
                    "imported at a time."
                )
            prepared = _prepare_found(item, fetch, now)
            if prepared.sha256 in seen:
                continue
            seen.add(prepared.sha256)
            results.append(prepared)
        except _Refused as exc:
            results.append(Problem(item.name, exc.message))
    return results


def _digest(text: str) -> str:
    """SHA-256 of the canonical JSON (or of a compact JWS's text) — see the model."""
    text = text.strip()
    if not text.startswith("{"):
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        return hashlib.sha256(jcs.canonicalize(jsonld.parse_json(text))).hexdigest()
    except VCError as exc:
        raise _Refused(f"The credential is not acceptable JSON: {exc.message}.") from None


def _parse_object(text: str) -> dict[str, Any]:
    try:
        value = jsonld.parse_json(text)
    except VCError as exc:
        raise _Refused(f"The file is not acceptable JSON: {exc.message}.") from None
    if not isinstance(value, dict):
        raise _Refused("The JSON is not an Open Badges credential: it is not a JSON object.")
    return value


def _types(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _is_ob2(document: dict[str, Any]) -> bool:
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(
        isinstance(c, str) and c.rstrip("/").removesuffix("/context.json") == OB2_CONTEXT
        for c in contexts
    )


def _prepare_found(item: files.Found, fetch: Fetch, now: datetime) -> _Prepared:
    if item.text is None:  # an OB 2.0 badge holding only its assertion's address
        return _prepare_ob2(item.url or "", item.source_format, item.name, fetch, now)
    if item.text.startswith("{"):
        document = _parse_object(item.text)
        if _is_ob2(document):
            return _prepare_ob2(document, item.source_format, item.name, fetch, now, item.text)
        if item.ob2:  # found where OB 2.0 bakes assertions, but without its context
            raise _Refused(
                "The badge holds an assertion without the Open Badges 2.0 context (Open Badges "
                "1.x?); only Open Badges 2.0 hosted assertions can be imported."
            )
        _require_credential(document)
    return _prepare_ob3(item.text, item.source_format, item.name, now)


def _require_credential(document: dict[str, Any]) -> None:
    types = _types(document.get("type"))
    if "EnvelopedVerifiableCredential" in types:
        return
    if not types & ({"VerifiableCredential"} | OB_TYPES):
        raise _Refused(
            "The JSON is not an Open Badges credential: it is neither a Verifiable Credential "
            "(Open Badges 3.0) nor an Open Badges 2.0 assertion."
        )


def _prepare_url(url: str, fetch: Fetch, now: datetime) -> _Prepared:
    if not url.startswith("https://") or len(url) > 2000:
        raise _Refused("Enter the badge's https:// address (at most 2,000 characters).")
    try:
        document = fetch(url)
    except FetchError as exc:
        raise _Refused(f"The address could not be read: {exc.message}") from None
    if not isinstance(document, dict):
        raise _Refused("The address does not hold a credential: its JSON is not an object.")
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if _is_ob2(document):
        return _prepare_ob2(document, "url", url, fetch, now, text)
    _require_credential(document)
    return _prepare_ob3(text, "url", url, now)


# --- Open Badges 3.0 ----------------------------------------------------------------------------


def _checks(report: Report) -> list[dict[str, str]]:
    return [
        {"name": c.name, "label": c.label, "outcome": c.outcome, "message": c.message}
        for c in report.checks
    ]


def _failed_summary(report: Report) -> str:
    failed = [c for c in report.checks if c.outcome == "failed"]
    return "; ".join(f"{c.label}: {c.message}" for c in failed) or "no check passed"


def _prepare_ob3(text: str, source_format: str, source_name: str, now: datetime) -> _Prepared:
    report = verification.verify(text, now=now)
    if report.verdict == "invalid":
        raise _Refused(
            f"Not imported: the credential failed verification — {_failed_summary(report)}."
        )
    credential = report.credential or {}
    if not _types(credential.get("type")) & OB_TYPES:
        raise _Refused(
            "Not imported: the credential verifies but is not an Open Badges credential "
            "(type OpenBadgeCredential or AchievementCredential)."
        )
    return _Prepared(
        kind=ImportKind.OB3,
        source_format=source_format,
        source_name=source_name,
        content=text,
        sha256=_digest(text),
        verdict=report.verdict,
        checks=_checks(report),
        fields=_ob3_fields(credential, report),
    )


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _image(value: Any) -> str:
    url = value.get("id") if isinstance(value, dict) else value
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 2000:
        return url
    return ""  # data: URIs are not kept apart from the credential


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ob3_fields(credential: dict[str, Any], report: Report) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    recipients = []
    for identifier in subject.get("identifier") or []:
        if isinstance(identifier, dict) and isinstance(identifier.get("identityHash"), str):
            kind = identifier.get("identityType", "identifier")
            hashed = " (hashed)" if identifier.get("hashed") else ""
            recipients.append(f"{kind}: {identifier['identityHash']}{hashed}")
    if isinstance(subject.get("id"), str):
        recipients.insert(0, subject["id"])
    if isinstance(subject.get("name"), str):
        recipients.insert(0, subject["name"])
    return {
        "credential_id": _text(credential.get("id"), 500),
        "issuer_id": (report.issuer_id or "")[:500],
        "issuer_name": (report.issuer_name or "")[:300],
        "title": _text(achievement.get("name"), 300)
        or _text(credential.get("name"), 300)
        or "Untitled credential",
        "description": _text(achievement.get("description"), 5000)
        or _text(credential.get("description"), 5000),
        "image_url": _image(achievement.get("image")) or _image(credential.get("image")),
        "issued_at": _moment(credential.get("validFrom"))
        or _moment(credential.get("issuanceDate"))
        or _moment(credential.get("awardedDate")),
        "valid_until": _moment(credential.get("validUntil"))
        or _moment(credential.get("expirationDate")),
        "recipient": "; ".join(recipients)[:500],
    }


# --- Open Badges 2.0 ----------------------------------------------------------------------------


def _fetch_object(url: str, what: str, fetch: Fetch) -> dict[str, Any]:
    if not isinstance(url, str) or not url.startswith("https://"):
        raise _Refused(f"The {what}'s address must be an https:// URL, not {str(url)[:100]!r}.")
    try:
        document = fetch(url)
    except FetchError as exc:
        raise _Refused(f"The {what} could not be fetched: {exc.message}") from None
    if not isinstance(document, dict):
        raise _Refused(f"The {what} at {url} is not a JSON object.")
    return document


def _ob2_check(name: str, label: str, outcome: str, message: str) -> dict[str, str]:
    return {"name": name, "label": label, "outcome": outcome, "message": message}


def _ob2_unsigned() -> dict[str, str]:
    return _ob2_check(
        "proof",
        CHECK_LABELS["proof"],
        "skipped",
        "Open Badges 2.0 hosted assertions carry no signature: not cryptographically verified",
    )


def _check_assertion(assertion: dict[str, Any]) -> str:
    """The hosted assertion's address, after checking it claims to be a hosted assertion."""
    verification_ = assertion.get("verification")
    kind = verification_.get("type") if isinstance(verification_, dict) else None
    if kind in OB2_SIGNED:
        raise _Refused("Signed Open Badges 2.0 assertions cannot be imported, only hosted ones.")
    if kind not in OB2_HOSTED:
        raise _Refused(
            "The Open Badges 2.0 assertion does not say it is hosted (verification.type "
            "'hosted'); only hosted assertions can be imported."
        )
    if "Assertion" not in _types(assertion.get("type")):
        raise _Refused("The Open Badges 2.0 document is not an Assertion.")
    return str(assertion.get("id") or "")


def _prepare_ob2(
    assertion_or_url: dict[str, Any] | str,
    source_format: str,
    source_name: str,
    fetch: Fetch,
    now: datetime,
    text: str | None = None,
) -> _Prepared:
    """An OB 2.0 assertion as received (JSON), or only its address (a baked badge may hold
    just that): the issuer's hosted copy is what counts, fetched from the assertion's id."""
    assertion = assertion_or_url if isinstance(assertion_or_url, dict) else None
    assertion_url = _check_assertion(assertion) if assertion else str(assertion_or_url)
    hosted = _fetch_object(assertion_url, "hosted assertion", fetch)
    _check_assertion(hosted)
    if hosted.get("id") != assertion_url:
        raise _Refused(
            f"The assertion hosted at {assertion_url} names another id "
            f"({str(hosted.get('id'))[:200]!r}); it is not the issuer's copy."
        )
    if not _is_ob2(hosted):  # _check_assertion saw its Assertion type
        raise _Refused(f"{assertion_url} does not hold an Open Badges 2.0 assertion.")
    if assertion is not None:
        differing = [
            k for k in ("badge", "recipient", "issuedOn") if assertion.get(k) != hosted.get(k)
        ]
        if differing:
            raise _Refused(
                f"The assertion differs from the issuer's hosted copy at {assertion_url} "
                f"({', '.join(differing)}); it may have been altered."
            )
    badge = hosted.get("badge")
    if not isinstance(badge, dict):
        badge = _fetch_object(badge, "badge class", fetch)
    issuer = badge.get("issuer")
    if not isinstance(issuer, dict):
        issuer = _fetch_object(issuer, "issuer profile", fetch)
    issuer_id = issuer.get("id") or badge.get("issuer")
    if not isinstance(issuer_id, str) or not issuer_id:
        raise _Refused("The badge class names no issuer.")
    verdict, checks = _ob2_verdict(hosted, assertion_url, now)
    content = text if text is not None else json.dumps(hosted, ensure_ascii=False, indent=2)
    recipient = hosted.get("recipient") if isinstance(hosted.get("recipient"), dict) else {}
    stated = ""
    if isinstance(recipient.get("identity"), str):
        hashed = " (hashed)" if recipient.get("hashed") else ""
        stated = f"{recipient.get('type', 'identity')}: {recipient['identity']}{hashed}"
    return _Prepared(
        kind=ImportKind.OB2_HOSTED,
        source_format=source_format,
        source_name=source_name,
        content=content,
        sha256=_digest(content),
        verdict=verdict,
        checks=checks,
        fields={
            "credential_id": assertion_url[:500],
            "issuer_id": issuer_id[:500],
            "issuer_name": _text(issuer.get("name"), 300),
            "title": _text(badge.get("name"), 300) or "Untitled badge",
            "description": _text(badge.get("description"), 5000),
            "image_url": _image(badge.get("image")),
            "issued_at": _moment(hosted.get("issuedOn")),
            "valid_until": _moment(hosted.get("expires")),
            "recipient": stated[:500],
        },
    )


def _ob2_verdict(
    hosted: dict[str, Any], assertion_url: str, now: datetime
) -> tuple[str, list[dict[str, str]]]:
    checks = [
        _ob2_check(
            "hosted", "Hosted assertion", "passed", f"the issuer hosts it at {assertion_url}"
        ),
        _ob2_unsigned(),
    ]
    verdict = ImportVerdict.VALID
    if hosted.get("revoked") is True:
        reason = _text(hosted.get("revocationReason"), 300)
        checks.append(
            _ob2_check(
                "status",
                CHECK_LABELS["status"],
                "failed",
                "the issuer has revoked this badge" + (f": {reason}" if reason else ""),
            )
        )
        verdict = ImportVerdict.REVOKED
    else:
        checks.append(_ob2_check("status", CHECK_LABELS["status"], "passed", "not revoked"))
    expires = _moment(hosted.get("expires"))
    if expires is not None and now >= expires:
        checks.append(
            _ob2_check(
                "validity", CHECK_LABELS["validity"], "failed", f"expired on {expires:%Y-%m-%d}"
            )
        )
        if verdict == ImportVerdict.VALID:
            verdict = ImportVerdict.EXPIRED
    else:
        checks.append(
            _ob2_check(
                "validity",
                CHECK_LABELS["validity"],
                "passed",
                "does not expire" if expires is None else f"valid until {expires:%Y-%m-%d}",
            )
        )
    return verdict, checks


# --- Storing ------------------------------------------------------------------------------------


def _already(owner: User, sha256: str) -> _Refused:
    existing = imported_credentials_of(owner).filter(content_sha256=sha256).first()
    when = f" on {existing.imported_at:%d %B %Y}" if existing else ""
    title = f" as “{existing.title}”" if existing else ""
    return _Refused(f"Already in your wallet: imported{when}{title}.")


def _store(owner: User, item: _Prepared) -> ImportedCredential:
    if imported_credentials_of(owner).filter(content_sha256=item.sha256).exists():
        raise _already(owner, item.sha256)
    try:
        with transaction.atomic():
            imported = ImportedCredential.objects.create(
                owner=owner,
                kind=item.kind,
                source_format=item.source_format,
                source_name=item.source_name[:500],
                content=item.content,
                content_sha256=item.sha256,
                verdict=item.verdict,
                checks=item.checks,
                verified_at=timezone.now(),
                **item.fields,
            )
            log_action(
                "microcred.wallet.credential_imported",
                actor=owner,
                organization=None,
                target=imported,
                data={
                    "kind": imported.kind,
                    "source": imported.source_format,
                    "issuer": imported.issuer_id,
                    "title": imported.title,
                    "verdict": imported.verdict,
                    "sha256": imported.content_sha256,
                },
            )
    except IntegrityError:  # the same credential imported at the same moment elsewhere
        raise _already(owner, item.sha256) from None
    return imported


# --- After import -------------------------------------------------------------------------------


def reverify_imported(
    *, owner: User, uuid: Any, fetch: Fetch | None = None, now: datetime | None = None
) -> ImportedCredential:
    """Check the imported credential again (revocation, expiry, the issuer's keys) and store the
    new verdict; an Open Badges 2.0 assertion is fetched again from its issuer. The checks may
    fetch (DID documents, status lists), so they run before the row is locked."""
    imported = imported_credential_for(owner, uuid)
    now = now or timezone.now()
    if imported.kind == ImportKind.OB3:
        report = verification.verify(imported.content, now=now)
        verdict, checks = report.verdict, _checks(report)
    else:
        verdict, checks = _reverify_ob2(imported, fetch or fetch_json, now)
    with transaction.atomic():
        locked = ImportedCredential.objects.select_for_update().filter(pk=imported.pk).first()
        if locked is None:  # removed meanwhile
            raise NotFound("No such imported credential.")
        before = locked.verdict
        locked.verdict, locked.checks, locked.verified_at = verdict, checks, timezone.now()
        locked.save(update_fields=["verdict", "checks", "verified_at"])
        log_action(
            "microcred.wallet.imported_reverified",
            actor=owner,
            organization=None,
            target=locked,
            data={"from": before, "to": locked.verdict},
        )
    return locked


def _reverify_ob2(
    imported: ImportedCredential, fetch: Fetch, now: datetime
) -> tuple[str, list[dict[str, str]]]:
    try:
        hosted = _fetch_object(imported.credential_id, "hosted assertion", fetch)
        if hosted.get("id") != imported.credential_id:
            raise _Refused(f"The assertion hosted at {imported.credential_id} names another id.")
        return _ob2_verdict(hosted, imported.credential_id, now)
    except _Refused as exc:
        return ImportVerdict.UNKNOWN, [
            _ob2_check("hosted", "Hosted assertion", "unknown", exc.message),
            _ob2_unsigned(),
        ]


@transaction.atomic
def delete_imported(*, owner: User, uuid: Any) -> ImportedCredential:
    """Remove an imported credential from the holder's wallet (the issuer is not affected);
    the removed record is returned, for saying what was removed."""
    imported = imported_credential_for(owner, uuid)
    log_action(
        "microcred.wallet.imported_deleted",
        actor=owner,
        organization=None,
        target=imported,
        data={
            "issuer": imported.issuer_id,
            "title": imported.title,
            "sha256": imported.content_sha256,
        },
    )
    imported.delete()
    return imported


def grouped_by_issuer(owner: User) -> list[tuple[str, list[ImportedCredential]]]:
    """The owner's imported credentials grouped by issuer name (as the credentials state it)."""
    groups: dict[str, list[ImportedCredential]] = {}
    for item in imported_credentials_of(owner).order_by("-issued_at", "-pk"):
        groups.setdefault(item.issuer_label, []).append(item)
    return sorted(groups.items(), key=lambda entry: entry[0].casefold())
