# t0306-serve-renew.sh: a renewed package (kho renew: archive timestamps
# added) archived again under its result code through the real daemon. It
# becomes the result's current package (201, "renewed"), the old one is kept
# as "renewed", the result's status, verification key and lookup stay; an
# audit event says so. Other bytes under the code are still 409, with the
# reason when they look like a renewal but change something, or build on a
# package that is no longer the current one. Then the daemon of 2035 renews
# on its own, in its fixity run, the packages whose evidence ends within
# renew_margin_days. Then the daemon in 2040, after the sealing TSA's
# certificate expired: the renewed packages are retrieved and re-verified
# (200), a package as first archived is not (409), fsck is clean (a renewed
# old package is checked for integrity only).
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
KHO_NOW=2035-06-01T00:00:00Z "$KHO" pki init pki35 >/dev/null || { echo "pki35 failed"; exit 1; }
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
PN=051087012345
make_record "$CT" a.xml 0301
make_record "$CT" b.xml 0302
A=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' a.xml)
B=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' b.xml)
seal_pkg a.xml a.asice >/dev/null || echo "seal a failed"
seal_pkg b.xml b.asice >/dev/null || echo "seal b failed"
head -c 2000 /dev/urandom > other.pdf
seal_pkg a.xml a-other.asice other.pdf >/dev/null || echo "seal a-other failed"
IDA=$(sha256sum a.asice | cut -d' ' -f1); IDB=$(sha256sum b.asice | cut -d' ' -f1)
cat pki/trust.pem pki35/trust.pem > both.pem
renew() { # renew IN OUT: in 2035, by the TSA of then
	KHO_NOW=2035-06-01T00:00:00Z "$KHO" renew --trust both.pem --crl pki/crls.pem \
		--tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o "$2" "$1" >/dev/null
}
renew a.asice a2.asice || echo "renew a failed"
renew a.asice a3.asice || echo "renew a again failed"
renew a-other.asice ao2.asice || echo "renew a-other failed"
IDA2=$(sha256sum a2.asice | cut -d' ' -f1)
check "two renewals of the same package differ (their tokens)" test "$IDA2" != "$(sha256sum a3.asice | cut -d' ' -f1)"
archive_config kho.json
jq '.trust += ["pki35/trust.pem"]' kho.json > kho2.json && mv kho2.json kho.json
OFF=$(token counter1 officer $AG)
AUD=$(token audit1 auditor)

start_daemon data --config kho.json
for f in a b; do st=$(http POST /v1/packages "$OFF" --data-binary @$f.asice); check_status "ingest $f" 201 "$st"; done
KEY0=$(sqlite3 data/catalog.db "SELECT hex(key_hash) FROM verify_keys WHERE result_code = '$A'")
st=$(http POST /v1/results/$A/status "$(token rm1 records_manager)" -d '{"status":"suspended","decision":"QĐ 7/2026"}')
check_status "the result is suspended before the renewal" 200 "$st"
stop_daemon

# ---- in 2035, the renewals by hand are archived (their tokens are of 2035:
# a renewal must stand as a proof of existence when it is archived) ----
export KHO_NOW=2035-06-01T00:00:00Z
start_daemon data --config kho.json

st=$(http POST /v1/packages "$OFF" --data-binary @a2.asice)
check_status "the renewed package: 201" 201 "$st"
check "... status renewed, naming the package it renews" \
	test "$(jq -r '"\(.status) \(.renews) \(.id)"' body.out)" = "renewed $IDA $IDA2"
st=$(http GET /v1/results/$A "$OFF")
check "the result now points at the renewed package" test "$(jq -r .package_id body.out)" = "$IDA2"
check "... its status kept (suspended)" test "$(jq -r .recorded_status body.out)" = suspended
check "... its verification key (the paper QR code) kept" \
	test "$(sqlite3 data/catalog.db "SELECT hex(key_hash) FROM verify_keys WHERE result_code = '$A'")" = "$KEY0"
