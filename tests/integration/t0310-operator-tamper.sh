# t0310-operator-tamper.sh: what an operator with write access to the
# catalog does by hand shows (found by review, 2026-12-07: each of these left
# kho fsck and kho audit verify clean):
#  - a result's dates or title edited, or pointed at another citizen's
#    package: fsck names the record that differs from its package's
#    record.xml;
#  - a record dropped (its rows, store and key files): fsck names the
#    package the audit trail acknowledged that is neither in the catalog
#    nor destroyed;
#  - a result's validity decisions edited, added or dropped: fsck names
#    the result whose decisions differ from its status events;
#  - a record's rows dropped with its store file left: the daemon's start
#    keeps the file (it used to remove it as "never committed") and
#    audits an alert naming the acknowledging event.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
AG=000.31.20.H55
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" r1.xml 0301
make_record "$ROOT/testdata/records/ht03-marital-status.xml" r2.xml 0302
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" r3.xml 0303
for i in 1 2 3; do seal_pkg r$i.xml p$i.asice; done
cat > kho.json <<JSON
{ "trust": ["pki/trust.pem"], "crls": ["pki/crls.pem"], "fixity_interval": 0 }
JSON
OFF=$(token counter1 officer $AG)
start_daemon data --config kho.json
for i in 1 2 3; do
	st=$(http POST /v1/packages "$OFF" --data-binary @p$i.asice); check_status "ingest p$i" 201 "$st"
	eval "ID$i=\$(json_id body.out)"
done
stop_daemon
check_exit "fsck of the untouched archive: clean" 0 "$KHO" fsck --data data --config kho.json
check_grep "... reporting no record that differs" '^catalog: +0 records' check.out
check_grep "... and no acknowledged package lost" '^trail: +0 packages' check.out
C1=000.31.20.H55-250314-0301-KQ1
C2=000.31.20.H55-250415-0302-KQ1

# copy DIR: a fresh copy of the archive (data and key store) as DIR
copy() { rm -rf "$1" "$1.keys"; cp -a data "$1"; cp -a data.keys "$1.keys"; }

copy d1
sqlite3 d1/catalog.db "UPDATE results SET valid_until = '2099-12-31' WHERE result_code = '$C2'"
check_exit "a validity date edited in the catalog: fsck fails" 1 "$KHO" fsck --data d1 --config kho.json
check_grep "... naming the field and the result" "valid until of $C2 differs from the package's record.xml" check.out
check_grep "... counted" '^catalog: +1 records' check.out

copy d2
sqlite3 d2/catalog.db "UPDATE results SET title = 'forged' WHERE result_code = '$C1'"
check_exit "a title edited in the catalog: fsck fails" 1 "$KHO" fsck --data d2 --config kho.json
check_grep "... naming the field" "title of $C1 differs" check.out

copy d3
sqlite3 d3/catalog.db "UPDATE results SET package_id = '$ID2' WHERE result_code = '$C1'"
check_exit "a result pointed at another package: fsck fails" 1 "$KHO" fsck --data d3 --config kho.json
check_grep "... saying so" "the catalog's record of $C1 names another package" check.out
check "... each problem listed, not only the first (it names the swap and the borrowed package)" \
	test "$(grep -c '^problem: ' check.out)" -ge 2

# a result added by hand, borrowing a genuine package (found by review of
# the first fix: fsck compared only the results the packages name)
copy d3b
sqlite3 d3b/catalog.db "INSERT INTO results(result_code, package_id, dossier_code, procedure,
	procedure_provincial, agency, result_type, number_symbol, subject_kind, subject_mac, title,
	issue_date, valid_from, valid_until, supersedes, status, status_at)
	SELECT '000.31.20.H55-250314-0999-KQ1', package_id, dossier_code, procedure,
	procedure_provincial, agency, result_type, number_symbol, subject_kind, subject_mac, 'Forged',
	issue_date, valid_from, '2099-12-31', supersedes, status, status_at FROM results
	WHERE result_code = '$C1'"
