# t0410-retention-daemon.sh: issue 4 through the real daemon, and issue 3's
# crypto-shredding with the key store outside the data directory: a
# schedule published with PUT /v1/schedules; records classified at ingest;
# the proposer of a disposition batch cannot approve it (403); an approved
# batch executed through the API destroys the package: GET of the result
# answers 410 with the tombstone statement; a copy of DATA taken before the
# destruction, served with the live key store, cannot decrypt it (while the
# other package still reads back), a copy of DATA with no key store decrypts
# nothing and fsck names the missing keys; the audit chain verifies and
# holds the refusals (403 as "denied").
# The clock is injected with KHO_NOW for the disposition part.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
code() { echo "$AG-250314-$1-KQ1"; }
make_record "$CT" a.xml 0101
sed -i "s|</validFrom>|</validFrom>\n  <validUntil>2025-09-30</validUntil>|" a.xml   # destroyable
make_record "$CT" b.xml 0102                                                       # stays valid
seal_pkg a.xml a.asice >/dev/null || echo "seal a failed"
seal_pkg b.xml b.asice >/dev/null || echo "seal b failed"
IDA=$(sha256sum a.asice | cut -d' ' -f1)
IDB=$(sha256sum b.asice | cut -d' ' -f1)
archive_config kho.json

OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
AUD=$(token audit1 auditor)
start_daemon data --config kho.json

