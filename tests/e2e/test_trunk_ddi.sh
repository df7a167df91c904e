#!/bin/bash
# Incoming DDI calls: the carrier, from the trunk's exact address, calls
# 442071230201 without authentication; 201's phone rings, sees the
# caller's number and SDP, answers; the carrier hangs up.  An unknown DDI
# gets 404; the same INVITE from an address that is not the trunk's is
# not routed.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

register_ok 201 "$(phone_port 201)"
phone_uas 201 uas_answer.xml -set from_user 447700900123 -set from_name -
phone=$SIPP_PID

rc=0
sipp_uac ddi carrier_ddi_uac.xml "$CARRIER_PORT" -s 442071230201 \
    -key caller 447700900123 || rc=$?
assert_sipp_ok "$rc" "carrier call to DDI 442071230201 is answered"
expect_sipp_bg_ok "$phone" "201's phone rang with the caller's number and answered"
assert_no_calls

rc=0
sipp_uac ddi404 carrier_ddi_unknown.xml "$CARRIER_PORT" -s 442071239999 \
    -key caller 447700900123 || rc=$?
assert_sipp_ok "$rc" "carrier call to unknown DDI 442071239999 gets 404"
assert_no_calls

# The same INVITE from another address is no trunk call: challenged or
# refused, never routed to 201 (whose phone is not answering any more).
rc=0
sipp_uac stranger carrier_ddi_stranger.xml "$SPARE_PORT" -s 442071230201 \
    -key caller 447700900123 || rc=$?
assert_sipp_ok "$rc" "a DDI INVITE from a non-trunk address gets 407/403"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
