#!/usr/bin/env python3
"""Summarise one benchmark step (bench/run.sh calls this) as a JSON line.

  stats.py --kind reg|call --target roam|kamailio --offered R
           --uac-stat FILE [--uas-stat FILE] --rtt FILE [--counts FILE]
           --duration S --cpu-s S --sock-drops N --rcvbuf N --inerr N
  stats.py --refused COUNTS    exit 0 when the -trace_counts file COUNTS
                               shows a 503 (register_phone retries)

Pass rule (issue 7): < 0.1 % failed, no receive-buffer drops at the
server's socket, no retransmissions, p99 response time < 100 ms.  A call
refused with 503 (counted from the caller's -trace_counts file) is a
failed call here: SIPp counts it as a success (the scenario ends there).
"""
import argparse
import json
import sys


def stat_rows(path):
    """Every row of a SIPp -trace_stat or -trace_counts CSV, as dicts."""
    try:
        with open(path) as f:
            rows = [r.rstrip("\n").split(";") for r in f if r.strip()]
    except OSError:
        return []
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def last_stat(path):
    """The last row of a SIPp -trace_stat CSV as a dict (cumulative)."""
    rows = stat_rows(path)
    return rows[-1] if rows else {}


def num(d, key):
    try:
        return int(float(d.get(key, "0") or 0))
    except ValueError:
        return 0


def refused_calls(path):
    """Calls answered 503: the caller's 503 receptions (-trace_counts)."""
    last = last_stat(path)
    return sum(num(last, k) for k in last if k.endswith("_503_Recv"))


def rtts(path):
    """(times in ms since SIPp start, response times in ms) of rtd 1."""
    ts, rt = [], []
    try:
        with open(path) as f:
            for line in f:
                p = line.strip().split(";")
                if len(p) < 3 or p[2] != "1":
                    continue
                try:
                    ts.append(float(p[0]))
                    rt.append(float(p[1]))
                except ValueError:
                    pass
    except OSError:
        pass
    return ts, rt


def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, int(q * len(sorted_vals)))
    return sorted_vals[i]


def main():
    if sys.argv[1:2] == ["--refused"]:
        # stats.py --refused COUNTS: exit 0 when something was refused.
        return 0 if refused_calls(sys.argv[2]) else 1
    p = argparse.ArgumentParser()
    for k in ("kind", "target", "uac-stat", "uas-stat", "rtt", "counts"):
        p.add_argument("--" + k, default="")
    for k in ("offered", "duration", "cpu-s"):
        p.add_argument("--" + k, type=float, default=0.0)
    for k in ("sock-drops", "rcvbuf", "inerr"):
        p.add_argument("--" + k, type=int, default=0)
    a = p.parse_args()

    uac = last_stat(a.uac_stat)
    uas = last_stat(a.uas_stat) if a.uas_stat else {}
    attempted = num(uac, "OutgoingCall(C)")
    refused = refused_calls(a.counts) if a.counts else 0
    ok = num(uac, "SuccessfulCall(C)") - refused
    failed = max(num(uac, "FailedCall(C)") + refused, attempted - ok)
    retrans = num(uac, "Retransmissions(C)") + num(uas, "Retransmissions(C)")
    ts, rt = rtts(a.rtt)
    rt.sort()
    # Achieved rate: completed operations over the span in which they
    # completed (independent of SIPp's start-up and of the call hold).
    if len(ts) >= 2 and max(ts) > min(ts):
        span = (max(ts) - min(ts)) / 1000.0
        achieved = (len(ts) - 1) / span
        achieved = min(achieved, ok / max(span, 1e-9))
    else:
        achieved = ok / a.duration if a.duration > 0 else 0.0
    fail_pct = 100.0 * failed / attempted if attempted else 100.0
    p50, p99 = pct(rt, 0.50), pct(rt, 0.99)
    cpu_per_k = 1000.0 * a.cpu_s / ok if ok else None
    reasons = []
    if attempted == 0 or ok == 0:
        reasons.append("nothing completed")
    if fail_pct >= 0.1:
        reasons.append("failed %.2f%%" % fail_pct +
                       (" (%d refused 503)" % refused if refused else ""))
    if a.sock_drops > 0:
        reasons.append("%d server socket drops" % a.sock_drops)
    if retrans > 0:
        reasons.append("%d retransmissions" % retrans)
    if p99 is None or p99 >= 100:
        reasons.append("p99 %s ms" % p99)
    row = {
        "kind": a.kind, "target": a.target, "offered": a.offered,
        "attempted": attempted, "ok": ok, "failed": failed,
        "refused": refused,
        "fail_pct": round(fail_pct, 3), "achieved": round(achieved, 1),
        "p50_ms": p50, "p99_ms": p99, "retrans": retrans,
        "sock_drops": a.sock_drops, "rcvbuf_errors": a.rcvbuf,
        "in_errors": a.inerr, "cpu_s": round(a.cpu_s, 3),
        "cpu_s_per_1000": (round(cpu_per_k, 3)
                           if cpu_per_k is not None else None),
        "pass": not reasons, "why": "; ".join(reasons),
    }
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
