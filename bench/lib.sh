# Shared by the benchmark scripts (bench/run.sh and the measurement
# scripts it runs): logging, cleanup of everything started, the roamd
# build, port and CPU probes.  Source it after setting BENCH, ROOT and OUT;
# add every started pid to PIDS so the EXIT trap stops it.

PIDS=()
ROAMD_PID=
KAM_PID=
# The scripts import each other (overload.py uses report.py and stats.py):
# leave no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
# SIPp's socket buffers: as large as the host allows (up to 4 MiB), so
# that SIPp descheduled for a moment on a busy machine loses nothing.
if [ -z "${SIPP_BUF:-}" ]; then
	SIPP_BUF=$(( $(cat /proc/sys/net/core/rmem_max 2>/dev/null ||
	    echo 212992) ))
	[ "$SIPP_BUF" -le 4194304 ] || SIPP_BUF=4194304
fi

log()
{
	echo "bench: $*" >&2
}

die()
{
	log "FAIL: $*"
	exit 1
}

# Stop every process we started (TERM, then KILL after 5 s).
cleanup()
{
	local rc=$?
	set +e
	stop_pids "${PIDS[@]}"
	[ "$rc" -eq 0 ] || log "exit $rc; files in $OUT"
	exit "$rc"
}

# Stop the pids given and their descendants: TERM to the pids, then KILL
# to whatever of the tree is still running 5 s later (Kamailio may spend
# a minute shutting down after an overload; its workers must not outlive
# it).  An exited child of ours waiting to be reaped counts as stopped.
stop_pids()
{
	local all pid i left
	all=$(pid_tree "$@")
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 50); do
		left=
		for pid in $all; do
			case $(ps -o stat= -p "$pid" 2>/dev/null) in
			''|Z*)	;;
			*)	left=1; break ;;
			esac
		done
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	for pid in $all; do
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Is UDP port $1 bound by anything?
udp_bound()
{
	ss -Hlun "sport = :$1" 2>/dev/null | grep -q .
}

build_roamd()
{
	local bdir=${BENCH_BUILD:-$BENCH/.build}
	if [ -n "${ROAMD:-}" ] && [ -n "${ROAMCTL:-}" ]; then
		[ -x "$ROAMD" ] && [ -x "$ROAMCTL" ] ||
		    die "ROAMD=$ROAMD or ROAMCTL=$ROAMCTL is not executable"
		BUILD_NOTE="given binary $ROAMD"
		return 0
	fi
	log "building a Release roamd in $bdir"
	cmake -S "$ROOT" -B "$bdir" -DCMAKE_BUILD_TYPE=Release \
	    >"$OUT/build.log" 2>&1 || die "cmake failed: see $OUT/build.log"
	cmake --build "$bdir" --target roamd roamctl -j "$(nproc)" \
	    >>"$OUT/build.log" 2>&1 || die "build failed: see $OUT/build.log"
	ROAMD=$bdir/roamd
	ROAMCTL=$bdir/roamctl
	BUILD_NOTE="Release build (cmake -DCMAKE_BUILD_TYPE=Release)"
}

# The pids given and all their descendants.  Kamailio's workers are
# children of its main process, which is a child of the process we started
# when its stdio is not a terminal: walk the whole tree, not one level.
pid_tree()
{
	local pid
	for pid in "$@"; do
		echo "$pid"
		pid_tree $(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	done
}

# CPU seconds (user + system) of the pids given and their descendants
# (only of those alive: sample before a process ends).
cpu_seconds()
{
	local pid hz
	hz=$(getconf CLK_TCK)
	for pid in $(pid_tree "$@"); do
		cat "/proc/$pid/stat" 2>/dev/null || true
	done | awk -v hz="$hz" '{
		# Fields after the ")" of comm: utime is 14, stime 15.
		sub(/^.*\) /, ""); t += $12 + $13 }
	    END { printf "%.3f\n", t / hz }'
}

# Receive-buffer drops of the UDP socket bound to 127.0.0.1:$1.
sock_drops()
{
	awk -v port="$(printf '%04X' "$1")" '
	    $2 == "0100007F:" port { d += $NF } END { print d + 0 }' \
	    /proc/net/udp
}

# Host-wide Udp: RcvbufErrors and InErrors.
udp_errors()
{
	awk '/^Udp:/ { n++; if (n == 2) print $6, $4 }' /proc/net/snmp
}


# Start roamd with config $1, log $2, control socket $3, SIP UDP port $4;
# wait (at most $5 s, default 300) until the port is bound and the control
# socket answers.  Sets STARTED_PID and STARTED_S (seconds to ready).
roamd_start()
{
	local yaml=$1 logf=$2 sock=$3 port=$4 limit=${5:-300} t0 t1 i
	t0=$(date +%s.%N)
	(umask 077 && exec "$ROAMD" -c "$yaml") >"$logf" 2>&1 &
	STARTED_PID=$!
	PIDS+=("$STARTED_PID")
	for i in $(seq $((limit * 20))); do
		kill -0 "$STARTED_PID" 2>/dev/null ||
		    die "roamd exited during start-up: $(tail -5 "$logf")"
		if udp_bound "$port" &&
		    "$ROAMCTL" -s "$sock" status >/dev/null 2>&1; then
			t1=$(date +%s.%N)
			STARTED_S=$(awk -v a="$t0" -v b="$t1" \
			    'BEGIN { printf "%.2f", b - a }')
			return 0
		fi
		sleep 0.05
	done
	die "roamd ($yaml) did not start within $limit s"
}

# Wait (at most $2 s) until roamd logging to $1 has stored every login
# code hashed: hashing runs from the event loop after start-up and would
# otherwise share the CPU with the first measurement.
roamd_wait_codes()
{
	local logf=$1 limit=${2:-300} i
	for i in $(seq $((limit * 10))); do
		grep -q "login codes stored hashed" "$logf" && return 0
		sleep 0.1
	done
	log "login codes still being hashed after $limit s ($logf)"
}

# The callee (SIPp, scenarios/call_uas.xml answering as extension
# $CALLEE on 127.0.0.1:$UAS_PORT) in directory $1 for at most $2 s; sets
# UAS_PID once its port is bound.
sipp_uas_start()
{
	local dir=$1 cap=$2
	mkdir -p "$dir"
	(cd "$dir" && exec timeout "$((cap + 5))" sipp \
	    -sf "$BENCH/scenarios/call_uas.xml" -i 127.0.0.1 -nostdin \
	    -p "$UAS_PORT" -key ext "$CALLEE" -trace_stat -stf "$dir/stat.csv" \
	    -fd 1 -trace_err -error_file "$dir/err.log" -max_socket 2048 \
	    -buff_size "$SIPP_BUF" -timeout "${cap}s") >"$dir/out" 2>&1 &
	UAS_PID=$!
	PIDS+=("$UAS_PID")
	for _ in $(seq 50); do
		udp_bound "$UAS_PORT" && return 0
		sleep 0.1
	done
}

# The callee UAS_PID has answered everything it will: let the last BYEs
# in, then end it (it writes its stats on exit).
sipp_uas_stop()
{
	sleep 0.5
	kill -TERM "$UAS_PID" 2>/dev/null || true
	wait "$UAS_PID" 2>/dev/null || true
}