# ---- schedule and classification at ingest ----
st=$(http PUT /v1/schedules "$OFF" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
check_status "an officer cannot publish a schedule" 403 "$st"
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
check_status "a records manager publishes the schedule" 201 "$st"
check_grep "... answered with its hash" '"sha256": ?"[0-9a-f]{64}"' body.out
st=$(http PUT /v1/schedules "" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
check_status "no token: 401" 401 "$st"
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice); check_status "ingest a" 201 "$st"
st=$(http POST /v1/packages "$OFF" --data-binary @b.asice); check_status "ingest b" 201 "$st"
check "the package key is in the key store, outside DATA" test -s data.keys/${IDA:0:2}/$IDA.key
check "... wrapped under the master key (RFC 3394: 40 bytes, not the raw 32)" \
	test "$(stat -c %s data.keys/${IDA:0:2}/$IDA.key)" -eq 40
check "... and nothing in the catalog" sh -c "[ \"\$(sqlite3 data/catalog.db 'SELECT count(*) FROM packages WHERE wrapped_key IS NOT NULL')\" = 0 ]"
check "the records were classified at ingest" sh -c "[ \"\$(sqlite3 data/catalog.db \"SELECT count(*) FROM ret_class WHERE class_code = 'CT.01'\")\" = 2 ]"
st=$(http POST /v1/results/$(code 0101)/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
check_status "the dossier-closed event is recorded" 201 "$st"
[ "$st" = 201 ] || st=$(http POST /v1/results/$(code 0101)/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
st=$(http POST /v1/results/$(code 0102)/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
stop_daemon

# ---- disposition, six years later ----
export KHO_NOW=2031-01-02T09:00:00Z
renewed_config kho.json kho31.json   # the archive's certificate renewed by 2031
start_daemon data --config kho31.json
check_grep "a daemon on the simulated clock says so at start" \
	'warning: KHO_NOW=2031-01-02T09:00:00Z replaces the clock' serve.log
st=$(http POST /v1/disposition/batches "$OFF" --data '{}')
check_status "an officer cannot propose a batch" 403 "$st"
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "rm-lan proposes a batch" 201 "$st"
B=$(tr -d ' \n' < body.out | sed -n 's/^{"id":\([0-9]*\).*/\1/p; s/.*"batch":\([0-9]*\).*/\1/p' | head -n1)
[ -n "$B" ] || B=$(tr -d ' \n' < body.out | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -n1)
check_grep "the batch lists the expired record" "$(code 0101)" body.out
check_nogrep "... not the still-valid one" "$(code 0102)" body.out
st=$(http POST /v1/disposition/batches/$B/approve "$RM1" --data '{"decision":"45/QĐ-SNV","decision_date":"2031-01-02"}')
check_status "the proposer cannot approve (same token)" 403 "$st"
st=$(http POST /v1/disposition/batches/$B/approve "$RM2" --data '{"decision":"45/QĐ-SNV","decision_date":"2031-01-02"}')
check_status "another records manager approves" 200 "$st"
# With the first PKI's certificate, expired by 2031: refused, nothing destroyed.
stop_daemon
start_daemon data --config kho.json
st=$(http POST /v1/disposition/batches/$B/execute "$RM2" --data '{}')
check_status "an expired archive certificate refuses the execution" 409 "$st"
check_grep "... naming the certificate and its expiry" 'signing certificate .*CN = UBND[^"]*\\" expired on' body.out
check "... and nothing is destroyed" test -e data.keys/${IDA:0:2}/$IDA.key
st=$(http GET /v1/results/$(code 0101) "$OFF")
check_status "... the record still answers 200" 200 "$st"
stop_daemon
start_daemon data --config kho31.json
# A backup (docs/operations.md) holds DATA/backup.lock from its catalog copy
# to its key-store copy: a destruction in between was lost by a restore, its
# keys gone (found by review, 2026-12-07). Refused meanwhile, nothing done.
exec {BKP}> data/backup.lock                # the test holds it, as flock(1) would
flock -x "$BKP"
st=$(http POST /v1/disposition/batches/$B/execute "$RM2" --data '{}')
check_status "execution while a backup holds the lock: 503" 503 "$st"
check_grep "... saying a backup is running and nothing was destroyed" 'a backup is running.*nothing was destroyed' body.out
check "... the key is still there" test -e data.keys/${IDA:0:2}/$IDA.key
exec {BKP}>&-                               # the backup is done
cp -a data before.data                      # a copy of DATA taken before the destruction
st=$(http POST /v1/disposition/batches/$B/execute "$RM2" --data '{}')
check_status "the batch is executed" 200 "$st"
check_grep "... one record destroyed" '"destroyed": ?1' body.out
# the running daemon's WAL kept the destroyed rows' old pages (found by
# review, 2026-12-08): checkpointed and truncated after the execution
check_grep "... and the WAL truncated after it" '"wal_truncated": ?true' body.out
check "the key file is gone from the key store" test ! -e data.keys/${IDA:0:2}/$IDA.key
st=$(http GET /v1/results/$(code 0101) "$OFF")
check_status "the destroyed result answers 410" 410 "$st"
check_grep "... with the tombstone statement" 'destroyed on 2031-01-02.*45/QĐ-SNV|45/QĐ-SNV.*destroyed' body.out
check_nogrep "... and no content" 'number_symbol|subject' body.out
st=$(http POST /v1/results/$(code 0101)/status "$RM2" --data '{"status":"revoked","decision":"1/QĐ"}')
check_status "a status change of the destroyed result answers 410" 410 "$st"
st=$(http GET /v1/results/$(code 0101)/tombstone "$AUD")
check_status "the tombstone endpoint answers 410" 410 "$st"
st=$(http GET /v1/results/$(code 0102) "$OFF")
check_status "the other result is untouched" 200 "$st"
# The destruction certificate is a package of the archive, sealed by its
# agency: its bytes sent again by an officer of that agency are already
# stored (found by review, 2026-12-08: 500, "no such result").
st=$(http GET /v1/disposition/batches/$B "$RM2")
CERT=$(jq -r .certificate_sha256 body.out)
st=$(http GET /v1/packages/$CERT "$AUD"); cp body.out cert.asice
check_status "the destruction certificate is served" 200 "$st"
OFF8=$(token archivist officer 000.00.08.H55)
st=$(http POST /v1/packages "$OFF8" --data-binary @cert.asice)
check "... and sent again: 200, already stored" \
	test "$st $(jq -r .status body.out)" = "200 already stored"
stop_daemon
unset KHO_NOW

# ---- crypto-shredding: old copies of DATA ----
start_daemon before.data --keys data.keys --trust pki/trust.pem
st=$(http GET /v1/packages/$IDA "$OFF")
check_status "a copy of DATA from before, with the live key store: destroyed package unreadable" 409 "$st"
check_grep "... a key gone with no destruction in this catalog: not called destroyed (found by review)" \
	'"error":"the package.s key is missing from the key store, and no destruction of it was recorded' body.out
st=$(http GET /v1/packages/$IDB "$OFF"); cp body.out b.out
check_status "... while the kept package still reads back" 200 "$st"
check "... byte for byte" cmp b.out b.asice
stop_daemon
check_exit "fsck of the old copy names the missing key" 1 "$KHO" fsck --data before.data --keys data.keys --no-verify
check_grep "... in its summary" 'keys: +1 missing' check.out
cp -a before.data alone.data
mkdir -m 700 empty.keys
rc=0; timeout 20 "$KHO" serve --data alone.data --keys empty.keys --trust pki/trust.pem \
	--listen 127.0.0.1:0 2>alone.log || rc=$?
check "a copy of DATA alone, with an empty key store: the daemon does not start (exit $rc)" \
	test "$rc" -ne 0 -a "$rc" -ne 124
check_grep "... saying its key store is missing or empty" 'empty.keys: no such key store \(missing, or an empty directory' alone.log
check "the live archive is clean for fsck" "$KHO" fsck --data data --no-verify
# the destroyed package's file brought back from an older copy of the store:
# the start removes it as a destroyed package's, not as "never committed",
# and raises no alert (found by review: kept, with an alert at every start)
cp -a data rs; cp -a data.keys rs.keys
cp before.data/store/${IDA:0:2}/$IDA.enc rs/store/${IDA:0:2}/
start_daemon rs --trust pki/trust.pem
stop_daemon
check "a destroyed package's store file put back is removed at start" test ! -e rs/store/${IDA:0:2}/$IDA.enc
"$KHO" audit list --data rs --limit 100000 > rs-audit.out
check_grep "... audited as a destroyed package's" "\"action\":\"recover\",\"object\":\"$IDA\".*destroyed package" rs-audit.out
check_nogrep "... with no alert" "\"action\":\"alert\",\"object\":\"$IDA\"" rs-audit.out
check "the audit chain verifies" "$KHO" audit verify --data data
"$KHO" audit list --data data --limit 100000 > audit.out
check_grep "the officer's PUT /v1/schedules (403) is audited as denied" \
	'"actor":"counter1","action":"denied","object":"/v1/schedules","status":403,"detail":"PUT: publishing a schedule needs a records_manager"' audit.out
check_grep "... and the proposer's own approval (403) too" \
	"\"actor\":\"rm-lan\",\"action\":\"denied\",\"object\":\"/v1/disposition/batches/$B/approve\",\"status\":403" audit.out
finish
