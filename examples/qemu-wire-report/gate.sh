#!/usr/bin/env bash
# The CI-gate walk-through, for real: record this firmware on QEMU twice and a build with a
# slower filter once, then `iot-perf compare` must pass the identical run (exit 0) and
# fail the slowed one (exit 3). Needs qemu-system-arm and the thumbv7m-none-eabi target.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && cargo build --release -p iot-perf)
iot_perf="$target_dir/release/iot-perf"
(cd "$here" && CARGO_TARGET_DIR="$work/main" cargo build --release)
(cd "$here" && CARGO_TARGET_DIR="$work/slow" cargo build --release --features slow-filter)
elf=thumbv7m-none-eabi/release/qemu-wire-report
qemu=(qemu-system-arm -machine mps2-an385 -nographic -semihosting-config enable=on,target=native
      -icount shift=0,sleep=off -kernel)

db=(--db "$work/history.sqlite")
"$iot_perf" "${db[@]}" record --run main --exec "${qemu[@]}" "$work/main/$elf"
"$iot_perf" "${db[@]}" record --run pr-same --exec "${qemu[@]}" "$work/main/$elf"
"$iot_perf" "${db[@]}" record --run pr-slow --exec "${qemu[@]}" "$work/slow/$elf"
"$iot_perf" "${db[@]}" baseline save main --run main

"$iot_perf" "${db[@]}" compare --baseline main --run pr-same
set +e
"$iot_perf" "${db[@]}" compare --baseline main --run pr-slow
code=$?
set -e
if [ "$code" -ne 3 ]; then
    echo "expected exit 3 (regression) for the slowed firmware, got $code" >&2
    exit 1
fi
echo "QEMU gate: identical run passed, slowed run caught (exit 3)"
