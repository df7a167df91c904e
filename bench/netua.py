#!/usr/bin/env python3
"""Phones and a carrier for the network benchmark (bench/net.sh calls this).

  netua.py PLAN --site-port P --domain D [--local-port L] [--ddi]
           [--pace-ms MS] [--out FILE] [--timeout S]

PLAN holds one login a line: "PHONE USER CODE [HOME_PORT CARRIER_PORT
DDI]".  Every PHONE registers (digest auth, password pw-PHONE) at the
host site on 127.0.0.1:P from one UDP socket (local port L, 0 = any),
then, one after the other, PHONE dials *35*USER*CODE#: INVITE, 407,
ACK, INVITE with credentials, 200, ACK, BYE.  With --ddi, as soon as the
200 arrives the home's carrier (a socket bound to CARRIER_PORT, the
trunk's address) sends INVITE sip:DDI@127.0.0.1:HOME_PORT and the tool
waits until the host rings PHONE (the INVITE arrives on the phones'
socket); the phone answers 486, the carrier ACKs.

Writes one JSON object per login to --out (wall-clock times, the clock
of roamd's log stamps, and the intervals in ms):
  invite_200_ms   first INVITE sent (challenge included) -> 200 OK
  auth_200_ms     INVITE with credentials -> 200 OK
  login_ring_ms   first INVITE -> DDI INVITE at the host's phone (--ddi)
  ok_ring_ms      200 OK -> DDI INVITE at the phone (--ddi)
and exits 1 when a registration or a login failed.
"""
import argparse
import hashlib
import json
import os
import random
import re
import select
import socket
import sys
import time

T1 = 0.5		# first retransmission interval (RFC 3261 T1)


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Msg:
    """A parsed SIP message: first line, headers (lower-case names)."""

    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.hdrs = []
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                self.hdrs.append((k.strip().lower(), v.strip()))
        p = self.first.split(" ", 2)
        self.is_resp = p[0].startswith("SIP/")
        self.code = int(p[1]) if self.is_resp else 0
        self.method = None if self.is_resp else p[0]
        self.uri = None if self.is_resp else p[1]

    def get(self, name):
        for k, v in self.hdrs:
            if k == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.hdrs if k == name]

    def cseq_method(self):
        return (self.get("cseq") or " ").split()[-1]


def digest(chal, user, pw, method, uri):
    """An Authorization value answering a Digest challenge (qop=auth)."""
    f = dict(re.findall(r'(\w+)="?([^",]*)"?', chal))
    realm, nonce = f.get("realm", ""), f.get("nonce", "")
    ha1 = md5("%s:%s:%s" % (user, realm, pw))
    ha2 = md5("%s:%s" % (method, uri))
    out = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
           'algorithm=MD5' % (user, realm, nonce, uri))
    if "auth" in f.get("qop", "").split(","):
        cnonce = "%016x" % random.getrandbits(64)
        resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2))
        out += ', qop=auth, nc=00000001, cnonce="%s"' % cnonce
    else:
        resp = md5("%s:%s:%s" % (ha1, nonce, ha2))
    out += ', response="%s"' % resp
    if "opaque" in f:
        out += ', opaque="%s"' % f["opaque"]
    return out


