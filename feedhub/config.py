"""Load and validate ``feedhub.yaml``.

Validation is strict, unlike miniflux's "invalid rules are ignored": this is the
daemon's own file, so an unknown key or a bad value is an error, and *every*
problem is reported at once with its dotted path (``sources[2].url: not a URL``).

pydantic stays inside this module (DESIGN 7.6): the rest of feedhub sees frozen
models and never imports pydantic itself.  Relative paths in the file are
resolved against the directory of the config file, so ``feedhub run -c
/etc/feedhub/feedhub.yaml`` works from any working directory.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

DEFAULT_CONFIG = Path("config/feedhub.yaml")

_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# Ten years: longer than any sensible interval or window, short enough that date arithmetic
# with it (now + interval, published ± window) stays inside the datetime range.
MAX_DURATION = 3650 * 86400.0
_CONTROL = re.compile(r"[\x00-\x1f]")


def parse_duration(value: object) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"2h"``, ``"3d"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 2h, 3d)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if not seconds > 0:  # also NaN
        raise ValueError("must be positive")
    if seconds > MAX_DURATION:
        raise ValueError("too long (at most 3650d)")
    return seconds


def _no_control(v: str | None) -> str | None:
    """Paths and URLs: a NUL would only fail later, deep inside os/sqlite3/lxml."""
    if v is not None and _CONTROL.search(v):
        raise ValueError("contains a control character")
    return v


def _check_regexes(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for i, pattern in enumerate(patterns):
        try:
            # A FutureWarning ("possible nested set") marks syntax whose meaning a later
            # Python changes: refused here rather than printed mid-run and reinterpreted.
            with warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)
                re.compile(pattern)
        except FutureWarning as exc:
            raise ValueError(f"[{i}] ambiguous regular expression: {exc} (escape it)") from None
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"[{i}] not a regular expression: {exc}") from None
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesConfig(_Strict):
    """Per-source cleaning rules; they extend the built-in pack unless ``replace``."""

    replace: bool = False
    remove_selectors: tuple[str, ...] = ()
    unwrap_selectors: tuple[str, ...] = ()
    line_patterns: tuple[str, ...] = ()
    block_patterns: tuple[str, ...] = ()
    tracking_params: tuple[str, ...] = ()

    @field_validator("line_patterns", "block_patterns")
    @classmethod
    def _regexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_regexes(v)

    @field_validator("remove_selectors", "unwrap_selectors")
    @classmethod
    def _selectors(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        import soupsieve

        for i, sel in enumerate(v):
            try:
                soupsieve.compile(sel)
            except Exception as exc:  # soupsieve raises its own SelectorSyntaxError
                raise ValueError(f"[{i}] not a CSS selector: {exc}") from None
        return v


class SourceConfig(_Strict):
    id: str = Field(pattern=_ID)
    kind: Literal["local", "feed"]
    title: str | None = None
    path: str | None = None
    glob: str = "**/*.md"
    url: str | None = None
    format: Literal["auto", "hexo", "goodnews", "jekyll"] = "auto"
    interval: float = 3600.0
    outlet: str | None = None
    learn: bool = True
    rules: RulesConfig = RulesConfig()

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: object) -> float:
        return parse_duration(v)

    @field_validator("path", "glob")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return _no_control(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        _no_control(v)
        parts = urlsplit(v)
        if parts.scheme in ("http", "https") and parts.netloc:
            return v
        if parts.scheme == "file" and parts.path:
            return v
        if not parts.scheme and "://" not in v and v.strip():
            return v  # a local feed file: lets the demo run offline through the same parser
        raise ValueError("not a URL (http://, https://, file: or a local path)")

    @model_validator(mode="after")
    def _kind_fields(self) -> SourceConfig:
        if self.kind == "local" and not self.path:
            raise ValueError("a local source needs 'path'")
        if self.kind == "feed" and not self.url:
            raise ValueError("a feed source needs 'url'")
        if self.kind == "local" and self.url:
            raise ValueError("'url' is only for kind: feed (use 'path')")
        if self.kind == "feed" and self.path:
            raise ValueError("'path' is only for kind: local (use 'url')")
        return self


class FilterConfig(_Strict):
    """Keyword or regex rules; a keyword matches case-insensitively as a substring."""

    keywords: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    fields: tuple[Literal["title", "text"], ...] = ("title", "text")

    @field_validator("regex")
    @classmethod
    def _regexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_regexes(v)

    def is_empty(self) -> bool:
        return not self.keywords and not self.regex


class TopicConfig(_Strict):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    include: FilterConfig = FilterConfig()
    exclude: FilterConfig = FilterConfig()
    max_entries: int = Field(default=50, ge=1, le=10000)
    # Stricter merging for this topic only: a copy whose overlap with the story's
    # representative is below this is published as an entry of its own here.
    min_overlap: float | None = Field(default=None, gt=0, le=1)


_Share = Annotated[float, Field(gt=0, le=1)]


class DedupeConfig(_Strict):
    threshold: int = Field(default=24, ge=0, le=64)
    min_overlap: float = Field(default=0.7, gt=0, le=1)
    min_cosine: float = Field(default=0.55, gt=0, le=1)
    # The corroborated-headline rule, at any simhash distance: [headline, cosine]
    # floors, any one of which merges ([] turns the rule off).
    headline: tuple[tuple[_Share, _Share], ...] = ((0.6, 0.2),)
    # Which copy represents a story: the first outlet of this list that has one,
    # else the most complete text, else the earliest.
    prefer_outlets: tuple[str, ...] = ()
    window: float = 3 * 86400.0

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, v: object) -> float:
        return parse_duration(v)


class LearnConfig(_Strict):
    """Learned boilerplate: blocks repeating across a source's recent articles."""

    enabled: bool = True
    window: int = Field(default=50, ge=2, le=10000)
    min_share: float = Field(default=0.3, gt=0, le=1)
    min_articles: int = Field(default=3, ge=2)


