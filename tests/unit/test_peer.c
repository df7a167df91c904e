/*
 * Peer-link sessions (DESIGN.md section 5): several site instances in
 * one process, real TCP sockets on 127.0.0.1 ephemeral ports, one real
 * event loop.  HELLO/AUTH, refusals (secret, unknown site, duplicate id,
 * name mismatch), a bad frame closing only its own link, the hold timer
 * against a silent peer, keepalives, a restart seen as a new epoch, and a
 * reload that changes the peer list.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "peer.h"
#include "peer_frame.h"
#include "roamd.h"

struct roamd	*env;

#define MAXSITES	4
#define MAXPEERS	4

struct site {
	struct peer_net		*net;
	char			 name[16];
	int			 id;
	uint64_t		 epoch;
	struct cfg_addr		 listen;
	struct peer_cfg		 peers[MAXPEERS];
	size_t			 npeers;
	int			 ups;
	int			 downs;
	int			 restarted;	/* of the last on_up */
	int			 msgs;
	int			 last_type;
	char			 last_user[32];
	struct tls_cfg		 tls;	/* paths; cert NULL: plain */
};

static struct event_base	*base;
static struct site		*sites[MAXSITES];

/* The test site an instance belongs to. */
static struct site *
site_of(struct peer *p)
{
	int	 i;

	for (i = 0; i < MAXSITES; i++)
		if (sites[i] != NULL && sites[i]->net == peer_net_of(p))
			return (sites[i]);
	ck_abort_msg("callback from an unknown instance");
	return (NULL);
}

/* on_up: count, remember whether the peer restarted. */
static void
cb_up(struct peer *p, int restarted)
{
	struct site	*s = site_of(p);

	s->ups++;
	s->restarted = restarted;
}

/* on_down: count. */
static void
cb_down(struct peer *p)
{
	site_of(p)->downs++;
}

/* on_message: remember the type and user. */
static void
cb_message(struct peer *p, const struct peer_msg *m)
{
	struct site	*s = site_of(p);

	s->msgs++;
	s->last_type = m->type;
	s->last_user[0] = '\0';
	peer_msg_str(m, PA_USER, s->last_user, sizeof(s->last_user));
}

static const struct peer_cb test_cb = { cb_up, cb_down, cb_message };

/* 127.0.0.1:port into a. */
static void
loopback(struct cfg_addr *a, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sslen = sizeof(*sin);
}

/* The TLS test files: a temporary directory of CAs, certificates and
 * keys (made once per test case by tls_make_files). */
static char	 tls_dir[64];

/* tls_dir/name into a malloc'd string. */
static char *
tls_path(const char *name)
{
	char	*p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", tls_dir, name), -1);
	return (p);
}

/* Set s->tls from "CA CERT" (files in tls_dir); returns it. */
static struct tls_cfg *
site_tls_files(struct site *s, const char *spec)
{
	char	 ca[32], cert[32], file[48];

	ck_assert_int_eq(sscanf(spec, "%31s %31s", ca, cert), 2);
	free(s->tls.ca);
	free(s->tls.cert);
	free(s->tls.key);
	snprintf(file, sizeof(file), "%s.pem", ca);
	s->tls.ca = tls_path(file);
	snprintf(file, sizeof(file), "%s.pem", cert);
	s->tls.cert = tls_path(file);
	snprintf(file, sizeof(file), "%s.key", cert);
	s->tls.key = tls_path(file);
	return (&s->tls);
}

/*
 * A site listening on an ephemeral port; peers at port 1 (refused)
 * until link() points them at each other.  tls: "CA CERT" names the
 * network CA and the certificate/key pair (CERT.pem, CERT.key) in
 * tls_dir; NULL: plain TCP.
 */
