#!/usr/bin/env bash
# t0110-interop.sh: `kho verify` on real ASiC-E containers from the EU
# reference validator's test suite (esig/dss), which kho did not make, must
# give the results DSS's own tests assert (shared/interop/dss/EXPECTED.md).
# The trust anchor is unrelated (a kho test root) unless said otherwise:
# the Nowina test root is not in the containers.
source "$ROOT/tests/integration/lib.sh"

DSS=$ROOT/../shared/interop/dss
if [ ! -d "$DSS" ]; then
	echo "skipped: $DSS is absent (CI clones shared/ beside the repository)"
	ok "interop containers absent: skipped"
	finish
fi

# An unrelated trust anchor, made with openssl alone.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=unrelated root" \
	-days 30 -keyout unrelated.key -out unrelated.pem >/dev/null 2>&1

# dss NAME STATUS VERDICT-REGEX: verify NAME.asice against the unrelated anchor
dss() {
	check_exit "$1: exit $2" "$2" "$KHO" verify --trust unrelated.pem "$DSS/$1.asice"
	check_grep "$1: $3" "^kho verify: $3" check.err
	cp check.out "$1.txt" # `check` below overwrites check.out
}

dss onefile-ok 2 'INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND'
check_grep "  ... digest intact" '^    ok +test\.text$' onefile-ok.txt
check_grep "  ... mimetype deviation reported, still read" 'deviation: mimetype' onefile-ok.txt

dss multifiles-ok 2 'INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND'
check "  ... every digest intact" test "$(grep -cE '^    ok ' multifiles-ok.txt)" -eq 2
check_nogrep "  ... no broken object" 'hash-failure|missing' multifiles-ok.txt

dss brokenReference 1 'TOTAL-FAILED/HASH_FAILURE'
check "  ... exactly one broken reference" test "$(grep -cE '^    hash-failure ' brokenReference.txt)" -eq 1

dss removedReference 2 'INDETERMINATE/SIGNED_DATA_NOT_FOUND'
# The file's manifest lists two objects (EXPECTED.md says three, one
# broken: checked with unzip and openssl dgst, test.text is absent and
# test2.text matches its digest). The case of one missing and one broken
# object is covered by t0100 (both.asice).
check "  ... one missing object" test "$(grep -cE '^    missing +test\.text$' removedReference.txt)" -eq 1
check "  ... the other intact" test "$(grep -cE '^    ok +test2\.text$' removedReference.txt)" -eq 1

# dss1421: a signature plus an ASiCArchiveManifest covered by timestamp001.tst
check_exit "dss1421: exit 2 (no trusted chain)" 2 "$KHO" verify --trust unrelated.pem --format json \
	"$DSS/dss1421.asice"
cp check.out dss1421.json
check "dss1421: signature intact, archive timestamp imprint intact" python3 -c '
import json; r=json.load(open("dss1421.json"))
s=r["signatures"][0]
assert s["sub_indication"] not in ("HASH_FAILURE","SIG_CRYPTO_FAILURE","SIGNED_DATA_NOT_FOUND","FORMAT_FAILURE"), s
assert all(o["state"]=="ok" for o in s["objects"]), s["objects"]
t=[t for t in r["timestamps"] if t["where"]=="META-INF/timestamp001.tst"]
assert len(t)==1 and t[0]["imprint_ok"] and t[0]["signature_ok"], t
assert t[0]["gen_time"]=="2018-04-22T20:45:21Z", t[0]["gen_time"]
assert not any("does not match its digest" in x for x in r["reasons"]), r["reasons"]'
check "dss1421: the signature's own timestamp imprint is intact" python3 -c '
import json; r=json.load(open("dss1421.json"))
t=r["signatures"][0]["timestamps"]
assert len(t)==1 and t[0]["imprint_ok"] and t[0]["signature_ok"], t'

# With good-ca, the intermediate found inside the container, as the anchor:
# the chain builds, but good-user expired on 2020-03-05 and the container
# has no signature timestamp (only a content timestamp), so there is no
# proof of existence before expiry. EN 319 102-1 (5.2.6 X.509 validation,
# 5.6 long-term validation): INDETERMINATE/OUT_OF_BOUNDS_NO_POE, never PASSED.
unzip -p "$DSS/onefile-ok.asice" META-INF/signature001.p7s >onefile.p7s
openssl pkcs7 -inform DER -print_certs -in onefile.p7s |
	awk '/^subject=.*CN = good-ca/{p=1} p{print} /END CERTIFICATE/{if(p) exit}' >good-ca.pem
check "good-ca extracted from the container" openssl x509 -in good-ca.pem -noout
check_exit "onefile-ok with good-ca as anchor: exit 2" 2 "$KHO" verify --trust good-ca.pem \
	"$DSS/onefile-ok.asice"
check_grep "  ... OUT_OF_BOUNDS_NO_POE (EN 319 102-1)" '^kho verify: INDETERMINATE/OUT_OF_BOUNDS_NO_POE' check.err
check_grep "  ... because good-user expired" 'expired on 2020-03-05' check.err
# ... and on a day when good-user was valid, the same container passes.
check_exit "onefile-ok with good-ca, --at 2019-08-01: passes" 0 "$KHO" verify --trust good-ca.pem \
	--at 2019-08-01T00:00:00Z "$DSS/onefile-ok.asice"

# inspect reads them all
for f in "$DSS"/*.asice; do
	check_exit "inspect $(basename "$f")" 0 "$KHO" inspect "$f"
done
check_exit "inspect dss1421" 0 "$KHO" inspect "$DSS/dss1421.asice"
check_grep "  ... shows the archive manifest and its token" 'SigReference META-INF/timestamp001\.tst' check.out
check_grep "  ... and the OCSP response inside the signature" 'OCSP responses 1' check.out
finish
