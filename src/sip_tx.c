/*
 * The RFC 3261 section 17 transaction layer with the RFC 6026 fixes.
 *
 * Why ours: osip finds transactions and runs their timers by walking
 * linear lists.  A non-INVITE server transaction lives 64*T1 (32 s) over
 * UDP, so at 1,000 requests/s some 30,000 are alive and every message
 * would be compared with all of them.  Here a transaction is found in a
 * hash map (src/hmap.c) and its timers are two libevent timers, so the
 * cost per message does not grow with the number alive.
 *
 * Maps and keys:
 *   server: top Via branch + sent-by + method (17.2.3); ACK looks for
 *           "INVITE", CANCEL has its own entry.  A branch without the
 *           z9hG4bK cookie (RFC 2543 peers) uses Call-ID + CSeq number +
 *           From tag + sent-by instead.
 *   client: branch + CSeq method (17.1.3).
 *   ack:    Call-ID + CSeq number + From tag of a server INVITE that sent
 *           a 2xx: the ACK for a 2xx is a new transaction with another
 *           branch (RFC 6026 section 7.1), so it is matched by dialog.
 *
 * Each transaction has two timers: "retx" (A, E, G and the 2xx
 * retransmission of RFC 6026) and "timer" (B, D, F, H, I, J, K, L, M);
 * which one it is follows from kind and state.  Over a reliable transport
 * nothing is retransmitted and D, I, J, K are zero.
 *
 * Lifetime: a transaction frees itself once terminated, unless an owner
 * is set (sip_tx_set_owner); then it waits for sip_tx_detach(), so that
 * a call may keep its pointer for as long as it likes.  Nothing a peer
 * sends (duplicates, late or stray messages) can reach a freed one: a
 * terminated transaction is out of every map at once.
 */
#include <sys/queue.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "hmap.h"
#include "log.h"
#include "overload.h"
#include "sip_msg.h"
#include "sip_pool.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

/*
 * The request latency histogram of /metrics (events.c) hears of every
 * final response; weak, so that the layer links (tests, fuzzers) without
 * the audit log and its database.
 */
#pragma weak events_sip_final

#define SIP_TX_COOKIE		"z9hG4bK"
#define SIP_TX_TIMER_D		32000	/* ms, RFC 3261 17.1.1.2 */

enum sip_tx_kind {
	TXK_CLIENT_INVITE,
	TXK_CLIENT,
	TXK_SERVER_INVITE,
	TXK_SERVER
};

enum sip_tx_state {
	TXS_CALLING,
	TXS_TRYING,
	TXS_PROCEEDING,
	TXS_COMPLETED,
	TXS_CONFIRMED,
	TXS_ACCEPTED,
	TXS_TERMINATED
};

struct sip_tx {
	TAILQ_ENTRY(sip_tx)	 entry;
	enum sip_tx_kind	 kind;
	enum sip_tx_state	 state;
	char			*key;		/* in servers or clients */
	char			*ackkey;	/* in acks while Accepted */
	struct sip_msg		*req;
	struct sip_msg		*last;		/* server: last response */
	struct sip_msg		*ack;		/* client: ACK for non-2xx */
	struct sip_peer		 peer;
	int			 reliable;
	struct event		*retx;
	struct event		*timer;
	int			 interval;	/* next retransmission, ms */
	struct sip_tx_cb	 cb;
	void			*owner;
	char			 tag[17];
	int			 cancel_wanted;	/* at the first 1xx */
	int			 cancelled;	/* CANCEL sent */
	int			 acked;		/* Accepted: ACK seen */
	int			 failed;	/* client: report 503 */
	int			 detached;
	int			 incb;		/* inside a callback */
	struct timespec		 born;		/* CLOCK_MONOTONIC */
	const struct sip_msg	*wiremsg;	/* the message wire holds */
	char			*wire;		/* its text, for resending */
	size_t			 wirelen;
};

TAILQ_HEAD(sip_tx_list, sip_tx);

static struct event_base	*sip_tx_base;
static struct sip_tx_core	 sip_tx_core;
static struct sip_tx_timers	 sip_tx_t = { 500, 4000, 5000, 0 };
static struct hmap		*sip_tx_servers;
static struct hmap		*sip_tx_clients;
static struct hmap		*sip_tx_acks;
static struct sip_tx_list	 sip_tx_all =
				    TAILQ_HEAD_INITIALIZER(sip_tx_all);

static void	sip_tx_on_retx(evutil_socket_t, short, void *);
static void	sip_tx_on_timer(evutil_socket_t, short, void *);
static void	sip_tx_forget(struct sip_tx *);
static void	sip_tx_slim(struct sip_tx *);

