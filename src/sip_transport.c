/*
 * SIP over UDP, TCP and TLS (RFC 3261 sections 18 and 26.2).
 *
 * UDP: one non-blocking socket and one libevent event per listener; a
 * wakeup reads up to SIP_UDP_BATCH datagrams so that a burst is drained
 * without one trip through the loop per message, and SO_RCVBUF is raised
 * so that a burst is not dropped by the kernel while we work.
 *
 * TCP: an evconnlistener and one bufferevent per connection.  A stream is
 * cut into messages by the blank line ending the headers plus
 * Content-Length (18.3); anything that cannot be framed, or that would
 * exceed SIP_MAX_MSG, closes that one connection and nothing else.
 * Connections are kept in a hash map by a 64-bit id (struct sip_peer.conn)
 * and by remote address, so that responses, and requests to a phone that
 * registered over TCP, reuse its connection (18.2.2) instead of dialling
 * one the phone's NAT would refuse.  Idle connections close after ten
 * minutes.
 *
 * TLS: the same listener and framing as TCP over libevent's OpenSSL
 * bufferevents, TLS 1.2 or later, one server SSL_CTX for the site
 * (site.sip_tls cert and key) and one client SSL_CTX for connections we
 * open when a Contact or peer asks for transport=tls (verified against
 * site.sip_tls.ca when it is set; otherwise encrypted but unverified, as
 * phones rarely hold certificates a CA signed).  TLS connections share
 * the id space and maps of TCP ones, so a phone that registered over TLS
 * gets its calls on that same connection.  A handshake must finish within
 * SIP_TLS_HANDSHAKE seconds, so that half-open connections cannot hold
 * the connection slots.
 *
 * Abuse: every received message and every new connection is first judged
 * by sip_guard.c; a banned source's datagrams are dropped before parsing
 * and its connections closed.
 *
 * Overload: each datagram's kernel receive time (SO_TIMESTAMPNS) against
 * now is how long it queued; overload.c turns that into "behind" and
 * the transaction layer refuses new work while it lasts.
 *
 * Received bytes are parsed by sip_msg.c.  A request too broken to route
 * but good enough to answer is answered here; anything else broken is
 * dropped and counted, with at most one warning a minute so that a flood
 * of garbage cannot flood the log.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "hmap.h"
#include "log.h"
#include "overload.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "xmalloc.h"

#define SIP_UDP_BATCH		64	/* datagrams read per wakeup */
#define SIP_UDP_RCVBUF		(4 * 1024 * 1024)
#define SIP_TCP_IDLE		600	/* seconds before an idle close */
#define SIP_TCP_MAX_CONNS	8192	/* keeps fds for everything else */
#define SIP_MAX_LISTENERS	16
#define SIP_BAD_WARN_EVERY	60	/* seconds between rx_bad warnings */
#define SIP_TLS_HANDSHAKE	10	/* seconds for a TLS handshake */

struct sip_listener {
	enum sip_transport	 transport;
	int			 fd;		/* UDP */
	struct event		*ev;		/* UDP */
	struct evconnlistener	*lev;		/* TCP */
	struct sockaddr_storage	 ss;		/* as bound (real port) */
	socklen_t		 sslen;
	char			 host[INET6_ADDRSTRLEN];
	int			 port;
};

struct sip_conn {
	uint64_t		 id;
	struct bufferevent	*bev;
	struct sip_peer		 peer;		/* remote end, conn = id */
	char			 idkey[24];
	char			 addrkey[64];
};

static struct event_base	*sip_transport_base;
static void			(*sip_transport_input)(struct sip_msg *,
				    const struct sip_peer *);
static struct sip_listener	 sip_listeners[SIP_MAX_LISTENERS];
static size_t			 sip_nlisteners;
static struct hmap		*sip_conns;		/* by id */
static struct hmap		*sip_conns_addr;	/* by peer text */
static uint64_t			 sip_conn_next = 1;
static uint64_t			 sip_stat_rx, sip_stat_tx, sip_stat_rx_bad;
static uint64_t			 sip_bad_unwarned;
static time_t			 sip_bad_warned;
static SSL_CTX			*sip_tls_server;	/* tls: listeners */
static SSL_CTX			*sip_tls_client;	/* connections we open */
static const char		 sip_cause_refused[] = "refused by guard";

static void	sip_conn_close(struct sip_conn *, const char *);

/* Lower-case transport name for peer texts. */
static const char *
sip_transport_name(enum sip_transport t)
{
	switch (t) {
	case SIPT_UDP:
		return ("udp");
	case SIPT_TCP:
		return ("tcp");
	case SIPT_TLS:
		return ("tls");
	}
	return ("udp");
}

