#!/usr/bin/env bash
# t0500-browser.sh: the public verification page in a real browser: Debian's
# headless Chromium driven by tests/browser/verify.mjs (playwright-core from
# npm). A valid package shows Hợp lệ, a tampered one Không hợp lệ, an unknown
# file "not archived", the URL decoded (zbarimg) from the record's QR code
# shows the record, the page works with JavaScript disabled on a phone-sized
# screen, and nothing is loaded from elsewhere. Screenshots go to
# $KHO_ARTIFACTS (default ./artifacts). Chromium, node and zbarimg are
# installed by tools/install-deps: if one is missing this test FAILS.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/webverify-lib.sh"

for tool in /usr/bin/chromium node npm zbarimg; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail "$tool is missing (run tools/install-deps)"
	fi
done
[ "$FAILED" -eq 0 ] || finish

BROWSER_DIR=$ROOT/tests/browser
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
	# package-lock.json pins the exact version; nothing is downloaded but it.
	(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error) >npm.log 2>&1 ||
		{ fail "npm ci in tests/browser"; cat npm.log; finish; }
fi

wv_setup
wv_start
check "the QR code image was written" test -s "qr/$CODE.png"
QR_URL=$(zbarimg -q --raw "qr/$CODE.png" 2>/dev/null)
check "the QR code decodes to the record's verification URL" \
	test "$QR_URL" = "$BASE/verify/r/$CODE?k=$KEY"

ART=${KHO_ARTIFACTS:-$PWD/artifacts}
mkdir -p "$ART"
BASE=$BASE FILES=$PWD/files QR_URL=$QR_URL KHO_ARTIFACTS=$ART \
	timeout 300 node "$BROWSER_DIR/verify.mjs" >browser.out 2>browser.err
st=$?
grep -E '^(ok|FAIL) ' browser.out
bp=$(grep -E '^[0-9]+ passed, [0-9]+ failed' browser.out | tail -n1 | awk '{print $1}')
bf=$(grep -E '^[0-9]+ passed, [0-9]+ failed' browser.out | tail -n1 | awk '{print $3}')
if [ -z "$bp" ] || [ "$st" -ne 0 ]; then
	fail "the browser test ran to its end (exit $st)"
	grep -v '^Connection ' browser.err | tail -n 20 | sed 's/^/    /'
fi
PASSED=$((PASSED + ${bp:-0})); FAILED=$((FAILED + ${bf:-0}))
n=$(ls "$ART"/*.png 2>/dev/null | wc -l)
check "12 screenshots saved in $ART" test "$n" -ge 12
check_nogrep "the audit trail holds no personal number" "$PID_NUMBER" audit.log
wv_stop
finish
