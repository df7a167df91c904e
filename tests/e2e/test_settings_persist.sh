#!/bin/bash
# What users change from the handset survives a restart (DESIGN.md
# section 2: runtime state in SQLite): DND on (although the YAML still
# says dnd: false: the handset wins until the YAML field changes), the
# forward number and forward on no answer, a hot desk login, and the
# count of wrong login codes.  After the restart roamctl shows them and a
# call to the DND user still gets 486 Busy Here.
. "$(dirname "$0")/lib.sh"

CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201" }
  - { number: "202", name: "Bob Jones", login_code: "4202", dnd: false }
  - { number: "203", name: "Carol White", login_code: "4203" }'
write_feature_config
start_roamd

feature_ok 202 '*08' "Bob turns DND on"
feature_ok 202 '*07*203#' "Bob sets his forward number to 203"
feature_ok 202 '*05' "Bob turns forward on no answer on"
call_refused 201 '*35*203*0000#' '403 Login Code Incorrect' \
    "a wrong code for Carol"
call_refused 201 '*35*203*0001#' '403 Login Code Incorrect' \
    "another wrong code for Carol"
out=$(rctl login 201 203) || fail "roamctl login 201 203 failed: $out"

check_state()
{
	assert_user 202 '[d["dnd"], d["forward"]["number"],
	    d["forward"]["on_no_answer"], d["forward"]["unconditional"]]' \
	    '[true, "203", true, false]' "$1: Bob's DND and forwarding"
	assert_where 201 203 "$1: Alice is at Carol's phone"
	assert_where 203 - "$1: Carol is logged out"
	assert_user 203 'd["login_failures"]' 2 "$1: Carol's 2 wrong codes"
	call_refused 203 202 '486 Busy Here' "$1: Alice calls Bob (DND)"
}

check_state "before the restart"
restart_roamd
check_state "after the restart"

# The handset can still change it after the restart.
feature_ok 202 '*09' "Bob turns DND off after the restart"
assert_user 202 'd["dnd"]' false "Bob's DND is off"

roamd_alive || fail "roamd died"
stop_roamd
