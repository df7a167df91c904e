#!/bin/bash
# Do not disturb from the handset: with DND on a caller gets busy
# treatment (486 Busy Here, the phone does not ring), or the forward-on-
# busy destination when the user set one (that phone sees the original
# caller and a Diversion naming the DND user); DND off, the phone rings
# again.  roamctl shows dnd each time.
. "$(dirname "$0")/lib.sh"

CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201" }
  - { number: "202", name: "Bob Jones", login_code: "4202",
      forward: { number: "203" } }
  - { number: "203", name: "Carol White", login_code: "4203" }'
write_feature_config
start_roamd

for e in 201 202 203; do
	register_ok "$e" "$(phone_port "$e")"
done

feature_ok 202 '*08' "Bob turns DND on"
assert_user 202 'd["dnd"]' true "Bob's DND is on"

# Phone 202 would answer if rung; with DND it must not be.
phone_uas 202 uas_answer.xml -set from_user 201 -set from_name "Alice Smith"
bob=$SIPP_PID
call_refused 201 202 '486 Busy Here' "a call to Bob with DND on"
roamd_alive || fail "roamd died"
kill "$bob" 2>/dev/null || true
rc=0
sipp_wait "$bob" || rc=$?
[ -z "$(sipp_msgs_of "$bob" | grep '^INVITE ')" ] ||
    fail "phone 202 was rung although Bob has DND on"
echo "expected-$rc" >"$(eval echo "\$SIPP_BASE_$bob").rc"
ok "phone 202 was not rung"

# DND with forward on busy: the call goes to Carol's phone.
feature_ok 202 '*03' "Bob turns forward on busy on"
assert_user 202 '[d["dnd"], d["forward"]["on_busy"], d["forward"]["number"]]' \
    '[true, true, "203"]' "Bob: DND on, forward on busy to 203"
phone_uas 203 uas_answer_div.xml -set from_user 201 \
    -set from_name "Alice Smith" -set div_user 202
callee=$SIPP_PID
rc=0
phone_call 201 202 || rc=$?
assert_sipp_ok "$rc" "Alice's call to Bob (DND, forward on busy) is answered"
expect_sipp_bg_ok "$callee" \
    "Carol's phone saw Alice's call diverted by Bob (Diversion 202)"
assert_log 'call forwarded .*user=202 to=203 reason=busy'
assert_no_calls

# DND off: Bob's own phone rings and answers.
feature_ok 202 '*09' "Bob turns DND off"
assert_user 202 'd["dnd"]' false "Bob's DND is off"
call_answered 202 "Alice's call to Bob is answered" \
    "Bob's own phone 202 rang and answered"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
