"""Collectors: turn a configured source into :class:`~feedhub.types.RawItem` s.

Every collector returns a :class:`CollectResult`: the items it could read and
one :class:`~feedhub.errors.SourceError` per thing it could not (a file with
broken front matter does not stop the other files of the folder).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceError
from ..types import RawItem


@dataclass(frozen=True, slots=True)
class HTTPCache:
    """Conditional-GET validators stored per source."""

    etag: str | None = None
    last_modified: str | None = None
    # sha256 of the last body that parsed: a server without validators (or a local
    # feed file) that sends the same bytes again is not parsed again
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class CollectResult:
    source_id: str
    items: tuple[RawItem, ...] = ()
    errors: tuple[SourceError, ...] = ()
    not_modified: bool = False
    cache: HTTPCache = HTTPCache()
    # Response headers the scheduler may use (Retry-After, Cache-Control, Expires).
    hints: tuple[tuple[str, str], ...] = ()
    # Local folders: (key, mtime_ns, size) of every file read, and the keys of files
    # skipped because their recorded stat says they did not change.
    files: tuple[tuple[str, int, int, int], ...] = ()  # + when the stat was taken (ns)
    unchanged: tuple[str, ...] = ()
    reading: str = ""  # how the folder was read (local.reading), recorded with the stats
    # not_modified because the body repeated the last parsed bytes (the server said 200)
    same_body: bool = False

    @property
    def failed(self) -> bool:
        """The attempt as a whole failed: errors, and nothing read, unchanged or
        not modified (one bad file in a folder that was read is not a failure)."""
        return bool(self.errors) and not (self.items or self.unchanged or self.not_modified)
