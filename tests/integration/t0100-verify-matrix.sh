#!/usr/bin/env bash
# t0100-verify-matrix.sh: `kho verify` over real packages made with `kho pki
# init`, `kho seal` and the tamper helper, one per outcome of ETSI EN 319
# 102-1 that kho must tell apart. Each case asserts the exit status AND the
# indication/sub-indication the user sees (stderr verdict line and report).
# Then --at, the JSON and XML reports (checked by tools nobody here wrote:
# python3 json and xmllint), --help and usage errors.
source "$ROOT/tests/integration/lib.sh"
TAMPER="$KHO_HELPERS/tamper"

now=$(date -u +%s)
ago() { date -u -d "@$((now - $1))" +%Y-%m-%dT%H:%M:%SZ; }
DAY=86400

"$KHO" pki init pki >/dev/null 2>&1 || { fail "kho pki init"; finish; }
"$KHO" pki init other >/dev/null 2>&1 || { fail "kho pki init (second PKI)"; finish; }
rec=$ROOT/testdata/records/ct01-certified-copy.xml
printf '%%PDF-1.4\n%% ket qua giai quyet TTHC\n' >ketqua.pdf
TSA=(--tsa-key pki/tsa.key --tsa-cert pki/tsa.pem)

# seal OUT KEYNAME [SEAL OPTIONS...]: a package signed by pki/KEYNAME
seal() {
	local out=$1 who=$2; shift 2
	"$KHO" seal --key "pki/$who.key" --cert "pki/$who.pem" --record "$rec" -o "$out" "$@" ketqua.pdf \
		>seal.log 2>&1 || { echo "seal $out failed:"; cat seal.log; }
}
# expect DESCRIPTION STATUS VERDICT-REGEX PKG [VERIFY OPTIONS...]
expect() {
	local d=$1 st=$2 re=$3 pkg=$4; shift 4
	check_exit "$d: exit $st" "$st" "$KHO" verify --trust pki/trust.pem "$@" "$pkg"
	check_grep "$d: verdict line" "^kho verify: $re" check.err
	check_grep "$d: report" "$re" check.out
}

# ---- passing signatures ----
seal good.asice signer "${TSA[@]}" --crl pki/crls.pem
expect "RSA PKCS#1 v1.5" 0 'TOTAL-PASSED' good.asice
check_grep "  ... level B-LT" 'CAdES-BASELINE-LT' check.out
check_grep "  ... POE from the timestamp" 'proof of existence from a timestamp' check.out
check_grep "  ... record in the report" '000\.31\.20\.H55-250314-0007-KQ1' check.out
check_grep "  ... both objects ok" 'ok +record\.xml' check.out
check_nogrep "  ... no warning with the CRLs embedded" 'Warning' check.out
seal pss.asice signer "${TSA[@]}" --crl pki/crls.pem --pss
expect "RSASSA-PSS" 0 'TOTAL-PASSED' pss.asice
check_grep "  ... reports PSS" 'RSASSA-PSS' check.out
seal ecdsa.asice ecdsa-signer "${TSA[@]}" --crl pki/crls.pem
expect "ECDSA P-256" 0 'TOTAL-PASSED' ecdsa.asice
check_grep "  ... reports ECDSA" 'with ECDSA' check.out

# ---- integrity ----
echo "a different result" >changed.pdf
"$TAMPER" good.asice hash.asice --replace ketqua.pdf changed.pdf
expect "data object changed" 1 'TOTAL-FAILED/HASH_FAILURE' hash.asice
check_grep "  ... names the object" 'HASH_FAILURE: ketqua\.pdf does not match its digest' check.err
"$TAMPER" good.asice flip.asice --flip ketqua.pdf
expect "one bit flipped" 1 'TOTAL-FAILED/HASH_FAILURE' flip.asice

unzip -p good.asice META-INF/ASiCManifest001.xml | sed 's#MimeType="application/pdf"#MimeType="application/x-pdf"#' >edited.xml
check "the edited manifest differs" test -n "$(unzip -p good.asice META-INF/ASiCManifest001.xml | cmp - edited.xml 2>&1)"
"$TAMPER" good.asice sigcrypto.asice --replace META-INF/ASiCManifest001.xml edited.xml
expect "manifest edited after signing" 1 'TOTAL-FAILED/SIG_CRYPTO_FAILURE' sigcrypto.asice

