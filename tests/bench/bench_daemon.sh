#!/usr/bin/env bash
# bench_daemon.sh BUILD KHO: the daemon's benchmarks (issue 3, item 14), run
# by tests/bench/run.sh after the issue-2 benchmarks. Three targets, each a
# ratio against a bound measured in the same run on the same machine:
#
#   1. ingest over HTTP: 8 concurrent connections (bench_post) upload N packages of
#      100 KB (default 1,000); the rate is compared with min(in-process
#      verification rate, durable-write rate of files of the same size),
#      both measured by bench_ingest_bound. Target >= 0.5.
#   2. lookup: the catalog filled with M results (default 1,000,000,
#      bench_fill), 64 connections of wrk for 10 s on random subjects; the
#      rate is compared with a minimal libmicrohttpd handler (bench_mhd_min,
#      same thread pool) under the same wrk load. Targets: ratio >= 0.5 and
#      p99 latency < 5 ms.
#   3. memory: the daemon's resident size after the lookup load (< 100 MB)
#      and its growth while a 200 MB upload streams in (< 16 MB).
#
# Prints one line per measurement and a verdict per target; exit 0 when all
# are met, 1 otherwise. Environment: KHO_BENCH_DAEMON_N, KHO_BENCH_LOOKUP_N,
# KHO_BENCH_THREADS (thread pool of the daemon and of the minimal handler,
# default: the number of CPUs), KHO_BENCH_KEEP=1;
# for repeated runs: KHO_BENCH_ONLY=ingest or lookup (the memory targets go
# with the lookup), KHO_BENCH_REUSE=DIR keeps the sealed packages (pki/,
# pk/) and a pristine copy of the filled catalog (ldata.orig/) in DIR and
# reuses them when present (delete DIR after a change to bench_fill).
set -u
BUILD=$(cd "$1" && pwd)
KHO=$2
B=$BUILD/tests/bench
N=${KHO_BENCH_DAEMON_N:-1000}
M=${KHO_BENCH_LOOKUP_N:-1000000}
TH=${KHO_BENCH_THREADS:-$(nproc)}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/kho-bench-daemon.XXXXXX)
cd "$W" || exit 1
missed=0
DPID=
cleanup() { [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null; wait 2>/dev/null; [ "${KHO_BENCH_KEEP:-0}" = 1 ] || rm -rf "$W"; }
trap cleanup EXIT

verdict() { # verdict NAME OK(0/1) TEXT
	if [ "$2" = 1 ]; then echo "MET     $1: $3"; else echo "MISSED  $1: $3"; missed=1; fi
}
start_daemon() { # start_daemon DATA ARGS...
	local d=$1; shift
	rm -f port
	"$KHO" serve --data "$d" --listen 127.0.0.1:0 --port-file port --threads "$TH" "$@" 2>>serve.log &
	DPID=$!
	for i in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	URL=http://127.0.0.1:$(cat port)
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID"; DPID=; }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }

ONLY=${KHO_BENCH_ONLY:-}
REUSE=${KHO_BENCH_REUSE:-}
echo "== daemon benchmarks (scratch $W, $(nproc) CPUs, thread pool $TH, load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -n "$REUSE" ] && [ -d "$REUSE/pki" ]; then
	cp -a "$REUSE/pki" pki || exit 1
else
	"$KHO" pki init pki >/dev/null || exit 1
	[ -n "$REUSE" ] && { mkdir -p "$REUSE"; cp -a pki "$REUSE/pki"; }
fi

# ---- 1. ingest -----------------------------------------------------------
if [ "$ONLY" != lookup ]; then
mkdir -p pk
if [ -n "$REUSE" ] && [ "$(ls "$REUSE/pk" 2>/dev/null | grep -c asice)" = "$N" ]; then
	cp "$REUSE"/pk/*.asice pk/
else
echo "sealing $N packages of 100 KB..."
seq 1 "$N" | xargs -P "$(nproc)" -I{} sh -c '
	n=$(printf %04d $(( {} % 10000 )))
	d=$(printf %02d $(( {} / 10000 + 1 )))
	sed -E "s/-250314-0007/-2503$d-$n/g" "$0" > pk/{}.xml
	head -c 102400 /dev/urandom > pk/{}.pdf
	"$1" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
		--tsa-cert pki/tsa.pem --record pk/{}.xml -o pk/{}.asice pk/{}.pdf' \
	"$ROOT/testdata/records/ct01-certified-copy.xml" "$KHO"
[ -n "$REUSE" ] && { rm -rf "$REUSE/pk"; mkdir -p "$REUSE/pk"; cp pk/*.asice "$REUSE/pk/"; }
fi
mkdir -p bound
bound=$("$B/bench_ingest_bound" bound pki/trust.pem $(ls pk/*.asice | head -n 200)) || exit 1
# bound/ is removed after the ingest, not now: this VM's ext4 has no journal,
# and without one ext4 does not reuse an inode freed in the last 60 s; every
# file the daemon creates then scans past each such inode of its block group
# (find_inode_bit -> recently_deleted), which charged the benchmark's own
# clean-up to the daemon (docs/daemon-benchmarks.md, 2026-12-06 (i)).
vr=$(echo "$bound" | sed 's/.*verify_rate=\([0-9.]*\).*/\1/')
wr=$(echo "$bound" | sed 's/.*write_rate=\([0-9.]*\).*/\1/')
echo "bound: in-process verification $vr packages/s, durable write $wr files/s ($(echo "$bound" | sed 's/.*size=//') bytes)"
OFF=$("$KHO" token add --data data --role officer --agency 000.31.20.H55 bench | tail -n1)
start_daemon data --trust pki/trust.pem
ls "$W"/pk/*.asice > all
# The load client is bench_post: 8 keep-alive connections, each posting its
# share of the packages one after the other and waiting for each 201. It
# builds every request before its clock starts and stops the clock at the
# last 201, so the rate is of acknowledged packages. (Until 2026-12-07 this
# was wrk with a Lua script, which built each 100 KB request anew and cost
# about as much CPU per package as the daemon on the same two CPUs, with a
# /healthz watcher stopping the clock: see docs/daemon-benchmarks.md.)
cpu0=$(awk '{print $14 + $15}' /proc/"$DPID"/stat)
post=$("$B/bench_post" "${URL##*:}" "$OFF" 8 all) || echo "ingest: bench_post failed: $post" >&2
cpu1=$(awk '{print $14 + $15}' /proc/"$DPID"/stat)
ok=$(echo "$post" | sed -n 's/.*stored=\([0-9]*\).*/\1/p'); ok=${ok:-0}
secs=$(echo "$post" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
rate=$(echo "$post" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p'); rate=${rate:-0}
# Ratios are cut (not rounded) to three decimals, and the verdicts are taken
# on the exact quotient: a rounded 0.4996 once printed "0.50" and "MET".
ratio=$(echo "$rate $vr $wr" | awk '{b = $2 < $3 ? $2 : $3; printf "%.3f", int($1 / b * 1000) / 1000}')
ratio_ok=$(echo "$rate $vr $wr" | awk '{b = $2 < $3 ? $2 : $3; print ($1 / b >= 0.5) ? 1 : 0}')
# The daemon's CPU time per stored package (user + system, clock ticks of
# /proc/PID/stat): it moves less with the machine's other load than the rate.
echo "ingest: daemon CPU $(echo "$cpu0 $cpu1 $ok $(getconf CLK_TCK)" | awk '{printf "%.0f", $3 ? ($2 - $1) / $4 * 1e6 / $3 : 0}') us per package; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ingest: $ok/$N stored in ${secs:-?} s by 8 concurrent connections: $rate packages/s"
verdict "ingest over HTTP >= 0.5 x min(verify, durable write)" \
	"$(echo "$ratio_ok $ok $N" | awk '{print ($1 == 1 && $2 == $3) ? 1 : 0}')" "ratio $ratio"
stop_daemon
rm -rf bound
fi
[ "$ONLY" = ingest ] && exit $missed

# ---- 2. lookup -------------------------------------------------------------
if [ -n "$REUSE" ] && [ -f "$REUSE/ldata.orig/catalog.db" ]; then
	echo "copying the filled catalog of $REUSE/ldata.orig..."
	cp -a "$REUSE/ldata.orig" ldata || exit 1
else
	echo "filling a catalog with $M results..."
	"$B/bench_fill" ldata "$M" >/dev/null || exit 1
	[ -n "$REUSE" ] && { rm -rf "$REUSE/ldata.orig"; cp -a ldata "$REUSE/ldata.orig"; }
fi
# bench_fill's results have no key file (a lookup asks the key store and
# reads them destroyed); since 2026-12-07 the daemon refuses to start on a
# catalog whose key store is missing or an empty directory (an unmounted
# volume), so the benchmark gives it one that is neither (the lookup part
# stopped at "lookup does not find a filled subject" until 2026-12-08).
mkdir -p ldata.keys/00 && chmod 700 ldata.keys
LTOK=$("$KHO" token add --data ldata --role officer --agency 000.31.20.H55 bench | tail -n1)
cat > lookup.lua <<LUA
math.randomseed(42)
request = function()
  local s = string.format("001%09d", math.random(0, $M - 1))
  return wrk.format("GET", "/v1/lookup?subject=" .. s .. "&purpose=000.31.20.H55-251120-0001",
                    {["Authorization"] = "Bearer $LTOK"})
end
LUA
start_daemon ldata --trust pki/trust.pem
curl -s -H "Authorization: Bearer $LTOK" "$URL/v1/lookup?subject=001000000007&purpose=000.31.20.H55-251120-0001" | grep -q '"found":1' \
	|| { echo "lookup does not find a filled subject"; missed=1; }
wrk -t2 -c64 -d3s -s lookup.lua "$URL/" >/dev/null 2>&1   # warm-up
cpu0=$(awk '{print $14 + $15}' /proc/"$DPID"/stat)
wrk -t2 -c64 -d10s --timeout 10s --latency -s lookup.lua "$URL/" > wrk-daemon.txt 2>&1
cpu1=$(awk '{print $14 + $15}' /proc/"$DPID"/stat)
rss=$(rss_kb "$DPID")
"$B/bench_mhd_min" mport "$TH" &
MPID=$!
for i in $(seq 100); do [ -s mport ] && break; sleep 0.05; done
wrk -t2 -c64 -d10s --latency -s lookup.lua "http://127.0.0.1:$(cat mport)/" > wrk-min.txt 2>&1
kill -TERM "$MPID"; wait "$MPID" 2>/dev/null
d_rps=$(awk '/Requests\/sec/ {print $2}' wrk-daemon.txt)
m_rps=$(awk '/Requests\/sec/ {print $2}' wrk-min.txt)
p99=$(awk '$1 == "99%" {print $2}' wrk-daemon.txt)
p99ms=$(echo "$p99" | awk '/us$/ {sub("us", ""); print $1 / 1000; next} /ms$/ {sub("ms", ""); print $1; next} /s$/ {sub("s", ""); print $1 * 1000}')
non2xx=$(awk '/Non-2xx/ {print $5}' wrk-daemon.txt)
# The minimal handler's own p99 under the same load: the floor this machine
# sets for the p99 target (printed for the reader; the verdict is the daemon's).
m_p99=$(awk '$1 == "99%" {print $2}' wrk-min.txt)
echo "lookup: daemon $d_rps req/s (p99 $p99${non2xx:+, $non2xx non-2xx}), minimal libmicrohttpd handler $m_rps req/s (p99 $m_p99)"
# CPU time the daemon spent per lookup: less sensitive to the machine's
# other load than the rates (clock ticks of /proc/PID/stat).
nreq=$(awk '/requests in/ {print $1}' wrk-daemon.txt)
echo "lookup: daemon CPU $(echo "$cpu0 $cpu1 ${nreq:-0} $(getconf CLK_TCK)" | awk '{printf "%.0f", $3 ? ($2 - $1) / $4 * 1e6 / $3 : 0}') us per lookup; load $(cut -d' ' -f1-3 /proc/loadavg)"
# A rate that was not measured (no bench_mhd_min in $B, wrk failed) is a
# missed target with the reason, never a ratio against nothing.
if [ -z "$d_rps" ] || [ -z "$m_rps" ]; then
	echo "lookup: a rate was not measured (daemon '$d_rps', minimal handler '$m_rps'; is $B/bench_mhd_min built? make bench builds it)"
	d_rps=${d_rps:-0}; m_rps=${m_rps:-0}
fi
lratio=$(echo "$d_rps $m_rps" | awk '{if ($2 > 0) printf "%.3f", int($1 / $2 * 1000) / 1000; else print "not measured"}')
verdict "lookup >= 0.5 x minimal handler" "$(echo "$d_rps $m_rps" | awk '{print ($2 > 0 && $1 / $2 >= 0.5) ? 1 : 0}')" "ratio $lratio"
verdict "lookup p99 < 5 ms" "$(echo "$p99ms" | awk '{print ($1 < 5) ? 1 : 0}')" "p99 ${p99ms} ms"

# ---- 3. memory -------------------------------------------------------------
verdict "resident size after the lookup load < 100 MB" "$(( rss < 102400 ))" "$((rss / 1024)) MB"
head -c $((200 * 1024 * 1024)) /dev/urandom > big.bin
before=$(rss_kb "$DPID")
curl -s -o /dev/null -H "Authorization: Bearer $LTOK" --data-binary @big.bin "$URL/v1/packages" &
CPID=$!
peak=$before
while kill -0 "$CPID" 2>/dev/null; do
	r=$(rss_kb "$DPID"); [ "$r" -gt "$peak" ] && peak=$r
	sleep 0.05
done
wait "$CPID"
growth=$(( (peak - before) / 1024 ))
echo "upload of 200 MB: resident $((before / 1024)) MB before, $((peak / 1024)) MB at peak"
verdict "growth during a 200 MB upload < 16 MB" "$(( peak - before < 16384 ))" "$growth MB"
stop_daemon
exit $missed
