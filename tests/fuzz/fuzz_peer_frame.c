/*
 * libFuzzer target: the peer-link frame decoder (DESIGN.md sections 5 and
 * 7), behind a live link and on its own.
 *
 * The input is what a peer site sends, after a 4-byte prologue:
 *
 *	flags u8 | split u8 u8 u8 | bytes...
 *
 * flags bit 0 completes the handshake first (a right HELLO and AUTH from
 * "paris"), so the bytes reach an up link and its upper-layer callback;
 * without it they meet a link still waiting for HELLO.  The split bytes
 * cut the bytes into up to four writes at len * s / 256, so frames arrive
 * torn across reads as they do on TCP.
 *
 * The bytes go through a real bufferevent pair into the peer module's own
 * read path (peer_conn_inbound(), what peer_accept() runs for a socket),
 * the event loop run until idle after each write, then everything is torn
 * down.  The same bytes are then decoded with peer_frame_decode() and
 * every attribute walked with the iterators, nested ones too.
 *
 * Contracts checked (a broken one aborts the run):
 * - a decoded frame lies inside the input, its attributes inside its body;
 * - re-encoded with the builders, a decoded frame decodes again to the
 *   same header and attributes;
 * - on an up link exactly the frames the decoder accepts reach the upper
 *   layer, once and in order, up to the first bad or link-level one; the
 *   link is down after such a frame and up otherwise;
 * - without the network secret nothing reaches the upper layer;
 * - fatal() is never reached: log.c is replaced by stubs that abort.
 *
 * Built with -DFUZZ_PEER_SEEDS instead of -fsanitize=fuzzer, this file is
 * the seed writer (tests/fuzz/build.sh runs it): main() writes
 * corpus/peer_frame/gen-*, frames made with the peer_frame builders and a
 * few broken ones, and runs each through the target once.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "peer.h"
#include "peer_frame.h"
#include "../../src/peer_int.h"

struct roamd;
struct roamd	*env;

#define FUZZ_SECRET	"fuzz-network-secret"
#define FUZZ_ME		"london"
#define FUZZ_PEER	"paris"
#define FUZZ_PEER_ID	2
#define FUZZ_PROLOGUE	4
#define FUZZ_MAXINPUT	(4 * PEER_MAXFRAME)
#define FUZZ_NSPLIT	3
#define FUZZ_MAXSETTLE	256

/* What the upper-layer callback saw during one input. */
struct fuzz_seen {
	size_t		 frames;
	uint64_t	 hash;
	int		 ups;
};

static struct fuzz_seen	 fuzz_seen;

/* Stop the run on a broken promise of peer_frame.h or peer.h. */
static void
fuzz_assert(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_peer_frame: contract broken: %s\n", what);
	abort();
}

/*
 * log.h without output: every line is still formatted (a bad argument
 * shows up under the sanitizers) but not printed, and fatal() aborts, so
 * a peer reaching it is a crash the fuzzer reports.
 */
static void
fuzz_log(const char *fmt, va_list ap)
{
	char	 buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
}

/* log_init stub. */
void
log_init(int debug, const char *site)
{
}

/* log_setsite stub. */
void
log_setsite(const char *site)
{
}

/* log_site stub. */
const char *
log_site(void)
{
	return (FUZZ_ME);
}

/* log_getdebug stub: debug lines are formatted too. */
int
log_getdebug(void)
{
	return (1);
}

/* log_warn stub. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log(fmt, ap);
	va_end(ap);
}

/* log_warnx stub. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log(fmt, ap);
	va_end(ap);
}

/* log_info stub. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log(fmt, ap);
	va_end(ap);
}

/* log_debug stub. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log(fmt, ap);
	va_end(ap);
}

/* fatal(): never reachable from what a peer sends. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fuzz_assert(0, "fatal() reached");
	abort();
}

/* fatalx(): never reachable from what a peer sends. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fuzz_assert(0, "fatalx() reached");
	abort();
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t
fuzz_hash(uint64_t h, const void *v, size_t n)
{
	const uint8_t	*p = v;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* A decoded frame's identity: header fields and body. */
static uint64_t
fuzz_hash_msg(uint64_t h, const struct peer_msg *m)
{
	h = fuzz_hash(h, &m->type, sizeof(m->type));
	h = fuzz_hash(h, &m->flags, sizeof(m->flags));
	h = fuzz_hash(h, &m->seq, sizeof(m->seq));
	return (fuzz_hash(h, m->body, m->len));
}

/* Read one attribute every way a handler may. */
static void
fuzz_attr(const struct peer_attr *a)
{
	char	 buf[1100], *s;

	fuzz_assert(strcmp(peer_attr_name(a->type), "unknown") != 0,
	    "the iterator returned an unknown attribute");
	(void)peer_attr_u32(a);
	(void)peer_attr_u64(a);
	if (peer_attr_str(a, buf, sizeof(buf)) == 0)
		fuzz_assert(strlen(buf) == a->len, "peer_attr_str length");
	if ((s = peer_attr_strdup(a)) != NULL) {
		fuzz_assert(strlen(s) == a->len, "peer_attr_strdup length");
		free(s);
	}
	if (a->type == PA_RESULT)
		(void)peer_result_name((int)peer_attr_u32(a));
}

