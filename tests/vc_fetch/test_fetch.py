"""The guarded HTTP client (vc.fetch) against real loopback sockets.

Two kinds of evidence that a refused address is never contacted:

* a loopback TCP listener that counts accepted connections (the refused URL names its port);
* an audit hook (``sys.addaudithook``, active only while these tests run) that records every
  ``socket.connect`` and ``socket.getaddrinfo`` and raises — an error ``fetch_json`` does not
  catch — on any connect to a non-loopback address or any name lookup that could leave the
  machine. So even a regression cannot reach 169.254.169.254 or a DNS server from here.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from microcred.vc.fetch import FetchError, FetchPolicy, fetch_json
from tests.support.tls import Certificate, self_signed_certificate

# -- the network guard ----------------------------------------------------------------------


class LeftTheMachineError(RuntimeError):
    """Raised by the audit hook; not an OSError, so fetch_json cannot turn it into a refusal."""


def _is_local_lookup(host: Any) -> bool:
    """getaddrinfo on these does no network I/O: IP literals, inet_aton forms, localhost."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "localhost":
        return True
    if not isinstance(host, str):
        return False
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # decimal, octal, hex and short IPv4 forms
        return True
    except OSError:
        return False


@dataclass
class _Guard:
    active: bool = False
    connects: list[Any] = field(default_factory=list)
    lookups: list[Any] = field(default_factory=list)


GUARD = _Guard()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not GUARD.active:
        return
    if event == "socket.connect":
        address = args[1]
        GUARD.connects.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if not ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback:
            raise LeftTheMachineError(f"connect to {address!r}")
    elif event == "socket.getaddrinfo":
        GUARD.lookups.append(args[0])
        if not _is_local_lookup(args[0]):
            raise LeftTheMachineError(f"name lookup of {args[0]!r}")


sys.addaudithook(_audit)  # cannot be removed; inert unless GUARD.active


@pytest.fixture(autouse=True)
def guard() -> Iterator[_Guard]:
    GUARD.connects.clear()
    GUARD.lookups.clear()
    GUARD.active = True
    try:
        yield GUARD
    finally:
        GUARD.active = False


# -- a loopback listener that counts connections ----------------------------------------------


class CountingListener:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    try:
        yield counting
    finally:
        counting.close()


