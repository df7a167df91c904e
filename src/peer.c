/*
 * Peer links (DESIGN.md section 5): sessions between sites.
 *
 * Every site listens and dials every configured peer whose link is down.
 * When both dial at once, the connection initiated by the lower site id
 * is the one kept: the lower side refuses an inbound HELLO while its own
 * dial to that peer is in progress, and the higher side drops its dial
 * once the lower side's connection is up.  So both ends agree without a
 * third message, and a restart on either side reconnects at once.
 *
 * Handshake, symmetric, two frames each way:
 *	HELLO	site name, id, epoch, a fresh 32-byte nonce
 *	AUTH	HMAC-SHA256(secret, own nonce || peer nonce || own name)
 * Each proof binds both nonces of this connection, so a recorded AUTH is
 * useless on another one; the sender's own name and the nonce order make
 * a proof reflected back at its sender fail.  The secret never travels.
 *
 * A frame that does not decode costs the sender its link: we answer with
 * an ERROR frame naming the cause, flush it and close.  Nothing a peer
 * sends reaches fatal().  No frame for hold_ms closes the link; keepalives
 * go every hold_ms / 3.  A link that is down is retried after 1 s,
 * doubling to 30 s, with +-25% jitter so that sites restarted together do
 * not dial in lock step.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "peer.h"
#include "peer_frame.h"
#include "peer_int.h"
#include "peer_tls.h"
#include "roamd.h"
#include "xmalloc.h"

/* A link whose unsent output passes this is stuck: close it. */
#define PEER_MAXBACKLOG		(4 * 1024 * 1024)
/* How long a closing link may take to flush its ERROR frame. */
#define PEER_LINGER_MS		1000
/* Unauthenticated inbound connections at once: a scanner or a flood
 * cannot make us hold more than this many sockets. */
#define PEER_MAXPENDING		64

static void	peer_conn_read(struct bufferevent *, void *);
static void	peer_conn_event(struct bufferevent *, short, void *);
static void	peer_schedule(struct peer *);
static void	peer_hold_expired(evutil_socket_t, short, void *);
static void	peer_keepalive(evutil_socket_t, short, void *);

/* xorshift64*: jitter only, seeded from RAND_bytes. */
uint32_t
peer_rand(struct peer_net *net)
{
	net->rng ^= net->rng >> 12;
	net->rng ^= net->rng << 25;
	net->rng ^= net->rng >> 27;
	return ((uint32_t)((net->rng * 0x2545F4914F6CDD1DULL) >> 32));
}

/* A timeval of ms milliseconds. */
struct timeval *
peer_tv(struct timeval *tv, int ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
	return (tv);
}

/* "1.2.3.4:5" or "[::1]:5" of a socket address. */
void
peer_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "?");
}

/*
 * The one place a link's bufferevent is made: an OpenSSL one when
 * network.tls is set (connecting when we dial, accepting otherwise),
 * plain TCP without.  The session code above it is the same.
 */
static struct bufferevent *
peer_conn_bev(struct peer_net *net, evutil_socket_t fd, int outbound)
{
	if (net->tls != NULL)
		return (peer_tls_bev(net->base, net->tls, fd, outbound));
	return (bufferevent_socket_new(net->base, fd,
	    BEV_OPT_CLOSE_ON_FREE));
}

/* Frames are small and latency matters more than packet count. */
static void
peer_nodelay(struct bufferevent *bev)
{
	int	 one = 1;

	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
}

/* HMAC-SHA256(secret, a || b || name): the handshake proof. */
static void
peer_proof(const struct peer_net *net, const uint8_t *a, const uint8_t *b,
    const char *name, uint8_t *out)
{
	uint8_t		 data[2 * PEER_NONCELEN + PEER_NAMELEN];
	size_t		 nlen = strlen(name);
	unsigned int	 olen = PEER_PROOFLEN;

	memcpy(data, a, PEER_NONCELEN);
	memcpy(data + PEER_NONCELEN, b, PEER_NONCELEN);
	memcpy(data + 2 * PEER_NONCELEN, name, nlen);
	if (HMAC(EVP_sha256(), net->secret, (int)strlen(net->secret), data,
	    2 * PEER_NONCELEN + nlen, out, &olen) == NULL)
		memset(out, 0, PEER_PROOFLEN);	/* never matches a proof */
}