/* Set up the maps, the core hooks and the timer values. */
void
sip_tx_init(struct event_base *base, const struct sip_tx_core *core,
    const struct sip_tx_timers *t)
{
	if (sip_tx_servers != NULL)
		sip_tx_shutdown();
	sip_tx_base = base;
	memset(&sip_tx_core, 0, sizeof(sip_tx_core));
	if (core != NULL)
		sip_tx_core = *core;
	sip_tx_t.t1 = 500;
	sip_tx_t.t2 = 4000;
	sip_tx_t.t4 = 5000;
	sip_tx_t.d = SIP_TX_TIMER_D;
	if (t != NULL) {
		if (t->t1 > 0)
			sip_tx_t.t1 = t->t1;
		if (t->t2 > 0)
			sip_tx_t.t2 = t->t2;
		if (t->t4 > 0)
			sip_tx_t.t4 = t->t4;
		if (t->d > 0)
			sip_tx_t.d = t->d;
	}
	sip_tx_servers = hmap_new();
	sip_tx_clients = hmap_new();
	sip_tx_acks = hmap_new();
}

/* Free one transaction and everything it holds. */
static void
sip_tx_free(struct sip_tx *tx)
{
	TAILQ_REMOVE(&sip_tx_all, tx, entry);
	event_del(tx->retx);
	event_del(tx->timer);
	sip_msg_free(tx->req);
	sip_msg_free(tx->last);
	sip_msg_free(tx->ack);
	sip_pool_free(tx->wire);
	free(tx->key);
	free(tx->ackkey);
	sip_pool_free(tx);
}

/* Free every transaction without callbacks: the daemon is stopping. */
void
sip_tx_shutdown(void)
{
	struct sip_tx	*tx;

	while ((tx = TAILQ_FIRST(&sip_tx_all)) != NULL)
		sip_tx_free(tx);
	hmap_free(sip_tx_servers, NULL);
	hmap_free(sip_tx_clients, NULL);
	hmap_free(sip_tx_acks, NULL);
	sip_tx_servers = sip_tx_clients = sip_tx_acks = NULL;
	sip_tx_base = NULL;
}

