"""Pinned JSON-LD contexts: digests, registry completeness, and no network ever."""

from __future__ import annotations

import hashlib
import socket
from importlib import resources
from typing import Any

import pytest

from microcred.vc import contexts, jsonld
from microcred.vc.errors import ContextError

# Digests published by the specifications themselves (VC-DATA-MODEL-2.0 §B.1,
# VC-DATA-INTEGRITY §2.4, Controlled Identifiers / multikey, VC-BITSTRING-STATUS-LIST).
SPEC_DIGESTS = {
    "https://www.w3.org/ns/credentials/v2": (
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    ),
    "https://w3id.org/security/multikey/v1": (
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597"
    ),
    "https://w3id.org/security/data-integrity/v2": (
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4"
    ),
    "https://www.w3.org/ns/credentials/status/v1": (
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"
    ),
}


def bundled_files() -> dict[str, bytes]:
    folder = resources.files("microcred.vc").joinpath("contexts")
    return {entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}


@pytest.mark.parametrize("url", sorted(contexts.REGISTRY))
def test_bundled_file_matches_registry_digest(url: str) -> None:
    entry = contexts.REGISTRY[url]
    data = bundled_files()[entry.filename]
    assert hashlib.sha256(data).hexdigest() == entry.sha256
    assert contexts.load_context(url) is contexts.load_context(url)  # parsed once, cached


@pytest.mark.parametrize(("url", "digest"), sorted(SPEC_DIGESTS.items()))
def test_registry_uses_the_digest_the_spec_publishes(url: str, digest: str) -> None:
    assert contexts.REGISTRY[url].sha256 == digest
    assert hashlib.sha256(contexts.read_context_bytes(url)).hexdigest() == digest


def test_every_bundled_file_is_registered_once() -> None:
    registered = [entry.filename for entry in contexts.REGISTRY.values()]
    assert sorted(registered) == sorted(bundled_files())
    assert len(set(registered)) == len(registered)


def test_unknown_context_is_rejected_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    url = "https://example.com/contexts/evil.jsonld"
    with pytest.raises(ContextError):
        contexts.load_context(url)
    with pytest.raises(ContextError):
        jsonld.document_loader(url)
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", url],
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(ContextError, match="evil"):
        jsonld.canonicalize(document)
    # A known context still works with the network gone.
    assert jsonld.canonicalize(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "name": "n"}
    )


def test_top_level_inline_context_may_only_define_terms() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"foo": "https://example.com/foo"}],
        "id": "urn:x",
        "foo": "bar",
    }
    assert jsonld.canonicalize(document) == '<urn:x> <https://example.com/foo> "bar" .\n'
    for unsafe in (
        {"@vocab": "https://example.com/"},
        {"@import": "https://example.com/ctx"},
        {"@base": "https://example.com/"},
        {"foo": {"@id": "https://example.com/foo", "@context": {}}},
        {"foo": "relative"},
        {"foo": "_:b0"},
        {"foo": {"@id": "https://example.com/foo", "@container": "@graph"}},
        {"ex:foo": "https://example.com/foo"},
    ):
        with pytest.raises(ContextError):
            jsonld.canonicalize(
                {**document, "@context": ["https://www.w3.org/ns/credentials/v2", unsafe]}
            )


def test_inline_context_objects_below_the_top_level_are_rejected() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:x",
        "credentialSubject": {"@context": {"foo": "https://example.com/foo"}, "foo": "bar"},
    }
    with pytest.raises(ContextError):
        jsonld.canonicalize(document)


def test_tampered_bundle_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    url = contexts.CREDENTIALS_EXAMPLES_V2
    forged = contexts.ContextEntry(url, contexts.REGISTRY[url].filename, "00" * 32)
    monkeypatch.setattr(contexts, "REGISTRY", {**contexts.REGISTRY, url: forged})
    monkeypatch.setattr(contexts, "_loaded", {})
    with pytest.raises(ContextError, match="sha256"):
        contexts.load_context(url)


def test_non_string_url_is_rejected() -> None:
    with pytest.raises(ContextError):
        contexts.read_context_bytes(42)  # type: ignore[arg-type]
