#!/bin/bash
# Roam benchmark harness (issue 7): see bench/README.md.
#
#   bench/run.sh [--smoke] [--out DIR] [--no-kamailio] [--only reg|call]
#
# Builds a Release roamd (unless ROAMD and ROAMCTL name binaries), writes
# its own configs, runs SIPp on 127.0.0.1 against roamd and Kamailio at
# stepped offered rates and prints a Markdown table (OUT/results.md) and a
# chart (OUT/results.png).  Every process it starts is stopped on exit.
set -eu
set -o pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SMOKE=0
KAMAILIO=1
ONLY=
OUT=

usage()
{
	sed -n '2,11s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke)	SMOKE=1 ;;
	--out)		OUT=${2:?--out needs a directory}; shift ;;
	--no-kamailio)	KAMAILIO=0 ;;
	--only)		ONLY=${2:?--only needs reg or call}; shift ;;
	-h|--help)	usage 0 ;;
	*)		echo "run.sh: unknown argument $1" >&2; usage 2 >&2 ;;
	esac
	shift
done

# Sizes and steps.  Everything is bounded: a step lasts STEP_S seconds of
# offered load, SIPp is killed STEP_S + 30 s after it starts, a series
# stops at its third failing step or at a saturated one (p99 > 1 s,
# > 5 % failed or < 80 % of the offered rate achieved).
if [ "$SMOKE" = 1 ]; then
	KAMAILIO=0
	EXTS=200
	STEP_S=2
	HOLD_MS=200
	REG_RATES="100"
	CALL_RATES="20"
	OUT=${OUT:-$BENCH/out-smoke}
else
	EXTS=10000
	STEP_S=${BENCH_STEP_S:-5}
	HOLD_MS=1000
	REG_RATES=${BENCH_REG_RATES:-"1000 2000 3000 4000 6000 8000 12000 16000 24000 32000"}
	CALL_RATES=${BENCH_CALL_RATES:-"250 500 750 1000 1500 2000 3000 4000 6000 8000"}
	OUT=${OUT:-$BENCH/out}
fi
# SIPp's socket buffers: as large as the host allows (up to 4 MiB), so
# that SIPp descheduled for a moment on a busy machine loses nothing.
SIPP_BUF=$(( $(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 212992) ))
[ "$SIPP_BUF" -le 4194304 ] || SIPP_BUF=4194304
CALLER=$((10000 + EXTS))	# call phones: outside the registration set
CALLEE=$((CALLER + 1))
DOMAIN=bench.roam.test

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/steps" "$OUT/roam" "$OUT/kamailio"
rm -f "$OUT"/results.jsonl "$OUT"/results.md "$OUT"/results.png \
    "$OUT"/plot-*.dat "$OUT"/machine.txt
mkdir -p "$OUT/steps" "$OUT/roam" "$OUT/kamailio"

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"



# Ports: roamd, Kamailio, the registering SIPp, the callee, the caller.
pick_ports()
{
	local base p free
	for base in 25060 25160 25260 25360 25460; do
		free=1
		for p in $base $((base + 10)) $((base + 20)) $((base + 21)) \
		    $((base + 22)); do
			udp_bound "$p" && { free=0; break; }
		done
		if [ "$free" = 1 ]; then
			ROAM_PORT=$base
			KAM_PORT=$((base + 10))
			REG_PORT=$((base + 20))
			UAS_PORT=$((base + 21))
			UAC_PORT=$((base + 22))
			return 0
		fi
	done
	die "no free block of UDP ports from 25060 to 25482"
}


# Install Kamailio (Debian package) when missing; never leave it running
# as a service.
need_kamailio()
{
	[ "$KAMAILIO" = 1 ] || return 0
	if ! command -v kamailio >/dev/null; then
		if [ "$(id -u)" != 0 ]; then
			log "kamailio missing and not root: Roam only"
			KAMAILIO=0
			return 0
		fi
		log "installing kamailio (Debian package)"
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y kamailio ||
		    { apt-get update &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y kamailio; }
		} >"$OUT/apt-kamailio.log" 2>&1 ||
		    die "apt-get install kamailio failed: $OUT/apt-kamailio.log"
		# The package may start and enable a service: stop it.
		systemctl disable --now kamailio >/dev/null 2>&1 ||
		    service kamailio stop >/dev/null 2>&1 || true
	fi
}

