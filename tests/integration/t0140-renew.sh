#!/usr/bin/env bash
# t0140-renew.sh: archive timestamps (B-LTA). A package sealed now stops
# verifying once the certificate of the TSA that stamped it expires (the
# test PKI's TSA: 10 years); `kho renew` before that, with a TSA valid then,
# keeps it verifying: the verifier checks the earlier token at the time the
# archive timestamp proves it existed. Renewed twice, the chain is followed
# back through both. Tampering after a renewal is still caught; a renewal
# too late (the package no longer verifies) is refused and writes nothing;
# the archive token verifies with `openssl ts -verify`; the usage errors.
source "$ROOT/tests/integration/lib.sh"

"$KHO" pki init pki >/dev/null || { echo "pki init failed"; exit 1; }
KHO_NOW=2035-06-01T00:00:00Z "$KHO" pki init pki35 >/dev/null || { echo "pki35 failed"; exit 1; }
KHO_NOW=2044-06-01T00:00:00Z "$KHO" pki init pki44 >/dev/null || { echo "pki44 failed"; exit 1; }
cat pki/trust.pem pki35/trust.pem pki44/trust.pem > trust.pem
head -c 4000 /dev/urandom > ketqua.pdf
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
	--crl pki/crls.pem --record "$ROOT/testdata/records/ct01-certified-copy.xml" -o a.asice ketqua.pdf ||
	echo "seal failed"
TSA_END=$(date -u -d "$(openssl x509 -in pki/tsa.pem -noout -enddate | cut -d= -f2)" +%Y)
V() { "$KHO" verify --trust trust.pem --crl pki/crls.pem "$@"; }

check_exit "sealed now: passes in 2030" 0 V --at 2030-01-01T00:00:00Z a.asice
check_exit "... but not in 2040, after its TSA certificate expired ($TSA_END)" 2 V --at 2040-01-01T00:00:00Z a.asice
check_grep "... INDETERMINATE/OUT_OF_BOUNDS_NO_POE" 'OUT_OF_BOUNDS_NO_POE' check.err

# ---- the first renewal, in 2035, by a TSA valid then ----
export KHO_NOW=2035-06-01T00:00:00Z
check_exit "kho renew in 2035" 0 "$KHO" renew --trust trust.pem --crl pki/crls.pem \
	--tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o b.asice a.asice
unset KHO_NOW
check "... adds an archive manifest and its token, keeps every file" \
	test "$(unzip -Z1 b.asice | tr '\n' ' ')" = "mimetype ketqua.pdf record.xml META-INF/ASiCManifest001.xml META-INF/signature001.p7s META-INF/ASiCArchiveManifest.xml META-INF/timestamp001.tst "
for f in ketqua.pdf record.xml META-INF/ASiCManifest001.xml META-INF/signature001.p7s; do
	check "... $f byte for byte" cmp <(unzip -p a.asice "$f") <(unzip -p b.asice "$f")
done
check "... mimetype still first, stored, at byte 38" \
	test "$(dd if=b.asice bs=1 skip=38 count=31 status=none)" = application/vnd.etsi.asic-e+zip
check_grep "... the manifest lists every earlier file and names its token" \
	'SigReference URI="META-INF/timestamp001.tst" MimeType="application/vnd.etsi.timestamp-token"' \
	<(unzip -p b.asice META-INF/ASiCArchiveManifest.xml)
check "... listing the four files" \
	test "$(unzip -p b.asice META-INF/ASiCArchiveManifest.xml | grep -c DataObjectReference)" = 8
check_exit "renewed: passes in 2040" 0 V --at 2040-01-01T00:00:00Z --format json b.asice
cp check.out b2040.json
check "... at the LTA level" test "$(jq -r '.signatures[0].level' b2040.json)" = CAdES-BASELINE-LTA
check_grep "... saying when the expired TSA was checked" \
	'was at 2035-06-01T00:00:00Z, when the archive timestamp META-INF/timestamp001.tst proves the signature existed' b2040.json
check_exit "... and in 2030 as before" 0 V --at 2030-01-01T00:00:00Z b.asice
check_exit "... and in 2033, before its renewal" 0 V --at 2033-01-01T00:00:00Z --format json b.asice
cp check.out b2033.json
check "... where the 2035 archive timestamp is not used (found by review: it gave LTA)" \
	test "$(jq -r '.signatures[0].level + " " + (.timestamps[0].accepted|tostring)' b2033.json)" = "CAdES-BASELINE-LT false"
