#!/usr/bin/env bash
# t0120-hostile.sh: `kho verify` and `kho inspect` on every hostile file in
# testdata/hostile/ (traversal, links, bombs, lying sizes, XXE manifests...):
# each run ends with a clear one-line reason, never a crash (exit < 128),
# never a hang, and writes nothing into the working directory.
source "$ROOT/tests/integration/lib.sh"

HOSTILE=$ROOT/testdata/hostile
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=test root" \
	-days 30 -keyout anchor.key -out anchor.pem >/dev/null 2>&1
mkdir work
n=0
for f in "$HOSTILE"/*; do
	[ -f "$f" ] || continue
	case $f in *.py) continue ;; esac
	n=$((n + 1))
	b=$(basename "$f")
	before=$(cd work && ls -lAR --time-style=+%s .)

	(cd work && timeout 60 "$KHO" verify --trust ../anchor.pem "$f") >v.out 2>v.err; st=$?
	if [ "$st" -eq 1 ] || [ "$st" -eq 2 ]; then ok "verify $b: exit $st"; else
		fail "verify $b: exit $st (expected 1 or 2)"; sed 's/^/    /' v.err; fi
	if [ "$(wc -l <v.err)" -eq 1 ] && grep -qE '^kho verify: (TOTAL-FAILED|INDETERMINATE)/[A-Z_]+: .{10,}' v.err
	then ok "verify $b: one-line reason: $(cut -c1-120 v.err)"
	else fail "verify $b: no single reason line"; sed 's/^/    /' v.err | head -5; fi

	(cd work && timeout 60 "$KHO" inspect "$f") >i.out 2>i.err; st=$?
	if [ "$st" -eq 0 ] || { [ "$st" -eq 1 ] && [ "$(wc -l <i.err)" -eq 1 ] &&
	                        grep -qE '^kho inspect: .{10,}' i.err; }
	then ok "inspect $b: exit $st"
	else fail "inspect $b: exit $st"; sed 's/^/    /' i.err | head -5; fi

	after=$(cd work && ls -lAR --time-style=+%s .)
	if [ "$before" = "$after" ]; then ok "$b: nothing written"; else
		fail "$b: the working directory changed"; diff <(echo "$before") <(echo "$after") | head; fi
done
check "hostile files were found" test "$n" -ge 10

# The refusals are about the danger, not a generic failure.
check_exit "a traversal name is refused" 1 "$KHO" verify --trust anchor.pem "$HOSTILE/dotdot.zip"
check_grep "  ... as FORMAT_FAILURE with pkg.c's reason" '^kho verify: TOTAL-FAILED/FORMAT_FAILURE: the container is refused: ' check.err
check_exit "not a ZIP at all" 1 "$KHO" verify --trust anchor.pem "$HOSTILE/not-a-zip.bin"
check_grep "  ... FORMAT_FAILURE" '^kho verify: TOTAL-FAILED/FORMAT_FAILURE' check.err
# A link the user names is followed (as a --trust file is); what it points
# to is judged like any package: here refused for its traversal name.
check_exit "a symbolic link to a hostile package: followed, and the package refused" 1 bash -c \
	"ln -s '$HOSTILE/dotdot.zip' link.zip && '$KHO' verify --trust anchor.pem link.zip"
check_grep "  ... for its content" '^kho verify: TOTAL-FAILED/FORMAT_FAILURE: the container is refused: .*contains a ".." segment' check.err

# Names that are not fit for a terminal or for XML (found by review,
# 2026-12-07): a file named with U+009B (CSI: terminals act on it), a raw
# 0x9B byte, a bidi override and U+FFFE (no XML character) in a signed
# package. The XML report stays parsable, and no such character reaches the
# terminal from `kho verify` or `kho inspect`.
"$KHO" pki init tpki >/dev/null 2>&1
nm=$(printf 'a\xc2\x9b31m\xe2\x80\xaeRED\xef\xbf\xbe.pdf')
printf '%%PDF-1.4\n' > "$nm"
"$KHO" seal --key tpki/signer.key --cert tpki/signer.pem --tsa-key tpki/tsa.key --tsa-cert tpki/tsa.pem \
	--record "$ROOT/testdata/records/ct01-certified-copy.xml" -o odd.asice "$nm" >/dev/null 2>&1
check_exit "a package with such a name verifies" 0 "$KHO" verify --trust tpki/trust.pem --format xml odd.asice
cp check.out odd.xml
check "  ... its XML report is well-formed XML" xmllint --noout odd.xml
"$KHO" verify --trust tpki/trust.pem odd.asice >odd.txt 2>odd.err
"$KHO" inspect odd.asice >odd.ins 2>&1
check "  ... no C1 control, bidi override or U+FFFE in the text report, inspect or verdict" \
	python3 -c "import sys; d = b''.join(open(f, 'rb').read() for f in sys.argv[1:]).decode('utf-8', 'replace'); sys.exit(1 if any(0x80 <= ord(ch) <= 0x9f or ch in '\u202e\ufffe\ufffd' for ch in d) else 0)" \
	odd.txt odd.err odd.ins
python3 -c "import zipfile; z = zipfile.ZipFile('rawc1.zip', 'w'); z.writestr(zipfile.ZipInfo('x\x9b2J'), b'x'); z.close()" 2>/dev/null
"$KHO" inspect rawc1.zip >raw.ins 2>&1
check "  ... nor a raw 0x9b byte from a ZIP name" python3 -c "import sys; sys.exit(1 if b'\x9b' in open('raw.ins', 'rb').read() else 0)"
finish