static struct site *
site_tls(int slot, const char *name, int id, const char *secret,
    int hold_ms, const char *peer_names, const char *tls)
{
	struct peer_net_conf	 nc;
	struct site		*s = calloc(1, sizeof(*s));
	char			*list = strdup(peer_names), *tok, *save, *cause;

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->id = id;
	s->epoch = 0x1000ULL * (uint64_t)id + (uint64_t)random();
	loopback(&s->listen, 0);
	for (tok = strtok_r(list, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		s->peers[s->npeers].name = strdup(tok);
		loopback(&s->peers[s->npeers].address, 1);
		s->npeers++;
	}
	free(list);
	memset(&nc, 0, sizeof(nc));
	nc.site_name = s->name;
	nc.site_id = id;
	nc.epoch = s->epoch;
	nc.secret = secret;
	nc.hold_ms = hold_ms;
	nc.backoff_min_ms = 50;
	nc.backoff_max_ms = 400;
	nc.listen = &s->listen;
	nc.peers = s->peers;
	nc.npeers = s->npeers;
	if (tls != NULL)
		nc.tls = site_tls_files(s, tls);
	s->net = peer_net_new(base, &nc, &cause);
	ck_assert_msg(s->net != NULL, "peer_net_new: %s", "failed");
	peer_net_register(s->net, &test_cb);
	sites[slot] = s;
	return (s);
}

/* A plain-TCP site. */
static struct site *
site_new(int slot, const char *name, int id, const char *secret,
    int hold_ms, const char *peer_names)
{
	return (site_tls(slot, name, id, secret, hold_ms, peer_names,
	    NULL));
}

/* Tear a site down (its links close as in a crash). */
static void
site_free(struct site *s)
{
	size_t	 i;
	int	 k;

	for (k = 0; k < MAXSITES; k++)
		if (sites[k] == s)
			sites[k] = NULL;
	peer_net_free(s->net);
	for (i = 0; i < s->npeers; i++)
		free(s->peers[i].name);
	free(s->tls.ca);
	free(s->tls.cert);
	free(s->tls.key);
	free(s);
}

/* Tell s that peer name listens on port. */
static void
point(struct site *s, const char *name, int port)
{
	struct cfg_addr	 a;

	loopback(&a, port);
	ck_assert_int_eq(peer_net_set_address(s->net, name,
	    (struct sockaddr *)&a.ss, a.sslen), 0);
}

/* Point every site's peers at the others' real ports. */
static void
link_all(void)
{
	int	 i, j;

	for (i = 0; i < MAXSITES; i++)
		for (j = 0; j < MAXSITES; j++)
			if (i != j && sites[i] != NULL && sites[j] != NULL &&
			    peer_net_find(sites[i]->net, sites[j]->name))
				point(sites[i], sites[j]->name,
				    peer_net_port(sites[j]->net));
}

/* Is from's link to name up? */
static int
up(struct site *from, const char *name)
{
	struct peer	*p = peer_net_find(from->net, name);

	return (p != NULL && p->state == PEER_UP);
}

static int (*wait_pred)(void);

/* Check the condition every 10 ms; leave the loop when it holds. */
static void
wait_tick(evutil_socket_t fd, short ev, void *arg)
{
	if (wait_pred != NULL && wait_pred())
		event_base_loopbreak(base);
}

/* Time is up. */
static void
wait_stop(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(base);
}

/* Run the loop until pred() holds (pred NULL: the whole time) or ms
 * pass; returns pred()'s last answer. */
static int
run_until(int (*pred)(void), int ms)
{
	struct event	*tick, *stop;
	struct timeval	 tv = { 0, 10000 }, end;

	wait_pred = pred;
	tick = event_new(base, -1, EV_PERSIST, wait_tick, NULL);
	event_add(tick, &tv);
	end.tv_sec = ms / 1000;
	end.tv_usec = (ms % 1000) * 1000;
	stop = evtimer_new(base, wait_stop, NULL);
	evtimer_add(stop, &end);
	event_base_dispatch(base);
	event_free(tick);
	event_free(stop);
	wait_pred = NULL;
	return (pred != NULL ? pred() : 1);
}

/* Milliseconds now. */
static long long
now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static void
setup(void)
{
	/* As roamd does: a write on a link the far end just closed (a
	 * refused or duplicate one) is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	memset(sites, 0, sizeof(sites));
	log_init(getenv("PEER_TEST_DEBUG") != NULL, "test");
}

static void
teardown(void)
{
	int	 i;

	for (i = 0; i < MAXSITES; i++)
		if (sites[i] != NULL)
			site_free(sites[i]);
	event_base_free(base);
}

static int
ab_up(void)
{
	return (up(sites[0], "b") && up(sites[1], "a"));
}

static int
abc_up(void)
{
	return (up(sites[0], "b") && up(sites[0], "c") &&
	    up(sites[1], "a") && up(sites[1], "c") &&
	    up(sites[2], "a") && up(sites[2], "b"));
}

/* A LOCATION frame for user. */
static void
location(struct peer_out *o, const char *user)
{
	const char	*cause;

	peer_frame_begin(o, PT_LOCATION, 0);
	peer_frame_put_str(o, PA_USER, user);
	peer_frame_put_str(o, PA_HOME, "a");
	peer_frame_put_str(o, PA_SITE, "a");
	peer_frame_put_str(o, PA_EXTENSION, "301");
	peer_frame_put_u64(o, PA_GENERATION, 3);
	ck_assert_int_eq(peer_frame_end(o, &cause), 0);
}

/* Both sides see the other up, with its id and epoch; one TCP link. */
START_TEST(test_hello_both_sides_up)
{
	struct site	*a = site_new(0, "a", 1, "s3cret", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "s3cret", 3000, "a");
	struct peer	*pb, *pa;
	struct peer_out	 o = { 0 };
	struct json	 j;
	char		*doc, *table;

	link_all();
	ck_assert(run_until(ab_up, 3000));
	run_until(NULL, 300);	/* let a simultaneous dial settle */
	pb = peer_net_find(a->net, "b");
	pa = peer_net_find(b->net, "a");
	ck_assert_int_eq(pb->id, 2);
	ck_assert_int_eq(pa->id, 1);
	ck_assert(pb->epoch == b->epoch && pa->epoch == a->epoch);
	ck_assert_int_eq(a->ups, 1);
	ck_assert_int_eq(b->ups, 1);
	ck_assert_int_eq(a->restarted, 0);
	ck_assert_uint_eq(pb->flaps, 0);
	ck_assert_uint_eq(pa->flaps, 0);
	ck_assert_uint_eq(peer_net_nconns(a->net), 1);
	ck_assert_uint_eq(peer_net_nconns(b->net), 1);
	ck_assert_int_ne(pa->outbound, pb->outbound);
	ck_assert_ptr_eq(peer_net_by_id(a->net, 2), pb);

	location(&o, "201");
	ck_assert_int_eq(peer_net_send(a->net, "b", &o), 0);
	ck_assert_uint_ne(peer_frame_seq(&o), 0);
	run_until(NULL, 100);
	ck_assert_int_eq(b->msgs, 1);
	ck_assert_int_eq(b->last_type, PT_LOCATION);
	ck_assert_str_eq(b->last_user, "201");
	peer_frame_free(&o);

	json_init(&j);
	peer_net_json(a->net, &j);
	doc = json_finish(&j, NULL);
	ck_assert_ptr_nonnull(strstr(doc, "\"name\":\"b\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"state\":\"up\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"id\":2"));
	free(doc);
	table = peer_net_table(a->net);
	ck_assert_ptr_nonnull(strstr(table, "NAME"));
	ck_assert_ptr_nonnull(strstr(table, " up "));
	free(table);
}
END_TEST

/* Both sites dial each other at the same instant, again and again:
 * each time exactly one link survives, and nobody sees a flap. */
START_TEST(test_simultaneous_dial_keeps_one_link)
{
	struct peer_net_conf	 nc;
	struct site		*a, *b;
	char			*cause;
	int			 round, i;

	for (round = 0; round < 10; round++) {
		a = site_new(0, "a", 1, "k", 3000, "b");
		b = site_new(1, "b", 2, "k", 3000, "a");
		/* Back-off of 1 ms: both first dials in the same turn. */
		for (i = 0; i < 2; i++) {
			struct site *s = sites[i];

			peer_net_free(s->net);
			memset(&nc, 0, sizeof(nc));
			nc.site_name = s->name;
			nc.site_id = s->id;
			nc.epoch = s->epoch;
			nc.secret = "k";
			nc.hold_ms = 3000;
			nc.backoff_min_ms = 1;
			nc.backoff_max_ms = 20;
			nc.listen = &s->listen;
			nc.peers = s->peers;
			nc.npeers = s->npeers;
			s->net = peer_net_new(base, &nc, &cause);
			ck_assert_ptr_nonnull(s->net);
			peer_net_register(s->net, &test_cb);
		}
		link_all();
		ck_assert(run_until(ab_up, 3000));
		run_until(NULL, 150);
		ck_assert(ab_up());
		ck_assert_uint_eq(peer_net_nconns(a->net), 1);
		ck_assert_uint_eq(peer_net_nconns(b->net), 1);
		ck_assert_int_eq(a->ups, 1);
		ck_assert_int_eq(b->ups, 1);
		ck_assert_int_eq(a->downs + b->downs, 0);
		site_free(a);
		site_free(b);
	}
}
END_TEST

/* Three sites: a full mesh, one link per pair; a broadcast reaches all. */
START_TEST(test_three_sites_mesh_and_broadcast)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b c");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a c");
	struct site	*c = site_new(2, "c", 3, "k", 3000, "a b");
	struct peer_out	 o = { 0 };

	link_all();
	ck_assert(run_until(abc_up, 4000));
	run_until(NULL, 300);
	ck_assert(abc_up());
	ck_assert_uint_eq(peer_net_nconns(a->net), 2);
	ck_assert_uint_eq(peer_net_nconns(b->net), 2);
	ck_assert_uint_eq(peer_net_nconns(c->net), 2);
	ck_assert_int_eq(a->ups + b->ups + c->ups, 6);
	ck_assert_int_eq(a->downs + b->downs + c->downs, 0);

	location(&o, "202");
	ck_assert_uint_eq(peer_net_broadcast(a->net, &o), 2);
	run_until(NULL, 100);
	ck_assert_int_eq(b->msgs, 1);
	ck_assert_int_eq(c->msgs, 1);
	ck_assert_str_eq(c->last_user, "202");
	peer_frame_free(&o);
}
END_TEST

