# Multi-site end-to-end harness (DESIGN.md section 4 R1-R9, F1-F4, B1):
# sourced by tests/e2e/test_net_*.sh AFTER lib.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib_net.sh"
#
# A network is up to three roamd processes on 127.0.0.1: london (id 1),
# paris (id 2), berlin (id 3), each with its own config ($T/SITE.yaml),
# database, control socket and log ($T/SITE.log), SIP port, peer-link
# port and SIPp carrier port.  Phones are SIPp instances on fixed local
# ports per extension (phone_port EXT); a phone registers against the
# site it belongs to with the site's domain as realm.
#
# Port plan: lib.sh picked a block of 20 ports; a network needs 40, so
# lib_net.sh picks a free block of 40 from the same hash of the test name
# and moves BASE_PORT (and lib.sh's SIP_PORT, CARRIER_PORT, RTP_PORT, ...)
# onto it:
#	BASE+6i+0  site i SIP (udp+tcp)    i: 0 london, 1 paris, 2 berlin
#	BASE+6i+1  site i carrier (SIPp, the "pstn" trunk's address)
#	BASE+6i+2  site i peer-link listener
#	BASE+4     RTP listener of feature_ok (lib.sh's RTP_PORT)
#	BASE+20..  phones: 201 202 203 301 302 309 401 402 409 (phone_port)
#
# Site context: lib.sh helpers use the globals DOMAIN, SIP_PORT, SOCK,
# ROAMD_LOG, CFG, DB and CARRIER_PORT.  `at_site SITE CMD ARGS...` runs
# CMD with those set (as function locals, which bash scopes dynamically)
# to SITE's values, so every lib.sh helper works against any site:
#	at_site paris register_ok 301 "$(phone_port 301)"
#	at_site paris feature_ok 301 '*35*201*4201#' "201 logs in at paris"
#	at_site london assert_user 201 'd["site"]' paris "home sees paris"
#	at_site paris call_refused 301 '*35*201*0000#' '403 Login Code Incorrect' x
# Outside at_site the globals point at london (ROAMD_LOG at an empty file:
# use site_log_has).  A phone registered elsewhere than its own site:
#	at_site berlin register 201 "$(phone_port 201)"
# lib_net.sh replaces lib.sh's phone_port (room for 2xx only) and its EXIT
# trap (net_cleanup: SIGCONT, every site's log tail, then e2e_cleanup).
#
# Config template (net_write_config), per site:
#  london: users 201 "Alice Smith" power_user rights Sales, user short code
#	*77 (dial 0033140000000 on pstn), appearance and other buttons;
#	202 "Bob Jones" teleworker rights Sales, bridged_appearance of 201;
#	203 "Carol White" basic rights Staff, out of hours Night, time
#	profile "Office Hours" (london only, never active: only a past date).
#	Licences power_user 1, teleworker 1.  Rights: Sales (00N barred),
#	Staff, Night (outgoing_call_bar).
#  paris: 301 "Jean Dupont" office_worker Sales, 302 "Marie Curie" basic
#	Staff; extension 309 remote_worker with no base user.  Licences
#	office_worker 1.  Rights: Sales (0N dials N on pstn), Staff (8N
#	dials N on pstn): the same names as london, other rules.
#  berlin: 401 "Hans Weber" office_worker Vertrieb, 402 "Eva Braun" basic
#	Personal; extension 409 remote_worker.  Licences office_worker 1.
#	Rights: Vertrieb (0N dials N), Personal: names unknown elsewhere.
#  Every site: extensions with base users and `location`, trunk "pstn"
#	to its carrier with DDIs (london 4420712302NN -> 20N, paris
#	3314000003NN -> 30N, berlin 49301230401 -> 401), system short codes
#	*35*N# *36 *08 *09 *01 *02 *03 *07*N# *00 *80*N# 999 9N, plus *81N
#	(break_out to paris; on paris: to london), lock-out after 4 wrong
#	codes for 90 s, network { listen, secret $NET_SECRET, orphan_logout
#	$NET_ORPHAN_LOGOUT (24h), hold_time $NET_HOLD_TIME (3s), peers: the
#	other sites of NET_SITES }.
#  Per-site additions (whole YAML lines, indented as in the file), set
#	before net_write_config/net_setup: NET_EXTRA_USERS_<site>,
#	NET_EXTRA_EXTENSIONS_<site>, NET_EXTRA_SHORT_CODES_<site>,
#	NET_EXTRA_TOP_<site> (top-level sections), NET_EXTRA_SITE_<site>
#	(lines inside site:), NET_EXTRA_NETWORK_<site> (lines inside
#	network:), NET_SECRET_<site> (that site's secret), NET_LICENCES_<site>
#	(the flow map inside licences: {...}).
#
# Helpers (all bounded; every process is ended by the EXIT trap):
#  net_setup [SITE...]	choose the network (default london paris berlin)
#			and write every site's config
#  net_write_config SITE	(re)write $T/SITE.yaml from the template
#  start_site SITE		start roamd; wait for roamctl status + SIP port
#  start_network		start_site for every site of NET_SITES (highest
#				id first: the lower id dials, no back-off)
#  stop_site SITE		SIGTERM, require exit status 0 (10 s)
#  kill9_site SITE		SIGKILL (an outage; its database stays)
#  stop_signal SITE		SIGSTOP (a cut link: the peers' hold timer fires)
#  cont_site SITE		SIGCONT after stop_signal
#  restart_site SITE		stop_site (or reap after kill9) + start_site
#  site_alive SITE		is its roamd process there (maybe SIGSTOPped)?
#  site_running SITE		alive and not SIGSTOPped (answers roamctl)
#  rctl_site SITE ARGS...	roamctl against SITE's control socket (10 s)
#  at_site SITE CMD...		run a lib.sh helper in SITE's context (above)
#  net_json SITE CMD EXPR	Python EXPR of `roamctl --json CMD` (as d)
#  wait_peers_up [SITE...]	every given site lists every other running
#				(not SIGSTOPped) site "up" (default: all
#				running sites; 20 s)
#  wait_peer_state SITE PEER up|down [SECONDS]
#  wait_directory USER SITE|- [EXT] [SITES...]
#				every running (not SIGSTOPped) site's
#				directory shows USER at
#				SITE (- = logged out) [on extension EXT] (10 s)
#  wait_user SITE N EXPR EXPECTED WHAT	poll `roamctl --json user N` on
#				SITE until the Python EXPR (d) prints EXPECTED
#  net_register SITE EXT [EXPIRES]	register EXT from phone_port EXT
#				against SITE (realm = SITE's domain)
#  net_register_ok SITE EXT	the same, failing the test on error
#  register_all		register every extension of every running site
#				at its site (in parallel)
#  site_of_ext EXT		london|paris|berlin by the first digit
#  site_domain/site_sip_port/site_carrier_port/site_peer_port/site_id/
#  site_log/site_sock/site_cfg SITE	the site's values
#  site_log_has SITE REGEX	SITE's log has a matching line (waits 3 s)
#  site_log_count SITE REGEX	number of matching lines now
#  site_log_lacks SITE REGEX	no matching line
#  wait_log_count SITE REGEX MIN [SECONDS]	at least MIN matching lines
#  carrier_bg SITE NAME SCENARIO [sipp args]	SIPp on SITE's carrier port
#				(background; sets SIPP_PID)
#  carrier_ddi SITE DDI [sipp args]	SITE's carrier delivers a DDI call
#				(carrier_ddi_uac.xml, foreground, returns rc)
#  net_phone_uas EXT SCENARIO [args]	phone EXT answers (as phone_uas)
#  net_ring EXT FROM_USER FROM_NAME [FROM_HOST]	phone EXT answers one
#				call checking Request-URI, From user/name/host
#  net_idle NAME PORT		a SIPp on PORT that must get no INVITE (sets
#				SIPP_PID); net_idle_end PID WHAT checks it
#  net_feature_quick SITE EXT CODE WHAT	EXT dials CODE: 200 with SDP,
#				the phone hangs up at once (no tone check)
#  net_login SITE EXT USER CODE	*35*USER*CODE# from EXT at SITE (quick;
#				feature_ok with NET_FEATURE_FULL=1), then
#				wait_directory USER SITE EXT
#  net_logout SITE EXT USER	*36 from EXT (as net_login), then wait until
#				USER is no longer at SITE in the directory

