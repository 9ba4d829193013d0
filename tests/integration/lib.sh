# lib.sh: sourced by every integration script. Each script runs in a fresh
# scratch directory (its working directory) with $KHO (the binary), $ROOT
# (the repository) and $KHO_HELPERS (test helper programs) set. A check is
# counted once; the script ends with `finish`, which prints
# "N passed, N failed" and sets the exit status.
set -u
PASSED=0 FAILED=0

ok()   { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check() { local d=$1; shift; if "$@" >check.out 2>&1; then ok "$d"; else fail "$d"; sed 's/^/    /' check.out | tail -n 20; fi; }

# check_exit DESCRIPTION STATUS COMMAND...: passes when COMMAND exits STATUS.
check_exit() {
	local d=$1 want=$2 got; shift 2
	"$@" >check.out 2>check.err; got=$?
	if [ "$got" -eq "$want" ]; then ok "$d"; else
		fail "$d (exit $got, expected $want)"; tail -n 20 check.out check.err | sed 's/^/    /'; fi
}

# check_grep DESCRIPTION PATTERN FILE: passes when FILE contains PATTERN (grep -E).
check_grep() { if grep -qE -- "$2" "$3"; then ok "$1"; else fail "$1 (no /$2/ in $3)"; head -c 2000 "$3" | sed 's/^/    /'; fi; }
check_nogrep() { if grep -qE -- "$2" "$3"; then fail "$1 (/$2/ found in $3)"; else ok "$1"; fi; }

finish() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]; exit $?; }

# flip_byte FILE OFFSET: change the byte at OFFSET (all bits inverted), so the
# file always differs afterwards (writing a fixed byte left it unchanged
# whenever that byte was already there: 1 run in 256 for ciphertext).
flip_byte() {
	local b
	b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	[ -n "$b" ] || { echo "flip_byte: $1 has no byte at $2"; return 1; }
	printf "\\$(printf %03o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
