#!/bin/bash
# Break out (DESIGN.md B1): a london phone sends digits to another site,
# which routes them with ITS short codes and trunk as if dialled there.
# *80*2*9331234# (2 = paris's id) reaches paris's carrier as 331234 from
# 201; *819331555 (a code with the fixed site paris) likewise; *80*3*...
# goes to berlin's carrier.  The user's rights names travel: Bob (Sales)
# breaking out to paris may use paris's Sales code 0N, at berlin (no
# Sales) the same digits are unobtainable.  London's own carrier never
# sees these calls.  An unknown site id is 404 "Unknown Site", a site that
# is down 480 "Site Unreachable", a phone with nobody 480 "No User Logged
# In".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# breakout_ok SITE EXT DIALLED RURI FROM WHAT: london phone EXT dials
# DIALLED; SITE's carrier gets INVITE sip:RURI@ from user FROM, answers.
breakout_ok()
{
	local site=$1 ext=$2 dialled=$3 ruri=$4 from=$5 what=$6 carrier rc=0
	carrier_bg "$site" "carrier-$site" carrier_uas.xml \
	    -set ruri_user "$ruri" -set from_user "$from"
	carrier=$SIPP_PID
	at_site london phone_call "$ext" "$(sip_dialled "$dialled")" || rc=$?
	assert_sipp_ok "$rc" "$what: $ext dials $dialled, answered"
	expect_sipp_bg_ok "$carrier" \
	    "$what: $site's carrier got INVITE sip:$ruri@ from $from"
}

net_setup
start_network
wait_peers_up
register_all

at_site london net_idle carrier-london "$(site_carrier_port london)"
idle=$SIPP_PID

breakout_ok paris 201 '*80*2*9331234#' 331234 201 "B1 by site id 2"
site_log_has london 'breakout call=[^ ]+ user=201 site=paris digits=9331234'
site_log_has paris \
    'breakout in call=[^ ]+ user=201 site=london digits=9331234'
breakout_ok paris 201 '*819331555' 331555 201 "B1 fixed site paris (*81N)"
breakout_ok berlin 202 '*80*3*9301234#' 301234 202 "B1 by site id 3"

# Rights names travel and are resolved at the target site.
breakout_ok paris 202 '*80*2*0331999#' 331999 202 \
    "B1 Bob's Sales resolved at paris (0N)"
at_site london call_refused 202 '*80*3*0331999#' '404 Number Unobtainable' \
    "B1 no Sales at berlin: 0N unobtainable there"

net_idle_end "$idle" "london's carrier got none of the break-out calls"

# Failures.
at_site london call_refused 201 '*80*7*9123#' '404 Unknown Site' \
    "B1 unknown site id 7"
at_site paris call_refused 309 '*80*1*9123#' '480 No User Logged In' \
    "B1 from a phone with nobody (paris 309)"
stop_site berlin
wait_peer_state london berlin down
at_site london call_refused 201 '*80*3*9301234#' '480 Site Unreachable' \
    "B1 to berlin while it is down"
# Paris still works with berlin gone.
breakout_ok paris 201 '*80*2*9331235#' 331235 201 "B1 to paris, berlin down"

for s in london paris; do
	at_site "$s" assert_no_calls
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
