#!/bin/bash
# Host restarted (DESIGN.md F2, F3): Alice (201, home london) is logged in
# at paris on phone 301; paris is killed with kill -9 and started again.
# The restarted paris holds no visitor (roamctl does not show Alice there,
# phone 301 is back with Jean, 301).  When london sees paris again it
# logs "reconcile user=201 host=paris ... held=0 decision=relogin-home"
# and takes Alice back at her base extension 201, as every site's
# directory shows; calls to 201 from paris, berlin and london phones
# ring the london phone 201.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

net_setup
start_network
wait_peers_up
register_all

# net_call CALLER NUMBER CALLEE FROM_USER FROM_NAME WHAT: phone CALLER
# (at its own site) calls NUMBER; phone CALLEE must ring, see From
# FROM_USER/FROM_NAME and answer.
net_call()
{
	local caller=$1 number=$2 callee=$3 fuser=$4 fname=$5 what=$6
	local uas rc=0
	net_phone_uas "$callee" uas_answer.xml -set from_user "$fuser" \
	    -set from_name "$fname"
	uas=$SIPP_PID
	at_site "$(site_of_ext "$caller")" phone_call "$caller" "$number" ||
	    rc=$?
	assert_sipp_ok "$rc" "$what: $caller's call to $number is answered"
	expect_sipp_bg_ok "$uas" "$what: phone $callee rang"
}

# wait_log SITE REGEX SECONDS: SITE's log gets a matching line in time.
wait_log()
{
	local i
	for i in $(seq $(($3 * 10))); do
		grep -Eq -- "$2" "$(site_log "$1")" && break
		sleep 0.1
	done
	site_log_has "$1" "$2"
}

net_login paris 301 201 4201
gen=$(net_json london directory \
    '[e["generation"] for e in d if str(e["number"]) == "201"][0]')
assert_eq '["logged_in", "301"]' "$(site_user_state paris 201)" \
    "paris holds Alice at 301 (generation $gen)"
net_call 202 201 301 202 "Bob Jones" "london phone, Alice at paris"

# --- paris dies and comes back -------------------------------------------
kill9_site paris
wait_peer_state london paris down 5
wait_peer_state berlin paris down 5
relogins=$(site_log_count london 'reconcile user=201 host=paris')
start_site paris

# F2: the restarted host does not restore its visitor.
got=$(site_user_state paris 201)
case $got in
absent|'["logged_out", null]') ok "restarted paris holds no Alice ($got)" ;;
*) fail "restarted paris still shows Alice: $got" ;;
esac
# Phone 301's previous user Jean (301) was replaced by Alice; by H3 the
# phone falls back to him now that Alice is gone.
assert_eq '["logged_in", "301"]' "$(site_user_state paris 301)" \
    "phone 301 falls back to Jean after the restart (H3)"
grep -q 'logout user=201 ext=301 reason=host-restart' "$(site_log paris)" ||
    fail "paris did not log the visitor's phone being released"

# F3: london sees paris again and takes Alice home.
wait_peers_up
wait_log london "reconcile user=201 host=paris gen=$gen held=0 decision=relogin-home" 5
[ "$(site_log_count london 'reconcile user=201 host=paris')" -eq \
    $((relogins + 1)) ] || fail "london reconciled 201 more than once:" \
    "$(grep 'reconcile user=201' "$(site_log london)")"
wait_directory 201 london 201
assert_eq '["logged_in", "201", "london"]' "$(net_json london 'user 201' \
    '[d["state"], d["extension"], d["site"]]')" \
    "london has Alice back at her base extension 201"

# Calls to 201 ring the london phone, from every site.
net_register_ok paris 301
net_register_ok paris 302
net_call 302 201 201 302 "Marie Curie" "paris phone after the host restart"
net_call 401 201 201 401 "Hans Weber" "berlin phone after the host restart"
net_call 202 201 201 202 "Bob Jones" "london phone after the host restart"
net_call 201 302 302 201 "Alice Smith" "Alice calls Marie from her own phone"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