check_grep "... saying why" 'timestamp001.tst over META-INF/ASiCArchiveManifest.xml: not accepted: its time \(2035-06-01T00:00:00Z\) is after the validation time' b2033.json
check_exit "... not in 2050, once the 2035 TSA certificate has expired too" 2 V --at 2050-01-01T00:00:00Z b.asice
# The first TSA's key compromised before the renewal: every token it made is
# void, and the report says so, not only that its certificate has expired
# (found by review, 2026-12-08: the reason at the renewal's time was dropped).
mkdir -p tca && : > tca/index.txt && echo 01 > tca/crlnumber
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=tca/index.txt\ncrlnumber=tca/crlnumber\ndefault_md=sha256\ndefault_crl_days=7000\n' > tca/ca.cnf
openssl ca -config tca/ca.cnf -keyfile pki/ca.key -cert pki/ca.pem -revoke pki/tsa.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config tca/ca.cnf -keyfile pki/ca.key -cert pki/ca.pem -gencrl -out tsa-kc.crl >/dev/null 2>&1
check_exit "the first TSA's key compromised: INDETERMINATE in 2040 despite the renewal" 2 \
	V --crl tsa-kc.crl --at 2040-01-01T00:00:00Z b.asice
check_grep "... saying why at the renewal's time" 'at 2035-06-01T00:00:00Z, when the archive timestamp META-INF/timestamp001.tst proves the signature existed, the signature timestamp was not accepted either: .*keyCompromise' check.out

# ---- the second renewal, in 2044 ----
export KHO_NOW=2044-06-01T00:00:00Z
check_exit "kho renew again in 2044" 0 "$KHO" renew --trust trust.pem --crl pki/crls.pem \
	--tsa-key pki44/tsa.key --tsa-cert pki44/tsa.pem -o c.asice b.asice
unset KHO_NOW
check "... the earlier archive manifest renamed, the new one listing it" \
	sh -c "unzip -Z1 c.asice | grep -qx META-INF/ASiCArchiveManifest001.xml && unzip -Z1 c.asice | grep -qx META-INF/timestamp002.tst && unzip -p c.asice META-INF/ASiCArchiveManifest.xml | grep -q 'URI=\"META-INF/ASiCArchiveManifest001.xml\"'"
check "... whose bytes are the first manifest's" \
	cmp <(unzip -p b.asice META-INF/ASiCArchiveManifest.xml) <(unzip -p c.asice META-INF/ASiCArchiveManifest001.xml)
check_exit "renewed twice: passes in 2050, through both archive timestamps" 0 V --at 2050-01-01T00:00:00Z --format json c.asice
check_grep "... the first one checked at the second one's time" \
	'META-INF/timestamp001.tst: its TSA certificate is not valid at the validation time; it was at 2044-06-01T00:00:00Z, when META-INF/timestamp002.tst proves the token existed' check.out

# ---- tampering after a renewal ----
mkdir t && (cd t && unzip -q ../c.asice && printf 'x' >> ketqua.pdf && rm -f ../d.asice &&
	zip -q -X -0 ../d.asice mimetype && zip -q -X -r ../d.asice . -x mimetype)
check_exit "a data object changed after the renewals: TOTAL-FAILED" 1 V --at 2050-01-01T00:00:00Z d.asice
check_grep "... HASH_FAILURE" 'HASH_FAILURE' check.err
rm -rf t; mkdir t && (cd t && unzip -q ../c.asice &&
	sed -i 's|<ds:DigestValue>[^<]*</ds:DigestValue>|<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>|' META-INF/ASiCArchiveManifest001.xml &&
	rm -f ../e.asice && zip -q -X -0 ../e.asice mimetype && zip -q -X -r ../e.asice . -x mimetype)
V --at 2050-01-01T00:00:00Z e.asice >/dev/null 2>e.err; st=$?
check "the first archive manifest altered: no longer passes in 2050 (exit $st)" test "$st" -ne 0

# ---- refusals ----
export KHO_NOW=2037-01-01T00:00:00Z
check_exit "a renewal too late (the TSA certificate expired in $TSA_END): refused" 1 "$KHO" renew \
	--trust trust.pem --crl pki/crls.pem --tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o late.asice a.asice
