#!/bin/bash
# User rights and time profiles (DESIGN.md D1, D4, D5).  Alice has
# user_rights "Day" (may dial out; its short code 00N is barred) in her
# working_hours_time_profile "Office Hours" (every day 08:00-18:00) and
# out_of_hours_user_rights "Night" (outgoing_call_bar).  Bob has "Day"
# and no time profile.  roamd runs under libfaketime (Debian faketime):
# at 10:00 Alice's trunk call goes out and 00123 is 403 Barred; the
# clock then runs past 18:00 and roamctl shows her rights switching to
# "Night": the trunk call is 403 Outgoing Calls Barred, 00N no longer
# exists for her (404), while Bob still dials out.
. "$(dirname "$0")/lib.sh"

CFG_EXTRA_SITE='  timezone: UTC'
CFG_TOP='time_profiles:
  - name: Office Hours
    weekly:
      - { days: [mon, tue, wed, thu, fri, sat, sun], start: "08:00",
          end: "18:00" }
user_rights:
  - name: Day
    outgoing_call_bar: false
    short_codes:
      - { code: "00N", feature: barred }
  - name: Night
    outgoing_call_bar: true'
CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201",
      user_rights: Day, out_of_hours_user_rights: Night,
      working_hours_time_profile: Office Hours }
  - { number: "202", name: "Bob Jones", login_code: "4202",
      user_rights: Day }
  - { number: "203", name: "Carol White", login_code: "4203" }'
write_feature_config

# Carrier answers a call to $1 from $2 while phone $3 dials 9$1.
trunk_call_ok()
{
	local carrier rc=0
	sipp_bg carrier carrier_uas.xml "$CARRIER_PORT" \
	    -set ruri_user "$1" -set from_user "$2"
	carrier=$SIPP_PID
	phone_call "$3" "9$1" || rc=$?
	assert_sipp_ok "$rc" "$4: $3 dialling 9$1 is answered"
	expect_sipp_bg_ok "$carrier" "$4: the carrier got sip:$1@ from $2"
	assert_no_calls
}

# Monday 30 November 2026, 10:00 UTC: office hours.
use_faketime '2026-11-30 10:00:00'
start_roamd
assert_user 201 'd["effective_user_rights"]' Day \
    "at 10:00 Alice has her working-hours rights"
assert_user 202 'd["effective_user_rights"]' Day "Bob has Day"
trunk_call_ok 442079460000 201 201 "10:00"
call_refused 201 00123 '403 Barred' "10:00: Day's short code 00N"
stop_roamd

# 17:59:56: still office hours, then the clock runs past 18:00.
use_faketime '2026-11-30 17:59:56'
start_roamd
assert_user 201 'd["effective_user_rights"]' Day \
    "at 17:59:5x Alice still has Day"
for i in $(seq 100); do
	r=$(user_eval 201 'd["effective_user_rights"]')
	[ "$r" = Night ] && break
	sleep 0.1
done
assert_eq Night "$r" \
    "after 18:00 roamctl shows Alice's out-of-hours rights"
call_refused 201 9442079460000 '403 Outgoing Calls Barred' \
    "after 18:00 Alice's trunk call"
call_refused 201 00123 '404 Number Unobtainable' \
    "after 18:00 00N (a Day short code) is not Alice's any more"
assert_user 202 'd["effective_user_rights"]' Day \
    "Bob, with no time profile, keeps Day"
trunk_call_ok 442079460001 202 202 "after 18:00 Bob"
stop_roamd

# 22:00 from the start: Night at once.
use_faketime '2026-11-30 22:00:00'
start_roamd
assert_user 201 'd["effective_user_rights"]' Night \
    "at 22:00 Alice has Night from the start"
call_refused 201 9442079460000 '403 Outgoing Calls Barred' \
    "22:00: Alice's trunk call"
stop_roamd
