#!/bin/bash
# Roam cost growth (issue 7, measurement 6): see bench/README-growth.md.
#
#   bench/growth.sh --out DIR [--smoke]
#
# For 1,000, 10,000 and 100,000 users (--smoke: 500, small counts):
# start-up time, RSS with none and with every phone registered, CPU
# seconds per 1,000 registrations and per 1,000 calls at the same rates
# at every size, and reload time (no change, one user changed) with calls
# running through both reloads.  Writes DIR/growth.md and
# DIR/growth.jsonl; stops everything it started.  ROAMD and ROAMCTL name
# the binaries (else a Release build in bench/.build).
set -eu
set -o pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SMOKE=0
OUT=

usage()
{
	sed -n '2,14s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke)	SMOKE=1 ;;
	--out)		OUT=${2:?--out needs a directory}; shift ;;
	-h|--help)	usage 0 ;;
	*)		echo "growth.sh: unknown argument $1" >&2; usage 2 >&2 ;;
	esac
	shift
done

# The same rates at every size: the point is how cost grows with size.
# Every SIPp run is capped (timeout, -timeout, -recv_timeout 5 s) and
# every wait for roamd is bounded.
if [ "$SMOKE" = 1 ]; then
	# 500: login codes hash in ~10 s in the ASan build CI runs.
	SIZES=${GROWTH_SIZES:-"500"}
	FILL_RATE=500		# registering every phone first
	REG_RATE=200; REG_S=2	# measured re-registrations
	CALL_RATE=20; CALL_S=2; HOLD_MS=200
	RELOAD_CALL_RATE=10; RELOAD_WINDOW_S=3
	SETTLE_S=0		# no wait for the transactions to end
	WAIT_LIMIT=60
	OUT=${OUT:-$BENCH/out-smoke}
else
	SIZES=${GROWTH_SIZES:-"1000 10000 100000"}
	FILL_RATE=${GROWTH_FILL_RATE:-1500}
	REG_RATE=${GROWTH_REG_RATE:-500}; REG_S=5
	CALL_RATE=${GROWTH_CALL_RATE:-100}; CALL_S=5; HOLD_MS=1000
	RELOAD_CALL_RATE=${GROWTH_RELOAD_CALL_RATE:-50}; RELOAD_WINDOW_S=12
	# RSS once the registrations' transactions are gone (64 * T1 = 32 s
	# after their last response) as well as right after the last one.
	SETTLE_S=${GROWTH_SETTLE_S:-34}
	WAIT_LIMIT=400
	OUT=${OUT:-$BENCH/out}
fi
DOMAIN=bench.roam.test

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/growth"
rm -f "$OUT"/growth.jsonl "$OUT"/growth.md
mkdir -p "$OUT/growth"

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

# Ports 30000-32999 (run.sh has 25060-25482, the network bench
# 26000-29999): roamd, the registering SIPp, the callee, the caller.
pick_ports()
{
	local base p free
	for base in $(seq 30000 100 32900); do
		free=1
		for p in $base $((base + 20)) $((base + 21)) $((base + 22)); do
			udp_bound "$p" && { free=0; break; }
		done
		if [ "$free" = 1 ]; then
			ROAM_PORT=$base
			REG_PORT=$((base + 20))
			UAS_PORT=$((base + 21))
			UAC_PORT=$((base + 22))
			return 0
		fi
	done
	die "no free block of UDP ports from 30000 to 32999"
}

now()
{
	date +%s.%N
}

# Seconds from $1 to $2, two decimals.
since()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# VmRSS of pid $1 in KiB.
rss_kib()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# roamd's registration count ("registrations" of status --json).
reg_count()
{
	"$ROAMCTL" -s "$SOCK" -j status 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin).get("registrations", 0))' 2>/dev/null || echo 0
}

# SIPp options shared by every run; $1 = the run's directory.
sipp_common()
{
	SIPP_COMMON=(-i 127.0.0.1 -nostdin -key domain "$DOMAIN"
	    -trace_err -error_file "$1/err.log" -trace_stat -stf "$1/stat.csv"
	    -fd 1 -recv_timeout 5000 -max_socket 2048 -buff_size "$SIPP_BUF")
}

