#!/usr/bin/env python3
"""Turn bench/run.sh's step results into OUT/results.md and a chart.

  report.py OUT [--smoke]

Reads OUT/results.jsonl (one JSON line per step, from stats.py) and
OUT/machine.txt (key: value lines), writes OUT/results.md (also printed)
and, when gnuplot is installed, OUT/results.png.  With --smoke, exits 1
unless every measurement has a row with a non-zero achieved rate.
"""
import json
import os
import shutil
import subprocess
import sys

KINDS = (("reg", "REGISTER with digest auth", "registrations/s"),
         ("call", "Calls (INVITE-180-200-ACK, hold, BYE), caller "
          "authenticated", "calls/s"))
TARGETS = ("roam", "kamailio")
NAMES = {"roam": "Roam", "kamailio": "Kamailio"}


def load(out):
    rows = []
    path = os.path.join(out, "results.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(x) for x in f if x.strip()]
    machine = []
    mpath = os.path.join(out, "machine.txt")
    if os.path.exists(mpath):
        with open(mpath) as f:
            machine = [x.rstrip("\n") for x in f if x.strip()]
    return rows, machine


def fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(nd) + "f") % v
    return str(v)


def best(rows, kind, target):
    """The highest passing step of a measurement, or None."""
    ok = [r for r in rows if r["kind"] == kind and r["target"] == target
          and r["pass"]]
    return max(ok, key=lambda r: r["offered"]) if ok else None


def table(rows, machine):
    L = []
    w = L.append
    w("# Roam benchmark results")
    w("")
    for m in machine:
        w("- " + m)
    w("")
    w("A step passes when < 0.1 % of operations fail, the server's UDP "
      "socket drops nothing, SIPp retransmits nothing and p99 < 100 ms. "
      "Latency: REGISTER = first REGISTER to 200 (both round trips); "
      "call = first INVITE to 200 (407 challenge included).")
    w("")
    w("| measurement | server | offered/s | achieved/s | failed % | "
      "p50 ms | p99 ms | retrans | sock drops | host rcvbuf errs | "
      "CPU s/1000 ops | pass |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind, label, _ in KINDS:
        for r in rows:
            if r["kind"] != kind:
                continue
            w("| %s | %s | %d | %s | %s | %s | %s | %d | %d | %d | %s | %s |"
              % (kind, NAMES.get(r["target"], r["target"]), r["offered"],
                 fmt(r["achieved"]), fmt(r["fail_pct"], 2),
                 fmt(r["p50_ms"], 0), fmt(r["p99_ms"], 0), r["retrans"],
                 r["sock_drops"], r["rcvbuf_errors"],
                 fmt(r["cpu_s_per_1000"], 3),
                 "yes" if r["pass"] else "no: " + r["why"]))
    w("")
    w("## Highest passing step")
    w("")
    w("| measurement | Roam | Kamailio | Roam/Kamailio |")
    w("|---|---:|---:|---:|")
    for kind, label, unit in KINDS:
        b = {t: best(rows, kind, t) for t in TARGETS}
        if not any(r["kind"] == kind for r in rows):
            continue
        cells = []
        for t in TARGETS:
            r = b[t]
            if r is None:
                ran = any(x["kind"] == kind and x["target"] == t
                          for x in rows)
                cells.append("none passed" if ran else "not run")
            else:
                cells.append("%d offered, %s achieved %s, p50/p99 %s/%s "
                             "ms, %s CPU s/1000" % (
                                 r["offered"], fmt(r["achieved"]), unit,
                                 fmt(r["p50_ms"], 0), fmt(r["p99_ms"], 0),
                                 fmt(r["cpu_s_per_1000"], 3)))
        if b["roam"] and b["kamailio"] and b["kamailio"]["achieved"]:
            ratio = "%.2f" % (b["roam"]["achieved"] /
                              b["kamailio"]["achieved"])
        else:
            ratio = "-"
        w("| %s | %s | %s | %s |" % (label, cells[0], cells[1], ratio))
    w("")
    return "\n".join(L) + "\n"


def chart(rows, out):
    """results.png: achieved rate and p99 against offered rate."""
    gp = shutil.which("gnuplot")
    if gp is None:
        return "gnuplot not installed: no chart"
    files = {}
    for kind, _, _ in KINDS:
        for t in TARGETS:
            sel = sorted((r for r in rows if r["kind"] == kind
                          and r["target"] == t), key=lambda r: r["offered"])
            if not sel:
                continue
            fn = os.path.join(out, "plot-%s-%s.dat" % (kind, t))
            with open(fn, "w") as f:
                for r in sel:
                    f.write("%d %s %s\n" % (r["offered"], r["achieved"],
                                            r["p99_ms"] if r["p99_ms"]
                                            is not None else "NaN"))
            files[(kind, t)] = fn
    if not files:
        return "no data: no chart"
    g = ['set terminal pngcairo size 1400,900 font "sans,10"'
         if "pngcairo" in subprocess.run([gp, "-e", "set terminal"],
                                         capture_output=True,
                                         text=True).stderr
         else 'set terminal png size 1400,900',
         'set output "%s"' % os.path.join(out, "results.png"),
         "set multiplot layout 2,2 title \"Roam vs Kamailio (%s)\""
         % "same run, same machine",
         "set grid", "set logscale x 2", "set key top left",
         "set xlabel \"offered rate (/s)\""]
    for kind, label, unit in KINDS:
        for col, ylabel, extra in ((2, "achieved " + unit, "unset logscale y"),
                                   (3, "p99 latency (ms)",
                                    "set logscale y 10")):
            plots = []
            for t in TARGETS:
                if (kind, t) in files:
                    plots.append('"%s" using 1:%d with linespoints lw 2 '
                                 'title "%s"' % (files[(kind, t)], col,
                                                 NAMES[t]))
            if col == 2:
                plots.append('x with lines dt 2 lc rgb "gray" '
                             'title "offered"')
            elif plots:
                plots.append('100 with lines dt 3 lc rgb "red" '
                             'title "p99 limit (100 ms)"')
            g += [extra, 'set title "%s: %s"' % (kind == "reg" and
                                                 "REGISTER" or "calls",
                                                 ylabel),
                  'set ylabel "%s"' % ylabel,
                  "plot " + ", ".join(plots) if plots else
                  'plot 1/0 notitle']
    g.append("unset multiplot")
    script = os.path.join(out, "results.gp")
    with open(script, "w") as f:
        f.write("\n".join(g) + "\n")
    r = subprocess.run([gp, script], capture_output=True, text=True)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip()
    return "chart: " + os.path.join(out, "results.png")


def main():
    out = sys.argv[1]
    smoke = "--smoke" in sys.argv[2:]
    rows, machine = load(out)
    md = table(rows, machine)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)
    print(chart(rows, out))
    if smoke:
        for kind, _, _ in KINDS:
            sel = [r for r in rows if r["kind"] == kind
                   and r["target"] == "roam"]
            if not sel or not any(r["achieved"] > 0 and r["ok"] > 0
                                  for r in sel):
                print("SMOKE FAIL: no %s step with a non-zero achieved "
                      "rate" % kind)
                return 1
        print("smoke ok: every measurement has a non-zero achieved rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
