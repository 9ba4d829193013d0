# t0440-batch-open-reject.sh: disposition batches through the real daemon and
# the CLI: a record is never in two open batches (a second proposal says
# there is nothing new and names the open batch; a selected record already
# in one is refused, 400, naming it and the batch); a proposed or approved
# batch can be rejected by a records manager (not by an officer or an
# auditor: 403) with a reason and a decision: the batch becomes "rejected",
# its items "dropped" with the reason, the rejection is audited, and its
# records can be proposed again; an executed batch cannot be rejected (409).
# The clock is injected with KHO_NOW for the daemon, --at for the CLI.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
CT=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
code() { echo "$AG-250314-$1-KQ1"; }
R() { "$KHO" retention "$@" --data data; }
valid_until() { sed -i "s|</validFrom>|</validFrom>\n  <validUntil>$2</validUntil>|" "$1"; }
make_record "$CT" a.xml 0101; valid_until a.xml 2025-09-30   # destroyable in 2031
make_record "$CT" c.xml 0103; valid_until c.xml 2025-09-30   # destroyable in 2031
make_record "$CT" d.xml 0104; valid_until d.xml 2031-03-31   # destroyable from April 2031
for f in a c d; do seal_pkg $f.xml $f.asice >/dev/null || echo "seal $f failed"; done
A=$(code 0101); C=$(code 0103); D=$(code 0104)
archive_config kho.json
OFF=$(token counter1 officer $AG)
RM1=$(token rm-lan records_manager)
RM2=$(token rm-hoa records_manager)
AUD=$(token audit1 auditor)

start_daemon data --config kho.json
st=$(http PUT /v1/schedules "$RM1" --data-binary @"$ROOT/testdata/schedules/province-2025.xml")
[ "$st" = 201 ] || echo "schedule: $st"
for f in a c d; do st=$(http POST /v1/packages "$OFF" --data-binary @$f.asice); [ "$st" = 201 ] || echo "ingest $f: $st"; done
for x in $A $C $D; do
	st=$(http POST /v1/results/$x/events "$RM1" --data '{"kind":"dossier-closed","date":"2025-03-14"}')
	[ "$st" = 201 ] || echo "event $x: $st"
done
stop_daemon

# ---- six years later: one batch, not two ----
export KHO_NOW=2031-01-02T09:00:00Z
renewed_config kho.json kho31.json   # the archive's certificate renewed by 2031
start_daemon data --config kho31.json
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "rm-lan proposes a batch" 201 "$st"
B1=$(jq -r .id body.out)
check "... of the two expired records" test "$(jq -r '[.items[].result_code] | sort | join(" ")' body.out)" = "$A $C"
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "proposing again: nothing new (404)" 404 "$st"
check_grep "... saying the records are already in the open batch" "nothing new to propose.*already in an open batch \(batch $B1\)" body.out
st=$(http POST /v1/disposition/batches "$RM2" --data '{"results":["'"$A"'"]}')
check_status "a selected record already in an open batch refuses the proposal" 400 "$st"
check_grep "... naming it and the batch" "$A is already in batch $B1, which is still open" body.out
st=$(http POST /v1/disposition/batches/$B1/approve "$RM2" --data '{"decision":"45/QĐ-SNV","decision_date":"2031-01-02"}')
check_status "another records manager approves it" 200 "$st"
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "approved within its deadline, it is still open: nothing new" 404 "$st"

# ---- reject ----
REJ='{"reason":"hồ sơ đang được thanh tra","decision":"12/QĐ-SNV"}'
st=$(http POST /v1/disposition/batches/$B1/reject "$OFF" --data "$REJ")
check_status "an officer cannot reject a batch" 403 "$st"
st=$(http POST /v1/disposition/batches/$B1/reject "$AUD" --data "$REJ")
check_status "nor can an auditor" 403 "$st"
st=$(http POST /v1/disposition/batches/$B1/reject "$RM1" --data '{"decision":"12/QĐ-SNV"}')
check_status "a rejection without a reason is refused" 400 "$st"
st=$(http POST /v1/disposition/batches/$B1/reject "$RM1" --data "$REJ")
check_status "a records manager rejects the approved batch" 200 "$st"
cp body.out rej.json
check "... the batch is rejected, by whom, when, why, under which decision" \
	test "$(jq -r '[.state, .rejected_by, .rejected_on, .rejection_reason, .rejection_decision] | join("|")' rej.json)" = "rejected|rm-lan|2031-01-02|hồ sơ đang được thanh tra|12/QĐ-SNV"