# REGISTER run in directory $1: $2 registrations at $3/s from file $4.
sipp_reg()
{
	local dir=$1 count=$2 rate=$3 inf=$4 cap
	cap=$((count / rate + 30))
	mkdir -p "$dir"
	sipp_common "$dir"
	(cd "$dir" && exec timeout "$((cap + 5))" sipp \
	    -sf "$BENCH/scenarios/reg.xml" "${SIPP_COMMON[@]}" \
	    -timeout "${cap}s" -inf "$inf" -p "$REG_PORT" -key expires 3600 \
	    -r "$rate" -m "$count" -l "$((rate * 2 + 100))" \
	    -trace_rtt -rtt_freq 20 "127.0.0.1:$ROAM_PORT") \
	    >"$dir/out" 2>&1 || true
}

# Calls CALLER -> CALLEE from directory $1: $2 calls at $3/s, in the
# background; sets UAC_PID.
sipp_calls_start()
{
	local dir=$1 count=$2 rate=$3 cap
	cap=$((count / rate + 30))
	mkdir -p "$dir"
	sipp_common "$dir"
	(cd "$dir" && exec timeout "$((cap + 5))" sipp \
	    -sf "$BENCH/scenarios/call_uac.xml" "${SIPP_COMMON[@]}" \
	    -timeout "${cap}s" -inf "$SDIR/caller.csv" -p "$UAC_PORT" \
	    -s "$CALLEE" -d "$HOLD_MS" -r "$rate" -m "$count" \
	    -l "$((rate * 4 + 100))" -trace_counts -trace_rtt -rtt_freq 20 \
	    "127.0.0.1:$ROAM_PORT") >"$dir/out" 2>&1 &
	UAC_PID=$!
	PIDS+=("$UAC_PID")
}

# Summarise a run of kind $1 at $2/s in directory $3 (callee's in $4, or
# "") with $5 CPU seconds and $6 s of wall time: DIR/row.json (stats.py).
run_stats()
{
	local kind=$1 rate=$2 dir=$3 uas=$4 cpu=$5 dur=$6
	python3 "$BENCH/stats.py" --kind "$kind" --target roam \
	    --offered "$rate" --uac-stat "$dir/stat.csv" \
	    --uas-stat "${uas:+$uas/stat.csv}" \
	    --counts "$(ls "$dir"/*_counts.csv 2>/dev/null | head -1)" \
	    --rtt "$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)" \
	    --duration "$dur" --cpu-s "$cpu" >"$dir/row.json"
}

# Field $2 of the JSON object in file $1.
jfield()
{
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)' "$1" "$2"
}

# Register phone $1 from local port $2 (the caller and the callee).
register_phone()
{
	local ext=$1 port=$2 dir=$SDIR/phone-$1
	mkdir -p "$dir"
	python3 "$BENCH/gen.py" csv "$dir/cred.csv" --exts 1 --first "$ext"
	sipp_common "$dir"
	(cd "$dir" && timeout 20 sipp -sf "$BENCH/scenarios/reg.xml" \
	    "${SIPP_COMMON[@]}" -inf "$dir/cred.csv" -p "$port" -m 1 \
	    -key expires 3600 "127.0.0.1:$ROAM_PORT") >"$dir/out" 2>&1 ||
	    die "registering phone $ext failed: $(head -c 600 \
	    "$dir/err.log" 2>/dev/null)"
}

# Measured re-registrations of the registered phones: CPU s / 1,000.
measure_reg()
{
	local dir=$SDIR/reg c0 c1 t0 t1
	c0=$(cpu_seconds "$PID")
	t0=$(now)
	sipp_reg "$dir" $((REG_RATE * REG_S)) "$REG_RATE" "$SDIR/reg.csv"
	t1=$(now)
	c1=$(cpu_seconds "$PID")
	run_stats reg "$REG_RATE" "$dir" "" "$(since "$c0" "$c1")" \
	    "$(since "$t0" "$t1")"
}

