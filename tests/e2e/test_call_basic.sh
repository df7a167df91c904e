#!/bin/bash
# A basic call between two phones: 201 calls 202; 202's phone sees Alice's
# identity ("Alice Smith" <sip:201@...>) and the caller's SDP, answers; the
# caller gets 202's SDP; roamctl lists the call while it is up and nothing
# once 201 hangs up.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"

phone_uas 202 uas_answer.xml -set from_user 201 -set from_name "Alice Smith"
callee=$SIPP_PID

CALL_HOLD_MS=3000 phone_call_bg 201 202
caller=$SIPP_PID
wait_calls 1

expect_sipp_bg_ok "$caller" "201 called 202: 407, answered with 202's SDP, BYE 200"
expect_sipp_bg_ok "$callee" "202 saw \"Alice Smith\" <sip:201@...>, answered, got BYE"
assert_no_calls

# A second call right after the first works the same way.
call_answered 202 "a second call from 201 to 202 is answered" \
    "202 answered the second call"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
