#!/bin/bash
# Home cut off, then back before orphan_logout (DESIGN.md F1, F3): Alice
# (201, home london) is logged in at paris on phone 301; london is frozen
# with kill -STOP, so its TCP links stay open but it says nothing.  Paris
# declares it down after hold_time (3 s), starts the orphan timer and
# keeps Alice: a paris phone still reaches her.  london continues (CONT)
# before orphan_logout: paris logs "orphan timer cancelled", london
# reconciles with the same generation ("decision=stands"), the login
# stands (roamctl on paris and london), nothing is dropped even after
# the old orphan deadline, the directory is the same on all three sites
# (paris/301, same generation) and a london phone's call rings 301.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

ORPHAN=10
NET_ORPHAN_LOGOUT=${ORPHAN}s
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
want=$(dir_201 london)
case $want in
'["paris", "301", '[1-9]*']') ok "london granted generation: $want" ;;
*) fail "london's directory entry for 201 after the login: $want" ;;
esac
for s in paris berlin; do
	assert_eq "$want" "$(dir_201 "$s")" "$s's directory entry for 201"
done

# --- london frozen -----------------------------------------------------
stop_signal london
cut=$(date +%s.%N)
wait_peer_state paris london down 10
held=$(python3 -c 'import sys,time; print("%.1f" % (time.time() -
    float(sys.argv[1])))' "$cut")
python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 2.0)' "$held" ||
    fail "paris declared london down after ${held}s, before hold_time 3s"
ok "paris declared the silent london down after ${held}s (hold_time 3s)"
site_log_has paris 'peer down name=london .*reason=hold-timer'
site_log_has paris "orphan timer started user=201 home=london after=${ORPHAN}s"
assert_eq '["logged_in", "301", "paris"]' "$(net_json paris 'user 201' \
    '[d["state"], d["extension"], d["site"]]')" \
    "paris keeps Alice at 301 while london is cut off"
net_call 302 201 301 302 "Marie Curie" "paris phone, home cut off"

# --- london continues before orphan_logout ------------------------------
cont_site london
wait_log paris 'orphan timer cancelled user=201 home=london' 8
wait_peers_up
wait_log london \
    "reconcile user=201 host=paris gen=[0-9]+ held=1 decision=stands" 5
elapsed=$(python3 -c 'import sys,time; print(int(time.time() -
    float(sys.argv[1])))' "$cut")
[ "$elapsed" -lt $((ORPHAN + 3)) ] ||
    fail "the link took ${elapsed}s to return: past orphan_logout"

# Past the old orphan deadline nothing has been dropped.
while [ "$(python3 -c 'import sys,time; print(int(time.time() -
    float(sys.argv[1])))' "$cut")" -le $((ORPHAN + 4)) ]; do
	sleep 0.5
done
site_log_lacks paris 'orphan logout user=201'
site_log_lacks paris 'reconcile user=201 .*decision=drop'
site_log_lacks london 'reconcile user=201 .*decision=(relogin-home|drop)'
assert_eq '["logged_in", "301", "london", "paris"]' \
    "$(net_json paris 'user 201' \
    '[d["state"], d["extension"], d["home"], d["site"]]')" \
    "the login stands on paris"
assert_eq '["logged_in", "301", "paris"]' "$(net_json london 'user 201' \
    '[d["state"], d["extension"], d["site"]]')" \
    "london still has Alice at paris/301"
for s in london paris berlin; do
	assert_eq "$want" "$(dir_201 "$s")" \
	    "$s's directory: 201 at paris/301, same generation"
done

net_call 202 201 301 202 "Bob Jones" "london phone after the cut"
net_call 401 201 301 401 "Hans Weber" "berlin phone after the cut"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
