#!/bin/bash
# Registration: digest-challenged REGISTER binds the phone's address (seen
# in roamctl regs); a wrong password gets 403 and no binding; Expires: 0
# removes the binding; a too short interval gets 423 Interval Too Brief.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

P201=$(phone_port 201)
P202=$(phone_port 202)

# 1. Register 201: 401 then 200 whose Contact carries expires.
register_ok 201 "$P201" 300
assert_contains "$(sipp_last_log)" "granted=" "200 for REGISTER lists the granted expires"
granted=$(sipp_last_log | sed -n 's/.*granted=\([0-9]*\).*/\1/p' | tail -1)
[ "$granted" -ge 60 ] && [ "$granted" -le 300 ] ||
    fail "granted expires $granted is not within 60..300"
ok "granted expires $granted within 60..300"
contacts=$(reg_contacts 201)
assert_contains "$contacts" "127.0.0.1:$P201" "roamctl regs lists 201 at 127.0.0.1:$P201"
exp=$(rctl --json regs | json_eval '[r["expires"] for r in d if str(r["extension"]) == "201"][0]')
case $exp in
''|*[!0-9]*) fail "regs expires for 201 is not a number: $exp" ;;
esac
[ "$exp" -gt 0 ] || fail "regs expires for 201 is $exp"
ok "roamctl regs gives an expires for 201 ($exp)"
assert_log "register ok ext=201"
# A refresh from the same phone is not news: no second info line (the
# admin's log is not flooded by phones refreshing every few minutes).
register_ok 201 "$P201" 300
n=$(grep -c "info site=.* register ok ext=201 " "$ROAMD_LOG" || true)
assert_eq 1 "$n" "a refresh of 201 from the same address logs no second 'register ok'"

# 2. Wrong password: 403, and 202 is not listed.
rc=0
sipp_uac reg202wrong reg_wrong.xml "$P202" -s 202 -key ext 202 \
    -key expires 300 -au 202 -ap "not-the-password" || rc=$?
assert_sipp_ok "$rc" "wrong password for 202 gets 403"
assert_eq "" "$(reg_contacts 202)" "roamctl regs does not list 202"

# A wrong password must not register even through reg.xml (sanity: the
# 200 path really depends on the password).
rc=0
register 202 "$P202" 300 -ap "wrong" || rc=$?
[ "$rc" -ne 0 ] || fail "REGISTER with a wrong password was accepted"
sipp_failure_expected
ok "REGISTER with a wrong password is not accepted"
assert_eq "" "$(reg_contacts 202)" "roamctl regs still does not list 202"

# 3. Unregister 201 (Expires: 0): gone from regs.
rc=0
sipp_uac unreg201 unreg.xml "$P201" -s 201 -key ext 201 \
    -au 201 -ap "$(ext_password 201)" || rc=$?
assert_sipp_ok "$rc" "REGISTER Expires: 0 for 201 gets 200"
assert_eq "" "$(reg_contacts 201)" "roamctl regs no longer lists 201"

# 4. Too short an interval: 423 with Min-Expires, no binding.
rc=0
sipp_uac reg203short reg_short.xml "$(phone_port 203)" -s 203 -key ext 203 \
    -key expires 10 -au 203 -ap "$(ext_password 203)" || rc=$?
assert_sipp_ok "$rc" "REGISTER with Expires: 10 gets 423 with Min-Expires"
assert_eq "" "$(reg_contacts 203)" "roamctl regs does not list 203"

# 5. Over TCP: the same registration works on the tcp listener.
rc=0
sipp_uac reg203tcp reg.xml "$(phone_port 203)" -t t1 -s 203 -key ext 203 \
    -key expires 300 -au 203 -ap "$(ext_password 203)" \
    -set site_domain "$DOMAIN" || rc=$?
assert_sipp_ok "$rc" "REGISTER over TCP gets 200"
[ -n "$(reg_contacts 203)" ] || fail "roamctl regs does not list 203 after TCP REGISTER"
ok "roamctl regs lists 203 after TCP REGISTER"

roamd_alive || fail "roamd died"
stop_roamd
