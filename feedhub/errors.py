"""feedhub's one exception tree.

::

    FeedhubError                 base: anything feedhub raises on purpose
    ├── ConfigError              the config file is unreadable or invalid (all problems at once)
    ├── SourceError              one source failed; carries ``source_id``; others keep going
    │   ├── FetchError           HTTP/file retrieval failed (status, timeout, size cap, redirect)
    │   └── ParseError           the bytes are not a feed / not an article we can read
    └── StorageError             the SQLite state could not be read or written

Anything else escaping a stage is a bug and is allowed to crash loudly
(the same policy as lemon24/reader: wrap only your own domain errors).
"""

from __future__ import annotations


class FeedhubError(Exception):
    """Base class of every error feedhub raises on purpose."""


class ConfigError(FeedhubError):
    """The configuration is invalid; ``problems`` lists every ``path: message``."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{file}: invalid configuration ({len(problems)} problem(s)):\n{lines}")


class SourceError(FeedhubError):
    """A single source (or a single file of it) could not be collected."""

    def __init__(self, source_id: str, message: str) -> None:
        self.source_id = source_id
        self.message = message
        super().__init__(f"source {source_id!r}: {message}")


class FetchError(SourceError):
    """Retrieval failed: network error, HTTP status, timeout, size cap or redirect limit.

    ``status`` and ``hints`` (Retry-After, Cache-Control, … headers) are set when the
    server answered with an error status; the scheduler reads them.
    """

    def __init__(
        self,
        source_id: str,
        message: str,
        status: int | None = None,
        hints: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(source_id, message)
        self.status = status
        self.hints = hints


class ParseError(SourceError):
    """The retrieved bytes are not a readable feed or article."""


class StorageError(FeedhubError):
    """The state database failed."""
