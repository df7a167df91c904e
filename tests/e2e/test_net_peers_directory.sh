#!/bin/bash
# Peer links and the directory (DESIGN.md R1, section 5): three sites
# (london 1, paris 2, berlin 3) link up; each lists the other two "up"
# with their id and the epoch that site reports for itself; the directory
# is the same on every site (every network user, name, home, current
# site).  A login moves the user in every directory.  A site with the
# wrong network secret is refused and logged by the others and stays
# down; back with the right secret it links up with a new epoch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

net_setup
start_network
wait_peers_up

# Every site lists the others up, with their id and own epoch.
declare -A EPOCH
for s in london paris berlin; do
	read -r name id epoch <<<"$(net_json "$s" status \
	    '"%s %s %s" % (d["site"], d["id"], d["epoch"])')"
	assert_eq "$s $(site_id "$s")" "$name $id" "status of $s: name and id"
	[ -n "$epoch" ] && [ "$epoch" != None ] || fail "$s reports no epoch"
	EPOCH[$s]=$epoch
done
for s in london paris berlin; do
	want=
	for o in berlin london paris; do	# sorted by name
		[ "$s" = "$o" ] && continue
		want="$want${want:+, }[\"$o\", \"up\", \"${EPOCH[$o]}\", $(site_id "$o")]"
	done
	assert_eq "[$want]" "$(net_json "$s" peers \
	    'sorted([p["name"], p["state"], str(p["epoch"]), p.get("id")]
	    for p in d)')" "$s sees the other two up with their epochs and ids"
done

# The directory: every user everywhere, identical on the three sites.
dir_of()
{
	net_json "$1" directory 'sorted((str(e["number"]), e["name"],
	    e["home"], e["site"], e.get("extension")) for e in d)'
}
want='[["201", "Alice Smith", "london", "london", "201"], ["202", "Bob Jones", "london", "london", "202"], ["203", "Carol White", "london", "london", "203"], ["301", "Jean Dupont", "paris", "paris", "301"], ["302", "Marie Curie", "paris", "paris", "302"], ["401", "Hans Weber", "berlin", "berlin", "401"], ["402", "Eva Braun", "berlin", "berlin", "402"]]'
for s in london paris berlin; do
	assert_eq "$want" "$(dir_of "$s")" "directory on $s lists all 7 users"
done

# A remote login shows in every directory (site and extension).
register_all
net_login berlin 401 302 4302
for s in london paris berlin; do
	assert_eq '["302", "Marie Curie", "paris", "berlin", "401"]' \
	    "$(net_json "$s" directory '[[str(e["number"]), e["name"],
	    e["home"], e["site"], e.get("extension")] for e in d
	    if str(e["number"]) == "302"][0]')" \
	    "directory on $s: 302 homed at paris, now at berlin/401"
done
wait_directory 401 - ""
net_logout berlin 401 302
wait_directory 302 paris 302
wait_directory 401 berlin 401

# Berlin comes back with the wrong secret: refused and logged.
stop_site berlin
wait_peer_state london berlin down
wait_peer_state paris berlin down
NET_SECRET_berlin=not-the-network-secret
net_write_config berlin
start_site berlin
site_log_has london 'peer refused name=berlin .*reason=bad-secret'
site_log_has paris 'peer refused name=berlin .*reason=bad-secret'
sleep 1
for s in london paris; do
	assert_eq down "$(net_json "$s" peers \
	    '[p["state"] for p in d if p["name"] == "berlin"][0]')" \
	    "$s keeps the wrong-secret berlin down"
done
assert_eq '["down", "down"]' "$(net_json berlin peers \
    'sorted(p["state"] for p in d)')" "berlin has no link with a wrong secret"
wait_peer_state london paris up 1

# With the right secret berlin links up again, with a new epoch.
stop_site berlin
NET_SECRET_berlin=
net_write_config berlin
start_site berlin
wait_peers_up
new=$(net_json berlin status 'd["epoch"]')
[ "$new" != "${EPOCH[berlin]}" ] ||
    fail "berlin's epoch did not change across a restart ($new)"
ok "berlin restarted with a new epoch"
for s in london paris; do
	assert_eq "$new" "$(net_json "$s" peers \
	    '[str(p["epoch"]) for p in d if p["name"] == "berlin"][0]')" \
	    "$s sees berlin's new epoch"
	assert_eq "$want" "$(dir_of "$s")" "directory on $s unchanged"
done
assert_eq "$want" "$(dir_of berlin)" "restarted berlin has the directory"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