/* Walk the attributes nested in a, checking they stay inside it. */
static void
fuzz_nested(const struct peer_attr *a)
{
	struct peer_iter	 it;
	struct peer_attr	 n;

	peer_iter_nested(&it, a);
	while (peer_iter_next(&it, &n)) {
		fuzz_assert(n.val >= a->val && n.val + n.len <= a->val + a->len,
		    "nested attribute outside its parent");
		fuzz_attr(&n);
	}
}

/* Walk every attribute of a decoded frame, and every getter. */
static void
fuzz_walk(const struct peer_msg *m)
{
	struct peer_iter	 it;
	struct peer_attr	 a;
	char			 buf[64];
	uint64_t		 v64;
	uint32_t		 v32;
	size_t			 i = 0;
	int			 t, flag;

	(void)peer_type_name(m->type);
	fuzz_assert(m->nattr <= PEER_MSG_MAXATTR, "nattr");
	peer_iter_init(&it, m);
	while (peer_iter_next(&it, &a)) {
		fuzz_assert(a.val >= m->body && a.val + a.len <=
		    m->body + m->len, "attribute outside the body");
		/* attr[] is the first known attributes, in order. */
		if (i < m->nattr)
			fuzz_assert(m->attr[i].type == a.type &&
			    m->attr[i].len == a.len && m->attr[i].val == a.val,
			    "attr[] disagrees with the iterator");
		i++;
		fuzz_attr(&a);
		if (a.type == PA_SHORTCODE || a.type == PA_BUTTON)
			fuzz_nested(&a);
	}
	fuzz_assert(i >= m->nattr, "attr[] holds more than the body");
	for (t = 1; t < PA_MAX; t++) {
		(void)peer_msg_u32(m, (uint16_t)t, &v32);
		(void)peer_msg_u64(m, (uint16_t)t, &v64);
		(void)peer_msg_flag(m, (uint16_t)t, &flag);
		(void)peer_msg_str(m, (uint16_t)t, buf, sizeof(buf));
	}
}

/* Build m again with the builders: it must decode to the same frame. */
static void
fuzz_reencode(const struct peer_msg *m)
{
	struct peer_out		 o;
	struct peer_msg		 m2;
	struct peer_iter	 i1, i2;
	struct peer_attr	 a1, a2;
	const char		*cause;
	ssize_t			 n;
	int			 more1, more2;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, m->type, m->seq);
	peer_frame_set_flags(&o, m->flags);
	peer_iter_init(&i1, m);
	while (peer_iter_next(&i1, &a1))
		peer_frame_put_bytes(&o, a1.type, a1.val, a1.len);
	fuzz_assert(peer_frame_end(&o, &cause) == 0,
	    "a decoded frame does not build");
	n = peer_frame_decode(o.buf, o.len, &m2, &cause);
	fuzz_assert(n == (ssize_t)o.len, "a rebuilt frame does not decode");
	fuzz_assert(m2.type == m->type && m2.flags == m->flags &&
	    m2.seq == m->seq, "a rebuilt frame has another header");
	peer_iter_init(&i1, m);
	peer_iter_init(&i2, &m2);
	do {
		more1 = peer_iter_next(&i1, &a1);
		more2 = peer_iter_next(&i2, &a2);
		fuzz_assert(more1 == more2, "a rebuilt frame lost attributes");
		if (more1)
			fuzz_assert(a1.type == a2.type && a1.len == a2.len &&
			    memcmp(a1.val, a2.val, a1.len) == 0,
			    "a rebuilt frame changed an attribute");
	} while (more1);
	peer_frame_free(&o);
}

/*
 * Decode buf frame by frame as a link would.  Returns what an up link
 * must hand its upper layer: the frames before the first bad one or the
 * first that is the link's own business (ERROR, HELLO, AUTH end it;
 * KEEPALIVE is skipped).  *stopped: such a frame ended the link.
 */
static struct fuzz_seen
fuzz_direct(const uint8_t *buf, size_t len, int *stopped)
{
	struct fuzz_seen	 want = { 0, 0, 0 };
	struct peer_msg		 m;
	const char		*cause;
	ssize_t			 n;

	*stopped = 0;
	while ((n = peer_frame_decode(buf, len, &m, &cause)) != 0) {
		if (n == -1) {
			fuzz_assert(cause != NULL, "a refusal without cause");
			*stopped = 1;
			break;
		}
		fuzz_assert(n >= PEER_HDRLEN && (size_t)n <= len &&
		    m.len == (size_t)n - PEER_HDRLEN &&
		    m.body == buf + PEER_HDRLEN, "frame bounds");
		fuzz_walk(&m);
		fuzz_reencode(&m);
		buf += n;
		len -= (size_t)n;
		if (m.type == PT_KEEPALIVE)
			continue;
		if (m.type == PT_ERROR || m.type == PT_HELLO ||
		    m.type == PT_AUTH) {
			*stopped = 1;
			break;
		}
		want.frames++;
		want.hash = fuzz_hash_msg(want.hash, &m);
	}
	/* The rest is still walked, for the decoder's sake. */
	while (len > 0 && (n = peer_frame_decode(buf, len, &m, &cause)) > 0) {
		fuzz_walk(&m);
		buf += n;
		len -= (size_t)n;
	}
	return (want);
}

