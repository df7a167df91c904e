#!/bin/bash
# The HTTP API of DESIGN.md section 6 against a real roamd: the page at
# "/" is open, everything else needs the bearer token; the documents are
# roamctl's; an admin's POST logout/login moves the user as roamctl
# sees it; /metrics is Prometheus text.  roamd refuses to start with a
# token file others can read, and on a public address without a token.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is not installed (Debian package curl)"

CFG_EXTRA_SITE=$(http_site_lines)
write_site_config
start_roamd
register_ok 201 "$(phone_port 201)"

# The page needs no token; the API and the metrics do.
http_expect GET / 200 "the status page is served without a token" -
assert_contains "$HTTP_BODY" '<table id="users">' "the page has the users table"
assert_not_contains "$HTTP_BODY" "$HTTP_TOKEN" "the page does not carry the token"
http_expect GET /api/status 401 "no token, no status" -
assert_eq '{"error":"a valid bearer token is required"}' "$HTTP_BODY" \
    "the 401 says why in JSON"
http_expect GET /api/status 401 "a wrong token is refused" "not-$HTTP_TOKEN"
http_expect GET /metrics 401 "no token, no metrics" -
http_expect POST /api/users/201/logout 401 "no token, no logout" - '{}'
assert_where 201 201 "a refused logout changed nothing"

# The documents are roamctl's.
assert_eq london "$(http_json_eval /api/status 'd["site"]')" "status site"
assert_eq 1 "$(http_json_eval /api/status 'd["id"]')" "status id"
assert_eq "$(rctl --json status | json_eval 'd["epoch"]')" \
    "$(http_json_eval /api/status 'd["epoch"]')" "status epoch is roamctl's"
assert_eq true "$(http_json_eval /api/status \
    'isinstance(d["uptime_s"], int) and d["uptime_s"] >= 0')" "status uptime_s"
assert_eq "201 202 203" "$(http_json_eval /api/users \
    '" ".join(u["number"] for u in d)')" "users lists the site's users"
http_req GET /api/users/201
printf '%s\n' "$HTTP_BODY" | python3 -c '
import json, sys
d = json.load(sys.stdin)
'"$E2E_USER_CHECK" || fail "GET /api/users/201 lacks section 6 keys: $HTTP_BODY"
ok "user 201 has the section 6 keys"
assert_eq "sip:201@127.0.0.1:$(phone_port 201)" "$(http_json_eval /api/regs \
    '[r["contact"] for r in d if r["extension"] == "201"][0]')" \
    "regs shows phone 201's contact"
assert_eq 0 "$(http_json_eval /api/calls \
    'len(d["calls"] if isinstance(d, dict) else d)')" "calls is empty"
for doc in peers directory events; do
	http_req GET "/api/$doc"
	case $HTTP_CODE in
	200)	printf '%s\n' "$HTTP_BODY" | json_eval 'd' >/dev/null ||
		    fail "GET /api/$doc: not JSON: $HTTP_BODY"
		ok "GET /api/$doc is a JSON document" ;;
	501)	assert_contains "$HTTP_BODY" '"error":' \
		    "GET /api/$doc: not available yet (501)" ;;
	*)	fail "GET /api/$doc answered $HTTP_CODE: $HTTP_BODY" ;;
	esac
done

# Bad requests never reach roamctl's command line.
http_expect GET /api/users/20x1 400 "a user number with a letter"
http_expect GET /api/users/999 404 "an unknown user"
assert_eq '{"error":"no such user 999"}' "$HTTP_BODY" "404 names the user"
http_expect POST /api/users/201/login 400 "an extension with a space" \
    "$HTTP_TOKEN" '{"extension": "203 reload"}'
http_expect GET /api/users/201/logout 405 "logout is a POST"

# The admin moves Alice to phone 203 and logs her out there (H1, H3):
# she falls back to her free base phone 201, phone 203 to Carol.
http_expect POST /api/users/201/login 200 "admin login of 201 at 203" \
    "$HTTP_TOKEN" '{"extension": "203"}'
assert_where 201 203 "roamctl agrees: Alice is at 203"
assert_where 203 - "Carol was logged out of her phone"
http_expect POST /api/users/201/logout 200 "admin logout of 201"
assert_eq 201 "$(printf '%s\n' "$HTTP_BODY" | json_eval 'd["extension"]')" \
    "the answer shows Alice back at her base phone (H3)"
assert_where 201 201 "roamctl agrees: Alice is back at 201"
assert_where 203 203 "phone 203 fell back to Carol (H3)"
assert_log 'http admin logout user=201'

# Prometheus text at /metrics.
http_expect GET /metrics 200 "metrics with the token"
assert_contains "$HTTP_BODY" $'\nroam_registrations 1\n' \
    "metrics count phone 201's registration"
assert_contains "$HTTP_BODY" '# TYPE roam_calls_active gauge' \
    "metrics have the active calls gauge"
bad=$(printf '%s\n' "$HTTP_BODY" | grep -v -e '^#' -e '^roam_[a-z_]*[{ ]' |
    grep . || true)
[ -z "$bad" ] || fail "metrics lines that are not roam_*: $bad"
ok "every metric is named roam_*"
stop_roamd

# Refusals at start-up: a token file others may read, a public address
# without a token.  roamd must exit with a clear error, not serve.
chmod 644 "$HTTP_TOKENFILE"
rc=0
timeout 10 "$ROAMD" -c "$CFG" >"$T/refused-mode.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
    fail "roamd started with a world-readable token file (status $rc)"
assert_contains "$(cat "$T/refused-mode.log")" "accessible by others" \
    "roamd refuses a world-readable token file"
chmod 600 "$HTTP_TOKENFILE"
CFG_EXTRA_SITE="  http: \"0.0.0.0:$HTTP_PORT\""
write_site_config
rc=0
timeout 10 "$ROAMD" -c "$CFG" >"$T/refused-public.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
    fail "roamd served on 0.0.0.0 without a token (status $rc)"
assert_contains "$(cat "$T/refused-public.log")" "not a loopback address" \
    "roamd refuses a public address without a token"
