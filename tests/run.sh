#!/usr/bin/env bash
# run.sh BUILD KHO: the whole test suite. Runs every unit-test binary, every
# integration script (tests/integration/t*.sh, numbered, each with a fresh
# scratch directory) and replays every fuzz harness's seed corpus. Prints one
# line per program and the closing line "N passed, N failed".
set -u
BUILD=${1:-build}
KHO=$(cd "$(dirname "${2:-bin/kho}")" && pwd)/$(basename "${2:-bin/kho}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
export KHO BUILD ROOT
export KHO_HELPERS="$BUILD/tests/helpers"
pass=0 fail=0 units=0
failed_names=()
log=$(mktemp -d)
only=${TESTS:-}

tally() { # tally NAME OUTPUTFILE STATUS (uses $SECONDS since $t0)
	local p f d=$((SECONDS - t0))
	p=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n1 | awk '{print $1}')
	f=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n1 | awk '{print $3}')
	if [ -z "$p" ]; then p=0; f=1; fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$1"); echo "FAIL $1 ($p passed, $f failed, ${d}s)"; sed 's/^/    /' "$2" | tail -n 40
	else
		echo "ok   $1 ($p passed, ${d}s)"
	fi
}

for t in "$BUILD"/tests/unit/test_*; do
	# Programs only: skip the .o and .d files beside them (look at the file
	# name, not the path, which may contain dots).
	case "${t##*/}" in *.*) continue;; esac
	[ -x "$t" ] || continue
	units=$((units + 1))
	name=unit/$(basename "$t")
	[ -n "$only" ] && [[ "$name" != *$only* ]] && continue
	t0=$SECONDS
	(cd "$log" && "$t") >"$log/out" 2>&1; st=$?
	tally "$name" "$log/out" "$st"
done

for t in "$ROOT"/tests/integration/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=integration/$(basename "$t")
	[ -n "$only" ] && [[ "$name" != *$only* ]] && continue
	work=$(mktemp -d); t0=$SECONDS
	(cd "$work" && timeout 1200 bash "$t") >"$log/out" 2>&1; st=$?
	tally "$name" "$log/out" "$st"
	[ "$st" -eq 0 ] && rm -rf "$work"
done

for r in "$BUILD"/tests/fuzz/replay_*; do
	[ -x "$r" ] || continue
	h=${r##*/replay_}
	name=fuzz-corpus/$h
	[ -n "$only" ] && [[ "$name" != *$only* ]] && continue
	corpus="$ROOT/tests/fuzz/corpus/$h"
	t0=$SECONDS
	"$r" "$corpus" >"$log/out" 2>&1; st=$?
	tally "$name" "$log/out" "$st"
done

rm -rf "$log"
if [ -z "$only" ] && [ "$units" -eq 0 ]; then
	echo "FAIL no unit-test program found under $BUILD/tests/unit"; fail=$((fail + 1))
fi
echo
[ "${#failed_names[@]}" -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