check "... its items are dropped with the reason" \
	test "$(jq -r '[.items[] | .state + ":" + .reason] | unique | join("")' rej.json)" = "dropped:batch rejected under decision 12/QĐ-SNV: hồ sơ đang được thanh tra"
st=$(http POST /v1/disposition/batches/$B1/reject "$RM1" --data "$REJ")
check_status "rejecting it again: 409" 409 "$st"
st=$(http POST /v1/disposition/batches/$B1/execute "$RM2" --data '{}')
check_status "a rejected batch is not executed: 409" 409 "$st"
st=$(http POST /v1/disposition/batches "$RM1" --data '{}')
check_status "its records can be proposed again" 201 "$st"
B2=$(jq -r .id body.out)
check "... both of them, in a new batch" test "$(jq -r '[.items[].result_code] | sort | join(" ")' body.out)" = "$A $C"
st=$(http POST /v1/disposition/batches/$B2/approve "$RM2" --data '{"decision":"46/QĐ-SNV","decision_date":"2031-01-02"}')
st=$(http POST /v1/disposition/batches/$B2/execute "$RM2" --data '{}')
check_status "the new batch is executed" 200 "$st"
st=$(http POST /v1/disposition/batches/$B2/reject "$RM1" --data "$REJ")
check_status "an executed batch cannot be rejected: 409" 409 "$st"
check_grep "... saying why" "batch $B2 is executed: only a proposed or approved batch can be rejected" body.out
stop_daemon
unset KHO_NOW

# ---- the same through the CLI ----
check "kho retention --help describes batch reject" sh -c "$KHO retention --help | grep -A2 'batch reject ID --reason TEXT' | grep -q 'proposed or approved batch'"
check "in April 2031 the third record is proposed" R batch propose --actor rm-lan --at 2031-04-02
B3=$(tail -n1 check.out)
check_exit "proposing again finds nothing new" 5 R batch propose --actor rm-lan --at 2031-04-02
check_grep "... and names the open batch" "already in an open batch \(batch $B3\)" check.err
check_exit "selecting it is refused" 5 R batch propose --actor rm-lan --at 2031-04-02 --result $D
check_grep "... naming it and the batch" "$D is already in batch $B3" check.err
check_exit "a rejection needs --reason" 3 R batch reject $B3 --actor rm-hoa --at 2031-04-03
check "rm-hoa rejects the proposed batch" R batch reject $B3 --actor rm-hoa --at 2031-04-03 --reason "thiếu biên bản"
check_grep "... and is told so" "batch $B3 rejected" check.out
R batch show $B3 > b3.json
check "... which shows it rejected, its item dropped, no decision given" \
	test "$(jq -r '[.state, .rejection_reason, .rejection_decision, .items[0].state, .items[0].reason] | join("|")' b3.json)" = "rejected|thiếu biên bản||dropped|batch rejected: thiếu biên bản"
check "the record is proposed again" R batch propose --actor rm-lan --at 2031-04-03
B4=$(tail -n1 check.out)
check "... in a new batch" test "$B4" -gt "$B3"
check_exit "an executed batch cannot be rejected (CLI)" 5 R batch reject $B2 --reason x
check "the audit chain verifies" "$KHO" audit verify --data data
"$KHO" audit list --data data --limit 100000 > audit.out
check_grep "the HTTP rejection is audited" "retention-reject.*batch-$B1|batch-$B1.*retention-reject" audit.out
check_grep "the CLI rejection is audited" "retention-reject.*batch-$B3|batch-$B3.*retention-reject" audit.out
finish
