#!/bin/bash
# Buttons of a remote hot desker (DESIGN.md R8): at home every button of
# Alice (201) operates.  Logged in at paris 301, her appearance buttons
# (call, bridged, coverage, line) report active false on both paris and
# london while her speed dial, DND and break-out buttons stay active; Bob's
# (202) bridged appearance of Alice is inactive too, his own call
# appearance and DND are not.  Back home (*36 at paris) all are active
# again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# The buttons of user N on SITE as "type:active" words.
buttons()
{
	at_site "$1" user_eval "$2" \
	    '" ".join("%s:%s" % (b["type"], "true" if b["active"] else "false")
	    for b in d["buttons"])'
}

all_on='call_appearance:true bridged_appearance:true coverage_appearance:true line_appearance:true speed_dial:true dnd:true break_out:true'
remote='call_appearance:false bridged_appearance:false coverage_appearance:false line_appearance:false speed_dial:true dnd:true break_out:true'

net_setup
start_network
wait_peers_up
register_all

assert_eq "$all_on" "$(buttons london 201)" "at home every button of 201 operates"
assert_eq "call_appearance:true bridged_appearance:true dnd:true" \
    "$(buttons london 202)" "Bob's bridged appearance of 201 operates"
at_site london assert_user 201 \
    '[b.get("user") for b in d["buttons"] if b["type"] == "bridged_appearance"]' \
    '["202"]' "201's bridged appearance targets 202"

net_login paris 301 201 4201
assert_eq "$remote" "$(buttons paris 201)" \
    "at paris: 201's appearance buttons inactive, others active"
assert_eq "$remote" "$(buttons london 201)" \
    "at london: 201's appearance buttons inactive, others active"
assert_eq "call_appearance:true bridged_appearance:false dnd:true" \
    "$(buttons london 202)" \
    "Bob's bridged appearance targeting remote 201 is inactive"
# The buttons that stay active still work from the host: DND.
at_site paris feature_ok 301 '*08' "Alice's DND works from paris"
wait_user london 201 'd["dnd"]' true "DND reached home"
at_site paris feature_ok 301 '*09' "Alice's DND off from paris"

net_logout paris 301 201
wait_directory 201 london 201
assert_eq "$all_on" "$(buttons london 201)" "back home all buttons operate"
assert_eq "call_appearance:true bridged_appearance:true dnd:true" \
    "$(buttons london 202)" "Bob's bridged appearance of 201 operates again"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