/* Create a connection around bev; the hold timer covers the handshake. */
static struct peer_conn *
peer_conn_new(struct peer_net *net, struct bufferevent *bev, int outbound,
    const struct sockaddr *sa)
{
	struct peer_conn	*c;
	struct timeval		 tv;

	c = xcalloc(1, sizeof(*c));
	c->net = net;
	c->bev = bev;
	c->outbound = outbound;
	c->tls = net->tls != NULL;
	/* Inbound TLS says HELLO once its handshake is done. */
	c->state = outbound || c->tls ? CONN_CONNECTING : CONN_HELLO;
	peer_addr_text(sa, c->addr, sizeof(c->addr));
	c->hold = evtimer_new(net->base, peer_hold_expired, c);
	c->keepalive = event_new(net->base, -1, EV_PERSIST, peer_keepalive,
	    c);
	if (c->hold == NULL || c->keepalive == NULL)
		fatalx("peer: event_new");
	bufferevent_setcb(bev, peer_conn_read, NULL, peer_conn_event, c);
	evtimer_add(c->hold, peer_tv(&tv, net->hold_ms));
	TAILQ_INSERT_TAIL(&net->conns, c, entry);
	return (c);
}

/* Free closed connections, outside any of their callbacks. */
void
peer_reap(evutil_socket_t fd, short ev, void *arg)
{
	struct peer_net		*net = arg;
	struct peer_conn	*c;

	while ((c = TAILQ_FIRST(&net->dead)) != NULL) {
		TAILQ_REMOVE(&net->dead, c, entry);
		bufferevent_free(c->bev);
		event_free(c->hold);
		event_free(c->keepalive);
		free(c);
	}
}

/* Drop the socket now; the memory goes at the next reap. */
void
peer_conn_kill(struct peer_conn *c)
{
	struct peer_net	*net = c->net;

	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	evtimer_del(c->hold);
	event_del(c->keepalive);
	if (bufferevent_getfd(c->bev) != -1)
		shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	TAILQ_REMOVE(&net->conns, c, entry);
	TAILQ_INSERT_TAIL(&net->dead, c, entry);
	event_active(net->reaper, EV_TIMEOUT, 0);
}

/* Write a finished frame; stamps the sequence when it is 0. */
int
peer_conn_write(struct peer_conn *c, struct peer_out *o)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (c->state == CONN_CLOSING || o->len < PEER_HDRLEN)
		return (-1);
	if (evbuffer_get_length(out) > PEER_MAXBACKLOG) {
		peer_conn_close(c, "backlog", 0);
		return (-1);
	}
	if (peer_frame_seq(o) == 0) {
		if (++c->seq == 0)
			c->seq = 1;
		peer_frame_set_seq(o, c->seq);
	}
	if (bufferevent_write(c->bev, o->buf, o->len) == -1)
		return (-1);
	if (c->peer != NULL)
		c->peer->tx++;
	return (0);
}

/* Send a link frame with no attributes but its type. */
static void
peer_conn_simple(struct peer_conn *c, uint8_t type)
{
	struct peer_out	 o = { 0 };
	const char	*cause;

	peer_frame_begin(&o, type, 0);
	if (peer_frame_end(&o, &cause) == 0)
		peer_conn_write(c, &o);
	peer_frame_free(&o);
}

/* Send ERROR with a reason, then close once it is flushed. */
static void
peer_conn_error(struct peer_conn *c, const char *down, const char *reason)
{
	struct peer_out	 o = { 0 };
	const char	*cause;

	peer_frame_begin(&o, PT_ERROR, 0);
	peer_frame_put_u32(&o, PA_RESULT, PR_PROTOCOL);
	peer_frame_put_str(&o, PA_REASON, reason);
	if (peer_frame_end(&o, &cause) == 0)
		peer_conn_write(c, &o);
	peer_frame_free(&o);
	peer_conn_close(c, down, 1);
}

/* Output flushed on a closing link: now close. */
static void
peer_conn_drained(struct bufferevent *bev, void *arg)
{
	peer_conn_kill(arg);
}

