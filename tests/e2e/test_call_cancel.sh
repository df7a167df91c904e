#!/bin/bash
# The caller hangs up while the callee rings: the caller's CANCEL gets 200
# and its INVITE 487; the callee's phone gets a CANCEL too (and answers
# 200 and 487); roamctl lists no call afterwards.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

register_ok 202 "$(phone_port 202)"
phone_uas 202 uas_ring.xml
callee=$SIPP_PID

rc=0
phone_call 201 202 uac_cancel.xml || rc=$?
assert_sipp_ok "$rc" "201 cancels: 200 for the CANCEL, 487 for the INVITE"
expect_sipp_bg_ok "$callee" "202's ringing phone got the CANCEL"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
