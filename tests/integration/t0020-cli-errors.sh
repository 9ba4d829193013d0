#!/usr/bin/env bash
# t0020-cli-errors.sh: the CLI's refusals, found by review: commands that
# only read or check never create an archive, a key or a key store; seal
# never writes over one of its own inputs; output that could not be written
# is an error, not exit 0; numeric options and KHO_NOW are parsed strictly;
# files the user names may be symbolic links.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"

setup_pki

# ---- H2: checks create nothing ----
mkdir emptydir
check_exit "fsck refuses a directory without catalog.db" 4 "$KHO" fsck --data emptydir
check_grep "  ... and says what it is not" 'emptydir is not a kho data directory \(no catalog.db\)' check.err
check "  ... and created nothing in it" test -z "$(ls -A emptydir)"
check "  ... nor a key store beside it" test ! -e emptydir.keys
check_exit "audit verify refuses a directory without catalog.db" 4 "$KHO" audit verify --data emptydir
check_grep "  ... and says what it is not" 'emptydir is not a kho data directory \(no catalog.db\)' check.err
check_exit "audit list refuses it too" 4 "$KHO" audit list --data emptydir
check "  ... and neither created anything" test -z "$(ls -A emptydir)"
check_exit "token list refuses it" 4 "$KHO" token list --data emptydir
check_exit "token revoke refuses it" 4 "$KHO" token revoke --data emptydir x
check "  ... and neither created anything" test -z "$(ls -A emptydir)"
check_exit "token --help" 0 "$KHO" token --help
check_grep "  ... says add creates a new catalog (the first token's bootstrap)" 'creates DIR and a new catalog' check.out
check_exit "token add on a new directory is the documented bootstrap" 0 \
	"$KHO" token add --data boot --role admin adm
check_grep "  ... and says on stderr that it made a new catalog" 'boot had no catalog.db: creating a new catalog' check.err
check "  ... which is there" test -s boot/catalog.db

start_daemon data --trust pki/trust.pem
stop_daemon
check_exit "fsck of the daemon's data directory is clean" 0 "$KHO" fsck --data data --trust pki/trust.pem
check_grep "  ... says so" 'fsck: clean' check.out
check_exit "fsck --keys with a mistyped key store fails" 4 "$KHO" fsck --data data --keys typo.keys
check_grep "  ... naming it" 'typo.keys: no such key store' check.err
check "  ... and does not create it" test ! -e typo.keys
mv data/keys/master.key master.key.saved
check_exit "fsck without the master key fails" 4 "$KHO" fsck --data data
check_grep "  ... naming it" 'data/keys/master.key: no such key file' check.err
check "  ... and does not write a new one" test ! -e data/keys/master.key
mv master.key.saved data/keys/master.key
mv data/keys/subject.key subject.key.saved
check_exit "fsck without the subject key fails" 4 "$KHO" fsck --data data
check "  ... and does not write a new one" test ! -e data/keys/subject.key
mv subject.key.saved data/keys/subject.key
check_exit "audit verify --master-key with a missing file fails" 4 \
	"$KHO" audit verify --data data --master-key nonexist.key
check_grep "  ... naming it" 'nonexist.key: no such master key file' check.err
check "  ... and does not create it" test ! -e nonexist.key
check_exit "audit verify --keys with a missing key store fails" 4 \
	"$KHO" audit verify --data data --keys typo2.keys
check "  ... and does not create it" test ! -e typo2.keys
check_exit "audit verify with the right paths passes" 0 "$KHO" audit verify --data data
check_exit "fsck still clean after all that" 0 "$KHO" fsck --data data