/* The upper layer: count and walk what the link delivers. */
static void
fuzz_on_message(struct peer *p, const struct peer_msg *m)
{
	fuzz_assert(p != NULL && p->state == PEER_UP &&
	    strcmp(p->name, FUZZ_PEER) == 0, "a frame from a link not up");
	fuzz_walk(m);
	fuzz_seen.frames++;
	fuzz_seen.hash = fuzz_hash_msg(fuzz_seen.hash, m);
}

/* The link came up. */
static void
fuzz_on_up(struct peer *p, int restarted)
{
	fuzz_seen.ups++;
}

static const struct peer_cb fuzz_cb = { fuzz_on_up, NULL, fuzz_on_message };

/* Run the loop until nothing is left to do now (timers are far off). */
static void
fuzz_settle(struct event_base *base)
{
	int	 i;

	for (i = 0; i < FUZZ_MAXSETTLE; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (event_base_get_num_events(base,
		    EVENT_BASE_COUNT_ACTIVE) == 0)
			return;
	}
	fuzz_assert(0, "the loop never settles");
}

/* 127.0.0.1:port into a. */
static void
fuzz_loopback(struct cfg_addr *a, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sslen = sizeof(*sin);
}

/*
 * Our site "london" (id 1) with one peer, "paris".  Timers are far off and
 * the first dial is cancelled, so nothing but the pair moves: every run
 * of an input takes the same path.
 */
static struct peer_net *
fuzz_net(struct event_base *base)
{
	static char		 pname[] = FUZZ_PEER;
	struct peer_net_conf	 nc;
	struct cfg_addr		 listen;
	struct peer_cfg		 pc;
	struct peer_net		*net;
	struct peer		*p;
	char			*cause = NULL;

	fuzz_loopback(&listen, 0);
	memset(&pc, 0, sizeof(pc));
	pc.name = pname;
	fuzz_loopback(&pc.address, 9);
	memset(&nc, 0, sizeof(nc));
	nc.site_name = FUZZ_ME;
	nc.site_id = 1;
	nc.epoch = 0x1122334455667788ULL;
	nc.secret = FUZZ_SECRET;
	nc.hold_ms = 3600 * 1000;
	nc.backoff_min_ms = 3600 * 1000;
	nc.backoff_max_ms = 3600 * 1000;
	nc.listen = &listen;
	nc.peers = &pc;
	nc.npeers = 1;
	if ((net = peer_net_new(base, &nc, &cause)) == NULL) {
		fprintf(stderr, "fuzz_peer_frame: %s\n", cause);
		free(cause);
		return (NULL);
	}
	p = peer_net_find(net, FUZZ_PEER);
	evtimer_del(p->retry);
	peer_net_register(net, &fuzz_cb);
	return (net);
}

/* Their HELLO: "paris", id 2, a fixed nonce. */
static void
fuzz_hello(struct peer_out *o, const uint8_t *nonce)
{
	peer_frame_begin(o, PT_HELLO, 1);
	peer_frame_put_str(o, PA_SITE_NAME, FUZZ_PEER);
	peer_frame_put_u32(o, PA_SITE_ID, FUZZ_PEER_ID);
	peer_frame_put_u64(o, PA_EPOCH, 42);
	peer_frame_put_bytes(o, PA_NONCE, nonce, PEER_NONCELEN);
}

/* HMAC-SHA256(secret, a || b || name), as peer.c proves the secret. */
static void
fuzz_proof(const uint8_t *a, const uint8_t *b, const char *name,
    uint8_t *out)
{
	uint8_t		 data[2 * PEER_NONCELEN + 32];
	unsigned int	 olen = PEER_PROOFLEN;
	size_t		 nlen = strlen(name);

	memcpy(data, a, PEER_NONCELEN);
	memcpy(data + PEER_NONCELEN, b, PEER_NONCELEN);
	memcpy(data + 2 * PEER_NONCELEN, name, nlen);
	HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET), data,
	    2 * PEER_NONCELEN + nlen, out, &olen);
}

/*
 * Find our HELLO and AUTH among what the far end received; copy our nonce
 * and check our proof (it binds both nonces and our name).
 */
