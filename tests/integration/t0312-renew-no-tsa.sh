# t0312-renew-no-tsa.sh: a daemon that can never renew says so. Without a
# `tsa` in its config, or with fixity_interval 0, the packages it stores
# lapse when their timestamps' TSAs end (found by review: with no word, the
# fixity line said "0 renewed, 0 renewals failed", kho_fixity_problems 0,
# and the package answered 409 a year later). It warns at start-up while
# packages are stored, and each fixity run counts every package due for
# renewal as a failed renewal: an alert naming its evidence's end and that
# no TSA is configured.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" c.xml 0312
seal_pkg c.xml c.asice >/dev/null || echo "seal c failed"
IDC=$(sha256sum c.asice | cut -d' ' -f1)
TSA_END=$(date -u -d "$(openssl x509 -in pki/tsa.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
DUE=$(date -u -d "$TSA_END - 1 year" +%Y-%m-%dT00:00:00Z)   # within renew_margin_days (730)
cat > kho.json <<J
{ "trust": ["pki/trust.pem"], "crls": ["pki/crls.pem"], "fixity_interval": 1, "renew_margin_days": 730 }
J
OFF=$(token counter1 officer 000.31.20.H55)
AUD=$(token audit1 auditor)
start_daemon data --config kho.json
check_nogrep "an empty archive without a tsa: no renewal warning" 'warning: renewal' serve.log
st=$(http POST /v1/packages "$OFF" --data-binary @c.asice); check_status "ingest c" 201 "$st"
stop_daemon

: > serve.log
start_daemon data --config kho.json
check_grep "with a package stored and no tsa: a start-up warning" \
	'warning: renewal: no "tsa" is configured: the daemon renews no package .* the 1 stored stop verifying' serve.log
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
check_grep "... the fixity run of today: nothing due, no problem" \
	'fixity: .* 0 renewed, 0 renewals failed$' serve.log

: > serve.log
export KHO_NOW=$DUE
start_daemon data --config kho.json
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
sleep 0.5
st=$(http GET /metrics "$AUD"); cp body.out metrics.out
stop_daemon
unset KHO_NOW
check_grep "$DUE, the package due and no tsa: a failed renewal naming its evidence's end and the cause" \
	"fixity: .* 0 renewed, 1 renewals failed; first: $IDC: due for an archive timestamp \(its evidence ends on $TSA_END\), but no TSA is configured" serve.log
check_grep "... counted in kho_fixity_problems" '^kho_fixity_problems 1$' metrics.out
check "... an alert in the audit trail" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'alert' AND actor = 'daemon' AND detail LIKE '%no TSA is configured%'")" = 1

# A tsa, but no fixity run: nothing ever renews either.
jq '.tsa = {"key": "pki/tsa.key", "cert": "pki/tsa.pem"} | .fixity_interval = 0' kho.json > k0.json
: > serve.log
start_daemon data --config k0.json
stop_daemon
check_grep "a tsa but fixity_interval 0: a start-up warning" \
	'warning: renewal: fixity_interval is 0 \(no fixity run\): the daemon renews no package' serve.log
jq '.tsa = {"key": "pki/tsa.key", "cert": "pki/tsa.pem"}' kho.json > k1.json
: > serve.log
start_daemon data --config k1.json
stop_daemon
check_nogrep "a tsa and a fixity run: no warning" 'warning: renewal' serve.log
finish
