#!/bin/bash
# SIP over TLS for phones: roamd with a tls: listener and a certificate
# from a throwaway CA (made here with openssl).  A phone (python3 ssl,
# verifying roamd's certificate against the CA; SIPp here has no TLS)
# registers 201 over TLS with digest auth; roamctl lists the binding; a
# UDP phone 202 then calls 201 and the INVITE, ACK and BYE reach 201 on its
# own TLS connection, as a phone behind NAT needs.  A client that does not
# trust the CA gets no registration.
. "$(dirname "$0")/lib.sh"

TLS_PORT=$((BASE_PORT + 5))

# The CA, and a certificate for 127.0.0.1 it signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj "/CN=Roam test CA" \
    >"$T/openssl.log" 2>&1 || fail "openssl: cannot make the CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/sip.key" -out "$T/sip.csr" -subj "/CN=127.0.0.1" \
    >>"$T/openssl.log" 2>&1 || fail "openssl: cannot make the key"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/sip.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/sip.pem" -days 2 -extfile "$T/san.ext" \
    >>"$T/openssl.log" 2>&1 || fail "openssl: cannot sign the certificate"
chmod 600 "$T/sip.key" "$T/ca.key"
ok "throwaway CA and server certificate made"

CFG_EXTRA_SITE="  sip_tls: { cert: $T/sip.pem, key: $T/sip.key }" \
    write_site_config
sed -i "s|^  sip: \[\(.*\)\]$|  sip: [\1, \"tls:127.0.0.1:$TLS_PORT\"]|" "$CFG"
grep -q "tls:127.0.0.1:$TLS_PORT" "$CFG" || fail "no tls: listener in $CFG"
start_roamd
for i in $(seq 50); do
	tcp_bound "$TLS_PORT" && break
	sleep 0.1
done
tcp_bound "$TLS_PORT" || fail "nothing listens on tls port $TLS_PORT"
assert_log "sip listening on tls:127.0.0.1:$TLS_PORT"

cat >"$T/tlsphone.py" <<'EOF'
# A SIP phone over TLS: registers EXT, then answers one call (INVITE ->
# 200 with SDP, ACK, BYE -> 200) on the same connection.
import hashlib, os, re, socket, ssl, sys, time

port, ext, pw, domain, ca, mode, ready = sys.argv[1:8]
port = int(port)

def md5(s):
    return hashlib.md5(s.encode()).hexdigest()

ctx = ssl.create_default_context(cafile=None if ca == "system" else ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
except ssl.SSLError as e:
    print("handshake failed: %s" % e)
    sys.exit(3)
lport = s.getsockname()[1]
print("tls version %s cipher %s" % (s.version(), s.cipher()[0]), flush=True)
buf = b""

def read_msg(deadline):
    global buf
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            head = buf[:i].decode()
            m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
            n = int(m.group(1)) if m else 0
            if len(buf) >= i + 4 + n:
                body = buf[i + 4:i + 4 + n].decode()
                buf = buf[i + 4 + n:]
                return head, body
        s.settimeout(max(0.1, deadline - time.time()))
        data = s.recv(65536)
        if not data:
            raise EOFError("connection closed")
        buf += data

def hdr(head, name):
    m = re.search(r"(?im)^%s\s*:\s*(.*)$" % name, head)
    return m.group(1).strip() if m else None

def register(auth, cseq):
    uri = "sip:%s" % domain
    msg = ("REGISTER %s SIP/2.0\r\n"
           "Via: SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bK-tls-%d;rport\r\n"
           "From: <sip:%s@%s>;tag=tls%s\r\n"
           "To: <sip:%s@%s>\r\n"
           "Call-ID: tlsreg-%s@127.0.0.1\r\n"
           "CSeq: %d REGISTER\r\n"
           "Contact: <sip:%s@127.0.0.1:%d;transport=tls>\r\n"
           "Expires: 300\r\nMax-Forwards: 70\r\nUser-Agent: roam-e2e-tls\r\n"
           "%sContent-Length: 0\r\n\r\n"
           % (uri, lport, cseq, ext, domain, ext, ext, domain, ext, cseq,
              ext, lport, auth))
    s.sendall(msg.encode())
    head, _ = read_msg(time.time() + 10)
    while head.startswith("SIP/2.0 1"):
        head, _ = read_msg(time.time() + 10)
    return head

head = register("", 1)
if not head.startswith("SIP/2.0 401"):
    print("expected 401, got: %s" % head.splitlines()[0])
    sys.exit(1)
ch = hdr(head, "WWW-Authenticate")
realm = re.search(r'realm="([^"]*)"', ch).group(1)
nonce = re.search(r'nonce="([^"]*)"', ch).group(1)
uri, cnonce, nc = "sip:%s" % domain, "c0ffee", "00000001"
resp = md5("%s:%s:%s:%s:auth:%s" % (md5("%s:%s:%s" % (ext, realm, pw)),
           nonce, nc, cnonce, md5("REGISTER:%s" % uri)))
auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", '
        'uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, '
        'cnonce="%s"\r\n' % (ext, realm, nonce, uri, resp, nc, cnonce))