static void
fuzz_read_ours(struct bufferevent *far, const uint8_t *their_nonce,
    uint8_t *our_nonce)
{
	struct evbuffer		*in = bufferevent_get_input(far);
	size_t			 len = evbuffer_get_length(in);
	const uint8_t		*p = evbuffer_pullup(in, -1);
	const struct peer_attr	*a;
	struct peer_msg		 m;
	const char		*cause;
	uint8_t			 want[PEER_PROOFLEN];
	ssize_t			 n;
	int			 hello = 0, auth = 0;

	while ((n = peer_frame_decode(p, len, &m, &cause)) > 0) {
		if (m.type == PT_HELLO) {
			a = peer_msg_get(&m, PA_NONCE);
			memcpy(our_nonce, a->val, PEER_NONCELEN);
			hello = 1;
		} else if (m.type == PT_AUTH && hello) {
			fuzz_proof(our_nonce, their_nonce, FUZZ_ME, want);
			a = peer_msg_get(&m, PA_PROOF);
			fuzz_assert(memcmp(a->val, want, PEER_PROOFLEN) == 0,
			    "our AUTH proof is wrong");
			auth = 1;
		}
		p += n;
		len -= (size_t)n;
	}
	fuzz_assert(n == 0 && len == 0, "we sent a frame that does not decode");
	fuzz_assert(hello && auth, "no HELLO and AUTH from us");
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* Bring the link up as "paris" would: HELLO, then the right AUTH. */
static void
fuzz_handshake(struct event_base *base, struct peer_net *net,
    struct bufferevent *far)
{
	struct peer_out	 o;
	uint8_t		 their[PEER_NONCELEN], ours[PEER_NONCELEN];
	uint8_t		 proof[PEER_PROOFLEN];
	const char	*cause;

	memset(their, 0x5a, sizeof(their));
	memset(&o, 0, sizeof(o));
	fuzz_hello(&o, their);
	fuzz_assert(peer_frame_end(&o, &cause) == 0, "HELLO builds");
	bufferevent_write(far, o.buf, o.len);
	fuzz_settle(base);
	fuzz_read_ours(far, their, ours);
	fuzz_proof(their, ours, FUZZ_PEER, proof);
	peer_frame_begin(&o, PT_AUTH, 2);
	peer_frame_put_bytes(&o, PA_PROOF, proof, sizeof(proof));
	fuzz_assert(peer_frame_end(&o, &cause) == 0, "AUTH builds");
	bufferevent_write(far, o.buf, o.len);
	peer_frame_free(&o);
	fuzz_settle(base);
	fuzz_assert(fuzz_seen.ups == 1 &&
	    peer_net_find(net, FUZZ_PEER)->state == PEER_UP,
	    "the right proof does not bring the link up");
}

/* Write buf to the far end in the chunks the split bytes name. */
static void
fuzz_feed(struct event_base *base, struct bufferevent *far,
    const uint8_t *split, const uint8_t *buf, size_t len)
{
	size_t	 cut[FUZZ_NSPLIT + 2], i, j, t;

	cut[0] = 0;
	for (i = 0; i < FUZZ_NSPLIT; i++)
		cut[i + 1] = len * split[i] / 256;
	cut[FUZZ_NSPLIT + 1] = len;
	for (i = 1; i < FUZZ_NSPLIT + 1; i++)
		for (j = i; j > 1 && cut[j - 1] > cut[j]; j--) {
			t = cut[j];
			cut[j] = cut[j - 1];
			cut[j - 1] = t;
		}
	for (i = 0; i < FUZZ_NSPLIT + 1; i++) {
		if (cut[i + 1] == cut[i])
			continue;
		bufferevent_write(far, buf + cut[i], cut[i + 1] - cut[i]);
		fuzz_settle(base);
		/* What we answer (ERROR) is read and dropped. */
		evbuffer_drain(bufferevent_get_input(far),
		    evbuffer_get_length(bufferevent_get_input(far)));
	}
}

/* The bytes through a live link; returns whether it is still up. */
static int
fuzz_link(int handshake, const uint8_t *split, const uint8_t *buf,
    size_t len)
{
	struct event_base	*base;
	struct bufferevent	*pair[2];
	struct peer_net		*net;
	struct sockaddr_in	 sin;
	int			 up;

	memset(&fuzz_seen, 0, sizeof(fuzz_seen));
	if ((base = event_base_new()) == NULL)
		return (0);
	if ((net = fuzz_net(base)) == NULL) {
		event_base_free(base);
		return (0);
	}
	if (bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair) != 0)
		fuzz_assert(0, "bufferevent_pair_new");
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7002);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer_conn_inbound(net, pair[0], (struct sockaddr *)&sin);
	fuzz_settle(base);
	if (handshake)
		fuzz_handshake(base, net, pair[1]);
	else
		evbuffer_drain(bufferevent_get_input(pair[1]),
		    evbuffer_get_length(bufferevent_get_input(pair[1])));
	fuzz_feed(base, pair[1], split, buf, len);
	up = peer_net_find(net, FUZZ_PEER)->state == PEER_UP;
	/* Frees our end of the pair with its connection. */
	peer_net_free(net);
	bufferevent_free(pair[1]);
	event_base_free(base);
	return (up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 nosplit[FUZZ_NSPLIT];
	const uint8_t		*split = nosplit, *buf = data;
	struct fuzz_seen	 want;
	size_t			 len = size;
	int			 handshake = 0, stopped, up;

	if (size > FUZZ_MAXINPUT)
		return (0);
	if (size >= FUZZ_PROLOGUE) {
		handshake = data[0] & 1;
		split = data + 1;
		buf = data + FUZZ_PROLOGUE;
		len = size - FUZZ_PROLOGUE;
	}
	up = fuzz_link(handshake, split, buf, len);
	want = fuzz_direct(buf, len, &stopped);
	if (!handshake) {
		fuzz_assert(fuzz_seen.frames == 0 && fuzz_seen.ups == 0 && !up,
		    "a link came up without the secret");
		return (0);
	}
	fuzz_assert(fuzz_seen.frames == want.frames &&
	    fuzz_seen.hash == want.hash,
	    "the link delivered other frames than the decoder accepts");
	fuzz_assert(up == !stopped, stopped ? "a bad frame left the link up" :
	    "good frames brought the link down");
	return (0);
}

