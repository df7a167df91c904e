#!/bin/bash
# The admin logs out a user who sits on another site: `roamctl logout 201`
# on london (home) while Alice is at paris phone 301.  Home releases her
# at paris (RELEASE), paris drops the visitor and its phone falls back to
# Jean (H3), and Alice comes home to her base extension 201 (H3/R9) on
# every site's directory.  The status page's logout button uses this.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

net_setup london paris
start_network
wait_peers_up
register_all

net_login paris 301 201 4201
at_site london assert_user 201 'd["site"]' paris "home sees Alice at paris"

out=$(at_site london rctl --json logout 201) ||
    fail "roamctl logout 201 on london failed: $out"
ok "roamctl logout 201 at home answered"
site_log_has london 'remote logout user=201 host=paris gen=[0-9]+ reason=admin'
site_log_has paris 'remote drop user=201 home=london ext=301'
wait_directory 201 london 201
wait_user paris 301 'd["extension"]' 301 "phone 301 falls back to Jean"
at_site london assert_user 201 'd["extension"]' 201 \
    "Alice is back at her base extension"
for s in london paris; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