check "the old package is kept as renewed, superseded by the new one" \
	test "$(sqlite3 data/catalog.db "SELECT state || ' ' || superseded_by FROM packages WHERE id = '$IDA'")" = "renewed $IDA2"
check "... and keeps the first ingest time (retention counts from it)" \
	test "$(sqlite3 data/catalog.db "SELECT count(DISTINCT ingested_at) FROM packages WHERE result_code = '$A'")" = 1
st=$(http GET "/v1/lookup?subject=$PN&purpose=$AG-251120-0001" "$OFF")
check "the lookup still lists the result once" \
	test "$(jq --arg c "$A" '[.results[] | select(.result_code == $c)] | length' body.out)" = 1
st=$(http POST /v1/packages "$OFF" --data-binary @a2.asice)
check_status "the renewed package again: 200" 200 "$st"
st=$(http POST /v1/packages "$OFF" --data-binary @a3.asice)
check_status "another renewal of the OLD package: 409" 409 "$st"
check_grep "... not a renewal of the current one" 'not a renewal of it: META-INF/timestamp001.tst of the archived package is not in it' body.out
st=$(http POST /v1/packages "$OFF" --data-binary @ao2.asice)
check_status "a renewed package with another data object under the code: 409" 409 "$st"
check_grep "... named" 'not a renewal of it: ketqua.pdf of the archived package is not in it with the same bytes' body.out
# A TSA of then that the archive does not trust (kho renew, given its root,
# makes the renewal: it now refuses one whose token does not stand, and one
# that would not extend the evidence, so this TSA's certificate starts a
# minute after pki35's and the token is of two minutes later).
KHO_NOW=2035-06-01T00:01:00Z "$KHO" pki init other >/dev/null || echo "other pki failed"
cat both.pem other/trust.pem > withother.pem
KHO_NOW=2035-06-01T00:02:00Z "$KHO" renew --trust withother.pem --crl pki/crls.pem \
	--tsa-key other/tsa.key --tsa-cert other/tsa.pem -o a-untrusted.asice a2.asice >/dev/null ||
	echo "renew by an untrusted TSA failed"