need_gnuplot()
{
	command -v gnuplot >/dev/null && return 0
	[ "$SMOKE" = 1 ] && return 0
	[ "$(id -u)" = 0 ] || { log "gnuplot missing: no chart"; return 0; }
	log "installing gnuplot-nox (Debian package)"
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y gnuplot-nox ||
	    { apt-get update &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y gnuplot-nox; }
	} >"$OUT/apt-gnuplot.log" 2>&1 || log "gnuplot-nox install failed"
}

machine_info()
{
	local commit
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
	git -C "$ROOT" diff --quiet HEAD -- src include 2>/dev/null ||
	    commit="$commit (with uncommitted changes in src/include)"
	{
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "commit: $commit"
		echo "machine: $(nproc) cores, $(sed -n \
		    's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"\
		    "Linux $(uname -r), $(awk '/MemTotal/ {
		    printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
		echo "load average at start (1/5/15 min): $(cut -d' ' -f1-3 \
		    /proc/loadavg)"
		echo "roamd: $BUILD_NOTE"
		[ "$KAMAILIO" = 1 ] && echo "kamailio: $(kamailio -v 2>/dev/null |
		    sed -n 's/^version: //p' | head -1), children=2," \
		    "bench/kamailio.cfg"
		echo "sipp: $(sipp -v 2>/dev/null | sed -n 's/^ *SIPp //p' |
		    head -1) on the same cores, 127.0.0.1"
		echo "steps: $STEP_S s of offered load each; calls hold" \
		    "$HOLD_MS ms; $EXTS extensions registered round-robin"
	} >"$OUT/machine.txt"
}


start_roamd()
{
	local dir=$OUT/roam
	python3 "$BENCH/gen.py" roam-config "$dir/roamd.yaml" \
	    --port "$ROAM_PORT" --db "$dir/bench.db" --sock "$dir/bench.sock" \
	    --exts $((EXTS + 2))
	chmod 600 "$dir/roamd.yaml"
	roamd_start "$dir/roamd.yaml" "$dir/roamd.log" "$dir/bench.sock" \
	    "$ROAM_PORT"
	ROAMD_PID=$STARTED_PID
	ROAM_STARTUP=$STARTED_S
	log "roamd up in $ROAM_STARTUP s ($((EXTS + 2)) users)"
	roamd_wait_codes "$dir/roamd.log"
	echo "roamd start-up with $((EXTS + 2)) users and extensions" \
	    "(new database): $ROAM_STARTUP s" >>"$OUT/machine.txt"
}

start_kamailio()
{
	local dir=$OUT/kamailio i
	[ "$KAMAILIO" = 1 ] || return 0
	kamailio -DD -E -f "$BENCH/kamailio.cfg" -l "udp:127.0.0.1:$KAM_PORT" \
	    -P "$dir/kamailio.pid" -Y "$dir" -w "$dir" -m 256 -M 16 \
	    >"$dir/kamailio.log" 2>&1 &
	KAM_PID=$!
	PIDS+=("$KAM_PID")
	for i in $(seq 100); do
		kill -0 "$KAM_PID" 2>/dev/null ||
		    die "kamailio exited: $(tail -5 "$dir/kamailio.log")"
		udp_bound "$KAM_PORT" && { log "kamailio up"; return 0; }
		sleep 0.1
	done
	die "kamailio did not bind udp $KAM_PORT within 10 s"
}

target_port()
{
	case $1 in roam) echo "$ROAM_PORT" ;; kamailio) echo "$KAM_PORT" ;; esac
}

target_pid()
{
	case $1 in roam) echo "$ROAMD_PID" ;; kamailio) echo "$KAM_PID" ;; esac
}

