#!/bin/bash
# Peer links over TLS (DESIGN.md sections 3 network.tls and 5; issue 5):
# config/roam-network-ca makes a network CA and a certificate per site;
# london, paris and berlin link up over TLS 1.3 (roamctl --json peers
# says so) without the "not encrypted" warning, and a remote login works
# across them.  Then berlin comes back wrongly equipped, each time refused
# by london and paris with a log line that says why, and kept down:
#	a certificate from another CA		reason=cert-untrusted
#	a certificate of the network naming paris	reason=cert-name-mismatch
#	no TLS at all (plain text)		reason=tls-handshake
# (and a plain site warns that its links are not encrypted).  Back with
# its own certificate, berlin links up again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_net.sh"

CA_TOOL=$E2E_DIR/../../config/roam-network-ca
[ -r "$CA_TOOL" ] || fail "no $CA_TOOL"

# The network's PKI, and a rogue CA that also "certifies" berlin.
sh "$CA_TOOL" init "$T/pki" >/dev/null || fail "roam-network-ca init failed"
for s in london paris berlin; do
	sh "$CA_TOOL" site "$T/pki" "$s" >/dev/null ||
	    fail "roam-network-ca site $s failed"
done
sh "$CA_TOOL" init "$T/rogue" >/dev/null && \
    sh "$CA_TOOL" site "$T/rogue" berlin >/dev/null ||
    fail "roam-network-ca for the rogue CA failed"
assert_eq 600 "$(stat -c %a "$T/pki/london.key")" "site key is mode 0600"
assert_eq 600 "$(stat -c %a "$T/pki/network-ca.key")" "CA key is mode 0600"
openssl x509 -in "$T/pki/paris.pem" -noout -ext subjectAltName |
    grep -q 'DNS:paris' || fail "paris.pem has no subjectAltName DNS:paris"
ok "roam-network-ca made the CA and three site certificates"
if sh "$CA_TOOL" site "$T/pki" paris >/dev/null 2>&1; then
	fail "roam-network-ca overwrote paris.pem"
fi

# network.tls lines for SITE's config: CA, cert and key paths relative to
# the config file ($T).
tls_lines()
{
	printf '  tls: { ca: %s, cert: %s, key: %s }\n' "$1" "$2" "$3"
}

for s in london paris berlin; do
	printf -v "NET_EXTRA_NETWORK_$s" '%s' \
	    "$(tls_lines pki/network-ca.pem "pki/$s.pem" "pki/$s.key")"
done
net_setup
start_network
wait_peers_up

for s in london paris berlin; do
	assert_eq '["TLSv1.3", "TLSv1.3"]' \
	    "$(net_json "$s" peers '[p["tls"] for p in d]')" \
	    "$s: both links are TLS 1.3"
	site_log_has "$s" 'peer listening on .* tls=on'
	site_log_lacks "$s" 'peer links are not encrypted'
	site_log_lacks "$s" 'peer refused'
done

# A remote login crosses the TLS links (home london verifies the code).
register_all
net_login paris 301 201 4201
site_log_has london 'remote login granted user=201 host=paris ext=301'
net_logout paris 301 201
wait_directory 201 london 201

# Restart berlin with the network's CA but the certificate and key named
# by the rest of the arguments; wait until london and paris saw it down.
berlin_with()
{
	stop_site berlin
	wait_peer_state london berlin down
	wait_peer_state paris berlin down
	NET_EXTRA_NETWORK_berlin=$*
	net_write_config berlin
	start_site berlin
}

# london and paris keep berlin down, berlin has no link.
berlin_kept_out()
{
	local s
	sleep 1
	for s in london paris; do
		assert_eq down "$(net_json "$s" peers \
		    '[p["state"] for p in d if p["name"] == "berlin"][0]')" \
		    "$s keeps berlin down ($1)"
	done
	assert_eq '["down", "down"]' "$(net_json berlin peers \
	    'sorted(p["state"] for p in d)')" "berlin has no link ($1)"
}

# A certificate from another CA: untrusted.
berlin_with "$(tls_lines pki/network-ca.pem rogue/berlin.pem rogue/berlin.key)"
site_log_has london 'peer refused .*reason=cert-untrusted: '
site_log_has paris 'peer refused .*reason=cert-untrusted: '
site_log_has berlin 'peer closed by remote .*reason=tls-alert: '
berlin_kept_out "another CA"

# A certificate of the network, but paris's: the name does not match.
berlin_with "$(tls_lines pki/network-ca.pem pki/paris.pem pki/paris.key)"
site_log_has berlin 'network.tls: cert .*paris.pem does not name this site berlin'
site_log_has london \
    'peer refused name=berlin .*reason=cert-name-mismatch cert=paris'
site_log_has paris 'peer refused name=berlin .*reason=cert-name-mismatch'
berlin_kept_out "paris's certificate"

# No TLS: plain text to a TLS site.
berlin_with ""
site_log_has berlin 'peer links are not encrypted: set network.tls'
site_log_has london 'peer refused .*reason=tls-handshake: '
site_log_has paris 'peer refused .*reason=tls-handshake: '
berlin_kept_out "plain text"

# Its own certificate again: the whole network links up.
berlin_with "$(tls_lines pki/network-ca.pem pki/berlin.pem pki/berlin.key)"
wait_peers_up
assert_eq '["TLSv1.3", "TLSv1.3"]' \
    "$(net_json berlin peers '[p["tls"] for p in d]')" \
    "berlin is back over TLS 1.3"
ok "peer links over TLS"