/* A closing link failed or the far end closed: close now. */
static void
peer_conn_closing_event(struct bufferevent *bev, short what, void *arg)
{
	peer_conn_kill(arg);
}

/* The link is down: tell the upper layers and plan the reconnect. */
static void
peer_down(struct peer *p, const char *reason)
{
	struct peer_net	*net = p->net;
	size_t		 i;

	p->conn = NULL;
	p->state = PEER_DOWN;
	p->since = time(NULL);
	p->flaps++;
	p->down_reason = reason;
	log_info("peer down name=%s id=%d reason=%s", p->name, p->id, reason);
	for (i = 0; i < net->ncb; i++)
		if (net->cb[i].on_down != NULL)
			net->cb[i].on_down(p);
	peer_schedule(p);
}

/*
 * Close c.  reason is what the peer's state records if c was its link.
 * flush: let queued output (an ERROR frame) go first, for a short while.
 */
void
peer_conn_close(struct peer_conn *c, const char *reason, int flush)
{
	struct peer	*p = c->peer;
	struct timeval	 tv;

	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	c->peer = NULL;
	event_del(c->keepalive);
	if (p != NULL && p->dial == c)
		p->dial = NULL;
	if (p != NULL && p->conn == c)
		peer_down(p, reason);
	else if (p != NULL)
		peer_schedule(p);
	if (flush && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setcb(c->bev, NULL, peer_conn_drained,
		    peer_conn_closing_event, c);
		evtimer_add(c->hold, peer_tv(&tv, PEER_LINGER_MS));
		return;
	}
	peer_conn_kill(c);
}

/* Back-off for the n-th attempt: min * 2^n up to max, +-25%. */
static int
peer_backoff(struct peer_net *net, int n)
{
	long	 d = net->backoff_min_ms;

	while (n-- > 0 && d < net->backoff_max_ms)
		d *= 2;
	if (d > net->backoff_max_ms)
		d = net->backoff_max_ms;
	return ((int)(d * 3 / 4 + peer_rand(net) % (uint32_t)(d / 2 + 1)));
}

/* Plan the next dial to p unless it is up or being dialled. */
static void
peer_schedule(struct peer *p)
{
	struct timeval	 tv;

	if (p->removed || p->state == PEER_UP || p->dial != NULL ||
	    evtimer_pending(p->retry, NULL))
		return;
	evtimer_add(p->retry, peer_tv(&tv, peer_backoff(p->net,
	    p->attempts++)));
}

/* Is an inbound handshake from p past its HELLO right now? */
static int
peer_inbound_pending(struct peer *p)
{
	struct peer_conn	*c;

	TAILQ_FOREACH(c, &p->net->conns, entry)
		if (c->peer == p && !c->outbound && c->state == CONN_AUTH)
			return (1);
	return (0);
}

/* Retry timer: dial p. */
void
peer_dial(evutil_socket_t fd, short ev, void *arg)
{
	struct peer		*p = arg;
	struct peer_conn	*c;
	struct bufferevent	*bev;

	if (p->state == PEER_UP || p->dial != NULL)
		return;
	if (peer_inbound_pending(p)) {
		peer_schedule(p);	/* it may come up by itself */
		return;
	}
	if ((bev = peer_conn_bev(p->net, -1, 1)) == NULL) {
		peer_schedule(p);
		return;
	}
	c = peer_conn_new(p->net, bev, 1, (struct sockaddr *)&p->ss);
	c->peer = p;
	p->dial = c;
	log_debug("peer dial name=%s addr=%s attempt=%d", p->name,
	    p->address, p->attempts);
	/* c, not p->dial: a failure may already have been reported. */
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&p->ss,
	    (int)p->sslen) == -1)
		peer_conn_close(c, "connect-failed", 0);
}

