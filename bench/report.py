#!/usr/bin/env python3
"""Turn bench/run.sh's results into OUT/results.md and a chart.

  report.py OUT [--smoke]

Reads OUT/results.jsonl (one JSON line per step, from stats.py) and
OUT/machine.txt (key: value lines), writes OUT/results.md (also printed)
and, when gnuplot is installed, OUT/results.png.  Then come the targets of
issue 7, met or missed, and the sections the other measurements wrote:
OUT/overload.md (overload.py), OUT/net.md (bench/net.sh), OUT/growth.md
(bench/growth.sh), each with its charts (OUT/NAME*.png); a row of
OUT/NAME.jsonl with a "target" text and a "met" boolean (and optionally
a "figure" text) is one of the targets.  With --smoke, exits 1 unless
every measurement that ran has a row with a non-zero achieved rate.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

KINDS = (("reg", "REGISTER with digest auth", "registrations/s"),
         ("call", "Calls (INVITE-180-200-ACK, hold, BYE), caller "
          "authenticated", "calls/s"))
TARGETS = ("roam", "kamailio")
# The sections appended, in this order, when their file is there.
PARTS = (("overload", "Overload"), ("net", "Network"),
         ("growth", "Cost growth"))
NAMES = {"roam": "Roam", "kamailio": "Kamailio"}


def jsonl(out, name):
    path = os.path.join(out, name + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def load(out):
    rows = jsonl(out, "results")
    machine = []
    mpath = os.path.join(out, "machine.txt")
    if os.path.exists(mpath):
        with open(mpath) as f:
            machine = [x.rstrip("\n") for x in f if x.strip()]
    dpath = os.path.join(out, "durations.txt")
    if os.path.exists(dpath):
        with open(dpath) as f:
            machine.append("run time: " + ", ".join(
                x.strip() for x in f if x.strip()))
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
    if not rows:
        w("No registration or call step in this run.")
        w("")
        return "\n".join(L) + "\n"
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
    w("Roam/Kamailio: the ratio of the highest passing offered rates (the "
      "step grid decides; achieved rates of passing steps are the offered "
      "ones within noise).")
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
        r = ratio(rows, kind)[2]
        w("| %s | %s | %s | %s |" % (label, cells[0], cells[1],
                                     "-" if r is None else "%.2f" % r))
    w("")
    return "\n".join(L) + "\n"


def terminal(gp):
    """gnuplot's PNG terminal: pngcairo when there, else png."""
    r = subprocess.run([gp, "-e", "set terminal"], capture_output=True,
                       text=True)
    if "pngcairo" in r.stderr:
        return 'set terminal pngcairo size 1400,900 font "sans,10"'
    return "set terminal png size 1400,900"


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
    # One row of charts (achieved, p99) per measurement that ran.
    kinds = [k for k in KINDS if any((k[0], t) in files for t in TARGETS)]
    g = [terminal(gp),
         'set output "%s"' % os.path.join(out, "results.png"),
         "set multiplot layout %d,2 title \"Roam vs Kamailio (same run, "
         "same machine)\"" % len(kinds),
         "set grid", "set logscale x 2", "set key top left",
         "set xlabel \"offered rate (/s)\""]
    for kind, label, unit in kinds:
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
    return plot(gp, g, out, "results")


def plot(gp, lines, out, name):
    """Run the multiplot script LINES, which writes OUT/NAME.png."""
    script = os.path.join(out, name + ".gp")
    with open(script, "w") as f:
        f.write("\n".join(lines + ["unset multiplot"]) + "\n")
    r = subprocess.run([gp, script], capture_output=True, text=True)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip()
    return "chart: " + os.path.join(out, name + ".png")


def ratio(rows, kind):
    """(Roam's best, Kamailio's best, Roam/Kamailio of their offered
    rates or None)."""
    b = [best(rows, kind, t) for t in TARGETS]
    if b[0] and b[1]:
        return b[0], b[1], b[0]["offered"] / b[1]["offered"]
    return b[0], b[1], None


