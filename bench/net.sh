#!/bin/bash
# Roam network benchmark (issue 7, measurements 3-6): see bench/README-net.md.
#
#   bench/net.sh --out DIR [--smoke] [--only xcall|login|conv|dir]
#
# Runs networks of roamd sites on 127.0.0.1 (full mesh of plain TCP peer
# links) and measures calls across sites, remote hot-desk login, directory
# convergence and a large network directory.  Writes DIR/net.md (a
# "## Network" section), DIR/net.jsonl (one JSON object per row),
# DIR/net.png (not with --smoke) and every site's config and log under
# DIR/net/.  ROAMD and ROAMCTL name the binaries (else a Release
# build).  Exits 0 when the measurements ran, targets met or not; every
# process it starts is stopped on exit.
set -eu
set -o pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SMOKE=0
OUT=
ONLY=

usage()
{
	sed -n '2,14s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke)	SMOKE=1 ;;
	--out)		OUT=${2:?--out needs a directory}; shift ;;
	--only)		ONLY=${2:?--only needs a measurement}; shift ;;
	-h|--help)	usage 0 ;;
	*)		echo "net.sh: unknown argument $1" >&2; usage 2 >&2 ;;
	esac
	shift
done

# Sizes.  Everything is bounded: a call step lasts STEP_S s of offered
# load (SIPp killed 30 s later), a network must be up within NET_UP_S,
# the login tool gives up on a login after 10 s.
if [ "$SMOKE" = 1 ]; then
	LOGINS=10		# measurement 4
	STEP_S=2		# measurement 3
	HOLD_MS=200
	XCALL_RATES="20"
	CONV_SITES="3"		# measurement 5
	CONV_LOGINS=10
	DIR_SITES=3		# measurement 6
	DIR_USERS=50
	OUT=${OUT:-$BENCH/out-smoke}
else
	LOGINS=${BENCH_NET_LOGINS:-500}
	STEP_S=${BENCH_STEP_S:-5}
	HOLD_MS=1000
	XCALL_RATES=${BENCH_XCALL_RATES:-"100 200 300 400 600 800 1000 1500 2000 3000"}
	CONV_SITES=${BENCH_CONV_SITES:-"3 10 20 50"}
	CONV_LOGINS=${BENCH_CONV_LOGINS:-200}
	DIR_SITES=${BENCH_DIR_SITES:-99}
	DIR_USERS=${BENCH_DIR_USERS:-1000}
	OUT=${OUT:-$BENCH/out}
fi
CONV_PACE_MS=50			# between logins: one spreads before the next
LOGIN_PACE_MS=20
NET_UP_S=120
SIPP_BUF=$(( $(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 212992) ))
[ "$SIPP_BUF" -le 4194304 ] || SIPP_BUF=4194304

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/net"
rm -f "$OUT"/net.jsonl "$OUT"/net.md "$OUT"/net-machine.txt \
    "$OUT"/net.png "$OUT"/net.gp "$OUT"/plot-net-*.dat
mkdir -p "$OUT/net"

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