/* Send our HELLO with a fresh nonce and start reading. */
static void
peer_conn_hello(struct peer_conn *c)
{
	struct peer_net	*net = c->net;
	struct peer_out	 o = { 0 };
	const char	*cause;

	if (RAND_bytes(c->nonce, sizeof(c->nonce)) != 1) {
		peer_conn_close(c, "rand-failed", 0);
		return;
	}
	c->state = CONN_HELLO;
	peer_frame_begin(&o, PT_HELLO, 0);
	peer_frame_put_str(&o, PA_SITE_NAME, net->name);
	peer_frame_put_u32(&o, PA_SITE_ID, (uint32_t)net->id);
	peer_frame_put_u64(&o, PA_EPOCH, net->epoch);
	peer_frame_put_bytes(&o, PA_NONCE, c->nonce, sizeof(c->nonce));
	if (peer_frame_end(&o, &cause) == 0)
		peer_conn_write(c, &o);
	peer_frame_free(&o);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Refuse a handshake: log it, tell the far end why, close. */
static void
peer_refuse(struct peer_conn *c, const char *name, const char *reason)
{
	c->net->refused++;
	c->net->last_refused = reason;
	log_warnx("peer refused name=%s addr=%s reason=%s", name, c->addr,
	    reason);
	peer_conn_error(c, reason, reason);
}

/* Does c's certificate name site name?  If not, refuse c and say whose
 * certificate it is. */
static int
peer_tls_name_check(struct peer_conn *c, const char *name)
{
	char	 cn[PEER_NAMELEN * 2];

	if (!c->tls || peer_tls_names(c->bev, name))
		return (0);
	peer_tls_cert_name(c->bev, cn, sizeof(cn));
	c->net->refused++;
	c->net->last_refused = "cert-name-mismatch";
	log_warnx("peer refused name=%s addr=%s reason=cert-name-mismatch "
	    "cert=%s", name, c->addr, cn);
	peer_conn_error(c, "cert-name-mismatch", "cert-name-mismatch");
	return (-1);
}

/* Which configured peer is q, other than p, up with this id? */
static struct peer *
peer_id_taken(struct peer_net *net, struct peer *p, int id)
{
	struct peer	*q;

	for (q = net->peers; q != NULL; q = q->next)
		if (q != p && q->state == PEER_UP && q->id == id)
			return (q);
	return (NULL);
}

/* Check their HELLO; return the peer it names, or NULL after refusing. */
static struct peer *
peer_hello_check(struct peer_conn *c, const char *name, uint32_t id)
{
	struct peer_net	*net = c->net;
	struct peer	*p;

	/* Inbound: the first time we learn whom the certificate must name. */
	if (peer_tls_name_check(c, name) == -1)
		return (NULL);
	if (c->outbound && strcmp(name, c->peer->name) != 0) {
		peer_refuse(c, name, "name-mismatch");
		return (NULL);
	}
	p = c->outbound ? c->peer : peer_net_find(net, name);
	if (p == NULL || strcmp(name, net->name) == 0) {
		peer_refuse(c, name, "unknown-site");
		return (NULL);
	}
	if (id < 1 || id > 99 || (int)id == net->id ||
	    peer_id_taken(net, p, (int)id) != NULL) {
		peer_refuse(c, name, "duplicate-id");
		return (NULL);
	}
	return (p);
}

/* The site id that opened c. */
static int
peer_initiator(const struct peer_conn *c)
{
	return (c->outbound ? c->net->id : c->their_id);
}

/*
 * A second link to the same peer came up.  The new one wins when the
 * peer restarted (the old one is a corpse) or when it was opened by the
 * same side as the old one (that side gave the old one up); otherwise the
 * link opened by the lower site id wins.  Both ends reach the same answer.
 */
static int
peer_keep_new(const struct peer_conn *old, const struct peer_conn *new)
{
	if (old->their_epoch != new->their_epoch)
		return (1);
	if (peer_initiator(old) == peer_initiator(new))
		return (1);
	return (peer_initiator(new) < peer_initiator(old));
}

/* Their HELLO: check who they are, answer with our proof. */
static void
peer_on_hello(struct peer_conn *c, const struct peer_msg *m)
{
	struct peer_net		*net = c->net;
	const struct peer_attr	*nonce;
	struct peer		*p;
	struct peer_out		 o = { 0 };
	uint8_t			 proof[PEER_PROOFLEN];
	const char		*cause;
	uint32_t		 id = 0;

	if (peer_msg_str(m, PA_SITE_NAME, c->their_name,
	    sizeof(c->their_name)) == -1) {
		peer_conn_error(c, "bad-frame", "bad site name");
		return;
	}
	peer_msg_u32(m, PA_SITE_ID, &id);
	peer_msg_u64(m, PA_EPOCH, &c->their_epoch);
	nonce = peer_msg_get(m, PA_NONCE);
	if ((p = peer_hello_check(c, c->their_name, id)) == NULL)
		return;
	c->their_id = (int)id;
	/* Already linked, and the tie-break keeps that link: say so now,
	 * before our AUTH could let the far end think this one is up. */
	if (p->conn != NULL && !peer_keep_new(p->conn, c)) {
		log_debug("peer duplicate name=%s addr=%s kept=old", p->name,
		    c->addr);
		peer_conn_error(c, "duplicate", "duplicate");
		return;
	}
	/*
	 * Both dialled and we have the lower id.  If our dial already said
	 * HELLO, it is the one kept: refuse theirs.  If it is still in TCP
	 * connect, drop it instead (it never sent HELLO, so it can never
	 * complete at their end) and take theirs.  Either way exactly one
	 * connection can finish the handshake, and nobody sees a flap.
	 */
	if (!c->outbound && p->dial != NULL && net->id < (int)id) {
		if (p->dial->state != CONN_CONNECTING) {
			log_debug("peer duplicate name=%s addr=%s kept=ours",
			    p->name, c->addr);
			peer_conn_error(c, "duplicate", "duplicate");
			return;
		}
		log_debug("peer duplicate name=%s addr=%s kept=theirs",
		    p->name, c->addr);
		peer_conn_close(p->dial, "duplicate", 0);
	}
	c->peer = p;
	memcpy(c->their_nonce, nonce->val, PEER_NONCELEN);
	peer_proof(net, c->nonce, c->their_nonce, net->name, proof);
	peer_frame_begin(&o, PT_AUTH, 0);
	peer_frame_put_bytes(&o, PA_PROOF, proof, sizeof(proof));
	if (peer_frame_end(&o, &cause) == 0)
		peer_conn_write(c, &o);
	peer_frame_free(&o);
	c->state = CONN_AUTH;
}

/* The link is authenticated: it becomes p's link. */
static void
peer_established(struct peer_conn *c)
{
	struct peer_net	*net = c->net;
	struct peer	*p = c->peer;
	struct timeval	 tv;
	int		 restarted;
	size_t		 i;

	if (p->conn != NULL && p->conn != c) {
		if (!peer_keep_new(p->conn, c)) {
			log_debug("peer duplicate name=%s addr=%s kept=old",
			    p->name, c->addr);
			peer_conn_error(c, "duplicate", "duplicate");
			return;
		}
		peer_conn_close(p->conn, "replaced", 0);
	}
	restarted = p->epoch_known && p->epoch != c->their_epoch;
	c->state = CONN_UP;
	p->conn = c;
	if (p->dial == c)
		p->dial = NULL;
	p->state = PEER_UP;
	p->outbound = c->outbound;
	p->id = c->their_id;
	p->epoch = c->their_epoch;
	p->epoch_known = 1;
	p->since = time(NULL);
	p->attempts = 0;
	evtimer_del(p->retry);
	if (p->dial != NULL)	/* ours lost to theirs: drop it quietly */
		peer_conn_close(p->dial, "duplicate", 0);
	event_add(c->keepalive, peer_tv(&tv, net->hold_ms / 3 > 0 ?
	    net->hold_ms / 3 : 1));
	log_info("peer up name=%s id=%d epoch=%016llx dir=%s addr=%s%s",
	    p->name, p->id, (unsigned long long)p->epoch,
	    c->outbound ? "out" : "in", c->addr,
	    restarted ? " restarted=yes" : "");
	for (i = 0; i < net->ncb && p->conn == c; i++)
		if (net->cb[i].on_up != NULL)
			net->cb[i].on_up(p, restarted);
}

/* Their AUTH: verify the proof of the secret. */
static void
peer_on_auth(struct peer_conn *c, const struct peer_msg *m)
{
	const struct peer_attr	*a = peer_msg_get(m, PA_PROOF);
	uint8_t			 want[PEER_PROOFLEN];

	peer_proof(c->net, c->their_nonce, c->nonce, c->their_name, want);
	if (CRYPTO_memcmp(want, a->val, PEER_PROOFLEN) != 0) {
		peer_refuse(c, c->their_name, "bad-secret");
		return;
	}
	peer_established(c);
}

/* The far end closes with a reason. */
static void
peer_on_error(struct peer_conn *c, const struct peer_msg *m)
{
	char	 reason[256] = "-";

	peer_msg_str(m, PA_REASON, reason, sizeof(reason));
	if (strcmp(reason, "duplicate") == 0)
		log_debug("peer closed by remote name=%s addr=%s "
		    "reason=duplicate", c->peer != NULL ? c->peer->name : "-",
		    c->addr);
	else
		log_warnx("peer closed by remote name=%s addr=%s reason=%s",
		    c->peer != NULL ? c->peer->name : c->their_name[0] !=
		    '\0' ? c->their_name : "-", c->addr, reason);
	peer_conn_close(c, "remote-error", 0);
}

/* Hand an upper-layer frame to every registered callback. */
static void
peer_dispatch(struct peer_conn *c, const struct peer_msg *m)
{
	struct peer_net	*net = c->net;
	struct peer	*p = c->peer;
	size_t		 i;

	for (i = 0; i < net->ncb; i++)
		if (net->cb[i].on_message != NULL)
			net->cb[i].on_message(p, m);
}

/* One decoded frame, by connection state. */
static void
peer_on_frame(struct peer_conn *c, const struct peer_msg *m)
{
	struct timeval	 tv;

	evtimer_add(c->hold, peer_tv(&tv, c->net->hold_ms));
	if (c->peer != NULL)
		c->peer->rx++;
	if (m->type == PT_ERROR)
		peer_on_error(c, m);
	else if (c->state == CONN_HELLO && m->type == PT_HELLO)
		peer_on_hello(c, m);
	else if (c->state == CONN_AUTH && m->type == PT_AUTH)
		peer_on_auth(c, m);
	else if (c->state != CONN_UP || m->type == PT_HELLO ||
	    m->type == PT_AUTH) {
		log_warnx("peer bad frame name=%s addr=%s cause=unexpected %s",
		    c->peer != NULL ? c->peer->name : "-", c->addr,
		    peer_type_name(m->type));
		peer_conn_error(c, "bad-frame", "unexpected frame type");
	} else if (m->type != PT_KEEPALIVE)
		peer_dispatch(c, m);
}

/* Decode every whole frame in the input buffer. */
static void
peer_conn_read(struct bufferevent *bev, void *arg)
{
	struct peer_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct peer_msg		 m;
	const char		*cause;
	uint8_t			*p;
	size_t			 avail, need;
	ssize_t			 n;

	while (c->state != CONN_CLOSING) {
		if ((avail = evbuffer_get_length(in)) < PEER_HDRLEN)
			return;
		p = evbuffer_pullup(in, PEER_HDRLEN);
		need = PEER_HDRLEN + peer_frame_peek_len(p);
		if (peer_frame_peek_len(p) > PEER_MAXBODY || need > avail)
			need = PEER_HDRLEN;	/* the header alone, checked */
		else
			p = evbuffer_pullup(in, need);
		n = peer_frame_decode(p, need, &m, &cause);
		if (n == 0)
			return;
		if (n == -1) {
			log_warnx("peer bad frame name=%s addr=%s cause=%s",
			    c->peer != NULL ? c->peer->name : "-", c->addr,
			    cause);
			peer_conn_error(c, "bad-frame", cause);
			return;
		}
		peer_on_frame(c, &m);
		evbuffer_drain(in, (size_t)n);
	}
}

/*
 * A TLS link failed before it was up: if OpenSSL says why, log it as a
 * refusal (ours: the certificate or the handshake) or as the far end's
 * (an alert it sent), close, and return 1.  0: no TLS reason.
 */
static int
peer_conn_tls_failed(struct peer_conn *c)
{
	const char	*reason, *name;
	char		 detail[160], who[PEER_NAMELEN + 8] = "";

	if ((reason = peer_tls_failure(c->bev, detail, sizeof(detail))) ==
	    NULL)
		return (0);
	name = c->peer != NULL ? c->peer->name : c->their_name;
	if (name[0] != '\0')
		snprintf(who, sizeof(who), "name=%s ", name);
	if (strcmp(reason, "tls-alert") == 0) {
		log_warnx("peer closed by remote %saddr=%s reason=%s: %s",
		    who, c->addr, reason, detail);
	} else {
		c->net->refused++;
		c->net->last_refused = reason;
		log_warnx("peer refused %saddr=%s reason=%s: %s", who, c->addr,
		    reason, detail);
	}
	peer_conn_close(c, reason, 0);
	return (1);
}

/* Connected, closed or failed. */
static void
peer_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer_conn	*c = arg;
	const char		*name;

	if (what & BEV_EVENT_CONNECTED) {
		peer_nodelay(bev);
		/* Outbound: we know whom we dialled; check before HELLO. */
		if (c->outbound && peer_tls_name_check(c, c->peer->name) == -1)
			return;
		if (c->tls)
			log_debug("peer tls addr=%s version=%s", c->addr,
			    peer_tls_version(bev));
		peer_conn_hello(c);
		return;
	}
	if (c->tls && c->state != CONN_UP && peer_conn_tls_failed(c))
		return;
	name = c->peer != NULL ? c->peer->name : c->their_name;
	if (c->state == CONN_CONNECTING)
		log_debug("peer connect failed name=%s addr=%s: %s", name,
		    c->addr, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	else if (c->state != CONN_UP)
		log_debug("peer handshake closed name=%s addr=%s",
		    name[0] != '\0' ? name : "-", c->addr);
	peer_conn_close(c, (what & BEV_EVENT_EOF) ? "closed" : "error", 0);
}

/* Nothing heard for hold_ms (or a closing link would not flush). */
static void
peer_hold_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct peer_conn	*c = arg;

	if (c->state == CONN_CLOSING) {
		peer_conn_kill(c);
		return;
	}
	if (c->state != CONN_UP)
		log_debug("peer handshake timeout addr=%s", c->addr);
	peer_conn_close(c, c->state == CONN_UP ? "hold-timer" :
	    "handshake-timeout", 0);
}