/* Transport from its name (any case); 0 or -1. */
static int
sip_transport_byname(const char *s, size_t len, enum sip_transport *t)
{
	if (len == 3 && strncasecmp(s, "udp", 3) == 0)
		*t = SIPT_UDP;
	else if (len == 3 && strncasecmp(s, "tcp", 3) == 0)
		*t = SIPT_TCP;
	else if (len == 3 && strncasecmp(s, "tls", 3) == 0)
		*t = SIPT_TLS;
	else
		return (-1);
	return (0);
}

/* Numeric host and port of a socket address. */
static int
sip_addr_split(const struct sockaddr_storage *ss, char *host, size_t hlen,
    int *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (ss->ss_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)ss;
		if (inet_ntop(AF_INET, &sin->sin_addr, host, hlen) == NULL)
			return (-1);
		*port = ntohs(sin->sin_port);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)ss;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, hlen) == NULL)
			return (-1);
		*port = ntohs(sin6->sin6_port);
		return (0);
	}
	return (-1);
}

/* Fill ss from numeric host text and port; 0 or -1. */
static int
sip_addr_make(const char *host, int port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (port <= 0 || port > 65535)
		return (-1);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

/* The reason of the last OpenSSL error, for a cause string. */
static const char *
sip_tls_error(const char *what, const char *path)
{
	static char	 buf[256];
	char		 reason[128];

	ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
	ERR_clear_error();
	snprintf(buf, sizeof(buf), "%s %s: %s", what, path, reason);
	return (buf);
}

/*
 * A TLS context: TLS 1.2 or later (RFC 8996 retires 1.0 and 1.1), no
 * renegotiation (a cheap CPU attack), the site's certificate and key when
 * given; a client context verifies the other end only when a CA is set.
 */
static SSL_CTX *
sip_tls_ctx(int server, const struct tls_cfg *t, const char **cause)
{
	SSL_CTX	*ctx;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		*cause = "SSL_CTX_new failed";
		return (NULL);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (t != NULL && t->cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
			*cause = sip_tls_error("cannot load cert", t->cert);
			goto fail;
		}
		if (t->key == NULL || SSL_CTX_use_PrivateKey_file(ctx, t->key,
		    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) !=
		    1) {
			*cause = sip_tls_error("cannot use key", t->key != NULL ?
			    t->key : "(none)");
			goto fail;
		}
	}
	if (!server && t != NULL && t->ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
			*cause = sip_tls_error("cannot load ca", t->ca);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else if (!server)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

/* Load site.sip_tls for tls: listeners and outgoing TLS; 0 or -1. */
int
sip_transport_tls(const struct tls_cfg *t, const char **cause)
{
	SSL_CTX	*srv, *cli;

	if (t == NULL || t->cert == NULL || t->key == NULL) {
		*cause = "a tls: listener needs site.sip_tls cert and key";
		return (-1);
	}
	if ((srv = sip_tls_ctx(1, t, cause)) == NULL)
		return (-1);
	if ((cli = sip_tls_ctx(0, t, cause)) == NULL) {
		SSL_CTX_free(srv);
		return (-1);
	}
	/* Live connections hold their own references. */
	SSL_CTX_free(sip_tls_server);
	SSL_CTX_free(sip_tls_client);
	sip_tls_server = srv;
	sip_tls_client = cli;
	return (0);
}

/* The client context, made on first use when no tls: listener made it. */
static SSL_CTX *
sip_tls_client_ctx(void)
{
	const struct tls_cfg	*t = NULL;
	const char		*cause;

	if (sip_tls_client != NULL)
		return (sip_tls_client);
	if (env != NULL && env->conf != NULL)
		t = &env->conf->sip_tls;
	if ((sip_tls_client = sip_tls_ctx(0, t, &cause)) == NULL)
		log_warnx("sip tls client context: %s", cause);
	return (sip_tls_client);
}

/* Remember the input handler (the transaction layer). */
void
sip_transport_init(struct event_base *base,
    void (*input)(struct sip_msg *, const struct sip_peer *))
{
	sip_transport_base = base;
	sip_transport_input = input;
	if (sip_conns == NULL) {
		sip_conns = hmap_new();
		sip_conns_addr = hmap_new();
	}
	sip_guard_init(base);
	overload_init(base);
}

/*
 * Count a dropped message.  Debug logs name each one; the warning comes at
 * most once a minute with how many were dropped since.
 */
static void
sip_transport_bad(const struct sip_peer *peer, const char *cause)
{
	char	 buf[96];
	time_t	 now;

	sip_stat_rx_bad++;
	sip_bad_unwarned++;
	log_debug("sip drop from=%s cause=\"%s\"",
	    sip_peer_text(peer, buf, sizeof(buf)), cause);
	now = time(NULL);
	if (now - sip_bad_warned < SIP_BAD_WARN_EVERY)
		return;
	log_warnx("sip dropped bad messages count=%" PRIu64 " last_from=%s "
	    "cause=\"%s\"", sip_bad_unwarned, buf, cause);
	sip_bad_warned = now;
	sip_bad_unwarned = 0;
}

/* Answer a request too broken to route, when it can be (not an ACK). */
static void
sip_transport_answer_bad(struct sip_msg *partial, int status,
    const struct sip_peer *peer)
{
	struct sip_msg	*resp;
	const char	*method;

	if (!sip_msg_is_request(partial))
		return;
	method = sip_msg_method(partial);
	if (method != NULL && strcasecmp(method, "ACK") == 0)
		return;
	if ((resp = sip_msg_response(partial, status,
	    sip_reason_default(status), NULL)) == NULL)
		return;
	sip_transport_send_msg(peer, resp);
	sip_msg_free(resp);
}

/* Parse one received message and hand it to the input handler. */
static void
sip_transport_handle(const char *buf, size_t len, const struct sip_peer *peer)
{
	struct sip_msg	*msg = NULL;
	const char	*cause = "unknown";
	char		 host[INET6_ADDRSTRLEN];
	int		 status = 0, port;

	sip_stat_rx++;
	if (sip_msg_parse(buf, len, &msg, &status, &cause) == -1) {
		sip_transport_bad(peer, cause);
		if (msg != NULL) {
			if (status >= 400)
				sip_transport_answer_bad(msg, status, peer);
			sip_msg_free(msg);
		}
		return;
	}
	if (sip_msg_is_request(msg)) {
		/* RFC 3261 18.2.1, RFC 3581: where it really came from. */
		if (sip_addr_split(&peer->ss, host, sizeof(host),
		    &port) == -1 ||
		    sip_msg_via_set_received(msg, host, port) == -1) {
			sip_transport_bad(peer, "no usable Via");
			sip_msg_free(msg);
			return;
		}
	}
	if (sip_transport_input == NULL) {
		sip_msg_free(msg);
		return;
	}
	sip_transport_input(msg, peer);
}

/* Only CR/LF (a NAT keep-alive, RFC 5626 4.4.1)? */
static int
sip_transport_is_keepalive(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n')
			return (0);
	return (1);
}

/*
 * How long the datagram just read waited in the kernel's queue, for
 * overload.c: its receive time (SO_TIMESTAMPNS) against now.  The clock
 * is read through the vDSO, no system call.
 */
static void
sip_transport_queue_delay(struct msghdr *mh)
{
#ifdef SO_TIMESTAMPNS
	struct cmsghdr	*cm;
	struct timespec	 rx, now;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&rx, CMSG_DATA(cm), sizeof(rx));
		clock_gettime(CLOCK_REALTIME, &now);
		overload_sample(((int64_t)now.tv_sec - rx.tv_sec) * 1000000 +
		    (now.tv_nsec - rx.tv_nsec) / 1000);
		return;
	}
#else
	(void)mh;
#endif
}

