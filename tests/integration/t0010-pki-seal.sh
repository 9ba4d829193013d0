#!/usr/bin/env bash
# t0010-pki-seal.sh: `kho pki init` makes a test PKI that OpenSSL accepts, and
# `kho seal` makes ASiC-E packages that tools nobody here wrote accept:
# unzip, dd (mimetype at byte 30), openssl cms -verify, GnuTLS certtool
# --p7-verify, openssl cms -cmsout -print (signing-certificate-v2, the
# timestamp attribute, OCSP as RevocationInfoChoice other) and openssl ts
# -verify on the token taken out of the signature. For RSA, RSASSA-PSS and
# ECDSA signers. Then the CLI's refusals and exit statuses.
source "$ROOT/tests/integration/lib.sh"

# ---- kho pki ----
check_exit "pki --help exits 0" 0 "$KHO" pki --help
check_grep "pki --help lists the files" 'revoked-signer' check.out
check_exit "pki init" 0 "$KHO" pki init pki
for f in root.key root.pem ca.key ca.pem trust.pem signer.key signer.pem ecdsa-signer.key \
         ecdsa-signer.pem tsa.key tsa.pem revoked-signer.key revoked-signer.pem \
         expired-signer.key expired-signer.pem weak-signer.key weak-signer.pem ca.crl root.crl \
         crls.pem; do
	check "pki wrote $f" test -s "pki/$f"
	check_grep "README.txt documents $f" "^$f" pki/README.txt
done
check "pki wrote README.txt" test -s pki/README.txt
check "keys are 0600" test "$(stat -c %a pki/signer.key pki/root.key pki/tsa.key | sort -u)" = 600
check_exit "pki init refuses a non-empty directory" 3 "$KHO" pki init pki
check_grep "  ... and says why" 'not empty' check.err
check "chains verify with openssl" openssl verify -CAfile pki/trust.pem -untrusted pki/ca.pem \
	pki/signer.pem pki/ecdsa-signer.pem pki/tsa.pem pki/weak-signer.pem pki/revoked-signer.pem
check "signer is valid with the CRLs" openssl verify -crl_check -CRLfile pki/crls.pem \
	-CAfile pki/trust.pem -untrusted pki/ca.pem pki/signer.pem
openssl verify -crl_check -CRLfile pki/crls.pem -CAfile pki/trust.pem -untrusted pki/ca.pem \
	pki/revoked-signer.pem >revoked.out 2>&1
check_grep "revoked-signer is revoked per ca.crl" 'certificate revoked' revoked.out
openssl verify -CAfile pki/trust.pem -untrusted pki/ca.pem pki/expired-signer.pem >expired.out 2>&1
check_grep "expired-signer has expired" 'certificate has expired' expired.out
openssl x509 -in pki/tsa.pem -noout -ext extendedKeyUsage >eku.out 2>&1
check_grep "TSA has critical EKU timeStamping" 'critical' eku.out
check_grep "  ... timeStamping" 'Time Stamping' eku.out
openssl x509 -in pki/weak-signer.pem -noout -text >weak.out
check_grep "weak signer is RSA-1024" '1024 bit' weak.out
openssl x509 -in pki/signer.pem -noout -subject -nameopt utf8,sep_comma_plus >subj.out
check_grep "signer name is UTF-8 Vietnamese" 'UBND xã Tân Phong' subj.out
openssl crl -in pki/ca.crl -noout -text >crl.out
check_grep "ca.crl has a CRL number" 'CRL Number' crl.out
check_grep "ca.crl says keyCompromise" 'Key Compromise' crl.out
# (Each init makes nine RSA keys: two inits in all keep the test quick.)
mkdir pki2020 && echo old >pki2020/signer.pem
check_exit "pki init refuses another non-empty directory" 3 "$KHO" pki init pki2020
check_exit "pki init --force overwrites" 0 env KHO_NOW=2020-06-15T10:00:00Z "$KHO" pki init --force pki2020
openssl x509 -in pki2020/signer.pem -noout -startdate >start.out 2>&1
check_grep "KHO_NOW moves the PKI in time (signer from now-1y)" 'Jun 15 10:00:00 2019 GMT' start.out
check_exit "pki without init is a usage error" 3 "$KHO" pki frobnicate x

