#!/usr/bin/env bash
# run.sh BUILD SECONDS: run every libFuzzer harness for SECONDS, starting from
# (and adding to a scratch copy of) its seed corpus. Crashes are saved under
# BUILD/fuzz/artifacts/.
set -eu
BUILD=$1 SECS=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$BUILD/fuzz/artifacts"
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	h=${f##*/fuzz_}
	work=$(mktemp -d); cp -r "$ROOT/tests/fuzz/corpus/$h/." "$work/" 2>/dev/null || true
	echo "== fuzz_$h for ${SECS}s"
	"$f" -max_total_time="$SECS" -max_len=262144 -rss_limit_mb=2048 \
	     -artifact_prefix="$BUILD/fuzz/artifacts/${h}-" "$work" 2>&1 | tail -n 3
	rm -rf "$work"
done
