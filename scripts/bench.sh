#!/usr/bin/env bash
# Benchmarks (not tests): the hydrate bundle's size, and authenticated /api/pats throughput and
# latency through the app versus direct to the DevOps stand-in. Bounded in time, 127.0.0.1 only.
#   scripts/bench.sh [concurrency] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/devops-pat-portal/target}"
cargo leptos build --release >/dev/null
node scripts/bundle-size.mjs target/site/pkg
echo
cargo run -q --release -p server --example bench -- "${1:-32}" "${2:-10}"