"$TAMPER" good.asice removed.asice --remove ketqua.pdf
expect "object removed" 2 'INDETERMINATE/SIGNED_DATA_NOT_FOUND' removed.asice
check_grep "  ... names it" 'ketqua\.pdf is listed in the signed manifest but absent' check.err
"$TAMPER" good.asice both.asice --remove ketqua.pdf --flip record.xml
expect "missing beats broken (DSS removedReference)" 2 'INDETERMINATE/SIGNED_DATA_NOT_FOUND' both.asice
check_grep "  ... the broken one is reported too" 'record\.xml does not match its digest' check.out

echo "not part of the result" >extra.txt
"$TAMPER" good.asice extra.asice --add extra.txt extra.txt
expect "unsigned extra object" 0 'TOTAL-PASSED' extra.asice
check_grep "  ... reported as unsigned" 'unsigned object.*extra\.txt' check.out

# ---- trust ----
check_exit "another PKI's trust anchor: exit 2" 2 "$KHO" verify --trust other/trust.pem good.asice
check_grep "  ... NO_CERTIFICATE_CHAIN_FOUND" '^kho verify: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND' check.err
check_exit "the issuing CA as anchor (partial chain)" 0 "$KHO" verify --trust pki/ca.pem good.asice

# ---- revocation and time ----
seal revoked.asice revoked-signer "${TSA[@]}" --crl pki/crls.pem
expect "revoked signer sealed now" 1 'TOTAL-FAILED/REVOKED' revoked.asice
check_grep "  ... says when and why" 'revoked on .*keyCompromise' check.err
KHO_NOW=$(ago $((20 * DAY))) seal revoked20.asice revoked-signer "${TSA[@]}" --crl pki/crls.pem
expect "revoked signer, timestamp 20 days ago, before the revocation" 0 'TOTAL-PASSED' revoked20.asice \
	--crl pki/crls.pem
check_grep "  ... explains it was good then" 'good at that time' check.out
# The TSA's own certificate (RFC 3161 section 4; found by review: none of
# these were checked). A CRL of the issuing CA revokes the TSA certificate
# now: for a key compromise every token it signed is void, so the token of
# 20 days ago no longer proves the signature existed before the signer's
# revocation; for cessationOfOperation the tokens made before stay good.
tsa_crl() { # tsa_crl REASON OUT: a CRL of the issuing CA revoking the TSA
	rm -rf tca && mkdir tca && : >tca/index.txt && echo 01 >tca/crlnumber
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=tca/index.txt\ncrlnumber=tca/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n' >tca/ca.cnf
	openssl ca -config tca/ca.cnf -keyfile pki/ca.key -cert pki/ca.pem -revoke pki/tsa.pem \
		-crl_reason "$1" >/dev/null 2>&1 &&
		openssl ca -config tca/ca.cnf -keyfile pki/ca.key -cert pki/ca.pem -gencrl -out "$2" >/dev/null 2>&1
}
check "a CRL revoking the TSA (keyCompromise)" tsa_crl keyCompromise tsa-kc.crl
expect "revoked signer, token of a TSA since revoked for key compromise" 2 'INDETERMINATE/REVOKED_NO_POE' \
	revoked20.asice --crl pki/crls.pem --crl tsa-kc.crl
check_grep "  ... says the token is void" 'TSA certificate .* was revoked on .*keyCompromise.*RFC 3161' check.out
check "a CRL revoking the TSA (cessationOfOperation)" tsa_crl cessationOfOperation tsa-co.crl
expect "revoked signer, token made before the TSA ceased operation" 0 'TOTAL-PASSED' revoked20.asice \
	--crl pki/crls.pem --crl tsa-co.crl
# certificateHold keeps none of its tokens: the reason says "all its"
# (found by review: it said "its later" while the earlier token was refused).
check "a CRL holding the TSA (certificateHold)" tsa_crl certificateHold tsa-hold.crl
expect "revoked signer, token of a TSA on hold" 2 'INDETERMINATE/REVOKED_NO_POE' revoked20.asice \
	--crl pki/crls.pem --crl tsa-hold.crl
