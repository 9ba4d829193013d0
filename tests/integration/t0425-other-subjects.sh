# t0425-other-subjects.sh: a result about more than one person (a marriage
# registration names both spouses: record.xml's further subject elements)
# through the real daemon. The once-only lookup finds it by each spouse
# and by nobody else; the public verification answers mask every spouse's
# name and show no personal number; a hold on the second subject holds the
# record from destruction until released; after the destruction the second
# subject's lookup still finds the tombstone.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
HT=$ROOT/testdata/records/ht02-marriage-registration.xml
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
PN1=051094007788; NAME1="Phạm Minh Đức"        # the spouses of the HT.02 sample
PN2=051096004321; NAME2="Lê Thị Thu Hương"
PN3=079199000001                                # somebody else
make_record "$HT" ht.xml 0201
HTC=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' ht.xml)
# A certified copy made for two people (the second subject: the spouse),
# destroyable: expired and its dossier closed.
make_record "$CT" ct.xml 0202
CTC=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' ct.xml)
sed -i "s|</validFrom>|</validFrom>\n  <validUntil>2025-09-30</validUntil>|" ct.xml
sed -i "0,/  <\/subject>/s||  </subject>\n  <subject kind=\"citizen\">\n    <id>$PN2</id>\n    <name>$NAME2</name>\n  </subject>|" ct.xml
check "the test record names two subjects" test "$(grep -c '<subject ' ct.xml)" = 2
seal_pkg ht.xml ht.asice >/dev/null || echo "seal ht failed"
seal_pkg ct.xml ct.asice >/dev/null || echo "seal ct failed"
check "kho inspect lists the second spouse, without the number" \
	sh -c "'$KHO' inspect ht.asice > insp.out && grep -q 'subject 2 .*citizen, $NAME2, id (present, not shown)' insp.out && ! grep -q $PN2 insp.out"
check_exit "kho verify passes the two-subject package" 0 "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem --format json ht.asice
check "... and its report lists the second subject, masked" \
	test "$(jq -r '.record.other_subjects[0] | "\(.kind) \(.name) \(.id_masked)"' check.out)" = "citizen $NAME2 051******321"
archive_config kho.json
OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
PURPOSE=000.31.20.H55-251120-0001   # received before any clock the test sets (a later one is refused)
codes() { jq -r '[.results[] | "\(.result_code)=\(.status)"] | sort | join(" ")' body.out; }
lookup() { st=$(http GET "/v1/lookup?subject=$1&purpose=$PURPOSE" "$OFF"); }

start_daemon data --config kho.json
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
[ "$st" = 201 ] || echo "schedule: $st"
for f in ht ct; do st=$(http POST /v1/packages "$OFF" --data-binary @$f.asice); check_status "ingest of $f" 201 "$st"; done
check "the catalog keeps the further subjects as keyed hashes only" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM result_subjects WHERE length(subject_mac) = 32")" = 2
check_nogrep "... never the number" "$PN2" data/catalog.db
lookup $PN1
check "the first spouse finds the marriage registration" test "$(codes)" = "$HTC=valid"
lookup $PN2
check "the second spouse finds it too, and the (expired) copy made for them" \
	test "$(codes)" = "$CTC=expired $HTC=valid"
check "... the marriage registration reusable, the copy not, each as a citizen's" \
	test "$(jq -r '[.results[] | "\(.result_code)=\(.reusable)/\(.subject_kind)"] | sort | join(" ")' body.out)" = "$CTC=false/citizen $HTC=true/citizen"
check_nogrep "... and the answer holds no personal number" "$PN1|$PN2" body.out
lookup $PN3
check "somebody else finds nothing" test "$(jq '.results | length' body.out)" = 0
st=$(http GET "/v1/lookup?subject=$PN2&purpose=$PURPOSE&type=marriage-registration" "$OFF")
check "the type filter applies to a further subject's results" test "$(codes)" = "$HTC=valid"

