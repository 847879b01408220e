from __future__ import annotations

import pytest

from microcred.vc.didweb import did_web, did_web_document_url
from microcred.vc.errors import ParsingError


@pytest.mark.parametrize(
    ("base", "segments", "did", "url"),
    [
        (
            "https://w3c-ccg.github.io",
            (),
            "did:web:w3c-ccg.github.io",
            "https://w3c-ccg.github.io/.well-known/did.json",
        ),
        (
            "https://example.com:3000",
            ("user", "alice"),
            "did:web:example.com%3A3000:user:alice",
            "https://example.com:3000/user/alice/did.json",
        ),
        (
            "https://creds.example.org/microcred/",
            ("orgs", "uni"),
            "did:web:creds.example.org:microcred:orgs:uni",
            "https://creds.example.org/microcred/orgs/uni/did.json",
        ),
    ],
)
def test_did_web_round_trip(base, segments, did, url):
    assert did_web(base, *segments) == did
    assert did_web_document_url(did) == url
    assert did_web_document_url(did + "#key-1") == url


@pytest.mark.parametrize(
    "bad", ["did:key:z6Mk", "did:web:", "did:web:host::x", "did:web:host:..", "did:web:a%2Fb"]
)
def test_malformed_did_web_is_rejected(bad):
    with pytest.raises(ParsingError):
        did_web_document_url(bad)
