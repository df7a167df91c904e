#!/usr/bin/env python3
"""Write the generated seed files of the fuzz corpora (DESIGN.md section 7).

The SIP seeds are our own torture messages in the spirit of RFC 4475: each
one stresses one rule of RFC 3261 (folding, compact forms, escapes, odd
whitespace, limits, Content-Length disagreements, multipart, scalar
overflow, ...).  They are written from scratch here, not taken from the
RFC.  Run from anywhere:  python3 tests/fuzz/gen_corpus.py
Files are named gen-*; hand-written seeds and crash regressions live
beside them and are left alone.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = "\r\n"


def msg(start, headers, body=b"", clen=True):
    """A message from a start line, header lines and a body."""
    if isinstance(body, str):
        body = body.encode()
    lines = [start] + list(headers)
    if clen is True:
        lines.append("Content-Length: %d" % len(body))
    text = CRLF.join(lines) + CRLF + CRLF
    return text.encode("latin-1") + body


def dialog(method="INVITE", cseq=1, ruri="sip:301@london.roam.test",
           branch="z9hG4bKseed1"):
    """The five headers every request needs, plus Max-Forwards."""
    return [
        "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=%s;rport" % branch,
        "Max-Forwards: 70",
        "From: \"Desk 201\" <sip:201@london.roam.test>;tag=a1b2",
        "To: <%s>" % ruri,
        "Call-ID: seed-%s@192.0.2.20" % method.lower(),
        "CSeq: %d %s" % (cseq, method),
    ]


SDP = CRLF.join([
    "v=0", "o=201 1 1 IN IP4 192.0.2.20", "s=-", "c=IN IP4 192.0.2.20",
    "t=0 0", "m=audio 49170 RTP/AVP 0 8 101", "a=rtpmap:101 "
    "telephone-event/8000", "a=sendrecv"]) + CRLF


def sip_seeds():
    """Valid messages first, then one broken rule per message."""
    s = {}
    inv = "INVITE sip:301@london.roam.test SIP/2.0"
    s["invite"] = msg(inv, dialog() + [
        "Contact: <sip:201@192.0.2.20:5062>",
        "Content-Type: application/sdp"], SDP)
    s["register"] = msg("REGISTER sip:london.roam.test SIP/2.0",
        dialog("REGISTER", 3, "sip:201@london.roam.test") + [
        "Contact: <sip:201@192.0.2.20:5062;transport=udp>;expires=3600",
        "Contact: <sip:201@[2001:db8::20]:5062>;expires=60",
        "Expires: 3600",
        "Authorization: Digest username=\"201\", realm=\"london.roam.test\""
        ", nonce=\"abc\", uri=\"sip:london.roam.test\", response=\"0123456"
        "789abcdef0123456789abcdef\", algorithm=MD5, cnonce=\"x\", qop=auth"
        ", nc=00000001"])
    s["register-star"] = msg("REGISTER sip:london.roam.test SIP/2.0",
        dialog("REGISTER", 4, "sip:201@london.roam.test") +
        ["Contact: *", "Expires: 0"])
    s["options-tel"] = msg("OPTIONS tel:+442071230201 SIP/2.0",
        dialog("OPTIONS", 1, "tel:+442071230201"))
    s["bye-routes"] = msg("BYE sip:301@192.0.2.30:5060 SIP/2.0",
        dialog("BYE", 2) + ["Route: <sip:p1.example.com;lr>,"
        "<sip:p2.example.com;lr>", "Route: <sip:p3.example.com;lr>"])
    s["ack"] = msg("ACK sip:301@192.0.2.30 SIP/2.0", dialog("ACK"))
    s["cancel"] = msg("CANCEL sip:301@london.roam.test SIP/2.0",
        dialog("CANCEL"))
    s["resp-200"] = msg("SIP/2.0 200 OK", [
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;received=10.0.0.9",
        "Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKb",
        "From: <sip:201@london.roam.test>;tag=abc",
        "To: <sip:301@london.roam.test>;tag=def",
        "Call-ID: 38482@atlanta.example.com", "CSeq: 2 INVITE",
        "Contact: <sip:301@10.0.0.30>",
        "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
        "Content-Type: application/sdp"], SDP)
    s["resp-401"] = msg("SIP/2.0 401 Unauthorized", dialog("REGISTER")[:1] +
        dialog("REGISTER")[2:] + [
        "WWW-Authenticate: Digest realm=\"trunk.example.com\", nonce=\"n0\""
        ", opaque=\"0p\", qop=\"auth,auth-int\", algorithm=MD5, stale=TRUE"])
    s["resp-407"] = msg("SIP/2.0 407 Proxy Authentication Required",
        dialog()[:1] + dialog()[2:] + [
        "Proxy-Authenticate: Digest realm=\"x\", nonce=\"y\""])
    s["keepalive"] = b"\r\n\r\n"

    # Torture, valid: odd but legal forms a parser must take.
    s["t-compact"] = msg(inv, [
        "v: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKc1",
        "f: <sip:201@london.roam.test>;tag=1", "t: sip:301@london.roam.test",
        "i: compact@192.0.2.20", "CSeq: 9 INVITE", "m: <sip:201@192.0.2.20>",
        "c: application/sdp", "k: 100rel", "s: a subject"], SDP, clen=False)
    s["t-compact"] = s["t-compact"].replace(b"\r\n\r\n", b"\r\nl: %d"
        b"\r\n\r\n" % len(SDP), 1)
    s["t-folded"] = msg(inv, dialog()[:2] + [
        "From  :   \"Desk\r\n  201\"  <sip:201@london.roam.test>\r\n\t;tag=f",
        "To:\r\n <sip:301@london.roam.test>",
        "Call-ID: folded@192.0.2.20", "CSeq:\t 1 \r\n INVITE",
        "Subject: one,\r\n\ttwo,\r\n   three"])
    s["t-escapes"] = msg("INVITE sip:%2A35%2A201%23@london.roam.test;"
        "user=phone SIP/2.0", dialog()[:2] + [
        "From: <sip:%32%30%31@london.roam.test>;tag=e",
        "To: <sip:%2335@london.roam.test>", "Call-ID: esc@x", "CSeq: 1 INVITE"])
    s["t-lower-method"] = msg("NEWMETHOD.-!%*_+`'~ sip:301@l SIP/2.0",
        dialog("NEWMETHOD.-!%*_+`'~"))
    s["t-ipv6"] = msg("INVITE sip:[2001:db8::10]:5060 SIP/2.0", [
        "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKv6;rport",
        "From: <sip:201@[2001:db8::20]>;tag=6", "To: <sip:[2001:db8::10]>",
        "Call-ID: v6@x", "CSeq: 1 INVITE"])
    s["t-many-vias"] = msg(inv, ["Via: SIP/2.0/UDP h%d.example.com;branch="
        "z9hG4bK%d" % (i, i) for i in range(40)] + dialog()[1:])
    s["t-long-values"] = msg(inv, dialog() + ["X-Long: " + "a" * 4000,
        "Contact: <sip:" + "9" * 300 + "@192.0.2.20>"])
    s["t-unknown-scheme-hdr"] = msg(inv, dialog() + [
        "Contact: <mailto:alice@example.com>", "Alert-Info: <http://x/y>",
        "Call-Info: <http://x/i>;purpose=icon"])
    s["t-unicode-reason"] = msg("SIP/2.0 486 \xc3\x9cberlastet \xe2\x98\x8e",
        dialog()[:1] + dialog()[2:])
    s["t-noreason"] = msg("SIP/2.0 100 ", dialog()[:1] + dialog()[2:])
    s["t-trailing"] = msg(inv, dialog() + ["Content-Type: application/sdp"],
        SDP) + b"garbage after the body, ignored on UDP"
    s["t-two-requests"] = s["register-star"] + s["cancel"]
    s["t-quoted"] = msg(inv, dialog()[:2] + [
        "From: \"\\\"quoted\\\" \\\\ name\" <sip:201@l>;tag=q",
        "To: \"\" <sip:301@l>", "Call-ID: q@x", "CSeq: 1 INVITE"])
    s["t-params"] = msg("INVITE sip:301@l;transport=tcp;lr;maddr=192.0.2.1;"
        "x=%41?Subject=hi&Priority=urgent SIP/2.0", dialog() + [
        "Contact: <sip:201@192.0.2.20;transport=tcp>;expires=4294967296;q=0.5"
        ";+sip.instance=\"<urn:uuid:1>\""])

    # Torture, invalid: each must be refused or answered, never crash.
    s["b-clen-long"] = msg(inv, dialog() + ["Content-Length: 9999"],
        "v=0", clen=False)
    s["b-clen-neg"] = msg(inv, dialog() + ["Content-Length: -5"], clen=False)
    s["b-clen-two"] = msg(inv, dialog() + ["Content-Length: 3",
        "l: 4"], "abcd", clen=False)
    s["b-clen-huge"] = msg(inv, dialog() + ["Content-Length: "
        "99999999999999999999"], clen=False)
    s["b-multipart"] = msg(inv, dialog() + ["Content-Type: multipart/mixed;"
        "boundary=xyz"], "--xyz\r\nContent-Type: application/sdp\r\n\r\n"
        + SDP + "--xyz--\r\n")
    s["b-multipart-folded"] = msg(inv, dialog() + ["Content-Type:\r\n "
        "multipart/related;boundary=b"], "--b\r\n\r\nx\r\n--b--")
    s["b-cseq-big"] = msg(inv, dialog()[:5] + ["CSeq: 4294967296 INVITE"])
    s["b-cseq-mismatch"] = msg(inv, dialog()[:5] + ["CSeq: 1 BYE"])
    s["b-maxfwd"] = msg(inv, dialog()[:1] + ["Max-Forwards: 300"] +
        dialog()[2:])
    s["b-no-callid"] = msg(inv, dialog()[:4] + dialog()[5:])
    s["b-no-via"] = msg(inv, dialog()[1:])
    s["b-escnull"] = msg("INVITE sip:30%001@l SIP/2.0", dialog())
    s["b-badesc"] = msg("INVITE sip:30%G1@l SIP/2.0", dialog())
    s["b-version"] = msg("INVITE sip:301@l SIP/7.0", dialog())
    s["b-ltgt-ruri"] = msg("INVITE <sip:301@l> SIP/2.0", dialog())
    s["b-spaces-ruri"] = msg("INVITE sip:301@l  SIP/2.0", dialog())
    s["b-unterminated-quote"] = msg(inv, dialog()[:2] + [
        "From: \"Desk 201 <sip:201@l>;tag=u", "To: <sip:301@l>",
        "Call-ID: u@x", "CSeq: 1 INVITE"])
    s["b-no-brackets"] = msg(inv, dialog()[:3] + [
        "To: sip:301@l;tag=1 sip:302@l", "Call-ID: nb@x", "CSeq: 1 INVITE"])
    s["b-via-port"] = msg(inv, ["Via: SIP/2.0/UDP 192.0.2.20:99999;branch=x"]
        + dialog()[1:])
    s["b-ruri-port"] = msg("INVITE sip:301@l:0 SIP/2.0", dialog())
    s["b-nul"] = msg(inv, dialog() + ["X-Nul: a\x00b"])
    s["b-ctl"] = msg(inv, dialog() + ["X-Ctl: a\x07b\x7f"])
    s["b-header-no-colon"] = msg(inv, dialog() + ["This is not a header"])
    s["b-empty-name"] = msg(inv, dialog() + [": value"])
    s["b-folded-first"] = msg(inv, [" Via: SIP/2.0/UDP x"] + dialog())
    s["b-no-end"] = msg(inv, dialog())[:-2]
    s["b-long-line"] = msg(inv, dialog() + ["X-Long: " + "b" * 5000])
    s["b-many-headers"] = msg(inv, dialog() + ["X-H%d: v" % i
        for i in range(120)])
    s["b-bare-lf"] = msg(inv, dialog()).replace(b"\r\n", b"\n")
    s["b-bare-cr"] = msg(inv, dialog()).replace(b"\r\n", b"\r")
    s["b-start-only"] = b"INVITE sip:301@l SIP/2.0\r\n"
    s["b-status-bad"] = msg("SIP/2.0 2000 OK", dialog()[:1] + dialog()[2:])
    s["b-status-700"] = msg("SIP/2.0 700 Seven", dialog()[:1] + dialog()[2:])
    s["b-auth-garbage"] = msg("REGISTER sip:l SIP/2.0", dialog("REGISTER") +
        ["Authorization: Digest username=, realm=\"\"\"\", nonce",
         "Proxy-Authorization: NTLM abc==",
         "WWW-Authenticate: Digest ,,,,"])
    s["b-expires"] = msg("REGISTER sip:l SIP/2.0", dialog("REGISTER") +
        ["Contact: <sip:a@b>;expires=-1;expires=x", "Expires: 1e9",
         "Expires: 99999999999999999999999"])
    s["b-bcast-via"] = msg(inv, ["Via: SIP/2.0/UDP 255.255.255.255;branch="
        "z9hG4bKb;received=;rport=;maddr=;ttl=300"] + dialog()[1:])
    return s


def sdp_seeds():
    """Valid offers and a few odd ones for sdp_read()."""
    s = {}
    s["offer"] = SDP
    s["offer-v6-media-c"] = CRLF.join(["v=0", "o=- 1 1 IN IP6 2001:db8::1",
        "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "a=recvonly",
        "m=video 5000 RTP/AVP 96", "m=audio 6000 RTP/SAVPF 8 0",
        "c=IN IP6 2001:db8::20", "a=inactive"]) + CRLF
    s["offer-lf"] = SDP.replace(CRLF, "\n")
    s["offer-port0"] = SDP.replace("49170", "0")
    s["offer-ports"] = SDP.replace("49170", "49170/2")
    s["no-c"] = CRLF.join(["v=0", "m=audio 1 RTP/AVP 0"])
    s["long-addr"] = "c=IN IP4 " + "1" * 200 + "\r\nm=audio 9 RTP/AVP 0\r\n"
    return s


def config_seeds():
    """Small configs: the sample site and focused fragments."""
    s = {}
    with open(os.path.join(HERE, "..", "..", "config", "roamd.yaml")) as f:
        s["sample"] = f.read()
    s["minimal"] = ("site: {name: paris, id: 2, domain: paris.roam.test,\n"
        "  sip: [\"udp:127.0.0.1:5062\"], database: p.db, control: p.sock}\n"
        "extensions:\n  - {number: \"301\", password: \"pw-301-long\"}\n"
        "users:\n  - {number: \"301\", name: \"P\", login_code: \"1234\"}\n")
    s["errors"] = ("site:\n  name: Bad_Name\n  id: 0\n  unknown: 1\n"
        "short_codes:\n  - {code: \"*N*N\", feature: nope}\n"
        "users: [1, [2], {number: }]\n")
    s["anchors"] = ("a: &x {name: s, id: 1}\nsite: *x\nusers: *x\n"
        "extensions: [*x, *x]\n")
    return s


def dialplan_seeds():
    """"PATTERN\\nDIALLED" pairs."""
    return {
        "login": "*35*N#\n*35*201*4321#",
        "nine": "9N\n902071230201",
        "x": "*0X\n*07",
        "default": "?\n12345",
        "exact": "999\n999",
        "no": "*35*N#\n*35*",
        "bad": "N*N\nxx",
    }


def auth_seeds():
    """Authorization values; %N is a fresh nonce, %R the right digest."""
    base = ("Digest username=\"201\", realm=\"london.roam.test\", "
            "nonce=\"%N\", uri=\"sip:london.roam.test\", response=\"%R\"")
    return {
        "ok-qop": base + ", algorithm=MD5, cnonce=\"c1\", qop=auth, "
                  "nc=00000001",
        "ok-2069": base,
        "wrong": base.replace("%R", "0" * 32),
        "bad-nc": base + ", cnonce=\"c\", qop=auth, nc=zz",
        "other-realm": base.replace("london", "paris"),
        "sha": base + ", algorithm=SHA-256",
        "forged": base.replace("%N", "0" * 60),
        "unquoted": "Digest username=201,realm=london.roam.test,nonce=%N,"
                    "uri=sip:l,response=%R,qop=auth,nc=00000001,cnonce=x",
    }


def write(target, seeds):
    """Write seeds as gen-NAME under corpus/TARGET."""
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode("latin-1")
        with open(os.path.join(d, "gen-" + name), "wb") as f:
            f.write(data)


def main():
    write("sip_msg", sip_seeds())
    write("sdp", sdp_seeds())
    write("config", config_seeds())
    write("dialplan", dialplan_seeds())
    write("auth", auth_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