# The network's sites, in id order (net_setup sets it).
NET_SITES=(london paris berlin)
NET_SECRET=${NET_SECRET:-e2e-net-secret-$E2E_HASH}
NET_HOLD_TIME=${NET_HOLD_TIME:-3s}
NET_ORPHAN_LOGOUT=${NET_ORPHAN_LOGOUT:-24h}
declare -A NET_PID=()
declare -A NET_FROZEN=()		# sites under SIGSTOP

# --- ports ---------------------------------------------------------------

# Pick a block of 40 free ports (two of lib.sh's blocks) from the test's
# hash; move lib.sh's port variables onto it.
net_pick_ports()
{
	local try p
	for try in 0 1 2 3 4 5 6 7 8 9; do
		p=$((15000 + ((E2E_HASH + try * 89) % 248) * 20))
		if ports_free "$p" && ports_free $((p + 20)); then
			BASE_PORT=$p
			SIP_PORT=$p
			CARRIER_PORT=$((p + 1))
			FUZZ_PORT=$((p + 3))
			SPARE_PORT=$((p + 5))
			RTP_PORT=$((p + 4))
			HTTP_PORT=$((p + 5))
			return 0
		fi
		echo "ports $p-$((p + 39)) are busy, trying another block"
	done
	fail "no free block of 40 ports"
}
net_pick_ports

# The index of SITE in the port plan (london 0, paris 1, berlin 2).
site_index()
{
	case $1 in
	london)	echo 0 ;;
	paris)	echo 1 ;;
	berlin)	echo 2 ;;
	*)	fail "unknown site '$1'" ;;
	esac
}

# The site id of SITE (london 1, paris 2, berlin 3).
site_id()
{
	echo $(( $(site_index "$1") + 1 ))
}

