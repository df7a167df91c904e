#!/usr/bin/env python3
"""The overload measurement of issue 7 (bench/run.sh runs it).

  overload.py run --target T --dir DIR --rate R --basis TEXT
                  --high-s S --low-s S --t0 EPOCH --switch EPOCH
                  --sock-drops N --cpu-s S [--hold-ms MS]
      one server: SIPp offered 2R calls/s for S s, then R/2 for S s.
      Reads DIR/stat.csv, DIR/uas/stat.csv, DIR/*_rtt.csv,
      DIR/*_counts.csv and DIR/sampler.txt; writes DIR/timeline.dat (one
      line a second) and prints one JSON line (a row of overload.jsonl).
  overload.py report OUT
      OUT/overload.jsonl -> OUT/overload.md (a "## Overload" section,
      also printed) and OUT/overload.png (gnuplot timeline).

A refused call is one answered 503 (the caller scenario ACKs it and ends
there, which SIPp counts as a success): response time 2 = first INVITE to
a 503 with Retry-After, 3 = to a 503 without; 1 = to the 200 (setup).
"""
import argparse
import glob
import json
import os
import shutil
import sys

from report import NAMES, plot, terminal
from stats import last_stat, num, pct, refused_calls, stat_rows

# Issue 7: of the calls accepted, >= 99.9 % complete; p99 setup < 100 ms.
COMPLETE_PCT = 99.9
P99_MS = 100
# Recovered: a second of the low phase with at least 90 % of the calls
# offered in it set up, no 503 and p99 setup < 100 ms, and every later one
# alike.
RECOVER_SHARE = 0.9


def rtt_rows(path):
    """(end ms since SIPp start, response ms, rtd name) of every timer."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                p = line.strip().split(";")
                try:
                    out.append((float(p[0]), float(p[1]), p[2]))
                except (ValueError, IndexError):
                    pass
    except OSError:
        pass
    return out


def sampler(path, t0):
    """{second: (socket drops/s, CPU cores)} from run.sh's sampler.  Its
    samples are a second or more apart (sampling takes time on a loaded
    machine): each interval's rates go to every second it covers."""
    pts = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and float(p[0]) >= t0:
                    pts.append((float(p[0]) - t0, int(p[1]), float(p[2])))
    except (OSError, ValueError):
        pass
    out = {}
    for (ta, da, ca), (tb, db, cb) in zip(pts, pts[1:]):
        span = max(tb - ta, 1e-3)
        for t in range(int(ta), max(int(tb), int(ta) + 1)):
            out[t] = ((db - da) / span, (cb - ca) / span)
    return out


def first(pattern):
    found = sorted(glob.glob(pattern))
    return found[0] if found else ""


def timeline(a, rtts):
    """Per second since the caller started: what it offered and saw."""
    secs = {}

    def sec(t):
        return secs.setdefault(int(t), {"setup": [], "refused": 0,
                                        "offered": 0, "failed": 0,
                                        "drops": 0, "cpu": 0.0})
    for end, rt, rtd in rtts:
        if rtd == "1":
            sec(end / 1000.0)["setup"].append(rt)
        else:
            sec(end / 1000.0)["refused"] += 1
    # SIPp's periodic rows (-fd 1): row i holds the calls started and
    # failed in second i - 1; row 0 is the start.
    for i, r in enumerate(stat_rows(os.path.join(a.dir, "stat.csv"))[1:]):
        s = sec(i)
        s["offered"] += num(r, "OutgoingCall(P)")
        s["failed"] += num(r, "FailedCall(P)")
    for t, (d, c) in sampler(os.path.join(a.dir, "sampler.txt"),
                             a.t0).items():
        s = sec(t)
        s["drops"], s["cpu"] = d, c
    return secs


def recovery(a, secs):
    """Seconds after the switch until the server keeps up again, or None."""
    sw = a.switch - a.t0
    ok_from = None
    # The whole seconds within the low phase.
    for t in sorted(secs):
        if t < sw or t + 1 > sw + a.low_s:
            continue
        s = secs[t]
        p99 = pct(sorted(s["setup"]), 0.99)
        good = (len(s["setup"]) >= RECOVER_SHARE * s["offered"] and
                s["refused"] == 0 and p99 is not None and p99 < P99_MS)
        if good and ok_from is None:
            ok_from = t
        elif not good:
            ok_from = None
    return None if ok_from is None else round(ok_from - sw, 1)