/* Arm a timer in milliseconds. */
static void
sip_tx_arm(struct event *ev, int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Hand a message to the test hook or the transport. */
static int
sip_tx_xmit(const struct sip_peer *peer, const struct sip_msg *m)
{
	if (sip_tx_core.send != NULL)
		return (sip_tx_core.send(peer, m));
	return (sip_transport_send_msg(peer, m));
}

/*
 * Send m, one of tx's own messages, and keep its text: retransmissions and
 * answers to retransmitted requests send the same bytes again instead of
 * serialising the message anew (serialising was the biggest single cost
 * of a call).  Whoever replaces the message m was calls sip_tx_forget().
 */
static int
sip_tx_xmit_kept(struct sip_tx *tx, const struct sip_msg *m)
{
	if (sip_tx_core.send != NULL)
		return (sip_tx_core.send(&tx->peer, m));
	if (tx->wire == NULL || tx->wiremsg != m) {
		sip_tx_forget(tx);
		if ((tx->wire = sip_msg_serialize_pooled(m, &tx->wirelen)) ==
		    NULL)
			return (-1);
		tx->wiremsg = m;
	}
	return (sip_transport_send(&tx->peer, tx->wire, tx->wirelen));
}

/*
 * A non-INVITE server transaction that has sent its final answer only
 * waits (Timer J, 32 s on UDP) to answer retransmissions with the same
 * text.  The parsed request and response it still held were most of a
 * site's memory during a registration storm (about 16 KB per REGISTER,
 * and glibc keeps the peak): keep the text alone once nobody holds it.
 */
static void
sip_tx_slim(struct sip_tx *tx)
{
	if (tx->kind != TXK_SERVER || tx->state != TXS_COMPLETED ||
	    tx->owner != NULL || tx->incb != 0 || tx->wire == NULL ||
	    tx->wiremsg != tx->last || sip_tx_core.send != NULL)
		return;
	sip_msg_free(tx->req);
	sip_msg_free(tx->last);
	tx->req = tx->last = NULL;
	tx->wiremsg = NULL;
}

/* Drop the kept text: the message it was made from is being replaced. */
static void
sip_tx_forget(struct sip_tx *tx)
{
	sip_pool_free(tx->wire);
	tx->wire = NULL;
	tx->wiremsg = NULL;
	tx->wirelen = 0;
}

/* Via transport token (RFC 3261 18.1.1). */
static const char *
sip_tx_via_transport(enum sip_transport t)
{
	switch (t) {
	case SIPT_TCP:
		return ("TCP");
	case SIPT_TLS:
		return ("TLS");
	default:
		return ("UDP");
	}
}

/* A new transaction towards or from peer, not yet in a map. */
static struct sip_tx *
sip_tx_new(enum sip_tx_kind kind, const struct sip_peer *peer)
{
	struct sip_tx	*tx;
	size_t		 evsz = event_get_struct_event_size();
	char		*evs;

	/*
	 * From the pool with its two timers after it: a finished
	 * transaction lives 32 s, and on the heap its pieces were what
	 * kept a storm's peak from being given back.
	 */
	tx = sip_pool_alloc(sizeof(*tx) + 2 * evsz);
	evs = (char *)(tx + 1);
	tx->retx = (struct event *)evs;
	tx->timer = (struct event *)(evs + evsz);
	if (event_assign(tx->retx, sip_tx_base, -1, 0, sip_tx_on_retx,
	    tx) == -1 || event_assign(tx->timer, sip_tx_base, -1, 0,
	    sip_tx_on_timer, tx) == -1)
		fatalx("sip tx: event_assign");
	tx->kind = kind;
	tx->peer = *peer;
	tx->reliable = peer->transport != SIPT_UDP;
	tx->interval = sip_tx_t.t1;
	clock_gettime(CLOCK_MONOTONIC, &tx->born);
	TAILQ_INSERT_TAIL(&sip_tx_all, tx, entry);
	return (tx);
}

/* Free a terminated transaction nobody holds any more. */
static void
sip_tx_release(struct sip_tx *tx)
{
	if (tx->state == TXS_TERMINATED && tx->owner == NULL && tx->incb == 0)
		sip_tx_free(tx);
}

/* Take a transaction out of every map and stop its timers. */
static void
sip_tx_unlink(struct sip_tx *tx)
{
	struct hmap	*map;

	map = tx->kind == TXK_CLIENT_INVITE || tx->kind == TXK_CLIENT ?
	    sip_tx_clients : sip_tx_servers;
	if (tx->key != NULL && hmap_get(map, tx->key) == tx)
		hmap_del(map, tx->key);
	if (tx->ackkey != NULL && hmap_get(sip_tx_acks, tx->ackkey) == tx)
		hmap_del(sip_tx_acks, tx->ackkey);
	evtimer_del(tx->retx);
	evtimer_del(tx->timer);
	tx->state = TXS_TERMINATED;
}

/* Terminated state: gone from the maps, freed unless held. */
static void
sip_tx_terminate(struct sip_tx *tx)
{
	sip_tx_unlink(tx);
	sip_tx_release(tx);
}

/* Give the owner a response (or NULL with 408/503); forget cb on finals. */
static void
sip_tx_deliver(struct sip_tx *tx, const struct sip_msg *resp, int status)
{
	struct sip_tx_cb	 cb = tx->cb;

	if (status >= 200)
		memset(&tx->cb, 0, sizeof(tx->cb));
	if (cb.fn == NULL)
		return;
	tx->incb++;
	cb.fn(tx, resp, status, cb.arg);
	tx->incb--;
}

/* Server key of a request for method (17.2.3). */
static char *
sip_tx_server_key(const struct sip_msg *m, const char *method)
{
	const char	*branch = sip_msg_via_branch(m);
	const char	*host = sip_msg_via_host(m);
	const char	*callid, *ftag;
	char		*key;

	if (host == NULL)
		host = "";
	if (branch != NULL && strncmp(branch, SIP_TX_COOKIE,
	    strlen(SIP_TX_COOKIE)) == 0) {
		xasprintf(&key, "%s|%s:%d|%s", branch, host,
		    sip_msg_via_port(m), method);
		return (key);
	}
	/* RFC 2543 peer: no usable branch (17.2.3, second half). */
	callid = sip_msg_callid(m);
	ftag = sip_msg_from_tag(m);
	xasprintf(&key, "old|%s|%u|%s|%s:%d|%s", callid ? callid : "",
	    sip_msg_cseq(m), ftag ? ftag : "", host, sip_msg_via_port(m),
	    method);
	return (key);
}

/* Key of the ACK for a 2xx: the dialog and CSeq number. */
static char *
sip_tx_ack_key(const struct sip_msg *m)
{
	const char	*callid = sip_msg_callid(m);
	const char	*ftag = sip_msg_from_tag(m);
	char		*key;

	xasprintf(&key, "%s|%u|%s", callid ? callid : "", sip_msg_cseq(m),
	    ftag ? ftag : "");
	return (key);
}

/* Client key: our branch and the method (17.1.3). */
static char *
sip_tx_client_key(const char *branch, const char *method)
{
	char	*key;

	xasprintf(&key, "%s|%s", branch, method);
	return (key);
}

/*
 * A retransmitted request reached a server transaction: answer with the
 * last response, if there is one (17.2.1, 17.2.2).
 */
static void
sip_tx_absorb(struct sip_tx *tx)
{
	if (tx->last == NULL && tx->wire != NULL) {
		/* A slimmed Completed transaction: its text is all it has. */
		sip_transport_send(&tx->peer, tx->wire, tx->wirelen);
		return;
	}
	if (tx->last == NULL || tx->state == TXS_CONFIRMED ||
	    (tx->kind == TXK_SERVER_INVITE && tx->state == TXS_ACCEPTED &&
	    tx->acked))
		return;
	sip_tx_xmit_kept(tx, tx->last);
}

/* Open a server transaction for a new request and tell the core. */
static void
sip_tx_input_request(struct sip_msg *m, const struct sip_peer *peer,
    const char *method)
{
	struct sip_tx	*tx;
	char		*key;
	int		 invite = strcmp(method, "INVITE") == 0;

	key = sip_tx_server_key(m, method);
	if ((tx = hmap_get(sip_tx_servers, key)) != NULL) {
		free(key);
		sip_tx_absorb(tx);
		sip_msg_free(m);
		return;
	}
	/* Issue 7: in overload, new work gets a 503 before any state. */
	if (overload_refuse(m, peer)) {
		free(key);
		sip_msg_free(m);
		return;
	}
	tx = sip_tx_new(invite ? TXK_SERVER_INVITE : TXK_SERVER, peer);
	tx->key = key;
	tx->req = m;
	hmap_put(sip_tx_servers, key, tx);
	if (invite) {
		/* 17.2.1: 100 Trying at once, so the phone stops Timer A. */
		tx->state = TXS_PROCEEDING;
		tx->last = sip_msg_response(m, sip_answer_code(ANS_TRYING),
		    sip_answer_reason(ANS_TRYING), NULL);
		if (tx->last != NULL)
			sip_tx_xmit_kept(tx, tx->last);
	} else
		tx->state = TXS_TRYING;
	if (sip_tx_core.request == NULL)
		return;
	tx->incb++;
	sip_tx_core.request(tx, tx->req);
	tx->incb--;
	sip_tx_slim(tx);
	sip_tx_release(tx);
}

/* An ACK: ends a non-2xx INVITE server transaction, or goes to the core. */
static void
sip_tx_input_ack(struct sip_msg *m, const struct sip_peer *peer)
{
	struct sip_tx	*tx;
	char		*key;

	key = sip_tx_server_key(m, "INVITE");
	tx = hmap_get(sip_tx_servers, key);
	free(key);
	if (tx != NULL && tx->state == TXS_COMPLETED) {
		/* 17.2.1: Confirmed, then Timer I absorbs ACK copies. */
		tx->state = TXS_CONFIRMED;
		evtimer_del(tx->retx);
		evtimer_del(tx->timer);
		sip_tx_arm(tx->timer, tx->reliable ? 0 : sip_tx_t.t4);
		sip_msg_free(m);
		return;
	}
	if (tx != NULL && tx->state == TXS_CONFIRMED) {
		sip_msg_free(m);
		return;
	}
	if (tx == NULL || tx->state != TXS_ACCEPTED) {
		key = sip_tx_ack_key(m);
		tx = hmap_get(sip_tx_acks, key);
		free(key);
	}
	/* RFC 6026 7.1: the ACK for our 2xx stops its retransmission. */
	if (tx != NULL && tx->state == TXS_ACCEPTED) {
		tx->acked = 1;
		evtimer_del(tx->retx);
	}
	if (sip_tx_core.ack != NULL)
		sip_tx_core.ack(m, peer);
	sip_msg_free(m);
}

/*
 * CANCEL (RFC 3261 9.2): its own server transaction, answered here.  200
 * when it matches an INVITE server transaction; the core is told only if
 * that INVITE has no final response yet, and answers it 487.
 */
static void
sip_tx_input_cancel(struct sip_msg *m, const struct sip_peer *peer)
{
	struct sip_tx	*tx, *inv;
	char		*key;

	key = sip_tx_server_key(m, "CANCEL");
	if ((tx = hmap_get(sip_tx_servers, key)) != NULL) {
		free(key);
		sip_tx_absorb(tx);
		sip_msg_free(m);
		return;
	}
	tx = sip_tx_new(TXK_SERVER, peer);
	tx->key = key;
	tx->req = m;
	tx->state = TXS_TRYING;
	hmap_put(sip_tx_servers, key, tx);

	key = sip_tx_server_key(m, "INVITE");
	inv = hmap_get(sip_tx_servers, key);
	free(key);
	if (inv == NULL || inv->kind != TXK_SERVER_INVITE) {
		sip_tx_reply(tx, sip_answer_code(ANS_NO_DIALOG),
		    sip_answer_reason(ANS_NO_DIALOG));
		return;
	}
	/* 9.2: the same To tag as the responses to the INVITE. */
	memcpy(tx->tag, sip_tx_local_tag(inv), sizeof(tx->tag));
	sip_tx_reply(tx, sip_answer_code(ANS_OK), sip_answer_reason(ANS_OK));
	if (inv->state != TXS_PROCEEDING)
		return;
	if (inv->detached || sip_tx_core.cancelled == NULL) {
		sip_tx_reply(inv, sip_answer_code(ANS_REQUEST_TERMINATED),
		    sip_answer_reason(ANS_REQUEST_TERMINATED));
		return;
	}
	inv->incb++;
	sip_tx_core.cancelled(inv);
	inv->incb--;
	sip_tx_release(inv);
}

/* Build and send the ACK for a non-2xx final (17.1.1.3). */
static void
sip_tx_send_ack(struct sip_tx *tx, const struct sip_msg *resp)
{
	struct sip_msg	*ack;
	const char	*route;
	char		*from, *to;

	from = sip_msg_from_text(tx->req);
	to = sip_msg_to_text(resp);
	ack = sip_msg_request("ACK", sip_msg_ruri(tx->req), from, to,
	    sip_msg_callid(tx->req), sip_msg_cseq(tx->req));
	free(from);
	free(to);
	if (ack == NULL)
		return;
	if ((route = sip_msg_header(tx->req, "Route")) != NULL)
		sip_msg_add_header(ack, "Route", route);
	if (sip_msg_push_via(ack, sip_tx_via_transport(tx->peer.transport),
	    sip_msg_via_host(tx->req), sip_msg_via_port(tx->req),
	    sip_msg_via_branch(tx->req)) == -1) {
		sip_msg_free(ack);
		return;
	}
	sip_tx_forget(tx);
	sip_msg_free(tx->ack);
	tx->ack = ack;
	sip_tx_xmit_kept(tx, ack);
}

/* Start a client transaction for req, whose top Via carries branch. */
static struct sip_tx *
sip_tx_client_start(struct sip_msg *req, const struct sip_peer *dst,
    const struct sip_tx_cb *cb, const char *branch, const char *method)
{
	struct sip_tx	*tx;
	int		 invite = strcmp(method, "INVITE") == 0;

	tx = sip_tx_new(invite ? TXK_CLIENT_INVITE : TXK_CLIENT, dst);
	tx->req = req;
	tx->state = invite ? TXS_CALLING : TXS_TRYING;
	if (cb != NULL)
		tx->cb = *cb;
	tx->key = sip_tx_client_key(branch, method);
	hmap_put(sip_tx_clients, tx->key, tx);
	if (sip_tx_xmit_kept(tx, req) == -1) {
		/* 17.1.4: a 503 to the owner, after it has its pointer. */
		tx->failed = 1;
		sip_tx_arm(tx->timer, 0);
		return (tx);
	}
	if (!tx->reliable)
		sip_tx_arm(tx->retx, sip_tx_t.t1);	/* A or E */
	sip_tx_arm(tx->timer, 64 * sip_tx_t.t1);	/* B or F */
	return (tx);
}

/* Send the CANCEL of a client INVITE (9.1) as its own transaction. */
static int
sip_tx_send_cancel(struct sip_tx *tx)
{
	struct sip_msg	*c;
	const char	*route, *branch = sip_msg_via_branch(tx->req);
	char		*from, *to;

	if (branch == NULL)
		return (-1);
	from = sip_msg_from_text(tx->req);
	to = sip_msg_to_text(tx->req);
	c = sip_msg_request("CANCEL", sip_msg_ruri(tx->req), from, to,
	    sip_msg_callid(tx->req), sip_msg_cseq(tx->req));
	free(from);
	free(to);
	if (c == NULL)
		return (-1);
	if ((route = sip_msg_header(tx->req, "Route")) != NULL)
		sip_msg_add_header(c, "Route", route);
	if (sip_msg_push_via(c, sip_tx_via_transport(tx->peer.transport),
	    sip_msg_via_host(tx->req), sip_msg_via_port(tx->req),
	    branch) == -1) {
		sip_msg_free(c);
		return (-1);
	}
	tx->cancelled = 1;
	sip_tx_client_start(c, &tx->peer, NULL, branch, "CANCEL");
	/* 9.1: no final within 64*T1 of the CANCEL: the INVITE is over. */
	evtimer_del(tx->timer);
	sip_tx_arm(tx->timer, 64 * sip_tx_t.t1);
	return (0);
}

/* A response for a client INVITE transaction (17.1.1.2, RFC 6026). */
static void
sip_tx_client_invite_response(struct sip_tx *tx, const struct sip_msg *m,
    const struct sip_peer *peer, int code)
{
	if (tx->state == TXS_COMPLETED) {
		if (code >= 300 && tx->ack != NULL)
			sip_tx_xmit_kept(tx, tx->ack);
		return;
	}
	if (tx->state == TXS_ACCEPTED) {
		/* RFC 6026 7.2: 2xx copies go to the core, which re-ACKs. */
		if (code >= 200 && code < 300 &&
		    sip_tx_core.stray_response != NULL)
			sip_tx_core.stray_response(m, peer);
		return;
	}
	if (tx->state != TXS_CALLING && tx->state != TXS_PROCEEDING)
		return;
	evtimer_del(tx->retx);
	if (code < 200) {
		if (tx->state == TXS_CALLING && !tx->cancelled)
			evtimer_del(tx->timer);		/* B: Calling only */
		tx->state = TXS_PROCEEDING;
		if (tx->cancel_wanted && !tx->cancelled)
			sip_tx_send_cancel(tx);
		sip_tx_deliver(tx, m, code);
		return;
	}
	evtimer_del(tx->timer);
	if (code < 300) {
		tx->state = TXS_ACCEPTED;
		sip_tx_arm(tx->timer, 64 * sip_tx_t.t1);	/* M */
		/*
		 * Nobody wants this 2xx (detached, e.g. after our CANCEL
		 * lost the race): the core still has to ACK and BYE it, and
		 * over TCP no copy would come (15.1.1).
		 */
		if (tx->cb.fn == NULL && sip_tx_core.stray_response != NULL) {
			sip_tx_core.stray_response(m, peer);
			return;
		}
	} else {
		tx->state = TXS_COMPLETED;
		sip_tx_send_ack(tx, m);
		sip_tx_arm(tx->timer, tx->reliable ? 0 : sip_tx_t.d);
	}
	sip_tx_deliver(tx, m, code);
}

/* A response for a client non-INVITE transaction (17.1.2.2). */
static void
sip_tx_client_response(struct sip_tx *tx, const struct sip_msg *m, int code)
{
	if (tx->state != TXS_TRYING && tx->state != TXS_PROCEEDING)
		return;
	if (code < 200) {
		tx->state = TXS_PROCEEDING;
		sip_tx_deliver(tx, m, code);
		return;
	}
	tx->state = TXS_COMPLETED;
	evtimer_del(tx->retx);
	evtimer_del(tx->timer);
	sip_tx_arm(tx->timer, tx->reliable ? 0 : sip_tx_t.t4);	/* K */
	sip_tx_deliver(tx, m, code);
}

/* Match a response to its client transaction (17.1.3). */
static void
sip_tx_input_response(struct sip_msg *m, const struct sip_peer *peer)
{
	const char	*branch = sip_msg_via_branch(m);
	const char	*method = sip_msg_cseq_method(m);
	struct sip_tx	*tx = NULL;
	char		*key;
	int		 code = sip_msg_status(m);

	if (branch != NULL && method != NULL && code >= 100 && code <= 699) {
		key = sip_tx_client_key(branch, method);
		tx = hmap_get(sip_tx_clients, key);
		free(key);
	}
	if (tx == NULL) {
		if (sip_tx_core.stray_response != NULL)
			sip_tx_core.stray_response(m, peer);
	} else if (tx->kind == TXK_CLIENT_INVITE)
		sip_tx_client_invite_response(tx, m, peer, code);
	else
		sip_tx_client_response(tx, m, code);
	sip_msg_free(m);
	if (tx != NULL)
		sip_tx_release(tx);
}

/* Feed one received message to the layer. */
void
sip_tx_input(struct sip_msg *m, const struct sip_peer *peer)
{
	const char	*method;

	if (sip_tx_servers == NULL) {
		sip_msg_free(m);
		return;
	}
	if (!sip_msg_is_request(m)) {
		sip_tx_input_response(m, peer);
		return;
	}
	if ((method = sip_msg_method(m)) == NULL) {
		sip_msg_free(m);
		return;
	}
	if (strcmp(method, "ACK") == 0)
		sip_tx_input_ack(m, peer);
	else if (strcmp(method, "CANCEL") == 0)
		sip_tx_input_cancel(m, peer);
	else
		sip_tx_input_request(m, peer, method);
}

/* Timer A, E, G or the 2xx retransmission fired: send again, back off. */
static void
sip_tx_on_retx(evutil_socket_t fd, short what, void *arg)
{
	struct sip_tx	*tx = arg;
	int		 next = tx->interval * 2;

	/* Timer A doubles without a cap; E, G and 2xx stop at T2. */
	if (tx->kind != TXK_CLIENT_INVITE && next > sip_tx_t.t2)
		next = sip_tx_t.t2;
	switch (tx->kind) {
	case TXK_CLIENT_INVITE:
		if (tx->state != TXS_CALLING)
			return;
		sip_tx_xmit_kept(tx, tx->req);
		break;
	case TXK_CLIENT:
		if (tx->state == TXS_PROCEEDING)
			next = sip_tx_t.t2;	/* 17.1.2.2 */
		else if (tx->state != TXS_TRYING)
			return;
		sip_tx_xmit_kept(tx, tx->req);
		break;
	case TXK_SERVER_INVITE:
		if ((tx->state != TXS_COMPLETED && tx->state != TXS_ACCEPTED) ||
		    tx->acked || tx->last == NULL)
			return;
		sip_tx_xmit_kept(tx, tx->last);
		break;
	case TXK_SERVER:
		return;
	}
	tx->interval = next;
	sip_tx_arm(tx->retx, next);
}

/* Timer B or F, or a send failure: the owner hears 408 or 503. */
static void
sip_tx_client_fail(struct sip_tx *tx, int status)
{
	log_debug("sip transaction failed status=%d method=%s call=%s",
	    status, sip_msg_method(tx->req), sip_msg_callid(tx->req));
	tx->incb++;
	sip_tx_unlink(tx);
	sip_tx_deliver(tx, NULL, status);
	tx->incb--;
	sip_tx_release(tx);
}

/* Timer L: the 2xx was never acknowledged (RFC 6026, 13.3.1.4). */
static void
sip_tx_ack_timeout(struct sip_tx *tx)
{
	if (tx->acked || tx->detached || sip_tx_core.ack_timeout == NULL) {
		sip_tx_terminate(tx);
		return;
	}
	log_debug("sip no ACK for 2xx call=%s", sip_msg_callid(tx->req));
	tx->incb++;
	sip_tx_unlink(tx);
	sip_tx_core.ack_timeout(tx);
	tx->incb--;
	sip_tx_release(tx);
}

/* The state timer fired: B D F H I J K L M, or a deferred failure. */
static void
sip_tx_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_tx	*tx = arg;

	if (tx->failed) {
		sip_tx_client_fail(tx, sip_answer_code(
		    ANS_SERVICE_UNAVAILABLE));
		return;
	}
	switch (tx->state) {
	case TXS_CALLING:
	case TXS_TRYING:
	case TXS_PROCEEDING:
		/* B, F, or 64*T1 after our CANCEL (9.1). */
		if (tx->kind == TXK_CLIENT_INVITE || tx->kind == TXK_CLIENT)
			sip_tx_client_fail(tx, sip_answer_code(
			    ANS_REQUEST_TIMEOUT));
		return;
	case TXS_ACCEPTED:
		if (tx->kind == TXK_SERVER_INVITE) {
			sip_tx_ack_timeout(tx);	/* L */
			return;
		}
		break;				/* M */
	case TXS_COMPLETED:
		if (tx->kind == TXK_SERVER_INVITE)
			log_debug("sip no ACK for final call=%s",
			    sip_msg_callid(tx->req));	/* H */
		break;				/* D, J, K */
	default:
		break;				/* I */
	}
	sip_tx_terminate(tx);
}

