"""The one guarded HTTP client for everything fetched while verifying (did:web, status lists).

Server-side request forgery defences (OWASP ASVS 5.0 §1.3.6): HTTPS only; the host name is
resolved once and every address must be globally routable (no loopback, private, link-local
or cloud-metadata addresses) unless a test opts in; the connection goes to the checked address
while TLS still verifies the host name (so DNS rebinding cannot swap the address); redirects
are followed only after the same checks, at most a few times; connect/read timeouts and a
byte cap bound the work (the timeout bounds each hop as a whole, so a server that drips bytes
cannot hold a verification open); only JSON content types are accepted. IPv6 addresses that
embed an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) are judged by that address too.
Malformed addresses (bad port, bad IPv6 literal, over-long labels) are FetchErrors as well.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import socket
import ssl
import time
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


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable, and so is any IPv4 address it embeds (a NAT64 gateway or 6to4 relay
    would otherwise carry ``64:ff9b::a9fe:a9fe`` to 169.254.169.254)."""
    if not address.is_global or address.is_multicast:  # 224.0.0.0/4 and ff00::/8 count as global
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return False
    return True


def _checked_address(host: str, port: int, policy: FetchPolicy, resolve: Resolve) -> str:
    try:
        addresses = resolve(host, port)
    except (OSError, ValueError) as exc:  # UnicodeError: an empty or over-long label
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise FetchError(f"{host} has no address")
    for text in addresses:
        try:
            address = ipaddress.ip_address(str(text).split("%", 1)[0])
        except ValueError:
            raise FetchError(f"{host} resolves to something that is not an address") from None
        if not (_is_public(address) or policy.allow_private):
            raise FetchError(
                f"{host} resolves to a non-public address ({address}); refusing to connect"
            )
    return addresses[0]


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the server took too long")
    return left


class _DeadlineReader(io.RawIOBase):
    """Reads from the TLS socket, each read bounded by what is left of the hop's deadline
    (a plain socket timeout restarts on every byte, so a dripping server could hold on)."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        sock = self._owner.tls
        sock.settimeout(_remaining(self._owner.deadline))
        return sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._owner.reader_closed()


class _DeadlineSocket:
    """What http.client sees as the socket. Like socket.makefile, an open reader keeps the
    socket open after close() (http.client closes the connection before reading the body of
    a "Connection: close" response)."""

    def __init__(self, tls: ssl.SSLSocket, deadline: float) -> None:
        self.tls = tls
        self.deadline = deadline
        self._readers = 0
        self._closed = False

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def sendall(self, data: Any) -> None:
        self.tls.settimeout(_remaining(self.deadline))
        self.tls.sendall(data)

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closed and not self._readers:
            self.tls.close()

    def close(self) -> None:
        self._closed = True
        if not self._readers:
            self.tls.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tls, name)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to an already checked address; TLS verifies the original host name. The whole
    exchange (connect, handshake, request, response) must finish within ``timeout``."""

    def __init__(
        self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._deadline = time.monotonic() + timeout

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), _remaining(self._deadline))
        try:
            sock.settimeout(_remaining(self._deadline))
            tls = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(tls, self._deadline)  # type: ignore[assignment]


def fetch_json(url: str, *, policy: FetchPolicy | None = None, resolve: Resolve = _resolve) -> Any:
    """GET ``url`` and parse JSON, under every guard above. Raises FetchError with the reason."""
    policy = policy or FetchPolicy()
    context = policy.ssl_context or ssl.create_default_context()
    for _ in range(policy.max_redirects + 1):
        try:
            parts = urlsplit(url)
            hostname, port = parts.hostname, parts.port or 443
        except ValueError as exc:  # a bad IPv6 literal or port
            raise FetchError(f"{url!r} is not a valid address: {exc}") from None
        if parts.scheme != "https" or not hostname:
            raise FetchError(f"only https:// addresses are fetched, not {url!r}")
        if parts.username or parts.password or "@" in parts.netloc:
            raise FetchError("addresses with credentials are not fetched")
        address = _checked_address(hostname, port, policy, resolve)
        connection = _PinnedHTTPSConnection(hostname, address, port, policy.timeout, context)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response: http.client.HTTPResponse | None = None
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
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: urljoin, IDNA
            raise FetchError(f"{url} could not be fetched: {exc}") from None
        finally:
            if response is not None:
                response.close()  # closes the socket even when the body was not read whole
            connection.close()
        if len(body) > policy.max_bytes:
            raise FetchError(f"{url} is larger than {policy.max_bytes} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise FetchError(f"{url} did not return valid JSON") from None
    raise FetchError(f"{url}: too many redirects")