def _never_called(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolve({host!r}, {port}) must not be reached")


# -- 1. refusals with no connection made ------------------------------------------------------


def _refused(url: str, listener: CountingListener, guard: _Guard, **kwargs: Any) -> str:
    with pytest.raises(FetchError) as caught:
        fetch_json(url, **kwargs)
    time.sleep(0.1)  # let the listener thread accept anything that did arrive
    assert listener.accepted == 0
    assert guard.connects == []
    return caught.value.message


def test_plain_http_is_refused_even_when_private_addresses_are_allowed(listener, guard):
    message = _refused(
        f"http://localhost:{listener.port}/doc",
        listener,
        guard,
        policy=FetchPolicy(allow_private=True),
        resolve=lambda host, port: ["127.0.0.1"],
    )
    assert "https" in message


@pytest.mark.parametrize(
    "url", ["ftp://{host}:{port}/", "file:///etc/passwd", "https:///nohost", "//{host}:{port}/"]
)
def test_other_schemes_and_hostless_urls_are_refused(url, listener, guard):
    _refused(
        url.format(host="127.0.0.1", port=listener.port),
        listener,
        guard,
        policy=FetchPolicy(allow_private=True),
        resolve=_never_called,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/",
        "https://127.0.0.1:{port}/.well-known/did.json",
        "https://0.0.0.0:{port}/",  # Linux connects 0.0.0.0 to the local host
        "https://[::ffff:127.0.0.1]:{port}/",
        # numeric forms that inet_aton (and so getaddrinfo) read as 127.0.0.1
        "https://2130706433:{port}/",
        "https://0177.0.0.1:{port}/",
        "https://0x7f.0.0.1:{port}/",
        "https://127.1:{port}/",
        "https://0x7f000001:{port}/",
    ],
)
def test_loopback_addresses_are_refused_with_the_real_resolver(url, listener, guard):
    host = urlsplit(url.format(port=1)).hostname
    try:
        socket.getaddrinfo(host, 1, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pytest.skip(f"this libc does not read {host!r} as a numeric address")
    message = _refused(url.format(port=listener.port), listener, guard)
    assert "non-public address" in message
    assert all(_is_local_lookup(host) for host in guard.lookups)


def test_ipv6_loopback_is_refused(guard):
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    listener6 = CountingListener("::1")
    try:
        message = _refused(f"https://[::1]:{listener6.port}/", listener6, guard)
    finally:
        listener6.close()
    assert "non-public address" in message


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["93.184.216.34", "127.0.0.1"],  # ANY non-public address refuses the host
        ["127.0.0.1", "93.184.216.34"],
        ["169.254.169.254"],  # cloud metadata
        ["10.0.0.1"],
        ["172.16.5.4"],
        ["192.168.1.1"],
        ["100.64.0.1"],  # CGNAT
        ["0.0.0.0"],  # noqa: S104
        ["198.18.0.1"],  # benchmarking
        ["224.0.0.1"],  # multicast (ipaddress calls it global)
        ["ff02::1"],
        ["240.0.0.1"],  # reserved
        ["255.255.255.255"],
        ["::1"],
        ["::"],
        ["fe80::1%lo"],  # link-local with a zone
        ["fd00::1"],  # unique local
        ["::ffff:169.254.169.254"],  # IPv4-mapped
        ["64:ff9b::a9fe:a9fe"],  # NAT64 of 169.254.169.254
        ["64:ff9b::7f00:1"],  # NAT64 of 127.0.0.1
        ["2002:a00:1::1"],  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_resolutions_are_refused(addresses, listener, guard):
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return list(addresses)

    message = _refused(
        f"https://status.example.test:{listener.port}/list", listener, guard, resolve=resolve
    )
    assert calls == [("status.example.test", listener.port)]
    assert "non-public address" in message


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "10.0.0.1", "192.168.1.1", "100.64.0.1", "[fd00::1]"]
)
def test_private_ip_literals_are_refused_with_the_real_resolver(host, listener, guard):
    # getaddrinfo on a literal does no I/O; the audit hook would stop any connect anyway
    assert "non-public address" in _refused(f"https://{host}/meta-data/", listener, guard)


def test_a_resolver_answer_that_is_no_address_is_a_fetch_error(listener, guard):
    _refused(
        f"https://odd.example.test:{listener.port}/",
        listener,
        guard,
        resolve=lambda host, port: ["localhost"],
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@example.org/",
        "https://user@example.org/",
        "https://:pw@example.org/",
        "https://@example.org/",
    ],
)
def test_credentials_in_the_url_are_refused_before_resolving(url, listener, guard):
    message = _refused(url, listener, guard, resolve=_never_called)
    assert "credentials" in message


def test_credentials_are_refused_even_for_an_allowed_reachable_host(listener, guard):
    _refused(
        f"https://user:pw@localhost:{listener.port}/",
        listener,
        guard,
        policy=FetchPolicy(allow_private=True),
        resolve=lambda host, port: ["127.0.0.1"],
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org:99999/",  # port out of range
        "https://example.org:abc/",
        "https://[::1/",  # broken IPv6 literal
        "https://" + "a" * 64 + ".example/",  # label too long for IDNA
        "https://a..example/",  # empty label
    ],
)
def test_malformed_urls_are_fetch_errors_not_crashes(url, listener, guard):
    # These raised ValueError/UnicodeError before, which verify_credential does not catch.
    _refused(url, listener, guard)
    assert guard.lookups == []


# -- 2. a real local HTTPS server -------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate() -> Certificate:
    return self_signed_certificate()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()  # ends slow handlers at teardown
        self.requests: list[tuple[str, str | None]] = []  # (path, Host header)
        self.sni: list[str | None] = []
        self.big = b""


