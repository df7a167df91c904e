#!/bin/bash
# The status page of a three-site network in a real browser (headless
# Chromium).  london (home of Alice, 201) and paris serve the page.  After
# Alice logs in at paris phone 301 by SIP (*35*201*4201#), london's page
# draws the network map (london itself, links to paris and berlin up) and
# its who-sits-where table shows Alice under paris on extension 301; a
# laptop-sized screenshot is kept ($T/status-page-network.png, copied to
# docs/status-page-network.png when DOCS_SCREENSHOT=1).
# Forced logout, twice:
#  1. from home: the logout of london's page (POST /api/users/201/logout
#     on london) for a user who sits at paris: clicked when london's page
#     offers the button, else the same POST is sent as the page would and
#     the missing button is reported (GAP line);
#  2. from the host: Alice logs in at paris again and the admin clicks her
#     logout button on paris's page (DevTools pipe, phone-sized
#     screenshot kept).
# Each time paris drops the visitor, phone 301 falls back to Jean (H3),
# Alice is back at her base phone 201 on london, every site's directory
# says so and paris's roamctl user 201 no longer has her there.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "SKIP: $CHROMIUM is not installed (Debian package chromium)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

# Chromium as test_status_page.sh runs it: no sandbox (containers), no
# GPU, no network chatter of its own, a throwaway profile.
chromium_run()
{
	rm -rf "$T/chromium-profile"
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run \
	    --user-data-dir="$T/chromium-profile" "$@" 2>>"$T/chromium.err"
}

# Dump the page at URL to FILE once it has polled the API.
page_dump()
{
	chromium_run --virtual-time-budget=5000 --dump-dom "$1" >"$2" ||
	    fail "chromium --dump-dom $1 failed: $(tail -5 "$T/chromium.err")"
}

# The who-sits-where rows of a dumped page (status_page.py rows).
page_rows()
{
	python3 "$E2E_DIR/status_page.py" rows "$1" ||
	    fail "cannot read the dumped page $1"
}

# The row of user $2 in rows $1.
page_row()
{
	printf '%s\n' "$1" | grep "^$2|" || true
}

# Alice is home again after forced logout number N (1, 2) at paris (WHAT
# says how).
assert_alice_home()
{
	local n=$1 what=$2 out
	wait_directory 201 london 201
	wait_user paris 301 'd["extension"]' 301 \
	    "$what: paris phone 301 fell back to Jean"
	at_site london assert_user 201 'd["site"]' london \
	    "$what: london (home) has Alice home"
	at_site london assert_user 201 'd["extension"]' 201 \
	    "$what: on her base phone 201"
	# paris either does not know user 201 or shows her home.
	if out=$(rctl_site paris --json user 201 2>&1); then
		assert_eq "london/201" "$(printf '%s\n' "$out" |
		    json_eval '"%s/%s" % (d["site"], d["extension"])')" \
		    "$what: paris's roamctl user 201 shows Alice home"
	else
		assert_contains "$out" "no such user 201" \
		    "$what: paris no longer holds Alice (roamctl user 201)"
	fi
	wait_log_count london 'remote logout user=201 host=paris gen=[0-9]+' "$n"
}

# shellcheck disable=SC2034 # read by lib_net.sh (net_extra)
NET_EXTRA_SITE_london=$(http_site_lines)
PARIS_HTTP_PORT=$((BASE_PORT + 9))	# a port no site of lib_net.sh uses
# shellcheck disable=SC2034
NET_EXTRA_SITE_paris=$(printf '  http: "127.0.0.1:%s"\n  http_token_file: %s\n' \
    "$PARIS_HTTP_PORT" "$HTTP_TOKENFILE")
net_setup london paris berlin
start_network
wait_peers_up
register_all
net_login paris 301 201 4201

LONDON_URL="http://127.0.0.1:$HTTP_PORT/#token=$HTTP_TOKEN"
PARIS_URL="http://127.0.0.1:$PARIS_HTTP_PORT/#token=$HTTP_TOKEN"

# --- london's page: the map and who sits where -----------------------------
page_dump "$LONDON_URL" "$T/london.html"
map=$(python3 "$E2E_DIR/page_net_map.py" "$T/london.html") ||
    fail "cannot read the map of $T/london.html"
