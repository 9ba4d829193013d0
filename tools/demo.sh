#!/usr/bin/env bash
# demo.sh KHO: what `make run` calls. Builds a demo data directory under
# ./demo (or $KHO_DEMO_DIR): a test PKI (kho pki init), a config file with
# trust, CRLs, the built-in TSA and an agency signing key, bearer tokens for
# each role, and the sample results of testdata/records/ sealed and ingested;
# then runs the daemon in the foreground and prints the URL, the tokens and
# example curl commands. Ctrl-C (or SIGTERM) stops it cleanly.
#
# Environment: KHO_DEMO_DIR (default ./demo), KHO_DEMO_LISTEN (default
# 127.0.0.1:8600). Running it again reuses the directory and its tokens.
set -eu
KHO=$(cd "$(dirname "${1:-bin/kho}")" && pwd)/$(basename "${1:-bin/kho}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${KHO_DEMO_DIR:-$ROOT/demo}
LISTEN=${KHO_DEMO_LISTEN:-127.0.0.1:8600}
mkdir -p "$DEMO"
DEMO=$(cd "$DEMO" && pwd)
cd "$DEMO"

if [ ! -f pki/trust.pem ]; then
	echo "demo: creating the test PKI in $DEMO/pki"
	"$KHO" pki init pki >/dev/null
fi

# The address the QR codes of the demo's results point to (none for a port
# chosen at start or an address listening everywhere: the daemon says so).
case $LISTEN in
*:0 | 0.0.0.0:* | \[::\]:*) PUBLIC_URL= ;;   # no address to print: the daemon warns
*) PUBLIC_URL="  \"public_url\": \"http://$LISTEN\"," ;;
esac
cat > kho.json <<JSON
{
  "_comment": "kho demo configuration (docs/config.md). Test PKI only: never use in production.",
  "data": "data",
  "listen": "$LISTEN",
  "threads": 4,
  "trust": ["pki/trust.pem"],
  "crls": ["pki/crls.pem"],
  "tsa": { "key": "pki/tsa.key", "cert": "pki/tsa.pem" },
  "agencies": [
    { "code": "000.31.20.H55", "key": "pki/signer.key", "cert": "pki/signer.pem", "pss": true },
    { "code": "000.20.31.H55", "key": "pki/signer.key", "cert": "pki/signer.pem", "pss": true },
    { "code": "000.00.18.H55", "key": "pki/signer.key", "cert": "pki/signer.pem", "pss": true }
  ],
  "max_upload": 268435456,
  "connection_timeout": 30,
  "accept_indeterminate": [],
  "fixity_interval": 3600,
  "fixity_bytes_per_second": 33554432,
  "rate_per_second": 0,
$PUBLIC_URL
  "enterprise_code": "0100000000"
}
JSON

if [ ! -f tokens.env ]; then
	umask 077
	{
		echo "OFFICER=$("$KHO" token add --data data --role officer --agency 000.31.20.H55 demo-officer | tail -n1)"
		echo "OFFICER2=$("$KHO" token add --data data --role officer --agency 000.20.31.H55 demo-officer-2 | tail -n1)"
		echo "OFFICER3=$("$KHO" token add --data data --role officer --agency 000.00.18.H55 demo-officer-3 | tail -n1)"
		echo "RECORDS=$("$KHO" token add --data data --role records_manager demo-records | tail -n1)"
		echo "AUDITOR=$("$KHO" token add --data data --role auditor demo-auditor | tail -n1)"
		echo "ADMIN=$("$KHO" token add --data data --role admin demo-admin | tail -n1)"
	} > tokens.env
	umask 022
fi
. ./tokens.env
# Approving a disposition batch needs a records manager other than its
# proposer (Circular 06/2025/TT-BNV); a demo directory made before this
# second token existed gets it now.
if [ -z "${RECORDS2:-}" ]; then
	umask 077
	echo "RECORDS2=$("$KHO" token add --data data --role records_manager demo-records-2 | tail -n1)" >> tokens.env
	umask 022
	. ./tokens.env
fi

