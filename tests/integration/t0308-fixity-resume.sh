# t0308-fixity-resume.sh: the daemon's fixity run survives restarts
# (DATA/fixity.state). A run cut by a stop resumes after the last package
# it checked, at once, on the next start; a restart does not push the next
# run fixity_interval further (a daemon restarted more often than the
# interval plus one run never completed one: found by review).
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
AG=000.31.20.H55
OFF=$(token counter1 officer $AG)
head -c 20000 /dev/urandom > ketqua.pdf
cat > kho.json <<J
{ "trust": ["pki/trust.pem"], "fixity_interval": 1, "fixity_bytes_per_second": 25000 }
J
start_daemon data --config kho.json
for i in $(seq 10 21); do
	make_record "$ROOT/testdata/records/ct01-certified-copy.xml" r$i.xml 00$i
	seal_pkg r$i.xml r$i.asice >/dev/null || echo "seal $i failed"
	st=$(http POST /v1/packages "$OFF" --data-binary @r$i.asice); [ "$st" = 201 ] || echo "ingest $i: $st"
done
stop_daemon
rm -f data/fixity.state
# About one package a second (25 KB/s): stopped a few seconds into the run.
: > serve.log
start_daemon data --config kho.json
sleep 4
stop_daemon
check_nogrep "the first run did not complete" 'fixity: ' serve.log
check_grep "the stop left a cursor in fixity.state" '^cursor [0-9a-f]{64}$' data/fixity.state
CUR=$(sed -n 's/^cursor //p' data/fixity.state)
LEFT=$(sqlite3 data/catalog.db "SELECT count(*) FROM packages WHERE id > '$CUR'")
check "... after some packages, before the last" test "$LEFT" -gt 0 -a "$LEFT" -lt 12
: > serve.log
start_daemon data --config kho.json
for i in $(seq 100); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
check_grep "restarted, the run resumes after the cursor: the $LEFT packages left" \
	"fixity: $LEFT packages: $LEFT ok" serve.log
check_grep "... and records its completion, with no cursor" '^completed [0-9]+$' data/fixity.state
check_nogrep "... (no cursor)" '^cursor' data/fixity.state
# The last completed run two hours ago, the interval one hour: a restart runs
# the check at once rather than an hour later.
jq '.fixity_interval = 3600 | .fixity_bytes_per_second = 1073741824' kho.json > k1h.json
echo "completed $(( $(date +%s) - 7200 ))" > data/fixity.state
: > serve.log
start_daemon data --config k1h.json
for i in $(seq 50); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
check_grep "a run overdue at start runs at once" 'fixity: 12 packages: 12 ok' serve.log
# ... and one completed a minute ago is not repeated at start.
: > serve.log
start_daemon data --config k1h.json
sleep 2
stop_daemon
check_nogrep "a run not due is not repeated at a restart" 'fixity: ' serve.log
# A run that cannot proceed (the store's tmp/ replaced by a file once the
# daemon runs: nothing can be decrypted for re-verification): the next
# attempt waits fixity_interval (found by review: once the last completed
# run was past, failing runs followed each other without a pause, thousands
# of audit rows a second, with an uninitialised message).
T=$(find data -maxdepth 2 -type d -name tmp | head -n1)
check "the store has a tmp directory to break" test -n "$T"
jq '.fixity_interval = 2' k1h.json > k2.json
echo "completed $(date +%s)" > data/fixity.state
N0=$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'fixity' AND status = 500")
start_daemon data --config k2.json
rm -rf "$T" && touch "$T"
sleep 6
stop_daemon
N1=$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'fixity' AND status = 500")
check "failing runs are paced by fixity_interval (1 to 4 in 6 s at 2 s)" \
	test $((N1 - N0)) -ge 1 -a $((N1 - N0)) -le 4
check "... and say which package and why" \
	test "$(sqlite3 data/catalog.db "SELECT detail FROM audit WHERE action = 'fixity' AND status = 500 ORDER BY seq DESC LIMIT 1" | grep -cE '^[0-9a-f]{64}: ')" = 1
rm -f "$T" && mkdir -m 700 "$T"
finish