def cmd_run(a):
    rtts = rtt_rows(first(os.path.join(a.dir, "*_rtt.csv")))
    uac = last_stat(os.path.join(a.dir, "stat.csv"))
    uas = last_stat(os.path.join(a.dir, "uas", "stat.csv"))
    attempted = num(uac, "OutgoingCall(C)")
    refused = refused_calls(first(os.path.join(a.dir, "*_counts.csv")))
    with_ra = sum(1 for x in rtts if x[2] == "2")
    accepted = attempted - refused
    completed = num(uac, "SuccessfulCall(C)") - refused
    failed = num(uac, "FailedCall(C)")
    sw_ms = 1000.0 * (a.switch - a.t0)
    # A setup belongs to the phase in which its first INVITE went out.
    high = sorted(rt for end, rt, rtd in rtts if rtd == "1"
                  and end - rt < sw_ms)
    low = sorted(rt for end, rt, rtd in rtts if rtd == "1"
                 and end - rt >= sw_ms)
    r503 = sorted(rt for end, rt, rtd in rtts if rtd != "1")
    secs = timeline(a, rtts)
    low_rate = max(1, a.rate // 2)
    rec = recovery(a, secs)
    with open(os.path.join(a.dir, "timeline.dat"), "w") as f:
        f.write("# s offered/s setup/s refused/s failed/s p99_ms drops "
                "cpu_cores\n")
        for t in sorted(secs):
            s = secs[t]
            p99 = pct(sorted(s["setup"]), 0.99)
            f.write("%d %d %d %d %d %s %.0f %.2f\n" % (
                t, s["offered"], len(s["setup"]), s["refused"], s["failed"],
                "NaN" if p99 is None else p99, s["drops"], s["cpu"]))
    done_pct = 100.0 * completed / accepted if accepted > 0 else None
    row = {
        "target": a.target, "rate": a.rate, "basis": a.basis,
        "high_rate": 2 * a.rate, "high_s": a.high_s,
        "low_rate": low_rate, "low_s": a.low_s,
        "attempted": attempted, "refused": refused,
        "refused_retry_after": with_ra, "accepted": accepted,
        "completed": completed, "failed": failed,
        "completed_pct": None if done_pct is None else round(done_pct, 3),
        "p50_setup_ms": pct(high, 0.5), "p99_setup_ms": pct(high, 0.99),
        "p99_setup_low_ms": pct(low, 0.99),
        "p99_503_ms": pct(r503, 0.99),
        "retrans": (num(uac, "Retransmissions(C)") +
                    num(uas, "Retransmissions(C)")),
        "sock_drops": a.sock_drops, "cpu_s": round(a.cpu_s, 2),
        "recovered_after_s": rec, "t0": a.t0,
        "switch_s": round(a.switch - a.t0, 3),
    }
    row["checks"] = checks(row)
    row["met"] = all(v for v, _ in row["checks"].values())
    print(json.dumps(row))
    return 0


def checks(r):
    """Issue 7's overload criteria: {name: (met, figure)}."""
    p = r["completed_pct"]
    return {
        "accepted calls completed >= %.1f %%" % COMPLETE_PCT:
            (p is not None and p >= COMPLETE_PCT,
             "completed %s %%" % fmt(p)),
        "p99 setup of accepted calls < %d ms" % P99_MS:
            (r["p99_setup_ms"] is not None and r["p99_setup_ms"] < P99_MS,
             "p99 setup %s ms" % fmt(r["p99_setup_ms"])),
        "excess answered at once (p99 < %d ms) with 503 + Retry-After"
        % P99_MS:
            (r["refused"] > 0 and r["refused_retry_after"] == r["refused"]
             and (r["p99_503_ms"] or 0) < P99_MS,
             "%d refused 503, %d with Retry-After, p99 %s ms" % (
                 r["refused"], r["refused_retry_after"],
                 fmt(r["p99_503_ms"]))),
        "full rate again after the load drops":
            (r["recovered_after_s"] is not None,
             "recovered: no" if r["recovered_after_s"] is None else
             "recovered after %s s" % r["recovered_after_s"]),
    }


def fmt(v):
    return "-" if v is None else str(v)


def section(rows):
    L = []
    w = L.append
    w("## Overload (issue 7)")
    w("")
    if not rows:
        w("Not run.")
        return "\n".join(L) + "\n"
    r0 = rows[0]
    w("Each server is offered twice its sustainable call rate R (its "
      "highest passing call step above, unless noted) for %d s, then R/2 "
      "for %d s.  A call answered 503 is refused, not failed; "
      "\"completed\" counts the accepted calls (not refused) that ended "
      "with the BYE's 200.  Setup p99 is of the accepted calls offered "
      "during the overload." % (r0["high_s"], r0["low_s"]))
    w("")
    w("| server | R/s (basis) | offered | refused 503 (Retry-After) | "
      "503 p99 ms | accepted | completed % | failed | setup p50/p99 ms | "
      "p99 after drop ms | sock drops | retrans | recovered |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        w("| %s | %d (%s) | %d | %d (%d) | %s | %d | %s | %d | %s/%s | %s "
          "| %d | %d | %s |" % (
              NAMES.get(r["target"], r["target"]), r["rate"], r["basis"],
              r["attempted"], r["refused"], r["refused_retry_after"],
              fmt(r["p99_503_ms"]), r["accepted"],
              fmt(r["completed_pct"]), r["failed"],
              fmt(r["p50_setup_ms"]), fmt(r["p99_setup_ms"]),
              fmt(r["p99_setup_low_ms"]), r["sock_drops"], r["retrans"],
              "no" if r["recovered_after_s"] is None else
              "after %s s" % r["recovered_after_s"]))
    w("")
    for r in rows:
        w("%s: " % NAMES.get(r["target"], r["target"]) + "; ".join(
            "%s: %s (%s)" % (k, "met" if ok else "missed", fig)
            for k, (ok, fig) in r["checks"].items()) + ".")
        w("")
    return "\n".join(L) + "\n"


def chart(rows, out):
    gp = shutil.which("gnuplot")
    if gp is None:
        return "gnuplot not installed: no overload chart"
    data = [(r, os.path.join(out, "overload", r["target"], "timeline.dat"))
            for r in rows]
    data = [(r, p) for r, p in data if os.path.exists(p)]
    if not data:
        return "no overload timeline: no chart"
    g = [terminal(gp),
         'set output "%s"' % os.path.join(out, "overload.png"),
         'set multiplot layout 2,%d title "Overload: 2R for %d s, then '
         'R/2 (per second since the caller started)"' % (
             len(data), rows[0]["high_s"]),
         "set grid", "set key top right", 'set xlabel "s"']
    for r, p in data:
        sw = r["high_s"]
        name = NAMES.get(r["target"], r["target"])
        g += ["unset logscale y", "set arrow 1 from %d, graph 0 to %d, "
              "graph 1 nohead dt 2 lc rgb \"gray\"" % (sw, sw),
              'set title "%s (R = %d/s): calls per second"' % (name,
                                                                 r["rate"]),
              'set ylabel "calls/s"',
              'plot "%s" using 1:2 with lines lw 2 title "offered", '
              '"" using 1:3 with lines lw 2 title "set up (200)", '
              '"" using 1:4 with lines lw 2 title "refused (503)", '
              '"" using 1:5 with lines lw 2 title "failed", '
              '"" using 1:7 with impulses title "server socket drops (datagrams)"' % p]
    for r, p in data:
        name = NAMES.get(r["target"], r["target"])
        g += ["set logscale y 10",
              'set title "%s: p99 setup of the calls set up each second"'
              % name, 'set ylabel "ms"',
              'plot "%s" using 1:($6 > 0 ? $6 : 0.5) with linespoints '
              'lw 2 title "p99 setup", 100 with lines dt 3 lc rgb "red" '
              'title "100 ms"' % p]
    return plot(gp, g, out, "overload")


def cmd_report(a):
    path = os.path.join(a.out, "overload.jsonl")
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(x) for x in f if x.strip()]
    md = section(rows)
    with open(os.path.join(a.out, "overload.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)
    print(chart(rows, a.out), file=sys.stderr)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    for k in ("target", "dir", "basis"):
        r.add_argument("--" + k, required=True)
    for k in ("rate", "high-s", "low-s", "sock-drops"):
        r.add_argument("--" + k, type=int, required=True)
    for k in ("t0", "switch", "cpu-s"):
        r.add_argument("--" + k, type=float, required=True)
    rep = sub.add_parser("report")
    rep.add_argument("out")
    a = p.parse_args()
    return cmd_run(a) if a.cmd == "run" else cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
