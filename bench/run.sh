#!/bin/bash
# Roam benchmark harness (issue 7): see bench/README.md.
#
#   bench/run.sh [--smoke] [--out DIR] [--no-kamailio]
#                [--only reg|call|overload|net|growth[,...]]
#
# Builds a Release roamd (unless ROAMD and ROAMCTL name binaries), writes
# its own configs, runs SIPp on 127.0.0.1 against roamd and Kamailio at
# stepped offered rates, then the overload run and bench/net.sh and
# bench/growth.sh, and prints a Markdown report (OUT/results.md) with
# charts (OUT/*.png).  Every process it starts is stopped on exit.
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
	sed -n '2,12s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke)	SMOKE=1 ;;
	--out)		OUT=${2:?--out needs a directory}; shift ;;
	--no-kamailio)	KAMAILIO=0 ;;
	--only)		ONLY=${2:?--only needs a measurement}; shift ;;
	-h|--help)	usage 0 ;;
	*)		echo "run.sh: unknown argument $1" >&2; usage 2 >&2 ;;
	esac
	shift
done
for m in ${ONLY//,/ }; do
	case $m in
	reg|call|overload|net|growth) ;;
	*)	echo "run.sh: --only reg|call|overload|net|growth[,...]" >&2
		exit 2 ;;
	esac
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
	OL_HIGH_S=3
	OL_LOW_S=2
	OUT=${OUT:-$BENCH/out-smoke}
else
	EXTS=10000
	STEP_S=${BENCH_STEP_S:-5}
	HOLD_MS=1000
	REG_RATES=${BENCH_REG_RATES:-"1000 2000 3000 4000 6000 8000 12000 16000 24000 32000"}
	CALL_RATES=${BENCH_CALL_RATES:-"250 500 750 1000 1500 2000 3000 4000 6000 8000"}
	# Overload (issue 7): twice the highest passing call rate for
	# OL_HIGH_S, then half of it for OL_LOW_S (recovery).
	OL_HIGH_S=${BENCH_OL_HIGH_S:-30}
	OL_LOW_S=${BENCH_OL_LOW_S:-10}
	OUT=${OUT:-$BENCH/out}
