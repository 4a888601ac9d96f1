"""WebSub publisher pings: after a topic file is rewritten, tell the hub.

``POST <hub>`` with ``hub.mode=publish`` and ``hub.url=<the feed's public URL>``
(one request per rewritten feed URL; every hub accepts that form).  A failed
ping is logged and otherwise ignored: subscribers then learn of the change at
their next poll, as they would without a hub.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx

from .. import __version__

log = logging.getLogger("feedhub.websub")


def ping_hub(hub: str, urls: Iterable[str], timeout: float = 10.0) -> list[str]:
    """Ping ``hub`` for each of ``urls``; returns the URLs the hub accepted (2xx)."""
    accepted: list[str] = []
    headers = {"User-Agent": f"feedhub/{__version__} (WebSub publisher)"}
    with httpx.Client(timeout=timeout, headers=headers) as client:
        for url in urls:
            try:
                r = client.post(hub, data={"hub.mode": "publish", "hub.url": url})
            except httpx.HTTPError as exc:
                log.warning(
                    "websub_ping_failed",
                    extra={"hub": hub, "url": url, "error": f"{type(exc).__name__}: {exc}"},
                )
                continue
            if 200 <= r.status_code < 300:
                accepted.append(url)
                log.info("websub_pinged", extra={"hub": hub, "url": url, "status": r.status_code})
            else:
                log.warning(
                    "websub_ping_failed",
                    extra={"hub": hub, "url": url, "error": f"HTTP {r.status_code}"},
                )
    return accepted