#ifdef FUZZ_PEER_SEEDS
/*
 * The seed writer.  Frames of every type as the sites build them, a
 * stream of them torn at odd places, the handshake without the secret,
 * and frames broken in one way each.
 */
#include <errno.h>

static const char	*seed_dir;
static int		 seed_failed;

/* Check a builder's frame; abort when a seed itself is wrong. */
static void
seed_end(struct peer_out *o)
{
	const char	*cause;

	if (peer_frame_end(o, &cause) != 0) {
		fprintf(stderr, "seed frame: %s\n", cause);
		exit(1);
	}
}

/*
 * Write gen-name: prologue (flags, splits) and the bytes; run it through
 * the target and check how many frames reached the upper layer.
 */
static void
seed_write(const char *name, int flags, const uint8_t *split,
    const uint8_t *buf, size_t len, long want)
{
	static const uint8_t	 none[FUZZ_NSPLIT];
	uint8_t			*in;
	char			 path[1024];
	FILE			*f;

	in = malloc(FUZZ_PROLOGUE + len);
	in[0] = (uint8_t)flags;
	memcpy(in + 1, split != NULL ? split : none, FUZZ_NSPLIT);
	if (len > 0)
		memcpy(in + FUZZ_PROLOGUE, buf, len);
	snprintf(path, sizeof(path), "%s/gen-%s", seed_dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(in, 1, FUZZ_PROLOGUE + len, f) != FUZZ_PROLOGUE + len ||
	    fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	LLVMFuzzerTestOneInput(in, FUZZ_PROLOGUE + len);
	if (want >= 0 && fuzz_seen.frames != (size_t)want) {
		fprintf(stderr, "seed %s: %zu frames delivered, want %ld\n",
		    name, fuzz_seen.frames, want);
		seed_failed = 1;
	}
	free(in);
}

/* A built frame as an up-link seed that must be delivered once. */
static void
seed_frame(const char *name, struct peer_out *o)
{
	seed_end(o);
	seed_write(name, 1, NULL, o->buf, o->len, 1);
}

/* Two short codes and two buttons, as a user record carries them. */
static void
seed_record_lists(struct peer_out *o)
{
	peer_frame_nest_begin(o, PA_SHORTCODE);
	peer_frame_put_str(o, PA_SC_CODE, "*35*N#");
	peer_frame_put_str(o, PA_SC_FEATURE, "login");
	peer_frame_nest_end(o);
	peer_frame_nest_begin(o, PA_SHORTCODE);
	peer_frame_put_str(o, PA_SC_CODE, "8N");
	peer_frame_put_str(o, PA_SC_FEATURE, "break_out");
	peer_frame_put_str(o, PA_SC_NUMBER, "N");
	peer_frame_put_str(o, PA_SC_TRUNK, "");
	peer_frame_put_str(o, PA_SC_SITE, "paris");
	peer_frame_nest_end(o);
	peer_frame_nest_begin(o, PA_BUTTON);
	peer_frame_put_str(o, PA_BTN_TYPE, "busy_lamp");
	peer_frame_put_str(o, PA_BTN_USER, "302");
	peer_frame_put_str(o, PA_BTN_SITE, "paris");
	peer_frame_nest_end(o);
	peer_frame_nest_begin(o, PA_BUTTON);
	peer_frame_put_str(o, PA_BTN_TYPE, "speed_dial");
	peer_frame_put_str(o, PA_BTN_NUMBER, "902071230201");
	peer_frame_put_str(o, PA_BTN_TRUNK, "pstn");
	peer_frame_nest_end(o);
}

/* A whole user record (LOGIN_ANS, SETTINGS, DIR_SYNC). */
static void
seed_record(struct peer_out *o, const char *user)
{
	peer_frame_put_str(o, PA_USER, user);
	peer_frame_put_str(o, PA_NAME, "Anne Martin");
	peer_frame_put_str(o, PA_HOME, "paris");
	peer_frame_put_str(o, PA_SITE, "london");
	peer_frame_put_str(o, PA_EXTENSION, "201");
	peer_frame_put_u64(o, PA_GENERATION, 7);
	peer_frame_put_str(o, PA_PROFILE, "teleworker");
	peer_frame_put_str(o, PA_RIGHTS, "national");
	peer_frame_put_str(o, PA_OOH_RIGHTS, "internal");
	peer_frame_put_str(o, PA_TIME_PROFILE, "office");
	peer_frame_put_flag(o, PA_FORCE_LOGIN, 0);
	peer_frame_put_flag(o, PA_DND, 1);
	peer_frame_put_str(o, PA_FWD_NUMBER, "0612345678");
	peer_frame_put_flag(o, PA_FWD_UNCOND, 0);
	peer_frame_put_flag(o, PA_FWD_BUSY, 1);
	peer_frame_put_flag(o, PA_FWD_NOANSWER, 1);
	peer_frame_put_u32(o, PA_FWD_NOANSWER_TIME, 20);
	peer_frame_put_str(o, PA_TWIN_NUMBER, "0698765432");
	peer_frame_put_flag(o, PA_TWIN_ENABLED, 0);
	seed_record_lists(o);
}

/* Frames that answer with a user and a result. */
static void
seed_answer(const char *name, uint8_t type, uint32_t result)
{
	struct peer_out	 o;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, type, 9);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_u32(&o, PA_RESULT, result);
	peer_frame_put_str(&o, PA_REASON, peer_result_name((int)result));
	seed_frame(name, &o);
	peer_frame_free(&o);
}

