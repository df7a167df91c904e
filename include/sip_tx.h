/*
 * The RFC 3261 section 17 transaction layer, ours rather than osip's:
 * transactions live in hash tables keyed by branch and method, so finding
 * one costs the same with 30 or 30,000 alive; timers A-K are libevent
 * timers.  INVITE server transactions keep an "Accepted" state (RFC 6026)
 * in which they retransmit 2xx until the ACK arrives.
 *
 * Lifetime: a transaction frees itself once terminated.  A client
 * transaction pointer is valid until its final callback (or detach); a
 * server transaction pointer until its final response has been sent.  To
 * keep a pointer longer, set an owner (sip_tx_set_owner): the transaction
 * is then kept, even terminated, until sip_tx_detach() or
 * sip_tx_set_owner(tx, NULL).  In a timer values struct, 0 means default.
 */
#ifndef SIP_TX_H
#define SIP_TX_H

#include <stddef.h>

struct event_base;
struct sip_msg;
struct sip_peer;
struct sip_tx;

/* Timer base values in milliseconds (RFC 3261 17.1.1.1). */
struct sip_tx_timers {
	int	t1;	/* 500 */
	int	t2;	/* 4000 */
	int	t4;	/* 5000 */
	int	d;	/* Timer D over UDP: 32000; 0 = default */
};

/* What the layer hands to the core (the dispatcher in main.c). */
struct sip_tx_core {
	/* A new request (not ACK) opened a server transaction. */
	void	(*request)(struct sip_tx *, const struct sip_msg *);
	/* An ACK that matched no INVITE server transaction (ACK for 2xx). */
	void	(*ack)(const struct sip_msg *, const struct sip_peer *);
	/* CANCEL matched a pending INVITE server transaction; 200 was sent. */
	void	(*cancelled)(struct sip_tx *);
	/* No ACK for our 2xx within 64*T1 (RFC 3261 13.3.1.4). */
	void	(*ack_timeout)(struct sip_tx *);
	/* A response no client transaction wanted (2xx retransmissions). */
	void	(*stray_response)(const struct sip_msg *,
		    const struct sip_peer *);
	/* Send hook for tests; NULL = sip_transport_send_msg. */
	int	(*send)(const struct sip_peer *, const struct sip_msg *);
};

/*
 * Called with every provisional and the final response of a client
 * transaction.
 * resp is NULL on timeout (status 408) or transport failure (503).  After
 * a final response the layer forgets cb: the owner may drop its pointer.
 */
struct sip_tx_cb {
	void	(*fn)(struct sip_tx *, const struct sip_msg *resp, int status,
		    void *arg);
	void	*arg;
};

void		 sip_tx_init(struct event_base *, const struct sip_tx_core *,
		    const struct sip_tx_timers *);
void		 sip_tx_shutdown(void);
/* Feed one received message (ownership passes to the layer). */
void		 sip_tx_input(struct sip_msg *, const struct sip_peer *);

/* Server transactions. */
const struct sip_msg	*sip_tx_request(const struct sip_tx *);
const struct sip_peer	*sip_tx_peer(const struct sip_tx *);
/* Send a response (ownership passes); 0 or -1. */
int		 sip_tx_respond(struct sip_tx *, struct sip_msg *);
/* Shortcut: build and send a response with a reason phrase. */
int		 sip_tx_reply(struct sip_tx *, int code, const char *reason);
/* Opaque owner pointer (the call a server INVITE belongs to). */
void		 sip_tx_set_owner(struct sip_tx *, void *);
void		*sip_tx_owner(const struct sip_tx *);
/* A local To-tag fixed per server transaction, for its responses. */
const char	*sip_tx_local_tag(struct sip_tx *);

/*
 * Client transactions: push a Via with a fresh branch onto req, send it
 * to dst and run the timers.  Ownership of req passes to the layer.
 * NULL (req freed, no callback) only when req is no request or an ACK;
 * a send failure is reported as 503 through cb, after this returns.
 */
struct sip_tx	*sip_tx_send(struct sip_msg *req, const struct sip_peer *dst,
		    const struct sip_tx_cb *);
/*
 * CANCEL a client INVITE (sent as soon as a provisional has arrived; no-op
 * after a final).  The INVITE then ends with its 487, or with 408 when
 * nothing final comes within 64*T1 of the CANCEL.
 */
int		 sip_tx_cancel(struct sip_tx *);
/* The owner is going away: no more callbacks, clears the owner. */
void		 sip_tx_detach(struct sip_tx *);
/*
 * Push a Via and send a request outside any transaction (ACK for 2xx).
 * Ownership passes, as with sip_tx_send(): build a fresh one per send.
 */
int		 sip_tx_send_stateless(struct sip_msg *, const struct sip_peer *);

size_t		 sip_tx_count(void);
const char	*sip_tx_state_name(const struct sip_tx *);

#endif
