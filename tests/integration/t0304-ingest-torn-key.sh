# t0304-ingest-torn-key.sh: the key file of an ingest is written without its
# own fsync (made durable by the group's syncfs before the catalog commit).
# A power failure before that commit can leave, under the package's id, a
# key file that is empty or torn, with no catalog row and (key store on
# another file system) no store file for ingest_recover to find. The
# package was never acknowledged; sending it again must store it (201), not
# fail on the leftover key for ever.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
REC=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
make_record "$REC" r1.xml 0401
make_record "$REC" r2.xml 0402
seal_pkg r1.xml p1.asice
seal_pkg r2.xml p2.asice
OFF=$(token counter1 officer $AG)
start_daemon data --trust pki/trust.pem
CT='Content-Type: application/vnd.etsi.asic-e+zip'

for p in p1 p2; do
	id=$(sha256sum $p.asice | cut -d' ' -f1)
	mkdir -p "data.keys/${id:0:2}"
	chmod 700 "data.keys/${id:0:2}"
	if [ $p = p1 ]; then
		: > "data.keys/${id:0:2}/$id.key"                  # empty: its data never reached the disk
	else
		head -c 40 /dev/zero > "data.keys/${id:0:2}/$id.key"   # torn: zeros, not a key
	fi
	chmod 600 "data.keys/${id:0:2}/$id.key"
	st=$(http POST /v1/packages "$OFF" --data-binary @$p.asice -H "$CT")
	check_status "$p sent again over a leftover $( [ $p = p1 ] && echo empty || echo torn ) key file: 201" 201 "$st"
	st=$(curl -s -o $p.got -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id")
	check_status "$p is retrievable" 200 "$st"
	check "$p retrieved identical" cmp -s $p.got $p.asice
done
stop_daemon

# A crash between writing a temporary key file and renaming it leaves
# "<id>.key.tmp-<16 hex>" holding a wrapped package key that no later
# destruction would reach: the next start shreds it (keystore_clean_tmp),
# says so in the audit trail, and leaves every other file alone.
id1=$(sha256sum p1.asice | cut -d' ' -f1)
T=data.keys/${id1:0:2}/$id1.key.tmp-0123456789abcdef
head -c 40 /dev/urandom > "$T"
chmod 600 "$T"
echo keep > data.keys/${id1:0:2}/notes.txt
start_daemon data --trust pki/trust.pem
check "a temporary key file left by a crash is shredded at start" test ! -e "$T"
check "nor is it left under the claimed name" test ! -e "$T.gone"
check "other files of the key store are left alone" test -s data.keys/${id1:0:2}/notes.txt
check "the live key is kept" test -s data.keys/${id1:0:2}/$id1.key
st=$(curl -s -o p1.again -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id1")
check_status "p1 still retrievable after the clean-up" 200 "$st"
stop_daemon
"$KHO" audit list --data data > audit.jsonl
check "the shredding is an audit event" grep -q 'shredded 1 temporary key files' audit.jsonl
check "the audit chain verifies" "$KHO" audit verify --data data

# A copy of DATA started with the live key store (a backup: catalog first,
# then the store, as operations.md says): a package ingested between the
# two steps is a store file the copy's catalog does not know. The copy's
# start-up recovery removes that file, but must not destroy its key, which
# is the live archive's (found by review, 2026-12-07: the live package then
# answered 410). Ingesting the same bytes into the copy uses that key too.
make_record "$REC" r3.xml 0403
seal_pkg r3.xml p3.asice
start_daemon data --trust pki/trust.pem
sqlite3 data/catalog.db ".backup copy-catalog.db"
st=$(http POST /v1/packages "$OFF" --data-binary @p3.asice -H "$CT")
check_status "p3 ingested into the live archive after the catalog backup" 201 "$st"
id3=$(sha256sum p3.asice | cut -d' ' -f1)
stop_daemon
rm -rf copy && mkdir copy && cp -a data/store copy/store && cp -a data/keys copy/keys && cp copy-catalog.db copy/catalog.db
check "p3's key is in the live key store" test -s data.keys/${id3:0:2}/$id3.key
start_daemon copy --trust pki/trust.pem --keys data.keys
stop_daemon
check "the copy's start removed p3's store file (its catalog does not know it)" sh -c "! ls copy/store/*/$id3.enc 2>/dev/null"
check "... but not p3's key in the shared key store" test -s data.keys/${id3:0:2}/$id3.key
start_daemon data --trust pki/trust.pem
st=$(curl -s -o p3.got -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id3")
check_status "the live archive still serves p3" 200 "$st"
check "... byte for byte" cmp -s p3.got p3.asice
stop_daemon
OFFC=$("$KHO" token add --data copy --role officer --agency $AG counter-copy | tail -n1)
start_daemon copy --trust pki/trust.pem --keys data.keys
st=$(http POST /v1/packages "$OFFC" --data-binary @p3.asice -H "$CT")
check_status "the same bytes ingested into the copy: 201" 201 "$st"
stop_daemon
start_daemon data --trust pki/trust.pem
st=$(curl -s -o p3.got2 -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id3")
check_status "... and the live archive still serves p3 (its key kept, not replaced)" 200 "$st"
stop_daemon

# A key file that is missing (a typo in master_key_file, a restore that
# forgot it) was silently re-created: the daemon started, every package
# read back as corrupt, new ones were wrapped under the wrong key. The
# catalog records a check value of each key and refuses another one (found
# by review, 2026-12-07).
printf '{ "master_key_file": "typo/master.key" }\n' > typo.json
mkdir -p typo && chmod 700 typo
rc=0; timeout 20 "$KHO" serve --data data --listen 127.0.0.1:0 --port-file port3.txt --trust pki/trust.pem \
	--config typo.json 2>typo.log || rc=$?
check "a missing master key file is not re-created silently: the start stops (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check_grep "... saying why" 'typo/master.key: no such key file \(it is created only by the daemon.s first start' typo.log
check "... and making none (it used to make a random one before refusing it)" test ! -e typo/master.key
check_exit "kho fsck refuses it too" 4 "$KHO" fsck --data data --config typo.json --no-verify
mv data/keys/subject.key subject.key.saved
rc=0; timeout 20 "$KHO" serve --data data --listen 127.0.0.1:0 --port-file port3.txt --trust pki/trust.pem \
	2>subj.log || rc=$?
check "a missing subject key file stops the start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check_grep "... saying why" 'data/keys/subject.key: no such key file' subj.log
check "... and making none" test ! -e data/keys/subject.key
mv subject.key.saved data/keys/subject.key
start_daemon data --trust pki/trust.pem
st=$(curl -s -o p1.again2 -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id1")
check_status "with the right keys back, p1 is served" 200 "$st"
stop_daemon

# Crash recovery removes a store file only when the catalog answers that no
# package has its id (an ingest never committed). A catalog that cannot be
# read (here the id index of packages is overwritten: SQLITE_CORRUPT) must
# stop the start with nothing removed: removing on any error destroyed
# acknowledged packages (found by review, 2026-12-07).
cp -a data data.saved
sqlite3 data/catalog.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
root=$(sqlite3 data/catalog.db "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_packages_1'")
psz=$(sqlite3 data/catalog.db 'PRAGMA page_size')
n0=$(find data/store -name '*.enc' | wc -l)
python3 -c "import sys; f = open(sys.argv[1], 'r+b'); f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3])); f.write(b'\xff' * int(sys.argv[3]))" \
	data/catalog.db "$root" "$psz"
rc=0
# (timeout: a daemon that starts anyway would otherwise run for ever; 124)
timeout 20 "$KHO" serve --data data --listen 127.0.0.1:0 --port-file port2.txt --trust pki/trust.pem \
	2>corrupt.log || rc=$?
check "a catalog that cannot be read stops the start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "it says why" grep -q 'crash recovery stopped, nothing removed' corrupt.log
check "no store file is removed ($n0 before)" test "$(find data/store -name '*.enc' | wc -l)" = "$n0"
check "and no key file" test -s data.keys/${id1:0:2}/$id1.key
rm -rf data && mv data.saved data
start_daemon data --trust pki/trust.pem
st=$(curl -s -o p1.back -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$id1")
check_status "with the catalog restored, p1 is retrievable" 200 "$st"
stop_daemon
finish