/* Drain up to SIP_UDP_BATCH datagrams from a UDP socket. */
static void
sip_transport_udp_read(evutil_socket_t fd, short what, void *arg)
{
	static char		 buf[SIP_MAX_MSG + 1];
	struct sip_listener	*l = arg;
	struct sip_peer		 peer;
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(struct timespec))];
	}			 cmsg;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < SIP_UDP_BATCH; i++) {
		memset(&peer, 0, sizeof(peer));
		peer.transport = SIPT_UDP;
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf) - 1;
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &peer.ss;
		mh.msg_namelen = sizeof(peer.ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = sizeof(cmsg.buf);
		n = recvmsg(fd, &mh, MSG_TRUNC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug("sip udp recv port=%d: %s", l->port,
				    strerror(errno));
			return;
		}
		peer.sslen = mh.msg_namelen;
		sip_transport_queue_delay(&mh);
		/* A banned source costs one lookup, before any parsing. */
		if (sip_guard_message(&peer.ss, buf, (size_t)n < sizeof(buf) ?
		    (size_t)n : sizeof(buf) - 1) != SIP_GUARD_PASS)
			continue;
		if ((size_t)n > sizeof(buf) - 1) {
			sip_stat_rx++;
			sip_transport_bad(&peer, "datagram too large");
			continue;
		}
		if (sip_transport_is_keepalive(buf, n))
			continue;
		buf[n] = '\0';
		sip_transport_handle(buf, n, &peer);
	}
}