/* A wrong secret: both sides refuse, nobody is ever up. */
START_TEST(test_wrong_secret_refused_both_sides)
{
	struct site	*a = site_new(0, "a", 1, "right", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "wrong", 3000, "a");
	const char	*ra, *rb;

	link_all();
	run_until(NULL, 800);
	ck_assert(!up(a, "b") && !up(b, "a"));
	ck_assert_int_eq(a->ups + b->ups, 0);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), 0);
	ck_assert_uint_gt(peer_net_refused(b->net, &rb), 0);
	ck_assert_str_eq(ra, "bad-secret");
	ck_assert_str_eq(rb, "bad-secret");
}
END_TEST

/* A site not in network.peers is refused. */
START_TEST(test_unknown_site_refused)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*z = site_new(1, "z", 3, "k", 3000, "a");
	const char	*ra;

	point(z, "a", peer_net_port(a->net));
	run_until(NULL, 600);
	ck_assert(!up(z, "a"));
	ck_assert_int_eq(a->ups + z->ups, 0);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), 0);
	ck_assert_str_eq(ra, "unknown-site");
}
END_TEST

/* A peer claiming our own site id is refused. */
START_TEST(test_duplicate_id_refused)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*b = site_new(1, "b", 1, "k", 3000, "a");
	const char	*ra, *rb;

	link_all();
	run_until(NULL, 600);
	ck_assert_int_eq(a->ups + b->ups, 0);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), 0);
	ck_assert_uint_gt(peer_net_refused(b->net, &rb), 0);
	ck_assert_str_eq(ra, "duplicate-id");
	ck_assert_str_eq(rb, "duplicate-id");
}
END_TEST

/* The site answering at b's address says it is c: refused. */
START_TEST(test_name_mismatch_refused)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*c = site_new(1, "c", 3, "k", 3000, "a");
	const char	*ra;

	point(a, "b", peer_net_port(c->net));
	run_until(NULL, 600);
	ck_assert_int_eq(a->ups + c->ups, 0);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), 0);
	ck_assert_str_eq(ra, "name-mismatch");
}
END_TEST

/* Garbage on the a-b link closes that link only; it comes back. */
START_TEST(test_bad_frame_closes_only_that_link)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b c");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a c");
	struct site	*c = site_new(2, "c", 3, "k", 3000, "a b");
	static const uint8_t junk[PEER_HDRLEN] = "JUNKJUNKJUNKJUNK";
	struct peer	*ab, *ba;

	link_all();
	ck_assert(run_until(abc_up, 4000));
	run_until(NULL, 300);
	ab = peer_net_find(a->net, "b");
	ba = peer_net_find(b->net, "a");
	ck_assert_int_eq(peer_send_raw(ab, junk, sizeof(junk)), 0);
	run_until(NULL, 200);
	ck_assert(run_until(abc_up, 3000));
	ck_assert_uint_eq(ab->flaps, 1);
	ck_assert_uint_eq(ba->flaps, 1);
	ck_assert_str_eq(ba->down_reason, "bad-frame");
	ck_assert_str_eq(ab->down_reason, "remote-error");
	/* The other links never moved. */
	ck_assert_uint_eq(peer_net_find(a->net, "c")->flaps, 0);
	ck_assert_uint_eq(peer_net_find(b->net, "c")->flaps, 0);
	ck_assert_uint_eq(peer_net_find(c->net, "a")->flaps, 0);
	ck_assert_uint_eq(peer_net_find(c->net, "b")->flaps, 0);
	ck_assert_int_eq(c->downs, 0);
	ck_assert_int_eq(a->restarted, 0);
}
END_TEST

