#!/bin/bash
# roamd -n checks a config: exit 0 on a good one; exit 1 on configs with an
# unknown key, a duplicate user number, a reference to a missing trunk and
# a bad address, printing FILE:LINE:COL: lines that point at each problem
# (all of them at once when a file has several).
. "$(dirname "$0")/lib.sh"

GOOD=$T/good.yaml
write_site_config "$GOOD"
rc=0
out=$("$ROAMD" -n -c "$GOOD" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "roamd -n on the good config exits $rc: $out"
ok "roamd -n accepts the good config"

# Make $1 from the good config with python edits: $2 is a list of
# (after_regex, new_line) insertions and (regex, replacement) substitutions
# written as python code over the list of lines L.
mkbad()
{
	python3 - "$GOOD" "$1" "$2" <<'PY'
import re, sys
good, bad, code = sys.argv[1:4]
L = open(good).read().split("\n")
def after(pat, line):
    for i, l in enumerate(L):
        if re.search(pat, l):
            L.insert(i + 1, line)
            return
    raise SystemExit("no line matches " + pat)
def sub(pat, rep):
    for i, l in enumerate(L):
        if re.search(pat, l):
            L[i] = re.sub(pat, rep, l)
            return
    raise SystemExit("no line matches " + pat)
exec(code)
open(bad, "w").write("\n".join(L))
PY
}

# The line number of the first line of $1 containing $2.
line_of()
{
	grep -n -F -- "$2" "$1" | head -1 | cut -d: -f1
}

# check_bad FILE LINE REGEX WHAT: roamd -n exits 1 and prints
# FILE:LINE:COL: with a message matching REGEX (case-insensitive).
check_bad()
{
	local file=$1 line=$2 re=$3 what=$4 out rc=0 base
	base=$(basename "$file")
	out=$("$ROAMD" -n -c "$file" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || fail "$what: roamd -n exits $rc (expected 1): $out"
	echo "$out" | grep -Eiq -- "^[^ ]*$base:$line:[0-9]+: .*($re)" ||
	    fail "$what: no '$base:$line:COL: ...$re...' line in: $out"
	ok "$what: exit 1 and $base:$line:COL: names it"
}

B1=$T/bad-unknown-key.yaml
mkbad "$B1" 'after(r"^  id: 1$", "  colour: blue")'
check_bad "$B1" "$(line_of "$B1" "colour: blue")" "colour" "unknown key"

B2=$T/bad-dup-user.yaml
mkbad "$B2" 'after(r"Carol White", "  - { number: \"202\", name: \"Bob Again\", login_code: \"4299\" }")'
check_bad "$B2" "$(line_of "$B2" "Bob Again")" "duplicate.*202|202.*duplicate|202.*(again|already|twice)" \
    "duplicate user number"

B3=$T/bad-trunk-ref.yaml
mkbad "$B3" 'after(r"feature: dial, number: \"N\", trunk: pstn", "  - { code: \"8N\", feature: dial, number: \"N\", trunk: nosuchtrunk }")'
check_bad "$B3" "$(line_of "$B3" "nosuchtrunk")" "nosuchtrunk" "missing trunk reference"

B4=$T/bad-address.yaml
mkbad "$B4" 'sub(r"udp:127\.0\.0\.1:'"$CARRIER_PORT"'", "udp:127.0.0.1:notaport")'
check_bad "$B4" "$(line_of "$B4" "notaport")" "address|notaport|port" "bad trunk address"

B5=$T/bad-address-ip.yaml
mkbad "$B5" 'sub(r"\"tcp:127\.0\.0\.1:", "\"tcp:127.0.0.999:")'
check_bad "$B5" "$(line_of "$B5" "127.0.0.999")" "address|127\.0\.0\.999" "bad listen address"

# All four problems in one file: every one is reported.
B6=$T/bad-all.yaml
mkbad "$B6" '
after(r"^  id: 1$", "  colour: blue")
after(r"Carol White", "  - { number: \"202\", name: \"Bob Again\", login_code: \"4299\" }")
after(r"feature: dial, number: \"N\", trunk: pstn", "  - { code: \"8N\", feature: dial, number: \"N\", trunk: nosuchtrunk }")
sub(r"udp:127\.0\.0\.1:'"$CARRIER_PORT"'", "udp:127.0.0.1:notaport")
'
check_bad "$B6" "$(line_of "$B6" "colour: blue")" "colour" "all at once: unknown key"
check_bad "$B6" "$(line_of "$B6" "Bob Again")" "202" "all at once: duplicate user"
check_bad "$B6" "$(line_of "$B6" "nosuchtrunk")" "nosuchtrunk" "all at once: missing trunk"
check_bad "$B6" "$(line_of "$B6" "notaport")" "address|notaport|port" "all at once: bad address"

# A file that does not exist is an error too, not a crash.
rc=0
out=$("$ROAMD" -n -c "$T/does-not-exist.yaml" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "roamd -n on a missing file exits $rc: $out"
ok "roamd -n on a missing file exits 1"

# The checked-good config still runs for real.
cp "$GOOD" "$CFG"
start_roamd
stop_roamd
