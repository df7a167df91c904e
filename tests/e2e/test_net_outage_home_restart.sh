#!/bin/bash
# Home restarted (DESIGN.md F3: "a home restart alone does not pull a
# remote user back"): Alice (201, home london) is logged in at paris on
# phone 301.  london is stopped with SIGTERM and started again, later
# killed with kill -9 and started again.  Each time london comes back it
# reconciles with paris ("decision=stands"), Alice stays at paris/301 in
# every directory and in roamctl on london and paris, her london phone
# stays empty, and calls to 201 from london phones and DDI calls on
# london's trunk ring phone 301 at paris.
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

# wait_log_count SITE REGEX N SECONDS: SITE's log has N matching lines.
wait_log_count()
{
	local i
	for i in $(seq $(($4 * 10))); do
		[ "$(site_log_count "$1" "$2")" -ge "$3" ] && break
		sleep 0.1
	done
	[ "$(site_log_count "$1" "$2")" -ge "$3" ] ||
	    fail "$1 log has $(site_log_count "$1" "$2") lines matching" \
	    "/$2/ within $4 s, expected $3"
	ok "$1 log has $3 lines matching /$2/"
}

# dir_201 SITE: 201's directory entry on SITE as [site, extension,
# generation].
dir_201()
{
	net_json "$1" directory '[[e["site"], e.get("extension"),
	    e.get("generation")] for e in d if str(e["number"]) == "201"][0]'
}

# Alice is still at paris/301 everywhere, at the generation of her login.
still_at_paris()
{
	local s
	for s in london paris berlin; do
		assert_eq "$want" "$(dir_201 "$s")" \
		    "$1: $s's directory has 201 at paris/301, same generation"
	done
	assert_eq '["logged_in", "301", "paris"]' "$(net_json london \
	    'user 201' '[d["state"], d["extension"], d["site"]]')" \
	    "$1: london has Alice at paris/301"
	assert_eq '["logged_in", "301", "london", "paris"]' "$(net_json paris \
	    'user 201' '[d["state"], d["extension"], d["home"], d["site"]]')" \
	    "$1: paris holds Alice at 301"
	assert_eq '[null]' "$(net_json london regs \
	    '[r.get("user") for r in d if str(r["extension"]) == "201"]')" \
	    "$1: london's phone 201 still has nobody"
	site_log_lacks london 'reconcile user=201 .*decision=(relogin-home|drop)'
	site_log_lacks paris 'reconcile user=201 .*decision=drop'
}

net_login paris 301 201 4201
want=$(dir_201 london)
case $want in
'["paris", "301", '[1-9]*']') ok "london granted generation: $want" ;;
*) fail "london's directory entry for 201 after the login: $want" ;;
esac

# --- london: SIGTERM, start ----------------------------------------------
stop_site london
wait_peer_state paris london down 5
start_site london
wait_peers_up
wait_log_count london \
    'reconcile user=201 host=paris gen=[0-9]+ held=1 decision=stands' 1 5
wait_log_count paris 'orphan timer cancelled user=201 home=london' 1 5
still_at_paris "after a clean london restart"
net_call 202 201 301 202 "Bob Jones" "london phone after the restart"
rc=0
net_phone_uas 301 uas_answer.xml -set from_user 447700900123 -set from_name -
uas=$SIPP_PID
carrier_ddi london 442071230201 || rc=$?
assert_sipp_ok "$rc" "a DDI call to 442071230201 on london's trunk is answered"
expect_sipp_bg_ok "$uas" "the DDI call rang phone 301 at paris"

# --- london: kill -9, start ------------------------------------------------
kill9_site london
wait_peer_state paris london down 5
start_site london
wait_peers_up
wait_log_count london \
    'reconcile user=201 host=paris gen=[0-9]+ held=1 decision=stands' 2 5
wait_log_count paris 'orphan timer cancelled user=201 home=london' 2 5
still_at_paris "after london was killed and restarted"
net_call 203 201 301 203 "Carol White" "london phone after kill -9"
net_call 401 201 301 401 "Hans Weber" "berlin phone after kill -9"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
