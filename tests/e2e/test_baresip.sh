#!/bin/bash
# Real softphones: Debian's baresip (headless: a sine as microphone, no
# sound card, driven over its ctrl_tcp module) against two real sites.
# Phones 201 and 202 register at london and 301 at paris (roamctl regs
# lists them with baresip's User-Agent); 201 calls 202, which answers by
# itself, and hangs up; at paris the baresip of phone 301 dials the login
# code *35*201*4201# and Alice sits there on both sites' views; 202 calls
# Alice, the baresip at paris rings (its log shows the incoming call),
# answers on an "accept" command and 202 hangs up; *36 brings Alice home.
# When Debian's linphonec (linphone-cli) is installed it joins as phone 302
# at paris (stdin commands, wav files instead of a sound card, answering
# by itself): baresip 201 at london calls it across the network, and it
# calls baresip 202; each call is answered and hung up.
# The client settings are the ones docs/softphones.md describes.
# Without baresip or one of its modules the test says SKIP and passes.
BARESIP=${BARESIP:-baresip}
BARESIP_MODULES=${BARESIP_MODULES:-/usr/lib/baresip/modules}
if ! command -v "$BARESIP" >/dev/null 2>&1; then
	echo "SKIP: baresip is not installed (Debian package baresip)"
	exit 0
fi
for m in account ctrl_tcp menu g711 ausine aubridge; do
	if [ ! -e "$BARESIP_MODULES/$m.so" ]; then
		echo "SKIP: baresip module $m.so missing in $BARESIP_MODULES"
		exit 0
	fi
done
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

BS_DIR=$E2E_DIR/baresip
declare -A BS_PID=() BS_CTRL=()

# Softphone number I (0, 1, 2) uses six ports of the network's block
# after the SIPp phones' (lib_net.sh uses BASE+20..28 for those; this test
# has no SIPp phone): SIP (udp, tcp), TLS (baresip binds SIP+1 always),
# ctrl_tcp, one spare, an RTP/RTCP pair.
bs_port()
{
	echo $((BASE_PORT + 20 + 6 * $1 + $2))
}

# Start the baresip of extension EXT (softphone I) registering at SITE;
# ANSWER is its answermode (auto: answers by itself; manual: rings).
bs_start()
{
	local ext=$1 i=$2 site=$3 answer=$4 d=$T/baresip-$1
	mkdir -p "$d"
	sed -e "s/@SIP_PORT@/$(bs_port "$i" 0)/" \
	    -e "s/@CTRL_PORT@/$(bs_port "$i" 2)/" \
	    -e "s/@RTP_LO@/$(bs_port "$i" 4)/" \
	    -e "s/@RTP_HI@/$(bs_port "$i" 5)/" \
	    -e "s/@EXT@/$ext/g" \
	    -e "s|/usr/lib/baresip/modules|$BARESIP_MODULES|" \
	    "$BS_DIR/config.in" >"$d/config"
	# The account: user@domain of the site (the digest realm), its SIP
	# port as outbound proxy, the extension's password.
	printf '"Phone %s" <sip:%s@%s;transport=udp>;auth_pass=%s;outbound="sip:127.0.0.1:%s;transport=udp";regint=300;answermode=%s;mwi=no\n' \
	    "$ext" "$ext" "$(site_domain "$site")" "$(ext_password "$ext")" \
	    "$(site_sip_port "$site")" "$answer" >"$d/accounts"
	"$BARESIP" -f "$d" </dev/null >"$T/baresip-$ext.log" 2>&1 &
	BS_PID[$ext]=$!
	BS_CTRL[$ext]=$(bs_port "$i" 2)
	E2E_PIDS+=("${BS_PID[$ext]}")
}

# Send COMMAND [PARAMS] to the baresip of EXT over ctrl_tcp.
bs_cmd()
{
	local ext=$1 out
	shift
	out=$(timeout 10 python3 "$BS_DIR/ctl.py" "${BS_CTRL[$ext]}" "$@" \
	    2>&1) || fail "baresip $ext: command '$*' failed: $out"
}

# Wait (SECONDS, default 10) until the log of the baresip of EXT has at
# least MIN lines matching the extended regex RE.
bs_wait_log()
{
	local ext=$1 re=$2 min=$3 what=$4 secs=${5:-10} i n=0
	for i in $(seq $((secs * 10))); do
		n=$(tr '\r' '\n' <"$T/baresip-$ext.log" | grep -Ec -- "$re" ||
		    true)
		[ "$n" -ge "$min" ] && { ok "$what"; return 0; }
		sleep 0.1
	done
	echo "=== tail of baresip $ext log" >&2
	tr '\r' '\n' <"$T/baresip-$ext.log" | grep -v '^\[' | tail -20 >&2
	fail "$what: baresip $ext log has $n line(s) matching '$re'," \
	    "want $min within ${secs}s"
}