/* The request of a server (or client) transaction. */
const struct sip_msg *
sip_tx_request(const struct sip_tx *tx)
{
	return (tx->req);
}

/* Where the request came from (server) or goes to (client). */
const struct sip_peer *
sip_tx_peer(const struct sip_tx *tx)
{
	return (&tx->peer);
}

/* A final response on a server INVITE transaction (17.2.1, RFC 6026). */
static void
sip_tx_server_invite_final(struct sip_tx *tx, int code)
{
	tx->interval = sip_tx_t.t1;
	if (code < 300) {
		/* Accepted: retransmit the 2xx until the ACK (13.3.1.4). */
		tx->state = TXS_ACCEPTED;
		tx->ackkey = sip_tx_ack_key(tx->req);
		hmap_put(sip_tx_acks, tx->ackkey, tx);
		sip_tx_arm(tx->timer, 64 * sip_tx_t.t1);	/* L */
	} else {
		tx->state = TXS_COMPLETED;
		sip_tx_arm(tx->timer, 64 * sip_tx_t.t1);	/* H */
	}
	if (!tx->reliable)
		sip_tx_arm(tx->retx, sip_tx_t.t1);		/* G / 2xx */
}

/* Send a response on a server transaction (ownership passes). */
int
sip_tx_respond(struct sip_tx *tx, struct sip_msg *resp)
{
	int	 code, r;

	if (tx == NULL || resp == NULL || tx->kind == TXK_CLIENT ||
	    tx->kind == TXK_CLIENT_INVITE) {
		sip_msg_free(resp);
		return (-1);
	}
	code = sip_msg_status(resp);
	if (tx->kind == TXK_SERVER_INVITE && tx->state == TXS_ACCEPTED &&
	    code >= 200 && code < 300) {
		/* RFC 6026 7.1: a 2xx copy from the core is sent as is. */
		sip_tx_forget(tx);
		sip_msg_free(tx->last);
		tx->last = resp;
		return (sip_tx_xmit_kept(tx, resp));
	}
	if (tx->state != TXS_TRYING && tx->state != TXS_PROCEEDING) {
		sip_msg_free(resp);
		return (-1);
	}
	sip_tx_forget(tx);
	sip_msg_free(tx->last);
	tx->last = resp;
	r = sip_tx_xmit_kept(tx, resp);
	if (code >= 200 && events_sip_final != NULL)
		events_sip_final(sip_msg_method(tx->req), &tx->born);
	if (code < 200)
		tx->state = TXS_PROCEEDING;
	else if (tx->kind == TXK_SERVER_INVITE)
		sip_tx_server_invite_final(tx, code);
	else {
		tx->state = TXS_COMPLETED;
		sip_tx_arm(tx->timer, tx->reliable ? 0 :
		    64 * sip_tx_t.t1);				/* J */
	}
	if (r == -1)
		log_debug("sip response not sent status=%d call=%s", code,
		    sip_msg_callid(tx->req));
	sip_tx_slim(tx);
	return (r);
}

