#!/bin/bash
# roamctl reload and the registrar's extensions: a changed digest
# password takes effect at once (the old one is refused, the new one
# accepted) and the bindings of an extension taken out of the config go.
. "$(dirname "$0")/lib.sh"

P204=$(phone_port 204)
ext204()
{
	echo "  - { number: \"204\", password: \"$1\", base_user: \"204\" }"
}
USER204='  - { number: "204", name: "Dave Green", login_code: "4204" }'

CFG_EXTRA_EXTENSIONS=$(ext204 "$(ext_password 204)") \
CFG_EXTRA_USERS=$USER204 write_site_config
start_roamd
register_ok 204 "$P204"
register_ok 201 "$(phone_port 201)"

# A new password for 204.
CFG_EXTRA_EXTENSIONS=$(ext204 "new-204-secret") \
CFG_EXTRA_USERS=$USER204 write_site_config
rctl reload >/dev/null || fail "roamctl reload failed"
rc=0
register 204 "$P204" || rc=$?
[ "$rc" -ne 0 ] || fail "204 registered with its old password after reload"
sipp_failure_expected
ok "the old password of 204 is refused after the reload"
sipp_uac reg204new reg.xml "$P204" -s 204 -key ext 204 -key expires 300 \
    -set site_domain "$DOMAIN" -au 204 -ap "new-204-secret" ||
    fail "204 did not register with its new password"
ok "the new password of 204 is accepted after the reload"

# 204 taken out of the config: its binding goes, 201's stays.
write_site_config
rctl reload >/dev/null || fail "roamctl reload failed"
assert_eq "" "$(reg_contacts 204)" "roamctl regs no longer lists 204"
assert_contains "$(reg_contacts 201)" "127.0.0.1:$(phone_port 201)" \
    "201's binding survived the reloads"
