#!/usr/bin/env python3
"""Send one command to a baresip's ctrl_tcp module (Python standard
library only), for tests/e2e/test_baresip.sh.

  ctl.py PORT COMMAND [PARAMS]

The ctrl_tcp protocol is netstrings ("LEN:DATA,") carrying JSON:
{"command": "dial", "params": "202", "token": "..."}; baresip answers
{"response": true, "ok": BOOL, "data": "...", "token": "..."} and also
sends events on the same connection, which are skipped here (the test
reads the softphone's log).  ctrl_tcp keeps one connection, so each
command is its own short connection.  Prints the answer's data; exits 1
when baresip says ok=false or does not answer within 5 s.
"""
import json
import socket
import sys
import time


def netstrings(sock, deadline):
    """Yield the decoded netstrings read from sock until the deadline."""
    buf = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return
        if not chunk:
            return
        buf += chunk
        while b":" in buf:
            head, rest = buf.split(b":", 1)
            n = int(head)
            if len(rest) < n + 1:
                break
            yield rest[:n]
            buf = rest[n + 1:]


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    port, command = int(sys.argv[1]), sys.argv[2]
    params = sys.argv[3] if len(sys.argv) == 4 else ""
    token = "e2e-%d" % time.time_ns()
    msg = json.dumps({"command": command, "params": params,
                      "token": token}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"%d:%s," % (len(msg), msg))
        for raw in netstrings(s, time.time() + 5):
            m = json.loads(raw)
            if m.get("response") and m.get("token") == token:
                print(m.get("data", ""))
                return 0 if m.get("ok") else 1
    print("baresip did not answer '%s' within 5 s" % command,
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