# Wait (10 s) until roamctl regs on SITE lists EXT with baresip's
# User-Agent.
bs_wait_reg()
{
	bs_wait_reg_agent "$1" "$2" baresip
}

# Wait (10 s) until roamctl regs on SITE lists EXT with a User-Agent that
# starts with AGENT.
bs_wait_reg_agent()
{
	local site=$1 ext=$2 agent=$3 i got=
	for i in $(seq 100); do
		got=$(rctl_site "$site" --json regs 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if str(r["extension"]) == sys.argv[1]:
        print(r.get("user_agent") or "-")
' "$ext" 2>/dev/null) || true
		case $got in
		"$agent"*)
			ok "roamctl regs on $site: $ext registered by '$got'"
			return 0 ;;
		esac
		sleep 0.1
	done
	fail "roamctl regs on $site does not list $ext from $agent within" \
	    "10 s (user agent '$got'): $(rctl_site "$site" --json regs 2>&1)"
}

# Wait (5 s) until SITE lists N calls.
wait_site_calls()
{
	local site=$1 want=$2 i n
	for i in $(seq 50); do
		n=$(at_site "$site" calls_count)
		[ "$n" -eq "$want" ] && { ok "$site lists $want call(s)"; return 0; }
		sleep 0.1
	done
	fail "$site lists $n call(s), want $want:" \
	    "$(rctl_site "$site" --json calls 2>&1)"
}

# Quit every baresip (it unregisters) and wait for it (5 s each).
bs_stop_all()
{
	local ext pid i
	for ext in "${!BS_PID[@]}"; do
		timeout 5 python3 "$BS_DIR/ctl.py" "${BS_CTRL[$ext]}" quit \
		    >/dev/null 2>&1 || true
	done
	for ext in "${!BS_PID[@]}"; do
		pid=${BS_PID[$ext]}
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null &&
		    fail "baresip $ext did not quit within 5 s"
		wait "$pid" 2>/dev/null || true
		ok "baresip $ext quit"
	done
}

# linphonec (when installed) as phone EXT at SITE, answering by itself,
# commands through a FIFO on fd 7; ports BASE+15 (SIP), +16/17 (audio RTP),
# +18/19 (video, unused), which no site of lib_net.sh takes.
lp_start()
{
	local ext=$1 site=$2 d=$T/linphonec p=$((BASE_PORT + 15))
	# Without its database directory liblinphone never reaches
	# GlobalOn and answers every incoming INVITE 503.
	mkdir -p "$d/.local/share/linphone"
	cat >"$d/linphonerc" <<EOF
[sip]
sip_port=$p
register_only_when_network_is_up=0
default_proxy=0
[rtp]
audio_rtp_port=$((p + 1))-$((p + 2))
video_rtp_port=$((p + 3))-$((p + 4))
[video]
capture=0
display=0
automatically_initiate=0
automatically_accept=0
[proxy_0]
reg_proxy=<sip:127.0.0.1:$(site_sip_port "$site");transport=udp>
reg_route=<sip:127.0.0.1:$(site_sip_port "$site");transport=udp;lr>
reg_identity="Phone $ext" <sip:$ext@$(site_domain "$site")>
reg_expires=300
reg_sendregister=1
[auth_info_0]
username=$ext
passwd=$(ext_password "$ext")
realm=$(site_domain "$site")
domain=$(site_domain "$site")
EOF
	mkfifo "$d/in"
	exec 7<>"$d/in"
	HOME=$d "$LINPHONEC" -c "$d/linphonerc" -a -d "${LINPHONEC_DEBUG:-0}" \
	    <"$d/in" \
	    >"$T/linphonec-$ext.log" 2>&1 &
	LP_PID=$!
	E2E_PIDS+=("$LP_PID")
	lp_cmd "soundcard use files"
}

# Type a command into linphonec.
lp_cmd()
{
	printf '%s\n' "$1" >&7
}

# Wait (10 s) until the linphonec log has at least MIN lines matching RE.
lp_wait_log()
{
	local re=$1 min=$2 what=$3 i n=0
	for i in $(seq 100); do
		n=$(grep -Ec -- "$re" "$T/linphonec-$LP_EXT.log" || true)
		[ "$n" -ge "$min" ] && { ok "$what"; return 0; }
		sleep 0.1
	done
	grep -v '^20[0-9][0-9]-' "$T/linphonec-$LP_EXT.log" | tail -20 >&2
	fail "$what: linphonec log has $n line(s) matching '$re', want $min"
}

net_setup london paris
start_network
wait_peers_up

