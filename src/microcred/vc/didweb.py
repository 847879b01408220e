"""did:web identifiers and the HTTPS address of their DID documents.

did:web Method Specification (W3C CCG), §3.1/§3.2: the method-specific identifier is the host
(a port's colon percent-encoded as ``%3A``) followed by ``:``-separated path segments; the
document lives at ``https://<host>/<segments…>/did.json``, or ``/.well-known/did.json`` when
there is no path.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from microcred.vc.errors import ParsingError


def did_web(base_url: str, *segments: str) -> str:
    """The did:web for ``segments`` below ``base_url`` (whose own path, if any, is kept)."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ParsingError(f"{base_url!r} has no host name")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    path = [p for p in parts.path.split("/") if p] + [s for s in segments if s]
    return ":".join(["did", "web", host, *(quote(p, safe="") for p in path)])


def did_web_document_url(did: str) -> str:
    """Where a did:web's document is fetched from (always HTTPS)."""
    if not did.startswith("did:web:"):
        raise ParsingError("not a did:web")
    identifier = did.removeprefix("did:web:").split("#", 1)[0]
    pieces = identifier.split(":")
    host = unquote(pieces[0])
    if not host or "/" in host or "@" in host:
        raise ParsingError("a did:web must name a host")
    path = [unquote(piece) for piece in pieces[1:]]
    if any(not piece or "/" in piece or piece in {".", ".."} for piece in path):
        raise ParsingError("a did:web path segment is empty or not a plain name")
    if not path:
        return f"https://{host}/.well-known/did.json"
    return f"https://{host}/{'/'.join(path)}/did.json"