fi
CALLER=$((10000 + EXTS))	# call phones: outside the registration set
CALLEE=$((CALLER + 1))
DOMAIN=bench.roam.test

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/steps" "$OUT/roam" "$OUT/kamailio"
rm -rf "$OUT/overload"
rm -f "$OUT"/results.jsonl "$OUT"/results.md "$OUT"/*.png "$OUT"/plot-*.dat \
    "$OUT"/machine.txt "$OUT"/overload.jsonl "$OUT"/net.md "$OUT"/growth.md \
    "$OUT"/skipped.txt
mkdir -p "$OUT/steps" "$OUT/roam" "$OUT/kamailio" "$OUT/overload"

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"



# Ports: roamd, Kamailio, the registering SIPp, the callee, the caller,
# the caller's control socket (overload: its rate is changed on the fly).
pick_ports()
{
	local base p free
	for base in 25060 25160 25260 25360 25460; do
		free=1
		for p in $base $((base + 10)) $((base + 20)) $((base + 21)) \
		    $((base + 22)) $((base + 23)); do
			udp_bound "$p" && { free=0; break; }
		done
		if [ "$free" = 1 ]; then
			ROAM_PORT=$base
			KAM_PORT=$((base + 10))
			REG_PORT=$((base + 20))
			UAS_PORT=$((base + 21))
			UAC_PORT=$((base + 22))
			CTL_PORT=$((base + 23))
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
		echo "overload: 2R calls/s for $OL_HIGH_S s, then R/2 for" \
		    "$OL_LOW_S s (R: the highest passing call step)"
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

# SIPp options shared by every run; $1 = the step's directory, $2 = the
# seconds of offered load (default STEP_S).
sipp_common()
{
	SIPP_COMMON=(-i 127.0.0.1 -nostdin -key domain "$DOMAIN"
	    -trace_err -error_file "$1/err.log" -trace_stat -stf "$1/stat.csv"
	    -fd 1 -recv_timeout 5000 -timeout "$((${2:-$STEP_S} + 25))s"
	    -max_socket 2048 -buff_size "$SIPP_BUF")
}

# Register one phone (ext $2) of target $1 from local port $3; a server
# still shedding load from the step before may refuse it (503): retry.
register_phone()
{
	local target=$1 ext=$2 port=$3 dir try
	dir=$OUT/steps/phone-$target-$ext
	mkdir -p "$dir"
	python3 "$BENCH/gen.py" csv "$dir/cred.csv" --exts 1 --first "$ext"
	sipp_common "$dir"
	for try in 1 2 3; do
		rm -f "$dir"/*_counts.csv
		(cd "$dir" && timeout 20 sipp -sf "$BENCH/scenarios/reg.xml" \
		    "${SIPP_COMMON[@]}" -inf "$dir/cred.csv" -p "$port" -m 1 \
		    -trace_counts -key expires 3600 \
		    "127.0.0.1:$(target_port "$target")") >"$dir/out" 2>&1 ||
		    die "registering phone $ext at $target failed: $(head -c \
		    600 "$dir/err.log" 2>/dev/null)"
		python3 "$BENCH/stats.py" --refused "$dir"/*_counts.csv ||
		    return 0
		log "phone $ext refused by $target (503), try $try of 3"
		sleep 2
	done
	die "registering phone $ext at $target: refused (503) 3 times"
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
		sipp_uas_start "$dir/uas" "$((STEP_S + 30))"
		uas_pid=$UAS_PID
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
		    -trace_rtt -rtt_freq 20 -trace_counts \
		    "127.0.0.1:$port") >"$dir/out" 2>&1 || rc=$?
		;;
	call)
		(cd "$dir" && exec timeout "$((STEP_S + 30))" sipp \
		    -sf "$BENCH/scenarios/call_uac.xml" "${SIPP_COMMON[@]}" \
		    -inf "$OUT/steps/phone-$target-$CALLER/cred.csv" \
		    -p "$UAC_PORT" -s "$CALLEE" -d "$HOLD_MS" \
		    -r "$rate" -m "$count" -l "$((rate * 4 + 100))" \
		    -trace_rtt -rtt_freq 20 -trace_counts \
		    "127.0.0.1:$port") >"$dir/out" 2>&1 || rc=$?
		;;
	esac
	t1=$(date +%s.%N)
	[ -z "$uas_pid" ] || sipp_uas_stop
	c1=$(cpu_seconds "$pid")
	read -r u1 e1 < <(udp_errors)
	d1=$(sock_drops "$port")
	kill -0 "$pid" 2>/dev/null || die "$target died during $kind at $rate/s"
	python3 "$BENCH/stats.py" --kind "$kind" --target "$target" \
	    --offered "$rate" --uac-stat "$dir/stat.csv" \
	    --uas-stat "$uas_stat" \
	    --rtt "$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)" \
	    --counts "$(ls "$dir"/*_counts.csv 2>/dev/null | head -1)" \
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

# The rate R the overload run doubles, for target $1, and where it comes
# from: BENCH_OL_RATE, else the highest passing call step of this run,
# else the lowest call step.
overload_rate()
{
	python3 - "$OUT/results.jsonl" "$1" "${BENCH_OL_RATE:-}" \
	    "${CALL_RATES%% *}" <<'PY'
import json, os, sys
path, target, forced, lowest = sys.argv[1:5]
rows = []
if os.path.exists(path):
    rows = [json.loads(x) for x in open(path) if x.strip()]
ok = [r["offered"] for r in rows if r["kind"] == "call"
      and r["target"] == target and r["pass"]]
if forced:
    print(int(forced), "BENCH_OL_RATE")
elif ok:
    print(int(max(ok)), "highest passing call step")
else:
    print(int(lowest), "lowest call step: none passed or not run")
PY
}

# Tell the caller SIPp (control socket) to do $1: "cset rate N", "q".
sipp_ctl()
{
	echo -n "$1" >"/dev/udp/127.0.0.1/$CTL_PORT" 2>/dev/null || true
}

# Overload run against target $1: 2R calls/s for OL_HIGH_S, then R/2 for
# OL_LOW_S, one SIPp caller whose rate is changed through its control
# socket; a sampler records the server's socket drops and CPU each second.
run_overload()
{
	local target=$1 rate basis high low dir pid port uac smp
	local d0 d1 c0 c1 t0 tsw span
	read -r rate basis < <(overload_rate "$target")
	high=$((rate * 2))
	low=$((rate / 2 > 0 ? rate / 2 : 1))
	span=$((OL_HIGH_S + OL_LOW_S))
	dir=$OUT/overload/$target
	mkdir -p "$dir"
	pid=$(target_pid "$target")
	port=$(target_port "$target")
	log "overload $target: R = $rate/s ($basis): $high/s for" \
	    "$OL_HIGH_S s, then $low/s for $OL_LOW_S s"
	sipp_common "$dir" "$span"
	sipp_uas_start "$dir/uas" "$((span + 30))"
	(while :; do
		echo "$(date +%s.%N) $(sock_drops "$port") $(cpu_seconds "$pid")"
		sleep 1
	done) >"$dir/sampler.txt" &
	smp=$!
	PIDS+=("$smp")
	c0=$(cpu_seconds "$pid")
	d0=$(sock_drops "$port")
	t0=$(date +%s.%N)
	(cd "$dir" && exec timeout "$((span + 30))" sipp \
	    -sf "$BENCH/scenarios/call_uac.xml" "${SIPP_COMMON[@]}" \
	    -inf "$OUT/steps/phone-$target-$CALLER/cred.csv" \
	    -p "$UAC_PORT" -cp "$CTL_PORT" -s "$CALLEE" -d "$HOLD_MS" \
	    -r "$high" -m "$((high * OL_HIGH_S + low * OL_LOW_S))" \
	    -l "$((high * 7 + 100))" -trace_rtt -rtt_freq 1 -trace_counts \
	    "127.0.0.1:$port") >"$dir/out" 2>&1 &
	uac=$!
	PIDS+=("$uac")
	sleep "$OL_HIGH_S"
	tsw=$(date +%s.%N)
	sipp_ctl "cset rate $low"
	sleep "$OL_LOW_S"
	# No new calls; SIPp ends when the calls in progress have ended.
	sipp_ctl q
	wait "$uac" 2>/dev/null || true
	sipp_uas_stop
	c1=$(cpu_seconds "$pid")
	d1=$(sock_drops "$port")
	kill -TERM "$smp" 2>/dev/null || true
	wait "$smp" 2>/dev/null || true
	kill -0 "$pid" 2>/dev/null || die "$target died during the overload run"
	python3 "$BENCH/overload.py" run --target "$target" --dir "$dir" \
	    --rate "$rate" --basis "$basis" --high-s "$OL_HIGH_S" \
	    --low-s "$OL_LOW_S" --t0 "$t0" --switch "$tsw" \
	    --sock-drops $((d1 - d0)) \
	    --cpu-s "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" |
	    tee -a "$OUT/overload.jsonl" >"$dir/row.json"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("bench: overload %-8s offered %d refused %d (Retry-After %d) "
      "completed %s%% of accepted, failed %d, p99 setup %s ms, drops %d, "
      "recovered %s" % (r["target"], r["attempted"], r["refused"],
      r["refused_retry_after"], r["completed_pct"], r["failed"],
      r["p99_setup_ms"], r["sock_drops"], r["recovered_after_s"]))
' "$dir/row.json" >&2
	sleep 1
}

# The measurement scripts of the other parts of issue 7: bench/net.sh
# (calls across sites, remote login, convergence, network directory) and
# bench/growth.sh (cost growth).  Each writes OUT/NAME.md (a Markdown
# section) and NAME.jsonl; report.py appends the section.
run_part()
{
	local name=$1 script=$BENCH/$1.sh rc=0
	if [ ! -f "$script" ]; then
		log "$name: bench/$name.sh not there yet, skipped"
		echo "$name: bench/$name.sh not there yet (skipped)" \
		    >>"$OUT/skipped.txt"
		return 0
	fi
	log "$name: bench/$name.sh"
	ROAMD=$ROAMD ROAMCTL=$ROAMCTL bash "$script" --out "$OUT" \
	    ${smoke_arg:+"$smoke_arg"} >"$OUT/$name.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		log "$name: bench/$name.sh failed ($rc): see $OUT/$name.log"
		echo "$name: bench/$name.sh failed with status $rc, see" \
		    "$name.log" >>"$OUT/skipped.txt"
		PART_FAILED=1
	fi
}

# Note how long measurement $1 took since the last note (the full run's
# time bound is checked from these).
took()
{
	echo "$1 $((SECONDS - LAST_NOTE)) s" >>"$OUT/durations.txt"
	LAST_NOTE=$SECONDS
}

# Does measurement $1 run (no --only, or --only naming it)?
wanted()
{
	[ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]
}

command -v sipp >/dev/null || die "sipp is not installed (Debian sip-tester)"
smoke_arg=
[ "$SMOKE" = 1 ] && smoke_arg=--smoke
PART_FAILED=0
LAST_NOTE=$SECONDS
rm -f "$OUT/durations.txt"
pick_ports
build_roamd
export ROAMD ROAMCTL
if wanted reg || wanted call || wanted overload; then
	need_kamailio
	need_gnuplot
	machine_info
	python3 "$BENCH/gen.py" csv "$OUT/reg.csv" --exts "$EXTS"
	start_roamd
	start_kamailio
	took "build and start-up"
else
	KAMAILIO=0
	need_gnuplot
	machine_info
fi

if wanted reg; then
	log "measurement 1: REGISTER with digest auth, $EXTS extensions"
	# shellcheck disable=SC2086
	series reg $REG_RATES
	took reg
fi
if wanted call || wanted overload; then
	for t in roam kamailio; do
		[ "$t" = kamailio ] && [ "$KAMAILIO" = 0 ] && continue
		register_phone "$t" "$CALLER" "$UAC_PORT"
		register_phone "$t" "$CALLEE" "$UAS_PORT"
	done
fi
if wanted call; then
	log "measurement 2: calls $CALLER -> $CALLEE, caller authenticated"
	# shellcheck disable=SC2086
	series call $CALL_RATES
	took call
fi
if wanted overload; then
	log "overload: twice the sustainable call rate, then half of it"
	for t in roam kamailio; do
		[ "$t" = kamailio ] && [ "$KAMAILIO" = 0 ] && continue
		run_overload "$t"
	done
	python3 "$BENCH/overload.py" report "$OUT" >/dev/null
	took overload
fi
# The single-site servers are not needed any more: stop them so that the
# network and growth measurements have the machine to themselves.
stop_pids $ROAMD_PID $KAM_PID
for pid in $ROAMD_PID $KAM_PID; do
	wait "$pid" 2>/dev/null || true
done
if wanted net; then
	run_part net
	took net
fi
if wanted growth; then
	run_part growth
	took growth
fi
echo "total $SECONDS s" >>"$OUT/durations.txt"

# shellcheck disable=SC2086
python3 "$BENCH/report.py" "$OUT" $smoke_arg
exit "$PART_FAILED"
