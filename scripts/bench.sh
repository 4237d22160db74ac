#!/usr/bin/env bash
# Benchmarks (not tests), bounded in time, 127.0.0.1 only:
#  1. the hydrate bundle's size (raw, gzip, brotli);
#  2. per route, the bytes of a first and a repeat visit and Chromium's time to hydrated at
#     2 Mbit/s and 100 ms RTT (CDP throttling), on the release build with precompressed assets;
#     then what client-side navigation leaves in the browser's memory;
#  3. the server's time per page when Azure DevOps answers in 150 ms;
#  4. authenticated /api/pats throughput through the app versus direct to the DevOps stand-in.
#   scripts/bench.sh [concurrency] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/devops-pat-portal/target}"
LEPTOS_HASH_FILES=true cargo leptos build --release --precompress --split >/dev/null
node scripts/bundle-size.mjs target/site/pkg
echo

port="${BENCH_PORT:-3200}"
LEPTOS_SITE_ROOT="$PWD/target/site" BIND_ADDR="127.0.0.1:$port" DEMO_CLOCK=2026-11-20T12:00:00Z RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/server" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
(cd end2end && node bench/first-visit.mjs "http://127.0.0.1:$port" 2000 100)
echo
(cd end2end && node bench/nav-memory.mjs "http://127.0.0.1:$port" 500)
kill $server_pid
echo

# The flag cargo-leptos gives the server (always-erase-components): the same build cache.
RUSTFLAGS="--cfg erase_components" cargo run -q --release -p server --example page_time -- 150 7
echo
RUSTFLAGS="--cfg erase_components" cargo run -q --release -p server --example bench -- "${1:-32}" "${2:-10}"
