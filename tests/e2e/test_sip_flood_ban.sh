#!/bin/bash
# Abuse protection (sip_guard): with low limits in security:, an OPTIONS
# flood from one address (127.0.0.2) gets that address banned: a log line
# fail2ban can match, roamctl status shows the ban, its datagrams and TCP
# connections go unanswered - while a phone on 127.0.0.1 (not exempt
# here) keeps registering and calling.  Wrong passwords from 127.0.0.3
# and a scanner's User-Agent from 127.0.0.4 are banned too; when ban_time
# runs out the flooder's address is unbanned and answered again.
. "$(dirname "$0")/lib.sh"

BAN_TIME=25

write_site_config
cat >>"$CFG" <<EOF
security:
  sip_rate: 20
  sip_burst: 40
  auth_failures: 4
  ban_time: ${BAN_TIME}s
  scanner_user_agents: ["friendly-scanner", "sipvicious"]
  exempt: []
EOF
start_roamd

cat >"$T/sipsrc.py" <<'EOF'
# SIP from another loopback address.  Modes:
#   flood SRC SECONDS RATE: OPTIONS at RATE/s; prints sent and answered,
#     and how many were answered in the last half of the run
#   probe SRC: one OPTIONS; exit 0 when answered within 1 s
#   tcp SRC: OPTIONS over a TCP connection; exit 0 when answered
#   badauth SRC EXT N: N REGISTERs with a wrong password; prints answers
#   scanner SRC: OPTIONS with User-Agent friendly-scanner; exit 0 if answered
import hashlib, re, socket, sys, time

mode, src = sys.argv[1], sys.argv[2]
port, domain = int(sys.argv[-2]), sys.argv[-1]
dst = ("127.0.0.1", port)
seq = [0]

def options(lport, ua="roam-e2e-flood", transport="UDP"):
    seq[0] += 1
    return ("OPTIONS sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-fl%d;rport\r\n"
            "From: <sip:flood@%s>;tag=fl\r\nTo: <sip:%s>\r\n"
            "Call-ID: flood-%d@%s\r\nCSeq: %d OPTIONS\r\n"
            "Max-Forwards: 70\r\nUser-Agent: %s\r\n"
            "Content-Length: 0\r\n\r\n"
            % (domain, transport, src, lport, seq[0], domain, domain,
               seq[0], src, seq[0], ua)).encode()

def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    return s, s.getsockname()[1]

def answers(s, wait):
    n, end = 0, time.time() + wait
    while True:
        s.settimeout(max(0.001, end - time.time()))
        try:
            s.recv(65536)
            n += 1
        except (socket.timeout, BlockingIOError):
            return n

if mode == "flood":
    secs, rate = float(sys.argv[3]), float(sys.argv[4])
    s, lport = udp()
    start = time.time()
    sent = got = late = 0
    while time.time() - start < secs:
        s.sendto(options(lport), dst)
        sent += 1
        n = answers(s, 1.0 / rate)
        got += n
        if time.time() - start > secs / 2:
            late += n
    got += answers(s, 0.3)
    print("sent=%d answered=%d answered_late=%d" % (sent, got, late))
elif mode == "probe":
    s, lport = udp()
    s.sendto(options(lport), dst)
    sys.exit(0 if answers(s, 1.0) > 0 else 1)
elif mode == "scanner":
    s, lport = udp()
    s.sendto(options(lport, ua="friendly-scanner"), dst)
    sys.exit(0 if answers(s, 1.0) > 0 else 1)
elif mode == "tcp":
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((src, 0))
    c.settimeout(2)
    try:
        c.connect(dst)
        c.sendall(options(c.getsockname()[1], transport="TCP"))
        data = c.recv(65536)
    except OSError:
        data = b""
    sys.exit(0 if data.startswith(b"SIP/2.0 200") else 1)
elif mode == "badauth":
    ext, n = sys.argv[3], int(sys.argv[4])
    s, lport = udp()
    out = []
    for i in range(n):
        def reg(cseq, auth):
            return ("REGISTER sip:%s SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-ba%d-%d;rport\r\n"
                    "From: <sip:%s@%s>;tag=ba%d\r\nTo: <sip:%s@%s>\r\n"
                    "Call-ID: badauth-%d@%s\r\nCSeq: %d REGISTER\r\n"
                    "Contact: <sip:%s@%s:%d>\r\nMax-Forwards: 70\r\n"
                    "%sContent-Length: 0\r\n\r\n"
                    % (domain, src, lport, i, cseq, ext, domain, i, ext,
                       domain, i, src, cseq, ext, src, lport,
                       auth)).encode()
        s.sendto(reg(1, ""), dst)
        s.settimeout(1.0)
        try:
            r = s.recv(65536).decode()
        except socket.timeout:
            out.append("none")
            continue
        m = re.search(r'nonce="([^"]*)"', r)
        if not r.startswith("SIP/2.0 401") or not m:
            out.append(r.split()[1])
            continue
        auth = ('Authorization: Digest username="%s", realm="%s", '
                'nonce="%s", uri="sip:%s", response="%s", '
                'algorithm=MD5\r\n' % (ext, domain, m.group(1), domain,
                                       "0" * 32))
        s.sendto(reg(2, auth), dst)
        try:
            out.append(s.recv(65536).decode().split()[1])
        except socket.timeout:
            out.append("none")
    print(" ".join(out))