# SITE's SIP port (udp and tcp).
site_sip_port()
{
	echo $((BASE_PORT + 6 * $(site_index "$1")))
}

# SITE's carrier (the pstn trunk's address) port.
site_carrier_port()
{
	echo $((BASE_PORT + 6 * $(site_index "$1") + 1))
}

# SITE's peer-link listener port.
site_peer_port()
{
	echo $((BASE_PORT + 6 * $(site_index "$1") + 2))
}

# SITE's SIP domain (also the digest realm).
site_domain()
{
	echo "$1.roam.test"
}

# SITE's files.
site_cfg()  { echo "$T/$1.yaml"; }
site_db()   { echo "$T/$1.db"; }
site_sock() { echo "$T/$1.sock"; }
site_log()  { echo "$T/$1.log"; }

# The site an extension or user number belongs to (by its first digit).
site_of_ext()
{
	case $1 in
	2*)	echo london ;;
	3*)	echo paris ;;
	4*)	echo berlin ;;
	*)	fail "no site for extension '$1'" ;;
	esac
}

# The local port of the phone of extension EXT (replaces lib.sh's
# one-site plan, which has room for 2xx only).
phone_port()
{
	local i
	case $1 in
	201) i=0 ;; 202) i=1 ;; 203) i=2 ;;
	301) i=3 ;; 302) i=4 ;; 309) i=5 ;;
	401) i=6 ;; 402) i=7 ;; 409) i=8 ;;
	*)	fail "phone_port: no port for extension '$1'" ;;
	esac
	echo $((BASE_PORT + 20 + i))
}

# Outside at_site, lib.sh's globals name london.
DOMAIN=$(site_domain london)
CFG=$(site_cfg london)
SOCK=$(site_sock london)
DB=$(site_db london)
ROAMD_LOG=$T/no-site-context.log
: >"$ROAMD_LOG"

# --- context -------------------------------------------------------------

# Run CMD ARGS... with lib.sh's globals set to SITE's values.
at_site()
{
	local site=$1
	shift
	local DOMAIN SIP_PORT SOCK ROAMD_LOG CFG DB CARRIER_PORT
	DOMAIN=$(site_domain "$site")
	SIP_PORT=$(site_sip_port "$site")
	SOCK=$(site_sock "$site")
	ROAMD_LOG=$(site_log "$site")
	CFG=$(site_cfg "$site")
	DB=$(site_db "$site")
	CARRIER_PORT=$(site_carrier_port "$site")
	"$@"
}

# roamctl against SITE (bounded: 10 s, as a SIGSTOPped roamd never
# answers).
rctl_site()
{
	local site=$1
	shift
	timeout 10 "$ROAMCTL" -s "$(site_sock "$site")" "$@"
}

# Print the Python expression EXPR (as d) of `roamctl --json CMD...` on
# SITE.  Usage: net_json SITE 'CMD ARGS' EXPR.
net_json()
{
	local out
	# shellcheck disable=SC2086
	out=$(rctl_site "$1" --json $2) ||
	    fail "roamctl --json $2 on $1 failed: $out"
	printf '%s\n' "$out" | json_eval "$3" ||
	    fail "roamctl --json $2 on $1: cannot evaluate $3 on: $out"
}

# --- configs -------------------------------------------------------------

# The value of the variable named PREFIX_SITE, or empty.
net_extra()
{
	local v="$1_$2"
	printf '%s' "${!v:-}"
}

# The peers: lines of SITE: every other site of NET_SITES.
net_peer_lines()
{
	local s
	for s in "${NET_SITES[@]}"; do
		[ "$s" = "$1" ] && continue
		printf '    - { name: %s, address: "127.0.0.1:%s", sip: "udp:127.0.0.1:%s" }\n' \
		    "$s" "$(site_peer_port "$s")" "$(site_sip_port "$s")"
	done
}

# Is SITE part of NET_SITES?
net_has_site()
{
	local s
	for s in "${NET_SITES[@]}"; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

# The users/extensions/rights/DDIs specific to SITE (YAML).
net_site_body()
{
	case $1 in
	london) cat <<EOF
licences: { ${NET_LICENCES_london:-power_user: 1, teleworker: 1} }

user_rights:
  - name: Sales                 # also on paris, other rules there
    short_codes:
      - { code: "00N", feature: barred }
  - name: Staff                 # also on paris, other rules there
  - name: Night                 # out of hours: external calls barred
    outgoing_call_bar: true

time_profiles:                  # london only; never active (a past date)
  - name: Office Hours
    dates:
      - { date: "2001-01-01", start: "08:00", end: "09:00" }
$(net_extra NET_EXTRA_TOP london)
TRUNK_INCOMING
      - { ddi: "442071230201", destination: "201" }
      - { ddi: "442071230202", destination: "202" }
      - { ddi: "442071230203", destination: "203" }

extensions:
  - { number: "201", password: "$(ext_password 201)", base_user: "201",
      location: "London office, desk 201" }
  - { number: "202", password: "$(ext_password 202)", base_user: "202",
      location: "London office, desk 202" }
  - { number: "203", password: "$(ext_password 203)", base_user: "203",
      location: "London office, desk 203" }
$(net_extra NET_EXTRA_EXTENSIONS london)
users:
  - number: "201"
    name: "Alice Smith"
    login_code: "4201"
    profile: power_user
    user_rights: Sales
    short_codes:
      - { code: "*77", feature: dial, number: "0033140000000", trunk: pstn }
    buttons:
      - { type: call_appearance }
      - { type: bridged_appearance, user: "202" }
      - { type: coverage_appearance, user: "203" }
      - { type: line_appearance, trunk: pstn }
      - { type: speed_dial, number: "203" }
      - { type: dnd }
      - { type: break_out, site: paris }
  - number: "202"
    name: "Bob Jones"
    login_code: "4202"
    profile: teleworker
    user_rights: Sales
    buttons:
      - { type: call_appearance }
      - { type: bridged_appearance, user: "201" }
      - { type: dnd }
  - number: "203"
    name: "Carol White"
    login_code: "4203"
    profile: basic
    user_rights: Staff
    out_of_hours_user_rights: Night
    working_hours_time_profile: Office Hours
$(net_extra NET_EXTRA_USERS london)
EOF
	;;
	paris) cat <<EOF
