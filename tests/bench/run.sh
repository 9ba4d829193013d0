#!/usr/bin/env bash
# run.sh BUILD KHO: the benchmarks (`make bench`). Speed targets live here, as
# ratios against a bound measured in the same run, never in timed unit tests.
#
# Issue 2 (docs/benchmarks.md explains the method and how to read the table),
# everything pinned to one core with `taskset -c 0`:
#   1. `kho pki init` makes a fresh PKI in a temporary directory;
#   2. bench_sign_verify seals 1,000 packages of 100 KB (RSA-2048 signer,
#      built-in RSA-2048 TSA, chains and CRLs embedded), verifies them
#      in-process, counts the RSA operations each needs and measures the raw
#      RSA rates that bound both;
#   3. the do-it-yourself alternative, a shell loop of unzip, openssl dgst,
#      openssl cms -verify and openssl ts -verify, checks the first 100 of the
#      same packages;
#   4. the table, and one verdict per target: verification >= 0.5 of its
#      bound, sealing >= 0.4 of its bound.
# Then every tests/bench/bench_*.sh present (e.g. the daemon's) runs as
# `bash SCRIPT BUILD KHO`, unpinned (each pins itself as it needs); a
# non-zero exit counts as a missed target.
#
# Exit status: 0 when every target is met, 1 when one is missed or a
# benchmark could not run. Environment: KHO_BENCH_N (packages, default 1000),
# KHO_BENCH_SHELL_N (shell-loop packages, default 100), KHO_BENCH_BOUND_SECONDS
# (length of each raw-rate loop, default 1), KHO_BENCH_KEEP=1 keeps the
# scratch directory.
set -u

# ---- the do-it-yourself verifier, run pinned as `run.sh --diy-loop ...` ----
#
# What a system administrator would write with the tools at hand: for each
# package, unzip it, check each data object's SHA-256 against the manifest,
# verify the CAdES signature over the manifest with the trust anchor and CRLs,
# cut the signature timestamp token and the signature value it covers out of
# the DER with `openssl asn1parse`, and verify the token over the hash of that
# value. It prints one line per failed package and "diy_ok=N diy_failed=N".
if [ "${1:-}" = "--diy-loop" ]; then
	shift
	trust=$1 crls=$2 scratch=$3; shift 3
	ok=0 bad=0
	# openssl cms/ts take CRLs only from the CAfile (X509_load_cert_crl_file).
	cat "$trust" "$crls" >"$scratch/trust-crls.pem" || exit 1
	trust=$scratch/trust-crls.pem
	diy_one() { # PKG: 0 when the package verifies
		local pkg=$1 x=$scratch/x m s uri dv got hex sig_off sig_len tok_off tok_len
		rm -rf "$x" && mkdir -p "$x" || return 1
		unzip -q -o "$pkg" -d "$x" || return 1
		m=$x/META-INF/ASiCManifest001.xml s=$x/META-INF/signature001.p7s
		[ -f "$m" ] && [ -f "$s" ] || return 1
		# Data objects: URI and DigestValue of each DataObjectReference (SHA-256).
		while read -r uri dv; do
			[ -n "$uri" ] || continue
			case $uri in /*|*..*) return 1 ;; esac
			got=$(openssl dgst -sha256 -binary "$x/$uri" | base64) || return 1
			[ "$got" = "$dv" ] || { echo "digest mismatch: $uri" >&2; return 1; }
		done < <(awk '
			/DataObjectReference/ { if (match($0, /URI="[^"]*"/)) uri = substr($0, RSTART + 5, RLENGTH - 6) }
			/DigestValue>/ { v = $0; sub(/^[^>]*DigestValue>/, "", v); sub(/<.*/, "", v); print uri, v; uri = "" }
		' "$m")
		openssl cms -verify -binary -inform DER -in "$s" -content "$m" -CAfile "$trust" \
			-crl_check_all -purpose any -out /dev/null 2>"$x/cms.err" ||
			{ cat "$x/cms.err" >&2; return 1; }
		# RFC 5652 5.3: the signature value is the OCTET STRING right before the
		# SignerInfo's unsignedAttrs [1]; EN 319 122-1 5.3: the token is the
		# SEQUENCE after the id-aa-signatureTimeStampToken OID. (field() takes
		# its regex as a string: a /re/ argument would be matched against $0.)
		openssl asn1parse -inform DER -in "$s" >"$x/asn1.txt" || return 1
		read -r sig_off sig_len tok_off tok_len < <(awk '
			function field(line, re,   v) { v = line; sub(re, "", v); return v + 0 }
			{ off = field($0, ":.*"); hl = field($0, ".*hl="); l = field($0, ".* l= *") }
			/prim: OCTET STRING/ { last_off = off + hl; last_len = l }
			/cont \[ 1 \]/ { sig_off = last_off; sig_len = last_len }
			want { print sig_off, sig_len, off, hl + l; found = 1; exit }
			/id-smime-aa-timeStampToken/ { getline; want = 1 }
			END { if (!found) print "- - - -" }
		' "$x/asn1.txt")
		[ "$tok_off" != - ] && [ -n "$sig_len" ] || { echo "no timestamp token" >&2; return 1; }
		tail -c +$((tok_off + 1)) "$s" | head -c "$tok_len" >"$x/token.der"
		hex=$(tail -c +$((sig_off + 1)) "$s" | head -c "$sig_len" |
			openssl dgst -sha256 -r | cut -d' ' -f1) || return 1
		openssl ts -verify -digest "$hex" -in "$x/token.der" -token_in -CAfile "$trust" \
			-crl_check_all >"$x/ts.out" 2>&1 || { cat "$x/ts.out" >&2; return 1; }
		grep -q '^Verification: OK' "$x/ts.out"
	}
	for p in "$@"; do
		if diy_one "$p" 2>"$scratch/err"; then ok=$((ok + 1)); else
			bad=$((bad + 1)); echo "diy: $(basename "$p") failed: $(head -c 300 "$scratch/err" | tr '\n' ' ')"
		fi
	done
	echo "diy_ok=$ok diy_failed=$bad"
	exit 0
