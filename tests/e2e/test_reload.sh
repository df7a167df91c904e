#!/bin/bash
# roamctl reload: a user and extension added to the config can register
# after a reload; a broken config is refused with its error and the
# running config keeps serving.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

P204=$(phone_port 204)

# 204 does not exist yet: its registration does not succeed.
rc=0
register 204 "$P204" || rc=$?
[ "$rc" -ne 0 ] || fail "extension 204 registered before it was configured"
sipp_failure_expected
ok "extension 204 cannot register before it is configured"
assert_eq "" "$(reg_contacts 204)" "roamctl regs does not list 204"

register_ok 201 "$(phone_port 201)"

# Add user and extension 204, reload.
CFG_EXTRA_EXTENSIONS="  - { number: \"204\", password: \"$(ext_password 204)\", base_user: \"204\" }" \
CFG_EXTRA_USERS='  - { number: "204", name: "Dave Green", login_code: "4204" }' \
    write_site_config
rc=0
out=$(rctl reload 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "roamctl reload of a good config failed ($rc): $out"
ok "roamctl reload accepts the new config"
name=$(rctl --json user 204 | json_eval 'd["name"]') ||
    fail "roamctl --json user 204 failed after the reload"
assert_eq "Dave Green" "$name" "roamctl user 204 knows the new user"

register_ok 204 "$P204"
assert_contains "$(reg_contacts 204)" "127.0.0.1:$P204" "roamctl regs lists 204"
assert_contains "$(reg_contacts 201)" "127.0.0.1:$(phone_port 201)" \
    "201's binding survived the reload"

# The new user can be called.
call_answered 204 "201 calls the new user 204"

# A broken config: refused with the error, the old config keeps serving.
cp "$CFG" "$T/good.yaml"
sed -i 's/^  id: 1$/  id: 1\n  colour: blue/' "$CFG"
grep -q "colour: blue" "$CFG" || fail "could not break the config"
badline=$(grep -n "colour: blue" "$CFG" | cut -d: -f1)
rc=0
out=$(rctl reload 2>&1) || rc=$?
echo "$out" | sed 's/^/    | /'
[ "$rc" -ne 0 ] || fail "roamctl reload of a broken config succeeded: $out"
ok "roamctl reload refuses the broken config (exit $rc)"
echo "$out" | grep -Eq "roamd.yaml:$badline:[0-9]+: .*colour" ||
    fail "the reload error does not say roamd.yaml:$badline:COL: ... colour"
ok "the reload error names the file, line and key"
assert_log "reload.*(refused|fail|error)"
roamd_alive || fail "roamd died on a broken reload"

name=$(rctl --json user 204 | json_eval 'd["name"]')
assert_eq "Dave Green" "$name" "user 204 is still configured"
register_ok 204 "$P204"
register_ok 202 "$(phone_port 202)"
ok "registrations still work on the old config"

# Fix the file again: the next reload is accepted.
cp "$T/good.yaml" "$CFG"
rctl reload >/dev/null || fail "reload after fixing the config failed"
ok "reload after fixing the config is accepted"

stop_roamd
