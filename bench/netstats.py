#!/usr/bin/env python3
"""Figures of the network benchmark (bench/net.sh calls this).

  netstats.py logins FILE --sites N            measurement 4 (netua.py out)
  netstats.py conv DIR --sites N --logins FILE  measurement 5
  netstats.py dirsync DIR --sites N --users U --t0 EPOCH --rss KIB,...
                                                measurement 6
  netstats.py xcall ROW --cpu-home S --cpu-host S   measurement 3: add
                                                each daemon's CPU to a
                                                stats.py row
  netstats.py md OUT [--smoke]                  OUT/net.jsonl -> OUT/net.md
                                                (and net.png unless --smoke)

Each of the first four prints one JSON object (a row of net.jsonl).
Times of arrival come from the sites' log lines: "YYYY-MM-DDTHH:MM:SS.mmmZ"
stamps (gettimeofday, the clock of every process on the machine, 1 ms
resolution), so observing them costs the sites nothing but the line.
"""
import argparse
import calendar
import glob
import json
import os
import re
import shutil
import sys
import time

import report		# bench/report.py: gnuplot terminal and runner

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z \w+ "
                   r"site=(\S+) (.*)$")
LOGIN_TARGET_MS = 20
CONV_TARGET_MS = 100
CONV_TARGET_SITES = 50


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def dist(v):
    """p50/p90/p99/max of v (ms), rounded."""
    r = lambda x: None if x is None else round(x, 2)
    return {"n": len(v), "p50_ms": r(pct(v, 0.5)), "p90_ms": r(pct(v, 0.9)),
            "p99_ms": r(pct(v, 0.99)), "max_ms": r(max(v) if v else None)}


def log_lines(path):
    """(epoch seconds, site, message) of every stamped line of path."""
    with open(path, errors="replace") as f:
        for ln in f:
            m = STAMP.match(ln)
            if m:
                t = calendar.timegm(time.strptime(m.group(1),
                                                  "%Y-%m-%dT%H:%M:%S"))
                yield t + int(m.group(2)) / 1000.0, m.group(3), m.group(4)


def kv(msg):
    return dict(re.findall(r"(\w+)=(\S+)", msg))


def cmd_logins(a):
    rows = [json.loads(x) for x in open(a.file) if x.strip()]
    ok = [r for r in rows if not r.get("error")]
    row = {"kind": "login", "sites": a.sites, "logins": len(rows),
           "failed": len(rows) - len(ok),
           "invite_200": dist([r["invite_200_ms"] for r in ok]),
           "auth_200": dist([r["auth_200_ms"] for r in ok]),
           "login_ring": dist([r["login_ring_ms"] for r in ok
                               if "login_ring_ms" in r]),
           "ok_ring": dist([r["ok_ring_ms"] for r in ok
                            if "ok_ring_ms" in r])}
    p99 = row["login_ring"]["p99_ms"]
    row["target"] = "login -> first rerouted call p99 < %d ms" % \
        LOGIN_TARGET_MS
    row["met"] = p99 is not None and p99 < LOGIN_TARGET_MS and \
        row["failed"] == 0
    print(json.dumps(row))


def cmd_conv(a):
    """Per login: home's grant -> the last site to learn the location."""
    grant, arrive, invite, users = {}, {}, {}, set()
    for r in (json.loads(x) for x in open(a.logins) if x.strip()):
        users.add(r["user"])
        if not r.get("error"):
            invite[r["user"]] = r["t_invite"]
    for path in glob.glob(os.path.join(a.dir, "s*.log")):
        for t, site, msg in log_lines(path):
            if msg.startswith("remote login granted "):
                k = kv(msg)
                if k["user"] not in users:
                    continue	# another measurement's login
                grant.setdefault((k["user"], k["gen"]), t)
            elif msg.startswith("remote login ok "):
                k = kv(msg)
                arrive.setdefault((k["user"], k["gen"]), {}).setdefault(
                    site, t)
            elif msg.startswith("location user="):
                k = kv(msg)
                arrive.setdefault((k["user"], k["gen"]), {}).setdefault(
                    site, t)
    conv, from_inv, incomplete = [], [], 0
    for key, t0 in grant.items():
        sites = arrive.get(key, {})
        # Every site but the home (which granted it) must learn it.
        if len(sites) < a.sites - 1:
            incomplete += 1
            continue
        last = max(sites.values())
        conv.append(1000 * (last - t0))
        if key[0] in invite:
            from_inv.append(1000 * (last - invite[key[0]]))
    row = {"kind": "convergence", "sites": a.sites, "logins": len(grant),
           "incomplete": incomplete, "from_grant": dist(conv),
           "from_invite": dist(from_inv)}
    if a.sites == CONV_TARGET_SITES:
        p99 = row["from_grant"]["p99_ms"]
        row["target"] = "%d sites p99 < %d ms" % (CONV_TARGET_SITES,
                                                  CONV_TARGET_MS)
        row["met"] = (p99 is not None and p99 < CONV_TARGET_MS and
                      incomplete == 0)
    print(json.dumps(row))


