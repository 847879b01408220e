"""The one guarded HTTP client for everything fetched while verifying (did:web, status lists).

Server-side request forgery defences (OWASP ASVS 5.0 §1.3.6): HTTPS only; the host name is
resolved once and every address must be globally routable (no loopback, private, link-local
or cloud-metadata addresses) unless a test opts in; the connection goes to the checked address
while TLS still verifies the host name (so DNS rebinding cannot swap the address); redirects
are followed only after the same checks, at most a few times; connect/read timeouts and a
byte cap bound the work; only JSON content types are accepted.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from microcred.vc.errors import VCError

JSON_TYPES = (
    "application/json",
    "application/ld+json",
    "application/did+json",
    "application/did+ld+json",
    "application/vc+ld+json",
    "application/vc",
)


class FetchError(VCError):
    code = "RETRIEVAL_ERROR"


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 5.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 3
    allow_private: bool = False  # tests only: lets a local HTTPS server be reached
    ssl_context: ssl.SSLContext | None = None


Resolve = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    return list({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _checked_address(host: str, port: int, policy: FetchPolicy, resolve: Resolve) -> str:
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise FetchError(f"{host} has no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not (address.is_global or policy.allow_private):
            raise FetchError(
                f"{host} resolves to a non-public address ({address}); refusing to connect"
            )
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to an already checked address; TLS verifies the original host name."""

    def __init__(
        self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch_json(url: str, *, policy: FetchPolicy | None = None, resolve: Resolve = _resolve) -> Any:
    """GET ``url`` and parse JSON, under every guard above. Raises FetchError with the reason."""
    policy = policy or FetchPolicy()
    context = policy.ssl_context or ssl.create_default_context()
    for _ in range(policy.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise FetchError(f"only https:// addresses are fetched, not {url!r}")
        if parts.username or parts.password:
            raise FetchError("addresses with credentials are not fetched")
        port = parts.port or 443
        address = _checked_address(parts.hostname, port, policy, resolve)
        connection = _PinnedHTTPSConnection(parts.hostname, address, port, policy.timeout, context)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "GET",
                target,
                headers={"Accept": "application/json", "User-Agent": "microcred-verifier"},
            )
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308}:
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"{url} redirected without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"{url} answered HTTP {response.status}")
            content_type = (
                (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            )
            if content_type not in JSON_TYPES:
                raise FetchError(f"{url} sent {content_type or 'no content type'}, not JSON")
            body = response.read(policy.max_bytes + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{url} could not be fetched: {exc}") from None
        finally:
            connection.close()
        if len(body) > policy.max_bytes:
            raise FetchError(f"{url} is larger than {policy.max_bytes} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise FetchError(f"{url} did not return valid JSON") from None
    raise FetchError(f"{url}: too many redirects")
