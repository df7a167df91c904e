#!/bin/bash
# A database that can no longer be written (issue 5): while roamd runs,
# its database and WAL file are made immutable (chattr +i: even root's
# writes fail, also through the descriptors roamd holds open).  roamd
# logs the storage failure, refuses changes it cannot store - a REGISTER
# and a DND feature code get "500 Cannot Store Change" and change nothing
# - but keeps routing calls from memory.  Once the files are writable
# again, changes are stored again.  Needs root and a file system with
# the immutable attribute; skipped otherwise (test_db.c and
# test_registrar.c cover the refusals with real SQLite errors).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v chattr >/dev/null 2>&1; then
	echo "SKIP: needs root and chattr to make the database immutable"
	exit 0
fi
touch "$T/probe"
if ! chattr +i "$T/probe" 2>/dev/null; then
	echo "SKIP: the file system of $T has no immutable attribute"
	exit 0
fi
chattr -i "$T/probe"

# Whatever happens, leave files the next run can delete.
ro_cleanup()
{
	local rc=$?
	set +e
	chattr -i "$DB" "$DB-wal" 2>/dev/null
	(exit "$rc")
	e2e_cleanup
}
trap ro_cleanup EXIT

# REGISTER EXT from PORT (digest); prints "CODE REASON" of the answer.
py_register()
{
	python3 - "$SIP_PORT" "$DOMAIN" "$1" "$2" <<'PY'
import hashlib, os, re, socket, sys
tag = os.urandom(4).hex()
port, domain, ext, lport = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
    int(sys.argv[4]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", lport))
s.settimeout(5)
md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
def reg(cseq, auth):
    s.sendto(("REGISTER sip:%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%s-%d;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=ro\r\nTo: <sip:%s@%s>\r\n"
        "Call-ID: ro-%s-%s@e2e\r\nCSeq: %d REGISTER\r\n"
        "Contact: <sip:%s@127.0.0.1:%d>\r\nExpires: 600\r\n%s"
        "Content-Length: 0\r\n\r\n" % (domain, lport, tag, cseq, ext,
        domain, ext, domain, ext, tag, cseq, ext, lport, auth)).encode(),
        ("127.0.0.1", port))
    while True:
        t = s.recv(65535).decode("utf-8", "replace")
        if ("CSeq: %d REGISTER" % cseq) in t and int(t.split()[1]) >= 200:
            return t
t = reg(1, "")
realm = re.search(r'realm="([^"]*)"', t).group(1)
nonce = re.search(r'nonce="([^"]*)"', t).group(1)
uri = "sip:" + domain
r = md5("%s:%s:00000001:cn:auth:%s" % (md5("%s:%s:secret-%s-pw" %
    (ext, realm, ext)), nonce, md5("REGISTER:" + uri)))
t = reg(2, 'Authorization: Digest username="%s", realm="%s", nonce="%s", '
    'uri="%s", response="%s", algorithm=MD5, cnonce="cn", qop=auth, '
    'nc=00000001\r\n' % (ext, realm, nonce, uri, r))
print(t.split("\r\n")[0].split(" ", 1)[1])
PY
}

write_feature_config
start_roamd
register_ok 201 "$(phone_port 201)"
[ -e "$DB-wal" ] || fail "no WAL file next to $DB"

chattr +i "$DB" "$DB-wal" || fail "chattr +i on the database failed"
ok "database and WAL made immutable under the running roamd"

assert_eq "500 Cannot Store Change" "$(py_register 202 "$(phone_port 202)")" \
    "a REGISTER that cannot be stored is refused"
assert_log "db storage failed kind=(ioerr|readonly|full) " \
    "the storage failure is logged"
assert_eq "" "$(reg_contacts 202)" "the refused registration is not listed"
assert_eq "sip:201@127.0.0.1:$(phone_port 201)" "$(reg_contacts 201)" \
    "201's binding from before is still in memory"

call_refused 203 '*08' "500 Cannot Store Change" \
    "DND on cannot be stored"
assert_user 203 'd["dnd"]' false "Carol's DND did not change"

# Calls are still routed from memory to 201's phone.
phone_uas 201 uas_answer.xml -set from_user 203 -set from_name "Carol White"
uas=$SIPP_PID
rc=0
phone_call 203 201 || rc=$?
assert_sipp_ok "$rc" "203 reaches 201 while the database is read-only"
expect_sipp_bg_ok "$uas" "201's phone answered"

chattr -i "$DB" "$DB-wal"
ok "database writable again"
assert_eq "200 OK" "$(py_register 202 "$(phone_port 202)")" \
    "a REGISTER is stored again"
assert_log "db storage recovered" "the recovery is logged"
feature_ok 203 '*08' "Carol turns DND on once storage is back"
assert_user 203 'd["dnd"]' true "Carol's DND is on"
roamd_alive || fail "roamd died"
stop_roamd
