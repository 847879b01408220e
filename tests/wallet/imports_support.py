"""Credentials "issued elsewhere" for the import tests: an issuer with its own did:key and real
Ed25519 keys, baked badges, PDFs and archives built from them, and a local HTTPS server that hosts
Open Badges 2.0 assertions (the fetcher's SSRF guard is opened for it with ``allow_private``)."""

from __future__ import annotations

import datetime
import functools
import http.server
import io
import json
import ssl
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from microcred.vc import baking, dataintegrity, jose, multikey, ob3
from microcred.vc.fetch import FetchPolicy, fetch_json
from tests.support.tls import self_signed_certificate

UTC = datetime.UTC


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ElsewhereIssuer:
    """Another installation's issuer: a did:key and a name."""

    def __init__(self, name: str = "Elsewhere University") -> None:
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        self.did = multikey.did_key(self.key.public_key())
        self.method = multikey.did_key_verification_method(self.did)

    def unsigned(
        self,
        title: str = "Marine Biology Fieldwork",
        *,
        email: str = "holder@example.test",
        valid_from: datetime.datetime | None = None,
        valid_until: datetime.datetime | None = None,
        number: int = 1,
    ) -> dict[str, Any]:
        valid_from = valid_from or datetime.datetime.now(UTC) - datetime.timedelta(days=30)
        return ob3.build_credential(
            id=f"urn:uuid:6f1c0d2e-0000-4000-8000-{number:012d}",
            issuer=ob3.Issuer(id=self.did, name=self.name, url="https://elsewhere.example.org"),
            achievement=ob3.Achievement(
                id=f"https://elsewhere.example.org/achievements/{number}",
                name=title,
                description="Survey a rocky shore and report on it.",
                criteria_narrative="Complete three supervised field days.",
            ),
            recipient=ob3.Recipient(email=email, salt="pepper", name="Hana Holder"),
            valid_from=stamp(valid_from),
            valid_until=stamp(valid_until) if valid_until else None,
        )

    def sign(self, credential: dict[str, Any]) -> dict[str, Any]:
        return dataintegrity.sign(
            credential, key=self.key, verification_method=self.method, proof_as_array=True
        )

    def credential(self, title: str = "Marine Biology Fieldwork", **kwargs: Any) -> dict:
        return self.sign(self.unsigned(title, **kwargs))

    def json_text(self, title: str = "Marine Biology Fieldwork", **kwargs: Any) -> str:
        return json.dumps(self.credential(title, **kwargs), indent=2, ensure_ascii=False)

    def jwt(self, title: str = "Marine Biology Fieldwork", **kwargs: Any) -> str:
        return jose.sign_jwt(self.unsigned(title, **kwargs), key=self.key, kid=self.method)


def plain_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


PLAIN_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">\n'
    b'  <circle cx="32" cy="32" r="30" fill="#1478c8"/>\n'
    b"</svg>\n"
)


def baked_png(credential_text: str) -> bytes:
    return baking.bake_png(plain_png(), credential_text)


def baked_svg(credential_text: str) -> bytes:
    return baking.bake_svg(PLAIN_SVG, credential_text)


def pdf_with(credential_text: str, name: str = "credential.json") -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    document.attachments[name] = pikepdf.AttachedFileSpec(
        document, credential_text.encode(), mime_type="application/json"
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- Open Badges 2.0 hosted on a local HTTPS server ---------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        status, document = self.server.documents.get(self.path, (404, {"error": "not found"}))
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    documents: dict[str, tuple[int, Any]]
    requests: list[str]


@dataclass
class OB2Host:
    """Hosts OB 2.0 assertions, badge classes and issuer profiles at https://127.0.0.1:<port>."""

    server: _Server
    client_context: ssl.SSLContext
    documents: dict[str, tuple[int, Any]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, document: Any, status: int = 200) -> str:
        self.server.documents[path] = (status, document)
        return self.url(path)

    @property
    def fetch(self) -> Any:
        """The real guarded fetcher, allowed to reach this loopback server."""
        return functools.partial(
            fetch_json, policy=FetchPolicy(allow_private=True, ssl_context=self.client_context)
        )

    def badge(self, number: int = 1, *, revoked: bool = False, embedded: bool = False) -> dict:
        """Host an issuer, a badge class and an assertion; return the assertion."""
        issuer = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Issuer",
            "id": self.url("/issuer"),
            "name": "Old Guild of Makers",
            "url": "https://guild.example.org",
            "email": "badges@guild.example.org",
        }
        self.serve("/issuer", issuer)
        badge = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "BadgeClass",
            "id": self.url(f"/badges/{number}"),
            "name": f"Woodworking Level {number}",
            "description": "Joins, finishes and safe use of hand tools.",
            "image": "https://guild.example.org/badge.png",
            "criteria": {"narrative": "Build a dovetailed box."},
            "issuer": issuer if embedded else issuer["id"],
        }
        self.serve(f"/badges/{number}", badge)
        assertion: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Assertion",
            "id": self.url(f"/assertions/{number}"),
            "recipient": {
                "type": "email",
                "hashed": True,
                "salt": "nacl",
                "identity": "sha256$c7ef86405ba71b85acd8e2e95166c4b111448089f2e1599f42fe1bba46e865c5",
            },
            "badge": badge if embedded else badge["id"],
            "verification": {"type": "hosted"},
            "issuedOn": "2019-05-04T10:00:00Z",
        }
        if revoked:
            assertion["revoked"] = True
            assertion["revocationReason"] = "Awarded by mistake"
        self.serve(f"/assertions/{number}", assertion)
        return assertion


@contextmanager
def ob2_host(tmp_path: Any) -> Iterator[OB2Host]:
    certificate = self_signed_certificate(ip_addresses=("127.0.0.1",))
    cert_file, key_file = tmp_path / "ob2-cert.pem", tmp_path / "ob2-key.pem"
    cert_file.write_bytes(certificate.cert_pem)
    key_file.write_bytes(certificate.key_pem)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.documents, server.requests = {}, []
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield OB2Host(server, ssl.create_default_context(cadata=certificate.cert_pem.decode()))
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def ob2_png(content: str, chunk: bytes = b"iTXt") -> bytes:
    """A PNG baked the Open Badges 2.0 way: an ``openbadges`` text chunk before IEND."""
    import binascii
    import struct

    if chunk == b"iTXt":
        data = b"openbadges\0\0\0\0\0" + content.encode()
    else:
        data = b"openbadges\0" + content.encode("latin-1")
    crc = binascii.crc32(data, binascii.crc32(chunk))
    raw = struct.pack(">I4s", len(data), chunk) + data + struct.pack(">I", crc)
    image = plain_png()
    return image[:-12] + raw + image[-12:]


def ob2_svg(assertion_url: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        'width="64" height="64">'
        f'<openbadges:assertion verify="{assertion_url}"/>'
        '<rect width="64" height="64" fill="#963"/></svg>'
    ).encode()
