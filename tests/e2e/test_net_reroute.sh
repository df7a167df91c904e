#!/bin/bash
# Calls to a remote hot desker (DESIGN.md R3): Alice (201, homed at london)
# is logged in at paris phone 301.  A call from a london phone, a call
# from a berlin phone and a DDI call on london's trunk all ring phone 301
# at paris (the phone sees the caller in its From, with paris's domain);
# london logs "call to site ... to=201 site=paris" for its callers, berlin
# sends its call straight to paris (london never sees it), a paris phone
# rings 301 locally.  Alice's empty london phone never rings.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

net_setup
start_network
wait_peers_up
register_all
net_login paris 301 201 4201

# Phone 201 at london would fail the test if it got any call: a UAS that
# must see no INVITE while the calls below are made.
at_site london net_idle 201 "$(phone_port 201)"
idle201=$SIPP_PID

# From a london phone: london routes to paris.
net_ring 301 202 "Bob Jones"
callee=$SIPP_PID
rc=0
at_site london phone_call 202 201 || rc=$?
assert_sipp_ok "$rc" "Bob (london 202) calls Alice"
expect_sipp_bg_ok "$callee" \
    "paris phone 301 rang with \"Bob Jones\" <sip:202@paris.roam.test>"
site_log_has london 'call to site call=[^ ]+ from=202 to=201 site=paris'
site_log_has paris 'call from site call=[^ ]+ site=london from=202 to=201'

# From a berlin phone: straight to paris.
net_ring 301 401 "Hans Weber"
callee=$SIPP_PID
rc=0
at_site berlin phone_call 401 201 || rc=$?
assert_sipp_ok "$rc" "Hans (berlin 401) calls Alice"
expect_sipp_bg_ok "$callee" "paris phone 301 rang for Hans"
site_log_has berlin 'call to site call=[^ ]+ from=401 to=201 site=paris'
site_log_has paris 'call from site call=[^ ]+ site=berlin from=401 to=201'
site_log_lacks london 'from=401'

# From a paris phone: rings 301 there, no site hop.
net_ring 301 302 "Marie Curie"
callee=$SIPP_PID
rc=0
at_site paris phone_call 302 201 || rc=$?
assert_sipp_ok "$rc" "Marie (paris 302) calls Alice"
expect_sipp_bg_ok "$callee" "paris phone 301 rang for Marie"
site_log_lacks paris 'call to site call=[^ ]+ from=302'

# A DDI call on london's trunk for Alice: london hands it to paris.
net_ring 301 447700900123 -
callee=$SIPP_PID
rc=0
carrier_ddi london 442071230201 || rc=$?
assert_sipp_ok "$rc" "london's carrier delivers DDI 442071230201 (Alice)"
expect_sipp_bg_ok "$callee" "the DDI call rang paris phone 301"
site_log_has london \
    'call to site call=[^ ]+ from=447700900123 to=201 site=paris'

for s in london paris berlin; do
	at_site "$s" assert_no_calls
done
net_idle_end "$idle201" "Alice's empty london phone 201 never rang"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
