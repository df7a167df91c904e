#!/usr/bin/env python3
"""Send mutated and truncated SIP messages to a SIP server on loopback.

Usage: sipfuzz.py --port PORT [--count N] [--seed S] [--pid PID]
                  [--from-port P] [--tcp N] [--out DIR]

Seeds are well-formed SIP requests and responses (REGISTER, INVITE with
SDP, multipart, BYE, CANCEL, ACK, OPTIONS, 200/180 responses); each datagram
is a seed run through one to four random mutations (truncation, byte flips,
inserted delimiters, dropped/duplicated/swapped lines, nasty header values,
broken Content-Length, line-ending damage, oversize bodies, pure noise).

Addresses: every seed names only 127.0.0.1, and no mutation touches the
bytes of "127.0.0.1", so whatever the server answers can only go back to
loopback.  Replies are read and dropped.  When --pid is given the server
is checked after every batch; if it died, the batch that killed it is
written to --out and the exit status is 2.  The run is bounded in count
and in time (--max-seconds).
"""

import argparse
import os
import random
import socket
import sys
import time

HOST = "127.0.0.1"

SDP = ("v=0\r\no=fuzz 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
       "t=0 0\r\nm=audio 7078 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

MULTIPART = ("--b1\r\nContent-Type: application/sdp\r\n\r\n" + SDP +
             "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n")


def seeds(port, lport):
    """Well-formed messages the mutations start from."""
    via = "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-fz%%d;rport" % lport
    common = ("From: \"Fuzz\" <sip:201@london.roam.test>;tag=fz1\r\n"
              "To: <sip:%s@london.roam.test>%s\r\n"
              "Call-ID: fz-%%d@127.0.0.1\r\n")
    auth = ('Authorization: Digest username="201", realm="london.roam.test", '
            'nonce="0123456789abcdef", uri="sip:london.roam.test", '
            'response="00000000000000000000000000000000", qop=auth, '
            'nc=00000001, cnonce="abc", algorithm=MD5\r\n')
    out = []
    out.append("REGISTER sip:london.roam.test SIP/2.0\r\n" + via + "\r\n" +
               common % ("201", "") + "CSeq: 1 REGISTER\r\n"
               "Contact: <sip:201@127.0.0.1:%d>;expires=300\r\n" % lport +
               auth + "Max-Forwards: 70\r\nExpires: 300\r\n"
               "Content-Length: 0\r\n\r\n")
    out.append("INVITE sip:202@london.roam.test SIP/2.0\r\n" + via + "\r\n" +
               common % ("202", "") + "CSeq: 1 INVITE\r\n"
               "Contact: <sip:201@127.0.0.1:%d>\r\n" % lport +
               "Max-Forwards: 70\r\nSupported: replaces, timer\r\n"
               "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
               "Content-Type: application/sdp\r\n"
               "Content-Length: %d\r\n\r\n" % len(SDP) + SDP)
    out.append("INVITE sip:9442079460000@127.0.0.1:%d SIP/2.0\r\n" % port +
               via + "\r\n" + common % ("9442079460000", "") +
               "CSeq: 2 INVITE\r\nContact: <sip:201@127.0.0.1:%d>\r\n" % lport +
               'Proxy-Authorization: Digest username="201", '
               'realm="london.roam.test", nonce="x", '
               'uri="sip:9442079460000@127.0.0.1", response="y"\r\n'
               "Max-Forwards: 70\r\n"
               "Content-Type: multipart/mixed;boundary=b1\r\n"
               "Content-Length: %d\r\n\r\n" % len(MULTIPART) + MULTIPART)
    for m in ("BYE", "CANCEL", "ACK", "OPTIONS", "INFO", "NOTIFY", "PRACK"):
        out.append("%s sip:202@127.0.0.1:%d SIP/2.0\r\n" % (m, port) + via +
                   "\r\n" + common % ("202", ";tag=zz") +
                   "CSeq: 3 %s\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n" % m)
    for code, reason in ((200, "OK"), (180, "Ringing"), (487, "Request "
                         "Terminated"), (401, "Unauthorized")):
        out.append("SIP/2.0 %d %s\r\n" % (code, reason) +
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-x\r\n" % port +
                   common % ("202", ";tag=t9") + "CSeq: 1 INVITE\r\n"
                   "Contact: <sip:202@127.0.0.1:%d>\r\n" % lport +
                   'WWW-Authenticate: Digest realm="x", nonce="y"\r\n'
                   "Content-Length: 0\r\n\r\n")
    return out


NASTY = [b"", b" ", b"\x00", b"A" * 5000, b"-1", b"4294967296",
         b"99999999999999999999999", b"%", b"%00", b"%zz", b"<", b">",
         b"<<<<", b"\"", b"\"unterminated", b";;;;;;", b",,,,", b"sip:",
         b"sip:@", b"sip:201@", b"<sip:201@127.0.0.1", b"sip:201@127.0.0.1;",
         b"SIP/2.0/UDP", b"SIP/2.0/UDP 127.0.0.1:", b"SIP/2.0/XYZ 127.0.0.1",
         b"Digest", b"Digest ,,,,", b"Digest username=", b"Digest realm=\"",
         b"=" * 300, b"\r", b"\n", b"\t\t", b"\xff\xfe\xfd", b"a=b;" * 400,
         b"multipart/mixed", b"multipart/mixed;boundary=", b"0 INVITE",
         b"1 NOTAMETHOD", b"4294967295 INVITE", b"65536",
         b"\"\\", b"*", b"<*>", b"sip:%41%42@127.0.0.1", b"tel:+44"]

DELIMS = b"\x00\r\n:;<>\",=@% \t/\\*#?&"


def protected(msg):
    """Byte offsets inside "127.0.0.1": never mutated (see module doc)."""
    prot = set()
    start = 0
    while True:
        i = msg.find(b"127.0.0.1", start)
        if i < 0:
            return prot
        prot.update(range(i - 1, i + 10))
        start = i + 1


def free_pos(rng, msg, prot):
    """A random offset that is not protected, or None."""
    for _ in range(20):
        i = rng.randrange(len(msg) + 1)
        if i not in prot and (i - 1) not in prot:
            return i
    return None


def lines_of(msg):
    return msg.split(b"\r\n")


def mutate(rng, msg):
    """One random mutation of msg (bytes)."""
    kind = rng.randrange(14)
    prot = protected(msg)
    if kind == 0:				# truncate (not inside an address)
        i = free_pos(rng, msg, prot)
        return msg if i is None else msg[:i]
    if kind == 1:				# flip bytes
        b = bytearray(msg)
        for _ in range(rng.randint(1, 8)):
            i = free_pos(rng, b, prot)
            if i is not None and i < len(b):
                b[i] = rng.randrange(256)
        return bytes(b)
    if kind == 2:				# insert delimiters
        i = free_pos(rng, msg, prot)
        if i is None:
            return msg
        ins = bytes(rng.choice(DELIMS) for _ in range(rng.randint(1, 6)))
        return msg[:i] + ins + msg[i:]
    if kind == 3:				# drop a line
        ls = lines_of(msg)
        del ls[rng.randrange(len(ls))]
        return b"\r\n".join(ls)
    if kind == 4:				# duplicate a line, maybe a lot
        ls = lines_of(msg)
        i = rng.randrange(len(ls))
        n = rng.choice((1, 2, 10, 100, 500))
        ls[i:i] = [ls[i]] * n
        return b"\r\n".join(ls)
    if kind == 5:				# swap two lines
        ls = lines_of(msg)
        i, j = rng.randrange(len(ls)), rng.randrange(len(ls))
        ls[i], ls[j] = ls[j], ls[i]
        return b"\r\n".join(ls)
    if kind == 6:				# nasty header value
        ls = lines_of(msg)
        i = rng.randrange(len(ls))
        if b":" in ls[i]:
            name = ls[i].split(b":", 1)[0]
            ls[i] = name + b": " + rng.choice(NASTY)
        else:
            ls[i] = rng.choice(NASTY)
        return b"\r\n".join(ls)
    if kind == 7:				# broken Content-Length
        val = rng.choice((b"-1", b"0", b"1", b"100000", b"4294967297",
                          b"abc", b"", b"12 34", b"99999999999999999"))
        out = []
        for line in lines_of(msg):
            if line.lower().startswith(b"content-length"):
                line = b"Content-Length: " + val
            out.append(line)
        return b"\r\n".join(out)
    if kind == 8:				# line-ending damage
        return msg.replace(b"\r\n", rng.choice((b"\n", b"\r", b"\r\r\n",
                                                 b"\n\r", b" \r\n")))
    if kind == 9:				# no header/body separator
        return msg.replace(b"\r\n\r\n", b"\r\n", 1)
    if kind == 10:				# oversize body or header
        if rng.random() < 0.5:
            return msg + b"x" * rng.choice((1500, 9000, 60000))
        return msg.replace(b"\r\n", b"\r\nX-Pad: " + b"p" * 60000 + b"\r\n", 1)
    if kind == 11:				# compact / folded headers
        out = []
        for line in lines_of(msg):
            if rng.random() < 0.3 and b":" in line:
                n, v = line.split(b":", 1)
                line = n + b":\r\n " + v
            out.append(line)
        return b"\r\n".join(out)
    if kind == 12:				# mangle the start line
        ls = lines_of(msg)
        parts = ls[0].split(b" ")
        j = rng.randrange(len(parts))
        if b"127.0.0.1" not in parts[j]:
            parts[j] = rng.choice(NASTY)
        ls[0] = b" ".join(parts)
        return b"\r\n".join(ls)
    # pure noise
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead too
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def drain(sock):
    n = 0
    while True:
        try:
            sock.recv(70000)
            n += 1
        except (BlockingIOError, InterruptedError):
            return n
        except OSError:
            return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from-port", type=int, default=0)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--tcp", type=int, default=0,
                    help="also send this many mutated messages over TCP")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--out", default=".")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, a.from_port))
    sock.setblocking(False)
    lport = sock.getsockname()[1]
    base = [s.encode() for s in seeds(a.port, lport)]
    deadline = time.monotonic() + a.max_seconds

    sent = replies = 0
    batch = []
    for i in range(a.count):
        msg = rng.choice(base).replace(b"%d", str(i).encode())
        for _ in range(rng.randint(1, 4)):
            msg = mutate(rng, msg)
        msg = msg[:65000]
        batch.append(msg)
        try:
            sock.sendto(msg, (HOST, a.port))
            sent += 1
        except OSError:
            pass				# EMSGSIZE, ECONNREFUSED: go on
        if len(batch) == a.batch or i == a.count - 1:
            time.sleep(0.01)		# let the server keep up a little
            replies += drain(sock)
            if not alive(a.pid):
                path = os.path.join(a.out, "fuzz-crash-batch.bin")
                with open(path, "wb") as f:
                    for m in batch:
                        f.write(b"==== %d\n" % len(m) + m + b"\n")
                print("server died during datagrams %d-%d; batch in %s"
                      % (i + 1 - len(batch), i, path), file=sys.stderr)
                return 2
            batch = []
            if time.monotonic() > deadline:
                print("time limit reached after %d datagrams" % (i + 1),
                      file=sys.stderr)
                break

    tcp_sent = 0
    for i in range(a.tcp):
        if time.monotonic() > deadline:
            break
        msg = rng.choice(base).replace(b"%d", str(i).encode())
        for _ in range(rng.randint(1, 3)):
            msg = mutate(rng, msg)
        try:
            with socket.create_connection((HOST, a.port), timeout=2) as c:
                c.settimeout(0.05)
                # a message, maybe a second one glued to it, then close
                c.sendall(msg + (msg if rng.random() < 0.3 else b""))
                try:
                    c.recv(70000)
                except OSError:
                    pass
            tcp_sent += 1
        except OSError:
            pass
        if not alive(a.pid):
            print("server died during TCP message %d" % i, file=sys.stderr)
            return 2

    time.sleep(0.2)
    replies += drain(sock)
    print("sent %d datagrams (%d replies), %d TCP messages, seed %d"
          % (sent, replies, tcp_sent, a.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
