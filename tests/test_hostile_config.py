"""Config fuzzing: malformed YAML text and structurally wrong configs.

``load_config`` must either return a Config or raise ConfigError whose problems all look
like ``path: message`` (a dotted/bracketed path, or ``(file)``/``(top level)``/``line N,
column M``, then ": "), never another exception; ``feedhub check-config`` on bad files
exits 2 without a traceback.  Hypothesis generates YAML-ish text, byte junk, mutations of
a valid file and valid configs with junk grafted in (wrong types, unknown keys, nested
junk, huge numbers, unicode, duplicate ids).  Configs that load must also be usable:
their durations fit date arithmetic and their paths open.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from feedhub.config import Config, load_config
from feedhub.errors import ConfigError

VALID: dict[str, Any] = {
    "storage": "state.sqlite",
    "output_dir": "out",
    "base_url": "http://localhost:8080/",
    "fetch": {"timeout": 5, "max_bytes": 100000, "max_redirects": 3, "allow_private": True},
    "dedupe": {"threshold": 20, "min_overlap": 0.6, "window": "2d"},
    "schedule": {"workers": 2, "max_backoff": "1d"},
    "sources": [
        {"id": "local", "kind": "local", "path": "posts", "glob": "*.md", "format": "hexo"},
        {
            "id": "feed",
            "kind": "feed",
            "url": "https://example.org/feed.xml",
            "interval": "15m",
            "rules": {"remove_selectors": [".ad"], "line_patterns": ["^promo"]},
        },
    ],  # fmt: skip
    "topics": [
        {
            "id": "all",
            "title": "All",
            "sources": ["local", "feed"],
            "max_entries": 20,
            "include": {"keywords": ["x"], "regex": ["a+"], "fields": ["title"]},
        },
    ],  # fmt: skip
}
VALID_TEXT = yaml.safe_dump(VALID, sort_keys=False, allow_unicode=True)
QUOTED = r'\["(?:[^"\\]|\\.)*"\]'  # an odd key, JSON-quoted: ["a: b"]
SEGMENT = rf"\.[A-Za-z_][\w-]*|\[-?\d+\]|{QUOTED}"
PATH = rf"\(top level\)|\(file\)|line \d+, column \d+|(?:[A-Za-z_][\w-]*|\[-?\d+\]|{QUOTED})(?:{SEGMENT})*"
PROBLEM = re.compile(rf"^(?:{PATH}): \S", re.S)
CASES = {"loaded": 0, "rejected": 0}
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_problem(problem: str) -> None:
    """``path: message``: a dotted/bracketed path (or a file-level place), ": ", text."""
    assert isinstance(problem, str) and PROBLEM.match(problem), f"not 'path: message': {problem!r}"


def check_usable(config: Config) -> None:
    """What a loaded config promises the rest of feedhub: durations that fit date
    arithmetic, paths without NULs (os and sqlite3 raise ValueError on those)."""
    now = datetime.now(UTC)
    spans = [config.dedupe.window, config.schedule.max_backoff, config.schedule.max_cache_delay]
    spans += [s.interval for s in config.sources]
    for seconds in spans:
        assert math.isfinite(seconds) and seconds > 0, seconds
        now + timedelta(seconds=seconds) * 1.1  # noqa: B018 (must not overflow)
        datetime(1971, 1, 1, tzinfo=UTC) - timedelta(seconds=seconds)  # noqa: B018
    for path in (config.storage, config.output_dir, *(s.path or "" for s in config.sources)):
        assert "\x00" not in path
    config.storage_path, config.output_path  # noqa: B018 (resolve() must not raise)


def load_and_check(path: Path) -> Config | None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError without problems"
        for problem in exc.problems:
            check_problem(problem)
        CASES["rejected"] += 1
        return None
    CASES["loaded"] += 1
    check_usable(config)
    return config


# --------------------------------------------------------------------------- strategies

YAML_CHARS = list(":-[]{}&*!|>'\"%@`#,?~=.\\ \n\t") + list("abcxyz019_") + [
    "é", "中", "\u2028", "\ufeff", "\x85", "\x00", "\x07", "\U0001f600",
]  # fmt: skip
yaml_ish = st.text(alphabet=st.sampled_from(YAML_CHARS), max_size=300)
keys = st.sampled_from(list(VALID) + ["root", "sources", "id", "kind", "url", "interval"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "-1", "1e400", "90x", "15m", "\x00", "http://[::1", "file:", "a" * 300])
    | st.datetimes()
    | st.binary(max_size=10)
)  # fmt: skip
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.integers() | keys, inner, max_size=4)
    ),
    max_leaves=15,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths_of(v, (*prefix, i))
    return out


ALL_PATHS = paths_of(VALID)[1:]


@st.composite
def broken_configs(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for part in where[:-1]:
                parent = parent[part]
            last = where[-1]
            op = draw(st.sampled_from(["replace", "delete", "add-key", "duplicate"]))
            if op == "replace":
                parent[last] = draw(junk)
            elif op == "delete" and isinstance(parent, dict | list):
                del parent[last]
            elif op == "add-key" and isinstance(parent, dict):
                parent[draw(st.text(max_size=12) | keys)] = draw(junk)
            elif op == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[last]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return data


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "fuzz.yaml"
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    path.write_bytes(text)
    return path


# --------------------------------------------------------------------------- properties


def test_the_base_config_is_valid(tmp_path: Path) -> None:
    assert load_and_check(write(tmp_path, VALID_TEXT)) is not None


@FUZZ
@given(text=yaml_ish)
def test_yaml_ish_text(tmp_path: Path, text: str) -> None:
    load_and_check(write(tmp_path, text))


@FUZZ
@given(data=st.binary(max_size=200))
def test_byte_junk(tmp_path: Path, data: bytes) -> None:
    load_and_check(write(tmp_path, data))


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID_TEXT)), st.sampled_from(["ins", "del", "rep"]),
                  st.sampled_from(YAML_CHARS)),
        min_size=1, max_size=6,
    )
)  # fmt: skip
def test_mutated_valid_text(tmp_path: Path, edits: list[tuple[int, str, str]]) -> None:
    text = VALID_TEXT
    for pos, op, ch in edits:
        pos = min(pos, len(text))
        if op == "ins":
            text = text[:pos] + ch + text[pos:]
        elif op == "del":
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + ch + text[pos + 1 :]
    load_and_check(write(tmp_path, text))


@FUZZ
@given(data=broken_configs())
def test_structurally_wrong_configs(tmp_path: Path, data: dict[str, Any]) -> None:
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)
    load_and_check(write(tmp_path, text))


@FUZZ
@given(top=st.dictionaries(st.text(max_size=8) | keys, junk, max_size=6) | junk)
@example(top={"A\n": None})  # found by this test: "$" let a key ending in a newline through
def test_arbitrary_documents(tmp_path: Path, top: Any) -> None:
    try:
        text = yaml.safe_dump(top, allow_unicode=True)
    except (yaml.YAMLError, TypeError):
        assume(False)
    load_and_check(write(tmp_path, text))


# --------------------------------------------------------------------------- named cases

SOURCES_TOPICS = (
    "sources: [{id: a, kind: feed, url: 'http://x.example/f'}]\n"
    "topics: [{id: t, title: T, sources: [a]}]\n"
)
NASTY = {
    "deep-flow": "sources: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-block": "".join("  " * i + "- \n" for i in range(3000)),
    "recursive-alias": "a: &a [*a]\nsources: &s [*s]\ntopics: [{id: t, title: T, sources: &x [*x]}]\n",
    "alias-bomb": "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9))
    + "sources: *l8\ntopics: [{id: t, title: T, sources: *l8}]\n",
    "deep-regex": SOURCES_TOPICS.replace(
        "url: 'http://x.example/f'",
        "url: 'http://x.example/f', rules: {line_patterns: ['" + "(" * 5000 + ")" * 5000 + "']}",
    ),
    "huge-repeat-regex": SOURCES_TOPICS.replace(
        "url: 'http://x.example/f'",
        "url: 'http://x.example/f', rules: {line_patterns: ['a{99999999999}']}",
    ),
    "bad-selector": SOURCES_TOPICS.replace(
        "url: 'http://x.example/f'", "url: 'http://x.example/f', rules: {remove_selectors: ['[[[']}"
    ),
    "huge-interval": SOURCES_TOPICS.replace("f'}", "f', interval: 1000000000000}"),
    "inf-window": SOURCES_TOPICS + "dedupe: {window: .inf}\n",
    "nan-timeout": SOURCES_TOPICS + "fetch: {timeout: .nan}\n",
    "huge-int": SOURCES_TOPICS + "fetch: {max_bytes: " + "9" * 5000 + "}\n",
    "nul-storage": SOURCES_TOPICS + 'storage: "state\\0.sqlite"\n',
    "nul-url": SOURCES_TOPICS.replace("'http://x.example/f'", '"local\\0feed.xml"'),
    "nul-output": SOURCES_TOPICS + 'output_dir: "out\\0put"\n',
    "control-base-url": SOURCES_TOPICS + 'base_url: "http://x/\\x01"\n',
    "bad-ipv6-url": SOURCES_TOPICS.replace("http://x.example/f", "http://[::1"),
    "duplicate-ids": "sources: [{id: a, kind: feed, url: 'http://x/1'}, {id: a, kind: feed, url: 'http://x/2'}]\n"
    "topics: [{id: t, title: T, sources: [a, a, b]}, {id: t, title: T, sources: [a]}]\n",
    "non-string-keys": "? [1, 2]\n: x\n" + SOURCES_TOPICS,
    "odd-keys": "5: 1\ntrue: 2\nnull: 3\n2001-01-01: 4\n1.5: 5\n" + SOURCES_TOPICS,
    "weird-unknown-keys": '"a: b": 1\n"x[0].y": 2\n"": 3\n"\\u00e9\\u4e2d": 4\n' + SOURCES_TOPICS,
    "python-tag": "!!python/object/apply:os.system ['echo pwned']\n",
    "binary-tag": SOURCES_TOPICS.replace("T, sources", "!!binary aGVsbG8=, sources"),
    "not-a-mapping": "- just\n- a list\n",
    "scalar": "42\n",
    "empty": "",
    "bom-and-tabs": "\ufeff\tsources:\t[]\n",
    "root-key": "root: /etc\n" + SOURCES_TOPICS,
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_configs(tmp_path: Path, name: str) -> None:
    load_and_check(write(tmp_path, NASTY[name]))


def test_not_utf8_and_unreadable(tmp_path: Path) -> None:
    load_and_check(write(tmp_path, b"sources: \xff\xfe\x00"))
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "missing.yaml")
    [problem] = info.value.problems
    check_problem(problem)
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ConfigError):
        load_config(tmp_path / "dir.yaml")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["deep-flow", "alias-bomb", "deep-regex", "huge-interval", "nul-storage", "odd-keys",
     "weird-unknown-keys", "python-tag", "recursive-alias", "duplicate-ids"],
)  # fmt: skip
def test_check_config_cli_on_bad_files(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, NASTY[name])
    for args in (["check-config"], ["run", "--once"]):
        r = subprocess.run(
            [sys.executable, "-m", "feedhub", *args, "-c", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert r.returncode == 2, (args, r.returncode, r.stderr[-2000:])
        assert "Traceback" not in r.stderr, r.stderr[-2000:]
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert lines[0].startswith("error: ") and "invalid configuration" in lines[0], lines[:3]
        for line in lines[1:]:
            check_problem(line.strip())


def test_zz_report_fuzz_cases() -> None:
    print(f"\nconfig fuzz cases in this module: {CASES['loaded'] + CASES['rejected']} "
          f"({CASES['loaded']} loaded, {CASES['rejected']} rejected)")  # fmt: skip
