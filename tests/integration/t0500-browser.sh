#!/usr/bin/env bash
# t0500-browser.sh: the public verification page in a real browser: Debian's
# headless Chromium driven by tests/browser/verify.mjs (playwright-core from
# npm), against the REAL daemon (`kho serve`) with the sample package
# ingested by an officer and its QR code printed by `kho qr`. A valid
# package shows Hợp lệ, a tampered one Không hợp lệ, an unknown file "not
# archived", the URL decoded (zbarimg) from the record's QR code shows the
# record, the page works with JavaScript disabled on a phone-sized screen,
# and nothing is loaded from elsewhere. Screenshots go to $KHO_ARTIFACTS
# (default ./artifacts). Chromium, node and zbarimg are installed by
# tools/install-deps: if one is missing this test FAILS.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
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
cat > kho.json <<JSON
{ "_comment": "t0500", "fixity_interval": 0, "threads": 4, "verify_rate_per_minute": 6000,
  "verify_rate_burst": 1000 }
JSON
OFF=$(token counter1 officer 000.31.20.H55)
AUD=$(token auditor1 auditor)
start_daemon data --trust pki/trust.pem --config kho.json
BASE=$URL
st=$(http POST /v1/packages "$OFF" --data-binary @arch/valid.asice)
check_status "the sample package is ingested into the daemon" 201 "$st"
check_exit "kho qr writes the record's QR code" 0 "$KHO" qr --data data --result "$CODE" \
	-o "qr-$CODE.png" --base-url "$BASE"
QR_URL=$(zbarimg -q --raw "qr-$CODE.png" 2>/dev/null)
check_grep "the QR code decodes to the record's verification URL" \
	"^$BASE/verify/r/$CODE\\?k=[A-Za-z0-9_-]{22}\$" <(echo "$QR_URL")

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
st=$(http GET "/v1/audit?limit=1000" "$AUD"); cp body.out audit.json
check_grep "the browser's verifications are in the audit trail" '"action":"public-verify"' audit.json
check_nogrep "the audit trail holds no personal number" "$PID_NUMBER" audit.json
stop_daemon
finish