licences: { ${NET_LICENCES_paris:-office_worker: 1} }

user_rights:
  - name: Sales                 # same name as london, other rules
    short_codes:
      - { code: "0N", feature: dial, number: "N", trunk: pstn }
  - name: Staff
    short_codes:
      - { code: "8N", feature: dial, number: "N", trunk: pstn }
$(net_extra NET_EXTRA_TOP paris)
TRUNK_INCOMING
      - { ddi: "331400000301", destination: "301" }
      - { ddi: "331400000302", destination: "302" }

extensions:
  - { number: "301", password: "$(ext_password 301)", base_user: "301",
      location: "Paris office, desk 301" }
  - { number: "302", password: "$(ext_password 302)", base_user: "302",
      location: "Paris office, desk 302" }
  - { number: "309", password: "$(ext_password 309)", remote_worker: true,
      location: "Paris hot desk 309" }
$(net_extra NET_EXTRA_EXTENSIONS paris)
users:
  - number: "301"
    name: "Jean Dupont"
    login_code: "4301"
    profile: office_worker
    user_rights: Sales
    buttons:
      - { type: call_appearance }
      - { type: dnd }
  - number: "302"
    name: "Marie Curie"
    login_code: "4302"
    profile: basic
    user_rights: Staff
$(net_extra NET_EXTRA_USERS paris)
EOF
	;;
	berlin) cat <<EOF
licences: { ${NET_LICENCES_berlin:-office_worker: 1} }

user_rights:
  - name: Vertrieb              # names unknown on london and paris
    short_codes:
      - { code: "0N", feature: dial, number: "N", trunk: pstn }
  - name: Personal
$(net_extra NET_EXTRA_TOP berlin)
TRUNK_INCOMING
      - { ddi: "49301230401", destination: "401" }

extensions:
  - { number: "401", password: "$(ext_password 401)", base_user: "401",
      location: "Berlin office, desk 401" }
  - { number: "402", password: "$(ext_password 402)", base_user: "402",
      location: "Berlin office, desk 402" }
  - { number: "409", password: "$(ext_password 409)", remote_worker: true,
      location: "Berlin hot desk 409" }
$(net_extra NET_EXTRA_EXTENSIONS berlin)
users:
  - number: "401"
    name: "Hans Weber"
    login_code: "4401"
    profile: office_worker
    user_rights: Vertrieb
  - number: "402"
    name: "Eva Braun"
    login_code: "4402"
    profile: basic
    user_rights: Personal
$(net_extra NET_EXTRA_USERS berlin)
EOF
	;;
	esac
}

