#!/bin/bash
# Robustness: 10,000 malformed and truncated SIP datagrams (made by
# mutating valid messages; see sipfuzz.py) from a phone's address and
# 2,000 from the carrier's, plus mangled messages over TCP; afterwards
# roamd is alive, answers roamctl, and a normal call succeeds.
. "$(dirname "$0")/lib.sh"

write_site_config
start_roamd

rc=0
python3 "$E2E_DIR/sipfuzz.py" --port "$SIP_PORT" --from-port "$FUZZ_PORT" \
    --count 10000 --seed "${FUZZ_SEED:-20261127}" --pid "$ROAMD_PID" \
    --tcp 200 --out "$T" || rc=$?
[ "$rc" -eq 0 ] || fail "roamd did not survive the datagrams (fuzzer status $rc)"
ok "10,000 mutated datagrams and 200 TCP messages sent"

rc=0
python3 "$E2E_DIR/sipfuzz.py" --port "$SIP_PORT" --from-port "$CARRIER_PORT" \
    --count 2000 --seed "${FUZZ_SEED:-20261127}1" --pid "$ROAMD_PID" \
    --out "$T" || rc=$?
[ "$rc" -eq 0 ] || fail "roamd did not survive the datagrams from the trunk (status $rc)"
ok "2,000 mutated datagrams from the carrier's address sent"

roamd_alive || fail "roamd died"
rctl status >/dev/null || fail "roamctl status fails after the fuzzing"
ok "roamd is alive and answers roamctl"
if grep -Eq "AddressSanitizer|runtime error|LeakSanitizer" "$ROAMD_LOG"; then
	fail "sanitizer report in the roamd log"
fi

# A slow machine (a sanitizer or valgrind build) may still be working
# through the flood and refusing new requests with 503 (overload): it
# must come out of that by itself before the phones use it again.
for i in $(seq 300); do
	active=$(rctl --json status | json_eval \
	    "d['security']['overload']['active']" 2>/dev/null) || active=?
	[ "$active" = false ] && break
	sleep 0.1
done
[ "$active" = false ] || fail "still overloaded 30 s after the flood"
ok "not overloaded after the flood"

register_ok 202 "$(phone_port 202)"
call_answered 202 "201 calls 202 after the fuzzing"
assert_no_calls

stop_roamd
