#!/usr/bin/env bash
# t0520-verify-daemon.sh: the public verification page (issue 5) served by
# the REAL daemon (`kho serve`), over its catalog: a package ingested by an
# officer is then verified by anyone without a token. The form loads; an
# upload of the archived package says Hợp lệ with its validity status; a
# tampered copy says Không hợp lệ; the PDF inside the package is found as
# that result; an unknown file is not archived; `kho qr` and
# GET /v1/results/{code}/qr give a QR code that zbarimg decodes to a URL
# which, fetched from the daemon, shows the record and its status (also
# after a status change); a wrong key and an unknown code answer
# byte-identically; no personal number in any public answer or in the
# audit trail; keys issued to results archived before the keys existed
# (migration); the upload cap (413) and the rate limit per client (429).
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
source "$ROOT/tests/integration/webverify-lib.sh"

wv_setup          # pki/, arch/valid.asice, files/{tampered.asice,unknown.pdf,archived.pdf}
AG=000.31.20.H55
cat > kho.json <<JSON
{ "_comment": "t0520", "fixity_interval": 0, "threads": 4,
  "verify_rate_per_minute": 6000, "verify_rate_burst": 1000 }
JSON
OFF=$(token counter1 officer $AG)
OFF2=$(token counter2 officer 000.00.18.H55)
AUD=$(token auditor1 auditor)
RM=$(token records1 records_manager)
start_daemon data --trust pki/trust.pem --config kho.json

# get NAME PATH [CURL ARGS...]: body to NAME.out, headers to NAME.hdr, status printed.
get() { local n=$1 p=$2; shift 2; curl -s -D "$n.hdr" -o "$n.out" -w '%{http_code}' "$@" "$URL$p"; }

st=$(http POST /v1/packages "$OFF" --data-binary @arch/valid.asice)
check_status "an officer ingests the sealed birth registration" 201 "$st"
PKG_ID=$(json_id body.out)

st=$(get form /verify); check_status "GET /verify (no token) is the form" 200 "$st"
check_grep "  ... in Vietnamese, a multipart form" '<html lang="vi">' form.out
check_grep "  ... with the file field" 'enctype="multipart/form-data"' form.out
check_grep "  ... served with the page's CSP" "default-src 'none'" form.hdr
check_nogrep "  ... not h5's placeholder (no script)" '<script' form.out

st=$(get valid /verify -F file=@arch/valid.asice)
check_status "POST /verify with the archived package" 200 "$st"
check_grep "  ... Hợp lệ" 'data-answer="valid".*Hợp lệ' valid.out
check_grep "  ... the validity status from the catalog: valid" 'data-status="valid"' valid.out
check_grep "  ... names the result" "$CODE" valid.out

st=$(get tampered /verify -F file=@files/tampered.asice)
check_status "POST /verify with a tampered copy" 200 "$st"
check_grep "  ... Không hợp lệ" 'data-answer="invalid".*Không hợp lệ' tampered.out
check_grep "  ... names the altered file" 'ketqua.pdf – <span class="bad">ĐÃ BỊ THAY ĐỔI' tampered.out
check_nogrep "  ... and shows no archive status" 'data-status=' tampered.out

st=$(get archived /verify -F file=@files/archived.pdf)
check_status "POST /verify with the PDF inside the package" 200 "$st"
check_grep "  ... found in the catalog's objects" 'data-file-archived="1"' archived.out
check_grep "  ... as which result" "$CODE" archived.out
check_grep "  ... with that package's verification" 'data-answer="valid"' archived.out
# The same file archived in a second result (a shared attachment): neither
# result is named (found by review, 2026-12-08: the newest was shown, an
# unrelated record, to whoever held the file).
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
	--crl pki/crls.pem --record "$ROOT/testdata/records/ct01-certified-copy.xml" -o second.asice \
	ketqua.pdf >/dev/null || echo "seal second failed"
st=$(http POST /v1/packages "$OFF" --data-binary @second.asice)
check_status "a second result holding the same PDF is ingested" 201 "$st"
SECOND=$(jq -r .result_code body.out)
st=$(get shared /verify -F file=@files/archived.pdf)
check_grep "the shared PDF: archived, in several results" 'data-file-archived="shared"' shared.out
check_nogrep "  ... naming neither" "$CODE|$SECOND|data-answer=" shared.out
st=$(get sharedapi /v1/verify --data-binary @files/archived.pdf)
check "  ... and POST /v1/verify says so, with no result" python3 -c '
import json; j=json.load(open("sharedapi.out"))
assert j["shared"] is True and j["file_archived"] is True and "result" not in j, j'