/* Every upper-layer frame type, valid, one seed each. */
static void
seed_types(void)
{
	struct peer_out	 o;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_DIR_SYNC, 3);
	peer_frame_set_flags(&o, PF_FULL | PF_MORE);
	seed_record(&o, "301");
	peer_frame_put_str(&o, PA_USER, "302");
	peer_frame_put_str(&o, PA_NAME, "Bruno");
	peer_frame_put_str(&o, PA_HOME, "paris");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	seed_frame("dir-sync", &o);

	peer_frame_begin(&o, PT_LOCATION, 4);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_str(&o, PA_HOME, "paris");
	peer_frame_put_str(&o, PA_SITE, "london");
	peer_frame_put_str(&o, PA_EXTENSION, "201");
	peer_frame_put_u64(&o, PA_GENERATION, 8);
	peer_frame_put_u64(&o, PA_TIME, 1772442000);
	seed_frame("location", &o);

	peer_frame_begin(&o, PT_LOGIN_REQ, 5);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_str(&o, PA_LOGIN_CODE, "4321");
	peer_frame_put_str(&o, PA_SITE, "london");
	peer_frame_put_str(&o, PA_EXTENSION, "201");
	seed_frame("login-req", &o);

	peer_frame_begin(&o, PT_LOGIN_ANS, 5);
	peer_frame_put_u32(&o, PA_RESULT, PR_OK);
	seed_record(&o, "301");
	seed_frame("login-ans", &o);

	peer_frame_begin(&o, PT_LOGIN_ANS, 6);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_u32(&o, PA_RESULT, PR_LOCKED);
	peer_frame_put_u32(&o, PA_FAILURES, 3);
	peer_frame_put_u32(&o, PA_LOCK_REMAINING, 300);
	seed_frame("login-ans-locked", &o);

	peer_frame_begin(&o, PT_LOGOUT, 7);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_u64(&o, PA_GENERATION, 9);
	peer_frame_put_str(&o, PA_REASON, "logout");
	seed_frame("logout", &o);

	peer_frame_begin(&o, PT_SETTINGS, 8);
	seed_record(&o, "301");
	seed_frame("settings", &o);

	peer_frame_begin(&o, PT_RELEASE, 10);
	peer_frame_put_str(&o, PA_USER, "301");
	peer_frame_put_u64(&o, PA_GENERATION, 10);
	peer_frame_put_str(&o, PA_REASON, "admin");
	seed_frame("release", &o);

	peer_frame_begin(&o, PT_BREAKOUT_REQ, 11);
	peer_frame_put_str(&o, PA_DIGITS, "902071230201");
	peer_frame_put_str(&o, PA_CALL_ID, "a84b4c76e66710@192.0.2.4");
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_str(&o, PA_CALLER, "201");
	peer_frame_put_str(&o, PA_CALLER_NAME, "Alice Smith");
	peer_frame_put_str(&o, PA_TARGET, "sip:902071230201@192.0.2.9:5060");
	peer_frame_put_str(&o, PA_LOCATION, "Floor 2, desk 14");
	peer_frame_put_str(&o, PA_RIGHTS, "national");
	seed_record_lists(&o);
	seed_frame("breakout-req", &o);

	peer_frame_begin(&o, PT_BREAKOUT_ANS, 11);
	peer_frame_put_u32(&o, PA_RESULT, PR_NOT_FOUND);
	peer_frame_put_str(&o, PA_TARGET, "");
	seed_frame("breakout-ans", &o);
	peer_frame_free(&o);

	seed_answer("logout-ack", PT_LOGOUT_ACK, PR_OK);
	seed_answer("settings-ack", PT_SETTINGS_ACK, PR_STALE);
	seed_answer("release-ack", PT_RELEASE_ACK, PR_UNKNOWN_USER);
}