# SIPp options shared by every run; $1 = the step's directory.
sipp_common()
{
	SIPP_COMMON=(-i 127.0.0.1 -nostdin -key domain "$DOMAIN"
	    -trace_err -error_file "$1/err.log" -trace_stat -stf "$1/stat.csv"
	    -fd 1 -recv_timeout 5000 -timeout "$((STEP_S + 25))s"
	    -max_socket 2048 -buff_size "$SIPP_BUF")
}

# Register one phone (ext $2) of target $1 from local port $3.
register_phone()
{
	local target=$1 ext=$2 port=$3 dir
	dir=$OUT/steps/phone-$target-$ext
	mkdir -p "$dir"
	python3 "$BENCH/gen.py" csv "$dir/cred.csv" --exts 1 --first "$ext"
	sipp_common "$dir"
	(cd "$dir" && timeout 20 sipp -sf "$BENCH/scenarios/reg.xml" \
	    "${SIPP_COMMON[@]}" -inf "$dir/cred.csv" -p "$port" -m 1 \
	    -key expires 3600 "127.0.0.1:$(target_port "$target")") \
	    >"$dir/out" 2>&1 ||
	    die "registering phone $ext at $target failed: $(head -c 600 \
	    "$dir/err.log" 2>/dev/null)"
}

# One step: kind $1 (reg|call) against target $2 at offered rate $3/s;
# appends a JSON line to results.jsonl and prints it.
run_step()
{
	local kind=$1 target=$2 rate=$3 dir count pid port uas_pid=
	local c0 c1 u0 u1 d0 d1 rc=0 t0 t1 uas_stat=
	dir=$OUT/steps/$kind-$target-$rate
	mkdir -p "$dir"
	count=$((rate * STEP_S))
	pid=$(target_pid "$target")
	port=$(target_port "$target")
	sipp_common "$dir"
	if [ "$kind" = call ]; then
		mkdir -p "$dir/uas"
		(cd "$dir/uas" && exec timeout "$((STEP_S + 35))" sipp \
		    -sf "$BENCH/scenarios/call_uas.xml" -i 127.0.0.1 -nostdin \
		    -p "$UAS_PORT" -key ext "$CALLEE" -trace_stat \
		    -stf "$dir/uas/stat.csv" -fd 1 -trace_err \
		    -error_file "$dir/uas/err.log" -max_socket 2048 \
		    -buff_size "$SIPP_BUF" \
		    -timeout "$((STEP_S + 30))s") >"$dir/uas/out" 2>&1 &
		uas_pid=$!
		PIDS+=("$uas_pid")
		for _ in $(seq 50); do
			udp_bound "$UAS_PORT" && break
			sleep 0.1
		done
		uas_stat=$dir/uas/stat.csv
	fi
	c0=$(cpu_seconds "$pid")
	read -r u0 e0 < <(udp_errors)
	d0=$(sock_drops "$port")
	t0=$(date +%s.%N)
	case $kind in
	reg)
		(cd "$dir" && exec timeout "$((STEP_S + 30))" sipp \
		    -sf "$BENCH/scenarios/reg.xml" "${SIPP_COMMON[@]}" \
		    -inf "$OUT/reg.csv" -p "$REG_PORT" -key expires 3600 \
		    -r "$rate" -m "$count" -l "$((rate * 2 + 100))" \
		    -trace_rtt -rtt_freq 20 "127.0.0.1:$port") \
		    >"$dir/out" 2>&1 || rc=$?
		;;
	call)
		(cd "$dir" && exec timeout "$((STEP_S + 30))" sipp \
		    -sf "$BENCH/scenarios/call_uac.xml" "${SIPP_COMMON[@]}" \
		    -inf "$OUT/steps/phone-$target-$CALLER/cred.csv" \
		    -p "$UAC_PORT" -s "$CALLEE" -d "$HOLD_MS" \
		    -r "$rate" -m "$count" -l "$((rate * 4 + 100))" \
		    -trace_rtt -rtt_freq 20 "127.0.0.1:$port") \
		    >"$dir/out" 2>&1 || rc=$?
		;;
	esac
	t1=$(date +%s.%N)
	if [ -n "$uas_pid" ]; then
		# The callee has answered everything it will: give it a moment
		# for the last BYEs, then end it (it writes its stats on exit).
		sleep 0.5
		kill -TERM "$uas_pid" 2>/dev/null || true
		wait "$uas_pid" 2>/dev/null || true
	fi
	c1=$(cpu_seconds "$pid")
	read -r u1 e1 < <(udp_errors)
	d1=$(sock_drops "$port")
	kill -0 "$pid" 2>/dev/null || die "$target died during $kind at $rate/s"
	python3 "$BENCH/stats.py" --kind "$kind" --target "$target" \
	    --offered "$rate" --uac-stat "$dir/stat.csv" \
	    --uas-stat "$uas_stat" \
	    --rtt "$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)" \
	    --duration "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	    --cpu-s "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
	    --sock-drops $((d1 - d0)) --rcvbuf $((u1 - u0)) \
	    --inerr $((e1 - e0)) | tee -a "$OUT/results.jsonl" >"$dir/row.json"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("bench: %-4s %-8s offered %6d/s achieved %8.1f/s failed %6.2f%% "
      "p50 %s p99 %s ms retrans %d drops %d cpu/1000 %s %s" % (
      r["kind"], r["target"], r["offered"], r["achieved"], r["fail_pct"],
      r["p50_ms"], r["p99_ms"], r["retrans"], r["sock_drops"],
      r["cpu_s_per_1000"], "PASS" if r["pass"] else "fail: " + r["why"]))