# Measured calls: CPU s / 1,000.
measure_calls()
{
	local dir=$SDIR/call c0 c1 t0 t1
	sipp_uas_start "$dir/uas" $((CALL_S + 40))
	c0=$(cpu_seconds "$PID")
	t0=$(now)
	sipp_calls_start "$dir" $((CALL_RATE * CALL_S)) "$CALL_RATE"
	wait "$UAC_PID" || true
	t1=$(now)
	sipp_uas_stop
	c1=$(cpu_seconds "$PID")
	run_stats call "$CALL_RATE" "$dir" "$dir/uas" "$(since "$c0" "$c1")" \
	    "$(since "$t0" "$t1")"
}

# Time one `roamctl reload` (to its answer); prints seconds.
timed_reload()
{
	local t0 t1
	t0=$(now)
	"$ROAMCTL" -s "$SOCK" reload >>"$SDIR/reload.out" 2>&1 ||
	    log "reload failed: $(tail -2 "$SDIR/reload.out")"
	t1=$(now)
	since "$t0" "$t1"
}

# Two reloads (no change, then one user renamed) with calls placed
# from 1 s before the first to RELOAD_WINDOW_S after the start; the calls
# must all complete.  RELOAD_COVERED: did both reloads end in the window?
measure_reload()
{
	local dir=$SDIR/reload t0
	sipp_uas_start "$dir/uas" $((RELOAD_WINDOW_S + 40))
	t0=$(now)
	sipp_calls_start "$dir" $((RELOAD_CALL_RATE * RELOAD_WINDOW_S)) \
	    "$RELOAD_CALL_RATE"
	sleep 1
	RELOAD_S=$(timed_reload)
	sleep 0.5
	# One user changed: user FIRST gets a new name.
	sed -i "s/name: \"Bench $FIRST\"/name: \"Bench $FIRST changed\"/" \
	    "$SDIR/roamd.yaml"
	RELOAD1_S=$(timed_reload)
	RELOAD_COVERED=$(awk -v a="$t0" -v b="$(now)" -v w="$RELOAD_WINDOW_S" \
	    'BEGIN { print (b - a < w) ? "true" : "false" }')
	wait "$UAC_PID" || true
	sipp_uas_stop
	run_stats call "$RELOAD_CALL_RATE" "$dir" "$dir/uas" 0 1
	grep -q "reload ok" "$SDIR/roamd.log" ||
	    log "no \"reload ok\" in $SDIR/roamd.log"
}

