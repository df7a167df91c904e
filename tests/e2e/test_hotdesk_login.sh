#!/bin/bash
# Hot desking on one site (DESIGN.md H1, H4, NoUser): Alice (201) logs in
# at Bob's phone 202 with *35*201*4201#.  Calls to Alice then ring phone
# 202, calls from phone 202 present "Alice Smith" <sip:201@...>, Bob (the
# phone's previous user) is logged out and gets busy treatment (486), and
# Alice's own phone 201 is left with nobody (NoUser: only emergency and
# the login code; anything else 480 No User Logged In).  *35*CODE# at 201
# logs its base user back in there.  Wrong codes and unknown users are
# refused with their reasons.
. "$(dirname "$0")/lib.sh"

write_feature_config
start_roamd

register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"
register_ok 203 "$(phone_port 203)"
assert_where 201 201 "Alice starts at her base extension"
assert_where 202 202 "Bob starts at his base extension"

# Wrong code, unknown user: refused, nothing moves.
call_refused 202 '*35*201*9999#' '403 Login Code Incorrect' \
    "a wrong login code"
call_refused 202 '*35*288*4201#' '404 Number Unobtainable' \
    "a login as an unknown user"
assert_where 201 201 "a failed login leaves Alice where she was"

feature_ok 202 '*35*201*4201#' "Alice logs in at phone 202"
assert_where 201 202 "Alice is logged in at 202"
assert_where 202 - "Bob, the phone's previous user, is logged out"
assert_user 201 'd["name"]' "Alice Smith" "roamctl names the user"

# A call to Alice rings phone 202 (only its UAS listens there).
phone_uas 202 uas_answer.xml -set from_user 203 -set from_name "Carol White"
callee=$SIPP_PID
rc=0
phone_call 203 201 || rc=$?
assert_sipp_ok "$rc" "Carol's call to Alice is answered"
expect_sipp_bg_ok "$callee" "the call to Alice rang phone 202"
assert_no_calls

# A call from phone 202 presents Alice.
phone_uas 203 uas_answer.xml -set from_user 201 -set from_name "Alice Smith"
callee=$SIPP_PID
rc=0
phone_call 202 203 || rc=$?
assert_sipp_ok "$rc" "phone 202 calls Carol"
expect_sipp_bg_ok "$callee" \
    "Carol's phone saw \"Alice Smith\" <sip:201@...> from phone 202"
assert_no_calls

# Bob is logged out: busy treatment.
call_refused 203 202 '486 Busy Here' "a call to logged-out Bob"

# Phone 201 has nobody: calls and codes other than login refused.
call_refused 201 203 '480 No User Logged In' "a call from NoUser phone 201"
call_refused 201 '*08' '480 No User Logged In' "DND from NoUser phone 201"
call_refused 201 '9442079460000' '480 No User Logged In' \
    "an external call from NoUser phone 201"

# *35*CODE# is the phone's base user: Alice comes back to 201 and leaves
# 202, which returns to its base user Bob (free, not force_login).
feature_ok 201 '*35*4201#' "Alice logs in at 201 with her code alone"
assert_where 201 201 "Alice is back at 201"
assert_where 202 202 "phone 202 went back to Bob"

phone_uas 201 uas_answer.xml -set from_user 203 -set from_name "Carol White"
callee=$SIPP_PID
rc=0
phone_call 203 201 || rc=$?
assert_sipp_ok "$rc" "Carol's call to Alice is answered again"
expect_sipp_bg_ok "$callee" "the call to Alice rang phone 201"
assert_no_calls

# The admin moves Carol to phone 201: Alice leaves it.
out=$(rctl --json login 203 201) || fail "roamctl login 203 201 failed: $out"
assert_where 203 201 "roamctl login put Carol at 201"
assert_where 201 - "Alice was logged out of phone 201"
phone_uas 201 uas_answer.xml -set from_user 202 -set from_name "Bob Jones"
callee=$SIPP_PID
rc=0
phone_call 202 203 || rc=$?
assert_sipp_ok "$rc" "Bob's call to Carol is answered"
expect_sipp_bg_ok "$callee" "the call to Carol rang phone 201"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
