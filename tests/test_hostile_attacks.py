"""Attacks on the parser and the fetcher, each against a real local server and bounded.

Entity attacks (billion laughs, XXE by file, parameter entity and external DTD); a gzip
bomb of 1 GiB of zeros and a 1 GiB plain body, both streamed, never held in memory; a
server trickling one byte per second (body, and status line + headers); a server that
never answers; a redirect loop; redirects to file:, ftp: and javascript:; and redirects
to private addresses with ``fetch.allow_private: false``.  Each must end in one clear
FetchError/ParseError naming the URL, within the time limit, with memory far below the
body size (tracemalloc around collect_feed), and nothing leaked into the items.
Small bodies that cost the parser or the cleaner minutes of CPU or a lot of memory are
strict xfails (bugs found, not fixed here).
"""

from __future__ import annotations

import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from feedhub.collect import CollectResult, HTTPCache
from feedhub.collect.feeds import collect_feed
from feedhub.collect.http import Limits, make_client
from feedhub.config import parse_config
from feedhub.errors import FetchError, ParseError
from feedhub.types import RawItem

from .conftest import DATA

HOSTILE = DATA / "hostile"
GIB = 1 << 30
MIB = 1 << 20
MEMORY_CAP = 100 * MIB  # "well below the body size" (1 GiB)
ATTACKS: list[str] = []  # names of the attacks run, for the report


# --------------------------------------------------------------------------- server

Behaviour = Callable[[BaseHTTPRequestHandler, threading.Event], None]


@dataclass
class Hostile:
    """A local server whose paths each run one hostile behaviour."""

    base: str
    routes: dict[str, Behaviour]
    hits: list[str]
    stop: threading.Event

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    h = Hostile("", {}, [], threading.Event())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            h.hits.append(path)
            behaviour = h.routes.get(path)
            try:
                if behaviour is None:
                    self.send_error(404)
                else:
                    behaviour(self, h.stop)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    h.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield h
    finally:
        h.stop.set()  # wake trickling / sleeping handlers
        httpd.shutdown()
        httpd.server_close()


def static(body: bytes, ctype: str = "application/rss+xml", status: int = 200) -> Behaviour:
    def send(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return send


def redirect(location: str, status: int = 302) -> Behaviour:
    def send(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return send


# --------------------------------------------------------------------------- measuring


@dataclass
class Outcome:
    result: CollectResult
    seconds: float
    peak: int  # bytes, tracemalloc


def attack(name: str, url: str, limits: Limits, client: httpx.Client | None = None) -> Outcome:
    ATTACKS.append(name)
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        result = collect_feed("evil", url, HTTPCache(), limits, client)
        seconds = time.monotonic() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"\n{name}: {seconds:.2f}s, peak {peak / MIB:.1f} MiB, {result.errors or 'no error'}")
    return Outcome(result, seconds, peak)


def one_error(out: Outcome, url: str, kind: type[Exception] = FetchError) -> str:
    """Exactly one error, of ``kind``, naming the URL, and no items."""
    r = out.result
    assert r.items == (), r.items
    assert len(r.errors) == 1, r.errors
    err = r.errors[0]
    assert isinstance(err, kind), repr(err)
    assert isinstance(err, FetchError | ParseError)
    assert url in err.message and err.source_id == "evil", err.message
    return err.message


# --------------------------------------------------------------------------- entities


def _no_leak(result: CollectResult) -> None:
    for item in result.items:
        for text in (item.title, item.content, item.author or "", item.outlet or ""):
            assert len(text) < 10_000, len(text)
            assert "root:" not in text and "LEAKED" not in text, text[:200]
            assert "aaaaaaaaaa" not in text, text[:200]


@pytest.mark.parametrize(
    "name",
    [
        "billion_laughs.rss",
        "xxe_file.rss",
        "xxe_parameter.rss.tmpl",
        "external_dtd.atom.tmpl",
        "xinclude.atom",
    ],
)
def test_entity_attacks_expand_and_fetch_nothing(hostile: Hostile, name: str) -> None:
    hostile.routes["/evil.dtd"] = static((HOSTILE / "evil.dtd").read_bytes(), "application/xml")
    body = (HOSTILE / name).read_bytes().replace(b"{BASE}", hostile.base.encode())
    hostile.routes["/feed"] = static(body, "application/xml")
    url = hostile.url("/feed")
    out = attack(f"entities:{name}", url, Limits(timeout=5))
    assert out.seconds < 15 and out.peak < MEMORY_CAP  # bounded, not a speed check
    if out.result.errors:
        one_error(out, url, ParseError)
    _no_leak(out.result)
    assert "/evil.dtd" not in hostile.hits, "the parser fetched an external DTD/entity"


# --------------------------------------------------------------------------- size


def gzip_bomb_parts(size: int = GIB) -> tuple[bytes, bytes, int, bytes]:
    """A gzip stream of ``size`` zero bytes without compressing ``size`` bytes: after a
    full flush deflate starts afresh, so every further MiB of zeros is the same block.
    Returns (header + first block, repeated block, repeats, final block + trailer)."""
    zeros = bytes(MIB)
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    assert co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH) == block
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(zeros, crc)
    tail = co.flush()[:-8] + crc.to_bytes(4, "little") + (size % (1 << 32)).to_bytes(4, "little")
    return head, block, size // MIB - 1, tail