check_exit "a result added by hand on a genuine package: fsck fails" 1 "$KHO" fsck --data d3b --config kho.json
check_grep "... naming it" "record of 000.31.20.H55-250314-0999-KQ1 names a package filed under another result" check.out
check_exit "fsck without trust anchors still finds it (a catalog check)" 1 "$KHO" fsck --data d3b --no-verify
check_grep "... and says what it did not compare" 'no catalog record was compared with its package.s record.xml' check.out

# tokens edited by hand (found by review: a records manager's row given
# the hash of one's own token acted under their name, with no trace)
OFF2=$(token counter2 officer $AG)
AUDX=$(token auditx auditor)
"$KHO" token revoke --data data auditx > /dev/null
copy dt
H2=$(sqlite3 dt/catalog.db "SELECT hex(hash) FROM tokens WHERE name = 'counter2'")
sqlite3 dt/catalog.db "DELETE FROM tokens WHERE name = 'counter2'; UPDATE tokens SET hash = x'$H2' WHERE name = 'counter1'"
check_exit "a token's hash swapped for another's: fsck fails" 1 "$KHO" fsck --data dt --config kho.json
check_grep "... naming it" "token counter1: its hash differs from the event that added it" check.out
copy dt2
sqlite3 dt2/catalog.db "UPDATE tokens SET role = 'admin', agency = '' WHERE name = 'counter1'"
check_exit "a token's role raised: fsck fails" 1 "$KHO" fsck --data dt2 --config kho.json
check_grep "... naming it" "token counter1: its role or agency differs" check.out
copy dt3
sqlite3 dt3/catalog.db "UPDATE tokens SET revoked_at = NULL WHERE name = 'auditx'"
check_exit "a revoked token made active again: fsck fails" 1 "$KHO" fsck --data dt3 --config kho.json
check_grep "... naming it" "token auditx: it was revoked \(audited\) but is active again" check.out
copy dt4
sqlite3 dt4/catalog.db "INSERT INTO tokens(name, role, agency, hash, created_at) VALUES('ghost', 'admin', '', randomblob(32), 0)"
check_exit "a token no event added: fsck fails" 1 "$KHO" fsck --data dt4 --config kho.json
check_grep "... naming it" "token ghost: no audit event added this token" check.out
# a token added by an older version (its event has no hash): checked for its
# role and agency only, and fsck says so (found by review: silently)
copy dt5
sqlite3 dt5/catalog.db "INSERT INTO tokens(name, role, agency, hash, created_at) VALUES('oldtok', 'auditor', '', randomblob(32), 0);
	INSERT INTO audit(at, actor, action, object, status, detail, prev, hash) VALUES(0, 'cli', 'config', 'oldtok', 0, 'token added: role auditor', '', '')"
check_exit "a token of an older version: not a problem" 0 "$KHO" fsck --data dt5 --config kho.json
check_grep "... but a note says its hash cannot be checked" 'note: +1 active tokens were added before their hash was recorded' check.out
check_exit "the untouched archive with these tokens: clean" 0 "$KHO" fsck --data data --config kho.json
check_grep "... no token differs" '^tokens: +0 ' check.out

