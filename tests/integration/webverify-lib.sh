# webverify-lib.sh: helpers for the tests of the public verification page
# (t05NN-*.sh), sourced after lib.sh. t0510 tests the module on its own:
# wv_start drives tests/helpers/webverify_server, which serves only the
# module archive/webverify.* over file-based lookups.

# wv_setup: a test PKI, an archive directory with one sealed birth
# registration (arch/valid.asice), a tampered copy, an unknown PDF and the
# archived PDF, all under files/.
wv_setup() {
	"$KHO" pki init pki >/dev/null || { echo "kho pki init failed"; exit 1; }
	printf '%%PDF-1.4\n%% ket qua giai quyet TTHC\n' > ketqua.pdf
	mkdir -p arch files
	"$KHO" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
		--tsa-cert pki/tsa.pem --crl pki/crls.pem \
		--record "$ROOT/testdata/records/ht01-birth-registration.xml" \
		-o arch/valid.asice ketqua.pdf >/dev/null || { echo "kho seal failed"; exit 1; }
	printf '%%PDF-1.4\n%% altered\n' > files/unknown.pdf
	"$KHO_HELPERS/tamper" arch/valid.asice files/tampered.asice \
		--replace ketqua.pdf files/unknown.pdf || { echo "tamper failed"; exit 1; }
	cp arch/valid.asice files/valid.asice
	cp ketqua.pdf files/archived.pdf
	PID_NUMBER=055225001234      # the subject's personal number in that record
	CODE=000.31.20.H55-250310-0012-KQ1
}

# wv_start [ARGS...]: start the server; sets WPID, PORT, BASE, KEY, QR_URL_FILE.
wv_start() {
	local i
	rm -f port.txt keys.txt
	mkdir -p qr
	"$KHO_HELPERS/webverify_server" --trust pki/trust.pem --archive arch --port-file port.txt \
		--keys-out keys.txt --qr-dir qr --audit audit.log "$@" >server.log 2>&1 &
	WPID=$!
	for i in $(seq 200); do [ -s port.txt ] && [ -s keys.txt ] && break; sleep 0.05; done
	PORT=$(cat port.txt 2>/dev/null)
	[ -n "$PORT" ] || { echo "webverify_server did not start"; cat server.log; exit 1; }
	BASE=http://127.0.0.1:$PORT
	KEY=$(awk -v c="$CODE" '$1 == c {print $2}' keys.txt)
}

wv_stop() { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; }
