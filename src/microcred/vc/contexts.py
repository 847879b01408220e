"""Registry of the JSON-LD contexts microcred accepts, bundled as package data.

VC Data Model 2.0 §4.3 ("Contexts") and Data Integrity 1.0 §2.4 ("Contexts and Vocabularies"):
implementations must use static, pinned copies of the contexts they support rather than fetch
them. Every URL maps to a file in ``microcred/vc/contexts/`` and the sha256 of its bytes; the
digest is checked the first time the file is loaded (once per process). Where a specification
publishes a digest (credentials v2, data-integrity v2, multikey v1, status v1) the registered
value is that published digest. A URL that is not in the registry raises :class:`ContextError`;
nothing is ever fetched.

Sources and digests of every file: ``/work/shared/reference/MANIFEST.txt`` (in the repository's
research notes); the OB 3.0.3 context is the spec-repo / npm ``@digitalcredentials/open-badges-
context`` copy (sha256 ``ef2fa9c7…``), not the 1EdTech validator variant with ``endorsementJwt``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from microcred.vc.errors import ContextError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
CREDENTIALS_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
OB_V3P0_3_0_1 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OB_V3P0_3_0_2 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
OB_V3P0_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0_2_0_1 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One pinned context: the bundled file name and the sha256 (hex) of its exact bytes."""

    url: str
    filename: str
    sha256: str


_ENTRIES = (
    ContextEntry(
        CREDENTIALS_V2,
        "credentials-v2.jsonld",
        # Published in VC-DATA-MODEL-2.0 §B.1 ("Base Context").
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    ),
    ContextEntry(
        CREDENTIALS_V1,
        "credentials-v1.jsonld",
        "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
    ),
    ContextEntry(
        CREDENTIALS_EXAMPLES_V2,
        "credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    ),
    ContextEntry(
        STATUS_V1,
        "credentials-status-v1.jsonld",
        # Published in VC-BITSTRING-STATUS-LIST §2.5 (contexts).
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    ),
    ContextEntry(
        DATA_INTEGRITY_V1,
        "data-integrity-v1.jsonld",
        "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    ),
    ContextEntry(
        DATA_INTEGRITY_V2,
        "data-integrity-v2.jsonld",
        # Published in VC-DATA-INTEGRITY §2.4.
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    ),
    ContextEntry(
        MULTIKEY_V1,
        "multikey-v1.jsonld",
        # Published in VC-DATA-INTEGRITY / Controlled Identifiers.
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    ),
    ContextEntry(
        DID_V1,
        "did-v1.jsonld",
        "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f",
    ),
    ContextEntry(
        ED25519_2020_V1,
        "ed25519-2020-v1.jsonld",
        "3db5c19efb0047a6edfd3b36e24346a8a3caad369d749e3c2d69e862696403e5",
    ),
    ContextEntry(
        OB_V3P0_3_0_1,
        "ob-v3p0-context-3.0.1.json",
        "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355",
    ),
    ContextEntry(
        OB_V3P0_3_0_2,
        "ob-v3p0-context-3.0.2.json",
        "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    ),
    ContextEntry(
        OB_V3P0_3_0_3,
        "ob-v3p0-context-3.0.3.json",
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    ),
    ContextEntry(
        OB_V3P0_EXTENSIONS,
        "ob-v3p0-extensions.json",
        "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    ),
    ContextEntry(
        CLR_V2P0_2_0_1,
        "clr-v2p0-context-2.0.1.json",
        "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    ),
)

#: URL → entry. Read-only: adding a context is a code change with a pinned digest.
REGISTRY: MappingProxyType[str, ContextEntry] = MappingProxyType({e.url: e for e in _ENTRIES})

_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def is_known_context(url: str) -> bool:
    """Whether ``url`` names a context bundled with microcred."""
    return url in REGISTRY


def read_context_bytes(url: str) -> bytes:
    """The exact bundled bytes of a registered context (no digest check; see :func:`load_context`)."""
    entry = REGISTRY.get(url) if isinstance(url, str) else None
    if entry is None:
        raise ContextError(f"context {url!r} is not one of the contexts microcred accepts")
    return resources.files("microcred.vc").joinpath("contexts", entry.filename).read_bytes()


def load_context(url: str) -> Any:
    """The parsed JSON of a registered context, digest-checked on first load and cached.

    Raises :class:`ContextError` for an unregistered URL or a bundled file whose sha256 does not
    match the registry (a corrupted or tampered installation). The returned object is shared:
    callers must not mutate it.
    """
    document = _loaded.get(url) if isinstance(url, str) else None
    if document is not None:
        return document
    data = read_context_bytes(url)
    entry = REGISTRY[url]
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ContextError(
            f"bundled context {entry.filename} has sha256 {digest}, expected {entry.sha256}"
        )
    document = json.loads(data)
    with _lock:
        return _loaded.setdefault(url, document)
