#!/bin/bash
# Outgoing calls of a remote hot desker (DESIGN.md R4, R5): Alice (201,
# homed at london, rights "Sales") at paris phone 301 dials 9N: the
# system short code and trunk of paris apply, so PARIS's carrier gets the
# number (london's carrier nothing); her own short code *77 still comes
# first (out on paris's trunk).  Rights are resolved by name at the host:
# paris's "Sales" lets 0N dial out (london's "Sales" bars 00N, as Bob
# finds at home), so 00331234 reaches paris's carrier as 0331234.  At
# berlin, which has no "Sales", she has no rights: 0N is unobtainable but
# 9N leaves on berlin's carrier.  Carol (203: Staff in working hours,
# Night out of hours, time profile "Office Hours" that exists on london
# only and is never active) is barred at home (Night) but at paris, with
# no such profile, gets working-hours rights "Staff" of paris (8N).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# carrier_call SITE PSITE EXT DIALLED RURI FROM WHAT: phone EXT of site
# PSITE dials DIALLED; SITE's carrier must get INVITE sip:RURI@ from user
# FROM and answer.
carrier_call()
{
	local site=$1 psite=$2 ext=$3 dialled=$4 ruri=$5 from=$6 what=$7
	local carrier rc=0
	carrier_bg "$site" "carrier-$site" carrier_uas.xml \
	    -set ruri_user "$ruri" -set from_user "$from"
	carrier=$SIPP_PID
	at_site "$psite" phone_call "$ext" "$dialled" || rc=$?
	assert_sipp_ok "$rc" "$what: $ext at $psite dials $dialled, answered"
	expect_sipp_bg_ok "$carrier" \
	    "$what: $site's carrier got INVITE sip:$ruri@ from $from"
}

net_setup
start_network
wait_peers_up
register_all

# Home first: Bob (Sales at london) is barred from 00N; Carol is out of
# hours (the profile is never active): Night bars her external calls.
at_site london call_refused 202 00331234 '403 Barred' \
    "london's Sales bars 00N for Bob"
at_site london assert_user 203 'd["effective_user_rights"]' Night \
    "Carol at home: out-of-hours rights Night"
at_site london call_refused 203 9442079460000 '403 Outgoing Calls Barred' \
    "Carol at home is barred (Night)"

net_login paris 301 201 4201
at_site paris assert_user 201 'd["effective_user_rights"]' Sales \
    "Alice at paris: rights Sales (by name, paris's)"

# The host's 9N and trunk; london's carrier must stay silent.
at_site london net_idle carrier-london "$(site_carrier_port london)"
idle=$SIPP_PID
carrier_call paris paris 301 9442079460000 442079460000 201 \
    "R4 host's 9N"
# The user's own short code first, on the host's trunk "pstn".
carrier_call paris paris 301 '*77' 0033140000000 201 \
    "R4 user short code *77"
# Host's Sales: 0N dials N there (home's Sales would bar 00N).
carrier_call paris paris 301 00331234 0331234 201 \
    "R5 paris's Sales 0N"
net_idle_end "$idle" "london's carrier got no call from Alice at paris"
site_log_lacks london 'call to site call=[^ ]+ from=201 to=9442079460000'

# At berlin there is no "Sales": no rights.
net_logout paris 301 201
net_login berlin 401 201 4201
at_site berlin assert_user 201 'd["effective_user_rights"]' null \
    "Alice at berlin: rights name Sales unknown there = no rights"
at_site berlin call_refused 401 00331234 '404 Number Unobtainable' \
    "R5 no rights at berlin: 0N is nothing there"
carrier_call berlin berlin 401 9493012345 493012345 201 "R4 berlin's 9N"
net_logout berlin 401 201

# Carol at paris: the time profile is unknown there, so working-hours
# rights, and paris's "Staff" (8N dials out).
net_login paris 302 203 4203
at_site paris assert_user 203 'd["effective_user_rights"]' Staff \
    "R5 Carol at paris: no such time profile = working-hours rights Staff"
carrier_call paris paris 302 8331777 331777 203 "R5 paris's Staff 8N"
carrier_call paris paris 302 9442079460001 442079460001 203 \
    "Carol not barred at paris"
net_logout paris 302 203

for s in london paris berlin; do
	at_site "$s" assert_no_calls
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