st=$(get unknown "/verify?lang=en" -F file=@files/unknown.pdf)
check_status "POST /verify with an unknown file" 200 "$st"
check_grep "  ... not archived" 'data-answer="not-archived".*Not archived' unknown.out

st=$(get api /v1/verify --data-binary @arch/valid.asice)
check_status "POST /v1/verify (raw body, no token)" 200 "$st"
check "  ... JSON: valid, archived, same package, status valid" python3 -c '
import json; j=json.load(open("api.out"))
assert j["answer"]=="valid" and j["archive"]["archived"] and j["archive"]["same_package"] and j["archive"]["status"]=="valid", j'
st=$(get api2 /v1/verify -F file=@files/tampered.asice)
check "POST /v1/verify (multipart, tampered): invalid/HASH_FAILURE" python3 -c '
import json; j=json.load(open("api2.out")); assert j["answer"]=="invalid" and j["sub_indication"]=="HASH_FAILURE", j'
st=$(get put /verify -X PUT); check_status "PUT /verify is 405" 405 "$st"
st=$(get getapi /v1/verify); check_status "GET /v1/verify is 405" 405 "$st"
# libxml2 printed raw "encoding error" lines to the daemon's log for a
# manifest whose declared encoding rejects its bytes, from any worker thread
# that had written a report before (found by fuzzing and review, 2026-12-07):
# reports first on every thread, then such manifests.
pids=""
for i in $(seq 16); do curl -s -o /dev/null -F file=@arch/valid.asice "$URL/verify" & pids="$pids $!"; done
for p in $pids; do wait "$p"; done
pids=""
for i in $(seq 20); do
	curl -s -o /dev/null --data-binary @"$ROOT/testdata/hostile/manifest-bad-encoding.zip" "$URL/v1/verify" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
check_nogrep "no raw libxml2 line in the daemon's log" 'encoding error|I/O error|^[a-z]+ error :' serve.log
check_grep "... in JSON, as every error of the API" '^\{"error":"[^"]+","status":405\}$' getapi.out

# The QR code: kho qr (CLI) and GET /v1/results/{code}/qr (officer).
check_exit "kho qr writes a PNG" 0 "$KHO" qr --data data --result "$CODE" -o qr.png --base-url "$URL"
QR_URL=$(zbarimg -q --raw qr.png 2>/dev/null)
check_grep "  ... which zbarimg decodes to the record's verification URL" \
	"^$URL/verify/r/$CODE\\?k=[A-Za-z0-9_-]{22}\$" <(echo "$QR_URL")
