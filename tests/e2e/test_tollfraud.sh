#!/bin/bash
# Toll-fraud guards (issue 5): with security.max_external_calls: 1, a
# second call out on the trunk while the first is up is refused with
# "403 External Call Limit Reached"; a user whose allowed_prefixes do not
# cover the number gets "403 Destination Not Allowed"; 999 still goes out
# while the limit is reached (D3); each refusal is one log line.
. "$(dirname "$0")/lib.sh"

CFG_EXTRA_EXTENSIONS='  - { number: "204", password: "'"$(ext_password 204)"'", base_user: "204" }'
CFG_EXTRA_USERS='  - { number: "204", name: "Dan Brown", allowed_prefixes: ["44", "33"] }'
write_site_config
cat >>"$CFG" <<EOF
security:
  max_external_calls: 1
EOF
start_roamd

# A carrier at the trunk address that answers every INVITE (200 with an
# SDP the phones' scenarios accept) and every BYE, until $1 calls ended;
# each Request-URI it got goes to $T/carrier.log.
carrier_bg()
{
	python3 - "$CARRIER_PORT" "$1" "$T/carrier.log" <<'PY' &
import socket, sys
port, want, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
sdp = ("v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=roam-e2e-callee\r\n"
    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n")
ended = 0
while ended < want:
    data, peer = s.recvfrom(65535)
    head = data.decode("utf-8", "replace").split("\r\n\r\n")[0]
    lines = head.split("\r\n")
    if lines[0].startswith("SIP/2.0") or lines[0].startswith("ACK "):
        continue
    method, ruri = lines[0].split()[:2]
    keep = [l for l in lines[1:] if l.split(":")[0].strip().lower() in
        ("via", "from", "to", "call-id", "cseq", "record-route")]
    keep = [l + (";tag=carrier" if l.lower().startswith("to:") and
        ";tag=" not in l else "") for l in keep]
    body = ""
    if method == "INVITE":
        open(log, "a").write(ruri + "\n")
        keep += ["Contact: <sip:carrier@127.0.0.1:%d>" % port,
            "Content-Type: application/sdp"]
        body = sdp
    elif method == "BYE":
        ended += 1
    msg = "\r\n".join(["SIP/2.0 200 OK"] + keep +
        ["Content-Length: %d" % len(body), "", body])
    s.sendto(msg.encode(), peer)
PY
	CARRIER_PID=$!
	E2E_PIDS+=("$CARRIER_PID")
	wait_udp_bound "$CARRIER_PORT"
}

# Allow list: 882 (international networks) is not 44 or 33.
call_refused 204 9882012345 "403 Destination Not Allowed" \
    "204 may not dial outside 44/33"
assert_log "call refused call=[^ ]+ user=204 reason=destination-not-allowed number=882012345" \
    "the allow-list refusal is logged with its reason"

carrier_bg 2
# 201's call stays up for 4 s.
CALL_HOLD_MS=4000 phone_call_bg 201 9442079460000
first=$SIPP_PID
wait_calls 1
call_refused 202 9442079460001 "403 External Call Limit Reached" \
    "a second external call while one is up"
assert_log "call refused call=[^ ]+ user=202 reason=external-limit number=442079460001" \
    "the limit refusal is logged with its reason"

# D3: emergency is never limited.
rc=0
phone_call 203 999 || rc=$?
assert_sipp_ok "$rc" "203 dialling 999 goes out although the limit is reached"
expect_sipp_bg_ok "$first" "201's external call was answered and ended"
rc=0
wait "$CARRIER_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "the carrier did not see both calls through (exit $rc)"
assert_eq "sip:442079460000@127.0.0.1:$CARRIER_PORT sip:999@127.0.0.1:$CARRIER_PORT" \
    "$(tr '\n' ' ' <"$T/carrier.log" | sed 's/ $//')" \
    "the carrier got exactly 201's call and 999"
assert_no_calls

# The slot is free again once the first call ended.
carrier_bg 1
rc=0
phone_call 202 9442079460002 || rc=$?
assert_sipp_ok "$rc" "202's external call goes out after the first ended"
wait "$CARRIER_PID" || fail "the carrier did not answer 202's call"

roamd_alive || fail "roamd died"
stop_roamd
