#!/bin/bash
# The audit log (issue 6): a wrong login code, a lock-out, a refusal while
# locked, a login and a logout by SIPp feature codes are each stored with
# their reason and the phone; `roamctl --json events --user N` lists them
# in order, --since filters by time (unix seconds or local date), the
# table form reads, the log still has one line each, the events survive
# a restart; /api/events shows the same list and /metrics counts the
# logins by result and the request latency.
. "$(dirname "$0")/lib.sh"

HTTP=0
if command -v curl >/dev/null; then
	CFG_EXTRA_SITE=$(http_site_lines)
	HTTP=1
fi
CFG_TOP='hotdesk: { lockout_attempts: 2, lockout_period: 2s }'
write_feature_config
start_roamd

register_ok 202 "$(phone_port 202)"

wrong='*35*201*1111#'
right='*35*201*4201#'

call_refused 202 "$wrong" '403 Login Code Incorrect' "a wrong code"
call_refused 202 "$wrong" '403 (Login Code Incorrect|Locked Out)' \
    "the 2nd wrong code in a row locks Alice out"
call_refused 202 "$right" '403 Locked Out' "the right code while locked"
sleep 2.2
t_mid=$(date +%s)
feature_ok 202 "$right" "the right code after the lock logs Alice in at 202"
assert_where 201 202 "Alice is at 202"
feature_ok 202 '*36' "Alice logs out at 202"
assert_where 201 201 "Alice fell back to her own phone"

# "kind/reason@ext" of each event of a JSON list, oldest first.
EV_LIST='
for e in d:
    for k in ("time", "kind", "user", "extension", "site", "reason",
        "detail"):
        assert k in e, "event lacks %s: %r" % (k, e)
print(" ".join("%s/%s@%s" % (e["kind"], e["reason"], e["extension"])
    for e in d))
'

# Print a JSON list of user 201's events (stdin) as EV_LIST does.
ev_list()
{
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(e["user"] == "201" for e in d), "other users listed: %r" % d
'"$EV_LIST"
}

# The events of user 201 as EV_LIST prints them, from roamctl.
alice_events()
{
	local out
	out=$(rctl --json events --user 201 "$@") ||
	    fail "roamctl --json events --user 201 $* failed"
	printf '%s\n' "$out" | ev_list ||
	    fail "bad roamctl --json events output: $out"
}

# The same from GET /api/events?user=201[&QUERY].
alice_events_http()
{
	http_expect GET "/api/events?user=201${1-}" 200 "GET /api/events" \
	    >/dev/null
	printf '%s\n' "$HTTP_BODY" | ev_list ||
	    fail "bad GET /api/events output: $HTTP_BODY"
}

want='login_failed/bad_code@202 lockout/bad_code@202 login_failed/locked@202'
want="$want logout/moved@201 login/user@202 logout/user@202"
want="$want login/fallback@201"
got=$(alice_events)
assert_eq "login/startup@201 $want" "$got" \
    "roamctl events --user 201 lists the attempts in order with reasons"

# --since: unix seconds and the site's local time give the same answer.
want_mid='logout/moved@201 login/user@202 logout/user@202 login/fallback@201'
assert_eq "$want_mid" "$(alice_events --since "$t_mid")" \
    "events --since (unix seconds) keeps the later ones"
assert_eq "$want_mid" "$(alice_events \
    --since "$(date -d "@$t_mid" +%Y-%m-%dT%H:%M:%S)")" \
    "events --since (local YYYY-MM-DDTHH:MM:SS) keeps the same ones"
assert_eq "" "$(alice_events --since "$(( $(date +%s) + 3600 ))")" \
    "no events in the future"

# Every event carries the site; the other users' events are there too.
rctl --json events | json_eval '(all(e["site"] == "london" for e in d) and
    any(e["user"] == "202" and e["kind"] == "logout" and
    e["reason"] == "replaced" for e in d))' | grep -qx true ||
    fail "roamctl events: a site missing, or 202 replaced at 202 not listed"
ok "events name the site; Bob's logout (replaced) is listed too"

# The table for people, and a usage error for a bad word.
table=$(rctl events --user 201) || fail "roamctl events (table) failed"
assert_contains "$table" 'TIME' "the table has a header"
printf '%s\n' "$table" | grep -Eq 'lockout +201 +202 +london +- +bad_code' ||
    fail "the table lacks the lock-out row: $table"
ok "the table shows the lock-out"
rc=0
rctl events --since yesterday >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "a bad --since is refused"

# Still one log line per event.
assert_log 'login failed user=201 reason=bad-code failures=1'
assert_log 'login locked user=201 failures=2'
assert_log 'login refused user=201 reason=locked'
assert_log 'logout user=201 ext=202 reason=user'

if [ "$HTTP" = 1 ]; then
	assert_eq "$got" "$(alice_events_http)" \
	    "/api/events?user=201 lists the same events"
	assert_eq "$want_mid" "$(alice_events_http "&since=$t_mid")" \
	    "/api/events?since= filters as roamctl does"
	http_expect GET /metrics 200 "metrics"
	for line in 'roam_logins_total{result="ok"} 1' \
	    'roam_logins_total{result="bad_code"} 1' \
	    'roam_logins_total{result="locked"} 2' \
	    'roam_logins_total{result="unknown_user"} 0'; do
		printf '%s\n' "$HTTP_BODY" | grep -qxF "$line" ||
		    fail "/metrics lacks '$line'"
	done
	ok "/metrics counts the logins by result"
	printf '%s\n' "$HTTP_BODY" | grep -Eq \
	    '^roam_sip_request_duration_seconds_count\{method="REGISTER"\} [1-9]' ||
	    fail "/metrics has no REGISTER latency"
	printf '%s\n' "$HTTP_BODY" | grep -qF \
	    'roam_sip_request_duration_seconds_bucket{method="INVITE",le="+Inf"}' ||
	    fail "/metrics has no INVITE latency histogram"
	ok "/metrics has the request latency histograms"
fi

# The log is in the database: a restart keeps it.
restart_roamd
assert_eq "login/startup@201 $want" "$(alice_events)" \
    "the events survive a restart"

roamd_alive || fail "roamd died"
stop_roamd
