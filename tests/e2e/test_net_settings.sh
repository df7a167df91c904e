#!/bin/bash
# Settings changed on the host reach home (DESIGN.md R7): Alice (201,
# homed at london) at paris phone 301 dials *08: 200 at the phone, london
# stores it ("remote settings stored") and its `roamctl user 201` shows
# dnd true, and a call to Alice from london gets busy treatment (486, her
# phone at paris does not ring).  With london cut off (SIGSTOP, the link
# goes down after hold_time), *09 at paris still answers 200, paris logs
# "settings queued", and london, continued, gets it: dnd false, calls ring
# paris again.  A change queued while home is cut off survives a restart
# of the host (the persistent queue): *08, paris restarted, london
# continued: dnd true at home.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# Wait (10 s) until user 201's dnd on SITE is WANT.
wait_dnd()
{
	local site=$1 want=$2 what=$3 i got
	for i in $(seq 100); do
		got=$(at_site "$site" user_eval 201 'd["dnd"]')
		[ "$got" = "$want" ] && { ok "$what (dnd $want on $site)"; return 0; }
		sleep 0.1
	done
	fail "$what: dnd of 201 on $site is $got, expected $want"
}

net_setup
start_network
wait_peers_up
register_all
net_login paris 301 201 4201
at_site london assert_user 201 'd["dnd"]' false "Alice starts without DND"

# DND on at the host: home stores it at once.
at_site paris feature_ok 301 '*08' "Alice turns DND on at paris"
site_log_has paris 'settings changed user=201 home=london gen=[0-9]+ dnd=1'
site_log_has london 'remote settings stored user=201 host=paris'
wait_dnd london true "home has Alice's DND"
wait_dnd paris true "host has Alice's DND"
at_site london net_idle dnd301 "$(phone_port 301)"
idle=$SIPP_PID
at_site london call_refused 202 201 '486 Busy Here' \
    "Bob's call to Alice with DND on"
net_idle_end "$idle" "phone 301 did not ring while Alice has DND"

# Home cut off: the change waits in paris's queue.
stop_signal london
wait_peer_state paris london down 10
sent='queue sent peer=london type=settings user=201'
n=$(site_log_count paris "$sent")
at_site paris feature_ok 301 '*09' "Alice turns DND off with home cut off"
site_log_has paris 'settings queued peer=london user=201'
wait_dnd paris false "the host applies DND off at once"
sleep 1
assert_eq "$n" "$(site_log_count paris "$sent")" \
    "nothing sent to london while it is cut off"
cont_site london
wait_peers_up
wait_log_count paris "$sent" $((n + 1))
wait_dnd london false "home got the queued DND off after SIGCONT"
wait_directory 201 paris 301
net_ring 301 202 "Bob Jones"
callee=$SIPP_PID
rc=0
at_site london phone_call 202 201 || rc=$?
assert_sipp_ok "$rc" "Bob's call to Alice after DND off"
expect_sipp_bg_ok "$callee" "the call rang paris phone 301"

# Queued across a host restart: nothing the user changed is lost.
stop_signal london
wait_peer_state paris london down 10
queued='settings queued peer=london user=201'
stored='remote settings stored user=201 host=paris'
n=$(site_log_count paris "$queued")
m=$(site_log_count london "$stored")
at_site paris feature_ok 301 '*08' "Alice turns DND on, home cut off again"
wait_log_count paris "$queued" $((n + 1))
restart_site paris
cont_site london
wait_peers_up
wait_log_count london "$stored" $((m + 1)) 10
wait_dnd london true "home got DND on queued before the host's restart"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