# ---- the result to seal ----
printf '%%PDF-1.4\n%% ket qua giai quyet TTHC\n' >ketqua.pdf
printf 'scan\r\nwith CRLF\r\n' >"trang 1.txt"
rec=
for r in "$ROOT"/testdata/records/*.xml; do [ -f "$r" ] && { rec=$r; break; }; done
if [ -z "$rec" ]; then
	rec=record.xml
	cat >record.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:kho:record:1">
  <resultCode>000.00.20.H30-250314-0007-KQ1</resultCode>
  <dossierCode>000.00.20.H30-250314-0007</dossierCode>
  <procedureCode>2.000815</procedureCode>
  <agencyCode>000.00.20.H30</agencyCode>
  <resultType>certified-copy</resultType>
  <numberSymbol>123/CT</numberSymbol>
  <subject kind="citizen"><id>001099012345</id><name>Nguyễn Văn A</name></subject>
  <title>Bản sao chứng thực từ bản chính</title>
  <issueDate>2025-03-14</issueDate>
  <signer>Trần Thị B</signer>
  <validFrom>2025-03-14</validFrom>
  <language>vi</language>
</record>
EOF
fi

# extract_token SIG OUT-TOKEN OUT-SIGVALUE: the signature-time-stamp token (the
# attribute value after OID 1.2.840.113549.1.9.16.2.14) and the SignerInfo's
# signature value (the OCTET STRING before the unsigned attributes), with
# openssl asn1parse and dd only.
extract_token() {
	local sig=$1 tok=$2 sv=$3 n line off hl l
	openssl asn1parse -inform DER -in "$sig" >asn1.txt || return 1
	n=$(grep -n 'id-smime-aa-timeStampToken' asn1.txt | head -n1 | cut -d: -f1)
	[ -n "$n" ] || return 1
	sed -n "$((n - 3))p" asn1.txt | grep -q 'OCTET STRING' || return 1
	sed -n "$((n - 3))p" asn1.txt | sed 's/.*\[HEX DUMP\]://' | xxd -r -p >"$sv"
	line=$(sed -n "$((n + 2))p" asn1.txt)
	off=$(echo "$line" | awk -F: '{print $1 + 0}')
	hl=$(echo "$line" | sed 's/.*hl= *\([0-9]*\).*/\1/')
	l=$(echo "$line" | sed 's/.* l= *\([0-9]*\).*/\1/')
	dd if="$sig" of="$tok" bs=1 skip="$off" count=$((hl + l)) 2>/dev/null
	[ -s "$tok" ] && [ -s "$sv" ]
}

# ---- seal and check, per key type ----
for kind in rsa pss ecdsa; do
	case $kind in
	rsa)   args=(--key pki/signer.key --cert pki/signer.pem) ;;
	pss)   args=(--key pki/signer.key --cert pki/signer.pem --pss) ;;
	ecdsa) args=(--key pki/ecdsa-signer.key --cert pki/ecdsa-signer.pem) ;;
	esac
	pkg=$kind.asice
	check_exit "$kind: seal" 0 "$KHO" seal "${args[@]}" --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem \
		--crl pki/crls.pem --record "$rec" -o "$pkg" ketqua.pdf "trang 1.txt"
	check "$kind: unzip -t" unzip -t "$pkg"
	check "$kind: 'mimetype' at byte 30" test "$(dd if="$pkg" bs=1 skip=30 count=8 2>/dev/null)" = mimetype
	check "$kind: media type at byte 38" \
		test "$(dd if="$pkg" bs=1 skip=38 count=31 2>/dev/null)" = application/vnd.etsi.asic-e+zip
	unzip -Z1 "$pkg" >names.out
	check "$kind: entry order" test "$(tr '\n' '|' <names.out)" = \
		"mimetype|ketqua.pdf|trang 1.txt|record.xml|META-INF/ASiCManifest001.xml|META-INF/signature001.p7s|"
	rm -rf x && unzip -q -o -d x "$pkg"
	check "$kind: files unchanged (CRLF kept)" cmp "trang 1.txt" "x/trang 1.txt"
	check_grep "$kind: manifest lists record.xml" 'URI="record.xml"' x/META-INF/ASiCManifest001.xml
	check "$kind: openssl cms -verify" openssl cms -verify -binary -inform DER \
		-in x/META-INF/signature001.p7s -content x/META-INF/ASiCManifest001.xml \
		-CAfile pki/trust.pem -purpose any -cades -out /dev/null
	check "$kind: GnuTLS certtool --p7-verify" certtool --p7-verify --inder \
		--infile x/META-INF/signature001.p7s --load-data x/META-INF/ASiCManifest001.xml \
		--load-ca-certificate pki/trust.pem
	openssl cms -cmsout -print -inform DER -in x/META-INF/signature001.p7s >print.out 2>&1
	check_grep "$kind: signing-certificate-v2" 'id-smime-aa-signingCertificateV2' print.out
	check_grep "$kind: timestamp attribute" 'id-smime-aa-timeStampToken' print.out
	check_nogrep "$kind: no SMIMECapabilities" 'SMIME Capabilities|S/MIME Capabilities' print.out
	check_grep "$kind: CRLs embedded" 'X509v3 CRL Reason Code' print.out
	case $kind in
	pss)   check_grep "pss: RSASSA-PSS" 'rsassaPss' print.out ;;
	ecdsa) check_grep "ecdsa: ECDSA" 'ecdsa-with-SHA256|id-ecPublicKey' print.out ;;
	esac
	check "$kind: token extracted" extract_token x/META-INF/signature001.p7s token.tst sigval.bin
	# The built-in TSA signs with RSA PKCS#1 v1.5, so openssl ts can verify it.
	check "$kind: openssl ts -verify of the token over the signature value" \
		openssl ts -verify -data sigval.bin -in token.tst -token_in -CAfile pki/trust.pem
	printf 'x' >>sigval.bin
	check_exit "$kind: ... and not over other bytes" 1 \
		openssl ts -verify -data sigval.bin -in token.tst -token_in -CAfile pki/trust.pem
	# One byte changed in the manifest: every verifier must refuse.
	sed -i 's/ketqua.pdf/ketqua.pdX/' x/META-INF/ASiCManifest001.xml
	check_exit "$kind: tampered manifest fails openssl cms" 4 openssl cms -verify -binary -inform DER \
		-in x/META-INF/signature001.p7s -content x/META-INF/ASiCManifest001.xml \
		-CAfile pki/trust.pem -purpose any -out /dev/null
	check_exit "$kind: tampered manifest fails certtool" 1 certtool --p7-verify --inder \
		--infile x/META-INF/signature001.p7s --load-data x/META-INF/ASiCManifest001.xml \
		--load-ca-certificate pki/trust.pem
