# t0313-ingest-pending-key.sh: an ingest writes its package key under a
# pending name (KEYS/ab/<id>.key.pending), durable before the catalog
# commit, and renames it to <id>.key after the commit. Found by review: a
# daemon killed after the key was durable but before the commit left a key
# that start-up recovery kept (it removed only the store file), so the never
# acknowledged package read back from a store backup taken before that start
# with the live key store's key, even after its record was destroyed:
# crypto-shredding broken. The crash states are made by hand here (a copy of
# DATA with its own key store ingests the package; its store file and its
# key file are put where the crash leaves them), then:
#  1. recovery shreds the pending key with the uncommitted store file; the
#     re-sealed copy of the record is ingested, the record destroyed: no key
#     of either package is left, under either name;
#  2. a pending key of a committed package (its rename lost) is not a
#     missing key for kho fsck, and is renamed at the next start, which then
#     serves the package;
#  3. a destruction shreds a key still under its pending name;
#  4. a pending key alone (its store file lost in a power failure) is kept,
#     and the same bytes sent again use it and rename it;
# kho fsck notes pending keys of no package (not a problem).
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
REC=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
code() { echo "$AG-250314-$1-KQ1"; }
make_record "$REC" a.xml 0131
sed -i "s|</validFrom>|</validFrom>\n  <validUntil>2025-09-30</validUntil>|" a.xml   # destroyable
make_record "$REC" c.xml 0132
make_record "$REC" d.xml 0133
seal_pkg a.xml x.asice >/dev/null || echo "seal x failed"
sleep 1.1
seal_pkg a.xml y.asice >/dev/null || echo "seal y failed"   # the same record sealed again: other bytes
seal_pkg c.xml c.asice >/dev/null || echo "seal c failed"
seal_pkg d.xml d.asice >/dev/null || echo "seal d failed"
X=$(sha256sum x.asice | cut -d' ' -f1); Y=$(sha256sum y.asice | cut -d' ' -f1)
C=$(sha256sum c.asice | cut -d' ' -f1); D=$(sha256sum d.asice | cut -d' ' -f1)
check "two sealings of one record are two packages" test "$X" != "$Y"
archive_config kho.json
OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
keyfiles() { ls data.keys/${1:0:2}/ 2>/dev/null | grep -c "^$1" ; }

start_daemon data --config kho.json
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
[ "$st" = 201 ] || echo "schedule: $st"
stop_daemon

# The crash states: a copy of DATA (same master key) with a key store of its
# own ingests X and D; their files are what an ingest of DATA killed before
# its commit leaves (X: store file and pending key; D: the pending key alone).
cp -a data side
start_daemon side --config kho.json --keys side.keys
for p in x d; do st=$(http POST /v1/packages "$OFF" --data-binary @$p.asice); [ "$st" = 201 ] || echo "side $p: $st"; done
stop_daemon
mkdir -p -m 700 data/store/${X:0:2} data.keys/${X:0:2} data.keys/${D:0:2}
cp -p side/store/${X:0:2}/$X.enc data/store/${X:0:2}/
cp -p side.keys/${X:0:2}/$X.key data.keys/${X:0:2}/$X.key.pending
cp -p side.keys/${D:0:2}/$D.key data.keys/${D:0:2}/$D.key.pending
rm -rf side side.keys

"$KHO" fsck --data data --config kho.json --no-verify > fsck0.out 2>&1
check_grep "kho fsck notes the two pending keys of no package" 'note: +2 pending key files' fsck0.out
check_grep "... and calls no key missing or corrupt" 'keys: +0 missing' fsck0.out

# ---- 1. the never acknowledged X: its pending key shredded with its file ----
rsync -a data/store/ backup-store/          # the documented store backup, daemon down
start_daemon data --config kho.json
check "recovery removes X's uncommitted store file" test ! -e data/store/${X:0:2}/$X.enc
check "... and shreds its pending key (no key file of X, either name)" test "$(keyfiles $X)" = 0
check "a pending key with no store file (D) is kept" test -s data.keys/${D:0:2}/$D.key.pending
check "the store backup still holds X's encrypted file (from before the start)" \
	test -s backup-store/${X:0:2}/$X.enc
