#!/bin/bash
# Packaging (issue 6): cpack builds a .deb in a scratch build tree; it
# holds the binaries, man pages, the systemd unit, a private sample config
# and maintainer scripts that create the roamd user and the live config but
# enable and start nothing; its Depends name the Debian packages of every
# library the binaries need.  The package is unpacked into a throwaway
# root, where the installed roamd checks the installed sample (roamd -n),
# the maintainer scripts run against that root (DPKG_ROOT) with the system
# commands stubbed, and `systemd-analyze verify` checks the unit when the
# tool is there.  When roamd speaks sd_notify, it must say READY=1,
# WATCHDOG=1 and STOPPING=1 to a NOTIFY_SOCKET like systemd's.
. "$(dirname "$0")/lib.sh"

for tool in cmake cpack dpkg-deb dpkg-query readelf python3; do
	command -v "$tool" >/dev/null || fail "$tool is needed (see .ci/deps)"
done
SRC=$(cd "$E2E_DIR/../.." && pwd)
BUILD=$T/build
ROOT=$T/root

# --- build the package --------------------------------------------------
# Only the two programs are built: `cpack` would otherwise build every
# test first (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY).
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
    >"$T/cmake.log" 2>&1 || { tail -20 "$T/cmake.log"; fail "cmake"; }
cmake --build "$BUILD" -j "$(nproc)" --target roamd roamctl \
    >"$T/build.log" 2>&1 || { tail -30 "$T/build.log"; fail "build"; }
(cd "$BUILD" && cpack -G DEB) >"$T/cpack.log" 2>&1 ||
    { tail -30 "$T/cpack.log"; fail "cpack"; }
DEB=$(ls "$BUILD"/roam_*.deb)
[ -f "$DEB" ] || fail "cpack made no roam_*.deb"
ok "cpack built ${DEB##*/}"

# --- contents -----------------------------------------------------------
dpkg-deb -c "$DEB" >"$T/contents"
has_file()
{
	grep -Eq "^$1 +[^ ]+ +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" "$T/contents" ||
	    fail "package lacks $2 with mode $1: $(grep -F "$2" "$T/contents")"
}
has_file '-rwxr-xr-x' usr/sbin/roamd
has_file '-rwxr-xr-x' usr/sbin/roamctl
has_file '-rw-r--r--' usr/share/man/man8/roamd.8
has_file '-rw-r--r--' usr/share/man/man8/roamctl.8
has_file '-rw-r--r--' usr/share/man/man5/roamd.yaml.5
has_file '-rw-r--r--' lib/systemd/system/roamd.service
# The sample holds passwords: owner-only, as roamd wants its config.
has_file '-rw-------' etc/roamd/roamd.yaml.sample
grep -q ' root/root ' "$T/contents" || fail "files not owned by root"
! grep -v ' root/root ' "$T/contents" | grep -q . ||
    fail "files not owned by root: $(grep -v ' root/root ' "$T/contents")"
ok "binaries, man pages, unit and sample config in the package"

dpkg-deb -I "$DEB" >"$T/info"
for f in postinst prerm postrm conffiles; do
	grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +.* $f( |\$)" "$T/info" ||
	    fail "control archive lacks $f"
done
[ "$(dpkg-deb -f "$DEB" Package)" = roam ] || fail "package name"
mkdir -p "$T/control"
dpkg-deb -e "$DEB" "$T/control"
grep -qx /etc/roamd/roamd.yaml.sample "$T/control/conffiles" ||
    fail "the sample is not a conffile"
for f in postinst prerm postrm; do
	[ -x "$T/control/$f" ] || fail "$f is not executable"
	sh -n "$T/control/$f" || fail "$f: shell syntax"
done
# Nothing is enabled or started by installing (the admin does that).
STARTS='systemctl +(--[a-z-]+ +)*(enable|start|restart|reenable)'
STARTS="$STARTS|deb-systemd-invoke +start|invoke-rc\\.d|update-rc\\.d"
if grep -v '^[[:space:]]*#' "$T/control/postinst" | grep -En "$STARTS"; then
	fail "postinst enables or starts a service"
