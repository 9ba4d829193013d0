#!/usr/bin/env bash
# t0450-local-dates.sh: retention counts in Vietnam's civil dates (UTC+7).
# A household business registration (HKD.01: 20 years from its revocation,
# to the anniversary) revoked at 2026-12-31T20:00Z was revoked at 03:00 on
# 1 January 2027 in Hà Nội: it is due on 2047-01-01, not 2046-12-31.
# Counted in UTC days, a period with a calendar-year cut-off became due a
# whole year early (found by review, 2026-12-07). One revoked at 23:00 on
# 31 December in Hà Nội (16:00Z) is the control.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
HKD=$ROOT/testdata/records/hkd01-household-business.xml
AG=000.20.31.H55
R() { "$KHO" retention "$@" --data data; }
for s in 0101 0102; do make_record "$HKD" ct$s.xml $s; seal_pkg ct$s.xml ct$s.asice >/dev/null; done
OFF=$(token counter1 officer $AG)
RM=$(token rm-tam records_manager)
# (after the tokens: kho retention refuses a directory without catalog.db)
check "the schedule loads" R load "$ROOT/testdata/schedules/province-2025.xml"
start_daemon data --trust pki/trust.pem
for s in 0101 0102; do
	st=$(http POST /v1/packages "$OFF" --data-binary @ct$s.asice); check_status "ingest $s" 201 "$st"
done
stop_daemon
revoke() { # revoke SEQ AT: the status change made by the daemon at time AT
	KHO_NOW=$2 start_daemon data --trust pki/trust.pem
	st=$(http POST /v1/results/$AG-250605-$1-KQ1/status "$RM" -H 'Content-Type: application/json' \
		-d '{"status":"revoked","decision":"12/QĐ-UBND"}')
	check_status "revoke $1 at $2" 200 "$st"
	stop_daemon
}
revoke 0101 2026-12-31T20:00:00Z   # 2027-01-01 03:00 in Vietnam
revoke 0102 2026-12-31T16:00:00Z   # 2026-12-31 23:00 in Vietnam

R eval $AG-250605-0101-KQ1 --at 2046-12-31 > a.out
check_grep "revoked on 1 January 2027 (Vietnam): due 2047-01-01" 'revoked 2027-01-01, due 2047-01-01' a.out
check_nogrep "... so not yet due on 2046-12-31" 'review-due' a.out
R eval $AG-250605-0101-KQ1 --at 2047-01-01 > a2.out
check_grep "... but on 2047-01-01" 'review-due' a2.out
R eval $AG-250605-0102-KQ1 --at 2046-12-31 > b.out
check_grep "revoked at 23:00 on 31 December 2026 (Vietnam): due 2046-12-31" 'revoked 2026-12-31, due 2046-12-31' b.out
check_grep "... and due then" 'review-due' b.out
finish