' "$dir/row.json" >&2
	# Let the server settle (transactions, retransmission timers).
	sleep 1
}

# Should the series of $1 at target $2 go on after its last step?
series_goes_on()
{
	python3 - "$OUT/results.jsonl" "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
rows = [r for r in rows if r["kind"] == sys.argv[2]
        and r["target"] == sys.argv[3]]
fails = [r for r in rows if not r["pass"]]
last = rows[-1] if rows else None
# Saturated: latency in seconds, many failures or well short of offered.
sat = lambda r: ((r["p99_ms"] or 0) > 1000 or r["fail_pct"] > 5
                 or r["achieved"] < 0.8 * r["offered"])
stop = len(fails) >= 3 or bool(last and sat(last))
sys.exit(1 if stop else 0)
PY
}

# Step the rates $2... of measurement $1 for every target, interleaved so
# that background load on the machine hits both alike.
series()
{
	local kind=$1 rate t
	shift
	local -A stopped=()
	for rate in "$@"; do
		for t in roam kamailio; do
			[ "$t" = kamailio ] && [ "$KAMAILIO" = 0 ] && continue
			[ -n "${stopped[$t]:-}" ] && continue
			run_step "$kind" "$t" "$rate"
			series_goes_on "$kind" "$t" || stopped[$t]=1
		done
	done
}

command -v sipp >/dev/null || die "sipp is not installed (Debian sip-tester)"
pick_ports
build_roamd
need_kamailio
need_gnuplot
machine_info
python3 "$BENCH/gen.py" csv "$OUT/reg.csv" --exts "$EXTS"
start_roamd
start_kamailio

if [ -z "$ONLY" ] || [ "$ONLY" = reg ]; then
	log "measurement 1: REGISTER with digest auth, $EXTS extensions"
	# shellcheck disable=SC2086
	series reg $REG_RATES
fi
if [ -z "$ONLY" ] || [ "$ONLY" = call ]; then
	log "measurement 2: calls $CALLER -> $CALLEE, caller authenticated"
	for t in roam kamailio; do
		[ "$t" = kamailio ] && [ "$KAMAILIO" = 0 ] && continue
		register_phone "$t" "$CALLER" "$UAC_PORT"
		register_phone "$t" "$CALLEE" "$UAS_PORT"
	done
	# shellcheck disable=SC2086
	series call $CALL_RATES
fi

smoke_arg=
[ "$SMOKE" = 1 ] && smoke_arg=--smoke
python3 "$BENCH/report.py" "$OUT" $smoke_arg