# Validity decisions edited by hand (found in session 11's read-through: a
# revoked result set back to valid in the catalog read as reusable at every
# counter, and fsck and audit verify stayed clean). A decision whose text
# quotes the words the trail's detail uses, and one ahead of its day.
RM=$(token rm1 records_manager)
start_daemon data --config kho.json
st=$(http POST /v1/results/$C1/status "$RM" -d '{"status":"revoked","decision":"QĐ 7/QĐ-UBND, effective 2020-01-01, superseded by nothing"}')
check_status "a result revoked" 200 "$st"
st=$(http POST /v1/results/$C2/status "$RM" -d '{"status":"suspended","decision":"QĐ 8","effective":"2099-01-01"}')
check_status "another suspended ahead of its day" 200 "$st"
st=$(http POST /v1/results/$C2/status "$RM" -d '{"status":"superseded","decision":"QĐ 9","superseded_by":"'$C1'"}')
check_status "... then superseded" 200 "$st"
stop_daemon
check_exit "the archive with these decisions: fsck clean" 0 "$KHO" fsck --data data --config kho.json
check_grep "... every result compared" '^status: +0 of 3 results' check.out
copy ds1
sqlite3 ds1/catalog.db "UPDATE results SET status = 'valid', status_ref = NULL WHERE result_code = '$C1'"
check_exit "a revoked result set back to valid by hand: fsck fails" 1 "$KHO" fsck --data ds1 --config kho.json
check_grep "... naming it and the decision the trail recorded" "problem: +$C1: its validity status \\(valid\\) is not the one the audit trail last recorded \\(revoked, QĐ 7" check.out
check_grep "... counted" '^status: +1 of 3 results' check.out
copy ds2
sqlite3 ds2/catalog.db "UPDATE result_status SET effective = '2025-05-01', at = $(date -u -d '2025-04-30 17:00:00' +%s) WHERE result_code = '$C2' AND status = 'suspended'"
check_exit "a suspension's day moved by hand: fsck fails" 1 "$KHO" fsck --data ds2 --config kho.json
check_grep "... naming the decision" "$C2: validity decision 1 of its history \\(suspended, QĐ 8, effective 2025-05-01\\) differs" check.out
copy ds3
sqlite3 ds3/catalog.db "DELETE FROM result_status WHERE result_code = '$C2' AND status = 'suspended'; UPDATE result_status SET seq = 1 WHERE result_code = '$C2'"
check_exit "a decision dropped from the history: fsck fails" 1 "$KHO" fsck --data ds3 --config kho.json
check_grep "... saying which" "$C2: its history lacks the validity decision \"suspended\" \\(QĐ 8\\)" check.out
copy ds4
sqlite3 ds4/catalog.db "INSERT INTO result_status VALUES('000.31.20.H55-250314-0303-KQ1', 1, '2025-03-20', 'valid', 'forged', NULL, 0, 0)"
check_exit "a decision added to an unchanged result's history: fsck fails" 1 "$KHO" fsck --data ds4 --config kho.json
check_grep "... saying no event recorded it" '0303-KQ1: 1 validity decision\(s\) in its history that no audit event recorded' check.out
# the instant a decision takes effect moved (found by the second review:
# only the day was compared, and a revocation read as decades old to
# retention, a supersession as years away to the lookups)
copy ds6
sqlite3 ds6/catalog.db "UPDATE results SET status_at = 157766400 WHERE result_code = '$C1'; UPDATE result_status SET at = 157766400 WHERE result_code = '$C1'"
check_exit "a revocation's instant moved to 1975 by hand: fsck fails" 1 "$KHO" fsck --data ds6 --config kho.json
check_grep "... saying it is outside its effective day" "$C1: validity decision 1 of its history takes effect at an instant \\(1975-01-01\\) outside its effective day" check.out
copy ds7
sqlite3 ds7/catalog.db "UPDATE results SET status_at = status_at + 86400 * 3650 WHERE result_code = '$C1'"
check_exit "the row's instant alone moved: fsck fails" 1 "$KHO" fsck --data ds7 --config kho.json
check_grep "... saying so" "$C1: its validity status takes effect at another instant than its last decision" check.out
copy ds5
sqlite3 ds5/catalog.db "UPDATE results SET superseded_by = '000.31.20.H55-250314-0303-KQ1' WHERE result_code = '$C2';
	UPDATE result_status SET superseded_by = '000.31.20.H55-250314-0303-KQ1' WHERE result_code = '$C2' AND status = 'superseded'"
check_exit "the superseding result swapped by hand: fsck fails" 1 "$KHO" fsck --data ds5 --config kho.json
check_grep "... naming it" "problem: +$C2: validity decision 2" check.out

