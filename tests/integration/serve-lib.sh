# serve-lib.sh: helpers for the daemon's integration tests (t03NN-*.sh),
# sourced after lib.sh. A daemon is started on a random loopback port (port
# 0, the bound port read from --port-file) and stopped by its own pid.

# setup_pki: a test PKI in ./pki and a PDF to seal.
setup_pki() {
	"$KHO" pki init pki >/dev/null || { echo "kho pki init failed"; exit 1; }
	printf '%%PDF-1.4\n%% ket qua\n' > ketqua.pdf
}

# make_record SRC OUT SEQ [SUPERSEDES]: a copy of SRC whose dossier and result
# codes use the daily sequence SEQ (4 digits), optionally declaring supersedes.
make_record() {
	local src=$1 out=$2 seq=$3 sup=${4:-}
	sed -E "s/(-[0-9]{6}-)[0-9]{4}/\1$seq/g" "$src" > "$out"
	if [ -n "$sup" ]; then
		sed -i "s|</record>|  <supersedes>$sup</supersedes>\n</record>|" "$out"
	fi
}

# seal_pkg RECORD OUT [FILE]: seal with the test signer and built-in TSA.
seal_pkg() {
	"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
		--tsa-cert pki/tsa.pem --crl pki/crls.pem --record "$1" -o "$2" "${3:-ketqua.pdf}"
}

# start_daemon DATA [ARGS...]: sets DPID, PORT, URL; the log goes to serve.log.
start_daemon() {
	local data=$1 i; shift
	rm -f port.txt
	"$KHO" serve --data "$data" --listen 127.0.0.1:0 --port-file port.txt "$@" 2>>serve.log &
	DPID=$!
	for i in $(seq 200); do [ -s port.txt ] && break; sleep 0.05; done
	PORT=$(cat port.txt 2>/dev/null)
	URL=http://127.0.0.1:$PORT
	[ -n "$PORT" ] || { echo "daemon did not start"; cat serve.log; exit 1; }
}

stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID"; }

# token NAME ROLE [AGENCY]: add a token and print it (the last line of add).
token() {
	if [ -n "${3:-}" ]; then "$KHO" token add --data data --role "$2" --agency "$3" "$1" | tail -n1
	else "$KHO" token add --data data --role "$2" "$1" | tail -n1; fi
}

# http METHOD PATH TOKEN [curl args...]: prints the status; body in body.out.
http() {
	local m=$1 p=$2 t=$3; shift 3
	if [ -n "$t" ]; then
		curl -s -o body.out -w '%{http_code}' -X "$m" -H "Authorization: Bearer $t" "$@" "$URL$p"
	else
		curl -s -o body.out -w '%{http_code}' -X "$m" "$@" "$URL$p"
	fi
}

# check_status DESCRIPTION WANT GOT
check_status() {
	if [ "$3" = "$2" ]; then ok "$1"; else fail "$1 (HTTP $3, expected $2)"; head -c 600 body.out | sed 's/^/    /'; echo; fi
}

# tsa_http CERT KEY [HOLDFILE]: OpenSSL's TSA behind HTTP (tsa-http.py) in
# the background, signing with CERT and KEY; sets TSAPID and TSAURL. Stop it
# with: kill $TSAPID; wait $TSAPID.
tsa_http() {
	local i
	rm -f tsaport
	python3 "$ROOT/tests/integration/tsa-http.py" "$PWD/tsaport" "$PWD/$1" "$PWD/$2" \
		${3:+"$PWD/$3"} 2>>tsa.log &
	TSAPID=$!
	for i in $(seq 100); do [ -s tsaport ] && break; sleep 0.05; done
	TSAURL=http://127.0.0.1:$(cat tsaport 2>/dev/null)/
}

# json_id FILE: the "id" member of a JSON answer (64 hex digits).
json_id() { sed -n 's/.*"id":"\([0-9a-f]\{64\}\)".*/\1/p' "$1"; }

# archive_config OUT: the config of the retention tests: the test PKI's
# trust anchors, its TSA as the built-in one, and the archive's own signer
# (destruction certificates, transfer bags) with its enterprise code.
archive_config() {
	cat > "$1" <<EOF
{ "trust": ["pki/trust.pem"],
  "tsa": { "key": "pki/tsa.key", "cert": "pki/tsa.pem" },
  "agencies": [ { "code": "000.00.08.H55", "key": "pki/signer.key", "cert": "pki/signer.pem" } ],
  "enterprise_code": "0100000000" }
EOF
}

# renewed_config BASE OUT: config BASE for the simulated future of the
# retention tests (KHO_NOW in 2031), with the archive's own signer and TSA
# from a PKI made at that time (pki31/): the first PKI's certificates have
# expired by then, and an execution refuses to seal a destruction certificate
# with an expired certificate. Both roots are trusted.
renewed_config() {
	[ -d pki31 ] || KHO_NOW=2031-01-01T00:00:00Z "$KHO" pki init pki31 >/dev/null ||
		{ echo "kho pki init at 2031 failed"; exit 1; }
	jq '.trust += ["pki31/trust.pem"] | .tsa = {"key": "pki31/tsa.key", "cert": "pki31/tsa.pem"}
	    | .agencies[0].key = "pki31/signer.key" | .agencies[0].cert = "pki31/signer.pem"' "$1" > "$2" ||
		{ echo "renewed_config: jq failed on $1"; exit 1; }
}
