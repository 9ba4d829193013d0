# t0421-ingest-unclassified.sh: issue 4 item 3 through the real daemon: an
# ingest whose record no retention class applies to is refused with 422
# and a clear error, and nothing is stored (catalog rows and store files
# unchanged); with "keep_unclassified": true the same record is kept,
# unclassified, and listed by the retention report for a decision.
#
# A schedule without a fallback class cannot be published (the loader
# refuses it: every schedule has exactly one fallback, docs/retention.md),
# so with a published schedule a record has no class exactly when no
# schedule is in force on its ingest day: here, a schedule published ahead
# of its effective date.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
make_record "$CT" a.xml 0201
seal_pkg a.xml a.asice >/dev/null || echo "seal a failed"
A=$AG-250314-0201-KQ1
# The test schedule, in force only from 2099: published now, it governs nothing yet.
sed 's|<effective>2025-02-01</effective>|<effective>2099-01-01</effective>|' \
	"$ROOT/testdata/schedules/province-2025.xml" > future.xml
check "the schedule copy is in force only from 2099" grep -q '<effective>2099-01-01</effective>' future.xml
OFF=$(token counter1 officer $AG)
RM=$(token rm-lan records_manager)
rows() { sqlite3 data/catalog.db "SELECT (SELECT count(*) FROM packages) || '/' || (SELECT count(*) FROM results)"; }
files() { find data/store -name '*.enc' | wc -l; }

echo '{ "trust": ["pki/trust.pem"] }' > refuse.json
start_daemon data --config refuse.json
st=$(http PUT /v1/schedules "$RM" --data-binary @future.xml)
check_status "the schedule is published ahead of its effective date" 201 "$st"
R0=$(rows); F0=$(files)
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice)
check_status "an ingest no retention class applies to is refused: 422" 422 "$st"
check_grep "... saying why in words" 'no retention class applies to this record: no retention schedule in force on [0-9-]{10}' body.out
check "... nothing in the catalog" test "$(rows)" = "$R0"
check "... nothing in the store" test "$(files)" = "$F0"
st=$(http GET /v1/results/$A "$OFF")
check_status "... the result is unknown" 404 "$st"
stop_daemon

printf '{ "trust": ["pki/trust.pem"], "keep_unclassified": true }\n' > keep.json
start_daemon data --config keep.json
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice)
check_status "with keep_unclassified the same record is kept" 201 "$st"
check "... one more package row and result row" test "$(rows)" != "$R0"
check "... one more store file" test "$(files)" = "$((F0 + 1))"
check "... recorded without a class" \
	sh -c "[ \"\$(sqlite3 data/catalog.db \"SELECT ifnull(class_code, 'none') FROM ret_class WHERE result_code = '$A'\")\" = none ]"
st=$(http GET /v1/retention/report "$RM"); cp body.out rep.json
check_status "the retention report answers" 200 "$st"
check "... counting it as unclassified" test "$(jq .unclassified rep.json)" = 1
check "... and listing it for a decision" test "$(jq -r '.unclassified_records | join(" ")' rep.json)" = "$A"
stop_daemon
check "the audit chain verifies" "$KHO" audit verify --data data
finish
