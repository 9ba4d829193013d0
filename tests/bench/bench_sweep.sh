#!/usr/bin/env bash
# bench_sweep.sh BUILD KHO: the retention sweep benchmark (issue 4,
# deliverable 12), run by tests/bench/run.sh. bench_sweep fills a fresh data
# directory with N classified records (default 1,000,000; each with a
# trigger event, a few holds of every scope), then times in the same run
# SQLite scanning exactly the rows the sweep reads, and the sweep itself
# (dry run). Target: sweep <= 3 x scan. Pinned to one core.
# Environment: KHO_BENCH_SWEEP_N, KHO_BENCH_KEEP=1 keeps the directory.
set -u
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${KHO_BENCH_SWEEP_N:-1000000}
W=$(mktemp -d /tmp/kho-bench-sweep.XXXXXX)
echo "== retention sweep over $N records (issue 4, item 12)"
taskset -c 0 "$BUILD/tests/bench/bench_sweep" "$ROOT/testdata/schedules/province-2025.xml" "$N" "$W/data"
rc=$?
[ "${KHO_BENCH_KEEP:-0}" = 1 ] || rm -rf "$W" "$W.keys"
exit $rc
