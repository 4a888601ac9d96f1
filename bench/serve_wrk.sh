#!/usr/bin/env bash
# 304s per second from one `feedhub serve` process, measured with wrk (Debian: wrk).
#   bash bench/serve_wrk.sh [seconds] [connections]
# Builds the demo feeds in a temp folder, serves them on 127.0.0.1, learns the ETag of
# the first topic feed and lets wrk send If-None-Match requests; prints wrk's summary.
set -euo pipefail
seconds=${1:-8}
conns=${2:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp -r "$root/config" "$tmp/config"
feedhub run --once -q -c "$tmp/config/feedhub.yaml" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
feedhub serve -c "$tmp/config/feedhub.yaml" --host 127.0.0.1 --port "$port" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/china.atom"
etag=$(curl -sI "$url" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")
[ "$code" = 304 ] || { echo "expected 304 for a matching ETag, got $code" >&2; exit 1; }
wrk -t1 -c"$conns" -d"${seconds}s" -H "If-None-Match: $etag" "$url"