/* Build and send a response with our To tag (none on 100). */
int
sip_tx_reply(struct sip_tx *tx, int code, const char *reason)
{
	struct sip_msg	*resp;

	if (tx == NULL || tx->kind == TXK_CLIENT ||
	    tx->kind == TXK_CLIENT_INVITE)
		return (-1);
	if (reason == NULL)
		reason = sip_reason_default(code);
	resp = sip_msg_response(tx->req, code, reason,
	    code == 100 ? NULL : sip_tx_local_tag(tx));
	if (resp == NULL)
		return (-1);
	return (sip_tx_respond(tx, resp));
}

/* Set (or clear, with NULL) the owner that holds this transaction. */
void
sip_tx_set_owner(struct sip_tx *tx, void *owner)
{
	tx->owner = owner;
	if (owner == NULL && tx->state != TXS_TERMINATED)
		sip_tx_slim(tx);
	sip_tx_release(tx);
}

/* The owner, or NULL. */
void *
sip_tx_owner(const struct sip_tx *tx)
{
	return (tx->owner);
}

/* Our To tag for this transaction's responses, drawn once. */
const char *
sip_tx_local_tag(struct sip_tx *tx)
{
	if (tx->tag[0] == '\0')
		sip_random_token(tx->tag, sizeof(tx->tag));
	return (tx->tag);
}

