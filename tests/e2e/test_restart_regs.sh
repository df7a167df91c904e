#!/bin/bash
# Registrations survive a restart: 201 registers, roamd is stopped with
# SIGTERM (exit 0) and started again; roamctl still lists the binding and
# a call to 201 still reaches its phone.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

P201=$(phone_port 201)
register_ok 201 "$P201"
assert_contains "$(reg_contacts 201)" "127.0.0.1:$P201" "201 is registered before the restart"

restart_roamd

assert_contains "$(reg_contacts 201)" "127.0.0.1:$P201" "201 is still registered after the restart"

phone_uas 201 uas_answer.xml -set from_user 202 -set from_name "Bob Jones"
callee=$SIPP_PID
rc=0
phone_call 202 201 || rc=$?
assert_sipp_ok "$rc" "202 calls 201 after the restart and is answered"
expect_sipp_bg_ok "$callee" "201's phone (registered before the restart) answered"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