def test_gzip_bomb_generator_is_valid_gzip() -> None:
    # the generator checked on 64 MiB: each piece inflates to one MiB, and zlib checks
    # the CRC and length in the trailer before it reports eof
    head, block, repeats, tail = gzip_bomb_parts(64 * MIB)
    d = zlib.decompressobj(31)
    total = sum(len(d.decompress(piece)) for piece in [head, *[block] * repeats, tail])
    assert d.eof and total == 64 * MIB
    assert len(head) + len(block) * repeats + len(tail) < 128 * 1024


def test_gzip_bomb_stops_at_the_cap_in_bounded_memory(hostile: Hostile) -> None:
    head, block, repeats, tail = gzip_bomb_parts()
    sent = [0]

    def bomb(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(head) + len(block) * repeats + len(tail)))
        h.end_headers()
        h.wfile.write(head)
        burst = block * 64  # ~64 MiB of zeros per write once inflated
        for _ in range(repeats // 64):
            if stop.is_set():
                return
            h.wfile.write(burst)
            sent[0] += len(burst)
        h.wfile.write(block * (repeats % 64) + tail)

    hostile.routes["/bomb"] = bomb
    url = hostile.url("/bomb")
    out = attack("gzip bomb (1 GiB of zeros)", url, Limits(timeout=10))
    msg = one_error(out, url)
    assert "exceeds the 10000000-byte limit" in msg
    assert out.seconds < 15  # bounded, not a speed check
    assert out.peak < MEMORY_CAP, f"peak {out.peak / MIB:.0f} MiB"
    assert sent[0] < 100 * MIB, "the client kept reading the compressed stream"


@pytest.mark.parametrize("declared", [False, True], ids=["close-delimited", "content-length"])
def test_gigabyte_body_stops_at_the_cap(hostile: Hostile, declared: bool) -> None:
    sent = [0]

    def huge(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        if declared:
            h.send_header("Content-Length", str(GIB))
        h.end_headers()
        chunk = b'<?xml version="1.0"?><rss version="2.0"><channel>'.ljust(64 * 1024)
        for _ in range(GIB // len(chunk)):
            if stop.is_set():
                return
            h.wfile.write(chunk)
            sent[0] += len(chunk)

    hostile.routes["/huge"] = huge
    url = hostile.url("/huge")
    out = attack(f"1 GiB body ({'declared' if declared else 'streamed'})", url, Limits(timeout=10))
    msg = one_error(out, url)
    assert "10000000-byte limit" in msg
    assert out.seconds < 15 and out.peak < MEMORY_CAP  # bounded, not a speed check
    assert sent[0] < 200 * MIB


# --------------------------------------------------------------------------- time


def trickle_body(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.flush()
    for byte in b'<?xml version="1.0"?><rss version="2.0"><channel>'.ljust(1000):
        if stop.wait(1.0):
            return
        h.wfile.write(bytes([byte]))
        h.wfile.flush()


def trickle_headers(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    # the status line and headers themselves, one byte per second: only a total
    # deadline covering the whole exchange can stop this (per-read timeouts never fire)
    for byte in b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\nX-Slow: " + b"a" * 500:
        if stop.wait(1.0):
            return
        h.wfile.write(bytes([byte]))
        h.wfile.flush()


def silent(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    stop.wait(30)  # accept, read the request, never answer


@pytest.mark.parametrize(
    "behaviour", [trickle_body, trickle_headers, silent], ids=lambda b: b.__name__
)
def test_slow_servers_stop_at_the_total_deadline(hostile: Hostile, behaviour: Behaviour) -> None:
    hostile.routes["/slow"] = behaviour
    url = hostile.url("/slow")
    out = attack(f"slow server ({behaviour.__name__})", url, Limits(timeout=2))
    msg = one_error(out, url)
    assert "took longer than 2s" in msg or "timed out after 2s" in msg
    assert out.seconds < 15, f"{out.seconds:.1f}s for a 2 s total timeout (the attack lasts 60 s)"


# --------------------------------------------------------------------------- redirects


def test_redirect_loop(hostile: Hostile) -> None:
    hostile.routes["/a"] = redirect("/b")
    hostile.routes["/b"] = redirect(hostile.url("/a"), 301)
    url = hostile.url("/a")
    out = attack("redirect loop", url, Limits(timeout=5, max_redirects=5))
    assert "more than 5 redirects" in one_error(out, url)
    assert len(hostile.hits) == 6


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "ftp://127.0.0.1/feed", "javascript:alert(1)", "gopher://x/"],
)
def test_redirect_to_another_scheme_is_refused(hostile: Hostile, target: str) -> None:
    hostile.routes["/r"] = redirect(target)
    url = hostile.url("/r")
    out = attack(f"redirect to {target.split(':')[0]}:", url, Limits(timeout=5))
    msg = one_error(out, url)
    assert "unsupported URL scheme" in msg or "invalid URL" in msg
    assert "root:" not in msg


PUBLIC = "http://93.184.216.34"  # an IP literal: resolving it needs no DNS


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:9/secret",
        "http://localhost/secret",
        "http://10.1.2.3/",
        "http://192.168.0.1/admin",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://100.64.0.1/",  # carrier-grade NAT, not global
    ],
)
def test_redirect_to_a_private_address_is_refused(target: str) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url).startswith(PUBLIC):
            return httpx.Response(302, headers={"Location": target})
        return httpx.Response(200, text="<rss/>")  # must never be reached

    limits = Limits(timeout=5, allow_private=False)
    url = f"{PUBLIC}/feed"
    with make_client(limits, httpx.MockTransport(answer)) as client:
        out = attack(f"redirect to private {target}", url, limits, client)
    msg = one_error(out, url)
    assert "resolves to a private address" in msg, msg
    assert seen == [url], f"the private hop was requested: {seen}"


def test_private_initial_url_is_refused_only_when_disallowed(hostile: Hostile) -> None:
    body = (DATA / "feeds" / "rss20.xml").read_bytes()
    hostile.routes["/feed"] = static(body)
    url = hostile.url("/feed")
    out = attack("private initial URL", url, Limits(timeout=5, allow_private=False))
    assert "resolves to a private address (127.0.0.1)" in one_error(out, url)
    assert hostile.hits == []  # refused before connecting
    allowed = collect_feed("evil", url, HTTPCache(), Limits(timeout=5))
    assert allowed.errors == () and len(allowed.items) == 3


def test_deadline_covers_proxy_mounts_and_keeps_env_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The total-deadline backend is patched into httpx's own pools, so HTTP(S)_PROXY
    from the environment still works (an explicit transport would silently drop it)."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    with make_client(Limits()) as client:
        pools = [getattr(t, "_pool", None) for t in (client._transport, *client._mounts.values())]
    assert len(pools) >= 2, "the environment's proxy was dropped"
    assert all(type(p._network_backend).__name__ == "_DeadlineBackend" for p in pools)


def test_allow_private_config_defaults_to_true_and_reaches_the_fetcher(tmp_path: Path) -> None:
    from feedhub.pipeline import limits_of

    base = {
        "sources": [{"id": "a", "kind": "feed", "url": "http://127.0.0.1/x"}],
        "topics": [{"id": "t", "title": "T", "sources": ["a"]}],
    }
    assert parse_config(base, root=str(tmp_path)).fetch.allow_private is True
    assert limits_of(parse_config(base, root=str(tmp_path))).allow_private is True
    strict = parse_config({**base, "fetch": {"allow_private": False}}, root=str(tmp_path))
    assert limits_of(strict).allow_private is False


# --------------------------------------------------------------------------- CPU and memory
# Bodies far below the 10 MB cap that still cost minutes of CPU or a GB of memory.  The
# pipeline survives them (see the first test); the cost itself is a bug, left unfixed.


def _nested(depth: int) -> RawItem:
    html = "<div>" * depth + "deep text" + "</div>" * depth
    return RawItem("evil", f"deep-{depth}", "rss", "Deep", html, "html")


def test_deeply_nested_item_is_stored_as_text_with_the_rest(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from feedhub.pipeline import store_result
    from feedhub.storage import Storage

    ATTACKS.append("1500-deep nested HTML in an item (pipeline)")
    config = parse_config(
        {
            "sources": [{"id": "evil", "kind": "feed", "url": "http://x.example/f"}],
            "topics": [{"id": "t", "title": "T", "sources": ["evil"]}],
        },
        root=str(tmp_path),
    )
    fine = RawItem("evil", "fine", "rss", "Fine", "<p>A perfectly normal item.</p>", "html")
    result = CollectResult("evil", items=(_nested(1500), fine))
    with Storage(tmp_path / "s.sqlite") as storage:
        summary = store_result(
            result, config.sources[0], config, storage, datetime(2026, 11, 16, tzinfo=UTC)
        )
        assert summary.new == 2 and storage.counts()[0] == 2
        stored = storage.texts_of([_nested(1500).id])
        assert "deep text" in stored.get(_nested(1500).id, ("",))[0]
    assert not summary.errors


def test_deeply_nested_item_is_cleaned() -> None:
    """The tree stage recurses per level: markup nested past MAX_NESTING keeps its text."""
    from feedhub.clean import MAX_NESTING, nesting_depth
    from feedhub.pipeline import build_article

    assert nesting_depth("<div><p>a<br>b<img src=x></p><p/></div>") == 2
    article = build_article(_nested(1500))
    assert "deep text" in article.text and "<div" not in article.html
    assert build_article(_nested(MAX_NESTING // 2)).text == "deep text"


@pytest.mark.xfail(
    strict=True,
    reason="BUG (feedparser loose parser): ~220 bytes of memory per byte of unclosed tags "
    "(1.2 MB of '<p>' peaked at ~300 MB); feedhub now refuses ill-formed bodies over 2 MB "
    "(test below), which caps the worst case near 450 MB instead of ~2.5 GB",
)
def test_parse_memory_is_proportionate_for_unclosed_tags() -> None:
    from feedhub.collect.feeds import parse_feed

    ATTACKS.append("30 kB of unclosed tags (memory amplification)")
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    body += b"<item><title>x</title><guid>1</guid>" + b"<p>" * 10_000 + b"</channel></rss>"
    tracemalloc.start()
    try:
        parse_feed(body, "evil", "http://x.example/f")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * len(body), f"{peak / len(body):.0f} bytes of memory per byte of input"


def test_large_ill_formed_body_is_refused_before_the_lenient_parser() -> None:
    from feedhub.collect.feeds import LOOSE_MAX_BYTES, parse_feed

    ATTACKS.append("3 MB of unclosed tags (refused before feedparser)")
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    body += b"<item><title>x</title><guid>1</guid>" + b"<p>" * 1_000_000 + b"</channel></rss>"
    assert len(body) > LOOSE_MAX_BYTES
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="ill-formed XML larger than"):
            parse_feed(body, "evil", "http://x.example/f")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * len(body), f"{peak / len(body):.0f} bytes of memory per byte of input"


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_attack_sources_through_the_cli(hostile: Hostile, tmp_path: Path) -> None:
    """All attacks as sources of one `feedhub run --once` (fetch.timeout: 2) next to a
    good source: exit 0, one error line per attack naming its URL, the good source
    written, time and the process's peak RSS bounded."""
    import json
    import subprocess
    import sys

    head, block, repeats, tail = gzip_bomb_parts()

    def bomb(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.end_headers()
        h.wfile.write(head)
        for _ in range(repeats // 64):
            if stop.is_set():
                return
            h.wfile.write(block * 64)

    def huge(h: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        h.send_response(200)
        h.end_headers()
        for _ in range(GIB // (64 * 1024)):
            if stop.is_set():
                return
            h.wfile.write(bytes(64 * 1024))

    hostile.routes.update(
        {
            "/good": static((DATA / "feeds" / "atom10.xml").read_bytes(), "application/atom+xml"),
            "/bomb": bomb,
            "/huge": huge,
            "/trickle": trickle_body,
            "/trickle-headers": trickle_headers,
            "/silent": silent,
            "/loop": redirect("/loop"),
            "/to-file": redirect("file:///etc/passwd"),
            "/to-ftp": redirect("ftp://127.0.0.1/"),
            "/laughs": static((HOSTILE / "billion_laughs.rss").read_bytes()),
            "/500": static(b"oops", status=500),
        }
    )
    attacks = [p for p in hostile.routes if p not in ("/good", "/laughs")]
    ids = {p: "x" + p.strip("/").replace("-", "_") for p in hostile.routes}
    lines = ["storage: s.sqlite", "output_dir: out", "fetch: {timeout: 2}", "sources:"]
    lines += [
        f"  - {{id: {ids[p]}, kind: feed, url: {json.dumps(hostile.url(p))}}}"
        for p in hostile.routes
    ]
    lines += [f"topics: [{{id: all, title: All, sources: [{', '.join(ids.values())}]}}]"]
    (tmp_path / "c.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # VmHWM, the peak of this process's own memory: ru_maxrss would also count the
    # parent's peak, which a vfork()ed child carries across exec (a 400 MB pytest
    # process made a 10 MB child report 411 MB)
    wrapper = (
        "import resource, sys\n"
        "from feedhub.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "try:\n"
        "    hwm = next(int(ln.split()[1]) for ln in open('/proc/self/status')"
        " if ln.startswith('VmHWM:'))\n"
        "except OSError:\n"
        "    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print('maxrss_kib', hwm, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-c", wrapper, "run", "--once", "-c", str(tmp_path / "c.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - t0
    ATTACKS.append("all of the above through `feedhub run --once`")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-3000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: source ")]
    for path in attacks:
        mine = [e for e in errors if f"'{ids[path]}'" in e]
        assert len(mine) == 1, (path, errors)
        assert hostile.url(path) in mine[0], mine[0]
    assert not any("'xgood'" in e for e in errors), errors
    maxrss = int(r.stderr.split("maxrss_kib")[1].split()[0]) * 1024
    print(
        f"\nCLI over {len(hostile.routes)} hostile sources: {elapsed:.1f}s, "
        f"peak RSS {maxrss / MIB:.0f} MiB, {len(errors)} error lines"
    )
    # 3 slow sources at 2 s each, everything else immediate; imports ~1 s
    assert elapsed < 90, elapsed  # the attacks would hold a run for minutes without the caps
    assert maxrss < 300 * MIB, f"peak RSS {maxrss / MIB:.0f} MiB"
    atom = (tmp_path / "out" / "all.atom").read_text(encoding="utf-8")
    assert "aaaaaaaaaa" not in atom and "root:" not in atom


def test_zz_report_attacks() -> None:
    """Prints how many attacks ran in this module (pytest -s)."""
    print(f"\nattacks tried in test_hostile_attacks: {len(ATTACKS)}")


def test_private_peer_is_refused_even_when_the_name_check_is_fooled(hostile: Hostile) -> None:
    """DNS rebinding: the name resolved to a public address when the request hook looked,
    and to a private one when the connection was made.  Simulated by dropping the hook:
    the connected socket's peer is checked too."""
    from feedhub.collect.http import fetch, make_client

    ATTACKS.append("private peer after the name check (DNS rebinding)")
    limits = Limits(timeout=5, max_bytes=1_000_000, allow_private=False)
    with make_client(limits) as client:
        client.event_hooks["request"] = []  # the name check saw a public address
        with pytest.raises(FetchError, match="private address"):
            fetch(client, "evil", hostile.url("/anything"), HTTPCache(), limits)


def test_a_body_naming_a_local_file_is_not_read_as_that_file(tmp_path: Path) -> None:
    """feedparser.parse(bytes) first tries the bytes as a file name: a response body
    that is the path of a readable local feed must be parsed as the bytes it is (not a
    feed), never as that file's contents."""
    from feedhub.collect.feeds import parse_feed
    from feedhub.errors import ParseError

    local = tmp_path / "secret.rss"
    local.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
        "<item><title>private item</title><link>http://x.test/1</link></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(ParseError):
        parse_feed(str(local).encode(), "s", "https://example.test/feed")
