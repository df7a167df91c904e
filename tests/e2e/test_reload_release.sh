#!/bin/bash
# A config replaced by a reload is freed once nothing can use it: not while
# a call that was up at the reload lasts, soon after it ends.  Calls,
# registrations and reloads on the new config work after the old
# one is gone (under ASan a use of the freed config fails the run).
# Takes about a minute: the old config is kept 32 s at least.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"

# A call that outlives the wait: up from before the reload for 45 s.
SIPP_TIMEOUT=80 phone_uas 202 uas_answer.xml -set from_user 201 \
    -set from_name "Alice Smith"
callee=$SIPP_PID
SIPP_TIMEOUT=80 CALL_HOLD_MS=45000 phone_call_bg 201 202
caller=$SIPP_PID
wait_calls 1

CFG_EXTRA_EXTENSIONS="  - { number: \"204\", password: \"$(ext_password 204)\", base_user: \"204\" }" \
CFG_EXTRA_USERS='  - { number: "204", name: "Dave Green", login_code: "4204" }' \
    write_site_config
rctl reload >/dev/null || fail "roamctl reload failed"
ok "reload with user 204 added"

# Past the 32 s and two tidy-ups (every 15 s) the call is still up, so
# the replaced config is still held.
sleep 38
assert_eq 1 "$(calls_count)" "the call from before the reload is still up"
grep -q "replaced config freed" "$ROAMD_LOG" &&
    fail "the replaced config was freed while a call from before the reload was up"
ok "the replaced config is kept while the call from before the reload lasts"

expect_sipp_bg_ok "$caller" "201's call from before the reload ended normally"
expect_sipp_bg_ok "$callee" "202 saw the call through"

# The next tidy-up (at most 15 s later) frees it.
for i in $(seq 200); do
	grep -q "replaced config freed" "$ROAMD_LOG" && break
	sleep 0.1
done
assert_log "reload: replaced config freed users=[0-9]+ replaced_s=[0-9]+"

# The site keeps working on the new config.
roamd_alive || fail "roamd died freeing the replaced config"
register_ok 204 "$(phone_port 204)"
register_ok 201 "$(phone_port 201)"
call_answered 204 "201 calls 204 after the old config was freed"
name=$(rctl --json user 204 | json_eval 'd["name"]')
assert_eq "Dave Green" "$name" "roamctl user 204 after the old config was freed"
rctl reload >/dev/null || fail "a second reload failed"
ok "a second reload works after the first config was freed"

stop_roamd
