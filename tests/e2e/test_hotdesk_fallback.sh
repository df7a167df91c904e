#!/bin/bash
# Logout and its fallbacks (DESIGN.md H3, H5): the user returns to their
# base extension if it is free and they are not force_login; the phone
# returns to its base user if that user is free and not force_login,
# else to NoUser.  Dave (204) is force_login: not logged in at start-up,
# not logged back in by a fallback.  Logout from the handset (*36) and by
# the admin (roamctl logout).  A call to a logged-out user gets busy
# treatment: their forward on busy, else 486.
. "$(dirname "$0")/lib.sh"

CFG_EXTRA_EXTENSIONS="  - { number: \"204\", password: \"$(ext_password 204)\",
      base_user: \"204\" }"
CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201" }
  - { number: "202", name: "Bob Jones", login_code: "4202" }
  - { number: "203", name: "Carol White", login_code: "4203" }
  - { number: "204", name: "Dave Brown", login_code: "4204",
      force_login: true, forward: { number: "203", on_busy: true } }'
write_feature_config
start_roamd

for e in 201 202 203 204; do
	register_ok "$e" "$(phone_port "$e")"
done

# H5: Dave is not logged in at start-up; phone 204 has nobody.
assert_where 204 - "force_login Dave is not logged in at start-up"
assert_user 204 'd["force_login"]' true "roamctl shows force_login"
# H4: busy treatment for a logged-out user: Dave forwards on busy.
phone_uas 203 uas_answer_div.xml -set from_user 201 \
    -set from_name "Alice Smith" -set div_user 204
callee=$SIPP_PID
rc=0
phone_call 201 204 || rc=$?
assert_sipp_ok "$rc" "Alice's call to logged-out Dave is answered"
expect_sipp_bg_ok "$callee" \
    "it went to Carol's phone, Dave's forward on busy (Diversion 204)"
call_refused 204 203 '480 No User Logged In' "a call from NoUser phone 204"

# The admin logs Dave in at his base extension; he logs out himself.
out=$(rctl login 204 204) || fail "roamctl login 204 204 failed: $out"
assert_where 204 204 "Dave is at 204"
feature_ok 204 '*36' "Dave logs out with *36"
assert_where 204 - "Dave is logged out"
call_refused 204 203 '480 No User Logged In' \
    "phone 204 is NoUser again: its base user is force_login"

# The admin puts Alice at Carol's phone: Carol out, phone 201 NoUser.
out=$(rctl login 201 203) || fail "roamctl login 201 203 failed: $out"
assert_where 201 203 "Alice is at 203"
assert_where 203 - "Carol is logged out"
call_refused 201 202 '480 No User Logged In' \
    "phone 201 has nobody while Alice is away"

# Alice logs out at 203: she returns to 201, phone 203 to Carol.
feature_ok 203 '*36' "Alice logs out at 203"
assert_where 201 201 "Alice fell back to her free base extension"
assert_where 203 203 "phone 203 fell back to its free base user Carol"
phone_uas 203 uas_answer.xml -set from_user 202 -set from_name "Bob Jones"
callee=$SIPP_PID
rc=0
phone_call 202 203 || rc=$?
assert_sipp_ok "$rc" "Bob's call to Carol is answered"
expect_sipp_bg_ok "$callee" "the call to Carol rang her phone 203"

# Base extension taken: Alice at 203 again, Bob takes phone 201.
out=$(rctl login 201 203) || fail "roamctl login 201 203 failed: $out"
assert_where 201 203 "Alice is at 203 again"
out=$(rctl login 202 201) || fail "roamctl login 202 201 failed: $out"
assert_where 202 201 "Bob is at 201"
call_refused 202 203 '480 No User Logged In' \
    "phone 202 is NoUser: its base user Bob is busy at 201"
out=$(rctl logout 201) || fail "roamctl logout 201 failed: $out"
assert_where 201 - "Alice is logged out: her base extension is taken"
assert_where 203 203 "phone 203 went back to Carol"
call_refused 203 201 '486 Busy Here' "a call to logged-out Alice"

# The admin logs Bob out: Bob back to 202; phone 201 back to Alice.
out=$(rctl logout 202) || fail "roamctl logout 202 failed: $out"
assert_where 202 202 "Bob fell back to his base extension 202"
assert_where 201 201 "phone 201 fell back to its free base user Alice"
phone_uas 201 uas_answer.xml -set from_user 203 -set from_name "Carol White"
callee=$SIPP_PID
rc=0
phone_call 203 201 || rc=$?
assert_sipp_ok "$rc" "Carol's call to Alice is answered"
expect_sipp_bg_ok "$callee" "the call to Alice rang phone 201"

# A fallback never logs a force_login user in: Alice at 204, then out.
out=$(rctl login 201 204) || fail "roamctl login 201 204 failed: $out"
assert_where 201 204 "the admin put Alice at 204"
out=$(rctl logout 201) || fail "roamctl logout 201 failed: $out"
assert_where 201 201 "Alice fell back to 201"
assert_where 204 - "Dave (force_login) was not logged in at 204"
call_refused 204 203 '480 No User Logged In' "phone 204 is NoUser"
assert_log 'reason=fallback'

assert_no_calls
roamd_alive || fail "roamd died"
stop_roamd