/* Open a UDP listener. */
static int
sip_transport_listen_udp(struct sip_listener *l, const struct cfg_addr *a,
    const char **cause)
{
	int	 fd, sz = SIP_UDP_RCVBUF, on = 1;

	if ((fd = socket(a->ss.ss_family, SOCK_DGRAM, 0)) == -1) {
		*cause = "socket failed";
		return (-1);
	}
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		close(fd);
		*cause = "cannot make socket non-blocking";
		return (-1);
	}
	/* Best effort: the kernel caps it at net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == -1)
		log_debug("sip udp SO_RCVBUF: %s", strerror(errno));
#ifdef SO_TIMESTAMPNS
	/* Receive times, for the queueing delay overload.c watches. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1)
		log_debug("sip udp SO_TIMESTAMPNS: %s", strerror(errno));
#endif
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) == -1) {
		close(fd);
		*cause = "cannot bind (address in use?)";
		return (-1);
	}
	l->sslen = sizeof(l->ss);
	if (getsockname(fd, (struct sockaddr *)&l->ss, &l->sslen) == -1) {
		close(fd);
		*cause = "getsockname failed";
		return (-1);
	}
	l->fd = fd;
	l->ev = event_new(sip_transport_base, fd, EV_READ | EV_PERSIST,
	    sip_transport_udp_read, l);
	if (l->ev == NULL || event_add(l->ev, NULL) == -1) {
		if (l->ev != NULL)
			event_free(l->ev);
		close(fd);
		*cause = "event_add failed";
		return (-1);
	}
	return (0);
}

/* Key of a connection by id. */
static void
sip_conn_idkey(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, id);
}

/*
 * Parse the Content-Length of a header block (also compact "l"); a
 * missing one counts as 0.  0 or -1 when it is malformed.
 */
static int
sip_transport_clen(const char *hdr, size_t len, size_t *clen)
{
	const char	*p = hdr, *end = hdr + len, *eol, *v;
	size_t		 n;
	unsigned long	 val;
	char		*ep, num[16];

	*clen = 0;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (eol - p >= 14 && strncasecmp(p, "Content-Length", 14) == 0)
			v = p + 14;
		else if (eol - p >= 1 && (*p == 'l' || *p == 'L'))
			v = p + 1;
		else
			continue;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= eol || *v++ != ':')
			continue;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		n = eol - v;
		while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' ' ||
		    v[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(num))
			return (-1);
		memcpy(num, v, n);
		num[n] = '\0';
		if (num[0] < '0' || num[0] > '9')
			return (-1);
		errno = 0;
		val = strtoul(num, &ep, 10);
		if (*ep != '\0' || errno != 0)
			return (-1);
		/* Oversize is decided by the caller, with its own cause. */
		*clen = val > SIP_MAX_MSG ? SIP_MAX_MSG + 1 : val;
		return (0);
	}
	return (0);
}

/*
 * Cut one message off the front of a stream.  1 when one was handled, 0
 * when more bytes are needed, -1 (with *cause) when the framing is broken.
 */
static int
sip_conn_frame(struct sip_conn *c, struct evbuffer *in, const char **cause)
{
	struct evbuffer_ptr	 pos;
	unsigned char		*hdr;
	size_t			 hdrlen, clen, total, skip = 0, len;
	char			*buf;

	/* CRLF keep-alives between messages (RFC 5626 4.4.1). */
	len = evbuffer_get_length(in);
	hdr = evbuffer_pullup(in, len < 64 ? len : 64);
	while (skip < len && skip < 64 && (hdr[skip] == '\r' ||
	    hdr[skip] == '\n'))
		skip++;
	if (skip > 0) {
		evbuffer_drain(in, skip);
		if (skip >= 4)
			bufferevent_write(c->bev, "\r\n", 2);
		return (evbuffer_get_length(in) > 0 ? 1 : 0);
	}
	pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (pos.pos == -1) {
		if (len > SIP_MAX_MSG) {
			*cause = "headers too long";
			return (-1);
		}
		return (0);
	}
	hdrlen = (size_t)pos.pos + 4;
	if (hdrlen > SIP_MAX_MSG) {
		*cause = "headers too long";
		return (-1);
	}
	hdr = evbuffer_pullup(in, hdrlen);
	if (sip_transport_clen((const char *)hdr, hdrlen, &clen) == -1) {
		*cause = "bad Content-Length";
		return (-1);
	}
	if ((total = hdrlen + clen) > SIP_MAX_MSG) {
		*cause = "message too large";
		return (-1);
	}
	if (len < total)
		return (0);
	buf = xmalloc(total + 1);
	evbuffer_remove(in, buf, total);
	buf[total] = '\0';
	if (sip_guard_message(&c->peer.ss, buf, total) != SIP_GUARD_PASS) {
		free(buf);
		*cause = sip_cause_refused;
		return (-1);
	}
	sip_transport_handle(buf, total, &c->peer);
	free(buf);
	return (1);
}