printf '%s\n' "$map" >"$T/london-map.txt"
assert_eq "3" "$(printf '%s\n' "$map" | grep -c '^site ')" \
    "the map shows three sites"
assert_contains "$map" "site london self" "london is this site on the map"
assert_contains "$map" "site paris up" "paris is on the map, up"
assert_contains "$map" "site berlin up" "berlin is on the map, up"
assert_contains "$map" "link paris up" "the london-paris link is drawn up"
assert_contains "$map" "link berlin up" "the london-berlin link is drawn up"
rows=$(page_rows "$T/london.html")
printf '%s\n' "$rows" >"$T/london-rows.txt"
assert_contains "$rows" "site london" "the page names the site"
row=$(page_row "$rows" 201)
assert_eq "201|logged_in|Alice Smith|london|paris|301" "${row%|*}" \
    "who sits where: Alice (home london) under paris on extension 301"
assert_eq "301|logged_out|Jean Dupont|paris|–|–|" "$(page_row "$rows" 301)" \
    "who sits where: Jean, displaced from 301, logged out"
assert_eq "401|logged_in|Hans Weber|berlin|berlin|401|" \
    "$(page_row "$rows" 401)" "who sits where: berlin's Hans at home"

chromium_run --window-size=1280,1000 --virtual-time-budget=5000 \
    --screenshot="$T/status-page-network.png" "$LONDON_URL" >/dev/null ||
    fail "chromium --screenshot failed: $(tail -5 "$T/chromium.err")"
[ "$(head -c 4 "$T/status-page-network.png" | od -An -c | tr -d ' ')" = \
    '211PNG' ] || fail "no PNG screenshot at $T/status-page-network.png"
ok "screenshot saved: $T/status-page-network.png"
if [ "${DOCS_SCREENSHOT:-0}" = 1 ]; then
	cp "$T/status-page-network.png" \
	    "$E2E_DIR/../../docs/status-page-network.png"
	ok "copied to docs/status-page-network.png"
fi

# --- 1. logout from home (london) ------------------------------------------
if [ "${row##*|}" = logout ]; then
	python3 "$E2E_DIR/status_page.py" click-logout "$CHROMIUM" \
	    "$LONDON_URL" 201 "$T/london-after-logout.png" \
	    >"$T/london-rows-after.txt" ||
	    fail "could not click Alice's logout button on london's page"
	ok "clicked Alice's logout button on london's page"
else
	echo "GAP: london's page (Alice's home) shows no logout button for" \
	    "user 201 sitting at paris (the page offers it only for users" \
	    "whose current site is the page's site); sending the page's" \
	    "POST /api/users/201/logout to london directly"
	http_expect POST /api/users/201/logout 200 \
	    "london's API logs out Alice sitting at paris" "$HTTP_TOKEN" '{}'
fi
site_log_has london 'http admin logout user=201'
site_log_has paris 'remote drop user=201 home=london ext=301'
assert_alice_home 1 "logout from home"

# --- 2. logout from the host's page (paris) ----------------------------------
net_login paris 301 201 4201
page_dump "$PARIS_URL" "$T/paris.html"
rows=$(page_rows "$T/paris.html")
printf '%s\n' "$rows" >"$T/paris-rows.txt"
assert_eq "201|logged_in|Alice Smith|london|paris|301|logout" \
    "$(page_row "$rows" 201)" \
    "paris's page shows its visitor Alice with a logout button"
rows=$(python3 "$E2E_DIR/status_page.py" click-logout "$CHROMIUM" \
    "$PARIS_URL" 201 "$T/paris-after-logout.png") ||
    fail "could not click Alice's logout button on paris's page"
printf '%s\n' "$rows" >"$T/paris-rows-after.txt"
ok "clicked Alice's logout button on paris's page"
site_log_has paris 'http admin logout user=201'
site_log_has paris 'logout user=201 ext=301 reason=admin'
assert_alice_home 2 "logout from paris's page"
assert_eq "301|logged_in|Jean Dupont|paris|paris|301|logout" \
    "$(page_row "$rows" 301)" "paris's page shows Jean back at 301"
ok "phone-sized screenshot saved: $T/paris-after-logout.png"

for s in london paris berlin; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