st=$(http POST /v1/packages "$OFF" --data-binary @a-untrusted.asice)
check_status "a renewal stamped by a TSA the archive does not trust: 409" 409 "$st"
check_grep "... its archive timestamp renews nothing" 'not a renewal of it: its archive timestamp META-INF/timestamp002.tst does not stand as a proof of existence now' body.out
check_grep "... saying why, as the verifier does (not a guess)" 'does not stand as a proof of existence now: the TSA certificate does not chain to a trust anchor' body.out
st=$(curl -s -o old.json -w '%{http_code}' --data-binary @a.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify")
check "the public page still links the package as first archived to its result, with its status" \
	test "$(jq -r '"\(.archive.archived) \(.archive.status)"' old.json)" = "true suspended"
st=$(http GET "/v1/audit?after=0&limit=1000" "$AUD")
check "the renewal is audited" \
	test "$(jq --arg i "$IDA2" '[.events[] | select(.action == "renew" and .object == $i)] | length' body.out)" = 1
st=$(http GET /v1/packages/$IDA2 "$OFF")
check_status "the renewed package is retrieved" 200 "$st"
stop_daemon
unset KHO_NOW
check_exit "fsck is clean" 0 "$KHO" fsck --data data --config kho.json

# ---- in 2035: the daemon renews on its own what is due ----
# A third package, C, sealed now and never renewed by hand: the daemon of
# 2035 (its TSA that of 2035, renew_margin_days 730: the 2026 TSA
# certificate ends within them) renews it in its fixity run.
make_record "$CT" c.xml 0303
C=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' c.xml)
seal_pkg c.xml c.asice >/dev/null || echo "seal c failed"
IDC=$(sha256sum c.asice | cut -d' ' -f1)
start_daemon data --config kho.json
st=$(http POST /v1/packages "$OFF" --data-binary @c.asice); check_status "ingest c" 201 "$st"
stop_daemon
jq '.tsa = {"key": "pki35/tsa.key", "cert": "pki35/tsa.pem"} | .fixity_interval = 1 | .renew_margin_days = 730' kho.json > kho35.json
export KHO_NOW=2035-06-01T00:00:00Z
# First with the TSA of 2026, whose certificate ends within the margin
# itself: renewing with it would not last (and would repeat on every run).
jq '.fixity_interval = 1 | .renew_margin_days = 730' kho.json > kho35old.json
start_daemon data --config kho35old.json
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
check_grep "2035, a TSA ending within the margin: nothing renewed, an alert saying why" \
	'fixity: .* 0 renewed, 2 renewals failed; first: .*configure a TSA valid longer' serve.log
check "... no renewal audited" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'renew' AND actor = 'daemon'")" = 0
# The same TSA reached by URL (OpenSSL's TSA behind HTTP): its certificate's
# end is only learnt from its tokens. The first renewal is refused before
# it is stored (its evidence would end as soon: it was stored, and again on
# every fixity run, found by review); the next runs ask it no more.
tsa_http pki/tsa.pem pki/tsa.key
jq --arg u "$TSAURL" '.tsa = {"url": $u} | .fixity_interval = 1 | .renew_margin_days = 730' kho.json > kho35url.json
files0=$(find data/store -type f | wc -l)
: > serve.log
start_daemon data --config kho35url.json
for i in $(seq 150); do [ "$(grep -c 'fixity: ' serve.log)" -ge 2 ] && break; sleep 0.2; done
stop_daemon
kill $TSAPID 2>/dev/null; wait $TSAPID 2>/dev/null
check_grep "2035, the old TSA by URL: the first renewal refused before it is stored" \
	"fixity: .* 0 renewed, [12] renewals failed; first: .*the renewal's evidence would end on .* within renew_margin_days" serve.log
check_grep "... then the daemon knows that TSA and does not ask it again" \
	"fixity: .* 0 renewed, 2 renewals failed; first: .*the configured TSA's certificate chain ends on" serve.log
check "... nothing renewed, nothing stored" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM packages WHERE state = 'renewed' AND result_code <> '$A'")/$(find data/store -type f | wc -l)" = "0/$files0"
# A TSA by URL whose tokens the archive does not accept (the 2035 TSA's
# certificate behind OpenSSL's TSA, which stamps with the real clock: its
# tokens are dated before that certificate's validity): the first due
# package's renewal is refused and names that cause (found by review: it
# guessed "a TSA the archive does not trust?"), and the run asks no more (one
# request and one alert a run, not one per due package).
tsa_http pki35/tsa.pem pki35/tsa.key
jq --arg u "$TSAURL" '.tsa = {"url": $u} | .fixity_interval = 1 | .renew_margin_days = 730' kho.json > kho35bad.json
: > serve.log
start_daemon data --config kho35bad.json
for i in $(seq 150); do [ "$(grep -c 'fixity: ' serve.log)" -ge 2 ] && break; sleep 0.2; done
stop_daemon
kill $TSAPID 2>/dev/null; wait $TSAPID 2>/dev/null
check_grep "2035, a TSA the archive does not accept: refused, saying so, once a run (2 packages due)" \
	"fixity: .* 0 renewed, 1 renewals failed; first: .*the TSA's token is not accepted here" serve.log
check_grep "... naming the verifier's reason" \
	"fixity: .*the TSA's token is not accepted here \(META-INF/timestamp00[12].tst: its time .* is outside the TSA certificate's validity" serve.log
check_nogrep "... never counted twice in a run" "fixity: .* 2 renewals failed" serve.log
# The 2035 TSA built in, but its certificate revoked by its CA (key
# compromise) before its tokens: the alert gives the verifier's reason
# (found by review: "a TSA the archive does not trust?").
mkdir -p rca && : > rca/index.txt && echo 01 > rca/crlnumber
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=rca/index.txt\ncrlnumber=rca/crlnumber\ndefault_md=sha256\ndefault_crl_days=7000\n' > rca/ca.cnf
openssl ca -config rca/ca.cnf -keyfile pki35/ca.key -cert pki35/ca.pem -revoke pki35/tsa.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config rca/ca.cnf -keyfile pki35/ca.key -cert pki35/ca.pem -gencrl -out tsa35-kc.crl >/dev/null 2>&1
jq '.crls = ["tsa35-kc.crl"]' kho35.json > kho35rev.json
: > serve.log
start_daemon data --config kho35rev.json
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
check_grep "2035, a revoked TSA: refused, the alert naming the revocation" \
	"fixity: .* 0 renewed, 1 renewals failed; first: .*the TSA's token is not accepted here \(META-INF/timestamp001.tst: the TSA certificate .* was revoked on .* \(keyCompromise\)" serve.log
: > serve.log
: > serve.log
start_daemon data --config kho35.json
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done   # the first run
stop_daemon
unset KHO_NOW
check "2035: the daemon renewed B and C, and A's renewal of 2035 was not due again" \
	test "$(sqlite3 data/catalog.db "SELECT group_concat(result_code, ' ') FROM (SELECT result_code FROM packages WHERE state = 'renewed' ORDER BY result_code)")" = "$A $B $C"
check "... each with one current package" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM packages WHERE state = 'current'")" = 3
check_grep "... and said so in its fixity line" 'fixity: [0-9]+ packages: .* 2 renewed, 0 renewals failed' serve.log
check "... audited as renewals by the daemon" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'renew' AND actor = 'daemon'")" = 2

# ---- in 2040: the 2026 TSA certificate has expired ----
export KHO_NOW=2040-01-01T00:00:00Z
start_daemon data --config kho.json
st=$(curl -s -D h.out -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$IDA2")
check_status "2040: the package renewed by hand is re-verified and served" 200 "$st"
check_grep "... TOTAL-PASSED" '^Kho-Indication: TOTAL-PASSED' <(tr -d '\r' < h.out)
IDC2=$(sqlite3 data/catalog.db "SELECT package_id FROM results WHERE result_code = '$C'")
st=$(http GET /v1/packages/$IDC2 "$OFF")
check_status "2040: the package the daemon renewed is served" 200 "$st"
st=$(http GET /v1/packages/$IDC "$OFF")
check_status "2040: C's package as first archived, never renewed itself, no longer verifies (409)" 409 "$st"
check_grep "... OUT_OF_BOUNDS_NO_POE" 'OUT_OF_BOUNDS_NO_POE' body.out
check "... the answer names the result's current package" test "$(jq -r .renewed_by body.out)" = "$IDC2"
check "... and raises no alert: the old package's evidence was expected to lapse" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'alert' AND status = 409 AND object = '$IDC'")" = 0
# A citizen holding the package as first issued (its timestamps expired):
# the public page answers with the archive's renewal, which holds every byte
# of it (found by review, 2026-12-08: "cannot be confirmed" beside
# "archived, valid today").
st=$(curl -s -o pub.json -w '%{http_code}' --data-binary @a.asice "$URL/v1/verify")
check "2040: POST /v1/verify of the original: answered from its renewal, the seal valid" \
	test "$st $(jq -r '"\(.uploaded_earlier_copy) \(.answer) \(.archive.status)"' pub.json)" = "200 true valid suspended"
st=$(curl -s -o pub.html -w '%{http_code}' -F file=@a.asice "$URL/verify?lang=en")
check_grep "... the page says the file is an earlier copy, renewed since" 'data-earlier-copy="yes">The file you sent is an earlier copy' pub.html
check_grep "... and gives the renewal's verdict" 'data-answer="valid"' pub.html
st=$(http GET "/v1/lookup?subject=$PN&purpose=$AG-400101-0001" "$OFF")
check "2040: the lookup finds the three results, none destroyed" \
	test "$(jq --arg a "$A" --arg b "$B" --arg c "$C" '[.results[] | select(.result_code == $a or .result_code == $b or .result_code == $c)] | length' body.out)" = 3
stop_daemon
check_exit "2040: fsck is clean (the renewed packages are checked for integrity only)" 0 \
	"$KHO" fsck --data data --config kho.json
unset KHO_NOW
check "the audit chain verifies" "$KHO" audit verify --data data
finish