done
check_exit "another trust anchor: certtool refuses" 1 certtool --p7-verify --inder \
	--infile x/META-INF/signature001.p7s --load-data x/META-INF/ASiCManifest001.xml \
	--load-ca-certificate pki2020/trust.pem

# ---- options ----
check_exit "seal --no-timestamp" 0 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--no-timestamp --record "$rec" -o bb.asice ketqua.pdf
rm -rf x && unzip -q -o -d x bb.asice
openssl cms -cmsout -print -inform DER -in x/META-INF/signature001.p7s >print.out 2>&1
check_nogrep "--no-timestamp: no timestamp attribute" 'id-smime-aa-timeStampToken' print.out

check_exit "seal --signing-time --digest sha384" 0 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --digest sha384 --signing-time 2026-01-02T03:04:05Z \
	--record "$rec" -o st.asice ketqua.pdf
rm -rf x && unzip -q -o -d x st.asice
openssl cms -cmsout -print -inform DER -in x/META-INF/signature001.p7s >print.out 2>&1
check_grep "--signing-time is the signed signing-time" 'UTCTIME:Jan  2 03:04:05 2026 GMT' print.out
check_grep "--digest sha384" 'sha384' print.out

KHO_NOW=2026-02-01T00:00:00Z "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--tsa-key pki/tsa.key --tsa-cert pki/tsa.pem --record "$rec" -o now.asice ketqua.pdf
rm -rf x && unzip -q -o -d x now.asice
extract_token x/META-INF/signature001.p7s token.tst sigval.bin
openssl ts -reply -in token.tst -token_in -token_out -text >tst.out 2>&1
check_grep "KHO_NOW backdates the built-in TSA" 'Time stamp: Feb  1 00:00:00 2026 GMT' tst.out
check_grep "token policy is the kho demo policy" 'Policy OID: 1.3.6.1.4.1.59999.1.1' tst.out
unzip -l now.asice >zl.out
check_grep "KHO_NOW sets the ZIP times" '2026-02-01' zl.out