class UA:
    def __init__(self, a):
        self.a = a
        self.site = ("127.0.0.1", a.site_port)
        self.sock = self.bind(a.local_port)
        self.port = self.sock.getsockname()[1]
        self.rtp = self.bind(0)		# sinks the confirmation tone
        self.carriers = {}		# carrier port -> socket
        self.pending = {}		# call-id -> last response seen
        self.rings = {}			# phone -> time its INVITE arrived
        self.retrans = 0
        self.seq = 0

    @staticmethod
    def bind(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("127.0.0.1", port))
        return s

    def carrier(self, port):
        if port not in self.carriers:
            self.carriers[port] = self.bind(port)
        return self.carriers[port]

    def tag(self):
        self.seq += 1
        return "%x%x" % (os.getpid(), self.seq)

    def branch(self):
        return "z9hG4bK-nb-" + self.tag()

    def pump(self, wait):
        """Read what arrives within wait seconds; answer requests."""
        socks = [self.sock, self.rtp] + list(self.carriers.values())
        r, _, _ = select.select(socks, [], [], max(wait, 0))
        for s in r:
            data, src = s.recvfrom(65535)
            if s is self.rtp or not data.strip():
                continue
            try:
                m = Msg(data)
            except (ValueError, IndexError):
                continue
            now = time.time()
            if m.is_resp:
                self.pending.setdefault(m.get("call-id"), []).append(
                    (now, m))
            else:
                self.request(s, src, m, now)

    def request(self, s, src, m, now):
        if m.method == "ACK":
            return
        if m.method == "INVITE":
            user = re.sub(r"^sips?:([^@;>]*).*$", r"\1", m.uri)
            self.rings.setdefault(user, now)
            self.reply(s, src, m, 486, "Busy Here")
            return
        if m.method in ("CANCEL", "BYE", "OPTIONS", "NOTIFY", "INFO",
                        "UPDATE"):
            self.reply(s, src, m, 200, "OK")
            return
        self.reply(s, src, m, 405, "Method Not Allowed")

    def reply(self, s, src, m, code, reason):
        to = m.get("to") or ""
        if ";tag=" not in to:
            to += ";tag=" + self.tag()
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: " + v for v in m.all("via")]
        lines += ["From: " + (m.get("from") or ""), "To: " + to,
                  "Call-ID: " + (m.get("call-id") or ""),
                  "CSeq: " + (m.get("cseq") or ""), "Content-Length: 0"]
        s.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), src)

    def send(self, s, dst, lines, body=""):
        text = "\r\n".join(lines + ["Content-Length: %d" % len(body)])
        s.sendto((text + "\r\n\r\n" + body).encode(), dst)

    def transact(self, s, dst, lines, body, callid, timeout):
        """Send a request until a final response; (time, Msg) or None."""
        t_end = time.time() + timeout
        interval = T1
        self.send(s, dst, lines, body)
        t_next = time.time() + interval
        got_prov = False
        while time.time() < t_end:
            self.pump(min(t_next, t_end) - time.time())
            for t, m in self.pending.pop(callid, []):
                if m.code >= 200:
                    return t, m
                got_prov = True
            if not got_prov and time.time() >= t_next:
                self.retrans += 1
                self.send(s, dst, lines, body)
                interval = min(interval * 2, 4.0)
                t_next = time.time() + interval
        return None

    def via(self, s):
        return "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (
            s.getsockname()[1], self.branch())

    def register(self, ext):
        d = self.a.domain
        callid = "nbreg-%s-%s" % (ext, self.tag())
        ftag = self.tag()
        auth = []
        for cseq in (1, 2):
            lines = ["REGISTER sip:%s SIP/2.0" % d, self.via(self.sock),
                     "From: <sip:%s@%s>;tag=%s" % (ext, d, ftag),
                     "To: <sip:%s@%s>" % (ext, d), "Call-ID: " + callid,
                     "CSeq: %d REGISTER" % cseq,
                     "Contact: <sip:%s@127.0.0.1:%d>" % (ext, self.port),
                     "Expires: 3600", "Max-Forwards: 70"] + auth
            r = self.transact(self.sock, self.site, lines, "", callid, 10)
            if r is None:
                return "timeout"
            m = r[1]
            if m.code == 200:
                return None
            if m.code != 401 or cseq == 2:
                return m.first
            auth = ["Authorization: " + digest(
                m.get("www-authenticate") or "", ext, "pw-" + ext,
                "REGISTER", "sip:" + d)]
        return "unreachable"

    def sdp(self):
        return ("v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=netua\r\n"
                "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n"
                "a=rtpmap:0 PCMU/8000\r\n" % self.rtp.getsockname()[1])

    def invite_lines(self, ruri, frm, to, callid, cseq, via, contact,
                     extra):
        return ["INVITE %s SIP/2.0" % ruri, via, "From: " + frm,
                "To: " + to, "Call-ID: " + callid, "CSeq: %d INVITE" % cseq,
                "Contact: " + contact, "Max-Forwards: 70",
                "Content-Type: application/sdp"] + extra

    def ack_bye(self, s, dst, ok, ruri, frm, callid, cseq, bye):
        """ACK a final response (2xx: a new transaction), BYE a 2xx."""
        to = ok.get("to")
        m = re.search(r"<([^>]*)>", ok.get("contact") or "")
        target = m.group(1) if ok.code < 300 and m else ruri
        # A non-2xx ACK belongs to the INVITE's transaction (its Via).
        via = (self.via(s) if ok.code < 300 else
               "Via: " + (ok.get("via") or ""))
        self.send(s, dst, ["ACK %s SIP/2.0" % target, via,
                           "From: " + frm, "To: " + to,
                           "Call-ID: " + callid, "CSeq: %d ACK" % cseq,
                           "Max-Forwards: 70"])
        if ok.code >= 300 or not bye:
            return
        lines = ["BYE %s SIP/2.0" % target, self.via(s), "From: " + frm,
                 "To: " + to, "Call-ID: " + callid,
                 "CSeq: %d BYE" % (cseq + 1), "Max-Forwards: 70"]
        self.transact(s, dst, lines, "", callid, 5)

    def login(self, ext, user, code):
        """Dial the login code; (t_first, t_auth, t_200, error)."""
        d = self.a.domain
        ruri = "sip:*35*%s*%s%%23@%s" % (user, code, d)
        frm = "<sip:%s@%s>;tag=%s" % (ext, d, self.tag())
        to = "<sip:*35*%s*%s%%23@%s>" % (user, code, d)
        callid = "nblogin-%s-%s" % (user, self.tag())
        contact = "<sip:%s@127.0.0.1:%d>" % (ext, self.port)
        via = self.via(self.sock)
        t_first = time.time()
        r = self.transact(self.sock, self.site, self.invite_lines(
            ruri, frm, to, callid, 1, via, contact, []), self.sdp(),
            callid, 10)
        if r is None:
            return t_first, None, None, "no answer to INVITE"
        m = r[1]
        if m.code != 407:
            return t_first, None, None, "first INVITE: " + m.first
        self.ack_bye(self.sock, self.site, m, ruri, frm, callid, 1, False)
        auth = "Proxy-Authorization: " + digest(
            m.get("proxy-authenticate") or "", ext, "pw-" + ext, "INVITE",
            ruri)
        t_auth = time.time()
        r = self.transact(self.sock, self.site, self.invite_lines(
            ruri, frm, to, callid, 2, self.via(self.sock), contact,
            [auth]), self.sdp(), callid, 10)
        if r is None:
            return t_first, t_auth, None, "no answer to INVITE 2"
        t_ok, m = r
        if m.code != 200:
            self.ack_bye(self.sock, self.site, m, ruri, frm, callid, 2,
                         False)
            return t_first, t_auth, None, "login: " + m.first
        self.login_ok = (m, ruri, frm, callid)
        return t_first, t_auth, t_ok, None

    def login_end(self):
        m, ruri, frm, callid = self.login_ok
        self.ack_bye(self.sock, self.site, m, ruri, frm, callid, 2, True)

    def ddi_send(self, home_port, carrier_port, number):
        """The home's carrier sends a DDI call; returns its Call-ID."""
        s = self.carrier(carrier_port)
        dst = ("127.0.0.1", home_port)
        ruri = "sip:%s@127.0.0.1:%d" % (number, home_port)
        callid = "nbddi-%s-%s" % (number, self.tag())
        frm = "<sip:447700900000@carrier.test>;tag=%s" % self.tag()
        self.ddi = (s, dst, ruri, frm, callid)
        self.send(s, dst, self.invite_lines(
            ruri, frm, "<%s>" % ruri, callid, 1, self.via(s),
            "<sip:447700900000@127.0.0.1:%d>" % carrier_port, []),
            self.sdp())

    def ddi_wait(self, phone, timeout):
        """Wait for the ring at phone and the carrier's final answer."""
        s, dst, ruri, frm, callid = self.ddi
        t_end = time.time() + timeout
        final = None
        while time.time() < t_end and (phone not in self.rings or
                                       final is None):
            self.pump(min(0.05, t_end - time.time()))
            for _, m in self.pending.pop(callid, []):
                if m.code >= 200 and m.cseq_method() == "INVITE":
                    final = m
        if final is not None:
            self.ack_bye(s, dst, final, ruri, frm, callid, 1, True)
        return self.rings.get(phone)