check_grep "... saying the package does not verify now" 'a.asice does not verify now: INDETERMINATE' check.err
check "... and writing nothing" test ! -e late.asice
unset KHO_NOW
check_exit "a tampered package is not renewed" 1 "$KHO" renew --trust trust.pem --crl pki/crls.pem \
	--tsa-key pki/tsa.key --tsa-cert pki/tsa.pem -o x.asice d.asice
check "... nothing written" test ! -e x.asice
check_exit "-o the package itself: usage" 3 "$KHO" renew --trust trust.pem --tsa-key pki/tsa.key \
	--tsa-cert pki/tsa.pem -o a.asice a.asice
check_exit "no --trust: usage" 3 "$KHO" renew --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem -o x.asice a.asice
check_exit "two TSAs: usage" 3 "$KHO" renew --trust trust.pem --tsa-key pki/tsa.key \
	--tsa-cert pki/tsa.pem --tsa-url http://127.0.0.1:9/ -o x.asice a.asice
check_exit "a TSA certificate without the timeStamping purpose: failure (5), not usage" 5 "$KHO" renew \
	--trust trust.pem --tsa-key pki/signer.key --tsa-cert pki/signer.pem -o x.asice a.asice
check_exit "kho renew --help" 0 "$KHO" renew --help
check_grep "... says to renew before the TSA certificate expires" 'Renew BEFORE that certificate expires' check.out

# ---- an unsigned extra file stays unsigned after a renewal ----
# (the archive manifest lists every file; it proves they existed, not that
# anyone signed them: found by review)
mkdir u && (cd u && unzip -q ../a.asice && head -c 500 /dev/urandom > phuluc.pdf && rm -f ../u.asice &&
	zip -q -X -0 ../u.asice mimetype && zip -q -X -r ../u.asice . -x mimetype)
check_exit "a package with an unsigned extra file verifies" 0 V --format json u.asice
check "... listing it as unsigned" test "$(jq -c .unsigned_objects check.out)" = '["phuluc.pdf"]'
check_exit "renewed (in 2035)" 0 env KHO_NOW=2035-06-01T00:00:00Z "$KHO" renew --trust trust.pem \
	--crl pki/crls.pem --tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o u2.asice u.asice
check_exit "... it still verifies" 0 V --at 2036-01-01T00:00:00Z --format json u2.asice
check "... and still lists the file as unsigned" test "$(jq -c .unsigned_objects check.out)" = '["phuluc.pdf"]'

# ---- renewals that would prove nothing (found by review, 2026-12-08:
# each gave exit 0 and a file that lapsed as if never renewed) ----
"$KHO" pki init other >/dev/null || echo "pki other failed"
check_exit "a renewal by a TSA the trust anchors do not know: refused" 1 "$KHO" renew \
	--trust trust.pem --crl pki/crls.pem --tsa-key other/tsa.key --tsa-cert other/tsa.pem \
	-o untrusted.asice a.asice
check_grep "... saying its archive timestamp does not stand" \
	'new archive timestamp META-INF/timestamp001.tst does not stand as a proof of existence' check.err
check "... and nothing is written" test ! -e untrusted.asice
# A TSA whose certificate its CA revoked (key compromise) before the token:
# the refusal gives the verifier's reason, not a guess (found by review: it
# said "its TSA is not trusted, or its certificate is not valid at the
# token's time").
mkdir -p rca && : > rca/index.txt && echo 01 > rca/crlnumber
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=rca/index.txt\ncrlnumber=rca/crlnumber\ndefault_md=sha256\ndefault_crl_days=7000\n' > rca/ca.cnf
openssl ca -config rca/ca.cnf -keyfile pki35/ca.key -cert pki35/ca.pem -revoke pki35/tsa.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config rca/ca.cnf -keyfile pki35/ca.key -cert pki35/ca.pem -gencrl -out tsa35-kc.crl >/dev/null 2>&1
check_exit "a renewal by a revoked TSA: refused" 1 env KHO_NOW=2035-06-01T00:00:00Z "$KHO" renew \
	--trust trust.pem --crl pki/crls.pem --crl tsa35-kc.crl --tsa-key pki35/tsa.key \
	--tsa-cert pki35/tsa.pem -o revoked.asice a.asice
check_grep "... naming the revocation as the cause" \
	'timestamp001.tst does not stand as a proof of existence now: the TSA certificate .* was revoked on .* \(keyCompromise\)' check.err