def cmd_dirsync(a):
    """Launch of the first site -> every site synced from every other."""
    last, synced, up_to_sync = {}, {}, []
    for path in glob.glob(os.path.join(a.dir, "s*.log")):
        up = {}
        for t, site, msg in log_lines(path):
            if msg.startswith("peer up "):
                up[kv(msg)["name"]] = t
            elif msg.startswith("directory sync received "):
                peer = kv(msg)["peer"]
                synced.setdefault(site, set()).add(peer)
                last[site] = max(last.get(site, 0), t)
                if peer in up:
                    up_to_sync.append(1000 * (t - up.pop(peer)))
    full = [s for s in synced if len(synced[s]) >= a.sites - 1]
    rss = [int(x) for x in a.rss.split(",") if x]
    entries = a.sites * a.users
    row = {"kind": "directory", "sites": a.sites, "users_per_site": a.users,
           "entries_per_site": entries, "sites_complete": len(full),
           "full_directory_s": (round(max(last[s] for s in full) - a.t0, 2)
                                if len(full) == a.sites else None),
           "link_up_to_sync": dist(up_to_sync),
           "rss_kib_mean": round(sum(rss) / len(rss)) if rss else None,
           "rss_kib_max": max(rss) if rss else None,
           "rss_kib_alone": a.rss_alone or None}
    if rss and a.rss_alone:
        extra = (sum(rss) / len(rss) - a.rss_alone) * 1024
        row["bytes_per_entry"] = round(extra / max(entries - a.users, 1))
    print(json.dumps(row))


def cmd_xcall(a):
    row = json.load(open(a.row))
    row["kind"] = "xcall"
    row["cpu_s_home"], row["cpu_s_host"] = a.cpu_home, a.cpu_host
    ok = row.get("ok") or 0
    for k, v in (("home", a.cpu_home), ("host", a.cpu_host)):
        row["cpu_s_per_1000_" + k] = (round(1000 * v / ok, 3) if ok
                                      else None)
    print(json.dumps(row))


def fmt(x, nd=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return "%.*f" % (nd, x)
    return str(x)


def md_xcall(rows, w):
    w("### 3. Calls across sites\n")
    w("Caller registered on s1 (authenticated) calls a user homed on s1 "
      "who is logged in at a phone of s2: SIPp -> s1 -> s2 -> SIPp.  "
      "Same pass rule as the one-site calls (< 0.1 % failed, no socket "
      "drops, no retransmissions, p99 < 100 ms).\n")
    w("| offered/s | achieved/s | failed % | p50 ms | p99 ms | retrans | "
      "drops | CPU s/1000 home | CPU s/1000 host | pass |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        w("| %d | %s | %s | %s | %s | %d | %d | %s | %s | %s |" % (
            r["offered"], fmt(r["achieved"]), fmt(r["fail_pct"], 2),
            fmt(r["p50_ms"]), fmt(r["p99_ms"]), r["retrans"],
            r["sock_drops"], fmt(r["cpu_s_per_1000_home"], 3),
            fmt(r["cpu_s_per_1000_host"], 3),
            "yes" if r["pass"] else "no: " + r["why"]))
    best = [r for r in rows if r["pass"]]
    if best:
        b = max(best, key=lambda r: r["offered"])
        w("\nHighest passing rate: **%d calls/s** (p50 %s ms, p99 %s ms; "
          "CPU s per 1,000 calls: home %s, host %s).\n" % (
              b["offered"], fmt(b["p50_ms"]), fmt(b["p99_ms"]),
              fmt(b["cpu_s_per_1000_home"], 3),
              fmt(b["cpu_s_per_1000_host"], 3)))
    else:
        w("\nNo step passed.\n")


