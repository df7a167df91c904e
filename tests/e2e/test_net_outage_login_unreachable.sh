#!/bin/bash
# Login while home is unreachable (DESIGN.md F4): a phone at paris dials
# *35*201*CODE# for Alice (201, home london) and gets "480 Home Site
# Unreachable" - the host never judges a code itself, so a wrong code
# gets the same answer.  With london frozen (kill -STOP) and not yet
# declared down the request waits for home and fails within the login
# timeout (5 s) or when the hold timer (3 s) drops the link; once the
# link is down, and with london killed (kill -9), the 480 comes at once,
# also from a berlin phone.  Nothing moves: phone 301 keeps Jean.  With
# london back the same login succeeds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

NET_HOLD_TIME=3s
net_setup
start_network
wait_peers_up
register_all

# refused_within SITE EXT DIGITS SECONDS WHAT: phone EXT at SITE dials
# DIGITS and gets 480 Home Site Unreachable within SECONDS.
refused_within()
{
	local site=$1 ext=$2 digits=$3 max=$4 what=$5 t0 took
	t0=$(date +%s.%N)
	at_site "$site" call_refused "$ext" "$digits" \
	    '480 Home Site Unreachable' "$what"
	took=$(python3 -c 'import sys,time; print("%.1f" % (time.time() -
	    float(sys.argv[1])))' "$t0")
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) <= float(
	    sys.argv[2]))' "$took" "$max" ||
	    fail "$what: the 480 took ${took}s, expected within ${max}s"
	ok "$what: answered after ${took}s (at most ${max}s)"
}

# Nothing moved: Jean at 301 on paris, Alice nowhere on paris.
nothing_moved()
{
	assert_eq '["logged_in", "301"]' "$(site_user_state paris 301)" \
	    "$1: phone 301 still has Jean"
	case $(site_user_state paris 201) in
	absent|'["logged_out", null]') ok "$1: paris holds no Alice" ;;
	*) fail "$1: paris shows Alice: $(site_user_state paris 201)" ;;
	esac
	assert_eq "london/201" "$(net_dir_where paris 201)" \
	    "$1: paris's directory still has Alice at london/201"
}

# --- london frozen, not yet declared down -----------------------------------
stop_signal london
refused_within paris 301 '*35*201*4201#' 6.5 \
    "login at paris with london frozen"
site_log_has paris \
    'remote login failed user=201 home=london ext=301 .*reason=(timeout|home-unreachable)'
nothing_moved "london frozen"

# --- link down: at once ---------------------------------------------------
wait_peer_state paris london down 10
refused_within paris 301 '*35*201*4201#' 2.5 \
    "login at paris with the link to london down"
refused_within paris 301 '*35*201*0000#' 2.5 \
    "a wrong code, home down: the host does not judge it"
nothing_moved "link down"
cont_site london
wait_peers_up

# --- london killed -----------------------------------------------------------
kill9_site london
wait_peer_state paris london down 5
wait_peer_state berlin london down 5
n=$(site_log_count paris 'remote login failed user=201 home=london ext=301 .*reason=home-unreachable')
refused_within paris 301 '*35*201*4201#' 2.5 \
    "login at paris with london killed"
site_log_has paris 'remote login failed user=201 home=london ext=301 .*reason=home-unreachable'
[ "$(site_log_count paris 'remote login failed user=201 home=london ext=301 .*reason=home-unreachable')" -gt "$n" ] ||
    fail "paris logged no new 'remote login failed ... home-unreachable'"
refused_within berlin 409 '*35*201*4201#' 2.5 \
    "login at berlin's hot desk with london killed"
site_log_has berlin 'remote login failed user=201 home=london ext=409 .*reason=home-unreachable'
nothing_moved "london killed"
assert_eq '[null]' "$(net_json berlin regs \
    '[r.get("user") for r in d if str(r["extension"]) == "409"]')" \
    "berlin's hot desk 409 still has nobody"

# --- london back: the login works ------------------------------------------
start_site london
wait_peers_up
assert_eq 0 "$(site_log_count london 'remote login (request|granted) user=201')" \
    "london never saw the refused logins"
net_login paris 301 201 4201
assert_eq '["logged_in", "301"]' "$(site_user_state paris 201)" \
    "with london back Alice logs in at paris"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
done
for s in london paris berlin; do
	stop_site "$s"
done