# Everything for N users and N registered phones.
measure_size()
{
	local n=$1 t0 rss0 rss1 rss2 regs
	SDIR=$OUT/growth/n$n
	SOCK=$SDIR/roamd.sock
	FIRST=10000
	CALLER=$((FIRST + n))	# outside the registered set
	CALLEE=$((CALLER + 1))
	mkdir -p "$SDIR"
	python3 "$BENCH/gen.py" roam-config "$SDIR/roamd.yaml" \
	    --port "$ROAM_PORT" --db "$SDIR/roamd.db" --sock "$SOCK" \
	    --exts $((n + 2))
	chmod 600 "$SDIR/roamd.yaml"
	python3 "$BENCH/gen.py" csv "$SDIR/reg.csv" --exts "$n"
	python3 "$BENCH/gen.py" csv "$SDIR/caller.csv" --exts 1 \
	    --first "$CALLER"

	log "size $n: starting roamd"
	t0=$(now)
	roamd_start "$SDIR/roamd.yaml" "$SDIR/roamd.log" "$SOCK" \
	    "$ROAM_PORT" "$WAIT_LIMIT"
	PID=$STARTED_PID
	UP_S=$STARTED_S
	roamd_wait_codes "$SDIR/roamd.log" "$WAIT_LIMIT"
	CODES_S=$(since "$t0" "$(now)")
	rss0=$(rss_kib "$PID")
	log "size $n: up in $UP_S s, codes hashed at $CODES_S s," \
	    "RSS $rss0 KiB; registering $n phones at $FILL_RATE/s"

	sipp_reg "$SDIR/fill" "$n" "$FILL_RATE" "$SDIR/reg.csv"
	regs=$(reg_count)
	rss1=$(rss_kib "$PID")
	rss2=
	if [ "$SETTLE_S" -gt 0 ]; then
		sleep "$SETTLE_S"
		rss2=$(rss_kib "$PID")
	fi
	log "size $n: $regs registered, RSS $rss1 KiB" \
	    "${rss2:+(settled: $rss2 KiB)}"
	register_phone "$CALLER" "$UAC_PORT"
	register_phone "$CALLEE" "$UAS_PORT"

	measure_reg
	measure_calls
	measure_reload
	log "size $n: reload $RELOAD_S s, with one change $RELOAD1_S s"

	python3 - "$SDIR" "$n" "$UP_S" "$CODES_S" "$rss0" "$rss1" "$regs" \
	    "$RELOAD_S" "$RELOAD1_S" "$RELOAD_COVERED" "${rss2:-}" \
	    "$SETTLE_S" <<'PY' | tee -a "$OUT/growth.jsonl" >&2
import json, sys
d, n, up, codes, rss0, rss1, regs, rl, rl1, cov, rss2, settle = sys.argv[1:]
n, rss0, rss1, regs = int(n), int(rss0), int(rss1), int(regs)
# The figure judged: settled when measured, else right after the fill.
rss = int(rss2) if rss2 else rss1
ld = lambda k: json.load(open("%s/%s/row.json" % (d, k)))
reg, call, rel = ld("reg"), ld("call"), ld("reload")
row = {
    "users": n, "registered": regs,
    "startup_s": float(up), "codes_hashed_s": float(codes),
    "rss_none_kib": rss0, "rss_all_kib": rss,
    "rss_after_fill_kib": rss1,
    "rss_settled_kib": int(rss2) if rss2 else None,
    "settle_s": int(settle),
    "rss_per_phone_kib": round((rss - rss0) / regs, 3) if regs else None,
    "rss_total_per_phone_kib": round(rss / regs, 3) if regs else None,
    "reg_rate": reg["offered"], "reg_ok": reg["ok"],
    "reg_failed": reg["failed"], "reg_p99_ms": reg["p99_ms"],
    "reg_cpu_s_per_1000": reg["cpu_s_per_1000"],
    "call_rate": call["offered"], "call_ok": call["ok"], "call_failed": call["failed"],
    "call_p99_ms": call["p99_ms"],
    "call_cpu_s_per_1000": call["cpu_s_per_1000"],
    "reload_s": float(rl), "reload_one_change_s": float(rl1),
    "reload_call_rate": rel["offered"], "reload_calls_ok": rel["ok"], "reload_calls_failed": rel["failed"],
    "reload_calls_p99_ms": rel["p99_ms"],
    "reload_calls_retrans": rel["retrans"],
    "reload_within_calls": cov == "true",
}
print(json.dumps(row))
PY
	stop_pids "$PID"
	wait "$PID" 2>/dev/null || true
}

command -v sipp >/dev/null || die "sipp is not installed (Debian sip-tester)"
pick_ports
build_roamd
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null ||
	    echo "?")"
	echo "machine: $(nproc) cores, Linux $(uname -r), load average" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "roamd: $BUILD_NOTE"
	echo "RSS with every phone registered: $SETTLE_S s after the last" \
	    "registration (0: at once)"
	echo "rates at every size: fill $FILL_RATE reg/s, measured" \
	    "$REG_RATE reg/s for $REG_S s, $CALL_RATE calls/s for $CALL_S s" \
	    "(hold $HOLD_MS ms), $RELOAD_CALL_RATE calls/s through the reloads"
} >"$OUT/growth/machine.txt"
for n in $SIZES; do
	measure_size "$n"
done
python3 "$BENCH/growth_report.py" "$OUT"