check_grep "  ... saying all its tokens are void" 'certificateHold\), which voids all its tokens' check.out
# A token whose time lies before its TSA certificate was issued: a TSA
# certificate made now, its token dated 20 days ago.
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >newtsa.ext
openssl req -new -newkey rsa:2048 -nodes -keyout newtsa.key -subj "/CN=kho Test TSA (new)" -out newtsa.csr \
	>/dev/null 2>&1
openssl x509 -req -in newtsa.csr -CA pki/ca.pem -CAkey pki/ca.key -CAcreateserial -days 365 -sha256 \
	-extfile newtsa.ext -out newtsa.pem >/dev/null 2>&1
cat pki/ca.pem >>newtsa.pem
KHO_NOW=$(ago $((20 * DAY))) seal backdated.asice revoked-signer --tsa-key newtsa.key --tsa-cert newtsa.pem \
	--crl pki/crls.pem
expect "revoked signer, token dated before its TSA certificate" 2 'INDETERMINATE/REVOKED_NO_POE' \
	backdated.asice --crl pki/crls.pem
check_grep "  ... says why" 'outside the TSA certificate.s validity' check.out
# A certificate whose extendedKeyUsage allows only timestamping (the TSA's)
# does not sign documents (RFC 5280 4.2.1.12; found by review: it passed).
seal tsasigned.asice tsa "${TSA[@]}" --crl pki/crls.pem
expect "signed with the TSA's certificate" 2 'INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE' tsasigned.asice
check_grep "  ... says why" 'extendedKeyUsage allows only timestamping' check.out
seal revokednots.asice revoked-signer --no-timestamp --crl pki/crls.pem
expect "revoked signer, no timestamp" 2 'INDETERMINATE/REVOKED_NO_POE' revokednots.asice

# Sealed two years ago: with a record issued before then (kho seal refuses
# a record issued or received after the sealing day).
sed -e "s/2025-03-14/$(ago $((800 * DAY)) | cut -c1-10)/g" \
	-e "s/250314/$(date -u -d "@$((now - 800 * DAY))" +%y%m%d)/g" "$rec" > rec-old.xml
rec=rec-old.xml KHO_NOW=$(ago $((730 * DAY))) seal expired.asice expired-signer "${TSA[@]}" --crl pki/crls.pem
expect "expired signer, timestamp 2 years ago" 0 'TOTAL-PASSED' expired.asice
rec=rec-old.xml KHO_NOW=$(ago $((730 * DAY))) seal expirednots.asice expired-signer --no-timestamp --crl pki/crls.pem
expect "expired signer, no timestamp" 2 'INDETERMINATE/OUT_OF_BOUNDS_NO_POE' expirednots.asice
check_grep "  ... says it expired" 'expired on' check.err

seal order.asice signer "${TSA[@]}" --signing-time "$(date -u -d "@$((now + 3600))" +%Y-%m-%dT%H:%M:%SZ)"
expect "signing-time after the timestamp" 2 'INDETERMINATE/TIMESTAMP_ORDER_FAILURE' order.asice

seal sha1.asice signer "${TSA[@]}" --crl pki/crls.pem --digest sha1
expect "SHA-1 digest" 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE' sha1.asice
check_grep "  ... names SHA-1" 'SHA1' check.err
seal weak.asice weak-signer "${TSA[@]}" --crl pki/crls.pem
expect "RSA-1024 signer" 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE' weak.asice
check_grep "  ... names the key size" '1024 bits' check.err

# --at: the expired signer's package validated in the past, when the
# certificate was valid: passes even without a timestamp.
expect "--at in the past, during the certificate's life" 0 'TOTAL-PASSED' expirednots.asice \
	--at "$(ago $((700 * DAY)))"
check_grep "  ... the validation time is the one asked" "Validation time: +$(ago $((700 * DAY)) | cut -c1-10)" check.out
# --at before the signer certificate existed: NOT_YET_VALID
expect "--at before the certificate's validity" 1 'TOTAL-FAILED/NOT_YET_VALID' good.asice \
	--at "$(ago $((5 * 365 * DAY)))"