/* An unknown frame type and a HELLO after the handshake: link closed. */
START_TEST(test_unexpected_frames_close_link)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a");
	struct peer_out	 o = { 0 };
	struct peer	*ab, *ba;
	const char	*cause;
	uint8_t		 hdr[PEER_HDRLEN];

	link_all();
	ck_assert(run_until(ab_up, 3000));
	run_until(NULL, 300);
	ab = peer_net_find(a->net, "b");
	ba = peer_net_find(b->net, "a");

	peer_frame_begin(&o, PT_KEEPALIVE, 1);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	memcpy(hdr, o.buf, PEER_HDRLEN);
	hdr[5] = 99;
	ck_assert_int_eq(peer_send_raw(ab, hdr, sizeof(hdr)), 0);
	run_until(NULL, 200);
	ck_assert_uint_eq(ba->flaps, 1);
	ck_assert_str_eq(ba->down_reason, "bad-frame");
	ck_assert(run_until(ab_up, 3000));

	/* A second HELLO once up is a protocol error too. */
	peer_frame_begin(&o, PT_HELLO, 0);
	peer_frame_put_str(&o, PA_SITE_NAME, "a");
	peer_frame_put_u32(&o, PA_SITE_ID, 1);
	peer_frame_put_u64(&o, PA_EPOCH, 1);
	peer_frame_put_bytes(&o, PA_NONCE, "0123456789abcdef0123456789abcdef",
	    PEER_NONCELEN);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_eq(peer_send(ab, &o), 0);
	run_until(NULL, 200);
	ck_assert_uint_eq(ba->flaps, 2);
	ck_assert(run_until(ab_up, 3000));
	peer_frame_free(&o);
}
END_TEST

/* A frame arriving in pieces is put back together; a header announcing
 * more than 64 KiB closes the link at once, without waiting for a body. */
START_TEST(test_split_frame_and_oversize_length)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a");
	struct peer_out	 o = { 0 };
	struct peer	*ab, *ba;
	uint8_t		 hdr[PEER_HDRLEN];

	link_all();
	ck_assert(run_until(ab_up, 3000));
	run_until(NULL, 300);
	ab = peer_net_find(a->net, "b");
	ba = peer_net_find(b->net, "a");

	location(&o, "203");
	peer_frame_set_seq(&o, 5);
	ck_assert_int_eq(peer_send_raw(ab, o.buf, 7), 0);
	run_until(NULL, 50);
	ck_assert_int_eq(peer_send_raw(ab, o.buf + 7, PEER_HDRLEN), 0);
	run_until(NULL, 50);
	ck_assert_int_eq(b->msgs, 0);
	ck_assert_int_eq(peer_send_raw(ab, o.buf + 7 + PEER_HDRLEN,
	    o.len - 7 - PEER_HDRLEN), 0);
	run_until(NULL, 50);
	ck_assert_int_eq(b->msgs, 1);
	ck_assert_str_eq(b->last_user, "203");
	ck_assert_uint_eq(ba->flaps, 0);

	memcpy(hdr, o.buf, PEER_HDRLEN);
	hdr[8] = 0x00;
	hdr[9] = 0x10;		/* 1 MiB body */
	hdr[10] = hdr[11] = 0;
	ck_assert_int_eq(peer_send_raw(ab, hdr, sizeof(hdr)), 0);
	run_until(NULL, 100);
	ck_assert_uint_eq(ba->flaps, 1);
	ck_assert_str_eq(ba->down_reason, "bad-frame");
	ck_assert_int_eq(b->msgs, 1);
	peer_frame_free(&o);
}
END_TEST

/* A hand-written peer: completes HELLO/AUTH, then never sends again. */
struct rawpeer {
	struct bufferevent	*bev;
	uint8_t			 nonce[PEER_NONCELEN];
	int			 authed;
	int			 closed;
};

/* Write a frame on the raw peer's socket. */
static void
raw_send(struct rawpeer *r, struct peer_out *o)
{
	const char	*cause;

	ck_assert_int_eq(peer_frame_end(o, &cause), 0);
	bufferevent_write(r->bev, o->buf, o->len);
}

/* Raw peer input: answer HELLO with a correct AUTH, note AUTH. */
static void
raw_read(struct bufferevent *bev, void *arg)
{
	struct rawpeer		*r = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct peer_out		 o = { 0 };
	struct peer_msg		 m;
	const struct peer_attr	*n;
	const char		*cause;
	uint8_t			 data[2 * PEER_NONCELEN + 1], proof[32];
	unsigned int		 plen = sizeof(proof);
	ssize_t			 k;
	uint8_t			*p;

	for (;;) {
		p = evbuffer_pullup(in, -1);
		k = peer_frame_decode(p, evbuffer_get_length(in), &m, &cause);
		if (k <= 0)
			break;
		if (m.type == PT_HELLO) {
			n = peer_msg_get(&m, PA_NONCE);
			memcpy(data, r->nonce, PEER_NONCELEN);
			memcpy(data + PEER_NONCELEN, n->val, PEER_NONCELEN);
			data[2 * PEER_NONCELEN] = 'r';
			HMAC(EVP_sha256(), "k", 1, data, sizeof(data), proof,
			    &plen);
			peer_frame_begin(&o, PT_AUTH, 0);
			peer_frame_put_bytes(&o, PA_PROOF, proof, plen);
			raw_send(r, &o);
		} else if (m.type == PT_AUTH)
			r->authed = 1;
		evbuffer_drain(in, (size_t)k);
	}
	peer_frame_free(&o);
}

