#!/bin/bash
# Crash safety (issue 5): 200 extensions register as fast as they can
# (a python3 digest client, 8 phones at a time, each REGISTER replacing
# the extension's previous contact) while roamd is killed with SIGKILL at
# a random moment, three times over.  After each restart: the database
# opens cleanly (roamd starts; PRAGMA integrity_check when the sqlite3
# CLI is installed), every registration whose 200 a phone received is
# listed by `roamctl --json regs` (that contact or a later one of the same
# extension), and service resumes: a call goes out on the trunk.
. "$(dirname "$0")/lib.sh"

NEXT=200
CFG_EXTRA_EXTENSIONS=$(for i in $(seq 0 $((NEXT - 1))); do
	n=$((500 + i))
	echo "  - { number: \"$n\", password: \"$(ext_password "$n")\" }"
done)
write_site_config
start_roamd

ACKS=$T/acks.txt
: >"$ACKS"

# The storm: every phone loops over its extensions; per extension one
# Call-ID with a rising CSeq; round N (counted on from $1, rising across
# restarts) registers <sip:EXT-rN@...> and removes round N-1's contact.  Each 200 received is appended to $ACKS as
# "EXT N" at once.  A phone stops when roamd stops answering (2 s).
storm_bg()
{
	python3 - "$SIP_PORT" "$DOMAIN" "$ACKS" "$NEXT" "$1" <<'PY' &
import hashlib, os, re, socket, sys, threading
port, domain, acks, next_, start = (int(sys.argv[1]), sys.argv[2],
    sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
lock = threading.Lock()
out = open(acks, "a")

def md5(s):
    return hashlib.md5(s.encode()).hexdigest()

def request(sock, ext, cseq, rnd, auth):
    lport = sock.getsockname()[1]
    contact = "<sip:%s-r%d@127.0.0.1:%d>" % (ext, rnd, lport)
    if rnd > start + 1:
        contact += ", <sip:%s-r%d@127.0.0.1:%d>;expires=0" % (ext, rnd - 1,
            lport)
    msg = ("REGISTER sip:%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%s-%d;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=t%s\r\n"
        "To: <sip:%s@%s>\r\nCall-ID: storm-%s@e2e\r\nCSeq: %d REGISTER\r\n"
        "Contact: %s\r\nExpires: 3600\r\n%sContent-Length: 0\r\n\r\n" %
        (domain, lport, ext, cseq, ext, domain, ext, ext, domain, ext, cseq,
        contact, auth))
    sock.sendto(msg.encode(), ("127.0.0.1", port))
    while True:
        data = sock.recv(65535).decode("utf-8", "replace")
        if ("CSeq: %d REGISTER" % cseq) in data:
            return int(data.split()[1]), data

def authz(ext, text, cseq):
    realm = re.search(r'realm="([^"]*)"', text).group(1)
    nonce = re.search(r'nonce="([^"]*)"', text).group(1)
    uri = "sip:" + domain
    ha1 = md5("%s:%s:secret-%s-pw" % (ext, realm, ext))
    ha2 = md5("REGISTER:" + uri)
    cn = "c%d" % cseq
    resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cn, ha2))
    return ('Authorization: Digest username="%s", realm="%s", nonce="%s", '
        'uri="%s", response="%s", algorithm=MD5, cnonce="%s", qop=auth, '
        'nc=00000001\r\n' % (ext, realm, nonce, uri, resp, cn))

def phone(exts):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    rnd = start
    try:
        while True:
            rnd += 1
            for ext in exts:
                cseq = rnd * 2
                code, text = request(sock, ext, cseq, rnd, "")
                if code != 401:
                    continue
                code, text = request(sock, ext, cseq + 1, rnd,
                    authz(ext, text, cseq))
                if code == 200:
                    with lock:
                        out.write("%s %d\n" % (ext, rnd))
                        out.flush()
    except socket.timeout:
        return

exts = [str(500 + i) for i in range(next_)]
threads = [threading.Thread(target=phone, args=(exts[i::8],))
    for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
PY
	STORM_PID=$!
	E2E_PIDS+=("$STORM_PID")
}

# Every acknowledged round is stored: the extension lists that round's
# contact or a later one.
check_acks()
{
	local regs
	regs=$(rctl --json regs) || fail "roamctl --json regs failed"
	printf '%s\n' "$regs" | python3 -c '
import json, re, sys
stored = {}
for r in json.load(sys.stdin):
    m = re.match(r"sip:(\d+)-r(\d+)@", r["contact"])
    if m:
        e = m.group(1)
        stored[e] = max(stored.get(e, 0), int(m.group(2)))
acked = {}
for line in open(sys.argv[1]):
    e, n = line.split()
    acked[e] = max(acked.get(e, 0), int(n))
lost = ["%s r%d (stored: %s)" % (e, n, stored.get(e, "nothing"))
    for e, n in sorted(acked.items()) if stored.get(e, 0) < n]
if lost:
    sys.exit("acknowledged but lost: " + ", ".join(lost[:20]))
print(len(acked))
' "$ACKS" || fail "a registration acknowledged with 200 was lost in the crash"
}

for round in 1 2 3; do
	before=$(wc -l <"$ACKS")
	storm_bg $((round * 100000))
	# Let the storm get going, then kill at a random moment within it.
	for i in $(seq 100); do
		[ "$(wc -l <"$ACKS")" -ge $((before + 50)) ] && break
		sleep 0.1
	done
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL "$ROAMD_PID"
	wait "$ROAMD_PID" 2>/dev/null || true
	n=$(($(wc -l <"$ACKS") - before))
	[ "$n" -gt 0 ] || fail "round $round: no REGISTER acknowledged before the kill"
	ok "round $round: roamd killed with SIGKILL after $n acknowledged registrations"
	wait "$STORM_PID" || true
	if command -v sqlite3 >/dev/null 2>&1; then
		assert_eq "ok" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" \
		    "the database left by the crash is intact"
	fi
	start_roamd
	exts=$(check_acks)
	ok "round $round: all acknowledged registrations of $exts extensions are stored"
done

# Service resumes: an outgoing call works.
sipp_bg carrier carrier_uas.xml "$CARRIER_PORT" \
    -set ruri_user 442079460000 -set from_user 201
carrier=$SIPP_PID
rc=0
phone_call 201 9442079460000 || rc=$?
assert_sipp_ok "$rc" "after the crashes 201's call is answered by the carrier"
expect_sipp_bg_ok "$carrier" "the carrier got 201's call"
roamd_alive || fail "roamd died"
stop_roamd
