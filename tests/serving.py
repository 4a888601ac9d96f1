"""Helpers for the tests that run ``feedhub serve`` / ``daemon --serve`` in a subprocess."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

_URL = re.compile(r" on (http://\S+/)")


def wait_for(check: Callable[[], bool], timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Proc:
    """A feedhub subprocess whose stdout/stderr go to files in ``tmp``."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def request(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> Reply:
        """One raw request: the path is sent exactly as given (no normalisation)."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
            r = conn.getresponse()
            body = r.read()
            return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
        finally:
            conn.close()

    def terminate(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def feedhub(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedhub", *args], capture_output=True, text=True, timeout=timeout
    )


def start(tmp: Path, *args: str, name: str = "feedhub") -> Proc:
    """Start ``python -m feedhub ARGS`` (with ``--port 0``) and wait for its URL."""
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "feedhub", *args], stdout=o, stderr=e)
    p = Proc(proc, out, err)

    def ready() -> bool:
        m = _URL.search(out.read_text(errors="replace"))
        if m:
            p.url = m.group(1)
        return bool(m) or proc.poll() is not None

    if not wait_for(ready, 30) or not p.url:
        p.kill()
        raise AssertionError(f"feedhub did not start serving:\n{p.output()}")
    return p
