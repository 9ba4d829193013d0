# t0420-destroyed-everywhere.sh: issue 4 item 9 through the real daemon:
# after a destruction, every way of asking about the record answers with
# the tombstone statement (destroyed on D under decision N), never with
# content: GET /v1/packages/{id} and its report (410), the once-only
# lookup (an entry with status "destroyed", not reusable, under the
# lookup's filters), the QR path with the record's key (Vietnamese and
# English; a wrong key still answers exactly like an unknown code), an
# upload of the exact destroyed package (page and POST /v1/verify). Then
# the migrations: a tombstone table of an older release gets its new
# columns and keeps its append-only triggers; a destruction certificate
# kept as a plain file by an older release is moved into the store, and
# one whose file was altered is refused and reported by fsck.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
PN=051087012345                       # the subject of the sample records
code() { echo "$AG-250314-$1-KQ1"; }
make_record "$CT" a.xml 0101
sed -i "s|</validFrom>|</validFrom>\n  <validUntil>2025-09-30</validUntil>|" a.xml   # destroyable
make_record "$CT" b.xml 0102                                                       # stays valid
printf '%%PDF-1.4\n%% ban sao a\n' > ketqua-a.pdf   # a file of a's own (b holds ketqua.pdf)
seal_pkg a.xml a.asice ketqua-a.pdf >/dev/null || echo "seal a failed"
seal_pkg b.xml b.asice >/dev/null || echo "seal b failed"
IDA=$(sha256sum a.asice | cut -d' ' -f1)
A=$(code 0101); B=$(code 0102)
archive_config kho.json
jq '.verify_rate_per_minute = 0' kho.json > k.json && mv k.json kho.json   # many public uploads below
OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
PURPOSE=000.31.20.H55-251120-0001   # received before any clock the test sets (a later one is refused)
lookup() { st=$(http GET "/v1/lookup?subject=$PN&purpose=$PURPOSE$1" "$OFF"); }