/* Raw peer connected (send HELLO) or closed. */
static void
raw_event(struct bufferevent *bev, short what, void *arg)
{
	struct rawpeer	*r = arg;
	struct peer_out	 o = { 0 };

	if (what & BEV_EVENT_CONNECTED) {
		memset(r->nonce, 0x42, sizeof(r->nonce));
		peer_frame_begin(&o, PT_HELLO, 0);
		peer_frame_put_str(&o, PA_SITE_NAME, "r");
		peer_frame_put_u32(&o, PA_SITE_ID, 9);
		peer_frame_put_u64(&o, PA_EPOCH, 77);
		peer_frame_put_bytes(&o, PA_NONCE, r->nonce, PEER_NONCELEN);
		raw_send(r, &o);
		peer_frame_free(&o);
		bufferevent_enable(bev, EV_READ);
		return;
	}
	r->closed = 1;
}

static struct site	*hold_site;

static int
hold_up(void)
{
	return (up(hold_site, "r"));
}

static int
hold_down(void)
{
	return (!up(hold_site, "r"));
}

/* A peer that goes silent after the handshake is down after hold time. */
START_TEST(test_hold_timer_silent_peer_goes_down)
{
	struct site	*a = site_new(0, "a", 1, "k", 600, "r");
	struct rawpeer	 r = { 0 };
	struct cfg_addr	 addr;
	struct peer	*pr;
	long long	 t0, dt;

	hold_site = a;
	loopback(&addr, peer_net_port(a->net));
	r.bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(r.bev, raw_read, NULL, raw_event, &r);
	ck_assert_int_eq(bufferevent_socket_connect(r.bev,
	    (struct sockaddr *)&addr.ss, addr.sslen), 0);
	ck_assert(run_until(hold_up, 2000));
	t0 = now_ms();
	ck_assert(r.authed);
	pr = peer_net_find(a->net, "r");
	ck_assert_int_eq(pr->id, 9);
	ck_assert(run_until(hold_down, 3000));
	dt = now_ms() - t0;
	ck_assert_str_eq(pr->down_reason, "hold-timer");
	ck_assert_msg(dt >= 500 && dt < 1500, "down after %lld ms", dt);
	ck_assert_int_eq(a->downs, 1);
	run_until(NULL, 100);
	ck_assert(r.closed);
	bufferevent_free(r.bev);
}
END_TEST

/* Keepalives keep an idle link up well past several hold times. */
START_TEST(test_keepalives_keep_link_up)
{
	struct site	*a = site_new(0, "a", 1, "k", 300, "b");
	struct site	*b = site_new(1, "b", 2, "k", 300, "a");
	struct peer	*ab;

	link_all();
	ck_assert(run_until(ab_up, 3000));
	ab = peer_net_find(a->net, "b");
	run_until(NULL, 300);
	ab->flaps = 0;
	ab->rx = 0;
	run_until(NULL, 1500);
	ck_assert(ab_up());
	ck_assert_uint_eq(ab->flaps, 0);
	ck_assert_uint_eq(peer_net_find(b->net, "a")->flaps, 0);
	ck_assert_uint_ge(ab->rx, 8);	/* one per 100 ms */
}
END_TEST

static struct site	*restart_a;

static int
a_sees_b_down(void)
{
	return (!up(restart_a, "b"));
}

/* b restarts (new epoch, same port): a reconnects and flags it. */
START_TEST(test_restart_changes_epoch)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a");
	struct peer_net_conf	 nc;
	struct peer	*ab;
	uint64_t	 old;
	int		 port;
	char		*cause;

	restart_a = a;
	link_all();
	ck_assert(run_until(ab_up, 3000));
	ab = peer_net_find(a->net, "b");
	old = ab->epoch;
	ck_assert_int_eq(a->restarted, 0);
	port = peer_net_port(b->net);

	peer_net_free(b->net);
	ck_assert(run_until(a_sees_b_down, 2000));
	ck_assert_int_eq(a->downs, 1);

	/* The same site comes back with a new epoch on the same port. */
	b->epoch = old + 1;
	loopback(&b->listen, port);
	memset(&nc, 0, sizeof(nc));
	nc.site_name = "b";
	nc.site_id = 2;
	nc.epoch = b->epoch;
	nc.secret = "k";
	nc.hold_ms = 3000;
	nc.backoff_min_ms = 50;
	nc.backoff_max_ms = 400;
	nc.listen = &b->listen;
	nc.peers = b->peers;
	nc.npeers = b->npeers;
	b->net = peer_net_new(base, &nc, &cause);
	ck_assert_ptr_nonnull(b->net);
	peer_net_register(b->net, &test_cb);
	point(b, "a", peer_net_port(a->net));
	b->ups = 0;

	ck_assert(run_until(ab_up, 3000));
	ck_assert_int_eq(a->ups, 2);
	ck_assert_int_eq(a->restarted, 1);
	ck_assert(ab->epoch == old + 1);
	ck_assert_int_eq(b->ups, 1);
	ck_assert_int_eq(b->restarted, 0);
	ck_assert_uint_eq(ab->flaps, 1);
}
END_TEST

static int
a_has_c_not_b(void)
{
	return (up(sites[0], "c") && up(sites[2], "a") &&
	    peer_net_find(sites[0]->net, "b") == NULL);
}

