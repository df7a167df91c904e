#!/bin/bash
# Crash safety (issue 5): phone 202 sends a burst of setting changes from
# the handset - DND on, DND off, forward number *07*N# with a rising N -
# one after the other, each as soon as the previous one got its 200;
# roamd is killed with SIGKILL in the middle, three times over.  After
# each restart `roamctl --json user 202` shows the state after the last
# change whose 200 the phone received (or, at most, after the one change
# still in flight at the kill: stored, just not acknowledged yet).
. "$(dirname "$0")/lib.sh"

write_feature_config
start_roamd

LOG=$T/burst.txt
: >"$LOG"

# The burst, from 202's port: INVITE, 407, INVITE with credentials, 200,
# ACK, BYE (the phone hangs up at once).  Before each INVITE the phone
# logs "sent I CODE", after its 200 "ack I".  It stops when roamd stops
# answering (2 s).
burst_bg()
{
	python3 - "$SIP_PORT" "$DOMAIN" "$LOG" "$(phone_port 202)" "$1" <<'PY' &
import hashlib, re, socket, sys
port, domain, log, lport, start = (int(sys.argv[1]), sys.argv[2],
    sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
out = open(log, "a")
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", lport))
sock.settimeout(2)
sdp = ("v=0\r\no=burst 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")

def md5(s):
    return hashlib.md5(s.encode()).hexdigest()

def send(method, ruri, callid, cseq, branch, extra="", body="", to=""):
    msg = ("%s %s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:202@%s>;tag=ph%s\r\n"
        "To: <sip:%s@%s>%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
        "Contact: <sip:202@127.0.0.1:%d>\r\n%s" %
        (method, ruri, lport, branch, domain, callid,
        ruri[4:].split("@")[0], domain, to, callid, cseq, method, lport,
        extra))
    if body:
        msg += "Content-Type: application/sdp\r\n"
    msg += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
    sock.sendto(msg.encode(), ("127.0.0.1", port))

def final(callid, cseq, method):
    while True:
        data = sock.recv(65535).decode("utf-8", "replace")
        if not data.startswith("SIP/2.0"):
            continue	# our BYE from the daemon, tone: ignore
        if "Call-ID: " + callid not in data or \
            ("CSeq: %d %s" % (cseq, method)) not in data:
            continue
        code = int(data.split()[1])
        if code >= 200:
            return code, data

def change(i, code):
    ruri = "sip:%s@%s" % (code.replace("#", "%23"), domain)
    callid = "burst-%d@e2e" % i
    out.write("sent %d %s\n" % (i, code))
    out.flush()
    send("INVITE", ruri, callid, 1, "a%d" % i, body=sdp)
    c, text = final(callid, 1, "INVITE")
    to = re.search(r"^To:.*?(;tag=[^;\r\n]+)", text, re.M).group(1)
    send("ACK", ruri, callid, 1, "a%d" % i, to=to)
    realm = re.search(r'realm="([^"]*)"', text).group(1)
    nonce = re.search(r'nonce="([^"]*)"', text).group(1)
    ha1 = md5("202:%s:secret-202-pw" % realm)
    resp = md5("%s:%s:00000001:c%d:auth:%s" % (ha1, nonce, i,
        md5("INVITE:" + ruri)))
    auth = ('Proxy-Authorization: Digest username="202", realm="%s", '
        'nonce="%s", uri="%s", response="%s", algorithm=MD5, '
        'cnonce="c%d", qop=auth, nc=00000001\r\n' % (realm, nonce, ruri,
        resp, i))
    send("INVITE", ruri, callid, 2, "b%d" % i, auth, sdp)
    c, text = final(callid, 2, "INVITE")
    if c != 200:
        sys.exit("change %d %s answered %d" % (i, code, c))
    out.write("ack %d\n" % i)
    out.flush()
    to = re.search(r"^To:.*?(;tag=[^;\r\n]+)", text, re.M).group(1)
    send("ACK", ruri, callid, 2, "c%d" % i, to=to)
    send("BYE", ruri, callid, 3, "d%d" % i, to=to)
    final(callid, 3, "BYE")

i = start
try:
    while True:
        i += 1
        for code in ("*08", "*07*%d#" % (1000 + i), "*09"):
            change(i, code)
            i += 1
except socket.timeout:
    pass
PY
	BURST_PID=$!
	E2E_PIDS+=("$BURST_PID")
}

# The stored state of 202 is the state after the acknowledged changes, or
# after those plus the one in flight.
check_state()
{
	local doc
	doc=$(user_json 202)
	printf '%s\n' "$doc" | python3 -c '
import json, sys
d = json.load(sys.stdin)
got = (bool(d["dnd"]), d["forward"]["number"])
sent, acked = [], set()
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] == "sent":
        sent.append((int(w[1]), w[2]))
    else:
        acked.add(int(w[1]))
def state(changes):
    dnd, fwd = False, None
    for _, code in changes:
        if code == "*08":
            dnd = True
        elif code == "*09":
            dnd = False
        else:
            fwd = code[4:-1]
    return (dnd, fwd)
k = max([n + 1 for n, (i, _) in enumerate(sent) if i in acked] + [0])
ok = [state(sent[:k])]
if k < len(sent):
    ok.append(state(sent[:k + 1]))
if got not in ok:
    sys.exit("roamctl shows %r; acknowledged state %r, with the change in "
        "flight %r" % (got, ok[0], ok[-1]))
print("%d acknowledged changes, dnd=%s forward=%s" % (len(acked), got[0],
    got[1]))
' "$LOG" || fail "202's settings after the crash are not what was acknowledged"
}

for round in 1 2 3; do
	before=$(grep -c '^ack' "$LOG" || true)
	burst_bg $((round * 10000))
	for i in $(seq 100); do
		[ "$(grep -c '^ack' "$LOG" || true)" -ge $((before + 5)) ] && break
		sleep 0.1
	done
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL "$ROAMD_PID"
	wait "$ROAMD_PID" 2>/dev/null || true
	n=$(($(grep -c '^ack' "$LOG" || true) - before))
	[ "$n" -gt 0 ] || fail "round $round: no change acknowledged before the kill"
	ok "round $round: roamd killed with SIGKILL after $n acknowledged changes"
	wait "$BURST_PID" || fail "round $round: a change was refused"
	start_roamd
	ok "round $round: $(check_state)"
done

# Service resumes: a feature code still works and is shown.
feature_ok 202 '*09' "Bob turns DND off after the crashes"
assert_user 202 'd["dnd"]' false "Bob's DND is off"
roamd_alive || fail "roamd died"
stop_roamd
