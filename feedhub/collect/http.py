"""Bounded HTTP retrieval with httpx.

Every fetch is capped in size (decoded bytes, so a gzip bomb stops at the cap),
in redirects, and in time: httpx's timeouts are per network operation, so a
server trickling one byte per second would never trip them; we also enforce a
total deadline on every socket read and write of the fetch (headers, redirects
and body alike).  Conditional GET uses the stored ETag/Last-Modified; a 304
returns before any body is read.  With ``allow_private=False`` the host of the
URL and of every redirect hop must resolve to public addresses only.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from .. import __version__
from ..errors import FetchError
from . import HTTPCache

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub; feed republisher)"
_HINT_HEADERS = ("retry-after", "cache-control", "expires", "content-type")


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    allow_private: bool = True  # False: refuse hosts resolving to loopback/private/… addresses


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    cache: HTTPCache
    url: str

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


_fetch = threading.local()  # .deadline: time.monotonic() value the current fetch must end by


def _left(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` for one socket operation, shortened to what is left of the fetch's total."""
    deadline: float | None = getattr(_fetch, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the total deadline of the fetch has passed")
    return left if timeout is None else min(timeout, left)


# httpx inflates each network read in one go, and deflate reaches ~1000:1 on zeros: 64 KiB
# reads (httpcore's default) of a gzip bomb became ~64 MB chunks before the size cap could
# look at them.  16 KiB reads keep one inflated chunk near 16 MB.
_READ_BYTES = 16 * 1024


class _DeadlineStream(httpcore.NetworkStream):
    """Caps every read/write by the total deadline: a server trickling its status
    line or headers one byte at a time cannot hold a fetch open past it."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        size = min(max_bytes, _READ_BYTES)
        return self._inner.read(size, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Deadline-capped connections; with ``public_only``, a connection whose peer is
    not a public address is closed at once.  The request hook refuses such hosts by
    name first, but a name can resolve differently a moment later (DNS rebinding):
    checking the connected socket's peer is what closes that gap."""

    def __init__(self, inner: httpcore.NetworkBackend, public_only: bool = False) -> None:
        self._inner = inner
        self._public_only = public_only

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        if self._public_only:
            peer = stream.get_extra_info("server_addr")
            ip = _non_public(str(peer[0])) if isinstance(peer, tuple) and peer else None
            if ip is not None:
                stream.close()
                raise httpcore.ConnectError(f"{host} connected to a private address ({ip})")
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PrivateAddress(Exception):
    """A request (the first or a redirect hop) goes to a non-public address."""


def _refuse_private(request: httpx.Request) -> None:
    """Request hook (runs for the first request and every redirect hop)."""
    host = request.url.host
    if request.url.scheme not in ("http", "https") or not host:
        return  # httpx refuses other schemes itself
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # unresolvable: the connection attempt fails with a clear error
    for info in infos:
        ip = _non_public(str(info[4][0]))
        if ip is not None:
            raise _PrivateAddress(f"{request.url} resolves to a private address ({ip})")


def _non_public(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if it is loopback/private/link-local/reserved/multicast, else None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return ip
    return None


def make_client(limits: Limits, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for feed fetching; tests inject ``transport`` (httpx.MockTransport)."""
    client = httpx.Client(
        timeout=httpx.Timeout(limits.timeout),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        event_hooks={"request": [] if limits.allow_private else [_refuse_private]},
        headers={
            "User-Agent": limits.user_agent,
            "Accept": (
                "application/atom+xml, application/rss+xml, application/feed+json, "
                "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
            ),
        },
        transport=transport,
    )
    if transport is None:
        # httpx offers no public way to reach httpcore's network backend; patching the pools
        # it built (direct, and any HTTP(S)_PROXY mounts) keeps its proxy handling intact
        # (the peer check only on the direct pool: through a proxy, the peer is the proxy)
        direct = client._transport
        for own in (direct, *client._mounts.values()):
            pool = getattr(own, "_pool", None)
            if isinstance(pool, httpcore.ConnectionPool):
                public_only = own is direct and not limits.allow_private
                pool._network_backend = _DeadlineBackend(pool._network_backend, public_only)
    return client


def fetch(
    client: httpx.Client, source_id: str, url: str, cache: HTTPCache, limits: Limits
) -> Response:
    """GET ``url`` conditionally, within the limits.

    Raises:
        FetchError: network error, timeout, HTTP error status, too many
            redirects, a body over ``limits.max_bytes``.
    """
    headers = {}
    if cache.etag:
        headers["If-None-Match"] = cache.etag
    if cache.last_modified:
        headers["If-Modified-Since"] = cache.last_modified
    deadline = time.monotonic() + limits.timeout
    _fetch.deadline = deadline
    try:
        with client.stream("GET", url, headers=headers) as r:
            hints = tuple((k, v) for k, v in r.headers.items() if k.lower() in _HINT_HEADERS)
            if r.status_code == 304:
                return Response(304, b"", hints, cache, str(r.url))
            if r.status_code >= 400:
                raise FetchError(
                    source_id,
                    f"{url}: HTTP {r.status_code} {r.reason_phrase}".rstrip(),
                    status=r.status_code,
                    hints=hints,
                )
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise FetchError(
                    source_id,
                    f"{url}: body of {declared} bytes exceeds the {limits.max_bytes}-byte limit",
                )
            chunks: list[bytes] = []
            total = 0
            for chunk in r.iter_bytes():
                total += len(chunk)
                if total > limits.max_bytes:
                    raise FetchError(
                        source_id, f"{url}: body exceeds the {limits.max_bytes}-byte limit"
                    )
                if time.monotonic() > deadline:
                    raise FetchError(source_id, f"{url}: took longer than {limits.timeout:g}s")
                chunks.append(chunk)
            new_cache = HTTPCache(r.headers.get("etag"), r.headers.get("last-modified"))
            return Response(r.status_code, b"".join(chunks), hints, new_cache, str(r.url))
    except httpx.TooManyRedirects:
        raise FetchError(source_id, f"{url}: more than {limits.max_redirects} redirects") from None
    except _PrivateAddress as exc:
        raise FetchError(source_id, f"{url}: refused: {exc}") from None
    except httpx.TimeoutException:
        if time.monotonic() >= deadline - 0.05:  # per-operation timeouts are shortened to it
            raise FetchError(source_id, f"{url}: took longer than {limits.timeout:g}s") from None
        raise FetchError(source_id, f"{url}: timed out after {limits.timeout:g}s") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(source_id, f"{url}: unsupported URL scheme ({exc})") from None
    except httpx.HTTPError as exc:
        raise FetchError(source_id, f"{url}: {type(exc).__name__}: {exc}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{url}: invalid URL ({exc})") from None
    finally:
        _fetch.deadline = None