/* Push our Via with a fresh branch; 0 or -1. */
static int
sip_tx_push_via(struct sip_msg *m, const struct sip_peer *dst, char *branch,
    size_t len)
{
	const char	*host;
	int		 port;
	size_t		 n = strlen(SIP_TX_COOKIE);

	if (len < n + 17)
		return (-1);
	memcpy(branch, SIP_TX_COOKIE, n);
	sip_random_token(branch + n, 17);
	host = sip_transport_local(dst->transport, &port);
	return (sip_msg_push_via(m, sip_tx_via_transport(dst->transport),
	    host, port, branch));
}

/* Start a client transaction: Via, send, timers. */
struct sip_tx *
sip_tx_send(struct sip_msg *req, const struct sip_peer *dst,
    const struct sip_tx_cb *cb)
{
	const char	*method;
	char		 branch[32];

	if (req == NULL)
		return (NULL);
	method = sip_msg_method(req);
	if (sip_tx_clients == NULL || method == NULL ||
	    strcmp(method, "ACK") == 0 ||
	    sip_tx_push_via(req, dst, branch, sizeof(branch)) == -1) {
		sip_msg_free(req);
		return (NULL);
	}
	return (sip_tx_client_start(req, dst, cb, branch, method));
}

/* CANCEL a client INVITE: now if a 1xx came, else at the first 1xx. */
int
sip_tx_cancel(struct sip_tx *tx)
{
	if (tx == NULL || tx->kind != TXK_CLIENT_INVITE)
		return (-1);
	if (tx->cancelled || tx->cancel_wanted)
		return (0);
	switch (tx->state) {
	case TXS_CALLING:
		/* 9.1: no CANCEL before a provisional response. */
		tx->cancel_wanted = 1;
		return (0);
	case TXS_PROCEEDING:
		return (sip_tx_send_cancel(tx));
	default:
		return (0);	/* a final came: nothing to cancel */
	}
}