# OCSP responses embedded as RevocationInfoChoice other (RFC 5940): a real
# response made by `openssl ocsp` for the signer.
serial=$(openssl x509 -in pki/signer.pem -noout -serial | cut -d= -f2)
end=$(date -u -d "$(openssl x509 -in pki/signer.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=signer\n' "$end" "$serial" >index.txt
openssl ocsp -issuer pki/ca.pem -cert pki/signer.pem -no_nonce -reqout ocspreq.der >/dev/null 2>&1
openssl ocsp -index index.txt -rsigner pki/ca.pem -rkey pki/ca.key -CA pki/ca.pem -reqin ocspreq.der \
	-respout ocsp.der -ndays 1 >/dev/null 2>&1
check "openssl ocsp made a response" test -s ocsp.der
check_exit "seal --ocsp" 0 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--tsa-key pki/tsa.key --tsa-cert pki/tsa.pem --crl pki/crls.pem --ocsp ocsp.der \
	--record "$rec" -o ocsp.asice ketqua.pdf
rm -rf x && unzip -q -o -d x ocsp.asice
openssl cms -cmsout -print -inform DER -in x/META-INF/signature001.p7s >print.out 2>&1
check_grep "OCSP response shown as d.other" 'd.other' print.out
check_grep "  ... with format id-ri-ocsp-response" 'otherRevInfoFormat: .*1\.3\.6\.1\.5\.5\.7\.16\.2' print.out
check "OCSP package verifies with openssl cms" openssl cms -verify -binary -inform DER \
	-in x/META-INF/signature001.p7s -content x/META-INF/ASiCManifest001.xml \
	-CAfile pki/trust.pem -purpose any -out /dev/null
check "OCSP package verifies with certtool" certtool --p7-verify --inder \
	--infile x/META-INF/signature001.p7s --load-data x/META-INF/ASiCManifest001.xml \
	--load-ca-certificate pki/trust.pem
check_exit "seal --ocsp with a non-OCSP file fails" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --ocsp ketqua.pdf --record "$rec" -o bad.asice ketqua.pdf

# ---- refusals and exit statuses ----
check_exit "seal --help exits 0" 0 "$KHO" seal --help
check_grep "seal --help says sha1 is test material only" 'sha1 exists ONLY' check.out
check_exit "seal without arguments: usage" 3 "$KHO" seal
check_grep "  ... one line 'kho seal: ...'" '^kho seal: ' check.err
check_exit "seal with two TSAs: usage" 3 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--no-timestamp --tsa-url http://127.0.0.1:1/ --record "$rec" -o u.asice ketqua.pdf
check_exit "seal --digest md5: usage" 3 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--no-timestamp --digest md5 --record "$rec" -o u.asice ketqua.pdf
check_exit "seal a missing file: I/O" 4 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--no-timestamp --record "$rec" -o u.asice nosuch.pdf
check_exit "seal into a missing directory: I/O" 4 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o nodir/u.asice ketqua.pdf
printf '<record xmlns="urn:kho:record:1"><resultCode>x</resultCode></record>' >bad-record.xml
check_exit "seal with a bad record: failure" 5 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--no-timestamp --record bad-record.xml -o u.asice ketqua.pdf
check_grep "  ... says what is wrong with the record" '^kho seal: .*record' check.err
mkdir -p sub && cp "$rec" sub/record.xml
check_exit "seal a file named record.xml: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice sub/record.xml
check_exit "seal the same name twice: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice ketqua.pdf ./ketqua.pdf
# Reserved names in any case, and names equal but for case (found by
# review, 2026-12-07: a file "META-INF" made the package impossible to
# unzip into a directory; RECORD.XML sat next to record.xml).
mkdir -p odd && cp ketqua.pdf odd/META-INF && cp ketqua.pdf odd/RECORD.XML && cp ketqua.pdf odd/KETQUA.PDF
check_exit "seal a file named META-INF: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice odd/META-INF
check_exit "seal a file named RECORD.XML: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice odd/RECORD.XML
check_exit "seal two names that differ only by case: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice ketqua.pdf odd/KETQUA.PDF
check_grep "  ... saying so" 'differ only by case' check.err
# The record is UTF-8 (docs/record.md): one declared ISO-8859-1, or in
# UTF-16, was sealed as it was.
python3 -c "import sys; t = open(sys.argv[1], encoding='utf-8').read(); open('rec-latin1.xml', 'wb').write(t.replace('encoding=\"UTF-8\"', 'encoding=\"ISO-8859-1\"').encode('utf-8')); open('rec-utf16.xml', 'wb').write(t.encode('utf-16'))" "$rec"
check_exit "seal with a record declared ISO-8859-1: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record rec-latin1.xml -o u.asice ketqua.pdf
check_grep "  ... saying so" 'declares encoding "ISO-8859-1"' check.err
check_exit "seal with a record in UTF-16: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record rec-utf16.xml -o u.asice ketqua.pdf
check_grep "  ... saying so" 'UTF-16' check.err
check_exit "seal with a key that is not the certificate's: failure" 5 "$KHO" seal \
	--key pki/ecdsa-signer.key --cert pki/signer.pem --no-timestamp --record "$rec" -o u.asice ketqua.pdf
check_exit "TSA certificate without timeStamping EKU: failure" 5 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --tsa-key pki/signer.key --tsa-cert pki/signer.pem --record "$rec" \
	-o u.asice ketqua.pdf
check_grep "  ... names the missing EKU" 'timeStamping' check.err
check_exit "unreachable TSA URL: failure" 5 "$KHO" seal --key pki/signer.key --cert pki/signer.pem \
	--tsa-url http://127.0.0.1:1/tsa --tsa-timeout 1 --record "$rec" -o u.asice ketqua.pdf
check "no partial package after all these failures" test ! -e u.asice
check "no temporary files left" test -z "$(ls -a | grep -F '.tmp-')"
# A failure never replaces an existing package.
cp rsa.asice keep.asice
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --no-timestamp --record bad-record.xml \
	-o keep.asice ketqua.pdf 2>/dev/null
check "a failed seal leaves the old package alone" cmp rsa.asice keep.asice

finish