copy d4
sqlite3 d4/catalog.db "PRAGMA foreign_keys = ON; DELETE FROM objects WHERE package_id = '$ID3';
	DELETE FROM verify_keys WHERE result_code = '000.31.20.H55-250314-0303-KQ1';
	DELETE FROM results WHERE package_id = '$ID3'; DELETE FROM packages WHERE id = '$ID3'"
check "... (the rows are gone)" test "$(sqlite3 d4/catalog.db "SELECT count(*) FROM packages WHERE id = '$ID3'")" = 0
rm -f d4/store/*/$ID3.enc d4.keys/*/$ID3.key
check_exit "a record dropped with its files: fsck fails" 1 "$KHO" fsck --data d4 --config kho.json
check_grep "... counting it lost" '^trail: +1 packages acknowledged but neither in the catalog nor destroyed' check.out
check_grep "... naming the package and its event" "package $ID3: acknowledged \(audit event [0-9]+\) but neither" check.out
check_exit "... while the chain itself is intact" 0 "$KHO" audit verify --data d4

copy d5
sqlite3 d5/catalog.db "PRAGMA foreign_keys = ON; DELETE FROM objects WHERE package_id = '$ID3';
	DELETE FROM verify_keys WHERE result_code = '000.31.20.H55-250314-0303-KQ1';
	DELETE FROM results WHERE package_id = '$ID3'; DELETE FROM packages WHERE id = '$ID3'"
start_daemon d5 --config kho.json
stop_daemon
check "the daemon's start kept the store file of the acknowledged package" test -f d5/store/${ID3:0:2}/$ID3.enc
"$KHO" audit list --data d5 > d5-audit.txt
check_grep "... and audited an alert naming its event" "\"action\":\"alert\",\"object\":\"$ID3\".*acknowledged by audit event [0-9]+: kept" d5-audit.txt
check_nogrep "... not a removal" "\"action\":\"recover\",\"object\":\"$ID3\"" d5-audit.txt
check_exit "fsck fails on it" 1 "$KHO" fsck --data d5 --config kho.json
check_grep "... an orphan" '1 orphan files' check.out

# An uncommitted store file (a crash before the commit) is still removed.
copy d6
E=$(printf 'e%.0s' $(seq 64))
mkdir -p d6/store/ee && cp d6/store/${ID1:0:2}/$ID1.enc d6/store/ee/$E.enc
start_daemon d6 --config kho.json
stop_daemon
check "a store file no event acknowledged is removed at start, as before" \
	test ! -e d6/store/ee/$E.enc

# A later start never makes a key anew (found by review: an unmounted key
# store became an empty one and every package read as destroyed; a lost
# master key was replaced by a random decoy before the check refused it).
copy d7
rm -rf d7.keys
timeout 20 "$KHO" serve --data d7 --config kho.json --listen 127.0.0.1:0 > d7.out 2>&1; rc=$?
check "a start without its key store is refused" test "$rc" -ne 0
check_grep "... naming it" 'd7.keys: no such key store \(missing, or an empty directory.*\), and the catalog has packages whose keys it holds' d7.out
check "... and makes none" test ! -e d7.keys
mkdir -m 700 d7.keys
timeout 20 "$KHO" serve --data d7 --config kho.json --listen 127.0.0.1:0 > d7.out 2>&1; rc=$?
check "... nor with an empty directory in its place (an unmounted volume)" test "$rc" -ne 0 -a "$rc" -ne 124
check "... into which it writes nothing" test -z "$(ls -A d7.keys)"
copy d8
rm d8/keys/master.key
timeout 20 "$KHO" serve --data d8 --config kho.json --listen 127.0.0.1:0 > d8.out 2>&1; rc=$?
check "a start without its master key is refused" test "$rc" -ne 0
check_grep "... naming the file" 'd8/keys/master.key' d8.out
check "... and makes no new one" test ! -e d8/keys/master.key
copy d9
rm d9/keys/subject.key
timeout 20 "$KHO" serve --data d9 --config kho.json --listen 127.0.0.1:0 > d9.out 2>&1; rc=$?
check "a start without its subject key is refused, none made" test "$rc" -ne 0 -a ! -e d9/keys/subject.key