fi
ok "maintainer scripts present, executable, start nothing"

# Depends names the package of every library the binaries link.
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
for want in libevent-2.1-7 libevent-openssl-2.1-7 libsqlite3-0 \
    libyaml-0-2 libosip2-15 libssl3 adduser; do
	echo "$DEPENDS" | grep -Eq "(^|, )$want( |,|\$)" ||
	    fail "Depends lacks $want: $DEPENDS"
done
for bin in roamd roamctl; do
	for so in $(readelf -d "$BUILD/$bin" |
	    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		# Packages holding it (other architectures' too): one listed.
		pkgs=$(dpkg-query -S "*/$so" 2>/dev/null | cut -d: -f1 |
		    tr ',' '\n' | tr -d ' ' | sort -u)
		[ -n "$pkgs" ] || fail "$bin needs $so, in no installed package"
		found=
		for pkg in $pkgs; do
			echo "$DEPENDS" | grep -Eq "(^|, )$pkg( |,|\$)" &&
			    found=$pkg
		done
		[ -n "$found" ] || fail "$bin needs $so from" $pkgs \
		    "- none in Depends: $DEPENDS"
	done
done
ok "Depends covers every library: $DEPENDS"

# --- unpack and check the installed config -------------------------------
dpkg-deb -x "$DEB" "$ROOT"
SAMPLE=$ROOT/etc/roamd/roamd.yaml.sample
out=$("$ROOT/usr/sbin/roamd" -n -c "$SAMPLE" 2>&1) ||
    fail "installed roamd -n refuses the installed sample: $out"
assert_contains "$out" "configuration OK" "installed roamd -n: config OK"
# Installed, the sample keeps state where the unit lets roamd write and
# where roamctl looks by default.
grep -Eq '^  database: /var/lib/roamd/' "$SAMPLE" ||
    fail "the installed sample's database is not in /var/lib/roamd"
grep -Eq '^  control: /run/roamd/roamd.sock' "$SAMPLE" ||
    fail "the installed sample's control socket is not /run/roamd/roamd.sock"
ok "installed roamd -n accepts the installed sample: $out"

# --- the unit -----------------------------------------------------------
UNIT=$ROOT/lib/systemd/system/roamd.service
for line in 'Type=notify' 'User=roamd' 'Group=roamd' 'Restart=on-failure' \
    'ExecStart=/usr/sbin/roamd -c /etc/roamd/roamd.yaml' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'WatchdogSec=30' \
    'StateDirectory=roamd' 'RuntimeDirectory=roamd' 'UMask=0077' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
    'PrivateTmp=yes' 'PrivateDevices=yes' 'CapabilityBoundingSet=' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'MemoryDenyWriteExecute=yes' 'SystemCallArchitectures=native'; do
	grep -Fqx "$line" "$UNIT" || fail "unit lacks $line"
done
if command -v systemd-analyze >/dev/null; then
	# The unit names /usr/sbin/roamd: point a copy at the unpacked one.
	mkdir -p "$T/unit"
	sed "s|/usr/sbin/roamd|$ROOT/usr/sbin/roamd|g" "$UNIT" \
	    >"$T/unit/roamd.service"
	out=$(systemd-analyze verify --man=no "$T/unit/roamd.service" 2>&1) ||
	    fail "systemd-analyze verify: $out"
	# It only warns about unknown keys and bad values: any word fails.
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
	ok "systemd-analyze verify accepts the unit"
else
	echo "skip - systemd-analyze not installed: unit not verified"
fi

# --- maintainer scripts against the throwaway root ------------------------
# Stubs record what would be done to the system; systemctl would only run
# under a booted systemd (/run/systemd/system), which must not matter here.
STUBS=$T/stubs
mkdir -p "$STUBS"
for cmd in addgroup adduser chown systemctl deb-systemd-invoke; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$T/calls" \
	    >"$STUBS/$cmd"
	chmod +x "$STUBS/$cmd"
done
printf '#!/bin/sh\nexit 2\n' >"$STUBS/getent"
chmod +x "$STUBS/getent"
maint()
{
	DPKG_ROOT=$ROOT PATH=$STUBS:$PATH sh "$T/control/$1" "${@:2}" ||
	    fail "$1 $* failed"
}
: >"$T/calls"
maint postinst configure
grep -q '^addgroup --system .*roamd$' "$T/calls" ||
    fail "postinst made no roamd group: $(cat "$T/calls")"
grep -q '^adduser --system .*--home /var/lib/roamd .*roamd$' "$T/calls" ||
    fail "postinst made no roamd system user: $(cat "$T/calls")"
LIVE=$ROOT/etc/roamd/roamd.yaml
[ -f "$LIVE" ] || fail "postinst made no /etc/roamd/roamd.yaml"
cmp -s "$LIVE" "$SAMPLE" || fail "the live config is not the sample"
[ "$(stat -c %a "$LIVE")" = 600 ] ||
    fail "the live config has mode $(stat -c %a "$LIVE"), not 600"
grep -q '^chown roamd:roamd .*/etc/roamd/roamd.yaml' "$T/calls" ||
    fail "the live config is not given to roamd: $(cat "$T/calls")"
! grep -Eq '^(systemctl|deb-systemd-invoke) .*(enable|start)' "$T/calls" ||
    fail "postinst started something: $(cat "$T/calls")"
ok "postinst: roamd user and group, live config 0600 for roamd, no start"

# An upgrade keeps the admin's config.
echo "# edited by the admin" >>"$LIVE"
maint postinst configure 0.0.9
grep -q "edited by the admin" "$LIVE" || fail "an upgrade replaced the config"
maint prerm upgrade 0.1.1
[ -f "$LIVE" ] || fail "prerm upgrade removed the config"
maint prerm remove
maint postrm remove
[ -f "$LIVE" ] || fail "remove (not purge) removed the config"
mkdir -p "$ROOT/var/lib/roamd"
: >"$ROOT/var/lib/roamd/roamd.db"
maint postrm purge
[ ! -e "$LIVE" ] || fail "purge left /etc/roamd/roamd.yaml"
[ ! -e "$ROOT/var/lib/roamd" ] || fail "purge left /var/lib/roamd"
ok "upgrade keeps the admin's config; purge removes config and state"

# --- sd_notify from the packaged roamd ------------------------------------
if ! grep -q NOTIFY_SOCKET "$ROOT/usr/sbin/roamd"; then
	echo "skip - roamd does not speak sd_notify yet (main.c)"
	exit 0
fi
write_site_config
chmod 600 "$CFG"
NOTIFY=$T/notify.sock
python3 - "$NOTIFY" >"$T/notify.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
end = time.time() + 30
while time.time() < end:
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        break
PY
E2E_PIDS+=("$!")
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done
[ -S "$NOTIFY" ] || fail "notify listener did not start"
ROAMD_BIN=$ROAMD
ROAMD=$ROOT/usr/sbin/roamd
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=400000 start_roamd
ROAMD=$ROAMD_BIN
for _ in $(seq 50); do
	grep -qx 'READY=1' "$T/notify.log" &&
	    grep -qx 'WATCHDOG=1' "$T/notify.log" && break
	sleep 0.1
done
grep -qx 'READY=1' "$T/notify.log" ||
    fail "no READY=1 after start: $(cat "$T/notify.log")"
grep -qx 'WATCHDOG=1' "$T/notify.log" ||
    fail "no WATCHDOG=1 within 5 s at a 0.4 s watchdog"
stop_roamd
for _ in $(seq 20); do
	grep -q '^STOPPING=1' "$T/notify.log" && break
	sleep 0.1
done
grep -q '^STOPPING=1' "$T/notify.log" ||
    fail "no STOPPING=1 at SIGTERM: $(cat "$T/notify.log")"
ok "packaged roamd: READY=1, WATCHDOG=1, STOPPING=1 on NOTIFY_SOCKET"