mkdir -p samples
# One document per sample (the issuer's signed PDF in real use): with one
# file in every package, the public page could only name one of eight
# results for it.
for rec in "$ROOT"/testdata/records/*.xml; do
	name=$(basename "$rec" .xml)
	[ -f "samples/$name.asice" ] && continue
	printf '%%PDF-1.4\n%% demo result %s (the issuer'"'"'s signed PDF in real use)\n' "$name" \
		> "samples/$name.pdf"
	"$KHO" seal --key pki/signer.key --cert pki/signer.pem --pss --tsa-key pki/tsa.key \
		--tsa-cert pki/tsa.pem --crl pki/crls.pem --record "$rec" -o "samples/$name.asice" \
		"samples/$name.pdf"
done

"$KHO" serve --config kho.json --port-file port.txt 2>>serve.log &
PID=$!
trap 'echo; echo "demo: stopping the daemon (in-flight requests finish)"; kill -TERM $PID 2>/dev/null; wait $PID; echo "demo: stopped"; exit 0' INT TERM HUP
for i in $(seq 100); do [ -s port.txt ] && break; sleep 0.1; done
if ! kill -0 $PID 2>/dev/null; then
	echo "demo: the daemon did not start; see $DEMO/serve.log:"; tail -n 5 serve.log; exit 1
fi
URL=http://127.0.0.1:$(cat port.txt)
rm -f port.txt

echo "demo: ingesting the sample results"
for p in samples/*.asice; do
	case $(unzip -p "$p" record.xml | sed -n 's|.*<agencyCode>\([^<]*\)<.*|\1|p') in
	000.20.31.H55) tok=$OFFICER2;;
	000.00.18.H55) tok=$OFFICER3;;
	*) tok=$OFFICER;;
	esac
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
		--data-binary @"$p" "$URL/v1/packages")
	printf '  %-40s %s\n' "$(basename "$p")" "$code"
done
ID=$(sha256sum samples/ct01-certified-copy.asice | cut -d' ' -f1)
# The QR code printed on the paper copy of one sample (docs/verify-page.md).
QR_CODE=000.31.20.H55-250310-0012-KQ1
QR_PNG=$DEMO/samples/ht01-birth-registration-qr.png
if "$KHO" qr --data data --result "$QR_CODE" -o "$QR_PNG" --base-url "$URL" >/dev/null 2>>serve.log; then
	QR_URL=$(zbarimg -q --raw "$QR_PNG" 2>/dev/null) ||
		QR_URL="(install zbar-tools to decode $QR_PNG)"
else
	QR_URL="(kho qr failed; see $DEMO/serve.log)"
fi

cat <<TXT

kho archive daemon (demo) at $URL   data: $DEMO/data   log: $DEMO/serve.log

Public verification page (no token, open it in a browser):
  $URL/verify
QR code of the sample birth registration $QR_CODE:
  $QR_PNG
  which opens  $QR_URL

Tokens (also in $DEMO/tokens.env):
  officer of 000.31.20.H55  $OFFICER
  officer of 000.20.31.H55  $OFFICER2
  officer of 000.00.18.H55  $OFFICER3
  records manager           $RECORDS
  records manager (approver) $RECORDS2
  auditor                   $AUDITOR
  admin                     $ADMIN

Try:
  curl $URL/healthz
  curl -H "Authorization: Bearer $OFFICER" \\
       "$URL/v1/lookup?subject=051087012345&purpose=000.31.20.H55-251120-0001"
  curl -H "Authorization: Bearer $OFFICER" \\
       "$URL/v1/lookup?subject=051096004321&purpose=000.31.20.H55-251120-0001"
    (the second spouse of the sample marriage registration: a result is found by each
     of its subjects)
  curl -H "Authorization: Bearer $OFFICER" -o got.asice -D - $URL/v1/packages/$ID
  curl -H "Authorization: Bearer $OFFICER" $URL/v1/packages/$ID/report
  curl -H "Authorization: Bearer $OFFICER" $URL/v1/results/000.31.20.H55-250314-0007-KQ1
  curl -H "Authorization: Bearer $OFFICER" --data-binary @$DEMO/samples/ct01-certified-copy.asice \\
       $URL/v1/packages
  curl -H "Authorization: Bearer $RECORDS" -d '{"status":"suspended","decision":"QĐ 1/2025"}' \\
       $URL/v1/results/000.31.20.H55-250314-0007-KQ1/status
  curl -H "Authorization: Bearer $RECORDS" $URL/v1/stats/reuse
  curl -H "Authorization: Bearer $RECORDS" -X PUT --data-binary @$ROOT/testdata/schedules/province-2025.xml \\
       $URL/v1/schedules
  curl -H "Authorization: Bearer $RECORDS" $URL/v1/retention/report
    (none of these 2025 samples is due for destruction or transfer before 31/12/2030:
     POST $URL/v1/disposition/batches answers 404 "no record is eligible" until then;
     tests/integration/t0410-retention-daemon.sh runs the whole disposition on a
     simulated 2031 clock, KHO_NOW, with the second records manager approving)
  curl -H "Authorization: Bearer $ADMIN" $URL/metrics
  curl -H "Authorization: Bearer $AUDITOR" "$URL/v1/audit?limit=20"
  curl --data-binary @$DEMO/samples/ht01-birth-registration.asice $URL/v1/verify
  curl -F file=@$DEMO/samples/ht01-birth-registration.pdf "$URL/v1/verify?lang=en"
  curl -H "Authorization: Bearer $OFFICER" -o qr.png $URL/v1/results/$QR_CODE/qr
  $KHO qr --data $DEMO/data --result $QR_CODE -o qr.svg --base-url $URL
  $KHO fsck --data $DEMO/data --config $DEMO/kho.json
  $KHO audit verify --data $DEMO/data

Ctrl-C stops the daemon (in-flight requests finish).
TXT
wait $PID
