#!/bin/bash
# Call forwarding set from the handset: unconditional to a trunk number
# (the forward number is routed by the forwarding user's short codes:
# 9442079460000 -> the carrier gets INVITE sip:442079460000@...),
# unconditional to another extension (that phone sees the original
# caller and a Diversion header naming the forwarding user), and on no
# answer after no_answer_time (2 s): the first phone rings, is
# cancelled, the forward target rings and answers.
. "$(dirname "$0")/lib.sh"

CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201" }
  - { number: "202", name: "Bob Jones", login_code: "4202",
      forward: { number: "9442079460000", no_answer_time: 2s } }
  - { number: "203", name: "Carol White", login_code: "4203" }'
write_feature_config
start_roamd

for e in 201 202 203; do
	register_ok "$e" "$(phone_port "$e")"
done
assert_user 202 '[d["forward"]["number"], d["forward"]["no_answer_time"]]' \
    '["9442079460000", 2]' "Bob's forward number and no-answer time"

# Unconditional to the trunk number.
feature_ok 202 '*01' "Bob turns forward unconditional on"
assert_user 202 'd["forward"]["unconditional"]' true \
    "Bob forwards unconditionally"
sipp_bg carrier carrier_uas.xml "$CARRIER_PORT" \
    -set ruri_user 442079460000 -set from_user 201
carrier=$SIPP_PID
rc=0
phone_call 201 202 || rc=$?
assert_sipp_ok "$rc" "Alice's call to Bob is answered by the carrier"
expect_sipp_bg_ok "$carrier" \
    "the carrier got INVITE sip:442079460000@ from Alice (201)"
sipp_msgs_of "$carrier" | grep -qi '^Diversion:.*sip:202@' ||
    fail "the carrier's INVITE has no Diversion naming 202"
ok "the carrier's INVITE carries a Diversion naming Bob"
assert_no_calls

# Unconditional to Carol's extension.
feature_ok 202 '*07*203#' "Bob sets his forward number to 203"
assert_user 202 '[d["forward"]["number"], d["forward"]["unconditional"]]' \
    '["203", true]' "Bob forwards unconditionally to 203"
phone_uas 203 uas_answer_div.xml -set from_user 201 \
    -set from_name "Alice Smith" -set div_user 202
callee=$SIPP_PID
rc=0
phone_call 201 202 || rc=$?
assert_sipp_ok "$rc" "Alice's call to Bob is answered at Carol's phone"
expect_sipp_bg_ok "$callee" \
    "Carol's phone saw \"Alice Smith\" <sip:201@...> and Diversion 202"
assert_log 'call forwarded .*user=202 to=203 reason=unconditional'
assert_no_calls

# On no answer: Bob's phone rings for 2 s, then Carol's answers.
feature_ok 202 '*02' "Bob turns forward unconditional off"
feature_ok 202 '*05' "Bob turns forward on no answer on"
assert_user 202 '[d["forward"][k] for k in ("unconditional", "on_no_answer")]' \
    '[false, true]' "Bob forwards on no answer only"
phone_uas 202 uas_ring.xml
bob=$SIPP_PID
phone_uas 203 uas_answer_div.xml -set from_user 201 \
    -set from_name "Alice Smith" -set div_user 202
carol=$SIPP_PID
rc=0
CALL_HOLD_MS=300 phone_call 201 202 || rc=$?
assert_sipp_ok "$rc" "Alice's call to Bob is answered after no answer"
expect_sipp_bg_ok "$bob" "Bob's phone rang and was cancelled"
expect_sipp_bg_ok "$carol" \
    "Carol's phone then rang with Alice's call diverted by Bob"
gap=$(sipp_msgs_of "$bob" | python3 -c '
import re, sys, datetime
t = {}
stamp = None
for line in sys.stdin:
    m = re.match(r"-+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)", line)
    if m:
        stamp = datetime.datetime.fromisoformat(m.group(1))
    for meth in ("INVITE", "CANCEL"):
        if line.startswith(meth + " ") and meth not in t:
            t[meth] = stamp
print("%.2f" % (t["CANCEL"] - t["INVITE"]).total_seconds())
') || fail "no INVITE and CANCEL in phone 202's trace"
python3 -c 'import sys; sys.exit(not 1.5 <= float(sys.argv[1]) <= 4)' "$gap" ||
    fail "phone 202 rang ${gap}s before the forward, expected about 2 s"
ok "phone 202 rang ${gap}s (no_answer_time 2s) before the forward"
assert_log 'call forwarded .*user=202 to=203 reason=no[-_]answer'
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
