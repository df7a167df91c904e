#!/bin/bash
# Overload protection (issue 7) with the deterministic trigger, the
# admin's call admission limit security.overload.max_call_rate: phone 201
# offers far more new calls than the limit.  The excess gets 503 Service
# Unavailable with Retry-After on its first INVITE (before any 407), the
# calls admitted complete (BYE answered 200), an emergency call made
# during the flood is not refused, roamd logs one start and one end line
# and counts the refusals, and once the flood stops a call goes through.
. "$(dirname "$0")/lib.sh"

FLOOD_CALLS=60
CFG_TOP='security:
  overload:
    max_call_rate: 1
    retry_after: 7s'
write_feature_config
start_roamd

register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"
register_ok 203 "$(phone_port 203)"
assert_eq 1 "$(rctl --json status |
    json_eval "d['security']['overload']['max_call_rate']")" \
    "roamctl status shows max_call_rate 1"

# 202 answers whatever is admitted; it runs until we stop it.
phone_uas 202 uas_answer.xml -set from_user 201 -set from_name "Alice Smith" \
    -m 1000
callee=$SIPP_PID

# 201 offers 20 new calls/s for 3 s against a limit of 1/s.
phone_call_bg 201 202 uac_overload.xml -m "$FLOOD_CALLS" -r 20 \
    -l "$FLOOD_CALLS"
flood=$SIPP_PID

# An emergency call in the middle of the flood is not refused.
sleep 1
sipp_bg carrier999 carrier_uas_loc.xml "$CARRIER_PORT" \
    -set ruri_user 999 -set from_user 203 -set location "$(ext_location 203)"
carrier=$SIPP_PID
rc=0
phone_call 203 999 || rc=$?
assert_sipp_ok "$rc" "an emergency call from 203 during the flood is answered"
expect_sipp_bg_ok "$carrier" "the carrier got the emergency call"

expect_sipp_bg_ok "$flood" \
    "every flood call got 503 + Retry-After or completed with BYE 200"
eval "flood_log=\$SIPP_BASE_$flood.log"
refused=$(grep -c 'refused retry-after=7$' "$flood_log" || true)
completed=$(grep -c '^completed$' "$flood_log" || true)
[ "$refused" -ge 1 ] || fail "no flood call got 503 with Retry-After: 7"
[ "$completed" -ge 1 ] || fail "no flood call was admitted and completed"
assert_eq "$FLOOD_CALLS" "$((refused + completed))" \
    "$refused calls refused with 503 Retry-After: 7, $completed completed"
# 1/s with a bucket one second deep, over about 3 s: a handful.
[ "$completed" -le 10 ] ||
    fail "$completed of $FLOOD_CALLS calls admitted at max_call_rate 1"

n=$(rctl --json status | json_eval "d['security']['overload']['refused_total']")
[ "$n" -ge "$refused" ] ||
    fail "roamctl counts $n refusals, the phone saw $refused"
ok "roamctl status counts $n refusals"
assert_log 'overload start reason=rate .*max_call_rate=1'
for _ in $(seq 50); do
	grep -q 'overload end reason=rate refused=' "$ROAMD_LOG" && break
	sleep 0.1
done
assert_log "overload end reason=rate refused=$n "
assert_eq 1 "$(grep -c 'overload start' "$ROAMD_LOG")" \
    "one start line for the whole flood, not one per refusal"

kill -TERM "$callee" 2>/dev/null || true
sipp_wait "$callee" || true
eval "echo expected-stopped >\"\$SIPP_BASE_$callee.rc\""
assert_no_calls

# The flood is over: an ordinary call goes through at once.
sleep 1
call_answered 202 "after the flood 201 calls 202 and is answered" \
    "202 answered the call after the flood"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
