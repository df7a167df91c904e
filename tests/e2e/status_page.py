#!/usr/bin/env python3
"""Helpers for tests/e2e/test_status_page.sh (Python standard library only).

  status_page.py rows FILE
      Print the "who sits where" table of a dumped page (chromium
      --dump-dom), one row a line: NUMBER|STATE|NAME|HOME|SITE|EXT|ACTION,
      where ACTION is "logout" when the row has a logout button.  Also
      prints "site NAME" (the header) and "img N" (number of <img> tags,
      which the page never creates: one means markup got in).

  status_page.py click-logout CHROMIUM URL USER PNG
      Open URL in headless Chromium driven over the DevTools protocol on
      a pipe (--remote-debugging-pipe: no port, no websocket library),
      wait for user USER's logout button, click it like an admin would,
      wait until the page reports the logout, then save a phone-sized
      screenshot to PNG.  Prints the final rows as "rows" does.
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser


class UsersTable(HTMLParser):
    """Collect the rows of <table id="users"> and a few page facts."""

    def __init__(self):
        super().__init__()
        self.in_table = False
        self.row = None
        self.cell = None
        self.rows = []
        self.site = ""
        self.in_site = False
        self.imgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs += 1
        if tag == "span" and a.get("id") == "site-name":
            self.in_site = True
        if tag == "table" and a.get("id") == "users":
            self.in_table = True
        if not self.in_table:
            return
        if tag == "tr" and "data-user" in a:
            self.row = {"user": a["data-user"],
                        "state": a.get("data-state", ""),
                        "cells": [], "action": ""}
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "button" and self.row is not None and \
                "logout" in (a.get("class") or "").split():
            self.row["action"] = "logout"

    def handle_endtag(self, tag):
        if tag == "span":
            self.in_site = False
        if not self.in_table:
            return
        if tag == "td" and self.row is not None and self.cell is not None:
            self.row["cells"].append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.in_site:
            self.site += data


def rows(html):
    """The lines the "rows" command prints for a page."""
    p = UsersTable()
    p.feed(html)
    out = ["site " + p.site.strip(), "img %d" % p.imgs]
    for r in p.rows:
        c = (r["cells"] + [""] * 6)[:6]
        # number, name, home, site, extension, (since)
        out.append("|".join([r["user"], r["state"], c[1], c[2], c[3], c[4],
                             r["action"]]))
    return out


class Cdp:
    """The DevTools protocol over --remote-debugging-pipe (fd 3 in, 4 out):
    JSON messages separated by NUL bytes."""

    def __init__(self, chromium, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The child must see the pipes as fds 3 and 4: move both out of
        # the way first, as either may itself be 3 or 4.
        def child_fds():
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=child_fds,
            close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.seq = 0

    def call(self, method, params=None, session=None, timeout=20):
        """Send one command and wait for its answer."""
        self.seq += 1
        msg = {"id": self.seq, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if m.get("id") == self.seq:
                    if "error" in m:
                        raise RuntimeError("%s: %s" % (method, m["error"]))
                    return m.get("result", {})
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        raise RuntimeError("%s: no answer in %d s" % (method, timeout))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def evaluate(cdp, session, expr):
    """The value of a JavaScript expression in the page."""
    r = cdp.call("Runtime.evaluate", {"expression": expr,
                                      "returnByValue": True}, session)
    return r.get("result", {}).get("value")


def wait_for(cdp, session, expr, what, timeout=15):
    """Wait until expr is truthy in the page."""
    end = time.time() + timeout
    while time.time() < end:
        if evaluate(cdp, session, expr):
            return
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for " + what)


def click_logout(chromium, url, user, png):
    """Click user's logout button on the page; return the final rows."""
    button = 'document.querySelector(\'button.logout[data-user="%s"]\')' % \
        user
    with tempfile.TemporaryDirectory(prefix="roam-cdp-") as profile:
        cdp = Cdp(chromium, profile)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"})
            session = cdp.call("Target.attachToTarget", {
                "targetId": target["targetId"], "flatten": True})["sessionId"]
            cdp.call("Emulation.setDeviceMetricsOverride", {
                "width": 390, "height": 844, "deviceScaleFactor": 2,
                "mobile": True}, session)
            cdp.call("Page.enable", {}, session)
            cdp.call("Page.navigate", {"url": url}, session)
            wait_for(cdp, session, button + " !== null",
                     "the logout button of user " + user)
            evaluate(cdp, session, button + ".click(); true")
            wait_for(cdp, session,
                     'document.getElementById("banner").textContent'
                     '.indexOf("User %s logged out") >= 0' % user,
                     "the page to confirm the logout")
            # One more poll so the table shows where the user went.
            time.sleep(2.5)
            html = evaluate(cdp, session,
                            "document.documentElement.outerHTML")
            shot = cdp.call("Page.captureScreenshot", {"format": "png"},
                            session)
            with open(png, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        finally:
            cdp.close()
    return rows(html)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "rows":
        with open(sys.argv[2], encoding="utf-8") as f:
            print("\n".join(rows(f.read())))
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "click-logout":
        print("\n".join(click_logout(*sys.argv[2:])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