# --- register ---------------------------------------------------------------
bs_start 201 0 london auto
bs_start 202 1 london auto
bs_start 301 2 paris manual
sleep 0.3
for ext in 201 202 301; do
	kill -0 "${BS_PID[$ext]}" 2>/dev/null || {
		tail -20 "$T/baresip-$ext.log" >&2
		fail "baresip $ext exited at start-up (its log above)"
	}
done
bs_wait_reg london 201
bs_wait_reg london 202
bs_wait_reg paris 301
bs_wait_log 201 '201@london\.roam\.test: .* 200 OK' 1 \
    "baresip 201 reports its registration accepted"

# --- a call between two softphones ------------------------------------------
bs_cmd 201 dial 202
bs_wait_log 202 'Call established: sip:201@' 1 \
    "baresip 202 answered the call from 201 by itself"
bs_wait_log 201 'Call established: sip:202@' 1 \
    "baresip 201 sees the call to 202 established"
wait_site_calls london 1
site_log_has london 'call answered call=[^ ]+ from=201 ext=201 to=202'
sleep 1
bs_cmd 201 hangup
bs_wait_log 202 'sip:202@london\.roam\.test: Call with sip:201@.* terminated' 1 \
    "baresip 202 sees 201 hang up"
at_site london assert_no_calls
site_log_has london 'call ended call=[^ ]+ from=201 ext=201 to=202 cause=200'

# --- hot desk login by short code from baresip at paris ----------------------
bs_cmd 301 dial "$(sip_dialled '*35*201*4201#')"
wait_directory 201 paris 301
at_site paris assert_user 201 'd["site"]' paris "paris: Alice sits at paris"
at_site paris assert_user 201 'd["extension"]' 301 "paris: on phone 301"
at_site london assert_user 201 'd["site"]' paris "london (home): Alice at paris"
at_site london assert_user 201 'd["extension"]' 301 "london: on phone 301"
bs_wait_log 301 'terminated \(duration' 1 "the login call at baresip 301 ended"

# --- a call to Alice rings the softphone at paris ----------------------------
bs_cmd 202 dial 201
bs_wait_log 301 'Incoming call from: Bob Jones sip:202@' 1 "baresip 301 at paris rings for Alice"
bs_cmd 301 accept
bs_wait_log 301 'Call established' 2 "baresip 301 answered Alice's call"
bs_wait_log 202 'Call established: sip:201@' 1 \
    "baresip 202 sees Alice answer at paris"
wait_site_calls paris 1
sleep 1
bs_cmd 202 hangup
bs_wait_log 301 'terminated \(duration' 2 "baresip 301 sees the caller hang up"
at_site london assert_no_calls
at_site paris assert_no_calls

# --- Alice logs out at the softphone: home again -----------------------------
bs_cmd 301 dial '*36'
wait_directory 201 london 201
at_site london assert_user 201 'd["extension"]' 201 \
    "Alice is back at her base phone 201"
bs_wait_log 301 'terminated \(duration' 3 "the logout call at baresip 301 ended"

# --- linphonec, when installed -----------------------------------------------
LINPHONEC=${LINPHONEC:-linphonec}
LP_EXT=302
if ! command -v "$LINPHONEC" >/dev/null 2>&1; then
	echo "note: linphonec is not installed (Debian package linphone-cli):" \
	    "its part is left out"
else
	lp_start "$LP_EXT" paris
	bs_wait_reg_agent paris "$LP_EXT" Linphonec
	bs_cmd 201 dial "$LP_EXT"
	lp_wait_log 'Call [0-9]+ with .*201@.* connected' 1 \
	    "linphonec 302 at paris answered baresip 201 from london"
	bs_wait_log 201 'Call established: sip:302@' 1 \
	    "baresip 201 sees linphonec answer"
	sleep 1
	bs_cmd 201 hangup
	lp_wait_log 'Call [0-9]+ .*ended' 1 "linphonec sees 201 hang up"
	lp_cmd "call sip:202@$(site_domain paris)"
	bs_wait_log 202 'Call established: sip:302@' 1 \
	    "baresip 202 answered linphonec's call"
	lp_wait_log 'Call [0-9]+ with .*202@.* connected' 1 \
	    "linphonec sees 202 answer"
	sleep 1
	lp_cmd terminate
	bs_wait_log 202 'Call with sip:302@.* terminated' 1 \
	    "baresip 202 sees linphonec hang up"
	at_site london assert_no_calls
	at_site paris assert_no_calls
	lp_cmd quit
	for i in $(seq 50); do
		kill -0 "$LP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$LP_PID" 2>/dev/null && fail "linphonec did not quit within 5 s"
	wait "$LP_PID" 2>/dev/null || true
	exec 7>&-
	ok "linphonec quit"
fi

bs_stop_all
for s in london paris; do
	site_alive "$s" || fail "roamd $s died"
	stop_site "$s"
done