class FetchConfig(_Strict):
    timeout: float = Field(default=20.0, gt=0, le=600)
    max_bytes: int = Field(default=10_000_000, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str | None = None
    # false: refuse URLs (and redirect hops) whose host resolves to a loopback, private,
    # link-local or reserved address (SSRF guard for untrusted feed lists)
    allow_private: bool = True


class ScheduleConfig(_Strict):
    """How the daemon polls: concurrency limits, backoff and HTTP-hint caps."""

    workers: int = Field(default=4, ge=1, le=64)  # sources collected at once
    per_host: int = Field(default=2, ge=1, le=16)  # at once on one host
    max_backoff: float = 86400.0  # error backoff and Retry-After never wait longer
    max_cache_delay: float = 6 * 3600.0  # Cache-Control/Expires push next_due at most this far
    unhealthy_after: int = Field(default=5, ge=1, le=1000)  # consecutive failures

    @field_validator("max_backoff", "max_cache_delay", mode="before")
    @classmethod
    def _durations(cls, v: object) -> float:
        return parse_duration(v)


class ServeConfig(_Strict):
    """Defaults for ``feedhub serve`` / ``daemon --serve`` (the flags override them)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)


class Config(_Strict):
    storage: str = "var/feedhub.sqlite"
    output_dir: str = "var/feeds"
    base_url: str = "http://localhost:8080/"
    json_feed: bool = False  # also write <topic>.json (JSON Feed 1.1)
    websub_hub: str | None = None  # WebSub hub: rel="hub" link, pinged after each rewrite
    schedule: ScheduleConfig = ScheduleConfig()
    serve: ServeConfig = ServeConfig()
    fetch: FetchConfig = FetchConfig()
    dedupe: DedupeConfig = DedupeConfig()
    learn: LearnConfig = LearnConfig()
    sources: tuple[SourceConfig, ...] = Field(min_length=1)
    topics: tuple[TopicConfig, ...] = Field(min_length=1)
    # Directory the relative paths above are resolved against; set by load_config.
    root: str = "."

    @field_validator("storage", "output_dir", "base_url")
    @classmethod
    def _paths(cls, v: str) -> str:
        _no_control(v)
        return v

    @field_validator("websub_hub")
    @classmethod
    def _hub(cls, v: str | None) -> str | None:
        if v is not None:
            parts = urlsplit(v)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("not an http(s) URL")
        return v

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return (p if p.is_absolute() else Path(self.root) / p).resolve()

    @property
    def storage_path(self) -> Path:
        return self.resolve(self.storage)

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output_dir)

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # fullmatch: "$" would accept "a\n"


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "tagged-union")):
            continue
        elif not _KEY.fullmatch(part):  # an unknown key like "a: b" or "." stays unambiguous
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def _messages(exc: ValidationError) -> list[str]:
    problems = []
    errors = exc.errors()
    failed = {_loc(e["loc"][:1]) for e in errors if len(e["loc"]) > 1}
    for err in errors:
        # "Tuple should have at least 1 item after validation" only echoes item errors
        if err["type"] == "too_short" and _loc(err["loc"]) in failed:
            continue
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append(f"{_loc(err['loc'])}: {msg[:1].lower() + msg[1:]}")
    return problems


def _reference_problems(data: dict[str, Any]) -> list[str]:
    """Cross-references, checked on the raw data so they are reported even when
    other fields are invalid (pydantic skips model validators after field errors)."""
    problems: list[str] = []
    raw_sources, raw_topics = data.get("sources"), data.get("topics")
    sources: list[Any] = raw_sources if isinstance(raw_sources, list) else []
    topics: list[Any] = raw_topics if isinstance(raw_topics, list) else []
    ids: set[str] = set()
    for i, s in enumerate(sources):
        sid = s.get("id") if isinstance(s, dict) else None
        if isinstance(sid, str):
            if sid in ids:
                problems.append(f"sources[{i}].id: duplicate source id {sid!r}")
            ids.add(sid)
    topic_ids: set[str] = set()
    for i, t in enumerate(topics):
        if not isinstance(t, dict):
            continue
        tid = t.get("id")
        if isinstance(tid, str):
            if tid in topic_ids:
                problems.append(f"topics[{i}].id: duplicate topic id {tid!r}")
            topic_ids.add(tid)
        refs = t.get("sources")
        for j, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, str) and ref not in ids:
                problems.append(f"topics[{i}].sources[{j}]: unknown source {ref!r}")
    return problems


def parse_config(data: Any, file: str = "<config>", root: str = ".") -> Config:
    """Validate already-loaded YAML data.

    Raises:
        ConfigError: listing every problem with its dotted path.
    """
    if not isinstance(data, dict):
        raise ConfigError(file, ["(top level): expected a mapping of keys"])
    problems = []
    config = None
    try:
        config = Config.model_validate({**data, "root": root})
    except ValidationError as exc:
        problems = _messages(exc)
    problems += _reference_problems(data)
    if problems or config is None:
        raise ConfigError(file, problems)
    return config


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file.

    Raises:
        ConfigError: the file is missing, is not YAML, or is invalid.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [f"(file): cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ConfigError(str(p), ["(file): not UTF-8 text"]) from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(str(p), ["(file): not valid YAML: nested too deeply"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(p), [f"{where}: not valid YAML: {problem}"]) from None
    except (ValueError, OverflowError) as exc:  # PyYAML's int()/datetime(): 2026-13-01, 10**5000
        raise ConfigError(str(p), [f"(file): not valid YAML: {exc}"]) from None
    if isinstance(data, dict) and "root" in data:
        raise ConfigError(str(p), ["root: unknown key"])
    return parse_config(data, str(p), str(p.resolve().parent))
