# t0307-serve-renew-races.sh: the daemon's own renewals (archive timestamps,
# renew_margin_days) against what else changes the record meanwhile. A
# renewal is only ever a renewal of the package it read: a record destroyed
# by retention while its renewal waits for the TSA stays destroyed (the
# renewal was stored as a new valid result from the destroyed record's
# bytes: found by review), leaves no key behind and raises no alert; a destruction
# certificate (a package of no result) is not turned into a result.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
# A PKI of 2017: its TSA certificate (10 years) ends in 2027, within the
# default renew_margin_days (730) of today, so the package is due now.
KHO_NOW=2017-06-01T00:00:00Z "$KHO" pki init pki17 >/dev/null || { echo "pki17 failed"; exit 1; }
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
A=$AG-180314-0101-KQ1
sed -E -e "s/-250314-[0-9]{4}/-180314-0101/g" -e "s/2025-03-14/2018-03-14/g" "$CT" > a.xml
sed -i "s|</validFrom>|</validFrom>\n  <validUntil>2018-09-30</validUntil>|" a.xml
printf '%%PDF-1.4\n%% ban sao 2018\n' > ketqua.pdf
KHO_NOW=2018-03-20T02:00:00Z "$KHO" seal --key pki17/signer.key --cert pki17/signer.pem \
	--tsa-key pki17/tsa.key --tsa-cert pki17/tsa.pem --crl pki17/crls.pem --record a.xml \
	-o a.asice ketqua.pdf || echo "seal a failed"
IDA=$(sha256sum a.asice | cut -d' ' -f1)
archive_config kho.json
jq '.trust += ["pki17/trust.pem"]' kho.json > k.json && mv k.json kho.json
OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
start_daemon data --config kho.json
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
[ "$st" = 201 ] || echo "schedule: $st"
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice); check_status "a copy of 2018 is archived" 201 "$st"
st=$(http POST /v1/results/$A/events "$RM1" --data '{"kind":"dossier-closed","date":"2018-03-14"}')
[ "$st" = 201 ] || echo "event: $st"
stop_daemon

# ---- the fixity run's renewal waits for the TSA; the destruction runs ----
touch hold
tsa_http pki/tsa.pem pki/tsa.key hold
jq --arg u "$TSAURL" '.tsa = {"url": $u} | .fixity_interval = 2' kho.json > kurl.json
: > serve.log
start_daemon data --config kurl.json
for i in $(seq 200); do [ -e hold.held ] && break; sleep 0.05; done
check "the fixity run asks the TSA to renew the copy (due: its TSA ends in 2027)" test -e hold.held
st=$(http POST /v1/disposition/batches "$RM1" --data '{}'); B=$(jq -r .id body.out)
check_status "meanwhile a destruction batch is proposed" 201 "$st"
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
st=$(http POST /v1/disposition/batches/$B/approve "$RM2" --data "{\"decision\":\"45/QĐ-SNV\",\"decision_date\":\"$TODAY\"}")
check_status "... approved" 200 "$st"
st=$(http POST /v1/disposition/batches/$B/execute "$RM2" --data '{}')
check_status "... and executed: the copy is destroyed" 200 "$st"
rm -f hold
for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
stop_daemon
kill $TSAPID 2>/dev/null; wait $TSAPID 2>/dev/null
check_grep "the renewal that waited is dropped: nothing renewed, and no alert (nothing went wrong)" \
	"fixity: 1 packages: 1 ok, .* 0 renewed, 0 renewals failed$" serve.log
check "... the record stays destroyed: no result row, no package but the certificate" \
	test "$(sqlite3 data/catalog.db "SELECT (SELECT count(*) FROM results) || '/' || (SELECT group_concat(result_code) FROM packages)")" = "0/destruction-certificate-batch-$B"
check "... nothing archived by the daemon" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE actor = 'daemon' AND action IN ('ingest', 'renew')")" = 0
check "... and no key or store file of the copy's content left" \
	test "$(find data/store -type f | wc -l)/$(find data.keys -name '*.key' | wc -l)" = "1/1"
