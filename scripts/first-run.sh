#!/usr/bin/env bash
# Measures the first run the way a fresh machine of this kind starts it: a clone of HEAD with an
# empty CARGO_HOME (no tools, no registry), an empty CARGO_TARGET_DIR and an empty npm cache, all
# in a scratch directory. Prints two figures:
#   run.sh serves after   time from `scripts/run.sh` to its first answer on /healthz
#   test.sh after it      time `scripts/test.sh` then takes (CI=true, as CI runs it)
# What stays shared with this machine: rustup's toolchains (a fresh machine has Rust through
# rustup) and what Debian packages are installed (chromium, redis, prometheus; binaryen's
# wasm-opt from npm is a download of seconds).
#   scripts/first-run.sh [scratch-dir]     (default: a new directory under /tmp; 60-90 minutes of 2 cores)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$(mktemp -d /tmp/first-run.XXXXXX)}
mkdir -p "$scratch/rustup-bin" "$scratch/cargo" "$scratch/npm-cache" "$scratch/logs"
# rustup's proxies, and nothing else of ~/.cargo/bin (which holds the tools already built here).
for t in cargo rustc rustup rustfmt cargo-fmt cargo-clippy clippy-driver rustdoc; do
  ln -sf "$(command -v "$t")" "$scratch/rustup-bin/$t"
done
git clone -q "$repo" "$scratch/clone"
export CARGO_HOME="$scratch/cargo" CARGO_TARGET_DIR="$scratch/target" npm_config_cache="$scratch/npm-cache"
export PATH="$scratch/cargo/bin:$scratch/rustup-bin:$(printf %s "$PATH" | tr ':' '\n' | grep -v '\.cargo/bin' | paste -sd:)"
port=${FIRST_RUN_PORT:-3210}
cd "$scratch/clone"

start=$SECONDS
BIND_ADDR="127.0.0.1:$port" setsid scripts/run.sh >"$scratch/logs/run.log" 2>&1 &
runner=$!
served=""
for _ in $(seq 1 7200); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    served=$((SECONDS - start))
    break
  fi
  kill -0 "$runner" 2>/dev/null || break
  sleep 1
done
kill -- -"$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
if [ -z "$served" ]; then
  echo "scripts/run.sh never served; its log: $scratch/logs/run.log" >&2
  tail -20 "$scratch/logs/run.log" >&2
  exit 1
fi
printf 'run.sh serves after   %d min %02d s\n' $((served / 60)) $((served % 60))

start=$SECONDS
if ! CI=true scripts/test.sh >"$scratch/logs/test.log" 2>&1; then
  echo "scripts/test.sh failed; its log: $scratch/logs/test.log" >&2
  tail -30 "$scratch/logs/test.log" >&2
  exit 1
fi
tested=$((SECONDS - start))
printf 'test.sh after it      %d min %02d s\n' $((tested / 60)) $((tested % 60))
grep -E '^\s+\(.*: [0-9]+s\)$' "$scratch/logs/test.log" | sed 's/^ */  step /'
echo "logs: $scratch/logs (delete $scratch when done)"