/* A reload drops a peer (its link goes down) and adds another. */
START_TEST(test_reload_changes_peers)
{
	struct site		*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site		*b = site_new(1, "b", 2, "k", 3000, "a");
	struct site		*c = site_new(2, "c", 3, "k", 3000, "a");
	struct peer_net_conf	 nc;
	struct peer_cfg		 pc;

	link_all();
	ck_assert(run_until(ab_up, 3000));
	memset(&pc, 0, sizeof(pc));
	pc.name = "c";
	loopback(&pc.address, peer_net_port(c->net));
	memset(&nc, 0, sizeof(nc));
	nc.site_name = "a";
	nc.site_id = 1;
	nc.epoch = a->epoch;
	nc.secret = "k";
	nc.hold_ms = 3000;
	nc.backoff_min_ms = 50;
	nc.backoff_max_ms = 400;
	nc.listen = &a->listen;
	nc.peers = &pc;
	nc.npeers = 1;
	point(c, "a", peer_net_port(a->net));
	peer_net_update(a->net, &nc);
	ck_assert_int_eq(a->downs, 1);
	ck_assert(run_until(a_has_c_not_b, 3000));
	run_until(NULL, 300);
	ck_assert(!up(b, "a"));
}
END_TEST

static int	daemon_ups, daemon_downs;

/* The daemon's callbacks, registered before peer_init. */
static void
daemon_up(struct peer *p, int restarted)
{
	daemon_ups++;
}

static void
daemon_down(struct peer *p)
{
	daemon_downs++;
}

static const struct peer_cb daemon_cb = { daemon_up, daemon_down, NULL };

static int
daemon_b_up(void)
{
	return (peer_is_up("b") && up(sites[1], "a"));
}

static int
daemon_b_down(void)
{
	return (!peer_is_up("b") && !up(sites[1], "a"));
}

/* The daemon's instance from env->conf: up, roamctl output, reload
 * removing the peer, shutdown. */
START_TEST(test_daemon_instance_from_config)
{
	struct roamd	 rd;
	struct config	 conf, conf2;
	struct peer_cfg	 pc;
	struct site	*b;
	struct json	 j;
	char		*cause = NULL, *doc, *table;

	memset(&rd, 0, sizeof(rd));
	memset(&conf, 0, sizeof(conf));
	env = &rd;
	rd.conf = &conf;
	rd.epoch = 0xabcdef;
	conf.site_name = "a";
	conf.site_id = 1;
	conf.net_secret = "k";
	conf.hold_time = 3;
	loopback(&conf.net_listen, 0);
	conf.net_listen.text = "127.0.0.1:0";
	b = site_new(1, "b", 2, "k", 3000, "a");
	memset(&pc, 0, sizeof(pc));
	pc.name = "b";
	loopback(&pc.address, peer_net_port(b->net));
	conf.peers = &pc;
	conf.npeers = 1;

	peer_register(&daemon_cb);
	ck_assert_int_eq(peer_init(base, &cause), 0);
	point(b, "a", peer_net_port(peer_net_of(peer_find("b"))));
	/* b dials first at 50 ms back-off; a's own first dial is <250 ms. */
	ck_assert(run_until(daemon_b_up, 3000));
	ck_assert_int_eq(daemon_ups, 1);
	ck_assert_ptr_eq(peer_by_id(2), peer_find("b"));
	ck_assert(peer_find("b")->epoch == b->epoch);
	ck_assert(peer_net_find(b->net, "a")->epoch == 0xabcdef);

	json_init(&j);
	peer_json(&j);
	doc = json_finish(&j, NULL);
	ck_assert_ptr_nonnull(strstr(doc, "\"state\":\"up\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"epoch\":\""));
	free(doc);
	table = peer_table();
	ck_assert_ptr_nonnull(strstr(table, "b "));
	free(table);

	/* Reload without b: the link goes down and stays down. */
	conf2 = conf;
	conf2.peers = NULL;
	conf2.npeers = 0;
	rd.conf = &conf2;
	peer_reload();
	ck_assert_int_eq(daemon_downs, 1);
	ck_assert_ptr_null(peer_find("b"));
	ck_assert(run_until(daemon_b_down, 2000));
	peer_shutdown();
	ck_assert_ptr_null(peer_find("b"));
	env = NULL;
}
END_TEST

/* No network: section: nothing listens, lookups find nothing. */
START_TEST(test_daemon_without_network)
{
	struct roamd	 rd;
	struct config	 conf;
	struct json	 j;
	char		*cause = NULL, *doc;

	memset(&rd, 0, sizeof(rd));
	memset(&conf, 0, sizeof(conf));
	env = &rd;
	rd.conf = &conf;
	conf.site_name = "a";
	conf.site_id = 1;
	ck_assert_int_eq(peer_init(base, &cause), 0);
	ck_assert_ptr_null(peer_find("b"));
	ck_assert(!peer_is_up("b"));
	json_init(&j);
	peer_json(&j);
	doc = json_finish(&j, NULL);
	ck_assert_str_eq(doc, "[]");
	free(doc);
	peer_reload();
	peer_shutdown();
	env = NULL;
}
END_TEST

/*
 * TLS (network.tls).  The certificates are made here with the OpenSSL
 * API, once per test case, into a temporary directory:
 *	ca1, ca2	network CAs (ca2 is "another network")
 *	a, b, c		sites of ca1 (CN and DNS SAN = the site name)
 *	bsan		site b of ca1 by its SAN only (CN "host-17")
 *	bca2		site b, but signed by ca2
 *	bexp		site b of ca1, expired yesterday
 */

/* Add extension nid = value to x (issuer: for the key identifiers). */
static void
tls_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn (and DNS SAN san unless NULL) on key k, valid
 * from now + from to now + to seconds, signed by issuer/ikey, or a
 * self-signed CA when issuer is NULL. */
