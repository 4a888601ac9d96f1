"""Rule packs: the built-in cleaning rules as data.

Rules live in ``feedhub/clean/rules/*.yaml`` (also reachable as
``config/rules/``, a symlink, beside the config they belong with; the real files
sit in the package so ``pip install .`` ships them): ``common.yaml`` for every
format, then one file per format, in the spirit of miniflux's sorted per-domain tables:
adding a site's boilerplate is a data change, not a code path.  Each rule is
named so ``--explain`` can say which one removed a block.  Patterns are
compiled once per pack, at load time, so a bad pattern fails early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import soupsieve
import yaml

from ..config import RulesConfig
from .prefilter import first_chars, may_search

# Texts shorter than this are screened with all of a key's patterns joined in one.
JOINED_BELOW = 64

Named = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RulePack:
    """Compiled cleaning rules for one format (and optionally one source)."""

    remove_selectors: Named = ()
    unwrap_selectors: Named = ()
    block_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    related_labels: tuple[tuple[str, re.Pattern[str]], ...] = ()
    image_proxies: tuple[tuple[str, re.Pattern[str]], ...] = ()
    lazy_image_attrs: tuple[str, ...] = ()
    tracking_params: tuple[str, ...] = ()
    outlet_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    wire_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    link_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    footer_start: tuple[tuple[str, re.Pattern[str]], ...] = ()
    line_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # the raw packs this one was merged from, so a domain pack can be layered on top
    layers: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    # compiled selectors, per-host packs and joined patterns (first_search), for speed
    _compiled: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _hosts: dict[str, RulePack] = field(default_factory=dict, compare=False, repr=False)
    _joined: dict[str, re.Pattern[str] | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    # per pattern key: (rule, pattern, the characters its matches start with)
    _screened: dict[str, tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def for_host(self, host: str | None) -> RulePack:
        """This pack plus the built-in pack of the article's site (``<domain>.yaml``),
        when there is one: site-specific rules apply only to that site's articles."""
        if not host:
            return self
        cached = self._hosts.get(host)
        if cached is None:
            domains = [d for d in domain_packs() if host == d or host.endswith("." + d)]
            cached = self
            if domains:
                extra = [(d, _read_pack(d)) for d in sorted(domains, key=len)]
                cached = _merge([*self.layers, *extra])
            self._hosts[host] = cached
        return cached

    def selector(self, css: str) -> Any:
        sel = self._compiled.get(css)
        if sel is None:
            sel = self._compiled[css] = soupsieve.compile(css)
        return sel

    def first_search(
        self, key: str, text: str
    ) -> tuple[str, re.Pattern[str], re.Match[str]] | None:
        """The first rule of the ``key`` patterns (in order) whose pattern ``search``es
        ``text``: (rule name, pattern, match), or None."""
        try:
            combined = self._joined[key]
            screened = self._screened[key]
        except KeyError:
            rules: tuple[tuple[str, re.Pattern[str]], ...] = getattr(self, key)
            combined = self._joined[key] = _any_of([p for _, p in rules])
            screened = self._screened[key] = tuple((r, p, first_chars(p)) for r, p in rules)
        # Most texts match no rule.  For a short text (a line) one search of the
        # alternation says so at once, where asking each pattern costs a call apiece;
        # over a long text (a block) the alternation is tried at every position, which
        # patterns searched alone (a "^…" one at the start only) avoid.
        if combined is not None and len(text) < JOINED_BELOW and not combined.search(text):
            return None
        for rule, pattern, chars in screened:
            if chars is not None and not may_search(chars, text):
                continue  # a match would start with one of these characters: none here
            m = pattern.search(text)
            if m:
                return rule, pattern, m
        return None

    def is_tracking_param(self, name: str) -> bool:
        lowered = name.lower()
        for p in self.tracking_params:
            if p.endswith("*") and lowered.startswith(p[:-1]) or lowered == p:
                return True
        return False


