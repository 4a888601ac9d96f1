"""Bounded HTTP retrieval with httpx.

Every fetch is capped in size (decoded bytes, so a gzip bomb stops at the cap),
in redirects, and in time: httpx's timeouts are per network operation, so a
server trickling one byte per second would never trip them; we also enforce a
total deadline while streaming the body.  Conditional GET uses the stored
ETag/Last-Modified; a 304 returns before any body is read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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


def make_client(limits: Limits, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for feed fetching; tests inject ``transport`` (httpx.MockTransport)."""
    return httpx.Client(
        timeout=httpx.Timeout(limits.timeout),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={
            "User-Agent": limits.user_agent,
            "Accept": (
                "application/atom+xml, application/rss+xml, application/feed+json, "
                "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
            ),
        },
        transport=transport,
    )


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
    except httpx.TimeoutException:
        raise FetchError(source_id, f"{url}: timed out after {limits.timeout:g}s") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(source_id, f"{url}: unsupported URL scheme ({exc})") from None
    except httpx.HTTPError as exc:
        raise FetchError(source_id, f"{url}: {type(exc).__name__}: {exc}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{url}: invalid URL ({exc})") from None
