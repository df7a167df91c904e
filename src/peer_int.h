/*
 * Private to the peer module (peer.c sessions, peer_net.c instances and
 * API, peer_tls.c TLS): the connection and instance state.  No other
 * module includes this file; they use peer.h.
 */
#ifndef PEER_INT_H
#define PEER_INT_H

#include <sys/queue.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <stdint.h>

#include "peer.h"
#include "peer_frame.h"

struct bufferevent;
struct evconnlistener;
struct sockaddr;
struct ssl_ctx_st;

#define PEER_NAMELEN		32

enum peer_conn_state {
	CONN_CONNECTING,	/* TCP connect or TLS handshake in progress */
	CONN_HELLO,		/* our HELLO sent, waiting for theirs */
	CONN_AUTH,		/* our AUTH sent, waiting for theirs */
	CONN_UP,
	CONN_CLOSING		/* flushing, then freed */
};

/* One TCP connection, from connect or accept to close. */
struct peer_conn {
	struct peer_net		*net;
	struct peer		*peer;	/* dialled, or HELLO's */
	struct bufferevent	*bev;
	enum peer_conn_state	 state;
	int			 outbound;
	int			 tls;	/* an OpenSSL bufferevent */
	char			 addr[INET6_ADDRSTRLEN + 8];
	uint8_t			 nonce[PEER_NONCELEN];
	uint8_t			 their_nonce[PEER_NONCELEN];
	char			 their_name[PEER_NAMELEN];
	int			 their_id;
	uint64_t		 their_epoch;
	struct event		*hold;
	struct event		*keepalive;
	uint32_t		 seq;
	TAILQ_ENTRY(peer_conn)	 entry;
};

TAILQ_HEAD(peer_conns, peer_conn);

struct peer_net {
	struct event_base	*base;
	char			*name;
	int			 id;
	uint64_t		 epoch;
	char			*secret;
	int			 hold_ms;
	int			 backoff_min_ms;
	int			 backoff_max_ms;
	struct ssl_ctx_st	*tls;	/* network.tls; NULL: plain TCP */
	struct evconnlistener	*listener;
	struct peer		*peers;
	struct peer_conns	 conns;
	struct peer_conns	 dead;	/* closed, freed by the reaper */
	struct event		*reaper;
	struct peer_cb		 cb[PEER_MAXCB];
	size_t			 ncb;
	unsigned		 refused;
	const char		*last_refused;
	uint64_t		 rng;
};

/* peer.c: the session. */
uint32_t	 peer_rand(struct peer_net *);
struct timeval	*peer_tv(struct timeval *, int ms);
void		 peer_addr_text(const struct sockaddr *, char *, size_t);
void		 peer_reap(evutil_socket_t, short, void *);
void		 peer_dial(evutil_socket_t, short, void *);
void		 peer_accept(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
void		 peer_accept_error(struct evconnlistener *, void *);
struct peer_conn *peer_conn_inbound(struct peer_net *, struct bufferevent *,
		    const struct sockaddr *);
void		 peer_conn_kill(struct peer_conn *);
void		 peer_conn_close(struct peer_conn *, const char *, int);
int		 peer_conn_write(struct peer_conn *, struct peer_out *);

#endif