/* Bytes arrived on a TCP connection: handle every whole message. */
static void
sip_conn_read(struct bufferevent *bev, void *arg)
{
	struct sip_conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	const char		*cause = NULL;
	char			 key[24];
	uint64_t		 id = c->id;
	int			 r;

	while ((r = sip_conn_frame(c, in, &cause)) == 1) {
		/* The handler may have closed us (shutdown): look again. */
		sip_conn_idkey(id, key, sizeof(key));
		if (hmap_get(sip_conns, key) != c)
			return;
	}
	if (r == -1 && cause == sip_cause_refused)
		sip_conn_close(c, cause);
	else if (r == -1) {
		sip_stat_rx++;
		sip_transport_bad(&c->peer, cause);
		sip_conn_close(c, cause);
	}
}

/* Log why a TLS connection failed (handshake, bad record, ...). */
static void
sip_conn_tls_errors(struct sip_conn *c)
{
	unsigned long	 e;
	char		 reason[128];

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		log_debug("sip tls error conn=%" PRIu64 " peer=%s: %s", c->id,
		    c->addrkey, reason);
	}
}

/* Connected, closed, failed or idle. */
static void
sip_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct sip_conn	*c = arg;
	struct timeval	 idle = { SIP_TCP_IDLE, 0 };

	if (what & BEV_EVENT_CONNECTED) {
		/* Connected, or a TLS handshake done: now the idle rule. */
		bufferevent_set_timeouts(bev, &idle, NULL);
		log_debug("sip %s connected conn=%" PRIu64,
		    sip_transport_name(c->peer.transport), c->id);
		return;
	}
	if (c->peer.transport == SIPT_TLS)
		sip_conn_tls_errors(c);
	if (what & BEV_EVENT_TIMEOUT)
		sip_conn_close(c, "idle");
	else if (what & BEV_EVENT_EOF)
		sip_conn_close(c, "closed by peer");
	else
		sip_conn_close(c, "error");
}

