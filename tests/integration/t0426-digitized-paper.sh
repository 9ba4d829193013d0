# t0426-digitized-paper.sh: a result issued on paper long before kho and
# digitized later (record.xml's digitizedOn): a birth registration of 1992
# digitized in a dossier of 2025. It seals, verifies and is archived; the
# lookup finds it with its paper issue date; the report, kho inspect and the
# public page say when it was digitized. Without digitizedOn the same record
# is refused (its issue date precedes the dossier) and nothing is written.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
REC=$ROOT/testdata/records/ht01-birth-registration-digitized.xml
PN=055092004567
CODE=000.31.20.H55-250402-0031-KQ1
printf '%%PDF-1.4\n%% giay khai sinh 1992, ban quet\n' > ketqua.pdf

grep -v digitizedOn "$REC" > paper.xml
check_exit "kho seal refuses a 1992 issue date in a 2025 dossier without digitizedOn" 5 \
	"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
	--tsa-cert pki/tsa.pem --record paper.xml -o paper.asice ketqua.pdf
check_grep "... naming the date, the dossier and the remedy" \
	"issueDate: 1992-06-18 is before the dossier was received \(250402 in .*digitizedOn" check.err
check "... and writes no package" test ! -e paper.asice

seal_pkg "$REC" dg.asice >/dev/null || echo "seal of the digitized record failed"
check_exit "kho verify passes the digitized result" 0 "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem dg.asice
check_grep "... its report gives the paper's issue date" "issue date +1992-06-18" check.out
check_grep "... and the day it was digitized" "digitized on +2025-04-02" check.out
check_exit "kho verify --format json" 0 "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem --format json dg.asice
check "... record.digitized_on in JSON" test "$(jq -r .record.digitized_on check.out)" = 2025-04-02
check "kho inspect shows it" sh -c "'$KHO' inspect dg.asice | grep -q 'digitized on *2025-04-02'"

archive_config kho.json
OFF=$(token counter1 officer 000.31.20.H55)
start_daemon data --config kho.json
st=$(http POST /v1/packages "$OFF" --data-binary @dg.asice)
check_status "the daemon archives it" 201 "$st"
st=$(http GET "/v1/lookup?subject=$PN&purpose=000.31.20.H55-251207-0001" "$OFF")
check_status "lookup by the subject's number" 200 "$st"
check "... finds it, issued 1992, reusable" \
	test "$(jq -r '.results[] | "\(.result_code) \(.issue_date) \(.reusable)"' body.out)" = "$CODE 1992-06-18 true"
st=$(curl -s -o pub.json -w '%{http_code}' --data-binary @dg.asice -H 'Content-Type: application/octet-stream' "$URL/v1/verify?lang=en")
check_status "POST /v1/verify" 200 "$st"
check "... genuine, issued 1992, digitized 2025" \
	test "$(jq -r '"\(.answer) \(.result.issue_date) \(.result.digitized_on)"' pub.json)" = "valid 1992-06-18 2025-04-02"
st=$(curl -s -o page.html -w '%{http_code}' -F "file=@dg.asice" "$URL/verify")
check_status "the verification page" 200 "$st"
check_grep "... says when the paper was digitized" "Số hóa từ bản giấy ngày.*02/04/2025" page.html
# The ht01 sample without digitizedOn is shown without the row.
make_record "$ROOT/testdata/records/ht01-birth-registration.xml" ht.xml 0032
seal_pkg ht.xml ht.asice >/dev/null || echo "seal of ht01 failed"
curl -s -o page2.html -F "file=@ht.asice" "$URL/verify"
check_nogrep "a result born digital has no such row" "Số hóa từ bản giấy" page2.html
stop_daemon
finish