KEY=${QR_URL##*k=}
# Without --base-url or public_url, the CLI encodes what the daemon would:
# the config's listen address, with a warning (found by review, 2026-12-08:
# it encoded port 8600 whatever the config said, silently).
jq --arg l "127.0.0.1:$PORT" '. + {listen: $l}' kho.json > listen.json
check_exit "kho qr with a config that has no public_url" 0 "$KHO" qr --data data --config listen.json \
	--result "$CODE" -o qr2.png
check_grep "  ... warns that citizens may not reach it" 'warning: no --base-url and no public_url' check.err
check "  ... and encodes the daemon's own address, as GET /v1/results/{code}/qr does" \
	test "$(zbarimg -q --raw qr2.png 2>/dev/null)" = "$QR_URL"
check_grep "the daemon without public_url warns in its log" 'warning: qr: no public_url in the config' serve.log
check_exit "kho qr writes an SVG" 0 "$KHO" qr --data data --result "$CODE" -o qr.svg --base-url "$URL"
check "  ... well-formed XML" xmllint --noout qr.svg
check_exit "kho qr: unknown result is exit 5" 5 "$KHO" qr --data data \
	--result 000.31.20.H55-250310-0099-KQ1 -o x.png
st=$(curl -s -o qrpage.out -w '%{http_code}' "$QR_URL")
check_status "the decoded URL, fetched from the daemon, is 200" 200 "$st"
check_grep "  ... shows the record as valid (re-verified now)" 'data-answer="valid"' qrpage.out
check_grep "  ... with its validity status" 'data-status="valid"' qrpage.out
check_grep "  ... noindex" 'noindex' qrpage.out

st=$(http GET "/v1/results/$CODE/qr" "$OFF" -D qrapi.hdr)
check_status "GET /v1/results/{code}/qr for an officer of the agency" 200 "$st"
check_grep "  ... image/png by default" '^Content-Type: image/png' qrapi.hdr
check "  ... decodes to the same URL (the daemon's own address by default)" \
	test "$(zbarimg -q --raw body.out 2>/dev/null)" = "$QR_URL"
st=$(http GET "/v1/results/$CODE/qr?format=svg" "$OFF" -D qrsvg.hdr)
check_grep "?format=svg gives SVG" '^Content-Type: image/svg\+xml' qrsvg.hdr
check "  ... well-formed" xmllint --noout body.out
st=$(http GET "/v1/results/$CODE/qr" "$OFF" -H 'Accept: image/svg+xml' -D qrsvg2.hdr)
check_grep "Accept: image/svg+xml gives SVG" '^Content-Type: image/svg\+xml' qrsvg2.hdr
st=$(http GET "/v1/results/$CODE/qr" "$OFF2"); check_status "an officer of another agency: 403" 403 "$st"
st=$(http GET "/v1/results/$CODE/qr" "$AUD"); check_status "an auditor: 403" 403 "$st"
st=$(http GET "/v1/results/$CODE/qr" ""); check_status "no token: 401" 401 "$st"
st=$(http GET "/v1/results/000.31.20.H55-250310-0099-KQ1/qr" "$OFF")
check_status "QR of an unknown result: 404" 404 "$st"

# Enumeration: a wrong key, an unknown code, no key answer alike.
WRONG=AAAAAAAAAAAAAAAAAAAAAA
OTHER=000.31.20.H55-250310-0099-KQ1
st=$(get wrongkey "/verify/r/$CODE?k=$WRONG"); check_status "wrong key: 404" 404 "$st"
st=$(get unknowncode "/verify/r/$OTHER?k=$KEY"); check_status "unknown code: 404" 404 "$st"
get nokeyqr "/verify/r/$CODE" >/dev/null
check "wrong key and unknown code: byte-identical answers" cmp wrongkey.out unknowncode.out
check "  ... and a missing key too" cmp wrongkey.out nokeyqr.out
check_nogrep "  ... echoing neither code nor key" "$CODE|$OTHER|$WRONG|$KEY" wrongkey.out

# The archived package unzipped and zipped again: other bytes, the same
# files under the same seal (still TOTAL-PASSED). Its files are the archived
# result's (catalog_same_package), so is its status: green while valid, not
# after a revocation (found by review: a revoked result read "Hợp lệ").
mkdir -p rz && (cd rz && unzip -q ../arch/valid.asice && zip -q -X -0 ../rezipped.asice mimetype &&
	zip -q -X -9 -r ../rezipped.asice $(ls | grep -v '^mimetype$'))
check "the re-zipped package differs from the archived one" test "$(sha256sum < rezipped.asice)" != "$(sha256sum < arch/valid.asice)"
st=$(get rezip /verify -F file=@rezipped.asice)
check_grep "a re-zipped copy of a valid result: Hợp lệ" 'class="verdict valid".*Hợp lệ' rezip.out
check_grep "  ... its status, the archived files' (said so)" 'data-status="valid".*data-same-files="1"' rezip.out

# A status change shows on the QR path.
st=$(http POST "/v1/results/$CODE/status" "$RM" -H 'Content-Type: application/json' \
	--data '{"status":"revoked","decision":"QD-12/2026"}')
check_status "a records manager revokes the result" 200 "$st"
curl -s -o revoked.out "$QR_URL"
check_grep "the QR page now says revoked" 'data-status="revoked"' revoked.out
check_grep "... in its headline: no longer in force (not a green 'valid', found by review)" \
	'class="verdict not-in-force"[^>]*data-in-force="no"><span class="word">⚠ Không còn hiệu lực' revoked.out
check_nogrep "... and no 'valid' verdict box" 'class="verdict valid"' revoked.out
st=$(get apirevoked /v1/verify --data-binary @arch/valid.asice)
check_grep "the JSON API: the seal is still valid..." '"answer":"valid"' apirevoked.out
check_grep "... with a note that the result is revoked today" '"note":"Lưu ý: chữ ký là thật, nhưng hôm nay kết quả này có trạng thái: [^"]+"' apirevoked.out
check_grep "... and its status" '"archive":\{"archived":true,"status":"revoked"' apirevoked.out
check_grep "... not in force" '"in_force":false' apirevoked.out
check_grep "a valid result's answer is in force" '"in_force":true' api.out
st=$(get rezipr /verify -F file=@rezipped.asice)
check_grep "the re-zipped copy of the revoked result: no longer in force" \
	'class="verdict not-in-force"[^>]*data-in-force="no"><span class="word">⚠ Không còn hiệu lực' rezipr.out
check_nogrep "  ... no green box" 'class="verdict valid"' rezipr.out
check_grep "  ... status revoked" 'data-status="revoked"' rezipr.out
st=$(get apirezipr /v1/verify --data-binary @rezipped.asice)
check "  ... POST /v1/verify agrees: not in force, the page's words" python3 -c '
import json; j=json.load(open("apirezipr.out"))
assert j["answer"] == "valid" and j["in_force"] is False and j["answer_text"] == "Không còn hiệu lực", j
assert j["archive"]["status"] == "revoked" and j["archive"]["same_files"] is True, j["archive"]'
check_nogrep "a valid result's answer has no such note" '"note"' api.out

# A single file through the JSON API: the answer around the statement (the
# files' names, the signatory, the signer) is scrubbed like every other
# answer. A package whose second file is named with the subject's number
# gave it in clear there (found by review, 2026-12-07).
make_record "$ROOT/testdata/records/ht01-birth-registration.xml" r2.xml 0013
printf '%%PDF-1.4\n%% ket qua 2\n' > ketqua2.pdf
printf '%%PDF-1.4\n%% can cuoc\n' > "$PID_NUMBER-cccd.pdf"
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
	--crl pki/crls.pem --record r2.xml -o two.asice ketqua2.pdf "$PID_NUMBER-cccd.pdf" >/dev/null
st=$(http POST /v1/packages "$OFF" --data-binary @two.asice)
check_status "an officer ingests a package with a file named by the subject's number" 201 "$st"
st=$(get apifile /v1/verify --data-binary @ketqua2.pdf)
check_status "POST /v1/verify with one file of it" 200 "$st"
check_grep "  ... found as that result" '"file_archived":true' apifile.out
check_grep "  ... lists the other file, its number masked" '"name":"\[number\]-cccd.pdf"' apifile.out
check_nogrep "  ... never the number" "$PID_NUMBER" apifile.out
check_nogrep "  ... nor the full name" 'Trần Thị Bảo Ngọc' apifile.out
# Its record.xml is no file a citizen holds, and it carries the personal
# number: a yes to it would confirm a guessed number in a guessed record
# (found by review). It is not found as archived.
unzip -p two.asice record.xml > rec-two.xml
st=$(get apirec /v1/verify --data-binary @rec-two.xml)
check_status "POST /v1/verify with the package's record.xml" 200 "$st"
check_grep "  ... is not found as archived" '"file_archived":false' apirec.out
# A file no seal covers is in the JSON answer's files, as on the page.
python3 -c "import shutil, sys, zipfile; shutil.copy('arch/valid.asice', 'extra.asice'); z = zipfile.ZipFile('extra.asice', 'a'); z.writestr('ketqua-final.pdf', b'%PDF not sealed'); z.close()"
st=$(get apiextra /v1/verify --data-binary @extra.asice)
check_status "POST /v1/verify with an unsealed file added" 200 "$st"
check_grep "  ... lists it as unsigned" '"name":"ketqua-final.pdf","state":"unsigned"' apiextra.out
# A file name with a bidi override (U+202E: "ketqua<RLO>fdp.exe" reads as
# ketquaexe.pdf) and a C1 control is shown on the page without them.
python3 -c "import shutil, zipfile; shutil.copy('arch/valid.asice', 'bidi.asice'); z = zipfile.ZipFile('bidi.asice', 'a'); z.writestr('ketqua\u202efdp\u009b.exe', b'MZ'); z.close()"
st=$(get bidipage /verify -F file=@bidi.asice)
check_status "POST /verify with such a file added" 200 "$st"
check_grep "  ... the page names the file" 'ketqua.fdp..exe' bidipage.out
check "  ... without the bidi override or the C1 control" python3 -c "import sys; d = open('bidipage.out', 'rb').read(); sys.exit(1 if b'\xe2\x80\xae' in d or b'\xc2\x9b' in d else 0)"

# No personal number anywhere public, nor in the audit trail.
cat form.out valid.out tampered.out archived.out unknown.out api.out api2.out qrpage.out \
	wrongkey.out revoked.out apifile.out apiextra.out > public.all
check_grep "the public answers do show the (masked) subject" 'subject_name_masked|\*' public.all
check_nogrep "no personal number in any public answer" "$PID_NUMBER" public.all
st=$(http GET "/v1/audit?limit=1000" "$AUD"); cp body.out audit.json
check_grep "public verifications are audited" '"action":"public-verify"' audit.json
check_grep "  ... with kind and answer" 'kind=upload-package answer=valid' audit.json
check_grep "  ... by anonymous" '"actor":"anonymous","action":"public-verify"' audit.json
check_nogrep "  ... without the personal number or a key" "$PID_NUMBER|$KEY|$WRONG" audit.json
check_grep "the QR endpoint is audited" '"action":"qr"' audit.json
check_exit "the audit chain still verifies" 0 "$KHO" audit verify --data data
stop_daemon

# Migration: a catalog without keys (as before issue 5) gets keys at start;
# the old URL then stops working, the new one works.
sqlite3 data/catalog.db 'DELETE FROM verify_keys;'
check_exit "kho qr without a key: exit 5" 5 "$KHO" qr --data data --result "$CODE" -o none.png
echo '{ "public_url": "https://kho.example.gov.vn/?x=1" }' > bad.json
check_exit "a public_url with a query is refused at start (exit 3)" 3 \
	timeout 10 "$KHO" serve --data data --trust pki/trust.pem --config bad.json --listen 127.0.0.1:0
cat > kho2.json <<JSON
{ "_comment": "t0520 limits", "fixity_interval": 0, "threads": 2,
  "verify_rate_per_minute": 1, "verify_rate_burst": 3, "verify_max_upload": 20000,
  "public_url": "https://kho.example.gov.vn/", "trusted_proxies": ["127.0.0.1"] }
JSON
echo '{ "trusted_proxies": ["proxy.example.gov.vn"] }' > badproxy.json
check_exit "a trusted proxy that is not an IP address is refused at start (exit 3)" 3 \
	timeout 10 "$KHO" serve --data data --trust pki/trust.pem --config badproxy.json --listen 127.0.0.1:0
start_daemon data --trust pki/trust.pem --config kho2.json
check "the daemon issued a key to the keyless result" test \
	"$(sqlite3 data/catalog.db "SELECT count(*) FROM verify_keys WHERE result_code = '$CODE'")" = 1
check_exit "kho qr works again" 0 "$KHO" qr --data data --result "$CODE" -o qr2.png --base-url "$URL"
QR2=$(zbarimg -q --raw qr2.png 2>/dev/null)
check "  ... with a new key" test -n "$QR2" -a "$QR2" != "$QR_URL"
st=$(http GET "/v1/results/$CODE/qr" "$OFF")
check "the QR endpoint uses the configured public_url" test \
	"$(zbarimg -q --raw body.out 2>/dev/null)" = "https://kho.example.gov.vn/verify/r/$CODE?k=${QR2##*k=}"

# Limits: 20000-byte cap, 3 requests then 429 (the form is not limited).
head -c 50000 /dev/urandom > big.bin
st=$(get big /v1/verify --data-binary @big.bin); check_status "an upload past verify_max_upload: 413" 413 "$st"
check_grep "... saying the limit in KB below 1 MB (it said \"0 MB\")" 'Tệp lớn hơn giới hạn 20 KB' big.out
st=$(curl -s -o new.out -w '%{http_code}' "$QR2"); check_status "the new QR URL: 200" 200 "$st"
st=$(get old "/verify/r/$CODE?k=$KEY"); check_status "the old key: 404" 404 "$st"
st=$(get limited "/verify/r/$CODE?k=$WRONG"); check_status "the 4th public verification: 429" 429 "$st"
check_grep "  ... with Retry-After" '^Retry-After: [0-9]+' limited.hdr
st=$(get formagain /verify); check_status "the form is not rate-limited" 200 "$st"
# Behind a trusted proxy (here 127.0.0.1) each client is counted by the
# address the proxy appends to X-Forwarded-For.
XFF='X-Forwarded-For: 198.51.100.1, 203.0.113.7'
st=$(get px1 "/verify/r/$CODE?k=$WRONG" -H "$XFF")
check_status "behind the trusted proxy, another client has its own bucket" 404 "$st"
get px2 "/verify/r/$CODE?k=$WRONG" -H "$XFF" >/dev/null
get px3 "/verify/r/$CODE?k=$WRONG" -H 'X-Forwarded-For: 203.0.113.7' >/dev/null
st=$(get px4 "/verify/r/$CODE?k=$WRONG" -H 'X-Forwarded-For: 10.9.9.9,203.0.113.7')
check_status "  ... limited in turn after its burst, whatever it wrote before the proxy's entry" 429 "$st"
st=$(http GET /healthz ""); check_status "other routes are not affected" 200 "$st"
stop_daemon
finish
