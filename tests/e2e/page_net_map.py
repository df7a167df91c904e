#!/usr/bin/env python3
"""The network map of a dumped status page (chromium --dump-dom), for
tests/e2e/test_status_page_network.sh (Python standard library only).

  page_net_map.py FILE

Prints one line per site node of <svg id="map">: "site NAME CLASS"
(CLASS: "self" for the page's own site, else the peer link state "up" or
"down"), then one line per drawn link: "link PEER CLASS", then
"note TEXT" with the text under the map (empty when all is well).
"""
import sys
from html.parser import HTMLParser


class NetworkMap(HTMLParser):
    """Collect the <g data-site> nodes and <line data-peer> links."""

    def __init__(self):
        super().__init__()
        self.in_map = False
        self.site = None
        self.sites = []
        self.links = []
        self.in_note = False
        self.note = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("id") == "map":
            self.in_map = True
        if tag == "p" and a.get("id") == "map-note":
            self.in_note = True
        if not self.in_map:
            return
        if tag == "g" and "data-site" in a:
            self.site = a["data-site"]
        elif tag == "circle" and self.site is not None:
            self.sites.append((self.site, a.get("class") or ""))
        elif tag == "line" and "data-peer" in a:
            self.links.append((a["data-peer"], a.get("class") or ""))

    def handle_endtag(self, tag):
        if tag == "g":
            self.site = None
        elif tag == "svg":
            self.in_map = False
        elif tag == "p":
            self.in_note = False

    def handle_data(self, data):
        if self.in_note:
            self.note += data


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    p = NetworkMap()
    with open(sys.argv[1], encoding="utf-8") as f:
        p.feed(f.read())
    for name, cls in p.sites:
        print("site %s %s" % (name, cls))
    for name, cls in p.links:
        print("link %s %s" % (name, cls))
    print("note " + p.note.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