head = register(auth, 2)
if not head.startswith("SIP/2.0 200"):
    print("expected 200, got: %s" % head.splitlines()[0])
    sys.exit(1)
print("registered %s from tls:127.0.0.1:%d" % (ext, lport), flush=True)
open(ready, "w").write("%d\n" % lport)
if mode != "answer":
    sys.exit(0)

# Answer one call on this connection.
deadline = time.time() + 25
seen = []
while True:
    head, body = read_msg(deadline)
    first = head.splitlines()[0]
    method = first.split()[0]
    seen.append(method)
    print("got %s" % first, flush=True)
    if method == "ACK":
        continue
    if first.startswith("SIP/2.0"):
        continue
    vias = "".join("Via: %s\r\n" % v.strip() for v in
                   re.findall(r"(?im)^(?:via|v)\s*:\s*(.*)$", head))
    to = hdr(head, "To")
    if ";tag=" not in to:
        to += ";tag=tlsans"
    sdp = ""
    if method == "INVITE":
        sdp = ("v=0\r\no=roam-e2e 1 1 IN IP4 127.0.0.1\r\n"
               "s=roam-e2e-callee\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    resp = ("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
            "CSeq: %s\r\nContact: <sip:%s@127.0.0.1:%d;transport=tls>\r\n"
            "%sContent-Length: %d\r\n\r\n%s"
            % (vias, hdr(head, "From"), to, hdr(head, "Call-ID"),
               hdr(head, "CSeq"), ext, lport,
               "Content-Type: application/sdp\r\n" if sdp else "",
               len(sdp), sdp))
    s.sendall(resp.encode())
    if method == "BYE":
        break
if "INVITE" not in seen or "ACK" not in seen:
    print("call incomplete over TLS: %s" % seen)
    sys.exit(1)
print("answered a call over TLS: %s" % " ".join(seen))
EOF

# A client that does not trust the CA refuses roamd: nothing registers.
rc=0
python3 "$T/tlsphone.py" "$TLS_PORT" 201 "$(ext_password 201)" "$DOMAIN" \
    system register "$T/ready0" >"$T/tlsphone0.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a client without the CA registered over TLS"
assert_eq "" "$(reg_contacts 201)" "nothing registered by an untrusting client"

# 201 registers over TLS and waits for a call.
python3 "$T/tlsphone.py" "$TLS_PORT" 201 "$(ext_password 201)" "$DOMAIN" \
    "$T/ca.pem" answer "$T/ready" >"$T/tlsphone.out" 2>&1 &
tlsphone=$!
E2E_PIDS+=("$tlsphone")
for i in $(seq 100); do
	[ -s "$T/ready" ] && break
	kill -0 "$tlsphone" 2>/dev/null || break
	sleep 0.1
done
[ -s "$T/ready" ] || { cat "$T/tlsphone.out" >&2; fail "201 did not register over TLS"; }
lport=$(cat "$T/ready")
assert_contains "$(cat "$T/tlsphone.out")" "tls version TLSv1." \
    "the phone's TLS session is TLS 1.2 or later"
contacts=$(reg_contacts 201)
assert_contains "$contacts" "127.0.0.1:$lport;transport=tls" \
    "roamctl regs lists 201's TLS contact"
assert_log "register ok ext=201 .*transport=tls"

# 202 (UDP) calls 201: roamd reaches 201 over its TLS connection.
register_ok 202 "$(phone_port 202)"
rc=0
phone_call 202 201 || rc=$?
assert_sipp_ok "$rc" "202 calls 201, answered over TLS, BYE 200"
rc=0
wait "$tlsphone" || rc=$?
cat "$T/tlsphone.out"
[ "$rc" -eq 0 ] || fail "the TLS phone did not see the call through (status $rc)"
assert_contains "$(cat "$T/tlsphone.out")" "got BYE" \
    "201 got INVITE, ACK and BYE on its own TLS connection"
assert_no_calls

roamd_alive || fail "roamd died"
stop_roamd
