# t0302-serve-crash.sh: no acknowledged package is ever lost. 200 packages
# are ingested by 32 concurrent clients while the daemon is killed with
# SIGKILL at random moments and restarted; then `kho fsck` is clean and every
# package acknowledged (201 or 200) is retrievable, byte-identical, and
# verifies.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
N=${CRASH_PACKAGES:-200}
mkdir -p pk
seq 1000 $((1000 + N - 1)) | xargs -P 4 -I{} sh -c '
	sed -E "s/(-[0-9]{6}-)[0-9]{4}/\1{}/g" "$0" > pk/{}.xml &&
	"$1" seal --key pki/signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
		--tsa-cert pki/tsa.pem --record pk/{}.xml -o pk/{}.asice ketqua.pdf' \
	"$ROOT/testdata/records/ct01-certified-copy.xml" "$KHO"
check "$N packages sealed" test "$(ls pk/*.asice | wc -l)" -eq "$N"
OFF=$(token counter1 officer 000.31.20.H55)
export OFF
: > acks
: > retrieved.ok

upload_all() { # every package not yet acknowledged, by 32 concurrent clients
	local w pids=""
	ls pk/*.asice | sed 's|pk/||; s|\.asice||' | grep -vxFf <(cut -d' ' -f1 acks) > pending || true
	[ -s pending ] || return 0
	rm -f chunk.*
	split -n r/32 pending chunk.
	for w in chunk.*; do
		( while read -r name; do
			code=$(curl -s -m 30 -o pk/$name.resp -w '%{http_code}' -H "Authorization: Bearer $OFF" \
				--data-binary @pk/$name.asice "$URL/v1/packages")
			case $code in
			201|200) echo "$name $code" >> acks;;
			000) break;;   # the daemon is down: stop this client
			esac
		done < "$w" ) &
		pids="$pids $!"
	done
	wait $pids   # only the clients: the daemon is a child of this shell too
}

kills=0
for round in 1 2 3 4; do
	start_daemon data --trust pki/trust.pem --threads 8
	upload_all &
	UP=$!
	sleep "$((RANDOM % 2 + 1)).$((RANDOM % 10))"   # a random moment, 1 to 3 s in
	kill -9 "$DPID"; wait "$DPID" 2>/dev/null
	kills=$((kills + 1))
	wait "$UP"
	echo "round $round: $(wc -l < acks) acknowledged so far"
done
check "the daemon was killed $kills times during ingest" test "$kills" -eq 4
start_daemon data --trust pki/trust.pem --threads 8
upload_all
check "all $N packages acknowledged in the end" test "$(cut -d' ' -f1 acks | sort -u | wc -l)" -eq "$N"
check_exit "SIGTERM after the crashes: clean stop" 0 stop_daemon
check_exit "kho fsck is clean after the crashes" 0 "$KHO" fsck --data data --trust pki/trust.pem
check_grep "fsck checked every package" "packages: $N checked, $N ok" check.out

start_daemon data --trust pki/trust.pem --threads 8
cut -d' ' -f1 acks | sort -u | xargs -P 8 -I{} sh -c '
	id=$(sha256sum pk/{}.asice | cut -d" " -f1)
	code=$(curl -s -o pk/{}.got -D pk/{}.h -w "%{http_code}" -H "Authorization: Bearer $OFF" "$0/v1/packages/$id")
	if [ "$code" = 200 ] && cmp -s pk/{}.got pk/{}.asice && grep -q "^Kho-Indication: TOTAL-PASSED" pk/{}.h
	then echo {} >> retrieved.ok; else echo "lost or damaged: {} ($code)"; fi' "$URL"
bad=$(( $(cut -d' ' -f1 acks | sort -u | wc -l) - $(sort -u retrieved.ok | wc -l) ))
cp "pk/$(head -n1 retrieved.ok).got" got.asice
check "every acknowledged package is retrievable, identical and verified" test "$bad" -eq 0
check "a retrieved package verifies with kho verify" "$KHO" verify --trust pki/trust.pem got.asice
stop_daemon
check_exit "kho audit verify passes after the crashes" 0 "$KHO" audit verify --data data
finish
