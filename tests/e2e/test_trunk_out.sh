#!/bin/bash
# Outgoing calls over the trunk: 201 dials 9442079460000 (short code 9N),
# the carrier at the trunk address gets INVITE sip:442079460000@... from
# 201 and answers; 999 (dial_emergency) reaches the carrier as 999; a
# carrier that challenges gets the trunk's digest credentials.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

sipp_bg carrier carrier_uas.xml "$CARRIER_PORT" \
    -set ruri_user 442079460000 -set from_user 201
carrier=$SIPP_PID
rc=0
phone_call 201 9442079460000 || rc=$?
assert_sipp_ok "$rc" "201 dialling 9442079460000 is answered by the carrier"
expect_sipp_bg_ok "$carrier" "carrier got INVITE sip:442079460000@ from 201, BYE"
assert_no_calls

sipp_bg carrier999 carrier_uas.xml "$CARRIER_PORT" \
    -set ruri_user 999 -set from_user 201
carrier=$SIPP_PID
rc=0
phone_call 201 999 || rc=$?
assert_sipp_ok "$rc" "201 dialling 999 is answered by the carrier"
expect_sipp_bg_ok "$carrier" "carrier got INVITE sip:999@ from 201"
assert_no_calls

# The carrier challenges: roamd answers with the trunk's credentials.
sipp_bg carrierauth carrier_uas_auth.xml "$CARRIER_PORT" \
    -set ruri_user 442079460001
carrier=$SIPP_PID
rc=0
phone_call 201 9442079460001 || rc=$?
assert_sipp_ok "$rc" "201's call through a challenging carrier is answered"
expect_sipp_bg_ok "$carrier" "carrier's 401 was answered with london/trunk-secret"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