check_nogrep "... not a guessed one" 'not trusted|not valid at the token' check.err
check "... nothing written" test ! -e revoked.asice
check_exit "a renewal in 2029 by a TSA whose certificate starts in 2035: refused" 1 env \
	KHO_NOW=2029-12-01T00:00:00Z "$KHO" renew --trust trust.pem --crl pki/crls.pem \
	--tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o early.asice a.asice
check "... nothing written" test ! -e early.asice
check_exit "a renewal now by the TSA that stamped it (no longer evidence): refused" 1 "$KHO" renew \
	--trust trust.pem --crl pki/crls.pem --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
	-o now.asice a.asice
check_grep "... saying it would not extend the evidence" 'would not extend the package.s evidence' check.err
check "... nothing written" test ! -e now.asice

# A TSA whose clock runs a little ahead of ours: its token is "after now"
# by a minute, which a validation "now" tolerates (VR_CLOCK_SKEW), and one
# at an explicit --at does not (found by review, 2026-12-08: every renewal
# through an external TSA a second ahead failed).
AHEAD=$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%SZ)
KHO_NOW=$AHEAD "$KHO" pki init pkiahead >/dev/null || echo "pki ahead failed"
cat trust.pem pkiahead/trust.pem > trust-ahead.pem
check_exit "a renewal by a TSA a minute ahead of the verifier's clock" 0 env KHO_NOW=$AHEAD "$KHO" renew \
	--trust trust-ahead.pem --crl pki/crls.pem --tsa-key pkiahead/tsa.key --tsa-cert pkiahead/tsa.pem \
	-o ahead.asice a.asice
check_exit "... verifies now" 0 "$KHO" verify --trust trust-ahead.pem --crl pki/crls.pem --format json ahead.asice
check "... its archive timestamp used (LTA)" test "$(jq -r '.signatures[0].level' check.out)" = CAdES-BASELINE-LTA
check_exit "... but not at an explicit time before the token" 0 "$KHO" verify --trust trust-ahead.pem \
	--crl pki/crls.pem --at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --format json ahead.asice
check "... where it is not used" test "$(jq -r '.signatures[0].level' check.out)" = CAdES-BASELINE-LT

# ---- the archive token, by a tool nobody here wrote ----
unzip -p b.asice META-INF/ASiCArchiveManifest.xml > am.xml
unzip -p b.asice META-INF/timestamp001.tst > am.tst
check "openssl ts -verify accepts the archive token over the manifest's bytes (at its time)" \
	openssl ts -verify -data am.xml -in am.tst -token_in -CAfile pki35/trust.pem \
	-untrusted pki35/tsa.pem -attime "$(date -u -d 2035-07-01 +%s)"
check_exit "kho inspect lists the archive manifest" 0 "$KHO" inspect b.asice
check_grep "... with its token" 'ASiCArchiveManifest.xml' check.out
# A scan over 1 MiB, stored (not deflated) as scanners' JPEG and PDF files
# usually are in packages made by other tools: renewable (found by review:
# read from memory it was taken for a compression bomb and refused).
head -c 2097152 /dev/urandom > scan.jpg
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
	--crl pki/crls.pem --record "$ROOT/testdata/records/ht01-birth-registration.xml" -o big.asice scan.jpg ||
	echo "seal of the scan failed"
# Rewrite the container with the scan STORED (zip -0), the way other tools write it.
rm -rf bigx && mkdir bigx && (cd bigx && unzip -q ../big.asice && rm -f ../big0.asice &&
	zip -q -X -0 ../big0.asice mimetype && zip -q -X -0 -r ../big0.asice . -x mimetype)
check "the rewritten package stores the scan" sh -c "unzip -v big0.asice | grep -q ' Stored .*scan.jpg'"
check_exit "... and verifies" 0 V big0.asice
export KHO_NOW=2035-06-01T00:00:00Z
check_exit "a package with a stored 2 MiB scan is renewed" 0 "$KHO" renew --trust trust.pem \
	--crl pki/crls.pem --tsa-key pki35/tsa.key --tsa-cert pki35/tsa.pem -o big1.asice big0.asice
unset KHO_NOW
check_exit "... and the renewal passes in 2040" 0 V --at 2040-01-01T00:00:00Z big1.asice
finish
