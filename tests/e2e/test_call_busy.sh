#!/bin/bash
# The callee's phone is busy: 202 answers 486, the caller gets 486 Busy
# Here and roamctl lists no call afterwards.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

register_ok 202 "$(phone_port 202)"
phone_uas 202 uas_busy.xml
callee=$SIPP_PID

rc=0
phone_call 201 202 uac_486.xml || rc=$?
assert_sipp_ok "$rc" "201 calling busy 202 gets 486 Busy Here"
expect_sipp_bg_ok "$callee" "202's phone said 486 and got its ACK"
assert_no_calls

# After the busy attempt the same callee can be reached again.
call_answered 202 "201 calls 202 again and is answered"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