/* The owner lets go: no more callbacks, free once terminated. */
void
sip_tx_detach(struct sip_tx *tx)
{
	if (tx == NULL)
		return;
	memset(&tx->cb, 0, sizeof(tx->cb));
	tx->owner = NULL;
	tx->detached = 1;
	sip_tx_release(tx);
}

/* Push a Via and send outside any transaction (ownership passes). */
int
sip_tx_send_stateless(struct sip_msg *m, const struct sip_peer *dst)
{
	char	 branch[32];
	int	 r = -1;

	if (m == NULL)
		return (-1);
	if (sip_tx_push_via(m, dst, branch, sizeof(branch)) == 0)
		r = sip_tx_xmit(dst, m);
	sip_msg_free(m);
	return (r);
}

/* Live transactions (those in a map). */
size_t
sip_tx_count(void)
{
	if (sip_tx_servers == NULL)
		return (0);
	return (hmap_count(sip_tx_servers) + hmap_count(sip_tx_clients));
}

/* State name for logs and roamctl. */
const char *
sip_tx_state_name(const struct sip_tx *tx)
{
	static const char *names[] = {
		"calling", "trying", "proceeding", "completed", "confirmed",
		"accepted", "terminated"
	};

	if (tx == NULL || (unsigned)tx->state >= sizeof(names) /
	    sizeof(names[0]))
		return ("unknown");
	return (names[tx->state]);
}
