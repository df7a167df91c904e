/*
 * Peer links between sites (DESIGN.md section 5): one TCP connection per
 * pair of sites (TLS 1.3 with mutual certificates when network.tls is
 * set), authenticated by the network secret, kept alive by a
 * hold timer, re-established with exponential back-off.  This module
 * only carries frames; the directory and remote hot-desk code register
 * callbacks and send frames built with peer_frame.h.
 *
 * The daemon uses the functions without "_net": one network instance
 * built from env->conf.  The peer_net_* functions run independent
 * instances (several sites in one process, for tests).
 */
#ifndef PEER_H
#define PEER_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cfg_addr;
struct event;
struct event_base;
struct json;
struct peer_cfg;
struct peer_conn;
struct peer_msg;
struct peer_net;
struct peer_out;
struct tls_cfg;

enum peer_state {
	PEER_DOWN,
	PEER_UP
};

/* A configured peer site.  Other modules read the public part only. */
struct peer {
	char			*name;
	int			 id;		/* from its HELLO; 0 unknown */
	uint64_t		 epoch;		/* from its HELLO */
	int			 epoch_known;
	char			*address;	/* "127.0.0.1:7002" */
	enum peer_state		 state;
	int			 outbound;	/* up link: we dialled */
	time_t			 since;		/* of state; 0: never up */
	unsigned		 flaps;		/* up -> down transitions */
	uint64_t		 rx;		/* frames received */
	uint64_t		 tx;		/* frames sent */
	const char		*down_reason;	/* last one, static text */

	/* private to the peer module (peer*.c) */
	struct peer_net		*net;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct peer_conn	*conn;		/* the link when up */
	struct peer_conn	*dial;		/* our connection attempt */
	struct event		*retry;
	int			 attempts;
	uint32_t		 seq;
	int			 removed;
	struct peer		*next;
};

/*
 * What the upper layers hear.  on_message gets every frame other than
 * the link's own (HELLO, AUTH, KEEPALIVE, ERROR); the message points into
 * the receive buffer and is valid only during the call.  restarted: the
 * peer's epoch differs from the one it had when last up (it restarted).
 */
struct peer_cb {
	void	(*on_up)(struct peer *, int restarted);
	void	(*on_down)(struct peer *);
	void	(*on_message)(struct peer *, const struct peer_msg *);
};

#define PEER_MAXCB	8

/* The daemon's network, from env->conf (no-op when network: is absent). */
int		 peer_init(struct event_base *, char **cause);
void		 peer_shutdown(void);
/* Apply env->conf after a reload: peers added, removed, readdressed. */
void		 peer_reload(void);
/* Register callbacks (may be called before peer_init). */
void		 peer_register(const struct peer_cb *);

/*
 * Send a finished frame (peer_frame_end() done) on p's link.  A zero
 * header sequence is replaced by the link's next number, which the caller
 * reads back with peer_frame_seq() to match the answer.  -1 when the
 * peer is down or its link is backed up (the link is then closed).
 */
int		 peer_send(struct peer *, struct peer_out *);
/* Send to every peer that is up; returns how many got it. */
size_t		 peer_broadcast(struct peer_out *);
struct peer	*peer_find(const char *name);
struct peer	*peer_by_id(int id);
int		 peer_is_up(const char *name);
void		 peer_foreach(void (*)(struct peer *, void *), void *);
/* The instance p belongs to. */
struct peer_net	*peer_net_of(const struct peer *);
const char	*peer_state_name(enum peer_state);

/* roamctl peers: a JSON list of {name, state, epoch, id, address, since,
 * flaps, tls, ...}, and a text table (malloc'd). */
void		 peer_json(struct json *);
char		*peer_table(void);

/* For tests and fuzzing: write raw bytes on p's link. */
int		 peer_send_raw(struct peer *, const void *, size_t);

/* An independent instance. */
struct peer_net_conf {
	const char		*site_name;
	int			 site_id;
	uint64_t		 epoch;
	const char		*secret;	/* NULL: empty */
	int			 hold_ms;	/* keepalive = hold_ms / 3 */
	int			 backoff_min_ms;	/* 1000 */
	int			 backoff_max_ms;	/* 30000 */
	const struct cfg_addr	*listen;	/* port 0: ephemeral */
	const struct peer_cfg	*peers;
	size_t			 npeers;
	/* network.tls: every link TLS 1.3 with mutual certificates; NULL
	 * (or no cert): plain TCP, the HMAC handshake only. */
	const struct tls_cfg	*tls;
};

struct peer_net	*peer_net_new(struct event_base *,
		    const struct peer_net_conf *, char **cause);
void		 peer_net_free(struct peer_net *);
void		 peer_net_update(struct peer_net *,
		    const struct peer_net_conf *);
void		 peer_net_register(struct peer_net *, const struct peer_cb *);
/* The listener's port (for an ephemeral one). */
int		 peer_net_port(const struct peer_net *);
/* Point peer name at a new address (and dial it soon if down). */
int		 peer_net_set_address(struct peer_net *, const char *name,
		    const struct sockaddr *, socklen_t);
int		 peer_net_send(struct peer_net *, const char *name,
		    struct peer_out *);
size_t		 peer_net_broadcast(struct peer_net *, struct peer_out *);
struct peer	*peer_net_find(struct peer_net *, const char *name);
struct peer	*peer_net_by_id(struct peer_net *, int id);
void		 peer_net_foreach(struct peer_net *,
		    void (*)(struct peer *, void *), void *);
/* Connections open (up or handshaking). */
size_t		 peer_net_nconns(const struct peer_net *);
/* Handshakes we refused, and the last reason ("bad-secret"...). */
unsigned	 peer_net_refused(const struct peer_net *, const char **last);
void		 peer_net_json(struct peer_net *, struct json *);
char		*peer_net_table(struct peer_net *);

#endif