start_daemon data --config kho.json
st=$(http GET /v1/results/$A "$OFF"); check_status "GET the result: 410, destroyed" 410 "$st"
st=$(http GET /v1/disposition/batches/$B/certificate "$RM1"); cp body.out cert0.asice
check_status "the destruction certificate is served" 200 "$st"
stop_daemon
check "... it is the certificate stored at execution" \
	test "$(sha256sum cert0.asice | cut -d' ' -f1)" = "$(sqlite3 data/catalog.db "SELECT package_id FROM ret_certificates WHERE batch = $B")"

# ---- the destruction certificate comes due (2035, a TSA of 2035) ----
# A permanent record: the fixity run renews it as it renews a result's
# package (before, it was skipped and lapsed with its TSA's certificate,
# 2036 here), as a certificate, never as a result.
KHO_NOW=2035-06-01T00:00:00Z "$KHO" pki init pki35 >/dev/null || echo "pki35 failed"
jq '.trust += ["pki35/trust.pem"] | .tsa = {"key": "pki35/tsa.key", "cert": "pki35/tsa.pem"} | .fixity_interval = 1' kho.json > k35.json
export KHO_NOW=2035-06-01T00:00:00Z
: > serve.log
start_daemon data --config k35.json
for i in $(seq 150); do [ "$(grep -c 'fixity: ' serve.log)" -ge 2 ] && break; sleep 0.2; done
st=$(http GET /v1/disposition/batches/$B/certificate "$RM1"); cp body.out cert1.asice
check_status "2035: the certificate is served" 200 "$st"
st=$(http GET /v1/disposition/batches/$B "$RM1"); cp body.out batch.json
stop_daemon
unset KHO_NOW
check_grep "2035: the first fixity run renews the certificate" \
	'fixity: 1 packages: 1 ok, .* 1 renewed, 0 renewals failed$' serve.log
check_grep "... the next one finds nothing due (its evidence now ends in 2045)" \
	'fixity: 2 packages: 2 ok, .* 0 renewed, 0 renewals failed$' serve.log
check "... as a certificate: no result row, two packages of the certificate, the first renewed into the second" \
	test "$(sqlite3 data/catalog.db "SELECT (SELECT count(*) FROM results) || ':' || group_concat(result_code || '/' || state, ',') FROM (SELECT * FROM packages ORDER BY state DESC)")" = "0:destruction-certificate-batch-$B/renewed,destruction-certificate-batch-$B/current"
ID1=$(sha256sum cert1.asice | cut -d' ' -f1)
check "... the certificate served is the renewal (catalogued with its batch)" \
	test "$(sqlite3 data/catalog.db "SELECT batch || ':' || package_id || ':' || renews FROM ret_certificate_renewals")" = "$B:$ID1:$(sha256sum cert0.asice | cut -d' ' -f1)"
check "... the batch lists it" test "$(jq -r '.certificate_renewals[0].sha256' batch.json)" = "$ID1"
check "... audited: renew by the daemon" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE actor = 'daemon' AND action = 'renew' AND object = 'batch-$B'")" = 1
check "... and the renewal holds the certificate's document unchanged" \
	cmp <(unzip -p cert0.asice destruction-certificate.xml) <(unzip -p cert1.asice destruction-certificate.xml)
check_exit "in 2040 the certificate as executed no longer verifies (its TSA ended in 2036)" 2 \
	"$KHO" verify --trust pki/trust.pem --at 2040-01-01T00:00:00Z cert0.asice
check_exit "... its renewal does" 0 \
	"$KHO" verify --trust pki/trust.pem --trust pki35/trust.pem --at 2040-01-01T00:00:00Z cert1.asice
AUD=$(token auditor1 auditor)
ALERTS=$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'alert'")
export KHO_NOW=2040-01-01T00:00:00Z
start_daemon data --config k35.json
st=$(http GET /v1/packages/$(sha256sum cert0.asice | cut -d' ' -f1) "$AUD")
check_status "2040: the certificate's first package is refused (its evidence lapsed)" 409 "$st"
check "... naming the renewal that carries it on" test "$(jq -r .renewed_by body.out)" = "$ID1"
st=$(http GET /v1/packages/$ID1 "$AUD"); check_status "... which is served" 200 "$st"
stop_daemon
unset KHO_NOW
check "... and no alert: a renewed package lapses by design" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'alert'")" = "$ALERTS"
check_exit "fsck is clean" 0 env KHO_NOW=2035-06-01T00:00:00Z "$KHO" fsck --data data --config k35.json
check "the audit chain verifies" "$KHO" audit verify --data data
finish