# ---- public verification: every spouse masked, no number ----
st=$(curl -s -o pub.json -w '%{http_code}' --data-binary @ht.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check_status "POST /v1/verify of the marriage registration" 200 "$st"
check "... genuine" test "$(jq -r .answer pub.json)" = valid
check "... both spouses shown masked" \
	test "$(jq -r '"\(.result.subject_name_masked)|\(.result.other_subject_names_masked | join(","))"' pub.json)" = "Phạm M*** Đ**|Lê T** T** H****"
check_nogrep "... no full name, no personal number" "$NAME1|$NAME2|$PN1|$PN2" pub.json
st=$(curl -s -o page.html -w '%{http_code}' -F "file=@ht.asice" "$URL/verify")
check_status "the verification page" 200 "$st"
check "... lists both spouses as issued to, masked" test "$(grep -c 'Người được cấp' page.html)" = 2
check_grep "... the second one masked" "Lê T\*\* T\*\* H\*\*\*\*" page.html
check_nogrep "... no full name, no personal number anywhere on it" "$NAME1|$NAME2|$PN1|$PN2" page.html
# One name inside another ("Trần Văn An", "Trần Văn Anh"), the longer one
# repeated in the signatory: the longer is masked whole, not cut by the
# shorter one's mask ("Trần V** A*h").
make_record "$HT" nest.xml 0203
sed -i -e "s|$NAME1|Trần Văn An|g" -e "s|$NAME2|Trần Văn Anh|g" \
	-e "s|<signer>.*</signer>|<signer>Trần Văn Anh, Chủ tịch</signer>|" nest.xml
seal_pkg nest.xml nest.asice >/dev/null || echo "seal nest failed"
st=$(curl -s -o nest.json -w '%{http_code}' --data-binary @nest.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check "a name inside another: each masked whole, in the signatory too" \
	test "$(jq -r '"\(.result.subject_name_masked)|\(.result.other_subject_names_masked[0])|\(.result.signatory)"' nest.json)" = "Trần V** A*|Trần V** A**|Trần V** A**, Chủ tịch"
stop_daemon

# ---- a hold on the second subject, then the destruction ----
export KHO_NOW=2031-01-02T09:00:00Z
renewed_config kho.json kho31.json
start_daemon data --config kho31.json
st=$(http POST /v1/results/$CTC/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
check_status "the copy's dossier is closed" 201 "$st"
st=$(http POST /v1/holds "$RM1" --data "{\"scope\":\"subject\",\"target\":\"$PN2\",\"reason\":\"vụ kiện ly hôn\",\"authority\":\"TAND tỉnh\"}")
check_status "a hold on the second subject" 201 "$st"
HOLD=$(jq -r .id body.out)
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "while it holds, nothing is eligible for destruction" 404 "$st"
st=$(http DELETE /v1/holds/$HOLD "$RM1" --data '{"reason":"bản án có hiệu lực"}')
check_status "the hold is released" 200 "$st"
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "then the copy is proposed" 201 "$st"
BATCH=$(jq -r .id body.out)
check "... the copy alone (the marriage registration is permanent)" \
	test "$(jq -r '[.items[].result_code] | join(" ")' body.out)" = "$CTC"
st=$(http POST /v1/disposition/batches/$BATCH/approve "$RM2" --data '{"decision":"46/QĐ-SNV","decision_date":"2031-01-02"}')
st=$(http POST /v1/disposition/batches/$BATCH/execute "$RM2" --data '{}')
check_status "the destruction is executed" 200 "$st"
check "... one record destroyed" test "$(jq .destroyed body.out)" = 1
check "its further subject went into the tombstones, as a keyed hash" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM ret_tombstone_subjects t JOIN result_subjects s USING (subject_mac)")" = 1
check "... and out of the live catalog with the record" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM result_subjects WHERE result_code = '$CTC'")" = 0
lookup $PN2
check "the second subject's lookup lists the copy as destroyed, the marriage as valid" \
	test "$(codes)" = "$CTC=destroyed $HTC=valid"
check_grep "... with the decision" "destroyed on 2031-01-02 under decision 46/QĐ-SNV" body.out
lookup $PN1
check "the first subject's lookup is unchanged" test "$(codes)" = "$HTC=valid"
# (-cmd ".timeout": the daemon may be committing audit events at that
# moment; without it the shell gave "database is locked", exit 5, once)
check_exit "the tombstone of the second subject is append-only" 19 \
	sqlite3 -cmd ".timeout 10000" data/catalog.db "DELETE FROM ret_tombstone_subjects"
stop_daemon
unset KHO_NOW
check "the audit chain verifies" "$KHO" audit verify --data data
check "fsck is clean" "$KHO" fsck --data data
sqlite3 data/catalog.db "INSERT INTO ret_tombstone_subjects VALUES(zeroblob(32), '000.31.20.H55-250402-0999-KQ1')"
check_exit "a further subject's tombstone row without its tombstone: fsck fails" 1 "$KHO" fsck --data data
check_grep "... and names it" "000.31.20.H55-250402-0999-KQ1: a further subject or a package id of a destruction without its tombstone" check.out
finish
