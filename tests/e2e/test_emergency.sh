#!/bin/bash
# Emergency calls (DESIGN.md D3): 999 (dial_emergency on pstn) reaches
# the carrier as INVITE sip:999@... carrying X-Roam-Location with the
# location of the extension the call is made from: from a NoUser phone
# (which may dial nothing else), from a user whose rights bar outgoing
# calls and have a short code (99N barred) that would otherwise shadow
# 999, and from a hot desker (the phone's location, not their desk's).
# Besides 999 a NoUser phone may use only the system '?' rules.
. "$(dirname "$0")/lib.sh"

CFG_TOP='user_rights:
  - name: Locked Down
    outgoing_call_bar: true
    short_codes:
      - { code: "99N", feature: barred }'
# System default: anything else goes out on the trunk as dialled.
CFG_EXTRA_SHORT_CODES='  - { code: "?", feature: dial, number: ".",
      trunk: pstn }'
CFG_EXTRA_EXTENSIONS="  - { number: \"209\", password: \"$(ext_password 209)\",
      location: \"London HQ, reception\" }"
CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201" }
  - { number: "202", name: "Bob Jones", login_code: "4202" }
  - { number: "203", name: "Carol White", login_code: "4203",
      user_rights: Locked Down }'
write_feature_config
start_roamd

# Phone $1 dials 999; the carrier checks From user $2 (- = any) and the
# location $3.
emergency_ok()
{
	local carrier rc=0
	sipp_bg carrier999 carrier_uas_loc.xml "$CARRIER_PORT" \
	    -set ruri_user 999 -set from_user "$2" -set location "$3"
	carrier=$SIPP_PID
	phone_call "$1" 999 || rc=$?
	assert_sipp_ok "$rc" "$4: phone $1 dialling 999 is answered"
	expect_sipp_bg_ok "$carrier" \
	    "$4: the carrier got sip:999@ with X-Roam-Location \"$3\""
	assert_no_calls
}

# NoUser phone 209 (no base user).
register_ok 209 "$(phone_port 209)"
r=$(rctl --json regs | json_eval \
    '[r.get("user") for r in d if str(r["extension"]) == "209"]')
assert_eq '[null]' "$r" "roamctl regs: phone 209 has nobody logged in"
emergency_ok 209 - "London HQ, reception" "NoUser"
call_refused 209 9442079460000 '480 No User Logged In' \
    "an ordinary trunk call from NoUser phone 209"
call_refused 209 '*08' '480 No User Logged In' "DND from NoUser phone 209"
# The system '?' rules are open to NoUser phones.
sipp_bg carrier carrier_uas.xml "$CARRIER_PORT" -set ruri_user 0800123 \
    -set from_user 209
carrier=$SIPP_PID
rc=0
phone_call 209 0800123 || rc=$?
assert_sipp_ok "$rc" "NoUser phone 209 dialling 0800123 (system ?) is answered"
expect_sipp_bg_ok "$carrier" \
    "the carrier got sip:0800123@ via the system ? code"
assert_no_calls

# Carol: outgoing calls barred, 99N barred, yet 999 goes out.
assert_user 203 'd["effective_user_rights"]' "Locked Down" \
    "Carol's rights are Locked Down"
emergency_ok 203 203 "$(ext_location 203)" "barred Carol"
call_refused 203 9442079460000 '403 Outgoing Calls Barred' \
    "Carol's ordinary trunk call"
call_refused 203 995 '403 Barred' "Carol's rights short code 99N"

# Alice hot desks at phone 202: the location is the phone's.
out=$(rctl login 201 202) || fail "roamctl login 201 202 failed: $out"
assert_where 201 202 "Alice is at phone 202"
emergency_ok 202 201 "$(ext_location 202)" "Alice at phone 202"

roamd_alive || fail "roamd died"
stop_roamd