def targets(rows, out):
    """Issue 7's targets, each met or missed with its figure."""
    L = ["## Targets of issue 7", "",
         "| target | figure (this run) | |", "|---|---|---|"]
    w = L.append

    def row(name, met, figure):
        w("| %s | %s | %s |" % (name, figure, "not measured" if met is None
                                else "**met**" if met else "**missed**"))
    roam, kam, r = ratio(rows, "reg")
    row("Registrations/s >= 1.0 x Kamailio's", None if r is None
        else r >= 1.0, "-" if r is None else "%.2f (%d / %d /s)" % (
            r, roam["offered"], kam["offered"]))
    roam, kam, r = ratio(rows, "call")
    # "At that rate": Roam's lowest passing step that reaches half of
    # Kamailio's rate, and its p99.
    half = sorted((x for x in rows if x["kind"] == "call" and x["pass"]
                   and x["target"] == "roam" and kam
                   and x["offered"] >= 0.5 * kam["offered"]),
                  key=lambda x: x["offered"])
    row("Calls/s >= 0.5 x Kamailio's proxied calls/s, p99 setup < 50 ms "
        "at that rate", None if r is None else
        bool(half) and half[0]["p99_ms"] < 50,
        "-" if r is None else "%.2f (%d / %d /s); p99 %s ms at %s/s" % (
            r, roam["offered"], kam["offered"],
            fmt(half[0]["p99_ms"], 0) if half else "-",
            "%d" % half[0]["offered"] if half else "-"))
    ol = [x for x in jsonl(out, "overload") if x.get("target") == "roam"]
    row("Overload: 2x the sustainable rate answered with 503 + "
        "Retry-After, >= 99.9 % of accepted calls complete, p99 < 100 ms, "
        "recovery", ol[0]["met"] if ol else None,
        "; ".join(fig + ("" if ok else " (missed)")
                  for ok, fig in ol[0]["checks"].values()) if ol else "-")
    for name, title in PARTS[1:]:
        found = [x for x in jsonl(out, name)
                 if isinstance(x.get("target"), str)
                 and isinstance(x.get("met"), bool)]
        for x in found:
            row(x["target"], x["met"],
                x.get("figure") or "see the %s section" % title)
        if not found:
            row("%s targets (bench/%s.sh)" % (title, name), None, "-")
    w("")
    return "\n".join(L) + "\n"


def parts(out):
    """The sections of the other measurements, with their charts."""
    L = []
    for name, title in PARTS:
        md = os.path.join(out, name + ".md")
        if not os.path.exists(md):
            continue
        with open(md) as f:
            text = f.read()
        L.append(text.rstrip("\n") + "\n")
        for png in sorted(glob.glob(os.path.join(out, name + "*.png"))):
            base = os.path.basename(png)
            if base not in text:
                L.append("![%s](%s)\n" % (title, base))
        L.append("")
    skipped = os.path.join(out, "skipped.txt")
    if os.path.exists(skipped):
        with open(skipped) as f:
            L += ["## Not run", ""] + ["- " + x.strip() for x in f
                                       if x.strip()] + [""]
    return "\n".join(L)


def smoke_check(rows, out):
    """In smoke mode: every measurement that ran produced something."""
    for kind, _, _ in KINDS:
        sel = [r for r in rows if r["kind"] == kind and r["target"] == "roam"]
        if not any(r["achieved"] > 0 and r["ok"] > 0 for r in sel):
            return "no %s step with a non-zero achieved rate" % kind
    ol = [x for x in jsonl(out, "overload") if x.get("target") == "roam"]
    if not ol or ol[0]["completed"] <= 0 and ol[0]["refused"] <= 0:
        return "the overload run completed no call and refused none"
    return None


def main():
    out = sys.argv[1]
    smoke = "--smoke" in sys.argv[2:]
    rows, machine = load(out)
    md = table(rows, machine)
    msg = chart(rows, out)
    if os.path.exists(os.path.join(out, "results.png")):
        md += "![Roam vs Kamailio](results.png)\n\n"
    md += targets(rows, out) + parts(out)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)
    print(msg)
    if smoke:
        why = smoke_check(rows, out)
        if why:
            print("SMOKE FAIL: " + why)
            return 1
        print("smoke ok: every measurement produced results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