/* Track a new connection on bev (accepted or being connected). */
static struct sip_conn *
sip_conn_new(struct bufferevent *bev, enum sip_transport t,
    const struct sockaddr *sa, socklen_t salen)
{
	struct sip_conn	*c;
	struct timeval	 idle = { SIP_TCP_IDLE, 0 };
	struct timeval	 hs = { SIP_TLS_HANDSHAKE, 0 };

	c = xcalloc(1, sizeof(*c));
	c->id = sip_conn_next++;
	c->bev = bev;
	c->peer.transport = t;
	memcpy(&c->peer.ss, sa, salen);
	c->peer.sslen = salen;
	c->peer.conn = c->id;
	sip_conn_idkey(c->id, c->idkey, sizeof(c->idkey));
	sip_peer_text(&c->peer, c->addrkey, sizeof(c->addrkey));
	hmap_put(sip_conns, c->idkey, c);
	hmap_put(sip_conns_addr, c->addrkey, c);
	bufferevent_setcb(bev, sip_conn_read, NULL, sip_conn_event, c);
	/*
	 * A read timeout is an idle timeout: every message is a read.  A
	 * TLS handshake gets a short one for both directions.
	 */
	if (t == SIPT_TLS)
		bufferevent_set_timeouts(bev, &hs, &hs);
	else
		bufferevent_set_timeouts(bev, &idle, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return (c);
}

/* Close one connection and forget it. */
static void
sip_conn_close(struct sip_conn *c, const char *why)
{
	log_debug("sip %s close conn=%" PRIu64 " peer=%s why=\"%s\"",
	    sip_transport_name(c->peer.transport), c->id, c->addrkey, why);
	hmap_del(sip_conns, c->idkey);
	if (hmap_get(sip_conns_addr, c->addrkey) == c)
		hmap_del(sip_conns_addr, c->addrkey);
	bufferevent_free(c->bev);
	free(c);
}

/*
 * A bufferevent for a stream: plain for TCP, OpenSSL for TLS (accepting
 * on a listener, connecting otherwise).  fd -1: not connected yet.
 */
static struct bufferevent *
sip_conn_bev(evutil_socket_t fd, enum sip_transport t, int accepting)
{
	struct bufferevent	*bev;
	SSL_CTX			*ctx;
	SSL			*ssl;

	if (t != SIPT_TLS)
		return (bufferevent_socket_new(sip_transport_base, fd,
		    BEV_OPT_CLOSE_ON_FREE));
	ctx = accepting ? sip_tls_server : sip_tls_client_ctx();
	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL)
		return (NULL);
	/* On failure libevent may already have freed ssl: do not. */
	bev = bufferevent_openssl_socket_new(sip_transport_base, fd, ssl,
	    accepting ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return (NULL);
	/* Phones often just close: that is an end, not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/* A phone or peer connected to a TCP or TLS listener. */
static void
sip_transport_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sip_listener	*l = arg;
	struct bufferevent	*bev;
	struct sockaddr_storage	 ss;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, (size_t)salen < sizeof(ss) ? (size_t)salen :
	    sizeof(ss));
	if (sip_guard_accept(&ss) == -1) {
		evutil_closesocket(fd);
		return;
	}
	if (hmap_count(sip_conns) >= SIP_TCP_MAX_CONNS) {
		log_warnx("sip %s refused: too many connections max=%d",
		    sip_transport_name(l->transport), SIP_TCP_MAX_CONNS);
		evutil_closesocket(fd);
		return;
	}
	if ((bev = sip_conn_bev(fd, l->transport, 1)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	sip_conn_new(bev, l->transport, sa, salen);
}

/* Open a TCP listener. */
static int
sip_transport_listen_tcp(struct sip_listener *l, const struct cfg_addr *a,
    const char **cause)
{
	evutil_socket_t	 fd;

	l->lev = evconnlistener_new_bind(sip_transport_base,
	    sip_transport_accept, l, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (const struct sockaddr *)&a->ss, a->sslen);
	if (l->lev == NULL) {
		*cause = "cannot bind (address in use?)";
		return (-1);
	}
	fd = evconnlistener_get_fd(l->lev);
	l->fd = -1;
	l->sslen = sizeof(l->ss);
	if (getsockname(fd, (struct sockaddr *)&l->ss, &l->sslen) == -1) {
		evconnlistener_free(l->lev);
		l->lev = NULL;
		*cause = "getsockname failed";
		return (-1);
	}
	return (0);
}

/* Open one listener of site.sip. */
int
sip_transport_listen(const struct cfg_addr *a, const char **cause)
{
	struct sip_listener	*l;
	int			 r;

	if (sip_transport_base == NULL) {
		*cause = "transport not initialised";
		return (-1);
	}
	if (a->transport == SIPT_TLS && sip_tls_server == NULL &&
	    sip_transport_tls(env != NULL && env->conf != NULL ?
	    &env->conf->sip_tls : NULL, cause) == -1)
		return (-1);
	if (sip_nlisteners >= SIP_MAX_LISTENERS) {
		*cause = "too many listeners";
		return (-1);
	}
	l = &sip_listeners[sip_nlisteners];
	memset(l, 0, sizeof(*l));
	l->transport = a->transport;
	l->fd = -1;
	if (a->transport == SIPT_UDP)
		r = sip_transport_listen_udp(l, a, cause);
	else
		r = sip_transport_listen_tcp(l, a, cause);
	if (r == -1)
		return (-1);
	if (sip_addr_split(&l->ss, l->host, sizeof(l->host), &l->port) == -1)
		xstrlcpy(l->host, "127.0.0.1", sizeof(l->host));
	if (strcmp(l->host, "0.0.0.0") == 0)
		xstrlcpy(l->host, "127.0.0.1", sizeof(l->host));
	else if (strcmp(l->host, "::") == 0)
		xstrlcpy(l->host, "::1", sizeof(l->host));
	sip_nlisteners++;
	return (0);
}

/* Free-callback for the connection map. */
static void
sip_conn_free(void *arg)
{
	struct sip_conn	*c = arg;

	bufferevent_free(c->bev);
	free(c);
}

/* Close every listener and connection. */
void
sip_transport_shutdown(void)
{
	struct sip_listener	*l;
	size_t			 i;

	for (i = 0; i < sip_nlisteners; i++) {
		l = &sip_listeners[i];
		if (l->ev != NULL)
			event_free(l->ev);
		if (l->fd != -1)
			close(l->fd);
		if (l->lev != NULL)
			evconnlistener_free(l->lev);
	}
	sip_nlisteners = 0;
	hmap_free(sip_conns_addr, NULL);
	hmap_free(sip_conns, sip_conn_free);
	sip_conns = sip_conns_addr = NULL;
	sip_transport_base = NULL;
	sip_transport_input = NULL;
	SSL_CTX_free(sip_tls_server);
	SSL_CTX_free(sip_tls_client);
	sip_tls_server = sip_tls_client = NULL;
	sip_guard_shutdown();
	overload_shutdown();
}

/* Send one datagram from the UDP listener of the right family. */
static int
sip_transport_send_udp(const struct sip_peer *peer, const char *buf,
    size_t len)
{
	struct sip_listener	*l;
	size_t			 i;

	for (i = 0; i < sip_nlisteners; i++) {
		l = &sip_listeners[i];
		if (l->transport != SIPT_UDP ||
		    l->ss.ss_family != peer->ss.ss_family)
			continue;
		if (sendto(l->fd, buf, len, 0,
		    (const struct sockaddr *)&peer->ss, peer->sslen) == -1) {
			log_debug("sip udp send: %s", strerror(errno));
			return (-1);
		}
		return (0);
	}
	log_debug("sip udp send: no udp listener");
	return (-1);
}

/* The open connection for peer: by id, else by address; NULL if none. */
static struct sip_conn *
sip_conn_find(const struct sip_peer *peer)
{
	struct sip_conn	*c;
	char		 key[64];

	if (sip_conns == NULL)
		return (NULL);
	if (peer->conn != 0) {
		sip_conn_idkey(peer->conn, key, sizeof(key));
		if ((c = hmap_get(sip_conns, key)) != NULL)
			return (c);
	}
	sip_peer_text(peer, key, sizeof(key));
	return (hmap_get(sip_conns_addr, key));
}

/* Dial peer; the bufferevent queues what we write until connected. */
static struct sip_conn *
sip_conn_connect(const struct sip_peer *peer)
{
	struct bufferevent	*bev;
	struct sip_conn		*c;
	struct sip_peer		 dst = *peer;

	if (sip_transport_base == NULL ||
	    hmap_count(sip_conns) >= SIP_TCP_MAX_CONNS)
		return (NULL);
	if ((bev = sip_conn_bev(-1, peer->transport, 0)) == NULL)
		return (NULL);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&dst.ss,
	    dst.sslen) == -1) {
		bufferevent_free(bev);
		return (NULL);
	}
	c = sip_conn_new(bev, peer->transport,
	    (const struct sockaddr *)&dst.ss, dst.sslen);
	log_debug("sip %s connect conn=%" PRIu64 " peer=%s",
	    sip_transport_name(c->peer.transport), c->id, c->addrkey);
	return (c);
}