def pct(v, q):
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("plan")
    p.add_argument("--site-port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--local-port", type=int, default=0)
    p.add_argument("--ddi", action="store_true")
    p.add_argument("--pace-ms", type=float, default=0)
    p.add_argument("--out", default="")
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    plan = [ln.split() for ln in open(a.plan) if ln.strip()]
    ua = UA(a)
    bad = 0
    for ext in sorted({x[0] for x in plan}):
        err = ua.register(ext)
        if err:
            print("netua: register %s: %s" % (ext, err), file=sys.stderr)
            return 1
    out = open(a.out, "w") if a.out else None
    for x in plan:
        t_start = time.time()
        phone, user, code = x[0], x[1], x[2]
        t_first, t_auth, t_ok, err = ua.login(phone, user, code)
        row = {"phone": phone, "user": user, "t_invite": t_first,
               "t_auth": t_auth, "t_200": t_ok, "error": err}
        if t_ok is not None:
            row["invite_200_ms"] = round(1000 * (t_ok - t_first), 3)
            row["auth_200_ms"] = round(1000 * (t_ok - t_auth), 3)
            if a.ddi and len(x) >= 6:
                ua.ddi_send(int(x[3]), int(x[4]), x[5])
                t_ring = ua.ddi_wait(phone, a.timeout)
                row["t_ring"] = t_ring
                if t_ring is None:
                    row["error"] = "DDI call never rang the phone"
                else:
                    row["login_ring_ms"] = round(
                        1000 * (t_ring - t_first), 3)
                    row["ok_ring_ms"] = round(1000 * (t_ring - t_ok), 3)
            ua.login_end()
        if row["error"]:
            bad += 1
            print("netua: login %s at %s: %s" % (user, phone, row["error"]),
                  file=sys.stderr)
        if out:
            out.write(json.dumps(row) + "\n")
        if a.pace_ms > 0:
            rest = t_start + a.pace_ms / 1000.0 - time.time()
            while rest > 0:
                ua.pump(rest)
                rest = t_start + a.pace_ms / 1000.0 - time.time()
    # Answer what is still on the way (the sites' BYEs, late rings).
    t_end = time.time() + 0.3
    while time.time() < t_end:
        ua.pump(t_end - time.time())
    if out:
        out.close()
    print("netua: %d logins, %d failed, %d retransmissions"
          % (len(plan), bad, ua.retrans), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
