/*
 * SIP transports: UDP sockets, TCP and TLS connections from site.sip.  Received bytes are pre-scanned and parsed (sip_msg.c), the
 * top Via gets received/rport (RFC 3261 18.2.1, RFC 3581), and the message
 * goes to the input handler (the transaction layer).  Requests too broken
 * to route but good enough to answer are answered here.
 */
#ifndef SIP_TRANSPORT_H
#define SIP_TRANSPORT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct event_base;
struct sip_msg;

/* Where a message came from or goes to. */
struct sip_peer {
	enum sip_transport	 transport;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uint64_t		 conn;	/* stream connection id, 0 = any/new */
};

void	sip_transport_init(struct event_base *,
	    void (*input)(struct sip_msg *, const struct sip_peer *));
/*
 * Open one listener; 0 or -1 with *cause (static).  A tls: listener uses
 * the contexts of sip_transport_tls(), made from env->conf->sip_tls when
 * that was not called.
 */
int	sip_transport_listen(const struct cfg_addr *, const char **cause);
/* Load the certificate and key (and CA) for TLS; 0 or -1 with *cause. */
int	sip_transport_tls(const struct tls_cfg *, const char **cause);
void	sip_transport_shutdown(void);
/*
 * Send bytes to peer.  Over TCP or TLS use peer->conn if it is still open,
 * else the open connection to peer->ss, else connect to it.  0 or -1 (the caller treats -1 as a 503).
 */
int	sip_transport_send(const struct sip_peer *, const char *, size_t);
int	sip_transport_send_msg(const struct sip_peer *, const struct sip_msg *);
/* Our address for Via/Contact on this transport: host text and port. */
const char *sip_transport_local(enum sip_transport, int *port);
/* "udp:1.2.3.4:5060" for logs and roamctl. */
const char *sip_peer_text(const struct sip_peer *, char *, size_t);
/* Parse "udp:1.2.3.4:5060" back (numeric only); 0 or -1. */
int	sip_peer_parse(const char *, struct sip_peer *);
/* Peer for a SIP URI with a numeric host ("sip:201@1.2.3.4:5062;transport=tcp"). */
int	sip_peer_from_uri(const char *uri, struct sip_peer *);
/* Same address, port and transport (connection ignored). */
int	sip_peer_equal(const struct sip_peer *, const struct sip_peer *);
/* Same IP address only. */
int	sip_peer_same_host(const struct sip_peer *, const struct sip_peer *);
void	sip_peer_from_cfg(const struct cfg_addr *, struct sip_peer *);
/* Counters for roamctl status / metrics. */
uint64_t sip_transport_rx(void);
uint64_t sip_transport_tx(void);
uint64_t sip_transport_rx_bad(void);

#endif