JSON = "application/json"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a client that never sends a request cannot pin a handler thread

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes = b"", content_type: str | None = JSON, **headers: str
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host")))
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        try:
            if path in {"/doc", "/other"}:
                self._send(200, json.dumps({"path": path}).encode())
            elif path == "/ld":
                self._send(200, b'{"ld": true}', "application/did+ld+json; charset=utf-8")
            elif path == "/html":
                self._send(200, b'{"html": true}', "text/html")
            elif path == "/untyped":
                self._send(200, b'{"untyped": true}', None)
            elif path == "/sized":
                size = int(query["n"][0])
                self._send(200, b'"' + b"a" * (size - 2) + b'"')
            elif path == "/missing":
                self._send(404, b'{"error": "not found"}')
            elif path == "/invalid":
                self._send(200, b"{not json")
            elif path == "/go":
                self._send(int(query.get("status", ["302"])[0]), b"", None, Location=query["to"][0])
            elif path == "/no-location":
                self._send(302, b"", None)
            elif path.startswith("/chain/"):
                left = int(path.removeprefix("/chain/"))
                if left:
                    self._send(302, b"", None, Location=f"/chain/{left - 1}")
                else:
                    self._send(200, b'{"end": true}')
            elif path == "/slow":
                self.server.release.wait(10)
                self._send(200, b'{"late": true}')
            elif path == "/drip":
                body = b'{"drip": "' + b"x" * 40 + b'"}'
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                for byte in body:
                    if self.server.release.wait(0.1):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            elif path == "/drip-headers":
                self.wfile.write(b"HTTP/1.0 200 OK\r\n")
                for byte in b"X-Padding: " + b"p" * 60 + b"\r\n":
                    if self.server.release.wait(0.1):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            else:
                self._send(500, b"{}")
        except OSError:
            pass  # the client gave up (timeouts, size caps): expected


@dataclass
class Served:
    server: _Server
    port: int
    client_context: ssl.SSLContext

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def policy(self, **overrides: Any) -> FetchPolicy:
        return FetchPolicy(allow_private=True, ssl_context=self.client_context, **overrides)

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.server.requests]


def to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


@pytest.fixture
def served(certificate: Certificate, tmp_path) -> Iterator[Served]:
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.cert_pem)
    key_file.write_bytes(certificate.key_pem)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server = _Server(("127.0.0.1", 0), _Handler)
    server_context.sni_callback = lambda sslobj, name, context: server.sni.append(name)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    client_context = ssl.create_default_context(cadata=certificate.cert_pem.decode())
    try:
        yield Served(server, server.server_address[1], client_context)
    finally:
        server.release.set()
        server.shutdown()
        thread.join(10)
        server.server_close()


def test_json_is_fetched_from_the_checked_address_with_the_host_name_kept(served, guard):
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["127.0.0.1"]

    assert fetch_json(served.url("/doc"), policy=served.policy(), resolve=resolve) == {
        "path": "/doc"
    }
    assert calls == [("localhost", served.port)]  # resolved once …
    assert guard.connects == [("127.0.0.1", served.port)]  # … and that address is used
    assert "localhost" not in guard.lookups  # http.client did not look the name up again
    assert served.server.requests == [("/doc", f"localhost:{served.port}")]  # Host kept
    assert served.server.sni == ["localhost"]  # SNI kept


def test_the_first_resolved_address_is_pinned(served, guard):
    try:
        other = CountingListener("127.0.0.2", served.port)
    except OSError:
        pytest.skip("127.0.0.2 is not usable here")
    answers = iter([["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.2"])  # a second lookup would land on the decoy

    try:
        assert fetch_json(served.url("/doc"), policy=served.policy(), resolve=rebinding)
        time.sleep(0.1)
        assert other.accepted == 0
    finally:
        other.close()
    assert guard.connects == [("127.0.0.1", served.port)]


@pytest.mark.parametrize("path", ["/ld"])
def test_other_json_media_types_with_parameters_are_accepted(served, path):
    assert fetch_json(served.url(path), policy=served.policy(), resolve=to_loopback) == {"ld": True}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/html", "text/html"),
        ("/untyped", "no content type"),
        ("/missing", "HTTP 404"),
        ("/invalid", "valid JSON"),
        ("/no-location", "without a Location"),
    ],
)
def test_refused_responses(served, path, reason):
    with pytest.raises(FetchError, match=reason):
        fetch_json(served.url(path), policy=served.policy(), resolve=to_loopback)


def test_the_byte_cap(served):
    policy = served.policy(max_bytes=1024)
    assert fetch_json(served.url("/sized?n=1024"), policy=policy, resolve=to_loopback) == "a" * 1022
    with pytest.raises(FetchError, match="larger than 1024 bytes"):
        fetch_json(served.url("/sized?n=1025"), policy=policy, resolve=to_loopback)
    with pytest.raises(FetchError, match="larger than"):
        fetch_json(
            served.url("/sized?n=600000"),
            policy=FetchPolicy(allow_private=True, ssl_context=served.client_context),
            resolve=to_loopback,
        )


