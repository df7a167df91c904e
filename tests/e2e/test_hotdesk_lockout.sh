#!/bin/bash
# Login lock-out (DESIGN.md H2) with hotdesk: { lockout_attempts: 4,
# lockout_period: 3s }: wrong codes are refused 403 Login Code Incorrect
# and counted (roamctl login_failures); a right code resets the count;
# after 4 wrong codes in a row the login is 403 Locked Out, even with the
# right code, until the period has passed; then the right code works.
. "$(dirname "$0")/lib.sh"

CFG_TOP='hotdesk: { lockout_attempts: 4, lockout_period: 3s }'
write_feature_config
start_roamd

register_ok 202 "$(phone_port 202)"

wrong='*35*201*1111#'
right='*35*201*4201#'

# Three wrong codes, then the right one: not consecutive enough to lock.
for i in 1 2 3; do
	call_refused 202 "$wrong" '403 Login Code Incorrect' "wrong code $i"
done
assert_user 201 'd["login_failures"]' 3 "roamctl counts 3 failures"
assert_user 201 'd["locked_until"]' null "Alice is not locked yet"
feature_ok 202 "$right" "the right code after 3 wrong ones logs in"
assert_where 201 202 "Alice is at 202"
assert_user 201 'd["login_failures"]' 0 "a good login clears the count"

# Four wrong codes in a row lock her out.
for i in 1 2 3; do
	call_refused 202 "$wrong" '403 Login Code Incorrect' \
	    "wrong code $i of the second run"
done
call_refused 202 "$wrong" '403 (Login Code Incorrect|Locked Out)' \
    "the 4th wrong code in a row"
locked=$(user_eval 201 'd["locked_until"]')
[ "$locked" != null ] || fail "roamctl shows no locked_until after 4 failures"
ok "roamctl shows Alice locked until $locked"
call_refused 202 "$right" '403 Locked Out' "the right code while locked"
call_refused 203 '*35*201*4201#' '403 Locked Out' \
    "the right code from another phone while locked"
assert_where 201 202 "the lock did not move Alice"

# The lock runs out after lockout_period.
sleep 3.2
feature_ok 203 "$right" "the right code after the lock period logs in"
assert_where 201 203 "Alice is at 203"
assert_user 201 '[d["login_failures"], d["locked_until"]]' '[0, null]' \
    "the lock and the count are gone"
assert_log 'login locked user=201'

roamd_alive || fail "roamd died"
stop_roamd