/* The link's own frames: before the handshake and on an up link. */
static void
seed_link(void)
{
	static const uint8_t	 split[FUZZ_NSPLIT] = { 3, 50, 130 };
	struct peer_out		 o, a;
	uint8_t			 nonce[PEER_NONCELEN];
	uint8_t			 proof[PEER_PROOFLEN];
	uint8_t			*two;

	memset(nonce, 0x11, sizeof(nonce));
	memset(proof, 0x22, sizeof(proof));
	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	fuzz_hello(&o, nonce);
	seed_end(&o);
	seed_write("hello", 0, NULL, o.buf, o.len, 0);
	/* HELLO then an AUTH without the secret: refused. */
	peer_frame_begin(&a, PT_AUTH, 2);
	peer_frame_put_bytes(&a, PA_PROOF, proof, sizeof(proof));
	seed_end(&a);
	two = malloc(o.len + a.len);
	memcpy(two, o.buf, o.len);
	memcpy(two + o.len, a.buf, a.len);
	seed_write("hello-bad-auth", 0, split, two, o.len + a.len, 0);
	free(two);
	/* A HELLO on an up link ends it. */
	seed_write("up-hello", 1, NULL, o.buf, o.len, 0);

	peer_frame_begin(&o, PT_HELLO, 1);
	peer_frame_put_str(&o, PA_SITE_NAME, "berlin");
	peer_frame_put_u32(&o, PA_SITE_ID, 3);
	peer_frame_put_u64(&o, PA_EPOCH, 1);
	peer_frame_put_bytes(&o, PA_NONCE, nonce, sizeof(nonce));
	seed_end(&o);
	seed_write("hello-unknown-site", 0, NULL, o.buf, o.len, 0);

	peer_frame_begin(&o, PT_KEEPALIVE, 0);
	seed_end(&o);
	seed_write("keepalive", 1, NULL, o.buf, o.len, 0);

	peer_frame_begin(&o, PT_ERROR, 0);
	peer_frame_put_u32(&o, PA_RESULT, PR_PROTOCOL);
	peer_frame_put_str(&o, PA_REASON, "duplicate");
	seed_end(&o);
	seed_write("error", 1, NULL, o.buf, o.len, 0);
	peer_frame_free(&o);
	peer_frame_free(&a);
}

/* Several frames in one stream, torn across four writes. */
static void
seed_stream(void)
{
	static const uint8_t	 split[FUZZ_NSPLIT] = { 200, 7, 101 };
	struct peer_out		 o;
	uint8_t			 buf[4096];
	size_t			 len = 0;
	int			 i;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < 4; i++) {
		peer_frame_begin(&o, i == 1 ? PT_KEEPALIVE : PT_LOCATION,
		    (uint32_t)(20 + i));
		if (i != 1) {
			peer_frame_put_str(&o, PA_USER, "301");
			peer_frame_put_str(&o, PA_HOME, "paris");
			peer_frame_put_str(&o, PA_SITE, i == 3 ? "" : "rome");
			peer_frame_put_u64(&o, PA_GENERATION,
			    (uint64_t)(11 + i));
		}
		seed_end(&o);
		memcpy(buf + len, o.buf, o.len);
		len += o.len;
	}
	seed_write("stream", 1, split, buf, len, 3);
	/* The same, with half a frame left at the end. */
	seed_write("stream-torn", 1, split, buf, len - 9, 2);
	peer_frame_free(&o);
}

/* A raw frame: any header fields, any body. */
static size_t
seed_raw(uint8_t *out, uint32_t magic, uint8_t version, uint8_t type,
    uint32_t blen, const void *body, size_t bodylen)
{
	uint32_t	 v;

	v = htonl(magic);
	memcpy(out, &v, 4);
	out[4] = version;
	out[5] = type;
	out[6] = 0;
	out[7] = 0;
	v = htonl(blen);
	memcpy(out + 8, &v, 4);
	v = htonl(99);
	memcpy(out + 12, &v, 4);
	memcpy(out + PEER_HDRLEN, body, bodylen);
	return (PEER_HDRLEN + bodylen);
}