# What cannot be wrapped in "(?:…)" and joined with "|" and mean the same: numbered or
# named back-references and conditionals (group numbers shift), inline flags.
_NOT_COMBINABLE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|\(\?[aiLmsux-]")


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that ``search``es a text wherever one of ``patterns`` does (where
    any matches at a position, one alternative does), or None when not worth it or
    not safe to build."""
    flags = {p.flags for p in patterns}
    if len(patterns) < 2 or len(flags) > 1:
        return None
    if any(_NOT_COMBINABLE.search(p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), flags.pop())
    except re.error:  # e.g. two rules naming a group alike
        return None


_PATTERN_KEYS = (
    "block_patterns",
    "related_labels",
    "image_proxies",
    "outlet_patterns",
    "wire_patterns",
    "link_patterns",
    "footer_start",
    "line_patterns",
)
_SELECTOR_KEYS = ("remove_selectors", "unwrap_selectors")
_LIST_KEYS = ("lazy_image_attrs", "tracking_params")


@cache
def _read_pack(name: str) -> dict[str, Any]:
    """A built-in pack file, parsed once (callers only read it)."""
    path = resources.files("feedhub.clean").joinpath("rules").joinpath(f"{name}.yaml")
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"rule pack {name}.yaml is not a mapping")
    return data


@cache
def domain_packs() -> tuple[str, ...]:
    """Names of the built-in per-site packs: the rule files whose name is a domain."""
    folder = resources.files("feedhub.clean").joinpath("rules")
    names = [p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")]
    return tuple(n for n in names if "." in n)


def _merge(packs: list[tuple[str, dict[str, Any]]]) -> RulePack:
    """Merge raw packs in order; a later rule with the same name replaces the earlier one."""
    named: dict[str, dict[str, str]] = {k: {} for k in (*_PATTERN_KEYS, *_SELECTOR_KEYS)}
    lists: dict[str, list[str]] = {k: [] for k in _LIST_KEYS}
    for pack_name, data in packs:
        for key, value in data.items():
            if key in named:
                if isinstance(value, dict):
                    for rule_name, rule in value.items():
                        named[key][f"{pack_name}.{rule_name}"] = str(rule)
                else:  # a plain list (from a source's config): name by position
                    for i, rule in enumerate(value):
                        named[key][f"{pack_name}.{key}[{i}]"] = str(rule)
            elif key in lists:
                lists[key].extend(str(v) for v in value if str(v) not in lists[key])
            else:
                raise ValueError(f"rule pack {pack_name}: unknown key {key!r}")
    kwargs: dict[str, Any] = {}
    for key in _PATTERN_KEYS:
        kwargs[key] = tuple((n, re.compile(p)) for n, p in sorted(named[key].items()))
    for key in _SELECTOR_KEYS:
        for css in named[key].values():
            soupsieve.compile(css)  # fail at load time, naming the rule
        kwargs[key] = tuple(sorted(named[key].items()))
    for key in _LIST_KEYS:
        kwargs[key] = tuple(lists[key])
    return RulePack(**kwargs, layers=tuple(packs))


@cache
def builtin_pack(fmt: str) -> RulePack:
    """The built-in rules for a format: ``common`` plus the format's own pack."""
    return _merge([("common", _read_pack("common")), (fmt, _read_pack(fmt))])


@lru_cache(maxsize=1024)
def pack_for(fmt: str, source_id: str | None = None, rules: RulesConfig | None = None) -> RulePack:
    """Built-in rules for ``fmt`` extended (or replaced) by a source's own rules.

    Cached: the pipeline asks once per article, and a merged pack keeps its compiled
    selectors and per-host packs, which a fresh merge would build again."""
    if rules is None or rules == RulesConfig():
        return builtin_pack(fmt)
    own = {
        "remove_selectors": list(rules.remove_selectors),
        "unwrap_selectors": list(rules.unwrap_selectors),
        "line_patterns": list(rules.line_patterns),
        "block_patterns": list(rules.block_patterns),
        "tracking_params": list(rules.tracking_params),
    }
    name = f"source:{source_id or '?'}"
    if rules.replace:
        return _merge([(name, own)])
    return _merge([("common", _read_pack("common")), (fmt, _read_pack(fmt)), (name, own)])