/* Queue bytes on the peer's connection, dialling one when needed. */
static int
sip_transport_send_tcp(const struct sip_peer *peer, const char *buf,
    size_t len)
{
	struct sip_conn	*c;

	if ((c = sip_conn_find(peer)) == NULL &&
	    (c = sip_conn_connect(peer)) == NULL)
		return (-1);
	if (bufferevent_write(c->bev, buf, len) == -1)
		return (-1);
	return (0);
}

/* Send bytes to peer; 0 or -1. */
int
sip_transport_send(const struct sip_peer *peer, const char *buf, size_t len)
{
	int	 r;

	switch (peer->transport) {
	case SIPT_UDP:
		r = sip_transport_send_udp(peer, buf, len);
		break;
	case SIPT_TCP:
	case SIPT_TLS:
		r = sip_transport_send_tcp(peer, buf, len);
		break;
	default:
		r = -1;
		break;
	}
	if (r == 0)
		sip_stat_tx++;
	return (r);
}

/* Serialise and send a message; 0 or -1. */
int
sip_transport_send_msg(const struct sip_peer *peer, const struct sip_msg *m)
{
	char	*buf;
	size_t	 len;
	int	 r;

	if ((buf = sip_msg_serialize(m, &len)) == NULL)
		return (-1);
	r = sip_transport_send(peer, buf, len);
	free(buf);
	return (r);
}

/* Host and port for our Via/Contact on transport t. */
const char *
sip_transport_local(enum sip_transport t, int *port)
{
	size_t	 i;

	for (i = 0; i < sip_nlisteners; i++) {
		if (sip_listeners[i].transport != t)
			continue;
		if (port != NULL)
			*port = sip_listeners[i].port;
		return (sip_listeners[i].host);
	}
	if (port != NULL)
		*port = 5060;
	return ("127.0.0.1");
}

/* "udp:1.2.3.4:5060" or "tcp:[::1]:5060". */
const char *
sip_peer_text(const struct sip_peer *p, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 port;

	if (sip_addr_split(&p->ss, host, sizeof(host), &port) == -1) {
		snprintf(buf, len, "%s:?", sip_transport_name(p->transport));
		return (buf);
	}
	if (p->ss.ss_family == AF_INET6)
		snprintf(buf, len, "%s:[%s]:%d",
		    sip_transport_name(p->transport), host, port);
	else
		snprintf(buf, len, "%s:%s:%d",
		    sip_transport_name(p->transport), host, port);
	return (buf);
}

