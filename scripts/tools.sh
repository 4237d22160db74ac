#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already present.
#   scripts/tools.sh            build tools (wasm32 target, cargo-leptos, wasm-bindgen, wasm-opt)
#   scripts/tools.sh --test     also Chromium and the end-to-end test packages
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
source scripts/versions.env
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

pinned=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if [ "$pinned" != "$WASM_BINDGEN_VERSION" ]; then
  echo "Cargo.toml pins wasm-bindgen to '$pinned' but scripts/versions.env says $WASM_BINDGEN_VERSION: make them equal." >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Compiled tools: `cargo install` would build them with their own release profiles (cargo-leptos:
# fat LTO and one codegen unit, minutes single-threaded at the end). A tool runs for seconds, so
# it gets settings that suit a tool: no LTO, many codegen units, no debug info. They are built side
# by side (each in its own build directory: one shared directory would make them wait for each
# other), the slowest started first.
export CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
  CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_INCREMENTAL=false
tool_jobs=()
tool_names=()
build_tool() { # name, then cargo install's arguments
  local name=$1; shift
  say "installing $name (in the background; tool builds run side by side)"
  mkdir -p "${TOOLS_LOG_DIR:-/tmp}"
  cargo install "$@" >"${TOOLS_LOG_DIR:-/tmp}/install-$name.log" 2>&1 &
  tool_jobs+=("$!")
  tool_names+=("$name")
}
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  build_tool cargo-leptos cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Without --locked: its lock file names a crate version the registry no longer has.
  build_tool wasm-bindgen-cli wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ "${1:-}" = "--test" ] && ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  build_tool cargo-fuzz cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# wasm-opt for release builds, from npm: Debian's binaryen 108 produces a wasm that never hydrates.
if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
  npm install -g --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
fi

if [ "${1:-}" = "--test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    say "installing Debian's redis-server (session-store tests)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server
  fi
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    say "installing Debian's prometheus (a real Prometheus scrapes the portal in the metrics tests)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/oidc-provider ] \
    || [ ! -d end2end/node_modules/@axe-core/playwright ] || [ ! -d end2end/node_modules/azure-devops-node-api ]; then
    say "installing the end-to-end test packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
fi

# The compiled tools, once the rest is in place.
failed=0
for i in "${!tool_jobs[@]}"; do
  if wait "${tool_jobs[$i]}"; then
    say "${tool_names[$i]} installed"
  else
    echo "Installing ${tool_names[$i]} failed; its log: ${TOOLS_LOG_DIR:-/tmp}/install-${tool_names[$i]}.log" >&2
    tail -20 "${TOOLS_LOG_DIR:-/tmp}/install-${tool_names[$i]}.log" >&2
    failed=1
  fi
done
exit "$failed"
