#!/bin/sh
# Run one fuzz target for a short, fixed time on a copy of its corpus:
#
#   tests/fuzz/run.sh TARGET OUTDIR [SECONDS] [extra libFuzzer flags]
#
# Builds the targets first (tests/fuzz/build.sh, once).  Exits 77 when
# clang or libFuzzer is missing, non-zero on any crash, leak, undefined
# behaviour or timeout; the input that did it is left in
# OUTDIR/TARGET-artifacts/ (add it to tests/fuzz/corpus/TARGET/ once fixed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
t=$1
out=$2
secs=${3:-8}
[ $# -ge 3 ] && shift 3 || shift $#

rc=0
sh "$here/build.sh" "$out" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

work="$out/$t-work"
art="$out/$t-artifacts"
rm -rf "$work"
mkdir -p "$work" "$art"
cp "$here/corpus/$t"/* "$work/"
dict=""
[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"

# stdin from /dev/null: nothing a config names (secret_file) may block.
# libFuzzer's own failure code is 77, CTest's "skipped": make it 1.
# shellcheck disable=SC2086
"$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$art/" $dict "$@" "$work" </dev/null