/* Parse "host:port" or "[v6]:port" (numeric) into p; 0 or -1. */
static int
sip_peer_hostport(const char *s, size_t len, int defport, struct sip_peer *p)
{
	char		 host[INET6_ADDRSTRLEN], num[8], *ep;
	const char	*h = s, *end = s + len, *rest, *rb;
	size_t		 hlen, n;
	long		 port = defport;

	if (len > 0 && s[0] == '[') {
		if ((rb = memchr(s, ']', len)) == NULL)
			return (-1);
		h = s + 1;
		hlen = rb - h;
		rest = rb + 1;
	} else {
		rest = memchr(s, ':', len);
		if (rest == NULL)
			rest = end;
		hlen = rest - s;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (rest < end) {
		if (*rest++ != ':')
			return (-1);
		if ((n = end - rest) == 0 || n >= sizeof(num))
			return (-1);
		memcpy(num, rest, n);
		num[n] = '\0';
		port = strtol(num, &ep, 10);
		if (*ep != '\0')
			return (-1);
	}
	return (sip_addr_make(host, (int)port, &p->ss, &p->sslen));
}

/* Parse "udp:1.2.3.4:5060" (a missing transport means UDP); 0 or -1. */
int
sip_peer_parse(const char *s, struct sip_peer *p)
{
	const char	*colon;

	memset(p, 0, sizeof(*p));
	p->transport = SIPT_UDP;
	if ((colon = strchr(s, ':')) != NULL &&
	    sip_transport_byname(s, colon - s, &p->transport) == 0)
		s = colon + 1;
	return (sip_peer_hostport(s, strlen(s), -1, p));
}

/* Peer for a SIP URI with a numeric host, honouring ;transport=. */
int
sip_peer_from_uri(const char *uri, struct sip_peer *p)
{
	const char	*s = uri, *h, *end, *at, *param;
	size_t		 n;
	int		 secure = 0;

	memset(p, 0, sizeof(*p));
	while (*s == ' ' || *s == '<')
		s++;
	if (strncasecmp(s, "sips:", 5) == 0) {
		secure = 1;
		s += 5;
	} else if (strncasecmp(s, "sip:", 4) == 0)
		s += 4;
	else
		return (-1);
	end = s + strcspn(s, ";?>");
	at = memrchr(s, '@', end - s);
	h = at != NULL ? at + 1 : s;
	p->transport = secure ? SIPT_TLS : SIPT_UDP;
	for (param = end; *param == ';'; param += n + 1) {
		n = strcspn(param + 1, ";?>");
		if (n > 10 && strncasecmp(param + 1, "transport=", 10) == 0 &&
		    sip_transport_byname(param + 11, n - 10,
		    &p->transport) == -1)
			return (-1);
	}
	return (sip_peer_hostport(h, end - h,
	    p->transport == SIPT_TLS ? 5061 : 5060, p));
}

/* Same address, port and transport (connection ignored). */
int
sip_peer_equal(const struct sip_peer *a, const struct sip_peer *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->transport != b->transport || !sip_peer_same_host(a, b))
		return (0);
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return (a4->sin_port == b4->sin_port);
	}
	a6 = (const struct sockaddr_in6 *)&a->ss;
	b6 = (const struct sockaddr_in6 *)&b->ss;
	return (a6->sin6_port == b6->sin6_port);
}

/* Same IP address only. */
int
sip_peer_same_host(const struct sip_peer *a, const struct sip_peer *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss.ss_family != b->ss.ss_family)
		return (0);
	switch (a->ss.ss_family) {
	case AF_INET:
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return (a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)&a->ss;
		b6 = (const struct sockaddr_in6 *)&b->ss;
		return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	}
	return (0);
}

/* A peer for a configured address (trunk, site). */
void
sip_peer_from_cfg(const struct cfg_addr *a, struct sip_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->transport = a->transport;
	memcpy(&p->ss, &a->ss, sizeof(p->ss));
	p->sslen = a->sslen;
}

/* Messages received (good and bad). */
uint64_t
sip_transport_rx(void)
{
	return (sip_stat_rx);
}

/* Messages sent. */
uint64_t
sip_transport_tx(void)
{
	return (sip_stat_tx);
}

/* Messages dropped as unparseable or unframeable. */
uint64_t
sip_transport_rx_bad(void)
{
	return (sip_stat_rx_bad);
}
