# t0430-transfer-daemon.sh: issue 4 items 2, 7 and 8 through the real
# daemon, as an acceptance reviewer checks them. Records ingested before
# the first schedule is published are counted as unclassified by the
# report and classified by the publication (PUT /v1/schedules). A transfer
# batch serves its list (CSV) and explanatory note (HTML); exported and
# acknowledged, its JSON names each thing correctly (bag path and SHA-256,
# receipt, custody, acknowledgment date; items "transferred"); the bag's
# metadata has no subject name; GET /v1/results/{code} and /v1/lookup then
# say the record was transferred and where it is; the audit line carries a
# date. The clock is injected with KHO_NOW.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
HT=$ROOT/testdata/records/ht01-birth-registration.xml
CT=$ROOT/testdata/records/ct01-certified-copy.xml
HTC=000.31.20.H55-250310-0012-KQ1
CTC=000.31.20.H55-250314-0101-KQ1
cp "$HT" ht.xml
make_record "$CT" ct.xml 0101
seal_pkg ht.xml ht.asice >/dev/null || echo "seal ht failed"
seal_pkg ct.xml ct.asice >/dev/null || echo "seal ct failed"
PN=$(sed -n 's|.*<id>\([0-9]*\)</id>.*|\1|p' ht.xml | head -n1)
NAME=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' ht.xml | head -n1)
PURPOSE=000.31.20.H55-251120-0001   # received before any clock the test sets (a later one is refused)
archive_config kho.json
OFF=$(token counter1 officer 000.31.20.H55)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
AUD=$(token audit1 auditor)
flat() { tr -d ' \n' < "$1"; }

