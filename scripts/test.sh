#!/usr/bin/env bash
# Runs every test: formatting, clippy per feature set, unit and integration tests, then the
# release build driven by Playwright in Debian's headless Chromium (with and without JavaScript).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Build outputs outside the clone, so a fresh clone reuses the compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/devops-pat-portal/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A fresh clone gains nothing from incremental caches, and they fill the disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Redis for the session-store tests: the machine's own, started here if it is not running.
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  echo "starting redis-server on 127.0.0.1:6379 (keeps nothing on disk)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

step() {
  local name=$1; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  local t0=$SECONDS
  "$@"
  printf '    (%s: %ds)\n' "$name" $((SECONDS - t0))
}

# Our packages only: frontend/vendor/ holds an upstream crate in its own style.
step "rustfmt" cargo fmt -p app -p frontend -p server -p demo-stack --check
step "shape: files <= 400 lines, functions <= 60 lines" python3 scripts/shape.py
step "clippy: server and demo stack" cargo clippy -p server -p demo-stack --all-targets -- -D warnings
step "clippy: app (ssr)" cargo clippy -p app --features ssr --all-targets -- -D warnings
step "clippy: app (hydrate, wasm32)" cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
step "clippy: frontend (wasm32)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "tests: app (ssr)" cargo test -p app --features ssr
step "tests: app (hydrate)" cargo test -p app --features hydrate
step "tests: server (unit + integration)" cargo test -p server
step "tests: demo stack" cargo test -p demo-stack
step "fuzz: each target for a few seconds on the committed corpus" scripts/fuzz.sh "${FUZZ_SECONDS:-5}"
export LEPTOS_HASH_FILES=true
step "release build (cargo leptos: hashed, precompressed assets, lazy routes split)" cargo leptos build --release --precompress --split

site_root="$PWD/target/site"
server_bin="$CARGO_TARGET_DIR/release/server"
[ -x "$server_bin" ] || { echo "no server binary at $server_bin" >&2; exit 1; }
compgen -G "$site_root/pkg/devops-pat-portal.*.wasm.br" >/dev/null || { echo "no precompressed, hashed wasm under $site_root/pkg" >&2; exit 1; }
export LEPTOS_SITE_ROOT="$site_root" E2E_SERVER_BIN="$server_bin" E2E_PORT="${E2E_PORT:-3100}"
rm -rf end2end/screenshots
step "end-to-end: Playwright in headless Chromium" bash -c 'cd end2end && npx playwright test'
printf '\nAll tests passed. Screenshots: end2end/screenshots/\n'
