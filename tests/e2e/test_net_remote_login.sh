#!/bin/bash
# Remote hot desking, login and logout (DESIGN.md R2, H2, R9): Alice (201,
# homed at london) logs in at paris phone 301 with *35*201*4201#.  Home
# verifies the code: 200 + tone + BYE at the phone, paris asks
# ("remote login request ... home=london"), london grants with a
# generation; every directory and both sites' `roamctl user 201` show her
# at paris/301; her london phone is left with nobody (480) and Jean (301's
# base user) is logged out.  Failures at the host come from home: a wrong
# code 403 "Login Code Incorrect" counted at london, an unknown user 404;
# four wrong codes for Carol (203) from paris and berlin lock her out
# (403 "Locked Out" even with her right code, at either host).  *36 at
# paris sends Alice home (R9): london logs the logout with the same
# generation, she is back at 201 everywhere and calls ring her london
# phone again, and phone 301 falls back to Jean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

net_setup
start_network
wait_peers_up
register_all

# Failures, verified at home.
at_site paris call_refused 301 '*35*201*9999#' '403 Login Code Incorrect' \
    "a wrong code for 201 at paris"
site_log_has london 'remote login request user=201 host=paris ext=301'
at_site london assert_user 201 'd["login_failures"]' 1 \
    "home counted the failure made at paris"
at_site paris call_refused 301 '*35*288*4201#' '404 Number Unobtainable' \
    "a login at paris as an unknown user"
wait_directory 201 london 201

# Carol: wrong codes at paris and berlin add up at home (H2).
at_site paris call_refused 301 '*35*203*1111#' '403 Login Code Incorrect' \
    "Carol's wrong code #1 (paris)"
at_site berlin call_refused 401 '*35*203*2222#' '403 Login Code Incorrect' \
    "Carol's wrong code #2 (berlin)"
at_site paris call_refused 302 '*35*203*3333#' '403 Login Code Incorrect' \
    "Carol's wrong code #3 (paris)"
at_site london assert_user 203 'd["login_failures"]' 3 \
    "london counted 3 failures from two sites"
at_site berlin call_refused 402 '*35*203*4444#' \
    '403 (Login Code Incorrect|Locked Out)' "Carol's wrong code #4 (berlin)"
at_site berlin call_refused 401 '*35*203*4203#' '403 Locked Out' \
    "Carol's right code at berlin after 4 failures"
at_site paris call_refused 301 '*35*203*4203#' '403 Locked Out' \
    "Carol's right code at paris after 4 failures"
at_site london assert_user 203 'd["locked_until"] is not None' true \
    "london holds Carol's lock"
wait_directory 203 london 203
wait_directory 301 paris 301

# Alice logs in at paris 301 (the phone hears the tone, the daemon hangs up).
NET_FEATURE_FULL=1 net_login paris 301 201 4201
site_log_has paris 'remote login request user=201 home=london ext=301'
site_log_has london 'remote login granted user=201 host=paris ext=301 gen=[0-9]+'
gen=$(grep -Eo 'remote login granted user=201 host=paris ext=301 gen=[0-9]+' \
    "$(site_log london)" | tail -n 1 | sed 's/.*gen=//')
at_site london assert_user 201 \
    '[d["home"], d["site"], d["extension"], d["state"]]' \
    '["london", "paris", "301", "logged_in"]' "home sees 201 at paris/301"
at_site paris assert_user 201 \
    '[d["home"], d["site"], d["extension"], d["state"]]' \
    '["london", "paris", "301", "logged_in"]' "host sees 201 at paris/301"
at_site london assert_user 201 'd["login_failures"]' 0 \
    "a good login clears the failure count"
wait_directory 301 -
at_site paris assert_where 301 - "Jean, 301's base user, is logged out"

# Alice's london phone has nobody; a call from it is refused.
at_site london call_refused 201 203 '480 No User Logged In' \
    "a call from Alice's empty london phone"
# A call from phone 301 presents Alice (her name, 301 is hers now).
net_phone_uas 302 uas_answer.xml -set from_user 201 -set from_name "Alice Smith"
callee=$SIPP_PID
rc=0
at_site paris phone_call 301 302 || rc=$?
assert_sipp_ok "$rc" "phone 301 calls 302"
expect_sipp_bg_ok "$callee" "302 saw \"Alice Smith\" <sip:201@...>"

# R9: *36 at paris sends Alice home.
NET_FEATURE_FULL=1 net_logout paris 301 201
site_log_has london "remote logout user=201 host=paris gen=$gen\\b"
wait_directory 201 london 201
wait_directory 301 paris 301
at_site london assert_user 201 '[d["site"], d["extension"], d["state"]]' \
    '["london", "201", "logged_in"]' "home has 201 back at 201"
# Paris holds Alice no more: `roamctl user 201` there has her at home, or
# (a visitor no longer) does not know her beyond the directory.
if out=$(rctl_site paris --json user 201 2>&1); then
	got=$(printf '%s\n' "$out" | json_eval '[d["site"], d["extension"]]')
	assert_eq '["london", "201"]' "$got" "paris's roamctl user 201"
else
	assert_contains "$out" "no such user" "paris no longer holds visitor 201"
fi
at_site paris assert_where 301 301 "phone 301 fell back to Jean"
net_phone_uas 201 uas_answer.xml -set from_user 202 -set from_name "Bob Jones"
callee=$SIPP_PID
rc=0
at_site london phone_call 202 201 || rc=$?
assert_sipp_ok "$rc" "Bob's call to Alice after her logout"
expect_sipp_bg_ok "$callee" "the call rang Alice's london phone 201"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