/* One attribute into p: type, length, value. */
static size_t
seed_tlv(uint8_t *p, uint16_t type, uint16_t len, const void *val,
    size_t vlen)
{
	p[0] = type >> 8;
	p[1] = type & 0xff;
	p[2] = len >> 8;
	p[3] = len & 0xff;
	memcpy(p + 4, val, vlen);
	return (4 + vlen);
}

/* Broken headers: each costs the sender its link. */
static void
seed_bad_headers(void)
{
	uint8_t	 f[128], body[64];
	size_t	 n, b;

	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	n = seed_raw(f, 0x524f414eU, PEER_VERSION, PT_LOGOUT, (uint32_t)b,
	    body, b);
	seed_write("bad-magic", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, 2, PT_LOGOUT, (uint32_t)b, body, b);
	seed_write("bad-version", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, 0, (uint32_t)b, body, b);
	seed_write("bad-type-0", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_MAX, (uint32_t)b, body,
	    b);
	seed_write("bad-type-max", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_DIR_SYNC,
	    PEER_MAXBODY + 1, body, b);
	seed_write("bad-too-long", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_KEEPALIVE, 300, body, b);
	seed_write("bad-long-for-type", 1, NULL, f, n, 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_HELLO, (uint32_t)b, body,
	    b);
	seed_write("bad-short-for-type", 1, NULL, f, n, 0);
	/* The header is fine and promises more: the link waits. */
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOGOUT, 60, body, b);
	seed_write("short-body", 1, NULL, f, n, 0);
}

/* Broken bodies: each costs the sender its link. */
static void
seed_bad_bodies(void)
{
	uint8_t	 f[1024], body[960], inner[64];
	size_t	 n, b, i;

	/* LOCATION without its required PA_HOME. */
	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_SITE, 5, "paris", 5);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOCATION, (uint32_t)b,
	    body, b);
	seed_write("bad-missing-attr", 1, NULL, f, n, 0);
	/* Two stray bytes after the last attribute. */
	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	memcpy(body + b, "\0\1", 2);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOGOUT,
	    (uint32_t)b + 2, body, b + 2);
	seed_write("bad-trunc-attr-header", 1, NULL, f, n, 0);
	/* An attribute longer than the frame. */
	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 200, "\0\0\0\0\0\0\0\1", 8);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOGOUT, (uint32_t)b,
	    body, b);
	seed_write("bad-attr-past-end", 1, NULL, f, n, 0);
	/* An empty user number (PA_USER is 1-31 bytes). */
	b = seed_tlv(body, PA_USER, 0, "", 0);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	b += seed_tlv(body + b, PA_REASON, 0, "", 0);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOGOUT, (uint32_t)b,
	    body, b);
	seed_write("bad-attr-len", 1, NULL, f, n, 0);
	/* A short code whose code is empty, then one cut short inside. */
	i = seed_tlv(inner, PA_SC_CODE, 0, "", 0);
	i += seed_tlv(inner + i, PA_SC_FEATURE, 5, "login", 5);
	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	b += seed_tlv(body + b, PA_SHORTCODE, (uint16_t)i, inner, i);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_SETTINGS, (uint32_t)b,
	    body, b);
	seed_write("bad-nested-len", 1, NULL, f, n, 0);
	i = seed_tlv(inner, PA_SC_CODE, 9, "*35*", 4);
	b = seed_tlv(body, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	b += seed_tlv(body + b, PA_SHORTCODE, (uint16_t)i, inner, i);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_SETTINGS, (uint32_t)b,
	    body, b);
	seed_write("bad-nested-trunc", 1, NULL, f, n, 0);

	/* Accepted: a NUL inside a string (the getters refuse it), unknown
	 * and misplaced attributes (skipped), and more attributes than
	 * attr[] holds, the required one last. */
	b = seed_tlv(body, PA_USER, 3, "3\0" "1", 3);
	b += seed_tlv(body + b, 999, 4, "abcd", 4);
	b += seed_tlv(body + b, PA_SC_CODE, 2, "*1", 2);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_LOGOUT, (uint32_t)b,
	    body, b);
	seed_write("odd-attrs", 1, NULL, f, n, 1);
	for (b = 0, i = 0; i < PEER_MSG_MAXATTR + 8; i++)
		b += seed_tlv(body + b, PA_DND, 1, "\1", 1);
	b += seed_tlv(body + b, PA_USER, 3, "301", 3);
	b += seed_tlv(body + b, PA_GENERATION, 8, "\0\0\0\0\0\0\0\1", 8);
	n = seed_raw(f, PEER_MAGIC, PEER_VERSION, PT_SETTINGS, (uint32_t)b,
	    body, b);
	seed_write("many-attrs", 1, NULL, f, n, 1);
}

/* Write the seeds into argv[1]; nonzero when one misbehaved. */
int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return (2);
	}
	seed_dir = argv[1];
	seed_link();
	seed_types();
	seed_stream();
	seed_bad_headers();
	seed_bad_bodies();
	return (seed_failed);
}
#endif