tcp_bound()
{
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Ports: a block of 1000 from 26000 to 29999 (run.sh uses 25060-25482):
#	BASE+i		site i SIP (udp)	i = 1..99
#	BASE+100+i	site i peer link (tcp)
#	BASE+200+i	site i carrier (the trunk's address)
#	BASE+300	SIPp caller, BASE+301 the host's phone (SIPp callee)
pick_ports()
{
	local base i free
	for base in 26000 27000 28000 29000; do
		free=1
		for i in $(seq 0 301); do
			if udp_bound $((base + i)) || tcp_bound $((base + i))
			then
				free=0
				break
			fi
		done
		if [ "$free" = 1 ]; then
			NET_BASE=$base
			UAC_PORT=$((base + 300))
			UAS_PORT=$((base + 301))
			return 0
		fi
	done
	die "no free block of ports from 26000 to 29999"
}

sip_port()	{ echo $((NET_BASE + $1)); }
carrier_port()	{ echo $((NET_BASE + 200 + $1)); }
domain()	{ echo "s$1.net.bench.test"; }

# The control socket path must fit a sockaddr_un: short directory.
short_dir()
{
	local d=$OUT/net/$1
	mkdir -p "$d"
	if [ ${#d} -gt 80 ]; then
		d=$(mktemp -d /tmp/roam-net.XXXXXX)
		ln -sfn "$d" "$OUT/net/$1"
	fi
	echo "$d"
}

declare -A SITE_PID=()
NET_DIR=
NET_N=0

# Start a network named $1 of $2 sites with $3 users each (the first $4
# of site 1 with login codes) and $5 phones each, hold time $6; wait
# until every site has the directory of every other (if not within
# NET_UP_S: fail, or with $7 = soft return 1).  Sets NET_DIR, NET_T0
# (launch), NET_N.
net_up()
{
	local name=$1 n=$2 users=$3 codes=$4 phones=$5 hold=${6:-15s} i
	local soft=${7:-}
	local dir t_end cnt
	dir=$(short_dir "$name")
	python3 "$BENCH/netgen.py" "$dir" --sites "$n" --users "$users" \
	    --codes "$codes" --phones "$phones" --hold "$hold" \
	    --sip-base "$NET_BASE" --peer-base $((NET_BASE + 100)) \
	    --carrier-base $((NET_BASE + 200))
	NET_DIR=$dir
	NET_N=$n
	SITE_PID=()
	NET_T0=$(date +%s.%N)
	# Highest id first: the lower id dials, its peer is listening.
	for i in $(seq "$n" -1 1); do
		(umask 077 && exec "$ROAMD" -c "$dir/s$i.yaml") \
		    >"$dir/s$i.log" 2>&1 &
		SITE_PID[$i]=$!
		PIDS+=("$!")
	done
	t_end=$(( $(date +%s) + NET_UP_S ))
	while :; do
		cnt=0
		for i in $(seq "$n"); do
			kill -0 "${SITE_PID[$i]}" 2>/dev/null ||
			    die "site s$i exited: $(tail -3 "$dir/s$i.log")"
			[ "$(grep -c 'directory sync received' \
			    "$dir/s$i.log")" -ge $((n - 1)) ] &&
			    cnt=$((cnt + 1))
		done
		[ "$cnt" -eq "$n" ] && break
		if [ "$(date +%s)" -ge "$t_end" ]; then
			[ -n "$soft" ] || die "$name: $cnt of $n sites synced" \
			    "after $NET_UP_S s"
			log "$name: $cnt of $n sites synced after $NET_UP_S s"
			return 1
		fi
		sleep 0.2
	done
	# Login codes are hashed from the event loop after start-up.
	[ "$codes" -gt 0 ] && roamd_wait_codes "$dir/s1.log" 120
	log "$name: $n sites up and synced"
}

# Drop reaped pid $1 from PIDS: the EXIT trap must not signal a process
# that reused the number.
forget_pid()
{
	local i
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'
	done
	PIDS=("${PIDS[@]}")
}

net_down()
{
	local i pid
	for i in "${!SITE_PID[@]}"; do
		kill -TERM "${SITE_PID[$i]}" 2>/dev/null || true
	done
	for i in "${!SITE_PID[@]}"; do
		pid=${SITE_PID[$i]}
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		forget_pid "$pid"
	done
	SITE_PID=()
}

# Write a login plan: $2 logins of users s1 k (k from $3) at phones s2 k,
# with the DDI; to file $1.
login_plan()
{
	local file=$1 n=$2 first=$3 k
	: >"$file"
	for k in $(seq "$first" $((first + n - 1))); do
		printf '2%s %s %s %s %s 44%s\n' "$(printf '9%04d' "$k")" \
		    "$(printf '1%05d' "$k")" $((7000 + k)) "$(sip_port 1)" \
		    "$(carrier_port 1)" "$(printf '1%05d' "$k")"
	done >"$file"
}

# Run the logins of plan $1 at s2, results to $2; extra netua args.
run_logins()
{
	local plan=$1 res=$2
	shift 2
	python3 "$BENCH/netua.py" "$plan" --site-port "$(sip_port 2)" \
	    --domain "$(domain 2)" --out "$res" "$@" \
	    2>>"$NET_DIR/netua.log" ||
	    log "some logins failed: $(tail -3 "$NET_DIR/netua.log")"
}

# Measurement 4 on the 3-site network: $LOGINS logins with a DDI call.
measure_login()
{
	log "measurement 4: $LOGINS remote logins (s1 users at s2 phones)"
	login_plan "$NET_DIR/login.plan" "$LOGINS" 1
	run_logins "$NET_DIR/login.plan" "$NET_DIR/login.jsonl" --ddi \
	    --pace-ms "$LOGIN_PACE_MS"
	python3 "$BENCH/netstats.py" logins "$NET_DIR/login.jsonl" \
	    --sites "$NET_N" >>"$OUT/net.jsonl"
}

# Measurement 5 on the running network: paced logins, logs read after.
measure_conv()
{
	local first=$1
	log "measurement 5: convergence on $NET_N sites, $CONV_LOGINS logins"
	login_plan "$NET_DIR/conv.plan" "$CONV_LOGINS" "$first"
	run_logins "$NET_DIR/conv.plan" "$NET_DIR/conv.jsonl" \
	    --pace-ms "$CONV_PACE_MS"
	sleep 0.5
	python3 "$BENCH/netstats.py" conv "$NET_DIR" --sites "$NET_N" \
	    --logins "$NET_DIR/conv.jsonl" >>"$OUT/net.jsonl"
}

# One step of calls across sites at offered rate $1 (run.sh's method).
xcall_step()
{
	local rate=$1 dir count uas_pid rc=0 c0a c0b c1a c1b d0 d1 t0 t1
	dir=$NET_DIR/xcall-$rate
	mkdir -p "$dir/uas"
	count=$((rate * STEP_S))
	(cd "$dir/uas" && exec timeout "$((STEP_S + 35))" sipp \
	    -sf "$BENCH/scenarios/call_uas.xml" -i 127.0.0.1 -nostdin \
	    -p "$UAS_PORT" -key ext 290000 -trace_stat \
	    -stf "$dir/uas/stat.csv" -fd 1 -trace_err \
	    -error_file "$dir/uas/err.log" -max_socket 2048 \
	    -buff_size "$SIPP_BUF" -timeout "$((STEP_S + 30))s") \
	    >"$dir/uas/out" 2>&1 &
	uas_pid=$!
	PIDS+=("$uas_pid")
	for _ in $(seq 50); do
		udp_bound "$UAS_PORT" && break
		sleep 0.1
	done
	c0a=$(cpu_seconds "${SITE_PID[1]}")
	c0b=$(cpu_seconds "${SITE_PID[2]}")
	d0=$(( $(sock_drops "$(sip_port 1)") + $(sock_drops "$(sip_port 2)") ))
	read -r u0 e0 < <(udp_errors)
	t0=$(date +%s.%N)
	(cd "$dir" && exec timeout "$((STEP_S + 30))" sipp \
	    -sf "$BENCH/scenarios/call_uac.xml" -i 127.0.0.1 -nostdin \
	    -key domain "$(domain 1)" -trace_err -error_file "$dir/err.log" \
	    -trace_stat -stf "$dir/stat.csv" -fd 1 -recv_timeout 5000 \
	    -timeout "$((STEP_S + 25))s" -max_socket 2048 \
	    -buff_size "$SIPP_BUF" -inf "$NET_DIR/caller.csv" \
	    -p "$UAC_PORT" -s 100000 -d "$HOLD_MS" -r "$rate" -m "$count" \
	    -l "$((rate * 4 + 100))" -trace_rtt -rtt_freq 20 \
	    "127.0.0.1:$(sip_port 1)") >"$dir/out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	sleep 0.5
	kill -TERM "$uas_pid" 2>/dev/null || true
	wait "$uas_pid" 2>/dev/null || true
	forget_pid "$uas_pid"
	c1a=$(cpu_seconds "${SITE_PID[1]}")
	c1b=$(cpu_seconds "${SITE_PID[2]}")
	d1=$(( $(sock_drops "$(sip_port 1)") + $(sock_drops "$(sip_port 2)") ))
	read -r u1 e1 < <(udp_errors)
	kill -0 "${SITE_PID[1]}" 2>/dev/null &&
	    kill -0 "${SITE_PID[2]}" 2>/dev/null ||
	    die "a site died during calls at $rate/s"
	python3 "$BENCH/stats.py" --kind xcall --target roam \
	    --offered "$rate" --uac-stat "$dir/stat.csv" \
	    --uas-stat "$dir/uas/stat.csv" \
	    --rtt "$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)" \
	    --duration "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	    --cpu-s "$(awk -v a="$c0a" -v b="$c1a" -v c="$c0b" -v d="$c1b" \
	    'BEGIN { print b - a + d - c }')" \
	    --sock-drops $((d1 - d0)) --rcvbuf $((u1 - u0)) \
	    --inerr $((e1 - e0)) >"$dir/stats.json"
	python3 "$BENCH/netstats.py" xcall "$dir/stats.json" \
	    --cpu-home "$(awk -v a="$c0a" -v b="$c1a" 'BEGIN { print b - a }')" \
	    --cpu-host "$(awk -v a="$c0b" -v b="$c1b" 'BEGIN { print b - a }')" \
	    | tee -a "$OUT/net.jsonl" >"$dir/row.json"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("bench: xcall offered %5d/s achieved %7.1f/s failed %5.2f%% p50 %s "
      "p99 %s ms retrans %d drops %d %s" % (r["offered"], r["achieved"],
      r["fail_pct"], r["p50_ms"], r["p99_ms"], r["retrans"],
      r["sock_drops"], "PASS" if r["pass"] else "fail: " + r["why"]))
# Stop (exit 1) at saturation, as run.sh does.
sys.exit(1 if (r["p99_ms"] or 0) > 1000 or r["fail_pct"] > 5
         or r["achieved"] < 0.8 * r["offered"] else 0)' "$dir/row.json" >&2
}

# Measurement 3: the caller (phone and user 180000) registers at s1,
# user 100000 logs in at s2's phone 290000 (the SIPp callee's port),
# the offered rate steps up.
measure_xcall()
{
	local rate fails=0
	log "measurement 3: calls s1 phone -> user of s1 sitting at s2"
	python3 "$BENCH/gen.py" csv "$NET_DIR/caller.csv" --exts 1 \
	    --first 180000
	(cd "$NET_DIR" && timeout 20 sipp -sf "$BENCH/scenarios/reg.xml" \
	    -i 127.0.0.1 -nostdin -key domain "$(domain 1)" -key expires 3600 \
	    -inf "$NET_DIR/caller.csv" -p "$UAC_PORT" -m 1 \
	    "127.0.0.1:$(sip_port 1)") >"$NET_DIR/caller-reg.out" 2>&1 ||
	    die "the caller did not register at s1"
	login_plan "$NET_DIR/xcall.plan" 1 0
	python3 "$BENCH/netua.py" "$NET_DIR/xcall.plan" \
	    --site-port "$(sip_port 2)" --domain "$(domain 2)" \
	    --local-port "$UAS_PORT" 2>>"$NET_DIR/netua.log" ||
	    die "user 100000 could not log in at s2"
	for rate in $XCALL_RATES; do
		if ! xcall_step "$rate"; then
			break
		fi
		fails=$(python3 -c '
import json, sys
print(sum(1 for x in open(sys.argv[1]) if x.strip()
      and json.loads(x)["kind"] == "xcall" and not json.loads(x)["pass"]))
' "$OUT/net.jsonl")
		[ "$fails" -lt 3 ] || break
		sleep 1
	done
}

# Resident set (KiB) of every site, comma-separated.
net_rss()
{
	local i out=
	for i in $(seq "$NET_N"); do
		out=$out$(awk '/^VmRSS:/ { print $2 }' \
		    "/proc/${SITE_PID[$i]}/status"),
	done
	echo "$out"
}

# Measurement 6: DIR_SITES x DIR_USERS; a lone site of DIR_USERS first.
measure_dir()
{
	local alone
	log "measurement 6: directory of $DIR_SITES sites x $DIR_USERS users"
	net_up dir1 1 "$DIR_USERS" 0 0
	sleep 1
	alone=$(net_rss | tr -d ,)
	net_down
	net_up dir "$DIR_SITES" "$DIR_USERS" 0 0 60s soft || true
	sleep 1
	python3 "$BENCH/netstats.py" dirsync "$NET_DIR" --sites "$NET_N" \
	    --users "$DIR_USERS" --t0 "$NET_T0" --rss "$(net_rss)" \
	    --rss-alone "$alone" >>"$OUT/net.jsonl"
	net_down
}

command -v sipp >/dev/null || die "sipp is not installed (Debian sip-tester)"
pick_ports
build_roamd
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit" \
	    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "machine: $(nproc) cores, Linux $(uname -r); load average at" \
	    "start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "roamd: $BUILD_NOTE; every site and SIPp on the same cores"
	echo "peer links: plain TCP on 127.0.0.1 (no TLS), full mesh"
} >"$OUT/net-machine.txt"

# Is measurement $1 to run?
want()
{
	[ -z "$ONLY" ] || [ "$ONLY" = "$1" ]
}

if want login || want xcall || { want conv && [[ " $CONV_SITES " = *" 3 "* ]]
}; then
	n=$((LOGINS + CONV_LOGINS + 2))
	net_up net3 3 "$n" "$n" "$n"
	want login && measure_login
	want xcall && measure_xcall
	want conv && [[ " $CONV_SITES " = *" 3 "* ]] &&
	    measure_conv $((LOGINS + 1))
	net_down
fi
for n in $CONV_SITES; do
	want conv && [ "$n" != 3 ] || continue
	net_up "conv$n" "$n" $((CONV_LOGINS + 1)) $((CONV_LOGINS + 1)) \
	    $((CONV_LOGINS + 1))
	measure_conv 1
	net_down
done
want dir && measure_dir
smoke_arg=
[ "$SMOKE" = 1 ] && smoke_arg=--smoke
python3 "$BENCH/netstats.py" md "$OUT" $smoke_arg
cat "$OUT/net.md" >&2