# ---- formats ----
check_exit "JSON report" 1 "$KHO" verify --trust pki/trust.pem --format json hash.asice
cp check.out hash.json
check "  ... is JSON (python3 json.tool)" python3 -m json.tool hash.json
check "  ... package indication" python3 -c '
import json,sys; r=json.load(open("hash.json"))
assert r["indication"]=="TOTAL-FAILED" and r["sub_indication"]=="HASH_FAILURE", r["indication"]
s=r["signatures"][0]
assert s["sub_indication"]=="HASH_FAILURE"
assert {o["name"]:o["state"] for o in s["objects"]}=={"ketqua.pdf":"hash-failure","record.xml":"ok"}
assert s["best_signature_time_source"]=="timestamp" and s["timestamps"][0]["imprint_ok"] is True
assert r["record"]["result_code"]=="000.31.20.H55-250314-0007-KQ1"
assert "subject_id" not in r["record"] and r["record"]["subject_id_masked"].count("*")==6'
check_exit "XML report" 0 "$KHO" verify --trust pki/trust.pem --format xml good.asice
cp check.out good.xml
check "  ... well-formed (xmllint)" xmllint --noout good.xml
check_grep "  ... ETSI TS 119 102-2 namespace" 'xmlns:vr="http://uri.etsi.org/19102/v1.4.1#"' good.xml
check "  ... MainIndication total-passed" test "$(xmllint --xpath \
	'string(//*[local-name()="SignatureValidationStatus"]/*[local-name()="MainIndication"])' good.xml)" \
	= "urn:etsi:019102:mainindication:total-passed"
check "  ... every VOReference names a ValidationObject; one SignersDocument with a DigestValue (found by review)" \
	python3 -c '
import re, sys
s = open("good.xml").read()
ids = set(re.findall(r" id=\"([^\"]+)\"", s))
refs = " ".join(re.findall(r"VOReference=\"([^\"]+)\"", s)).split()
assert refs and all(r in ids for r in refs), refs
assert s.count("<vr:SignersDocument>") == s.count("<vr:SignatureValidationReport>") == 1
assert re.search(r"<ds:DigestValue>[A-Za-z0-9+/=]{44}</ds:DigestValue>", s)'
check_exit "XML report of a failure" 1 "$KHO" verify --trust pki/trust.pem --format xml hash.asice
cp check.out hash.xml
check "  ... well-formed" xmllint --noout hash.xml
check "  ... SubIndication HASH_FAILURE" test "$(xmllint --xpath \
	'string(//*[local-name()="SubIndication"])' hash.xml)" = "urn:etsi:019102:subindication:HASH_FAILURE"
check "  ... POETime present" test -n "$(xmllint --xpath 'string(//*[local-name()="POETime"])' hash.xml)"

# ---- command line ----
check_exit "--help" 0 "$KHO" verify --help
check_grep "  ... documents the exit statuses" 'INDETERMINATE' check.out
check_exit "no --trust is a usage error" 3 "$KHO" verify good.asice
check_exit "bad --format" 3 "$KHO" verify --trust pki/trust.pem --format yaml good.asice
check_exit "bad --at" 3 "$KHO" verify --trust pki/trust.pem --at yesterday good.asice
check_exit "two packages" 3 "$KHO" verify --trust pki/trust.pem good.asice good.asice
check_exit "missing package: I/O" 4 "$KHO" verify --trust pki/trust.pem nothing.asice
check_grep "  ... one-line reason" '^kho verify: .*nothing\.asice' check.err
check_exit "missing trust file: I/O" 4 "$KHO" verify --trust nothing.pem good.asice
check_exit "unreadable --crl: I/O" 4 "$KHO" verify --trust pki/trust.pem --crl nothing.crl good.asice
check_exit "inspect" 0 "$KHO" inspect good.asice
check_grep "  ... lists entries" 'META-INF/signature001\.p7s' check.out
check_grep "  ... lists manifest digests" 'value +[A-Za-z0-9+/]+=' check.out
check_grep "  ... shows the record" 'result code +000\.31\.20\.H55' check.out
check_exit "inspect a missing file" 1 "$KHO" inspect nothing.asice
finish