# ---- ingest before any schedule, then publish (item 2) ----
unset KHO_NOW
start_daemon data --config kho.json
for f in ht ct; do st=$(http POST /v1/packages "$OFF" --data-binary @$f.asice); check_status "ingest $f with no schedule yet" 201 "$st"; done
st=$(http GET /v1/retention/report "$AUD")
check_status "the report answers before any schedule" 200 "$st"
flat body.out > rep0.flat
check_grep "... counting both records as unclassified" '"unclassified":2[,}]' rep0.flat
check_grep "... and listing them for a decision" "\"unclassified_records\":\[[^]]*\"$HTC\"" rep0.flat
# The retention handlers read flags from the query string rebuilt from the
# decoded arguments: an encoded "&format=csv" inside a value is no flag.
st=$(http GET "/v1/retention/report?format=json%26format%3Dcsv" "$AUD")
check_status "a flag encoded inside a value: refused as that value, 400" 400 "$st"
check_grep "... naming the values the parameter takes" 'query parameter \\"format\\" must be json or csv' body.out
st=$(http GET "/v1/retention/report?format=csv" "$AUD")
check_nogrep "(format=csv itself gives CSV)" '^\{' body.out
# Found by review (2026-12-07): "?format=json&format=csv" answered CSV,
# "?format=xml" JSON, an unknown parameter was ignored, and a batch id past
# 2^63 was answered as batch 9223372036854775807.
st=$(http GET "/v1/retention/report?format=json&format=csv" "$AUD")
check_status "a parameter given twice: 400" 400 "$st"
check_grep "... saying so" 'query parameter \\"format\\" given twice' body.out
st=$(http GET "/v1/retention/report?format=xml" "$AUD")
check_status "an unknown format: 400" 400 "$st"
st=$(http GET "/v1/retention/report?formt=csv" "$AUD")
check_status "an unknown parameter: 400" 400 "$st"
check_grep "... naming it" 'unknown query parameter \\"formt\\"' body.out
st=$(http GET "/v1/holds?scope=record" "$AUD")
check_status "a parameter on a route that takes none: 400" 400 "$st"
st=$(http GET "/v1/disposition/batches/999999999999999999999" "$AUD")
check_status "a batch id past 2^63: 404" 404 "$st"
check_nogrep "... not answered as another number" '9223372036854775807' body.out
st=$(http GET "/v1/retention/report?x=$(head -c 600 /dev/zero | tr '\0' a)" "$AUD")
check_status "a query string too long to pass on: 400, not cut" 400 "$st"
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
check_status "the first schedule is published" 201 "$st"
flat body.out > pub.flat
check_grep "... and classifies the records ingested before it" '"reclassified":2[,}]' pub.flat
check_grep "... reported as newly classified" '"newly_classified":2[,}]' pub.flat
check "the birth registration is now HT.01" sh -c "[ \"\$(sqlite3 data/catalog.db \"SELECT class_code FROM ret_class WHERE result_code = '$HTC'\")\" = HT.01 ]"
st=$(http GET /v1/retention/report "$AUD"); flat body.out > rep1.flat
check_grep "the report then counts no unclassified record" '"unclassified":0[,}]' rep1.flat
st=$(http POST /v1/results/$HTC/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-10"}')
check_status "the dossier-closed event is recorded" 201 "$st"
stop_daemon

# ---- a transfer batch, six years later (items 7, 8) ----
export KHO_NOW=2031-01-10T09:00:00Z
start_daemon data --config kho.json
st=$(http POST /v1/disposition/batches "$RM1" --data '{"kind":"transfer","results":["'"$CTC"'"]}')
check_status "selecting a record not eligible to transfer is refused" 400 "$st"
check_grep "... naming it" "$CTC is not eligible to transfer" body.out
st=$(http POST /v1/disposition/batches "$RM1" --data '{"kind":"transfer","results":"x"}')
check_status "a malformed selection is refused" 400 "$st"
st=$(http POST /v1/disposition/batches "$RM1" --data '{"kind":"transfer","results":["'"$HTC"'"]}')
check_status "rm-lan proposes a transfer batch of the selected permanent record" 201 "$st"
TB=$(flat body.out | sed -n 's/^{.*"id":\([0-9]*\).*/\1/p' | head -n1)
check "... it has an id" test -n "$TB"
curl -s -D h.csv -o list.csv -H "Authorization: Bearer $AUD" "$URL/v1/disposition/batches/$TB?format=csv"
check_grep "the list is served as CSV to an auditor" '^HTTP/1.1 200' h.csv
check_grep "... with a CSV content type" '^[Cc]ontent-[Tt]ype: text/csv' h.csv
check_grep "... listing the birth registration" "^$TB,$HTC," list.csv
curl -s -D h.html -o note.html -H "Authorization: Bearer $RM2" "$URL/v1/disposition/batches/$TB?format=html"
check_grep "the explanatory note is served as HTML" '^[Cc]ontent-[Tt]ype: text/html' h.html
check_grep "... a printable page with the item" "<td>$HTC</td>" note.html
check_grep "... its class title and schedule version" '<td>Đăng ký khai sinh</td><td>H55-SNV-TTHC-LUUTRU 2025.1</td>' note.html
check_grep "... titled as a transfer list to the historical archive" '<h1>Danh mục hồ sơ, tài liệu nộp lưu vào lưu trữ lịch sử — đợt [0-9]+</h1>' note.html
check_nogrep "... never calling permanent records 'hết giá trị' or out of force" 'hết giá trị|không còn hiệu lực' note.html
check_grep "... with dates written dd/mm/yyyy" 'Ngày lập: [0-9]{2}/[0-9]{2}/[0-9]{4}\.' note.html
st=$(http GET "/v1/disposition/batches/$TB?format=csv" "$OFF")
check_status "an officer cannot read the list" 403 "$st"
st=$(http GET "/v1/disposition/batches/999?format=csv" "$AUD")
check_status "the list of an unknown batch: 404" 404 "$st"
st=$(http POST /v1/disposition/batches/$TB/approve "$RM2" --data '{"decision":"46/QĐ-SNV","decision_date":"2031-01-10"}')
check_status "another records manager approves" 200 "$st"
# Renewed after the approval (archive timestamp of 2031): the export sends
# the renewal, which outlives the 2026 TSA (it sent the package as approved).
stop_daemon
renewed_config kho.json kho31.json
cat pki/trust.pem pki31/trust.pem > both31.pem
"$KHO" renew --trust both31.pem --crl pki/crls.pem --tsa-key pki31/tsa.key --tsa-cert pki31/tsa.pem \
	-o ht-renewed.asice ht.asice >/dev/null || echo "renew ht failed"
HTR=$(sha256sum ht-renewed.asice | cut -d' ' -f1)
start_daemon data --config kho31.json
st=$(http POST /v1/packages "$OFF" --data-binary @ht-renewed.asice)
check_status "the approved record is renewed" 201 "$st"
st=$(http POST /v1/disposition/batches/$TB/export "$RM2" --data '{}')
check_status "the batch is exported as a bag" 200 "$st"
BAGF=data/retention/transfers/batch-$TB.tar
check "the bag is written" test -s $BAGF
check "... readable by its owner only: it holds the records in clear (found by review, 2026-12-08: 0644)" \
	test "$(stat -c %a $BAGF)" = 600
mkdir bagx && tar -C bagx -xf $BAGF
check "every payload digest checks with sha256sum -c" sh -c "cd bagx/kho-transfer-batch-$TB && sha256sum -c --strict manifest-sha256.txt"
check "the bag holds the renewed package" \
	test "$(sha256sum bagx/kho-transfer-batch-$TB/data/packages/$HTC.asice | cut -d' ' -f1)" = "$HTR"
check "... and its metadata names it" \
	test "$(jq -r .package_sha256 bagx/kho-transfer-batch-$TB/data/metadata/$HTC.json)" = "$HTR"
check "... the batch item says it went as its renewal" \
	sh -c "sqlite3 data/catalog.db \"SELECT reason FROM ret_items WHERE batch = $TB AND result_code = '$HTC'\" | grep -q 'exported as its renewal, package $HTR'"
check "... and so does the export's audit event" \
	sh -c "sqlite3 data/catalog.db \"SELECT detail FROM audit WHERE action = 'retention-transfer-export'\" | grep -q '1 records (1 as their renewal)'"
check "the subject has a name to look for" test -n "$NAME"
check_nogrep "the bag metadata holds no subject name" "$NAME" bagx/kho-transfer-batch-$TB/data/metadata/$HTC.json
check_nogrep "... nor the personal number" "$PN" bagx/kho-transfer-batch-$TB/data/metadata/$HTC.json
st=$(http POST /v1/disposition/batches/$TB/ack "$RM2" --data '{"receipt":"BB-NL-7/2031","custody":"Lưu trữ lịch sử tỉnh H55, phông 12"}')
check_status "the acknowledgment is recorded" 200 "$st"
flat body.out > ack.flat
check_grep "the batch is transferred" '"state":"transferred","proposed_by"|"kind":"transfer".*"state":"transferred"' ack.flat
check_grep "... its decision is the decision alone" '"decision":"46/QĐ-SNV"[,}]' ack.flat
check_grep "... the bag path under \"bag\"" "\"bag\":\"[^\"]*/retention/transfers/batch-$TB.tar\"" ack.flat
check_grep "... the bag's SHA-256 under \"bag_sha256\"" "\"bag_sha256\":\"$(sha256sum $BAGF | cut -d' ' -f1)\"" ack.flat
check_grep "... the receipt under \"receipt\"" '"receipt":"BB-NL-7/2031"' ack.flat
check_grep "... the custody under \"custody\"" '"custody":"Lưutrữlịchsửtỉnh' ack.flat
check_grep "... acknowledged on a date" '"acknowledged_on":"2031-01-10"' ack.flat
check_nogrep "... and no \"certificate\" member" '"certificate' ack.flat
check_grep "the item is transferred" "\"result_code\":\"$HTC\",\"class\":\"HT.01\",\"state\":\"transferred\"|\"state\":\"transferred\"[^}]*\"result_code\":\"$HTC\"|\"class\":\"HT.01\",\"reason\":\"[^\"]*\",\"result_code\":\"$HTC\",\"state\":\"transferred\"" ack.flat

# ---- lookups say where the record is (item 8) ----
st=$(http GET /v1/results/$HTC "$OFF")
check_status "the transferred result still answers" 200 "$st"
flat body.out > res.flat
check_grep "... saying it was transferred and where" '"custody":\{[^}]*"state":"transferred"[^}]*"where":"Lưutrữlịchsửtỉnh|"custody":\{[^}]*"where":"Lưutrữlịchsửtỉnh[^}]*"state":"transferred"' res.flat
check_grep "... when, under which decision" '"custody":\{[^}]*"on":"2031-01-10"[^}]*|"custody":\{[^}]*"decision":"46/QĐ-SNV"' res.flat
check_grep "... with the decision" '"decision":"46/QĐ-SNV"' res.flat
st=$(http GET /v1/results/$CTC "$OFF"); flat body.out > ct.flat
check_nogrep "a record not transferred has no custody member" '"custody"' ct.flat
st=$(http GET "/v1/lookup?subject=$PN&purpose=$PURPOSE" "$OFF")
check_status "the subject's lookup answers" 200 "$st"
flat body.out > lk.flat
check_grep "... its entry says transferred and where" "\"result_code\":\"$HTC\"[^]]*\"custody\":\{[^}]*\"state\":\"transferred\"|\"custody\":\{[^}]*\"state\":\"transferred\"[^]]*\"result_code\":\"$HTC\"" lk.flat
check_grep "... and counts it" '"transferred":1[,}]' lk.flat
stop_daemon
"$KHO" audit list --data data --limit 100000 > audit.out
check_grep "the audit line dates the acknowledgment" 'transfer acknowledged on 2031-01-10: receipt BB-NL-7/2031' audit.out
check "the audit chain verifies" "$KHO" audit verify --data data
finish