def md_dist_row(w, what, d, extra=""):
    w("| %s | %s | %s | %s | %s | %s |%s" % (
        what, d["n"], fmt(d["p50_ms"]), fmt(d["p90_ms"]), fmt(d["p99_ms"]),
        fmt(d["max_ms"]), extra))


def md_login(rows, w):
    w("### 4. Remote hot-desk login\n")
    for r in rows:
        w("%d logins of distinct users homed on s1 at distinct phones of "
          "s2 (%d sites, %d failed), one after the other; after each 200 "
          "OK, s1's carrier sends a call to the user's DDI at once.\n"
          % (r["logins"], r["sites"], r["failed"]))
        w("| interval | n | p50 ms | p90 ms | p99 ms | max ms |")
        w("|---|---:|---:|---:|---:|---:|")
        md_dist_row(w, "(a) login INVITE -> 200 OK at the host "
                    "(digest challenge included)", r["invite_200"])
        md_dist_row(w, "(a') INVITE with credentials -> 200 OK",
                    r["auth_200"])
        md_dist_row(w, "(b) login INVITE -> DDI call at home rings the "
                    "host's phone", r["login_ring"])
        md_dist_row(w, "(b') 200 OK -> DDI call rings the host's phone",
                    r["ok_ring"])
        w("\nTarget %s: **%s** (p99 %s ms).\n" % (
            r["target"], "met" if r["met"] else "missed",
            fmt(r["login_ring"]["p99_ms"])))


def md_conv(rows, w):
    w("### 5. Directory convergence\n")
    w("Sites on one machine, full mesh of plain TCP peer links (no TLS). "
      "Logins of users homed on s1 at phones of s2; time from s1's grant "
      "(its log line) to the last of the other sites logging the new "
      "location (the host: its login line); the last column from the "
      "phone's login INVITE instead.  Log stamps: 1 ms resolution.\n")
    w("| sites | logins | incomplete | p50 ms | p99 ms | max ms | "
      "p99 from INVITE ms |")
    w("|---:|---:|---:|---:|---:|---:|---:|")
    target = None
    for r in rows:
        g = r["from_grant"]
        w("| %d | %d | %d | %s | %s | %s | %s |" % (
            r["sites"], r["logins"], r["incomplete"], fmt(g["p50_ms"]),
            fmt(g["p99_ms"]), fmt(g["max_ms"]),
            fmt(r["from_invite"]["p99_ms"])))
        if "target" in r:
            target = r
    if target:
        w("\nTarget %s: **%s**.\n" % (target["target"],
                                      "met" if target["met"] else "missed"))
    else:
        w("\n(Target %d sites p99 < %d ms: no %d-site run.)\n" % (
            CONV_TARGET_SITES, CONV_TARGET_MS, CONV_TARGET_SITES))


