#!/bin/bash
# Home killed (DESIGN.md F1, then F3): Alice (201, home london) logs in at
# paris on phone 301; london is killed with kill -9.  Paris sees the link
# go down and keeps Alice: roamctl on paris still shows her logged in at
# 301, a call from a paris phone (302) and one from a berlin phone (401)
# ring phone 301, and her "9N" call leaves on paris's carrier with From
# 201.  After orphan_logout (short here) paris logs "orphan logout
# user=201" and logs her out (phone 301 falls back to Jean, 301).  When
# london comes back it takes her back at her base extension 201, as every
# site's directory shows, and a call to 201 rings the london phone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

ORPHAN=12
NET_ORPHAN_LOGOUT=${ORPHAN}s
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

net_login paris 301 201 4201
got=$(net_json london 'user 201' '[d["site"], d["extension"], d["state"]]')
assert_eq '["paris", "301", "logged_in"]' "$got" \
    "london sees Alice at paris/301"
assert_eq '[null]' "$(net_json london regs \
    '[r.get("user") for r in d if str(r["extension"]) == "201"]')" \
    "london's phone 201 has nobody (NoUser)"

# --- london dies -----------------------------------------------------------
kill9_site london
killed=$(date +%s)
wait_peer_state paris london down 5
wait_peer_state berlin london down 5
site_log_has paris "orphan timer started user=201 home=london after=${ORPHAN}s"

got=$(net_json paris 'user 201' \
    '[d["state"], d["extension"], d["home"], d["site"]]')
assert_eq '["logged_in", "301", "london", "paris"]' "$got" \
    "paris keeps Alice logged in at 301 with london down"
wait_directory 201 paris 301 paris berlin

# Calls to Alice from paris and from berlin ring phone 301.
net_call 302 201 301 302 "Marie Curie" "paris phone, home down"
net_call 401 201 301 401 "Hans Weber" "berlin phone, home down"

# Her external call leaves on paris's carrier, From 201.
carrier_bg paris carrier-paris carrier_uas.xml -set ruri_user 442079460000 \
    -set from_user 201
carrier=$SIPP_PID
rc=0
at_site paris phone_call 301 9442079460000 || rc=$?
assert_sipp_ok "$rc" "Alice's 9N call from phone 301 is answered"
expect_sipp_bg_ok "$carrier" \
    "paris's carrier got INVITE sip:442079460000@ From 201"

# All of that happened within orphan_logout.
elapsed=$(( $(date +%s) - killed ))
[ "$elapsed" -lt "$ORPHAN" ] ||
    fail "the calls took ${elapsed}s, not within orphan_logout ${ORPHAN}s"
site_log_lacks paris 'orphan logout user=201'
assert_eq logged_in "$(net_json paris 'user 201' 'd["state"]')" \
    "Alice still logged in at paris ${elapsed}s after the kill"

# --- orphan_logout runs out ------------------------------------------------
for i in $(seq $(( (ORPHAN + 5) * 10 ))); do
	grep -q 'orphan logout user=201' "$(site_log paris)" && break
	sleep 0.1
done
site_log_has paris 'orphan logout user=201 home=london ext=301'
elapsed=$(( $(date +%s) - killed ))
[ "$elapsed" -ge $((ORPHAN - 1)) ] ||
    fail "orphan logout after ${elapsed}s, before orphan_logout ${ORPHAN}s"
ok "orphan logout after about ${elapsed}s (orphan_logout ${ORPHAN}s)"
# Paris no longer holds her: roamctl there either does not know 201 any
# more (not a paris user) or shows her logged out.
for i in $(seq 50); do
	got=$(site_user_state paris 201)
	[ "$got" = '["logged_in", "301"]' ] || break
	sleep 0.1
done
case $got in
absent|'["logged_out", null]') ok "paris no longer holds Alice ($got)" ;;
*) fail "paris still shows Alice after the orphan logout: $got" ;;
esac
wait_directory 201 - "" paris
# Berlin is not told while home is away (home owns the location): note
# what it shows, calls from there are not part of F1's promise any more.
echo "note: berlin's directory shows 201 at $(net_dir_where berlin 201)"
at_site berlin call_refused 401 201 '480 Site Unreachable' \
    "a berlin call to Alice after the orphan logout does not ring 301"
assert_eq '["logged_in", "301"]' \
    "$(net_json paris 'user 301' '[d["state"], d["extension"]]')" \
    "phone 301 fell back to Jean (301)"
at_site paris call_refused 302 201 '480 Site Unreachable' \
    "a call to Alice at paris after the orphan logout"

# --- london comes back -----------------------------------------------------
start_site london
wait_peers_up
wait_directory 201 london 201
site_log_has london 'remote logout user=201 host=paris gen=[0-9]+|reconcile user=201 host=paris .*decision=relogin-home'
got=$(net_json london 'user 201' '[d["state"], d["extension"], d["site"]]')
assert_eq '["logged_in", "201", "london"]' "$got" \
    "london has Alice back at her base extension 201"
net_register_ok london 201
net_call 302 201 201 302 "Marie Curie" "paris phone, Alice home again"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
