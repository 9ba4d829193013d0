#!/usr/bin/env bash
# t0131-foreign-asics.sh: more foreign containers, built at test time with
# python's zipfile and the openssl CLI (never kho's writer), on which kho
# follows the EU reference validator (DSS): ASiC-S with CAdES (trusted,
# untrusted, level T, no mimetype, a changed data object), an ASiC-E whose
# second signature has no manifest (SIGNED_DATA_NOT_FOUND), a single
# manifest whose SigReference names another file (DSS reads it anyway,
# kho warns), and an XAdES container (FORMAT_FAILURE saying XAdES is not
# supported). The container builder is t0130's (one copy of mk.py), taken
# from that script so both always build the same containers.
source "$ROOT/tests/integration/lib.sh"

T0130="$ROOT/tests/integration/t0130-foreign-containers.sh"
awk '/^cat >mk.py <<.PY.$/{p=1; next} /^PY$/{p=0} p' "$T0130" >mk.py
awk '/^cat >ts.cnf <<.EOF.$/{p=1; next} /^EOF$/{p=0} p' "$T0130" >ts.cnf
echo 01 >tsaserial
"$KHO" pki init pki >/dev/null || { fail "kho pki init"; finish; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=unrelated root" \
	-days 30 -keyout unrelated.key -out unrelated.pem >/dev/null 2>&1
check "containers built" env PKI=pki python3 mk.py asics asics-tampered asics-timestamped \
	asics-no-mimetype signature-without-manifest single-manifest-other-sigref xades

v() {
	local name=$1 file=$2 st=$3 verdict=$4; shift 4
	check_exit "$name: exit $st" "$st" "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem "$@" "$file"
	cp check.out "$name.out"
	check_grep "$name: $verdict" "^kho verify: $verdict" check.err
}
j() { check "$1: $2" python3 -c "import json,sys; r=json.load(open('$1.out')); sys.exit(0 if ($3) else 1)"; }

# ASiC-S with CAdES (EN 319 162-1 4.3): one data object at the root,
# META-INF/signature.p7s detached over it, no manifest. DSS
# (ASiCWithCAdESValidatorTest.asicsTest, ASiCWithCAdESUtils.getSignedDocument:
# the root-level document is the signed content) validates it: trusted ->
# TOTAL_PASSED; unrelated anchor -> INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND.
# Today kho: TOTAL-FAILED/FORMAT_FAILURE "no ASiCManifest references ...".
v asics ok.asics 0 'TOTAL-PASSED' --format json
j asics "container ASiC-S, the object ok" \
	'r["container_type"]=="ASiC-S" and [(o["name"],o["state"]) for o in r["signatures"][0]["objects"]]==[("ketqua.pdf","ok")]'
check_exit "asics, unrelated anchor: exit 2" 2 "$KHO" verify --trust unrelated.pem ok.asics
check_grep "asics, unrelated anchor: NO_CERTIFICATE_CHAIN_FOUND" \
	'^kho verify: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND' check.err
# ... with a signature timestamp: T level.
v asics-t bt.asics 0 'TOTAL-PASSED' --format json
j asics-t "level T" 'r["signatures"][0]["level"]=="CAdES-BASELINE-T"'
# ... without a mimetype: DSS decides ASiC-S from the one root-level file
# (ASiCUtils.getContainerType) and MimeTypeFilePresent is only INFORM.
v asics-no-mimetype nomime.asics 0 'TOTAL-PASSED'
# ... the data object changed: the CMS message-digest does not match, DSS
# ReferenceDataIntact (FAIL) -> TOTAL-FAILED/HASH_FAILURE.
v asics-tampered tampered.asics 1 'TOTAL-FAILED/HASH_FAILURE'

# ASiC-E with two signatures and one manifest that names only the first:
# DSS finds no linked manifest for signature002 (ASiCManifestParser.
# getLinkedManifest), so no detached content: ReferenceDataExistence (FAIL)
# -> INDETERMINATE/SIGNED_DATA_NOT_FOUND for it; signature001 passes.
# Today kho: TOTAL-FAILED/FORMAT_FAILURE.
v orphan orphan.asice 2 'INDETERMINATE/SIGNED_DATA_NOT_FOUND' --format json
j orphan "signature001 passed, signature002 SIGNED_DATA_NOT_FOUND" \
	'[(s["indication"],s["sub_indication"]) for s in r["signatures"]]==[("TOTAL-PASSED",""),("INDETERMINATE","SIGNED_DATA_NOT_FOUND")]'

# One signature, one ASiCManifest whose SigReference names another file:
# DSS (ASiCWithCAdESUtils.getSignedDocument) uses the only manifest as the
# signed content: the signature is valid. kho: the same, with a warning.
v other-sigref othersigref.asice 0 'TOTAL-PASSED' --format json
j other-sigref "warning about the SigReference" \
	'any("SigReference names" in w for w in r["signatures"][0]["warnings"])'

# XAdES (META-INF/signatures0.xml): still TOTAL-FAILED/FORMAT_FAILURE, but the
# reason says that XAdES is not supported (today: "no signature").
v xades xades.asice 1 'TOTAL-FAILED/FORMAT_FAILURE: XAdES signatures are not supported'
finish