def test_redirects_are_followed(served):
    absolute = served.url("/go?to=" + served.url("/other"))
    assert fetch_json(absolute, policy=served.policy(), resolve=to_loopback) == {"path": "/other"}
    relative = served.url("/go?status=308&to=/doc")
    assert fetch_json(relative, policy=served.policy(), resolve=to_loopback) == {"path": "/doc"}
    assert served.paths[-2:] == ["/go?status=308&to=/doc", "/doc"]


def test_at_most_max_redirects_are_followed(served):
    policy = served.policy(max_redirects=3)
    assert fetch_json(served.url("/chain/3"), policy=policy, resolve=to_loopback) == {"end": True}
    served.server.requests.clear()
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_json(served.url("/chain/4"), policy=policy, resolve=to_loopback)
    assert served.paths == ["/chain/4", "/chain/3", "/chain/2", "/chain/1"]
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_json(
            served.url("/chain/1"), policy=served.policy(max_redirects=0), resolve=to_loopback
        )


def test_a_redirect_to_http_is_refused(served, listener, guard):
    target = f"http://127.0.0.1:{listener.port}/doc"
    with pytest.raises(FetchError, match="only https"):
        fetch_json(served.url("/go?to=" + target), policy=served.policy(), resolve=to_loopback)
    time.sleep(0.1)
    assert listener.accepted == 0
    assert guard.connects == [("127.0.0.1", served.port)]


def test_a_redirect_with_credentials_is_refused(served, guard):
    target = f"https://user:pw@localhost:{served.port}/doc"
    with pytest.raises(FetchError, match="credentials"):
        fetch_json(served.url("/go?to=" + target), policy=served.policy(), resolve=to_loopback)
    assert served.paths == ["/go?to=" + target]
    assert guard.connects == [("127.0.0.1", served.port)]


def test_each_redirect_hop_is_resolved_and_checked_again(served, listener, guard):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host == "localhost":
            return ["127.0.0.1"]
        if host == "empty.example.test":
            return []
        raise OSError("no such host")

    for host, reason in (
        ("internal.example.test", "cannot resolve"),
        ("empty.example.test", "no address"),
    ):
        target = f"https://{host}:{listener.port}/"
        with pytest.raises(FetchError, match=reason):
            fetch_json(served.url("/go?to=" + target), policy=served.policy(), resolve=resolve)
    assert calls == ["localhost", "internal.example.test", "localhost", "empty.example.test"]
    time.sleep(0.1)
    assert listener.accepted == 0


def test_a_redirect_to_a_malformed_address_is_a_fetch_error(served):
    with pytest.raises(FetchError):
        fetch_json(served.url("/go?to=https://[::1/x"), policy=served.policy(), resolve=to_loopback)


def test_a_slow_server_times_out(served):
    started = time.monotonic()
    with pytest.raises(FetchError, match="could not be fetched"):
        fetch_json(served.url("/slow"), policy=served.policy(timeout=0.5), resolve=to_loopback)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_dripping_server_cannot_outlast_the_timeout(served, path):
    # Each byte arrives well within the timeout, but the whole response takes ~5 s.
    started = time.monotonic()
    with pytest.raises(FetchError, match="could not be fetched"):
        fetch_json(served.url(path), policy=served.policy(timeout=1.0), resolve=to_loopback)
    assert time.monotonic() - started < 2.5


def test_tls_still_verifies_the_host_name_while_the_address_is_pinned(served, guard):
    with pytest.raises(FetchError, match="could not be fetched"):
        fetch_json(
            served.url("/doc", host="other.test"), policy=served.policy(), resolve=to_loopback
        )
    assert guard.connects == [("127.0.0.1", served.port)]
    assert served.server.requests == []


def test_an_untrusted_certificate_is_refused(served):
    with pytest.raises(FetchError, match="could not be fetched"):
        fetch_json(served.url("/doc"), policy=FetchPolicy(allow_private=True), resolve=to_loopback)
    assert served.server.requests == []
