#!/usr/bin/env bash
# `make fuzz`: builds every cargo-fuzz target (nightly toolchain, libFuzzer; debug assertions
# and overflow checks on; no sanitizer: the lifecycle is safe Rust and AddressSanitizer would
# halve the executions), lays out each target's
# corpus from its kept inputs and seeds (crates/cnb-fuzz/examples/fuzz_corpus.rs), then runs
# the targets one after another for FUZZ_SECONDS each and prints, per target, the executions
# and the crashes. Exits 1 if any target crashed; the input that did is under
# $WORK/artifacts/<target>/ (copy it to testdata/fuzz/<target>/ once fixed).
#
# usage: fuzz/run.sh <seconds> [<target>…]     (WORK defaults to target/fuzz)
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh <seconds> [<target>...]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$repo/target/fuzz}
bins=$repo/fuzz/target/x86_64-unknown-linux-gnu/release

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "make fuzz needs a nightly toolchain and cargo-fuzz:" >&2
  echo "  rustup toolchain install nightly && cargo install cargo-fuzz --locked" >&2
  exit 2
fi
cd "$repo"
cargo +nightly fuzz build --sanitizer none --codegen-units 16 --fuzz-dir fuzz >&2
mapfile -t targets < <(cargo run --quiet --locked -p cnb-fuzz --example fuzz_corpus -- "$work/corpus" "$@")
mkdir -p "$work/logs" "$work/artifacts"
# targets that write files (the extractor's) run 10x faster on a tmpfs
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi

crashed=0
printf '%-22s %8s %12s %9s %8s %8s\n' target seconds executions exec/s corpus crashes
for target in "${targets[@]}"; do
  log=$work/logs/$target.log
  mkdir -p "$work/artifacts/$target"
  found_before=$(find "$work/artifacts/$target" -type f | wc -l)
  status=0
  "$bins/$target" "$work/corpus/$target" -max_total_time="$seconds" -timeout=60 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" \
    >"$log" 2>&1 || status=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  crashes=$(( $(find "$work/artifacts/$target" -type f | wc -l) - found_before ))
  [ "$status" -eq 0 ] || crashes=$(( crashes > 0 ? crashes : 1 ))
  [ "$crashes" -eq 0 ] || crashed=1
  printf '%-22s %8s %12s %9s %8s %8s\n' "$target" "$seconds" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(find "$work/corpus/$target" -type f | wc -l)" "$crashes"
done
if [ "$crashed" -ne 0 ]; then
  echo "crashes: see $work/artifacts/<target>/ and $work/logs/<target>.log" >&2
fi
exit "$crashed"
