#!/usr/bin/env bash
# make-pki.sh: generates, once, the fixed keys and certificates of
# fuzz_pki.h (fuzz_cms's revocation mode): a CA, a second certificate of the
# CA's name and key without cRLSign, a signer it issued, and two OCSP
# responders it issued (one with id-kp-OCSPSigning, one without) and a TSA
# (critical id-kp-timeStamping, for the sealed-package mode). EC P-256,
# so that the harness's per-input signing is cheap. Run from this folder;
# it rewrites ../fuzz_pki.h. The keys are test keys and nothing else.
set -eu
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec "$d/ca.key"; ec "$d/leaf.key"; ec "$d/resp.key"; ec "$d/tsa.key"
cat >"$d/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[canocrl]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,nonRepudiation
[resp]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[tsa]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[respnoeku]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
CNF
openssl req -new -x509 -key "$d/ca.key" -subj "/C=VN/O=kho fuzz/CN=kho fuzz CA" -set_serial 1 \
	-days 7300 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$d/ca.pem" 2>/dev/null
openssl req -new -x509 -key "$d/ca.key" -subj "/C=VN/O=kho fuzz/CN=kho fuzz CA" -set_serial 2 \
	-days 7300 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" -out "$d/canocrl.pem" 2>/dev/null
issue() { # name key subject serial section
	openssl req -new -key "$2" -subj "$3" -out "$d/$1.csr" 2>/dev/null
	openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial "$4" \
		-days 7300 -extfile "$d/ext.cnf" -extensions "$5" -out "$d/$1.pem" 2>/dev/null
}
issue leaf "$d/leaf.key" "/C=VN/O=kho fuzz/CN=kho fuzz signer" 0x1001 leaf
issue resp "$d/resp.key" "/C=VN/O=kho fuzz/CN=kho fuzz OCSP" 0x2001 resp
issue respnoeku "$d/resp.key" "/C=VN/O=kho fuzz/CN=kho fuzz OCSP no EKU" 0x2002 respnoeku
issue tsa "$d/tsa.key" "/C=VN/O=kho fuzz/CN=kho fuzz TSA" 0x3001 tsa
{
	echo "/* fuzz_pki.h: fixed test keys and certificates for fuzz_cms's revocation"
	echo " * mode, written by tests/fuzz/pki/make-pki.sh (EC P-256, 20 years from their making). */"
	echo "#ifndef KHO_FUZZ_PKI_H"
	echo "#define KHO_FUZZ_PKI_H"
	for f in ca.pem canocrl.pem leaf.pem resp.pem respnoeku.pem tsa.pem ca.key leaf.key resp.key tsa.key; do
		n=$(echo "${f%.*}_${f#*.}" | tr a-z A-Z)
		echo "static const char FUZZ_PKI_$n[] ="
		sed 's/.*/\t"&\\n"/' "$d/$f"
		printf '\t;\n'
	done
	echo "#endif"
} >../fuzz_pki.h