static X509 *
tls_cert(EVP_PKEY *k, const char *cn, const char *san, X509 *issuer,
    EVP_PKEY *ikey, long from, long to)
{
	static long	 serial = 1;
	X509		*x = X509_new();
	X509_NAME	*n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n);
	if (issuer == NULL) {
		tls_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		tls_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		tls_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		tls_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
		if (san != NULL)
			tls_ext(x, issuer, NID_subject_alt_name, san);
	}
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : k, EVP_sha256()),
	    0);
	return (x);
}

/* Write tls_dir/name.pem (and name.key when k is given). */
static void
tls_write(const char *name, X509 *x, EVP_PKEY *k)
{
	char	 file[48], *path;
	FILE	*f;

	snprintf(file, sizeof(file), "%s.pem", name);
	path = tls_path(file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	free(path);
	if (k == NULL)
		return;
	snprintf(file, sizeof(file), "%s.key", name);
	path = tls_path(file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	free(path);
}

/* A site certificate of CA ca/cak written as name.pem and name.key. */
static void
tls_site(const char *name, const char *cn, const char *san, X509 *ca,
    EVP_PKEY *cak, long from, long to)
{
	EVP_PKEY	*k = EVP_EC_gen("P-256");
	X509		*x;

	ck_assert_ptr_nonnull(k);
	x = tls_cert(k, cn, san, ca, cak, from, to);
	tls_write(name, x, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Make every file the TLS tests use (unchecked fixture: once). */
static void
tls_make_files(void)
{
	EVP_PKEY	*k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509		*ca1, *ca2;
	long		 day = 86400;

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/test_peer_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	ca1 = tls_cert(k1, "Roam test network", NULL, NULL, NULL, -day,
	    3650 * day);
	ca2 = tls_cert(k2, "Another network", NULL, NULL, NULL, -day,
	    3650 * day);
	tls_write("ca1", ca1, NULL);
	tls_write("ca2", ca2, NULL);
	tls_site("a", "a", "DNS:a", ca1, k1, -day, 365 * day);
	tls_site("b", "b", "DNS:b", ca1, k1, -day, 365 * day);
	tls_site("c", "c", "DNS:c", ca1, k1, -day, 365 * day);
	tls_site("bsan", "host-17", "DNS:b", ca1, k1, -day, 365 * day);
	tls_site("bca2", "b", "DNS:b", ca2, k2, -day, 365 * day);
	tls_site("bexp", "b", "DNS:b", ca1, k1, -2 * day, -day);
	X509_free(ca1);
	X509_free(ca2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* Remove the files again. */
static void
tls_remove_files(void)
{
	char	*cmd;

	if (tls_dir[0] == '\0')
		return;
	ck_assert_int_ne(asprintf(&cmd, "rm -rf '%s'", tls_dir), -1);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tls_dir);
	free(cmd);
}

/* Two sites of one network CA link up over TLS 1.3 (b known by its
 * SAN only) and carry frames; roamctl shows the protocol. */
START_TEST(test_tls_sites_link_up)
{
	struct site	*a = site_tls(0, "a", 1, "k", 3000, "b", "ca1 a");
	struct site	*b = site_tls(1, "b", 2, "k", 3000, "a",
	    "ca1 bsan");
	struct peer_out	 o = { 0 };
	struct json	 j;
	char		*doc;

	link_all();
	ck_assert(run_until(ab_up, 3000));
	run_until(NULL, 200);
	ck_assert_int_eq(a->ups, 1);
	ck_assert_int_eq(b->ups, 1);
	ck_assert_uint_eq(peer_net_refused(a->net, NULL), 0);
	ck_assert_uint_eq(peer_net_refused(b->net, NULL), 0);
	location(&o, "201");
	ck_assert_int_eq(peer_net_send(a->net, "b", &o), 0);
	run_until(NULL, 100);
	ck_assert_int_eq(b->msgs, 1);
	ck_assert_str_eq(b->last_user, "201");
	peer_frame_free(&o);
	json_init(&j);
	peer_net_json(a->net, &j);
	doc = json_finish(&j, NULL);
	ck_assert_ptr_nonnull(strstr(doc, "\"tls\":\"TLSv1.3\""));
	free(doc);
}
END_TEST

/* Both sites refuse each other: nobody up, and a's last reason. */
static void
tls_refused(struct site *a, struct site *b, const char *reason)
{
	const char	*ra;

	link_all();
	run_until(NULL, 900);
	ck_assert(!up(a, "b") && !up(b, "a"));
	ck_assert_int_eq(a->ups + b->ups, 0);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), 0);
	ck_assert_str_eq(ra, reason);
}

/* A certificate from another CA (though it names b) is untrusted. */
START_TEST(test_tls_other_ca_refused)
{
	struct site	*a = site_tls(0, "a", 1, "k", 3000, "b", "ca1 a");
	struct site	*b = site_tls(1, "b", 2, "k", 3000, "a",
	    "ca1 bca2");

	tls_refused(a, b, "cert-untrusted");
}
END_TEST

/* An expired certificate of the right CA is untrusted. */
START_TEST(test_tls_expired_cert_refused)
{
	struct site	*a = site_tls(0, "a", 1, "k", 3000, "b", "ca1 a");
	struct site	*b = site_tls(1, "b", 2, "k", 3000, "a",
	    "ca1 bexp");

	tls_refused(a, b, "cert-untrusted");
}
END_TEST

/* Site b presents c's (valid) certificate: refused when a dials it, and
 * when it dials a claiming to be b. */
START_TEST(test_tls_wrong_name_refused)
{
	struct site	*a = site_tls(0, "a", 1, "k", 3000, "b", "ca1 a");
	struct site	*b = site_tls(1, "b", 2, "k", 3000, "a", "ca1 c");
	const char	*ra;
	unsigned	 n;

	tls_refused(a, b, "cert-name-mismatch");
	/* Only b dials now: its HELLO claims "b", its certificate says c. */
	point(a, "b", 1);
	n = peer_net_refused(a->net, NULL);
	run_until(NULL, 600);
	ck_assert_uint_gt(peer_net_refused(a->net, &ra), n);
	ck_assert_str_eq(ra, "cert-name-mismatch");
	ck_assert_int_eq(a->ups + b->ups, 0);
}
END_TEST

/* A plain-text peer gets nowhere with a TLS site. */
START_TEST(test_tls_plain_peer_refused)
{
	struct site	*a = site_tls(0, "a", 1, "k", 3000, "b", "ca1 a");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a");

	tls_refused(a, b, "tls-handshake");
}
END_TEST

/* The HMAC handshake still runs inside TLS. */
START_TEST(test_tls_still_needs_the_secret)
{
	struct site	*a = site_tls(0, "a", 1, "one", 3000, "b",
	    "ca1 a");
	struct site	*b = site_tls(1, "b", 2, "two", 3000, "a",
	    "ca1 b");

	tls_refused(a, b, "bad-secret");
}
END_TEST

/* Reload s (secret k, hold 3 s) with its one peer at other's port and
 * TLS from spec. */
static void
site_reload_tls(struct site *s, struct site *other, const char *spec)
{
	struct peer_net_conf	 nc;

	loopback(&s->peers[0].address, peer_net_port(other->net));
	memset(&nc, 0, sizeof(nc));
	nc.site_name = s->name;
	nc.site_id = s->id;
	nc.epoch = s->epoch;
	nc.secret = "k";
	nc.hold_ms = 3000;
	nc.backoff_min_ms = 50;
	nc.backoff_max_ms = 400;
	nc.listen = &s->listen;
	nc.peers = s->peers;
	nc.npeers = s->npeers;
	nc.tls = site_tls_files(s, spec);
	peer_net_update(s->net, &nc);
}

/* Both of a's and b's links are up over TLS. */
static int
ab_tls_up(void)
{
	struct json	 j;
	char		*doc;
	int		 n = 0, i;

	if (!ab_up())
		return (0);
	for (i = 0; i < 2; i++) {
		json_init(&j);
		peer_net_json(sites[i]->net, &j);
		doc = json_finish(&j, NULL);
		n += strstr(doc, "\"tls\":\"TLSv1.3\"") != NULL;
		free(doc);
	}
	return (n == 2);
}

/* Turning TLS on at a reload closes the plain links; they come back
 * over TLS. */
START_TEST(test_tls_reload_turns_links_to_tls)
{
	struct site	*a = site_new(0, "a", 1, "k", 3000, "b");
	struct site	*b = site_new(1, "b", 2, "k", 3000, "a");

	link_all();
	ck_assert(run_until(ab_up, 3000));
	ck_assert(!ab_tls_up());
	site_reload_tls(a, b, "ca1 a");
	ck_assert_int_eq(a->downs, 1);
	site_reload_tls(b, a, "ca1 b");
	ck_assert(run_until(ab_tls_up, 4000));
}
END_TEST

/* Files that do not load fail the instance with a cause naming them. */
START_TEST(test_tls_bad_files_fail_start)
{
	struct peer_net_conf	 nc;
	struct cfg_addr		 l;
	struct tls_cfg		 t;
	char			*cause = NULL;

	loopback(&l, 0);
	memset(&nc, 0, sizeof(nc));
	nc.site_name = "a";
	nc.site_id = 1;
	nc.listen = &l;
	nc.tls = &t;
	t.ca = tls_path("ca1.pem");
	t.cert = tls_path("nonexistent.pem");
	t.key = tls_path("a.key");
	ck_assert_ptr_null(peer_net_new(base, &nc, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "nonexistent.pem"));
	free(cause);
	free(t.cert);
	t.cert = tls_path("a.pem");
	free(t.key);
	t.key = tls_path("b.key");	/* not a's key */
	ck_assert_ptr_null(peer_net_new(base, &nc, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "b.key"));
	free(cause);
	free(t.ca);
	free(t.cert);
	free(t.key);
}
END_TEST

static Suite *
peer_suite(void)
{
	Suite	*s = suite_create("peer");
	TCase	*tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hello_both_sides_up);
	tcase_add_test(tc, test_simultaneous_dial_keeps_one_link);
	tcase_add_test(tc, test_three_sites_mesh_and_broadcast);
	tcase_add_test(tc, test_wrong_secret_refused_both_sides);
	tcase_add_test(tc, test_unknown_site_refused);
	tcase_add_test(tc, test_duplicate_id_refused);
	tcase_add_test(tc, test_name_mismatch_refused);
	tcase_add_test(tc, test_bad_frame_closes_only_that_link);
	tcase_add_test(tc, test_unexpected_frames_close_link);
	tcase_add_test(tc, test_split_frame_and_oversize_length);
	tcase_add_test(tc, test_hold_timer_silent_peer_goes_down);
	tcase_add_test(tc, test_keepalives_keep_link_up);
	tcase_add_test(tc, test_restart_changes_epoch);
	tcase_add_test(tc, test_reload_changes_peers);
	tcase_add_test(tc, test_daemon_instance_from_config);
	tcase_add_test(tc, test_daemon_without_network);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_unchecked_fixture(tc, tls_make_files, tls_remove_files);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tls_sites_link_up);
	tcase_add_test(tc, test_tls_other_ca_refused);
	tcase_add_test(tc, test_tls_expired_cert_refused);
	tcase_add_test(tc, test_tls_wrong_name_refused);
	tcase_add_test(tc, test_tls_plain_peer_refused);
	tcase_add_test(tc, test_tls_still_needs_the_secret);
	tcase_add_test(tc, test_tls_bad_files_fail_start);
	tcase_add_test(tc, test_tls_reload_turns_links_to_tls);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(peer_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
