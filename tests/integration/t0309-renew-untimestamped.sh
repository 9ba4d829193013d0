# t0309-renew-untimestamped.sh: a package whose signature has no timestamp
# (CAdES-B-B, as other tools may send) verifies only until its signer's
# certificate ends. Its evidence is that end, so the daemon's fixity run
# renews it in time (it had no evidence at all and was never renewed: found
# after a review); the archive timestamp is the proof of existence that
# keeps it verifying after the signer's certificate has expired.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
printf '%%PDF-1.4\n%% ban sao\n' > ketqua.pdf
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" a.xml 0401
"$KHO" seal --key pki/signer.key --cert pki/signer.pem --no-timestamp --crl pki/crls.pem \
	--record a.xml -o a.asice ketqua.pdf || echo "seal failed"
END=$(date -u -d "$(openssl x509 -in pki/signer.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
AFTER=$(date -u -d "$END + 30 days" +%Y-%m-%dT00:00:00Z)
check_exit "sealed without a timestamp: it passes now" 0 "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem a.asice
check_exit "... and not after its signer's certificate ends ($END)" 2 \
	"$KHO" verify --trust pki/trust.pem --crl pki/crls.pem --at "$AFTER" a.asice
OFF=$(token counter1 officer 000.31.20.H55)
# The signer's certificate ends in about two years: due within 800 days.
cat > kho.json <<J
{ "trust": ["pki/trust.pem"], "tsa": { "key": "pki/tsa.key", "cert": "pki/tsa.pem" },
  "fixity_interval": 1, "renew_margin_days": 800 }
J
start_daemon data --config kho.json
st=$(http POST /v1/packages "$OFF" --data-binary @a.asice); check_status "the daemon archives it" 201 "$st"
CODE=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' a.xml)
for i in $(seq 150); do grep -q 'fixity: .* 1 renewed' serve.log && break; sleep 0.2; done
check_grep "its fixity run renews it before the signer's certificate ends" 'fixity: .* 1 renewed, 0 renewals failed' serve.log
NEW=$(sqlite3 data/catalog.db "SELECT package_id FROM results WHERE result_code = '$CODE'")
st=$(curl -s -o b.asice -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$NEW")
check_status "the renewal is the result's current package" 200 "$st"
stop_daemon
check_exit "... and passes after the signer's certificate has ended" 0 \
	"$KHO" verify --trust pki/trust.pem --crl pki/crls.pem --at "$AFTER" b.asice
# kho renew gives such a package its first timestamp even from a TSA whose
# certificate ends before the signer's (found by the second review,
# 2026-12-08: refused as "would not extend the evidence", though the token
# is what protects the signature from a later revocation of its signer).
# (a PKI made 9.5 years ago: its TSA's certificate ends in half a year)
KHO_NOW=$(date -u -d '-9 years -6 months' +%Y-%m-%dT%H:%M:%SZ) "$KHO" pki init pki17 >/dev/null ||
	echo "pki17 failed"
cat pki/trust.pem pki17/trust.pem > t17.pem
check_exit "kho renew with a TSA ending before the signer's certificate: written" 0 "$KHO" renew \
	--trust t17.pem --crl pki/crls.pem --tsa-key pki17/tsa.key --tsa-cert pki17/tsa.pem -o c.asice a.asice
check_exit "... and it verifies, at LTA" 0 "$KHO" verify --trust t17.pem --crl pki/crls.pem --format json c.asice
check "... its token accepted" test "$(jq -r '.signatures[0].level' check.out)" = CAdES-BASELINE-LTA
finish
