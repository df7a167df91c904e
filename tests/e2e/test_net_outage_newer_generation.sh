#!/bin/bash
# Home has a newer generation (DESIGN.md F3): Alice (201, home london) is
# logged in at paris on phone 301.  paris is frozen (kill -STOP) and
# london and berlin declare it down after hold_time; meanwhile Alice logs
# in at berlin's hot desk 409 and london grants a newer generation.  When
# paris continues it learns london's view, logs "reconcile user=201 ...
# decision=drop" and lets her go: phone 301 falls back to Jean (301).
# Every directory then shows Alice at berlin/409 at the new generation,
# and calls to 201 from paris and london ring 409, calls to 301 ring 301.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

NET_HOLD_TIME=3s
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

# dir_201 SITE: 201's directory entry on SITE as [site, extension,
# generation].
dir_201()
{
	net_json "$1" directory '[[e["site"], e.get("extension"),
	    e.get("generation")] for e in d if str(e["number"]) == "201"][0]'
}

net_login paris 301 201 4201
gen1=$(net_json london directory \
    '[e["generation"] for e in d if str(e["number"]) == "201"][0]')
assert_eq '["logged_in", "301"]' "$(site_user_state paris 201)" \
    "paris holds Alice at 301 (generation $gen1)"

# --- paris frozen; Alice logs in at berlin ---------------------------------
stop_signal paris
wait_peer_state london paris down 10
wait_peer_state berlin paris down 10
site_log_has london 'peer down name=paris .*reason=hold-timer'
at_site berlin feature_ok 409 '*35*201*4201#' \
    "Alice logs in at berlin's hot desk 409 while paris is cut off"
wait_directory 201 berlin 409 london berlin
site_log_has london 'remote login granted user=201 host=berlin ext=409 gen=[0-9]+'
gen2=$(net_json london directory \
    '[e["generation"] for e in d if str(e["number"]) == "201"][0]')
[ "$gen2" -gt "$gen1" ] ||
    fail "london's generation for 201 did not grow: $gen1 -> $gen2"
ok "london granted a newer generation ($gen1 -> $gen2)"

# --- paris continues --------------------------------------------------------
cont_site paris
wait_log paris "reconcile user=201 home=london gen=$gen1 home_gen=$gen2 home_site=berlin decision=drop" 10
wait_peers_up
got=$(site_user_state paris 201)
case $got in
absent|'["logged_out", null]') ok "paris no longer holds Alice ($got)" ;;
*) fail "paris still shows Alice after decision=drop: $got" ;;
esac
for i in $(seq 30); do
	[ "$(site_user_state paris 301)" = '["logged_in", "301"]' ] && break
	sleep 0.1
done
assert_eq '["logged_in", "301"]' "$(site_user_state paris 301)" \
    "phone 301 fell back to Jean (301)"
assert_eq '["logged_in", "409", "berlin"]' "$(net_json london 'user 201' \
    '[d["state"], d["extension"], d["site"]]')" \
    "london has Alice at berlin/409"
wait_directory 201 berlin 409
for s in london paris berlin; do
	assert_eq "[\"berlin\", \"409\", $gen2]" "$(dir_201 "$s")" \
	    "$s's directory: 201 at berlin/409, generation $gen2"
done
wait_directory 301 paris 301
site_log_lacks london 'reconcile user=201 .*decision=relogin-home'

# What the phones see.
net_register_ok paris 301
net_call 302 201 409 302 "Marie Curie" "paris phone after the drop"
net_call 202 201 409 202 "Bob Jones" "london phone after the drop"
net_call 302 301 301 302 "Marie Curie" "a call to Jean rings phone 301"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