start_daemon data --config kho.json
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
[ "$st" = 201 ] || echo "schedule: $st"
for f in a b; do st=$(http POST /v1/packages "$OFF" --data-binary @$f.asice); [ "$st" = 201 ] || echo "ingest $f: $st"; done
st=$(http POST /v1/results/$A/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
"$KHO" qr --data data --result "$A" -o qr.png --base-url http://kho.test >/dev/null 2>&1
QR=$(zbarimg -q --raw qr.png 2>/dev/null); QR=${QR#http://kho.test}
check "the QR code of the record to destroy is printed" test -n "$QR"
lookup ""; cp body.out lk0.json
check "before: the lookup finds both records, none destroyed" \
	sh -c "[ \"\$(jq -r '[.results[].result_code] | sort | join(\" \")' lk0.json)\" = '$A $B' ] && [ \"\$(jq '[.results[] | select(.status == \"destroyed\")] | length' lk0.json)\" = 0 ]"
stop_daemon

# ---- the destruction, six years later ----
export KHO_NOW=2031-01-02T09:00:00Z
renewed_config kho.json kho31.json   # the archive's certificate renewed by 2031
start_daemon data --config kho31.json
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
BATCH=$(jq -r .id body.out)
st=$(http POST /v1/disposition/batches/$BATCH/approve "$RM2" --data '{"decision":"45/QĐ-SNV","decision_date":"2031-01-02"}')
# Renewed (archive timestamp added) between approval and execution: the
# same signed content, so the approved destruction stands (a renewal used to
# drop the item as "its package changed since the proposal": found by review).
cat pki/trust.pem pki31/trust.pem > both31.pem
"$KHO" renew --trust both31.pem --crl pki/crls.pem --tsa-key pki31/tsa.key --tsa-cert pki31/tsa.pem \
	-o a-renewed.asice a.asice >/dev/null || echo "renew a failed"
IDA2=$(sha256sum a-renewed.asice | cut -d' ' -f1)
st=$(http POST /v1/packages "$OFF" --data-binary @a-renewed.asice)
check_status "the record to destroy is renewed after the approval" 201 "$st"
st=$(http POST /v1/disposition/batches/$BATCH/execute "$RM2" --data '{}')
check_status "the batch destroying $A is executed" 200 "$st"
check "... one record destroyed" test "$(jq .destroyed body.out)" = 1

# ---- GET /v1/packages/{id} ----
st=$(http GET /v1/packages/$IDA "$OFF")
check_status "the destroyed package answers 410 (it was 404)" 410 "$st"
check_grep "... with the statement: destroyed on, under decision" "destroyed on 2031-01-02 under decision 45/QĐ-SNV" body.out
check "... and the tombstone names the result" test "$(jq -r .tombstone.result_code body.out)" = "$A"
check_nogrep "... no content" "number_symbol|$PN|Việt|PK" body.out
st=$(http GET /v1/packages/$IDA/report "$OFF")
check_status "its report answers 410 too" 410 "$st"
st=$(http GET /v1/packages/$IDA2 "$OFF")
check_status "its renewed package answers 410 too" 410 "$st"
check "... both package files are gone from the store" \
	sh -c "! ls data/store/*/* 2>/dev/null | grep -q -e $IDA -e $IDA2"
st=$(http GET /v1/packages/$(printf '%064d' 7) "$OFF")
check_status "an unknown package id is still 404" 404 "$st"

# ---- archiving the destroyed record again (found by review: it came back
# as a valid, reusable result, out of retention) ----
NF=$(find data/store -type f | wc -l)
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice)
check_status "the destroyed package uploaded again: 410" 410 "$st"
check_grep "... with the statement" "Result $A was destroyed on 2031-01-02 under decision 45/QĐ-SNV.*not archived again" body.out
st=$(http POST /v1/packages "$OFF" --data-binary @a-renewed.asice)
check_status "... its renewal too" 410 "$st"
check "... nothing stored" test "$(find data/store -type f | wc -l)" = "$NF"
st=$(http GET /v1/results/$A "$OFF"); check_status "... the record is still destroyed" 410 "$st"
check "... the refusals are audited" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'refused' AND status = 410")" = 2

# ---- the once-only lookup ----
lookup ""; cp body.out lk1.json
check_status "the lookup of the subject answers" 200 "$st"
check "the destroyed record is listed as destroyed" \
	test "$(jq -r --arg c "$A" '.results[] | select(.result_code == $c) | .status' lk1.json)" = destroyed
check "... not reusable" \
	test "$(jq -r --arg c "$A" '.results[] | select(.result_code == $c) | .reusable' lk1.json)" = false
check "... with the destruction date and decision" \
	test "$(jq -r --arg c "$A" '.results[] | select(.result_code == $c) | "\(.destroyed_on) \(.decision)"' lk1.json)" = "2031-01-02 45/QĐ-SNV"
check_grep "... and the statement" "\"statement\":\"Result $A was destroyed on 2031-01-02 under decision 45/QĐ-SNV" lk1.json
check "... and no content (no title, number, subject, validity)" \
	test "$(jq -r --arg c "$A" '.results[] | select(.result_code == $c) | [has("title"), has("number_symbol"), has("subject_kind"), has("valid_until")] | any' lk1.json)" = false
check "the live record is still there and reusable" \
	test "$(jq -r --arg c "$B" '.results[] | select(.result_code == $c) | .reusable' lk1.json)" = true
check "the answer counts the destroyed entries" test "$(jq .destroyed lk1.json)" = 1
check_nogrep "the answer never echoes the personal number" "$PN" lk1.json
n_destroyed() { jq '[.results[] | select(.status == "destroyed")] | length' body.out; }
lookup "&procedure=2.000815"; check "the procedure filter keeps it" test "$(n_destroyed)" = 1
lookup "&procedure=1.001193"; check "another procedure leaves it out" test "$(n_destroyed)" = 0
lookup "&type=certified-copy"; check "the type filter keeps it" test "$(n_destroyed)" = 1
lookup "&type=birth-registration"; check "another type leaves it out" test "$(n_destroyed)" = 0
lookup "&agency=$AG"; check "the agency filter keeps it" test "$(n_destroyed)" = 1
lookup "&agency=000.00.18.H55"; check "another agency leaves it out" test "$(n_destroyed)" = 0
st=$(http GET "/v1/lookup?subject=079199000001&purpose=$PURPOSE" "$OFF")
check "another subject sees nothing of it" test "$(jq '.results | length' body.out)" = 0

# ---- the QR path ----
st=$(curl -s -o qr-vi.out -w '%{http_code}' "$URL$QR")
check_status "the QR path of the destroyed record answers with its key" 200 "$st"
check_grep "... 'destroyed' as the answer" 'data-answer="destroyed"' qr-vi.out
check_grep "... in Vietnamese: destroyed on D under decision N" "đã được tiêu hủy ngày 02/01/2031 theo quyết định 45/QĐ-SNV" qr-vi.out
check_nogrep "... no content (title, number, subject)" "Bằng tốt nghiệp|1532/2025|$PN|Việt" qr-vi.out
st=$(curl -s -o qr-en.out -w '%{http_code}' "$URL$QR&lang=en")
check_grep "... in English" "was destroyed on 2031-01-02 under decision 45/QĐ-SNV" qr-en.out
WRONG=$(echo "$QR" | sed 's/k=.*/k=AAAAAAAAAAAAAAAAAAAAAA/')
st=$(curl -s -o qr-wrong.out -w '%{http_code}' "$URL$WRONG")
check_status "a wrong key for the destroyed record: 404" 404 "$st"
st=$(curl -s -o qr-unknown.out -w '%{http_code}' "$URL/verify/r/$AG-250314-0999-KQ1?k=AAAAAAAAAAAAAAAAAAAAAA")
check "... byte-identical to an unknown code's answer" cmp qr-wrong.out qr-unknown.out
check_nogrep "... which says nothing of the destruction" "tiêu hủy|45/QĐ" qr-wrong.out

# ---- uploading the exact destroyed package ----
st=$(curl -s -o up.out -w '%{http_code}' -F "file=@a.asice" "$URL/verify")
check_status "the destroyed package uploaded to the page" 200 "$st"
check_grep "... is still a genuine seal" 'data-answer="valid"' up.out
check_grep "... archived as this result and destroyed" 'data-status="destroyed"' up.out
check_grep "... on D under decision N" "Kết quả $A đã được tiêu hủy ngày 02/01/2031 theo quyết định 45/QĐ-SNV" up.out
st=$(curl -s -o api.json -w '%{http_code}' --data-binary @a.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check_status "POST /v1/verify of the destroyed package" 200 "$st"
check "... gives the same status as JSON" test "$(jq -r '.archive.status' api.json)" = destroyed
check "... with the tombstone" test "$(jq -r '"\(.archive.tombstone.result_code) \(.archive.tombstone.destroyed_on) \(.archive.tombstone.decision)"' api.json)" = "$A 2031-01-02 45/QĐ-SNV"
check_nogrep "... and no personal number" "$PN" api.json
# a genuine file of the destroyed record: destroyed, not "may have been
# altered" (found by review)
st=$(curl -s -o upf.out -w '%{http_code}' -F "file=@ketqua-a.pdf" "$URL/verify")
check_status "a file of the destroyed record uploaded to the page" 200 "$st"
check_grep "... is said to be destroyed, with the decision" "Kết quả $A đã được tiêu hủy ngày 02/01/2031 theo quyết định 45/QĐ-SNV" upf.out
check_nogrep "... not that it may have been altered" 'có thể đã bị chỉnh sửa' upf.out
st=$(curl -s -o apif.json -w '%{http_code}' --data-binary @ketqua-a.pdf -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check "... and as JSON" test "$(jq -r '"\(.answer) \(.archive.tombstone.result_code)"' apif.json)" = "destroyed $A"
check_nogrep "... no personal number" "$PN" apif.json
unzip -p a.asice record.xml > a-record.xml
st=$(curl -s -o apir.json -w '%{http_code}' --data-binary @a-record.xml -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check "... but its record.xml is not found (it holds the number)" test "$(jq -r .file_archived apir.json)" = false
st=$(curl -s -o apib.json -w '%{http_code}' --data-binary @b.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify")
check "the kept package is still valid today" test "$(jq -r '.archive.status' apib.json)" = valid
CSHA=$(sqlite3 data/catalog.db "SELECT package_id FROM ret_certificates WHERE batch = $BATCH")
stop_daemon
unset KHO_NOW
check "the audit chain verifies" "$KHO" audit verify --data data

# ---- migration: a tombstone table of an older release ----
mkdir old
sqlite3 old/catalog.db <<'SQL'
CREATE TABLE ret_tombstones( result_code TEXT PRIMARY KEY, dossier_code TEXT NOT NULL, agency TEXT NOT NULL,
 procedure TEXT NOT NULL, package_sha256 TEXT NOT NULL, class_code TEXT NOT NULL,
 schedule_sha256 TEXT NOT NULL, schedule_version TEXT NOT NULL, batch INTEGER NOT NULL,
 decision TEXT NOT NULL, decision_date INTEGER NOT NULL, destroyed_at INTEGER NOT NULL,
 destroyed_by TEXT NOT NULL);
CREATE TRIGGER ret_tombstones_noupdate BEFORE UPDATE ON ret_tombstones BEGIN SELECT RAISE(ABORT, 'tombstones are append-only'); END;
CREATE TRIGGER ret_tombstones_nodelete BEFORE DELETE ON ret_tombstones BEGIN SELECT RAISE(ABORT, 'tombstones are append-only'); END;
INSERT INTO ret_tombstones VALUES('000.31.20.H55-200101-0001-KQ1','000.31.20.H55-200101-0001','000.31.20.H55',
 '2.000815','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','CT.01','bb','2025.1',1,'9/QĐ',20000,1700000000,'rm');
SQL
check "an older data directory opens" "$KHO" retention tombstone 000.31.20.H55-200101-0001-KQ1 --data old
check_grep "... and its tombstone still answers" 'under decision 9/QĐ' check.out
check "the tombstone table got its new columns" \
	sh -c "[ \"\$(sqlite3 old/catalog.db \"SELECT group_concat(name) FROM pragma_table_info('ret_tombstones') WHERE name IN ('result_type','subject_mac','key_hash')\")\" = result_type,subject_mac,key_hash ]"
check_exit "... and is still append-only" 19 sqlite3 old/catalog.db "UPDATE ret_tombstones SET decision = 'x'"
check_exit "... rows cannot be deleted either" 19 sqlite3 old/catalog.db "DELETE FROM ret_tombstones"

# ---- migration: a certificate kept as a plain file by an older release ----
# Made from this archive: the certificate read back, then the state an older
# release left (a file under DATA/retention/certificates, no store copy).
cp -a data legacy; cp -a data.keys legacy.keys
"$KHO" retention batch certificate $BATCH -o cert.asice --data data >/dev/null
mkdir -p legacy/retention/certificates
cp cert.asice legacy/retention/certificates/batch-$BATCH.asice
sqlite3 legacy/catalog.db "DROP TRIGGER ret_certificates_nodelete; DELETE FROM ret_certificates;
  DELETE FROM packages WHERE id = '$CSHA';
  UPDATE ret_batches SET certificate = 'legacy/retention/certificates/batch-$BATCH.asice'"
rm -f legacy/store/${CSHA:0:2}/$CSHA.enc legacy.keys/${CSHA:0:2}/$CSHA.key
cp -a legacy legacy2; cp -a legacy.keys legacy2.keys
check "the older certificate is moved into the store at the next open" \
	"$KHO" retention batch certificate $BATCH -o moved.asice --data legacy --keys legacy.keys
check "... the same bytes" cmp moved.asice cert.asice
check "... stored encrypted under its SHA-256" test -s legacy/store/${CSHA:0:2}/$CSHA.enc
check "... catalogued, with where it came from" \
	sh -c "[ \"\$(sqlite3 legacy/catalog.db \"SELECT package_id || ' ' || (migrated_from IS NOT NULL) FROM ret_certificates WHERE batch = $BATCH\")\" = '$CSHA 1' ]"
check "... and the move is audited" sh -c "sqlite3 legacy/catalog.db \"SELECT count(*) FROM audit WHERE action = 'retention-certificate-store'\" | grep -qx 1"
# (in 2031, as the archive: its certificate was sealed then, by the renewed signer)
check "fsck of the migrated archive is clean" env KHO_NOW=2031-01-03T00:00:00Z "$KHO" fsck --data legacy --keys legacy.keys --trust pki/trust.pem --trust pki31/trust.pem
check_grep "... with the certificate checked" '^certificates: 1 checked, 1 ok' check.out
flip_byte legacy2/retention/certificates/batch-$BATCH.asice 200
check_exit "an altered older certificate is not moved nor served" 5 \
	"$KHO" retention batch certificate $BATCH -o bad.asice --data legacy2 --keys legacy2.keys
check_grep "... saying it does not match its recorded hash" "does not match the certificate's recorded SHA-256" check.err
check_exit "... and fsck reports it" 1 "$KHO" fsck --data legacy2 --keys legacy2.keys --no-verify
check_grep "... as a corrupt certificate not yet in the store" '^certificates: 1 checked, 0 ok, 0 missing, 1 corrupt \(1 not yet moved' check.out
finish