# Write SITE's config to $T/SITE.yaml from the template.
net_write_config()
{
	local site=$1 secret b81 body
	secret=$(net_extra NET_SECRET "$site")
	secret=${secret:-$NET_SECRET}
	b81=
	if [ "$site" = paris ]; then
		net_has_site london &&
		    b81='  - { code: "*81N", feature: break_out, site: london, number: "N" }'
	elif net_has_site paris; then
		b81='  - { code: "*81N", feature: break_out, site: paris, number: "N" }'
	fi
	body=$(net_site_body "$site")
	{
		cat <<EOF
# Generated by tests/e2e/lib_net.sh for $E2E_NAME: site $site
site:
  name: $site
  id: $(site_id "$site")
  domain: $(site_domain "$site")
  sip: ["udp:127.0.0.1:$(site_sip_port "$site")", "tcp:127.0.0.1:$(site_sip_port "$site")"]
  database: $(site_db "$site")
  control: $(site_sock "$site")
$(net_extra NET_EXTRA_SITE "$site")

hotdesk:
  lockout_attempts: 4
  lockout_period: 90s

network:
  listen: "127.0.0.1:$(site_peer_port "$site")"
  secret: "$secret"
  orphan_logout: $NET_ORPHAN_LOGOUT
  hold_time: $NET_HOLD_TIME
$(net_extra NET_EXTRA_NETWORK "$site")
  peers:
$(net_peer_lines "$site")

short_codes:
  - { code: "*35*N#", feature: extn_login, number: "N" }
  - { code: "*36",    feature: extn_logout }
  - { code: "*08",    feature: dnd_on }
  - { code: "*09",    feature: dnd_off }
  - { code: "*01",    feature: forward_unconditional_on }
  - { code: "*02",    feature: forward_unconditional_off }
  - { code: "*03",    feature: forward_busy_on }
  - { code: "*07*N#", feature: forward_number, number: "N" }
  - { code: "*00",    feature: cancel_forwarding }
  - { code: "*80*N#", feature: break_out, number: "N" }
$b81
  - { code: "999",    feature: dial_emergency, number: "999", trunk: pstn }
  - { code: "9N",     feature: dial, number: "N", trunk: pstn }
$(net_extra NET_EXTRA_SHORT_CODES "$site")
EOF
		# The trunk goes where the body says TRUNK_INCOMING.
		printf '%s\n' "$body" | awk -v port="$(site_carrier_port "$site")" '
		$0 == "TRUNK_INCOMING" {
			print "trunks:"
			print "  - name: pstn"
			print "    address: \"udp:127.0.0.1:" port "\""
			print "    incoming:"
			next
		}
		{ print }'
	} >"$(site_cfg "$site")"
}