def md_dir(rows, w):
    w("### 6. Network directory\n")
    w("Every site started at once (highest id first), plain TCP full "
      "mesh; each site's users have no login code (no PBKDF2 at "
      "start-up).  99 sites, not 100: site ids are 1-99 "
      "(DESIGN.md section 1).\n")
    w("| sites x users | entries/site | sites complete | launch -> full "
      "directory everywhere s | link up -> sync p50/p99 ms | RSS/site "
      "mean (max) MiB | RSS alone MiB | bytes/entry |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        l = r["link_up_to_sync"]
        mib = lambda k: fmt(r[k] / 1024.0 if r.get(k) else None)
        w("| %d x %d | %d | %d | %s | %s / %s | %s (%s) | %s | %s |" % (
            r["sites"], r["users_per_site"], r["entries_per_site"],
            r["sites_complete"], fmt(r["full_directory_s"], 2),
            fmt(l["p50_ms"]), fmt(l["p99_ms"]), mib("rss_kib_mean"),
            mib("rss_kib_max"), mib("rss_kib_alone"),
            fmt(r.get("bytes_per_entry"))))
    w("")


def net_chart(rows, out):
    """net.png: calls across sites (achieved, latency) and convergence."""
    gp = shutil.which("gnuplot")
    if gp is None:
        return "gnuplot not installed: no chart"
    xc = sorted((r for r in rows if r["kind"] == "xcall"),
                key=lambda r: r["offered"])
    cv = sorted((r for r in rows if r["kind"] == "convergence"),
                key=lambda r: r["sites"])
    if not xc and not cv:
        return "no data: no chart"
    nan = lambda x: "NaN" if x is None else x
    g = [report.terminal(gp), 'set output "%s"' % os.path.join(out,
                                                              "net.png"),
         'set multiplot layout 1,%d title "Roam network (one machine)"'
         % ((2 if xc else 0) + (1 if cv else 0)), "set grid",
         "set key top left"]
    if xc:
        fn = os.path.join(out, "plot-net-xcall.dat")
        with open(fn, "w") as f:
            for r in xc:
                f.write("%d %s %s %s\n" % (r["offered"], r["achieved"],
                                           nan(r["p50_ms"]),
                                           nan(r["p99_ms"])))
        g += ['set xlabel "offered calls/s"', 'set ylabel "calls/s"',
              'set title "calls across sites: achieved"',
              'plot "%s" using 1:2 with linespoints lw 2 title "achieved",'
              ' x with lines dt 2 lc rgb "gray" title "offered"' % fn,
              'set ylabel "ms"', "set logscale y 10",
              'set title "calls across sites: setup latency"',
              'plot "%s" using 1:3 with linespoints lw 2 title "p50", '
              '"%s" using 1:4 with linespoints lw 2 title "p99", 100 with '
              'lines dt 3 lc rgb "red" title "p99 limit"' % (fn, fn),
              "unset logscale y"]
    if cv:
        fn = os.path.join(out, "plot-net-conv.dat")
        with open(fn, "w") as f:
            for r in cv:
                d = r["from_grant"]
                f.write("%d %s %s %s\n" % (r["sites"], nan(d["p50_ms"]),
                                           nan(d["p99_ms"]),
                                           nan(d["max_ms"])))
        g += ['set xlabel "sites"', 'set ylabel "ms"',
              'set title "directory convergence (login -> every site)"',
              'plot "%s" using 1:2 with linespoints lw 2 title "p50", '
              '"%s" using 1:3 with linespoints lw 2 title "p99", '
              '"%s" using 1:4 with linespoints lw 2 title "max", '
              '%d with lines dt 3 lc rgb "red" title "target p99 (50 '
              'sites)"' % (fn, fn, fn, CONV_TARGET_MS)]
    return report.plot(gp, g, out, "net")


def cmd_md(a):
    rows = [json.loads(x) for x in open(os.path.join(a.out, "net.jsonl"))
            if x.strip()]
    out = []
    w = out.append
    w("## Network\n")
    note = os.path.join(a.out, "net-machine.txt")
    if os.path.exists(note):
        for ln in open(note):
            w("- " + ln.strip())
        w("")
    for kind, fn in (("xcall", md_xcall), ("login", md_login),
                     ("convergence", md_conv), ("directory", md_dir)):
        sel = [r for r in rows if r["kind"] == kind]
        if sel:
            fn(sel, w)
    if not a.smoke:
        what = net_chart(rows, a.out)
        w("Chart: net.png" if what.startswith("chart:") else
          "(%s)" % what)
    with open(os.path.join(a.out, "net.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("logins")
    s.add_argument("file")
    s.add_argument("--sites", type=int, required=True)
    s = sub.add_parser("conv")
    s.add_argument("dir")
    s.add_argument("--sites", type=int, required=True)
    s.add_argument("--logins", required=True)
    s = sub.add_parser("dirsync")
    s.add_argument("dir")
    s.add_argument("--sites", type=int, required=True)
    s.add_argument("--users", type=int, required=True)
    s.add_argument("--t0", type=float, required=True)
    s.add_argument("--rss", default="")
    s.add_argument("--rss-alone", type=int, default=0)
    s = sub.add_parser("xcall")
    s.add_argument("row")
    s.add_argument("--cpu-home", type=float, required=True)
    s.add_argument("--cpu-host", type=float, required=True)
    s = sub.add_parser("md")
    s.add_argument("out")
    s.add_argument("--smoke", action="store_true", help="no chart")
    a = p.parse_args()
    {"logins": cmd_logins, "conv": cmd_conv, "dirsync": cmd_dirsync,
     "xcall": cmd_xcall, "md": cmd_md}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
