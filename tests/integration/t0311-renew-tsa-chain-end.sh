# t0311-renew-tsa-chain-end.sh: a timestamp proves nothing once any
# certificate of its TSA's chain has ended, the TSA's own or its CA's: the
# chain is checked at the validation time. So the evidence of a package
# (when a renewal is due) ends with the earliest notAfter of that chain, not
# with the TSA certificate's (found by review: a TSA certificate valid to
# 2050 under a CA ending in 2041 made the package look safe to 2050; the
# daemon never renewed it and it lapsed in 2041). Likewise the daemon's own
# TSA is only usable until its chain's earliest end.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
# TSA X: issued by the test PKI's issuing CA (which ends 15 years from now),
# valid from 8 to 24 years from now: longer than its CA. (The test PKI's TSA,
# that of the package, ends 10 years from now.)
mkdir -p xca && : > xca/index.txt && echo 1000 > xca/serial
cat > xca/ca.cnf <<'EOF'
[ca]
default_ca=c
[c]
database=xca/index.txt
serial=xca/serial
new_certs_dir=xca
default_md=sha256
policy=p
copy_extensions=none
unique_subject=no
[p]
commonName=supplied
[tsa_ext]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out tsaX.key 2>/dev/null
openssl req -new -key tsaX.key -subj "/CN=kho TSA X outlasting its CA" -out tsaX.csr
openssl ca -batch -config xca/ca.cnf -keyfile pki/ca.key -cert pki/ca.pem -in tsaX.csr \
	-startdate "$(date -u -d '+8 years' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '+24 years' +%Y%m%d%H%M%SZ)" \
	-extensions tsa_ext -out tsaX.crt \
	-notext >/dev/null 2>&1 || echo "TSA X not issued"
cat tsaX.crt pki/ca.pem > tsaX.pem
CA_END=$(date -u -d "$(openssl x509 -in pki/ca.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
X_END=$(date -u -d "$(openssl x509 -in tsaX.crt -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
RENEW=$(date -u -d '+9 years' +%Y-%m-%dT00:00:00Z)     # a year before the package's TSA ends
LATE=$(date -u -d "$CA_END - 1 year" +%Y-%m-%dT00:00:00Z)   # within 730 days of the CA's end
make_record "$ROOT/testdata/records/ct01-certified-copy.xml" c.xml 0311
C=$(sed -n 's|.*<resultCode>\(.*\)</resultCode>.*|\1|p' c.xml)
seal_pkg c.xml c.asice >/dev/null || echo "seal c failed"

# ---- the verifier: the evidence of a token ends with its CA ----
check_exit "kho renew at $RENEW by TSA X (the package's evidence ends a year later)" 0 env \
	KHO_NOW=$RENEW "$KHO" renew --trust pki/trust.pem --crl pki/crls.pem \
	--tsa-key tsaX.key --tsa-cert tsaX.pem -o c2.asice c.asice
check_exit "... it verifies at $LATE" 0 "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem \
	--at "$LATE" --format json c2.asice
check "... tsa_not_after is the CA's end ($CA_END), not the TSA certificate's ($X_END)" \
	test "$(jq -r '.timestamps[0].tsa_not_after' check.out)" = "$CA_END"
check_exit "... and not after the CA's end, though TSA X's certificate is valid" 2 "$KHO" verify \
	--trust pki/trust.pem --crl pki/crls.pem --at "$(date -u -d "$CA_END + 1 day" +%Y-%m-%dT%H:%M:%SZ)" c2.asice
check_grep "... OUT_OF_BOUNDS_NO_POE" 'OUT_OF_BOUNDS_NO_POE' check.err

# ---- the daemon, whose built-in TSA is X ----
cat > kho.json <<J
{ "trust": ["pki/trust.pem"], "crls": ["pki/crls.pem"], "tsa": { "key": "tsaX.key", "cert": "tsaX.pem" },
  "fixity_interval": 1, "renew_margin_days": 730 }
J
OFF=$(token counter1 officer 000.31.20.H55)
start_daemon data --config kho.json
st=$(http POST /v1/packages "$OFF" --data-binary @c.asice); check_status "ingest c" 201 "$st"
stop_daemon
fixity_at() { # fixity_at TIME: one fixity run of the daemon at TIME (KHO_NOW)
	: > serve.log
	export KHO_NOW=$1
	start_daemon data --config kho.json
	for i in $(seq 150); do grep -q 'fixity: ' serve.log && break; sleep 0.2; done
	stop_daemon
	unset KHO_NOW
}
fixity_at "$RENEW"
check_grep "$RENEW: the daemon renews c by TSA X" 'fixity: .* 1 renewed, 0 renewals failed' serve.log
# Due again within 730 days of the CA's end; TSA X cannot renew it past
# that end either: an alert, not silence.
fixity_at "$LATE"
check_grep "$LATE: the renewal is due (evidence ends with the CA), and the alert says TSA X ends with its CA too" \
	"fixity: .* 0 renewed, 1 renewals failed; first: .*its evidence ends on $CA_END.*the configured TSA's certificate chain ends on $CA_END" serve.log
check "... an alert in the audit trail" \
	test "$(sqlite3 data/catalog.db "SELECT count(*) FROM audit WHERE action = 'alert' AND actor = 'daemon' AND detail LIKE '%1 renewals failed%'")" = 1
finish