# ---- M6: files the user names may be symbolic links ----
rec=$(ls "$ROOT"/testdata/records/*.xml | head -n1)
cp "$rec" record.xml
ln -s pki/trust.pem link-trust.pem
ln -s ketqua.pdf link.pdf
ln -s record.xml link-record.xml
ln -s pki/signer.key link-signer.key
seal_pkg record.xml ok.asice >/dev/null 2>&1 || { echo "seal_pkg failed"; exit 1; }
check_exit "seal takes a data file, record and key that are symbolic links" 0 \
	"$KHO" seal --key link-signer.key --cert pki/signer.pem --tsa-key pki/tsa.key \
	--tsa-cert pki/tsa.pem --crl pki/crls.pem --record link-record.xml -o link-ok.asice link.pdf
check_nogrep "  ... without 'symbolic link'" 'symbolic link' check.err
check_exit "verify takes --trust that is a symbolic link" 0 \
	"$KHO" verify --trust link-trust.pem ok.asice
check_grep "  ... and passes" 'TOTAL-PASSED' check.out
ln -s ok.asice link-ok-pkg.asice
check_exit "verify takes a package that is a symbolic link" 0 "$KHO" verify --trust pki/trust.pem link-ok-pkg.asice
check_exit "inspect too" 0 "$KHO" inspect link-ok-pkg.asice
check_grep "  ... and shows its record" 'result code' check.out

# ---- H1: seal never writes its package over one of its inputs ----
cp pki/signer.key sk.key && chmod 600 sk.key
cp pki/crls.pem crls-copy.pem
cp pki/tsa.pem tsa-copy.pem
sum_before=$(cat sk.key record.xml ketqua.pdf crls-copy.pem tsa-copy.pem | sha256sum)
seal_b() { "$KHO" seal --key sk.key --cert pki/signer.pem --no-timestamp --record record.xml "$@"; }
check_exit "seal -o the --key file is refused" 3 seal_b -o sk.key ketqua.pdf
check_grep "  ... and says why" 'same file as --key sk.key' check.err
check_exit "seal -o the --record file is refused" 3 seal_b -o record.xml ketqua.pdf
check_exit "seal -o a data FILE is refused" 3 seal_b -o ketqua.pdf ketqua.pdf
check_exit "seal -o a link to a data FILE is refused" 3 seal_b -o link.pdf ketqua.pdf
check_exit "seal -o ./sk.key (another spelling) is refused" 3 seal_b -o ./sk.key ketqua.pdf
check_exit "seal -o a --crl file is refused" 3 seal_b --crl crls-copy.pem -o crls-copy.pem ketqua.pdf
check_exit "seal -o the --tsa-cert file is refused" 3 "$KHO" seal --key sk.key --cert pki/signer.pem \
	--tsa-key pki/tsa.key --tsa-cert tsa-copy.pem --record record.xml -o tsa-copy.pem ketqua.pdf
check_grep "  ... naming the option" 'same file as --tsa-cert' check.err
check_exit "seal -o the --cert file is refused" 3 seal_b -o pki/signer.pem ketqua.pdf
check "  ... and every input is unchanged" test "$(cat sk.key record.xml ketqua.pdf crls-copy.pem tsa-copy.pem | sha256sum)" = "$sum_before"
check_exit "seal -o over an existing earlier package is fine" 0 seal_b -o ok-b.asice ketqua.pdf
check_exit "  ... again" 0 seal_b -o ok-b.asice ketqua.pdf

# ---- a repeated --agency: the token would act for the last one silently (found by review) ----
check_exit "token add with --agency given twice is a usage error" 3 "$KHO" token add --data data --role officer --agency 000.31.20.H55 --agency 000.20.31.H55 dbl
check_grep "  ... saying so" 'agency given twice' check.err
"$KHO" token list --data data >tokens0.out 2>&1
check_nogrep "  ... and no token is made" '^dbl ' tokens0.out

# ---- H5: a token that could not be shown is not kept ----
check_exit "token add >/dev/full fails" 4 sh -c '"$0" token add --data data --role admin lost >/dev/full' "$KHO"
check_grep "  ... and says the token was withdrawn" 'could not be written to standard output.*withdrawn' check.err
"$KHO" token list --data data >tokens.out
check_nogrep "  ... and it is not in the list" '^lost ' tokens.out
check_exit "  ... so the name can be given again" 0 "$KHO" token add --data data --role admin lost
check_grep "  ... and the new token is shown" '^kho_[0-9a-f]{64}$' check.out
"$KHO" audit list --data data >audit.out
check_grep "  ... and the audit trail says what happened" 'token withdrawn' audit.out

# ---- M1: output that was lost is not success ----
check_exit "verify >/dev/full (text) exits 4" 4 sh -c '"$0" verify --trust pki/trust.pem ok.asice >/dev/full' "$KHO"
check_grep "  ... and says so" 'cannot write the report to standard output' check.err
check_exit "verify --format json >/dev/full exits 4" 4 \
	sh -c '"$0" verify --format json --trust pki/trust.pem ok.asice >/dev/full' "$KHO"
check_exit "token list >/dev/full exits 4" 4 sh -c '"$0" token list --data data >/dev/full' "$KHO"
check_grep "  ... and says so" 'kho: cannot write to standard output' check.err
check_exit "audit list >/dev/full exits 4" 4 sh -c '"$0" audit list --data data >/dev/full' "$KHO"
check_exit "inspect >/dev/full exits 4" 4 sh -c '"$0" inspect ok.asice >/dev/full' "$KHO"
check_exit "inspect to a file still exits 0" 0 "$KHO" inspect ok.asice
check_grep "  ... and lists the container" 'ASiC-E' check.out
check_exit "verify to a file still exits 0" 0 "$KHO" verify --trust pki/trust.pem ok.asice

# ---- M2: numeric options are whole numbers in range ----
for a in "--grace -1" "--grace abc" "--grace 5s" "--rate abc" "--rate -3" "--rate ''"; do
	eval "check_exit \"fsck $a is a usage error\" 3 \"\$KHO\" fsck --data data $a"
done
check_grep "  ... naming the option" '--rate must be' check.err
for a in "--after garbage" "--after -5" "--limit 2x" "--limit 0"; do
	eval "check_exit \"audit list $a is a usage error\" 3 \"\$KHO\" audit list --data data $a"
done
check_grep "  ... naming the option" '--limit must be' check.err
check_exit "audit list --after 1 --limit 2 still works" 0 "$KHO" audit list --data data --after 1 --limit 2
check "  ... two events" test "$(wc -l <check.out)" = 2
check_exit "qr --scale 5x is a usage error" 3 "$KHO" qr --data data --result X -o q.png --scale 5x
check_grep "  ... naming the option" '--scale must be' check.err
# An orphan store file: --grace -1 wrapped to 4294967295 s and hid it.
orphan=data/store/00/00$(printf '%062d' 0).enc
echo junk >"$orphan"
touch -d '2 hours ago' "$orphan"
check_exit "fsck finds an orphan" 1 "$KHO" fsck --data data
check_grep "  ... and counts it" '1 orphan files' check.out
check_exit "fsck --grace 60 still finds the two-hour-old orphan" 1 "$KHO" fsck --data data --grace 60
rm -f "$orphan"

# ---- M4: --at 1970-01-01T00:00:00Z is a time; KHO_NOW must parse ----
check_exit "verify --at the epoch fails (the certificates are not yet valid)" 1 \
	"$KHO" verify --trust pki/trust.pem --at 1970-01-01T00:00:00Z ok.asice
check_grep "  ... validated at the epoch, not now" 'Validation time: +1970-01-01T00:00:00Z' check.out
for v in garbage 2025-02-30T00:00:00Z 2025-03-14T25:00:00Z; do
	check_exit "KHO_NOW=$v is refused" 3 env KHO_NOW=$v "$KHO" verify --trust pki/trust.pem ok.asice
	check_grep "  ... saying so" "KHO_NOW=$v is not an RFC 3339 time" check.err
done
check_exit "KHO_NOW=garbage is refused by token list too" 3 env KHO_NOW=garbage "$KHO" token list --data data
check_exit "a good KHO_NOW is taken" 0 env KHO_NOW=2026-01-01T00:00:00Z "$KHO" verify --trust pki/trust.pem ok.asice
check_grep "  ... as the validation time" 'Validation time: +2026-01-01T00:00:00Z' check.out

# ---- M3: serve refuses bad trust before creating anything; a lost port file stops it ----
check_exit "serve without trust anchors is a usage error" 3 "$KHO" serve --data newdata --listen 127.0.0.1:0
check_grep "  ... saying why" 'no trust anchors' check.err
check "  ... and created nothing" test ! -e newdata -a ! -e newdata.keys
check_exit "serve with a --trust file that does not exist is a usage error" 3 \
	"$KHO" serve --data newdata --listen 127.0.0.1:0 --trust nonexist.pem
check_grep "  ... naming it" 'nonexist.pem' check.err
check "  ... and created nothing" test ! -e newdata -a ! -e newdata.keys
check_exit "serve whose --port-file cannot be written stops with 5" 5 timeout 20 \
	"$KHO" serve --data data --listen 127.0.0.1:0 --trust pki/trust.pem --port-file nodir/port.txt
check_grep "  ... saying why" 'port-file' check.err

# ---- a usage error says what was wrong before the usage text --------------
check_exit "qr without its options: 3" 3 "$KHO" qr
check_grep "  ... naming them first" '^kho qr: --data, --result and -o are required$' <(head -n1 check.err)
check_exit "audit verify without --data: 3" 3 "$KHO" audit verify
check_grep "  ... saying so" '^kho audit: --data DIR is required$' <(head -n1 check.err)
check_exit "fsck with an extra argument: 3" 3 "$KHO" fsck --data data extra
check_grep "  ... naming it" "^kho fsck: unexpected argument 'extra'$" <(head -n1 check.err)
check_exit "token revoke without NAME: 3" 3 "$KHO" token revoke --data data
check_grep "  ... saying so" "^kho token revoke: the token's NAME is required$" <(head -n1 check.err)

# ---- retention never makes a key: a subject hold on a catalog whose subject
# key is missing names it and creates none (a new key would file the hold
# under a keyed hash no lookup of the daemon's key ever matches)
mkdir rk && "$KHO" token add --data rk/data --role admin a >/dev/null 2>&1 && mkdir -m 700 rk/data/keys
check_exit "a subject hold without the subject key fails" 5 "$KHO" retention hold --scope subject \
	--target 001234567890 --reason r --authority a --data rk/data
check_grep "  ... naming the key file" 'rk/data/keys/subject.key: no such key file' check.err
check "  ... and no key was made" test ! -e rk/data/keys/subject.key

# ---- a file that cannot be made is named as asked, not by its temporary name
check_exit "seal -o into a directory that does not exist: 4" 4 "$KHO" seal --key pki/signer.key \
	--cert pki/signer.pem --no-timestamp --record "$ROOT/testdata/records/ct01-certified-copy.xml" \
	-o nodir/x.asice "$ROOT/testdata/records/ct01-certified-copy.xml"
check_grep "  ... naming nodir/x.asice" '^kho seal: cannot create nodir/x.asice: No such file or directory$' check.err

finish