/* Keepalive timer of an up link. */
static void
peer_keepalive(evutil_socket_t fd, short ev, void *arg)
{
	peer_conn_simple(arg, PT_KEEPALIVE);
}

/* A peer site connects to us: say HELLO and wait for theirs. */
void
peer_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct peer_net		*net = arg;
	struct bufferevent	*bev;
	struct peer_conn	*c;
	size_t			 pending = 0;

	TAILQ_FOREACH(c, &net->conns, entry)
		if (!c->outbound && c->state != CONN_UP)
			pending++;
	if (pending >= PEER_MAXPENDING) {
		log_warnx("peer accept refused: %zu handshakes pending",
		    pending);
		close(fd);
		return;
	}
	if ((bev = peer_conn_bev(net, fd, 0)) == NULL) {
		close(fd);
		return;
	}
	peer_nodelay(bev);
	peer_conn_inbound(net, bev, sa);
}

/*
 * An inbound link on bev: the accepted socket's, or one end of the fuzz
 * target's bufferevent pair, which so reads frames the way a live link
 * does.  We say HELLO first (TLS: once its handshake is done).
 */
struct peer_conn *
peer_conn_inbound(struct peer_net *net, struct bufferevent *bev,
    const struct sockaddr *sa)
{
	struct peer_conn	*c;

	c = peer_conn_new(net, bev, 0, sa);
	log_debug("peer accept addr=%s%s", c->addr, c->tls ? " tls=yes" : "");
	if (c->tls)
		bufferevent_enable(bev, EV_READ | EV_WRITE);
	else
		peer_conn_hello(c);
	return (c);
}

/* The listener failed to accept (out of descriptors): log, go on. */
void
peer_accept_error(struct evconnlistener *l, void *arg)
{
	log_warn("peer accept");
}