EOF

sipsrc()
{
	python3 "$T/sipsrc.py" "$@" "$SIP_PORT" "$DOMAIN"
}

# Security status from roamctl: the Python expression $1 of "security".
security_eval()
{
	local out
	out=$(rctl --json status) || fail "roamctl --json status failed"
	printf '%s\n' "$out" | json_eval "d['security']$1" 2>/dev/null ||
	    fail "roamctl --json status has no security object: $out"
}

sipsrc probe 127.0.0.2 || fail "roamd does not answer OPTIONS from 127.0.0.2"
ok "127.0.0.2 is answered before the flood"
assert_eq 20 "$(security_eval "['sip_rate']")" "roamctl shows sip_rate 20"
assert_eq 0 "$(security_eval "['banned']")" "roamctl shows no ban yet"

# The flood: 200 OPTIONS/s for 3 s against 20/s with a burst of 40.
out=$(sipsrc flood 127.0.0.2 3 200)
echo "flood: $out"
answered=$(echo "$out" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
late=$(echo "$out" | sed -n 's/.*answered_late=\([0-9]*\)/\1/p')
[ "$answered" -le 45 ] || fail "the flood got $answered answers (burst is 40)"
assert_eq 0 "$late" "nothing answered to the flooder once banned"
assert_log "sip ban src=127\.0\.0\.2 reason=rate until=[0-9T:-]+Z"
assert_eq 1 "$(security_eval "['banned']")" "roamctl shows one ban"
assert_eq "127.0.0.2 rate" \
    "$(security_eval "['bans'][0]['src'] + ' ' + d['security']['bans'][0]['reason']")" \
    "roamctl lists the ban of 127.0.0.2 for rate"
if sipsrc tcp 127.0.0.2; then
	fail "a TCP connection from the banned address was answered"
fi
ok "TCP from the banned address is refused"

# While 127.0.0.2 keeps flooding, a phone on 127.0.0.1 registers and calls.
sipsrc flood 127.0.0.2 5 100 >"$T/flood2.out" &
flooder=$!
E2E_PIDS+=("$flooder")
register_ok 201 "$(phone_port 201)"
register_ok 202 "$(phone_port 202)"
call_answered 202 "201 calls 202 on 127.0.0.1 during the flood"
assert_no_calls
wait "$flooder" || fail "the second flood failed"
echo "flood during the call: $(cat "$T/flood2.out")"
assert_contains "$(cat "$T/flood2.out")" "answered=0 " \
    "the banned flooder got no answer at all"

# Wrong passwords from 127.0.0.3: four 403s, then silence.
out=$(sipsrc badauth 127.0.0.3 201 6)
echo "bad passwords: $out"
assert_eq "403 403 403 403 none none" "$out" \
    "after 4 failed authentications 127.0.0.3 is not answered"
assert_log "sip ban src=127\.0\.0\.3 reason=auth-failures until="

# A scanner's User-Agent: no answer, banned.
if sipsrc scanner 127.0.0.4; then
	fail "a friendly-scanner OPTIONS was answered"
fi
assert_log "sip ban src=127\.0\.0\.4 reason=scanner"
assert_eq 3 "$(security_eval "['banned']")" "roamctl shows three bans"
assert_eq 3 "$(security_eval "['bans_total']")" "roamctl counts three bans"
if sipsrc probe 127.0.0.4; then
	fail "the scanner's address is answered after its ban"
fi
ok "the scanner's address stays banned"

# The ban runs out: 127.0.0.2 is unbanned (logged) and answered again.
for i in $(seq $((BAN_TIME * 10 + 30))); do
	sipsrc probe 127.0.0.2 && break
done
assert_log "sip unban src=127\.0\.0\.2 reason=rate dropped=[1-9]"
sipsrc probe 127.0.0.2 || fail "127.0.0.2 not answered after its ban ran out"
ok "127.0.0.2 is answered again after ban_time"
register_ok 201 "$(phone_port 201)"

roamd_alive || fail "roamd died"
stop_roamd