# A key file deleted by hand: an integrity alert, not "destroyed".
copy d10
rm -f d10.keys/*/$ID1.key
start_daemon d10 --config kho.json
AUD10=$("$KHO" token add --data d10 --role auditor aud10 | tail -n1)
st=$(http GET /v1/packages/$ID1 "$AUD10")
check_status "a package whose key file was deleted: 409, not 410" 409 "$st"
check_grep "... saying no destruction was recorded" 'key is missing from the key store, and no destruction of it was recorded' body.out
st=$(http GET "/v1/packages/$ID1?force=true" "$AUD10")
check_status "... even to an auditor forcing it" 409 "$st"
stop_daemon
"$KHO" audit list --data d10 > d10-audit.txt
check_grep "... audited as an alert" "\"action\":\"alert\",\"object\":\"$ID1\".*key is missing" d10-audit.txt

# A storage fault is no integrity failure (found by review: a full disk made
# every retrieval "fail its integrity check", an alert in the permanent
# trail, and an ingest answered 500 with the server's paths). Faults made
# here by a file where a directory must be.
copy d12
start_daemon d12 --config kho.json
AUD12=$("$KHO" token add --data d12 --role auditor aud12 | tail -n1)
rmdir d12/tmp && touch d12/tmp
st=$(http GET /v1/packages/$ID1 "$AUD12" -D h12.out)
check_status "retrieval that cannot write its scratch copy: 503" 503 "$st"
check_grep "... with Retry-After" '^Retry-After: 30' h12.out
check_nogrep "... naming no server path" 'd12/' body.out
check_grep "... the fault in the log" 'error: re-verification before serving: .*Not a directory' serve.log
# An upload over 1 MiB is spooled to DATA/tmp first (found by review: a full
# disk there answered 500 "cannot store the upload", no log line).
head -c 2000000 /dev/urandom > big12.bin
st=$(http POST /v1/packages "$OFF" --data-binary @big12.bin -D h12.out)
check_status "a large upload that cannot be spooled: 503" 503 "$st"
check_grep "... with Retry-After" '^Retry-After: 30' h12.out
check_grep "... the fault in the log" 'error: upload: .*d12/tmp' serve.log
rm d12/tmp && mkdir -m 700 d12/tmp
st=$(http GET /v1/packages/$ID1 "$AUD12"); check_status "... served once the fault is gone" 200 "$st"
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" r4.xml 0304
seal_pkg r4.xml p4.asice
ID4=$(sha256sum p4.asice | cut -c1-64)
rm -rf d12/store/${ID4:0:2} && touch d12/store/${ID4:0:2}
st=$(http POST /v1/packages "$OFF" --data-binary @p4.asice -D h12.out)
check_status "an ingest whose store write fails: 503" 503 "$st"
check_grep "... with Retry-After" '^Retry-After: 30' h12.out
check_nogrep "... naming no server path" 'd12/' body.out
rm d12/store/${ID4:0:2} && mkdir -m 700 d12/store/${ID4:0:2}
st=$(http POST /v1/packages "$OFF" --data-binary @p4.asice); check_status "... stored once the fault is gone" 201 "$st"
stop_daemon
"$KHO" audit list --data d12 > d12-audit.txt
check_nogrep "no integrity alert for either" '"action":"alert"' d12-audit.txt

# fsck of a restored copy without the scratch directory DATA/tmp (no backup
# holds it): made again, not an error (found by review).
copy d11
rm -rf d11/tmp
check_exit "fsck of a copy without DATA/tmp: clean" 0 "$KHO" fsck --data d11 --config kho.json
finish
