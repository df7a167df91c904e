#!/bin/bash
# Licence privileges travel (DESIGN.md R6): paris and berlin hold only an
# office_worker licence, yet their remote_worker extensions (309, 409, no
# base user) accept Bob (202, teleworker) and Alice (201, power_user)
# from london: the host checks the profile in the record home sends.  Carol
# (203, basic) and Jean (301, office_worker) are refused there with 403
# "Licence Does Not Allow Login"; they stay where they were and the phone
# keeps nobody.  Licences are counted at home: `roamd -n` refuses a
# london config with more teleworker users than teleworker licences.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# roamd -n counts licences at home.
NET_LICENCES_london="power_user: 1, teleworker: 2"
NET_EXTRA_USERS_london='  - { number: "204", name: "Dan Extra", login_code: "4204", profile: teleworker }
  - { number: "205", name: "Eve Extra", login_code: "4205", profile: teleworker }'
net_write_config london
mv "$(site_cfg london)" "$T/london-over.yaml"
rc=0
out=$("$ROAMD" -n -c "$T/london-over.yaml" 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "roamd -n accepted 3 teleworkers with 2 licences: $out"
assert_contains "$out" "profile teleworker: 3 users but 2 licences held" \
    "roamd -n refuses a profile beyond the licences (exit $rc)"
printf '%s\n' "$out" | grep -Eq "london-over.yaml:[0-9]+:[0-9]+: profile teleworker" ||
    fail "roamd -n does not point at FILE:LINE:COL: $out"
ok "the message points at the config line"
NET_LICENCES_london=
NET_EXTRA_USERS_london=

net_setup
for s in london paris berlin; do
	out=$("$ROAMD" -n -c "$(site_cfg "$s")" 2>&1) ||
	    fail "roamd -n refuses the $s config: $out"
done
ok "roamd -n accepts the three configs (no teleworker/power_user" \
    "licences on paris and berlin)"
start_network
wait_peers_up
register_all

# Teleworker and power_user at paris's remote_worker extension 309.
net_login paris 309 202 4202
site_log_has paris 'remote login ok user=202 home=london ext=309 gen=[0-9]+ profile=teleworker'
at_site paris assert_user 202 '[d["profile"], d["extension"]]' \
    '["teleworker", "309"]' "paris holds teleworker Bob at 309"
at_site london assert_user 202 '[d["site"], d["extension"]]' \
    '["paris", "309"]' "london has Bob at paris/309"
net_logout paris 309 202
wait_directory 202 london 202

net_login paris 309 201 4201
at_site paris assert_user 201 'd["profile"]' power_user \
    "paris holds power_user Alice at 309"
net_logout paris 309 201
wait_directory 201 london 201

# Basic Carol: refused at either host's remote_worker extension.
at_site paris call_refused 309 '*35*203*4203#' \
    '403 Licence Does Not Allow Login' "basic Carol at paris 309"
wait_directory 203 london 203
at_site london assert_user 203 '[d["site"], d["extension"], d["state"]]' \
    '["london", "203", "logged_in"]' "Carol stays at home on 203"
at_site paris call_refused 309 9442079460000 '480 No User Logged In' \
    "phone 309 still has nobody"
at_site berlin call_refused 409 '*35*203*4203#' \
    '403 Licence Does Not Allow Login' "basic Carol at berlin 409"
wait_directory 203 london 203

# An office_worker (Jean, paris) at berlin's 409: refused too.
at_site berlin call_refused 409 '*35*301*4301#' \
    '403 Licence Does Not Allow Login' "office_worker Jean at berlin 409"
wait_directory 301 paris 301

# Teleworker Bob at berlin 409 still works after the refusals.
net_login berlin 409 202 4202
at_site berlin assert_user 202 'd["profile"]' teleworker \
    "berlin holds teleworker Bob at 409"
# ...and a basic user on an ordinary extension of a host is no matter of
# licences (R6 is about remote_worker extensions): Carol at paris 302.
net_login paris 302 203 4203
net_logout paris 302 203
net_logout berlin 409 202

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
