#!/bin/bash
# Feature short codes answered by the daemon itself (DESIGN.md section 2):
# a success is 200 OK with SDP, about a second of PCMU tone to the
# phone's SDP address and a BYE from the daemon, and roamctl shows the
# change; a failure is the 4xx whose reason phrase says why.  Codes:
# *08/*09 DND, *07*N# forward number, *01/*02 forward unconditional,
# *03 forward on busy, *05 forward on no answer, *00 cancel forwarding.
. "$(dirname "$0")/lib.sh"

CFG_USERS='  - { number: "201", name: "Alice Smith", login_code: "4201",
      buttons: [ { type: dnd }, { type: speed_dial, number: "203" } ] }
  - { number: "202", name: "Bob Jones", login_code: "4202" }
  - { number: "203", name: "Carol White", login_code: "4203" }'
write_feature_config
start_roamd

user_json 201 >/dev/null
assert_user 201 'd["dnd"]' false "Alice starts without DND"
assert_user 201 'd["effective_user_rights"]' null \
    "Alice has no user rights configured"
assert_user 201 '[(b["type"], b["active"]) for b in d["buttons"]]' \
    '[["dnd", true], ["speed_dial", true]]' "Alice's buttons all operate"

feature_ok 201 '*08' "*08 turns DND on"
assert_user 201 'd["dnd"]' true "Alice's DND is on"
assert_log 'feature dnd_on user=201 ext=201 .*result=200'
feature_ok 201 '*09' "*09 turns DND off"
assert_user 201 'd["dnd"]' false "Alice's DND is off again"

# No forward number yet: forwarding cannot be switched on.
call_refused 202 '*01' '403 No Forward Number' \
    "*01 without a forward number"
assert_user 202 'd["forward"]["unconditional"]' false \
    "Bob's forward unconditional stayed off"

feature_ok 201 '*07*202#' "*07*202# sets the forward number"
assert_user 201 'd["forward"]["number"]' 202 "Alice forwards to 202"
assert_user 201 'd["forward"]["unconditional"]' false \
    "setting the number alone switches no forward on"

feature_ok 201 '*01' "*01 forward unconditional on"
assert_user 201 'd["forward"]["unconditional"]' true \
    "forward unconditional is on"
feature_ok 201 '*02' "*02 forward unconditional off"
assert_user 201 'd["forward"]["unconditional"]' false \
    "forward unconditional is off"
feature_ok 201 '*03' "*03 forward on busy on"
feature_ok 201 '*05' "*05 forward on no answer on"
assert_user 201 '[d["forward"]["on_busy"], d["forward"]["on_no_answer"]]' \
    '[true, true]' "forward on busy and on no answer are on"
feature_ok 201 '*00' "*00 cancels forwarding"
assert_user 201 '[d["forward"][k] for k in ("unconditional", "on_busy",
    "on_no_answer")]' '[false, false, false]' "every forward is off after *00"

# Phones send '#' both escaped and raw; both reach the same code.
rtp_listen "$RTP_PORT"
rc=0
sipp_uac "feat201-raw" uac_feature.xml "$(phone_port 201)" \
    -s '*07*203#' -key ext 201 -key rtp_port "$RTP_PORT" -au 201 \
    -ap "$(ext_password 201)" || rc=$?
wait "$RTP_PID" || true
assert_sipp_ok "$rc" "*07*203# with a raw '#' is answered 200, tone, BYE"
assert_user 201 'd["forward"]["number"]' 203 "Alice now forwards to 203"

# Other users' settings were not touched.
assert_user 202 '[d["dnd"], d["forward"]["number"]]' '[false, null]' \
    "Bob's settings are untouched"

# A code that matches nothing is refused as such.
call_refused 201 '*4711' '404 Number Unobtainable' "an unknown code"
call_refused 201 '8123' '404 Number Unobtainable' "a number nobody has"

assert_no_calls
roamd_alive || fail "roamd died"
stop_roamd
