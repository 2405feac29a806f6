#!/usr/bin/env bash
# Benchmark of the detector (`make bench-detector`): 20 groups of 5 probe buildpacks, where the
# first buildpack of each group but the last fails, so that all 100 detects run and the last
# group passes. The baseline, measured in the same run, is the same 100 detect scripts run one
# after another by a shell loop with the same arguments. Prints the ratio detector / baseline
# for detects that exit at once and for detects that wait 50 ms (I/O-bound). Not a test: it
# asserts nothing about speed.
#
# Usage: bench-detector.sh <installed cnb/lifecycle dir>
set -euo pipefail

lifecycle=$(cd "${1:?usage: $0 <cnb/lifecycle dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
groups=20 per_group=5 rounds=3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -p "$work"/{app,layers,platform,buildpacks}
printf '[run-image]\nreference = "r"\n[run-image.target]\nos = "linux"\narch = "amd64"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "24.04"\n' \
  > "$work/layers/analyzed.toml"
order="$work/order.toml"
: > "$order"
for g in $(seq 1 "$groups"); do
  echo "[[order]]" >> "$order"
  for b in $(seq 1 "$per_group"); do
    id="bp-$g-$b" dir="$work/buildpacks/bp-$g-$b/1"
    mkdir -p "$dir/bin"
    printf 'api = "0.10"\n[buildpack]\nid = "%s"\nversion = "1"\n' "$id" > "$dir/buildpack.toml"
    cp "$here/probe/bin/detect" "$dir/bin/detect"
    printf '[[order.group]]\nid = "%s"\nversion = "1"\n' "$id" >> "$order"
    if [ "$b" = 1 ] && [ "$g" != "$groups" ]; then echo 100 > "$work/app/detect-status-$id@1"; fi
  done
done

as_build_user=()
if [ "$(id -u)" = 0 ]; then
  chown 1000:1000 "$work/layers"
  as_build_user=(setpriv --reuid=1000 --regid=1000 --clear-groups)
fi

now() { date +%s%N; }

run_detector() {
  env -i PATH="$PATH" CNB_PLATFORM_API=0.12 "${as_build_user[@]}" "$lifecycle/detector" \
    -app="$work/app" -layers="$work/layers" -platform="$work/platform" \
    -buildpacks="$work/buildpacks" -order="$order" -log-level=warn > /dev/null
}

run_baseline() {
  env -i PATH="$PATH" "${as_build_user[@]}" bash -c '
    work=$1; plan=$2; cd "$work/app"
    for dir in "$work"/buildpacks/*/1; do
      : > "$plan"
      CNB_BUILDPACK_DIR=$dir CNB_PLATFORM_DIR=$work/platform CNB_BUILD_PLAN_PATH=$plan \
        "$dir/bin/detect" "$work/platform" "$plan" > /dev/null 2>&1 || true
    done' bash "$work" "$work/layers/baseline-plan.toml"
}

# The best of a few rounds, in milliseconds.
best() {
  local fn=$1 best_ns=
  for _ in $(seq 1 "$rounds"); do
    local start end
    start=$(now); "$fn"; end=$(now)
    if [ -z "$best_ns" ] || [ $((end - start)) -lt "$best_ns" ]; then best_ns=$((end - start)); fi
  done
  echo $((best_ns / 1000000))
}

report() {
  local label=$1 detector baseline
  detector=$(best run_detector)
  baseline=$(best run_baseline)
  awk -v label="$label" -v d="$detector" -v b="$baseline" 'BEGIN {
    printf "detector, %s: %d ms; sequential shell loop: %d ms; ratio %.2f\n", label, d, b, d / b }'
}

echo "$groups groups x $per_group buildpacks (100 detects, the last group passes), best of $rounds"
rm -f "$work/app/detect-sleep"
report "detects exit at once"
echo 0.05 > "$work/app/detect-sleep"
report "detects wait 50 ms"
