#!/bin/bash
# The status page in a real browser (headless Chromium): it takes the
# token from "#token=", polls the API and renders who sits where (a hot
# desker at another user's phone, logout buttons for logged-in users),
# the registrations and the site; a user name full of markup stays text.
# Then an admin clicks Alice's logout button and roamctl sees her fall
# back to her base phone (H3).  Screenshots (laptop and phone) are kept
# in the test directory as artifacts.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "SKIP: $CHROMIUM is not installed (Debian package chromium)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

# Chromium as the brief's CI runs it: no sandbox (containers), no GPU, no
# network chatter of its own, a throwaway profile.
chromium_run()
{
	rm -rf "$T/chromium-profile"
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run \
	    --user-data-dir="$T/chromium-profile" "$@" 2>>"$T/chromium.err"
}

# A row of the users table in $1 (status_page.py rows output) for user $2.
page_row()
{
	printf '%s\n' "$1" | grep "^$2|" || true
}

EVIL='<img src=x onerror=document.title=1>Eve & "Co"'
CFG_EXTRA_SITE=$(http_site_lines)
CFG_EXTRA_USERS="  - { number: \"204\", name: '$EVIL', login_code: \"4204\" }"
write_site_config
start_roamd
register_ok 201 "$(phone_port 201)"
register_ok 203 "$(phone_port 203)"
out=$(rctl login 201 203) || fail "roamctl login 201 203: $out"
assert_where 201 203 "Alice hot desks at Carol's phone 203"

URL="http://127.0.0.1:$HTTP_PORT/#token=$HTTP_TOKEN"
chromium_run --virtual-time-budget=5000 --dump-dom "$URL" >"$T/page.html" ||
    fail "chromium --dump-dom failed: $(tail -5 "$T/chromium.err")"
rows=$(python3 "$E2E_DIR/status_page.py" rows "$T/page.html") ||
    fail "cannot read the dumped page $T/page.html"
printf '%s\n' "$rows" >"$T/page-rows.txt"
assert_contains "$rows" "site london" "the page names the site"
assert_eq "201|logged_in|Alice Smith|london|london|203|logout" \
    "$(page_row "$rows" 201)" "Alice is shown at phone 203 with a logout button"
assert_eq "203|logged_out|Carol White|london|–|–|" \
    "$(page_row "$rows" 203)" "Carol is shown logged out"
assert_eq "202|logged_in|Bob Jones|london|london|202|logout" \
    "$(page_row "$rows" 202)" "Bob is shown at his phone"
assert_eq "204|logged_out|$EVIL|london|–|–|" "$(page_row "$rows" 204)" \
    "a name full of markup is shown as text"
assert_contains "$rows" "img 0" "no markup from the daemon became an element"
grep -q '>sip:201@127.0.0.1:[0-9]*</td>' "$T/page.html" ||
    fail "the registrations table lacks phone 201's contact"
ok "the registrations table shows phone 201"

chromium_run --window-size=1280,1000 --virtual-time-budget=5000 \
    --screenshot="$T/status-page.png" "$URL" >/dev/null ||
    fail "chromium --screenshot failed: $(tail -5 "$T/chromium.err")"
[ "$(head -c 4 "$T/status-page.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
    fail "no PNG screenshot at $T/status-page.png"
ok "screenshot saved: $T/status-page.png"

# The admin clicks Alice's logout button (on a phone-sized screen).
rows=$(python3 "$E2E_DIR/status_page.py" click-logout "$CHROMIUM" "$URL" 201 \
    "$T/status-page-phone.png") ||
    fail "could not click Alice's logout button on the page"
assert_where 201 201 "after the click Alice is back at her base phone 201"
assert_where 203 203 "and phone 203 fell back to Carol"
assert_log 'http admin logout user=201'
assert_eq "201|logged_in|Alice Smith|london|london|201|logout" \
    "$(page_row "$rows" 201)" "the page shows Alice back at 201"
assert_eq "203|logged_in|Carol White|london|london|203|logout" \
    "$(page_row "$rows" 203)" "the page shows Carol back at 203"
ok "phone-sized screenshot saved: $T/status-page-phone.png"
