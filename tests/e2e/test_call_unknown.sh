#!/bin/bash
# Dialling a number nobody has gets 404 Number Unobtainable; calling a user
# whose phone is not registered gets 480; neither leaves a call behind.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

rc=0
phone_call 201 2999 uac_404.xml || rc=$?
assert_sipp_ok "$rc" "201 dialling 2999 gets 404 Number Unobtainable"
assert_no_calls

rc=0
phone_call 201 203 uac_480.xml || rc=$?
assert_sipp_ok "$rc" "201 calling 203 (no phone registered) gets 480"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
