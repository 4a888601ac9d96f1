"""How many conditional GETs answered 304 can one ``feedhub serve`` process sustain?

    python bench/serve_304.py [--seconds 5] [--clients 2] [--connections 8]

Runs the demo once into a temporary folder, starts ``feedhub serve`` on
127.0.0.1 (any free port), learns the topic feed's ETag, then ``--clients``
load processes each keep ``--connections`` keep-alive connections busy with
``If-None-Match`` requests for ``--seconds``, and prints requests per second.
Traffic goes to 127.0.0.1 only; the run is bounded in time and stops itself.
The load generator is plain Python, so on a small machine it competes with the
server for CPU: the figure is a lower bound.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(
    port: int, etag: str, seconds: float, connections: int, out: mp.Queue[tuple[int, int]]
) -> None:
    request = (
        f"GET /world-en.atom HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"If-None-Match: {etag}\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    sel = selectors.DefaultSelector()
    bufs: dict[socket.socket, bytes] = {}
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
        s.send(request)
    done = other = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            assert isinstance(s, socket.socket)
            data = bufs[s] + s.recv(65536)
            while b"\r\n\r\n" in data:
                head, _, data = data.partition(b"\r\n\r\n")
                if head.startswith(b"HTTP/1.1 304"):
                    done += 1
                else:
                    other += 1
                s.send(request)
            bufs[s] = data
    out.put((done, other))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="feedhub-bench-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        config = str(tmp / "config" / "feedhub.yaml")
        feedhub = [sys.executable, "-m", "feedhub"]
        subprocess.run([*feedhub, "run", "--once", "-c", config], check=True, capture_output=True)
        log = tmp / "serve.out"
        with log.open("wb") as sink:
            srv = subprocess.Popen([*feedhub, "serve", "-c", config, "--port", "0"], stdout=sink)
        try:
            deadline = time.monotonic() + 30
            while not (m := re.search(r"on http://127\.0\.0\.1:(\d+)/", log.read_text())):
                if time.monotonic() > deadline or srv.poll() is not None:
                    raise SystemExit("feedhub serve did not start")
                time.sleep(0.1)
            port = int(m.group(1))
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(
                    b"HEAD /world-en.atom HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
                    b"Connection: close\r\n\r\n"
                )
                head = b""
                while chunk := s.recv(65536):
                    head += chunk
            etag_m = re.search(rb"(?im)^etag: (.+?)\r$", head)
            assert etag_m, head
            etag = etag_m.group(1).decode()
            q: mp.Queue[tuple[int, int]] = mp.Queue()
            procs = [
                mp.Process(target=load, args=(port, etag, args.seconds, args.connections, q))
                for _ in range(args.clients)
            ]
            for p in procs:
                p.start()
            results = [q.get(timeout=args.seconds + 60) for _ in procs]
            for p in procs:
                p.join()
            ok = sum(r[0] for r in results)
            other = sum(r[1] for r in results)
            print(
                f"{ok / args.seconds:,.0f} req/s answered 304 "
                f"({ok} in {args.seconds:g}s, {args.clients}×{args.connections} connections, "
                f"{other} other answers)"
            )
        finally:
            srv.send_signal(signal.SIGTERM)
            code = srv.wait(timeout=30)
            print(f"feedhub serve exited {code} on SIGTERM")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
