#!/bin/sh
# Build the libFuzzer targets with clang into OUTDIR (default ./build/fuzz).
#
#   tests/fuzz/build.sh [OUTDIR]
#
# Each target is compiled from the module sources it needs, not linked to
# roamcore (which the normal build makes with gcc, without the fuzzer's
# coverage instrumentation).  Exits 77 when clang or libFuzzer is missing
# (Debian 12: apt-get install clang libclang-rt-14-dev), so CTest can skip.
# Up-to-date targets are not rebuilt; concurrent runs wait on a lock.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/fuzz}
mkdir -p "$out"
out=$(cd "$out" && pwd)

find_clang() {
	for c in ${CLANG:-} clang clang-19 clang-18 clang-17 clang-16 \
	    clang-15 clang-14; do
		command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }
	done
	return 1
}

if ! cc=$(find_clang); then
	echo "fuzz: no clang found (apt-get install clang libclang-rt-14-dev)"
	exit 77
fi

# A one-line fuzzer proves -fsanitize=fuzzer links (libclang-rt-*-dev).
probe="$out/.probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' > "$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
    >"$probe.log" 2>&1; then
	echo "fuzz: $cc cannot link -fsanitize=fuzzer" \
	    "(install libclang-rt-14-dev or your clang's compiler-rt):"
	cat "$probe.log"
	exit 77
fi
rm -f "$probe" "$probe.c" "$probe.log"

pc() {
	pkg-config "$@" 2>/dev/null || true
}

CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -Wall -Wextra -Werror -Wno-unused-parameter -I$top/include"
LCRYPTO=$(pc --libs libcrypto); LCRYPTO=${LCRYPTO:--lcrypto}
LYAML=$(pc --libs yaml-0.1); LYAML=${LYAML:--lyaml}
LOSIP="-losipparser2"
LEVENT=$(pc --libs libevent libevent_openssl)
LEVENT=${LEVENT:--levent -levent_openssl}
LSSL=$(pc --libs openssl); LSSL=${LSSL:--lssl -lcrypto}

# The module sources and libraries of each target.
srcs() {
	case $1 in
	sip_msg) echo "sip_msg.c sip_pool.c sip_scan.c rand.c log.c xmalloc.c" ;;
	sdp) echo "sip_sdp.c" ;;
	config) echo "config.c config_users.c config_util.c config_walk.c" \
	    "config_yaml.c hmap.c log.c xmalloc.c" ;;
	dialplan) echo "dialplan.c" ;;
	auth) echo "auth.c hmac.c hmap.c rand.c sip_msg.c sip_pool.c sip_scan.c" \
	    "log.c xmalloc.c" ;;
	# Not log.c: the target's own log stubs abort on fatal().
	peer_frame) echo "peer.c peer_net.c peer_frame.c peer_tls.c json.c" \
	    "xmalloc.c" ;;
	esac
}
libs() {
	case $1 in
	sip_msg) echo "$LOSIP $LCRYPTO" ;;
	config) echo "$LYAML" ;;
	auth) echo "$LOSIP $LCRYPTO" ;;
	peer_frame) echo "$LEVENT $LSSL" ;;
	*) echo "" ;;
	esac
}

# Is $1 newer than every source and header it is built from?
fresh() {
	bin=$1; shift
	[ -x "$bin" ] || return 1
	[ -z "$(find "$@" "$top/include" "$top"/src/*.h -newer "$bin" \
	    2>/dev/null)" ]
}

build() {
	t=$1
	bin="$out/fuzz_$t"
	files="$top/tests/fuzz/fuzz_$t.c"
	for s in $(srcs "$t"); do
		files="$files $top/src/$s"
	done
	if fresh "$bin" $files "$top/tests/fuzz/build.sh"; then
		return 0
	fi
	echo "fuzz: building fuzz_$t"
	# shellcheck disable=SC2086
	"$cc" $CFLAGS $files $(libs "$t") -o "$bin.tmp"
	mv "$bin.tmp" "$bin"
}

# The peer_frame seeds are frames made by the peer_frame builders: the
# target built as a plain program (-DFUZZ_PEER_SEEDS) writes them into
# corpus/peer_frame/gen-* (committed; the same bytes each time) and runs
# each through the target once.  A read-only tree keeps the committed ones.
seeds() {
	bin="$out/peer_frame_seeds"
	files="$top/tests/fuzz/fuzz_peer_frame.c"
	for s in $(srcs peer_frame); do
		files="$files $top/src/$s"
	done
	dir="$top/tests/fuzz/corpus/peer_frame"
	if fresh "$bin" $files "$top/tests/fuzz/build.sh"; then
		return 0
	fi
	echo "fuzz: writing the peer_frame seeds"
	# shellcheck disable=SC2086
	"$cc" $(echo "$CFLAGS" | sed 's/fuzzer,//') -DFUZZ_PEER_SEEDS \
	    $files $(libs peer_frame) -o "$bin.tmp" || return 1
	mkdir -p "$dir" 2>/dev/null || true
	if [ -w "$dir" ]; then
		"$bin.tmp" "$dir" || return 1
	else
		echo "fuzz: $dir is read-only: keeping its seeds"
	fi
	mv "$bin.tmp" "$bin"
}

TARGETS="sip_msg sdp config dialplan auth peer_frame"
(
	# One build at a time when CTest starts several targets at once.
	if command -v flock >/dev/null 2>&1; then
		flock 9
	fi
	# The targets compile side by side; any failure fails the build.
	pids=""
	for t in $TARGETS; do
		build "$t" &
		pids="$pids $!"
	done
	rc=0
	for p in $pids; do
		wait "$p" || rc=1
	done
	[ "$rc" -ne 0 ] || seeds || rc=1
	exit "$rc"
) 9>"$out/.lock"
