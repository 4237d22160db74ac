#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer): the callback query, ID-token parsing and validation, and
# the session cookie value.
#   scripts/fuzz.sh [seconds per target]     (default 600: ten minutes each)
# The test command runs it for a few seconds per target on the committed corpus. This machine's
# toolchain is stable, so the sanitizer is off (`-s none`) and RUSTC_BOOTSTRAP lets cargo-fuzz
# pass its coverage flags; libFuzzer still finds panics, which is what the targets assert on.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
source scripts/versions.env
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
seconds="${1:-600}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [seconds per target]" >&2; exit 2 ;;
esac
# Short runs (the test command's) gain nothing from optimised builds, which take minutes longer
# to compile; they run with debug assertions and overflow checks on, which only adds checks.
profile=--release
[ "$seconds" -lt 60 ] && profile=--dev
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/devops-pat-portal/fuzz-target}"
export RUSTC_BOOTSTRAP=1
cd server
for target in callback_query id_token session_cookie; do
  # A scratch copy of the corpus: what a run discovers does not dirty the clone.
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$target/." "$work/"
  echo "==> fuzzing $target for ${seconds}s"
  log="$work.log"
  if ! cargo fuzz run -s none "$profile" "$target" "$work" -- -max_total_time="$seconds" -max_len=4096 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed (log: $log)" >&2
    exit 1
  fi
  grep -E "^#[0-9]+\s+(DONE|pulse)" "$log" | tail -1 || true
  grep -E "^Done [0-9]+ runs" "$log" || true
  rm -f "$log"
  rm -rf "$work"
done
