#!/bin/bash
# Call detail records (issue 6): an answered call and a busy call from
# 201 to 202 leave two rows in `roamctl cdr --csv` - caller user and
# device, callee, sites crossed (just london), start/answer/end times in
# UTC, cause - in the order they were made; --since keeps the later one;
# the table and --json tell the same; /metrics counts the calls by result.
. "$(dirname "$0")/lib.sh"

HTTP=0
if command -v curl >/dev/null; then
	CFG_EXTRA_SITE=$(http_site_lines)
	HTTP=1
fi
write_site_config
start_roamd

register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"
t_start=$(date +%s)

assert_eq "start,answer,end,talk_s,caller_user,caller_device,caller_number,callee,callee_user,sites,trunk,cause,reason,callid" \
    "$(rctl cdr --csv)" "no call yet: the CSV is only its header"

# An answered call.
CALL_HOLD_MS=1500 call_answered 202 "201 calls 202 and is answered"
assert_no_calls
sleep 1.1
t_mid=$(date +%s)

# A busy one.
phone_uas 202 uas_busy.xml
callee=$SIPP_PID
rc=0
phone_call 201 202 uac_486.xml || rc=$?
assert_sipp_ok "$rc" "201 calling busy 202 gets 486 Busy Here"
expect_sipp_bg_ok "$callee" "202's phone said 486"
assert_no_calls
t_end=$(date +%s)

csv=$(rctl cdr --csv) || fail "roamctl cdr --csv failed"
printf '%s\n' "$csv" >"$T/cdr.csv"
python3 - "$T/cdr.csv" "$t_start" "$t_end" <<'EOF' || fail "bad CDR CSV: $csv"
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
lo, hi = int(sys.argv[2]), int(sys.argv[3])
assert len(rows) == 2, "want 2 rows, got %d" % len(rows)

def t(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
        .replace(tzinfo=datetime.timezone.utc).timestamp())

for r in rows:
    assert r["caller_user"] == "201", r
    assert r["caller_device"] == "201", r
    assert r["callee"] == "202", r
    assert r["callee_user"] == "202", r
    assert r["sites"] == "london", r
    assert r["trunk"] == "", r
    assert r["callid"] != "", r
    assert lo <= t(r["start"]) <= t(r["end"]) <= hi, r
ans, busy = rows
assert ans["cause"] == "200", ans
assert ans["answer"] != "", ans
assert t(ans["start"]) <= t(ans["answer"]) <= t(ans["end"]), ans
assert int(ans["talk_s"]) == t(ans["end"]) - t(ans["answer"]), ans
assert busy["cause"] == "486", busy
assert busy["reason"] == "Busy Here", busy
assert busy["answer"] == "" and busy["talk_s"] == "0", busy
assert t(busy["start"]) >= t(ans["end"]), "not in call order"
EOF
ok "cdr --csv: the answered (200) and the busy (486) call, caller 201 at 201, callee 202, times in order"

# --since keeps the busy call only, in both forms of T.
assert_eq 2 "$(rctl cdr --since "$t_mid" --csv | wc -l)" \
    "cdr --since (unix seconds) --csv: header and the busy call"
rctl cdr --since "$(date -d "@$t_mid" +%Y-%m-%dT%H:%M:%S)" --csv |
    tail -n 1 | grep -q ',486,' ||
    fail "cdr --since (local time) does not keep the busy call"
ok "cdr --since (local YYYY-MM-DDTHH:MM:SS) keeps the busy call"

# JSON and the table tell the same.
assert_eq "200 486" "$(rctl --json cdr | json_eval \
    '" ".join(str(c["cause"]) for c in d)')" "cdr --json lists 200 then 486"
assert_eq "True False" "$(rctl cdr --json | json_eval \
    '" ".join(str(c["answered"] and c["caller_device"] == "201") for c in d)')" \
    "cdr --json: the first was answered, from device 201"
table=$(rctl cdr) || fail "roamctl cdr failed"
assert_contains "$table" 'CALLER' "the table has a header"
printf '%s\n' "$table" | grep -Eq '201 +201 +202 +202 +london +- +486 Busy Here$' ||
    fail "the table lacks the busy call: $table"
ok "the table shows the busy call"
rc=0
rctl cdr --bogus >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "a bad word is refused"

if [ "$HTTP" = 1 ]; then
	http_expect GET /metrics 200 "metrics"
	for line in 'roam_calls_total{code="200"} 1' \
	    'roam_calls_total{code="486"} 1'; do
		printf '%s\n' "$HTTP_BODY" | grep -qxF "$line" ||
		    fail "/metrics lacks '$line'"
	done
	ok "/metrics counts the calls by result"
fi

roamd_alive || fail "roamd died"
stop_roamd