# Choose the network (default: london paris berlin) and write the configs.
net_setup()
{
	local s
	if [ $# -gt 0 ]; then
		NET_SITES=("$@")
	fi
	for s in "${NET_SITES[@]}"; do
		net_write_config "$s"
	done
}

# --- processes -----------------------------------------------------------

# Is SITE's roamd running (a process, perhaps under SIGSTOP)?
site_alive()
{
	local pid=${NET_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Is SITE's roamd running and not under SIGSTOP (it would answer)?
site_running()
{
	site_alive "$1" && [ -z "${NET_FROZEN[$1]:-}" ]
}

# Start SITE's roamd; wait (10 s) until roamctl status answers and its SIP
# port is bound.
start_site()
{
	local site=$1 log pid i rc
	log=$(site_log "$site")
	site_alive "$site" && fail "start_site $site: already running"
	echo "--- start roamd $site $(date +%T.%N)" >>"$log"
	"$ROAMD" -c "$(site_cfg "$site")" >>"$log" 2>&1 &
	pid=$!
	NET_PID[$site]=$pid
	E2E_PIDS+=("$pid")
	for i in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			NET_PID[$site]=
			fail "roamd $site exited during start-up (status $rc)"
		fi
		if rctl_site "$site" status >/dev/null 2>&1; then
			wait_udp_bound "$(site_sip_port "$site")"
			return 0
		fi
		sleep 0.1
	done
	fail "roamd $site did not answer roamctl status within 10 s"
}

# Start every site of NET_SITES, highest id first (the lower id dials,
# so its first attempt finds the listener up: no reconnect back-off).
start_network()
{
	local i
	for ((i = ${#NET_SITES[@]} - 1; i >= 0; i--)); do
		start_site "${NET_SITES[$i]}"
	done
	ok "started ${NET_SITES[*]}"
}

# SIGTERM SITE's roamd, wait (10 s), require exit status 0.
stop_site()
{
	local site=$1 pid=${NET_PID[$1]:-} i rc=0
	[ -n "$pid" ] || fail "stop_site $site: not running"
	kill -CONT "$pid" 2>/dev/null || true
	NET_FROZEN[$site]=
	kill -TERM "$pid" 2>/dev/null ||
	    fail "roamd $site (pid $pid) was already gone at SIGTERM"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "roamd $site did not exit within 10 s of SIGTERM"
	fi
	wait "$pid" || rc=$?
	NET_PID[$site]=
	[ "$rc" -eq 0 ] || fail "roamd $site exited with status $rc after SIGTERM"
	ok "roamd $site stopped cleanly"
}

# SIGKILL SITE's roamd (an outage) and reap it.
kill9_site()
{
	local site=$1 pid=${NET_PID[$1]:-}
	[ -n "$pid" ] || fail "kill9_site $site: not running"
	kill -KILL "$pid" 2>/dev/null || fail "roamd $site was already gone"
	wait "$pid" 2>/dev/null || true
	NET_PID[$site]=
	NET_FROZEN[$site]=
	echo "--- kill -9 roamd $site $(date +%T.%N)" >>"$(site_log "$site")"
	ok "roamd $site killed (SIGKILL)"
}

# SIGSTOP SITE's roamd: it stays connected but says nothing (a cut link).
stop_signal()
{
	local pid=${NET_PID[$1]:-}
	[ -n "$pid" ] || fail "stop_signal $1: not running"
	kill -STOP "$pid" || fail "kill -STOP roamd $1 failed"
	NET_STOPPED+=("$pid")
	NET_FROZEN[$1]=1
	echo "--- kill -STOP roamd $1 $(date +%T.%N)" >>"$(site_log "$1")"
	ok "roamd $1 stopped (SIGSTOP)"
}

# SIGCONT SITE's roamd after stop_signal.
cont_site()
{
	local pid=${NET_PID[$1]:-}
	[ -n "$pid" ] || fail "cont_site $1: not running"
	kill -CONT "$pid" || fail "kill -CONT roamd $1 failed"
	NET_FROZEN[$1]=
	echo "--- kill -CONT roamd $1 $(date +%T.%N)" >>"$(site_log "$1")"
	ok "roamd $1 continued (SIGCONT)"
}
NET_STOPPED=()

# Stop SITE (unless already killed) and start it again on the same
# config and database.
restart_site()
{
	site_alive "$1" && stop_site "$1"
	start_site "$1"
}

# --- peers and directory ---------------------------------------------------

# Does SITE list every other site of NET_SITES as a peer "up"?  With
# SITES... after SITE, only those peers.
net_peers_up()
{
	local site=$1 out want
	shift
	if [ $# -gt 0 ]; then
		want="$*"
	else
		want=$(for s in "${NET_SITES[@]}"; do
			[ "$s" = "$site" ] || printf '%s ' "$s"; done)
	fi
	out=$(rctl_site "$site" --json peers 2>/dev/null) || return 1
	printf '%s\n' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
up = {p["name"] for p in d if p.get("state") == "up"}
sys.exit(0 if set(sys.argv[1].split()) <= up else 1)
' "$want"
}

# Wait (20 s) until every given (default: every running) site of the
# network lists all the other running sites as "up".
wait_peers_up()
{
	local sites=("$@") s o i pending running=() others
	for s in "${NET_SITES[@]}"; do
		site_running "$s" && running+=("$s")
	done
	[ ${#sites[@]} -gt 0 ] || sites=("${running[@]}")
	for i in $(seq 200); do
		pending=
		for s in "${sites[@]}"; do
			others=()
			for o in "${running[@]}"; do
				[ "$o" = "$s" ] || others+=("$o")
			done
			net_peers_up "$s" "${others[@]}" || pending="$pending $s"
		done
		if [ -z "$pending" ]; then
			ok "peer links up (${sites[*]} see ${running[*]})"
			return 0
		fi
		sleep 0.1
	done
	for s in "${sites[@]}"; do
		echo "peers of $s: $(rctl_site "$s" --json peers 2>&1)" >&2
	done
	fail "peer links not all up within 20 s (waiting on:$pending)"
}

# Wait (SECONDS, default 15) until SITE lists PEER in state STATE.
wait_peer_state()
{
	local site=$1 peer=$2 state=$3 secs=${4:-15} i got
	for i in $(seq $((secs * 10))); do
		got=$(rctl_site "$site" --json peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1]:
        print(p["state"])
' "$peer" 2>/dev/null) || true
		if [ "$got" = "$state" ]; then
			ok "$site sees peer $peer $state"
			return 0
		fi
		sleep 0.1
	done
	fail "$site does not see peer $peer $state within ${secs}s" \
	    "(state '$got'): $(rctl_site "$site" --json peers 2>&1)"
}

# The directory entry of USER on SITE as "site/extension" ("-" when
# logged out; "absent" when not listed).
net_dir_where()
{
	local out
	out=$(rctl_site "$1" --json directory 2>/dev/null) || {
		echo "no-answer"
		return 0
	}
	printf '%s\n' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d:
    if str(e["number"]) == sys.argv[1]:
        if e.get("site") is None:
            print("-")
        else:
            print("%s/%s" % (e["site"], e.get("extension")))
        break
else:
    print("absent")
' "$2"
}

# Where each of SITES... lists USER in its directory, as words
# SITE:WHERE (WHERE as net_dir_where): one roamctl per site, one python.
net_dir_all()
{
	local user=$1 s
	shift
	for s in "$@"; do
		rctl_site "$s" --json directory >"$T/dir-$s.json" 2>/dev/null ||
		    : >"$T/dir-$s.json"
	done
	python3 -S -c '
import json, sys
user, T = sys.argv[1], sys.argv[2]
out = []
for s in sys.argv[3:]:
    try:
        d = json.load(open("%s/dir-%s.json" % (T, s)))
    except ValueError:
        out.append("%s:no-answer" % s)
        continue
    w = "absent"
    for e in d:
        if str(e["number"]) == user:
            w = "-" if e.get("site") is None else "%s/%s" % (e["site"],
                e.get("extension"))
            break
    out.append("%s:%s" % (s, w))
print(" ".join(out))
' "$user" "$T" "$@"
}

# Wait (10 s) until every running site (or SITES...) lists USER at SITE
# (- = logged out), on extension EXT when given (non-empty).
wait_directory()
{
	local user=$1 where=$2 ext=${3:-} sites s i pending got w
	shift 2
	[ $# -gt 0 ] && shift
	if [ $# -gt 0 ]; then
		sites=("$@")
	else
		sites=()
		for s in "${NET_SITES[@]}"; do
			site_running "$s" && sites+=("$s")
		done
	fi
	for i in $(seq 100); do
		pending=
		for w in $(net_dir_all "$user" "${sites[@]}"); do
			got=${w#*:}
			if [ "$where" = - ]; then
				[ "$got" = - ] || pending="$pending $w"
			elif [ -n "$ext" ]; then
				[ "$got" = "$where/$ext" ] || pending="$pending $w"
			else
				case $got in
				"$where"/*) ;;
				*) pending="$pending $w" ;;
				esac
			fi
		done
		if [ -z "$pending" ]; then
			ok "directory on ${sites[*]}: $user at $where${ext:+/$ext}"
			return 0
		fi
		sleep 0.1
	done
	fail "directory: $user not at $where${ext:+/$ext} within 10 s" \
	    "(seen:$pending)"
}

# Wait (10 s) until the Python expression EXPR of `roamctl --json user N`
# on SITE (as d, see lib.sh's user_eval) prints EXPECTED.
wait_user()
{
	local site=$1 n=$2 expr=$3 want=$4 what=$5 i got
	for i in $(seq 50); do
		got=$(at_site "$site" user_eval "$n" "$expr" 2>/dev/null) || true
		[ "$got" = "$want" ] && { ok "$what ($site: user $n: $expr)"; return 0; }
		sleep 0.2
	done
	fail "$what: on $site, $expr of user $n is '$got', expected '$want'"
}

# --- phones and carriers ---------------------------------------------------

# Register EXT from phone_port EXT against SITE (realm = SITE's domain).
net_register()
{
	local site=$1 ext=$2
	shift 2
	at_site "$site" register "$ext" "$(phone_port "$ext")" "$@"
}

# net_register, failing the test on error.
net_register_ok()
{
	net_register "$@" ||
	    fail "registration of $2 at $1 from port $(phone_port "$2") failed"
	ok "registered $2 at $1 from 127.0.0.1:$(phone_port "$2")"
}

# Register every extension of every running site (in parallel).
register_all()
{
	local e s pids=() exts=() i rc
	for e in 201 202 203 301 302 309 401 402 409; do
		s=$(site_of_ext "$e")
		site_running "$s" || continue
		net_register "$s" "$e" &
		pids+=($!)
		exts+=("$e")
	done
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		[ "$rc" -eq 0 ] || fail "registration of ${exts[$i]} at" \
		    "$(site_of_ext "${exts[$i]}") failed (SIPp status $rc)"
	done
	ok "registered ${exts[*]}"
}

# Phone EXT answers with SCENARIO (as lib.sh's phone_uas; sets SIPP_PID).
net_phone_uas()
{
	local ext=$1
	at_site "$(site_of_ext "$ext")" phone_uas "$@"
}

# The phone of extension EXT answers one call (net_uas_answer.xml, in the
# background; sets SIPP_PID), checking the INVITE: Request-URI user EXT
# (its contact), From user FROM_USER, display name FROM_NAME ("-" = any),
# From host FROM_HOST (default: the domain of EXT's site).  Run it with
# EXT's site as context (at_site) if EXT is registered elsewhere.
net_ring()
{
	local ext=$1 fuser=$2 fname=$3 fhost=${4:-}
	[ -n "$fhost" ] || fhost=$(site_domain "$(site_of_ext "$ext")")
	phone_uas "$ext" net_uas_answer.xml -set ruri_user "$ext" \
	    -set from_user "$fuser" -set from_name "$fname" \
	    -set from_host "$fhost"
}

# Start a SIPp on PORT that must get no INVITE (net_uas_idle.xml, in the
# background; sets SIPP_PID); end it with net_idle_end.  NAME names the
# trace files.  Usage: net_idle NAME PORT (in a site context for -key
# domain).
net_idle()
{
	sipp_bg "idle-$1" net_uas_idle.xml "$2" -key ext "$1"
}

# End the net_idle SIPp PID; fail (WHAT) if it received an INVITE.
net_idle_end()
{
	local pid=$1 base
	eval "base=\$SIPP_BASE_$pid"
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "expected-idle" >"$base.rc"
	if grep -q '^INVITE ' "$base.msg" 2>/dev/null; then
		echo "0 (got an INVITE)" >"$base.rc"
		fail "$2: an INVITE arrived: $(grep -m1 '^INVITE ' "$base.msg")"
	fi
	ok "$2"
}

# SIPp SCENARIO on SITE's carrier port in the background (sets SIPP_PID).
carrier_bg()
{
	local site=$1 name=$2 scn=$3
	shift 3
	at_site "$site" sipp_bg "$name" "$scn" "$(site_carrier_port "$site")" \
	    "$@"
}

# SITE's carrier delivers a call to DDI (foreground); returns SIPp's
# status.
carrier_ddi()
{
	local site=$1 ddi=$2
	shift 2
	at_site "$site" sipp_run "ddi-$ddi" carrier_ddi_uac.xml \
	    "$(site_carrier_port "$site")" -s "$ddi" \
	    -key caller 447700900123 "$@" "127.0.0.1:$(site_sip_port "$site")"
}

# Phone EXT of SITE dials the feature CODE and hangs up once it is
# answered 200 with SDP, without waiting for the tone (lib.sh's feature_ok
# checks the tone and the daemon's BYE; this is for logins and logouts
# that only set a test up).
net_feature_quick()
{
	local site=$1 ext=$2 code=$3 what=$4 rc=0
	at_site "$site" sipp_uac "quick$ext-$(safe_name "$code")" \
	    net_uac_feature_quick.xml "$(phone_port "$ext")" \
	    -s "$(sip_dialled "$code")" -key ext "$ext" \
	    -key rtp_port "$RTP_PORT" -au "$ext" -ap "$(ext_password "$ext")" ||
	    rc=$?
	[ "$rc" -eq 0 ] || fail "$what: $ext at $site dialling $code: SIPp" \
	    "exit status $rc (expected 200 with SDP)"
	ok "$what ($ext at $site dialled $code: 200)"
}

# USER logs in at extension EXT of SITE with CODE (200 at the phone; with
# NET_FEATURE_FULL=1 also the tone and the daemon's BYE, as feature_ok),
# then every running site's directory shows USER at SITE/EXT.
net_login()
{
	local site=$1 ext=$2 user=$3 code=$4
	if [ -n "${NET_FEATURE_FULL:-}" ]; then
		at_site "$site" feature_ok "$ext" "*35*$user*$code#" \
		    "$user logs in at $site extension $ext"
	else
		net_feature_quick "$site" "$ext" "*35*$user*$code#" \
		    "$user logs in at $site extension $ext"
	fi
	wait_directory "$user" "$site" "$ext"
}

# Extension EXT of SITE dials *36 (as net_login): USER leaves SITE
# (directory).
net_logout()
{
	local site=$1 ext=$2 user=$3 i got
	if [ -n "${NET_FEATURE_FULL:-}" ]; then
		at_site "$site" feature_ok "$ext" '*36' \
		    "$user logs out at $site extension $ext"
	else
		net_feature_quick "$site" "$ext" '*36' \
		    "$user logs out at $site extension $ext"
	fi
	for i in $(seq 100); do
		got=$(net_dir_where "$site" "$user")
		case $got in
		"$site"/*) sleep 0.1 ;;
		*) ok "$user left $site ($got)"; return 0 ;;
		esac
	done
	fail "$user still at $site after *36 ($got)"
}

# --- logs ------------------------------------------------------------------

# SITE's log has a line matching the extended REGEX (waits 3 s).
site_log_has()
{
	local i
	for i in $(seq 30); do
		grep -Eq -- "$2" "$(site_log "$1")" 2>/dev/null &&
		    { ok "$1 log has /$2/"; return 0; }
		sleep 0.1
	done
	fail "$1 log has no line matching /$2/"
}

# The number of lines of SITE's log matching REGEX.
site_log_count()
{
	grep -Ec -- "$2" "$(site_log "$1")" 2>/dev/null || true
}

# Wait (SECONDS, default 5) until SITE's log has at least MIN lines
# matching REGEX (to see a second occurrence: MIN = site_log_count + 1).
wait_log_count()
{
	local site=$1 re=$2 min=$3 secs=${4:-5} i n
	for i in $(seq $((secs * 10))); do
		n=$(site_log_count "$site" "$re")
		[ "$n" -ge "$min" ] && { ok "$site log has $n x /$re/"; return 0; }
		sleep 0.1
	done
	fail "$site log has $n line(s) matching /$re/ after ${secs}s," \
	    "expected $min"
}

# SITE's log has no line matching REGEX.
site_log_lacks()
{
	if grep -Eq -- "$2" "$(site_log "$1")" 2>/dev/null; then
		fail "$1 log has a line matching /$2/:" \
		    "$(grep -E -- "$2" "$(site_log "$1")" | head -n 3)"
	fi
	ok "$1 log has no /$2/"
}

# --- cleanup -------------------------------------------------------------

# On exit: continue stopped sites (so SIGTERM works), print every site's
# log tail on failure, then lib.sh's cleanup (ends every process).
net_cleanup()
{
	local rc=$? pid s log
	set +e
	for pid in "${NET_STOPPED[@]}"; do
		kill -CONT "$pid" 2>/dev/null
	done
	if [ "$rc" -ne 0 ]; then
		for s in london paris berlin; do
			log=$(site_log "$s")
			[ -s "$log" ] || continue
			echo "=== tail of roamd $s log ($log)" >&2
			tail -n 40 "$log" >&2
		done
	fi
	(exit "$rc")
	e2e_cleanup
}
trap net_cleanup EXIT

# site_user_state SITE USER: [state, extension] of `roamctl --json user`
# on SITE when SITE holds USER (their home, or the host they sit at), or
# "absent" when SITE only knows USER from the network directory.
site_user_state()
{
	local out
	if ! out=$(rctl_site "$1" --json user "$2" 2>&1); then
		case $out in
		*"no such user"*) echo absent; return 0 ;;
		esac
		fail "roamctl --json user $2 on $1 failed: $out"
	fi
	printf '%s\n' "$out" | json_eval "[d[\"state\"], d[\"extension\"]] \
	    if \"$1\" in (d.get(\"home\"), d.get(\"site\")) else \"absent\""
}