fi

# ---- the benchmark proper --------------------------------------------------
BUILD=${1:-build}
KHO=$(cd "$(dirname "${2:-bin/kho}")" && pwd)/$(basename "${2:-bin/kho}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
SELF=$ROOT/tests/bench/run.sh
N=${KHO_BENCH_N:-1000}
SHELL_N=${KHO_BENCH_SHELL_N:-100}
BOUND_SECONDS=${KHO_BENCH_BOUND_SECONDS:-1}
PIN="taskset -c 0"
status=0

if ! taskset -c 0 true 2>/dev/null; then
	echo "bench: cannot pin to core 0 with taskset: the figures would not be one-core figures" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/kho-bench.XXXXXX")
cleanup() { [ "${KHO_BENCH_KEEP:-0}" = 1 ] && echo "bench: kept $work" || rm -rf "$work"; }
trap cleanup EXIT

# The record template: a certified copy (CT.01); any valid record would do.
record=$ROOT/testdata/records/ct01-certified-copy.xml
[ -f "$record" ] || record=$(ls "$ROOT"/testdata/records/*.xml 2>/dev/null | head -n 1)
if [ -z "$record" ]; then
	echo "bench: no record in testdata/records/" >&2
	exit 1
fi

echo "kho benchmarks, issue 2: seal and verify ($N packages of 100 KB), one core (taskset -c 0)"
echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(openssl version)"
echo

if ! $PIN "$KHO" pki init "$work/pki" >"$work/pki.log" 2>&1; then
	echo "bench: kho pki init failed:" >&2; cat "$work/pki.log" >&2; exit 1
fi
mkdir -p "$work/pkgs"
if ! $PIN "$BUILD/tests/bench/bench_sign_verify" --pki "$work/pki" --record "$record" \
	--out "$work/pkgs" --n "$N" --shell-n "$SHELL_N" --bound-seconds "$BOUND_SECONDS" \
	>"$work/results" 2>"$work/bench.err"; then
	echo "bench: bench_sign_verify failed:" >&2; cat "$work/bench.err" >&2; exit 1
fi
val() { sed -n "s/^$1=//p" "$work/results" | head -n 1; }

# The shell loop over the first SHELL_N packages, timed as a whole: its CPU
# time (user + system of every process it starts) like the in-process
# figures, and its wall time.
pkgs=("$work"/pkgs/pkg-*.asice)
mkdir -p "$work/diy"
TIMEFORMAT='%3R %3U %3S'
{ time $PIN bash "$SELF" --diy-loop "$work/pki/trust.pem" "$work/pki/crls.pem" "$work/diy" \
	"${pkgs[@]}" >"$work/diy.out" 2>&1; } 2>"$work/diy.time"
read -r diy_real diy_user diy_sys <"$work/diy.time"
diy_ok=$(sed -n 's/^diy_ok=\([0-9]*\).*/\1/p' "$work/diy.out")
diy_failed=$(sed -n 's/.*diy_failed=\([0-9]*\).*/\1/p' "$work/diy.out")
diy_rate=$(awk -v n="${#pkgs[@]}" -v u="$diy_user" -v s="$diy_sys" 'BEGIN { printf "%.1f", n / (u + s) }')
diy_wall_rate=$(awk -v n="${#pkgs[@]}" -v r="$diy_real" 'BEGIN { printf "%.1f", n / r }')

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
per_size() { # per_size KEYPREFIX: "5 x RSA-2048 + 2 x RSA-3072"
	grep -E "^$1[0-9]+=" "$work/results" | sed "s/^$1\([0-9]*\)=\(.*\)/\2 x RSA-\1/" |
		sed 's/\.000 x/ x/' | paste -sd+ | sed 's/+/ + /g'
}
rates=$(grep -E '^rsa[0-9]+_verify_rate=' "$work/results" |
	sed 's/^rsa\([0-9]*\)_verify_rate=\([0-9]*\).*/RSA-\1 \2\/s/' | paste -sd, | sed 's/,/, /g')
n=$(val n) vr=$(val verify_ratio) sr=$(val seal_ratio)
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { exit !(r >= t) }' && echo met || echo MISSED; }
v_verdict=$(verdict "$vr" 0.5) s_verdict=$(verdict "$sr" 0.4)

row() { printf '%-46s %12s %12s %7s %7s\n' "$@"; }
row "measurement (per second of CPU, one core)" "rate" "bound" "ratio" "target"
row "----------------------------------------------" "------------" "------------" "-------" "-------"
row "verify in-process, $n pkgs" "$(calc %.1f "$(val verify_rate)")/s" \
	"$(calc %.1f "$(val verify_bound_rate)")/s" "$(calc %.3f "$vr")" ">= 0.5"
row "  same, against the operations performed" "" "$(calc %.1f "$(val verify_bound_performed_rate)")/s" \
	"$(calc %.3f "$(val verify_ratio_performed)")" ""
row "openssl shell loop, first ${#pkgs[@]} pkgs" "$diy_rate/s" "" \
	"$(calc %.4f "$diy_rate / $(val verify_bound_rate)")" ""
row "seal in-process, $n pkgs" "$(calc %.1f "$(val seal_rate)")/s" \
	"$(calc %.1f "$(val seal_bound_rate)")/s" "$(calc %.3f "$sr")" ">= 0.4"
echo
echo "packages:  $(val payload_bytes) B random payload + $(basename "$record"), $(val package_bytes_avg) B sealed on average, $(val verify_level)"
echo "verify:    $(calc %.3f "1000 * $(val verify_seconds) / $n") ms per package (median $(calc %.3f "$(val verify_median_ms)") ms:" \
	"ratio $(calc %.3f "$(val verify_ratio_median)") at the median); in-process is" \
	"$(calc %.0f "$(val verify_rate) / $diy_rate")x the shell loop ($(calc %.1f "1000 / $diy_rate") ms per package)"
echo "  bound:   $(per_size verify_distinct_rsa) = $(val verify_distinct_per_pkg) distinct public-key operations per package (counted)"
echo "           $(per_size verify_ops_rsa) = $(val verify_ops_per_pkg) performed, repeats included"
echo "           at the raw EVP_PKEY_verify rates measured now: $rates"
[ "$(val verify_distinct_min)" = "$(val verify_distinct_max)" ] ||
	echo "           (distinct operations varied from $(val verify_distinct_min) to $(val verify_distinct_max) per package)"
echo "seal:      $(calc %.3f "1000 * $(val seal_seconds) / $n") ms per package (median $(calc %.3f "$(val seal_median_ms)") ms:" \
	"ratio $(calc %.3f "$(val seal_ratio_median)") at the median)"
echo "  bound:   $(val seal_sign_ops_per_pkg) RSA-2048 signatures per seal (counted)" \
	"at the raw EVP_PKEY_sign rate measured now: $(calc %.1f "$(val rsa2048_sign_rate)")/s"
echo "wall clock: verify $(calc %.1f "$n / $(val verify_wall_seconds)")/s, seal $(calc %.1f "$n / $(val seal_wall_seconds)")/s," \
	"shell loop $diy_wall_rate/s"
busy=$(awk -v a="$(val verify_wall_seconds)" -v b="$(val verify_seconds)" -v c="$(val seal_wall_seconds)" \
	-v d="$(val seal_seconds)" 'BEGIN { print (a > 1.1 * b || c > 1.1 * d) ? 1 : 0 }')
[ "$busy" = 1 ] && echo "note: wall clock exceeds CPU time by more than 10%: the machine was busy; CPU-time figures stand"
grep '^warning=' "$work/results" | sed 's/^warning=/warning: /'
if [ "${diy_failed:-1}" != 0 ] || [ "${diy_ok:-0}" != "${#pkgs[@]}" ]; then
	echo "shell loop: ${diy_ok:-0} of ${#pkgs[@]} packages verified; its rate is not comparable:"
	grep '^diy:' "$work/diy.out" | head -n 5
	status=1
fi
echo
echo "verdict: verification at $(calc %.3f "$vr") of its bound (target 0.5): $v_verdict"
echo "verdict: sealing at $(calc %.3f "$sr") of its bound (target 0.4): $s_verdict"
[ "$v_verdict" = met ] && [ "$s_verdict" = met ] || status=1

# Other benchmarks (the daemon's) plug in here.
for b in "$ROOT"/tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo
	echo "== $(basename "$b")"
	bash "$b" "$BUILD" "$KHO" || { echo "verdict: $(basename "$b"): MISSED or failed"; status=1; }
done
exit "$status"