st=$(http POST /v1/packages "$OFF" --data-binary @y.asice)
check_status "the re-sealed Y of the same record is ingested" 201 "$st"
check "... its key under its final name after the commit" test -s data.keys/${Y:0:2}/$Y.key
check "... no pending name left" test ! -e data.keys/${Y:0:2}/$Y.key.pending
st=$(http POST /v1/results/$(code 0131)/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
[ "$st" = 201 ] || [ "$st" = 200 ] || echo "event: $st"

# ---- 2. a pending key of a committed package ----
st=$(http POST /v1/packages "$OFF" --data-binary @c.asice)
check_status "C is ingested" 201 "$st"

# ---- 4. the same bytes as a leftover pending key (D): it is used ----
st=$(http POST /v1/packages "$OFF" --data-binary @d.asice)
check_status "D sent again over its leftover pending key: 201" 201 "$st"
check "... the key renamed to its final name" test -s data.keys/${D:0:2}/$D.key
check "... no pending name left" test ! -e data.keys/${D:0:2}/$D.key.pending
st=$(curl -s -o d.got -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$D")
check_status "... D is served" 200 "$st"
check "... byte for byte" cmp -s d.got d.asice
stop_daemon
# C's key as a crash after its commit leaves it: its rename not reached. (A
# running daemon sees a committed package's key pending only between that
# commit and the rename, which keystore_has covers: test_keystore.)
mv data.keys/${C:0:2}/$C.key data.keys/${C:0:2}/$C.key.pending
check_exit "kho fsck: a committed package's pending key is not a missing key" 0 \
	"$KHO" fsck --data data --config kho.json --no-verify
check_grep "... keys: 0 missing" 'keys: +0 missing' check.out
start_daemon data --config kho.json
check "the next start renames C's pending key" test -s data.keys/${C:0:2}/$C.key
check "... leaving no pending name" test ! -e data.keys/${C:0:2}/$C.key.pending
st=$(curl -s -o c.got2 -w '%{http_code}' -H "Authorization: Bearer $OFF" "$URL/v1/packages/$C")
check_status "... C is served" 200 "$st"
stop_daemon

# ---- 3. the destruction, six years later, of a key still pending ----
export KHO_NOW=2031-01-02T09:00:00Z
renewed_config kho.json kho31.json
start_daemon data --config kho31.json
mv data.keys/${Y:0:2}/$Y.key data.keys/${Y:0:2}/$Y.key.pending   # the daemon running: not renamed back
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
B=$(jq -r .id body.out)
st=$(http POST /v1/disposition/batches/$B/approve "$RM2" --data '{"decision":"45/QĐ-SNV","decision_date":"2031-01-02"}')
check_status "the batch destroying the record is approved" 200 "$st"
st=$(http POST /v1/disposition/batches/$B/execute "$RM2" --data '{}')
check_status "... and executed" 200 "$st"
check "... one record destroyed" test "$(jq .destroyed body.out)" = 1
check "the destruction shreds Y's pending key (no key file of Y, either name)" test "$(keyfiles $Y)" = 0
check "no key file of X either: its copy in the store backup decrypts with nothing" test "$(keyfiles $X)" = 0
st=$(http GET /v1/packages/$Y "$OFF")
check_status "Y answers 410" 410 "$st"
st=$(http GET /v1/packages/$C "$OFF")
check_status "C is untouched" 200 "$st"
stop_daemon
unset KHO_NOW

"$KHO" audit list --data data > audit.jsonl
check "X's shredding is an audit event" grep -q "$X.*shredded its pending key" audit.jsonl
check "C's rename is an audit event" grep -q 'renamed 1 pending keys of committed packages' audit.jsonl
check "the audit chain verifies" "$KHO" audit verify --data data
finish
