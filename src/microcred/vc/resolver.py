"""Verification method resolution: did:key locally, did:web from a local registry or over the
guarded HTTP client (vc.fetch).

Controlled Identifiers 1.0 §3.3 (retrieve verification method): the method must be listed in
the controller document, its ``controller`` must be the DID, and — for assertions — it must be
referenced from ``assertionMethod``. The key must be an Ed25519 Multikey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from microcred.vc import multikey
from microcred.vc.didweb import did_web_document_url
from microcred.vc.errors import VCError
from microcred.vc.fetch import fetch_json


class ResolutionError(VCError):
    code = "INVALID_VERIFICATION_METHOD"


@dataclass(frozen=True)
class ResolvedKey:
    verification_method: str
    controller: str
    public_key: Ed25519PublicKey
    compromised_at: datetime | None = None  # known only for this installation's own keys


LocalDocuments = Callable[[str], dict[str, Any] | None]
KeyCompromise = Callable[[str], datetime | None]


class Resolver:
    """Resolves verification methods. ``local`` answers for this installation's own DIDs (no
    HTTP to ourselves); ``fetch`` gets other did:web documents; ``compromised`` tells when one
    of our keys was marked compromised."""

    def __init__(
        self,
        *,
        local: LocalDocuments = lambda did: None,
        fetch: Callable[[str], Any] | None = fetch_json,
        compromised: KeyCompromise = lambda method: None,
    ) -> None:
        self._local = local
        self._fetch = fetch
        self._compromised = compromised
        self._documents: dict[str, dict[str, Any]] = {}

    def did_document(self, did: str) -> dict[str, Any]:
        if did in self._documents:
            return self._documents[did]
        if did.startswith("did:key:"):
            document = multikey.did_key_document(did)
        elif did.startswith("did:web:"):
            document = self._local(did)
            if document is None:
                if self._fetch is None:
                    raise ResolutionError(
                        f"{did} is not resolvable here (network resolution is off)"
                    )
                document = self._fetch(did_web_document_url(did))
        else:
            raise ResolutionError(
                f"unsupported DID method in {did!r} (did:key and did:web are supported)"
            )
        if not isinstance(document, dict) or document.get("id") != did:
            raise ResolutionError(f"the DID document for {did} does not describe {did}")
        self._documents[did] = document
        return document

    def resolve(self, verification_method: str) -> ResolvedKey:
        if "#" not in verification_method:
            raise ResolutionError("a verification method URL needs a #fragment")
        did = verification_method.split("#", 1)[0]
        document = self.did_document(did)
        method = next(
            (
                m
                for m in document.get("verificationMethod", [])
                if isinstance(m, dict) and _absolute(did, m.get("id")) == verification_method
            ),
            None,
        )
        if method is None:
            raise ResolutionError(f"{verification_method} is not in {did}'s DID document")
        if method.get("controller") != did:
            raise ResolutionError(f"{verification_method} is not controlled by {did}")
        assertion = [
            _absolute(did, entry if isinstance(entry, str) else entry.get("id"))
            for entry in document.get("assertionMethod", [])
        ]
        if verification_method not in assertion:
            raise ResolutionError(f"{verification_method} is not an assertion method of {did}")
        if method.get("type") not in {"Multikey", "Ed25519VerificationKey2020"}:
            raise ResolutionError(
                f"{verification_method} has unsupported key type {method.get('type')!r}"
            )
        key = multikey.decode_public_key(str(method.get("publicKeyMultibase", "")))
        return ResolvedKey(verification_method, did, key, self._compromised(verification_method))


def _absolute(did: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return did + value if value.startswith("#") else value
