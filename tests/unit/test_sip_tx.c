/*
 * Transaction layer tests: the RFC 3261 section 17 timer and state tables
 * (and RFC 6026) with tiny timers, T1 = 10 ms, T2 = 40 ms, T4 = 50 ms,
 * D = 100 ms, and a send hook that captures everything sent.
 */
#include <check.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roamd.h"
#include "sip_msg.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

struct roamd	*env;

#define T1	10
#define T2	40
#define T4	50
#define TD	100
#define MAXSENT	512

struct sent {
	struct sip_msg	*m;
	long		 ms;
};

struct cbrec {
	int		 status;
	int		 has_resp;
	long		 ms;
};

enum core_mode {
	MODE_NONE,		/* the core answers nothing */
	MODE_200,		/* the core answers 200 at once */
	MODE_486		/* the core answers 486 at once */
};

static struct event_base	*base;
static struct sent		 sent[MAXSENT];
static size_t			 nsent, nsent_all;
static int			 send_fails;
static struct cbrec		 cbs[32];
static size_t			 ncbs;
static struct timespec		 t0;
static enum core_mode		 mode;
static int			 nrequest, nack, ncancelled, nack_timeout;
static int			 nstray;
static size_t			 sent_at_request;
static struct sip_tx		*last_server, *last_cancelled, *last_ack_to;
static struct sip_tx		*cb_tx;
static int			 cancel_in_cb, cancel_rc = -2;

/* Milliseconds since the test started. */
static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((ts.tv_sec - t0.tv_sec) * 1000 +
	    (ts.tv_nsec - t0.tv_nsec) / 1000000);
}

/* Capture what the layer sends. */
static int
hook_send(const struct sip_peer *p, const struct sip_msg *m)
{
	nsent_all++;
	if (send_fails)
		return (-1);
	if (nsent < MAXSENT) {
		sent[nsent].m = sip_msg_clone(m);
		sent[nsent].ms = now_ms();
		nsent++;
	}
	return (0);
}

static void
hook_request(struct sip_tx *tx, const struct sip_msg *req)
{
	nrequest++;
	last_server = tx;
	sent_at_request = nsent;
	if (mode == MODE_200)
		sip_tx_reply(tx, 200, "OK");
	else if (mode == MODE_486)
		sip_tx_reply(tx, 486, "Busy Here");
}

static void
hook_ack(const struct sip_msg *m, const struct sip_peer *p)
{
	nack++;
}

static void
hook_cancelled(struct sip_tx *tx)
{
	ncancelled++;
	last_cancelled = tx;
	sip_tx_reply(tx, 487, "Request Terminated");
}

static void
hook_ack_timeout(struct sip_tx *tx)
{
	nack_timeout++;
	last_ack_to = tx;
}

static void
hook_stray(const struct sip_msg *m, const struct sip_peer *p)
{
	nstray++;
}

/* Client transaction callback: record it. */
static void
client_cb(struct sip_tx *tx, const struct sip_msg *resp, int status,
    void *arg)
{
	cb_tx = tx;
	if (cancel_in_cb && status >= 200)
		cancel_rc = sip_tx_cancel(tx);
	if (ncbs < 32) {
		cbs[ncbs].status = status;
		cbs[ncbs].has_resp = resp != NULL;
		cbs[ncbs].ms = now_ms();
		ncbs++;
	}
}

static const struct sip_tx_core core = {
	.request = hook_request,
	.ack = hook_ack,
	.cancelled = hook_cancelled,
	.ack_timeout = hook_ack_timeout,
	.stray_response = hook_stray,
	.send = hook_send
};

static void
setup(void)
{
	struct sip_tx_timers	 t = { T1, T2, T4, TD };

	base = event_base_new();
	sip_tx_init(base, &core, &t);
	nsent = nsent_all = ncbs = 0;
	send_fails = 0;
	mode = MODE_NONE;
	nrequest = nack = ncancelled = nack_timeout = nstray = 0;
	last_server = last_cancelled = last_ack_to = cb_tx = NULL;
	cancel_in_cb = 0;
	cancel_rc = -2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static void
teardown(void)
{
	size_t	 i;

	sip_tx_shutdown();
	for (i = 0; i < nsent; i++)
		sip_msg_free(sent[i].m);
	event_base_free(base);
}

/* Run the loop for ms milliseconds. */
static void
run_for(int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Parse a message written with \n line ends. */
static struct sip_msg *
parse(const char *fmt, ...)
{
	struct sip_msg	*m = NULL;
	va_list		 ap;
	char		*text, *buf, *p, *q;
	const char	*cause;
	int		 status;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	buf = xmalloc(strlen(text) * 2 + 1);
	for (p = text, q = buf; *p != '\0'; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	if (sip_msg_parse(buf, strlen(buf), &m, &status, &cause) == -1)
		ck_abort_msg("parse failed: %s", cause);
	free(text);
	free(buf);
	return (m);
}

/* A request from a phone at 10.0.0.1. */
static struct sip_msg *
phone_request(const char *method, const char *cmethod, const char *branch,
    const char *callid, const char *totag)
{
	return (parse("%s sip:301@127.0.0.1 SIP/2.0\n"
	    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s;rport\n"
	    "From: <sip:201@example.net>;tag=ft1\n"
	    "To: <sip:301@example.net>%s%s\n"
	    "Call-ID: %s\n"
	    "CSeq: 1 %s\n"
	    "Max-Forwards: 70\n"
	    "Contact: <sip:201@10.0.0.1:5060>\n"
	    "Content-Length: 0\n\n", method, branch,
	    totag ? ";tag=" : "", totag ? totag : "", callid, cmethod));
}

/* The peer the phone sends from. */
static struct sip_peer
phone_peer(const char *text)
{
	struct sip_peer	 p;

	ck_assert_int_eq(sip_peer_parse(text, &p), 0);
	return (p);
}

/* Send a client request of method to peer text. */
static struct sip_tx *
client_send(const char *method, const char *peer)
{
	struct sip_tx_cb	 cb = { client_cb, NULL };
	struct sip_peer		 p = phone_peer(peer);
	struct sip_msg		*req;
	struct sip_tx		*tx;

	req = sip_msg_request(method, "sip:301@10.0.0.2",
	    "<sip:201@example.net>;tag=our1", "<sip:301@example.net>",
	    "call-client-1", 1);
	ck_assert_ptr_nonnull(req);
	tx = sip_tx_send(req, &p, &cb);
	ck_assert_ptr_nonnull(tx);
	return (tx);
}

/* How many requests of method were sent (ACK, INVITE, ...). */
static size_t
count_requests(const char *method)
{
	size_t	 i, n = 0;

	for (i = 0; i < nsent; i++)
		if (sip_msg_is_request(sent[i].m) &&
		    strcmp(sip_msg_method(sent[i].m), method) == 0)
			n++;
	return (n);
}

/* How many responses with code were sent. */
static size_t
count_responses(int code)
{
	size_t	 i, n = 0;

	for (i = 0; i < nsent; i++)
		if (!sip_msg_is_request(sent[i].m) &&
		    sip_msg_status(sent[i].m) == code)
			n++;
	return (n);
}

/* Send times of requests of method (or responses of code when method NULL). */
static size_t
send_times(const char *method, int code, long *out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < nsent && n < max; i++) {
		if (method != NULL ? (sip_msg_is_request(sent[i].m) &&
		    strcmp(sip_msg_method(sent[i].m), method) == 0) :
		    (!sip_msg_is_request(sent[i].m) &&
		    sip_msg_status(sent[i].m) == code))
			out[n++] = sent[i].ms;
	}
	return (n);
}

/* The first sent request of method, or NULL. */
static const struct sip_msg *
find_request(const char *method)
{
	size_t	 i;

	for (i = 0; i < nsent; i++)
		if (sip_msg_is_request(sent[i].m) &&
		    strcmp(sip_msg_method(sent[i].m), method) == 0)
			return (sent[i].m);
	return (NULL);
}

/* Assert one interval is about want ms (timers only ever fire late). */
static void
assert_interval(long got, long want)
{
	ck_assert_msg(got >= want - 2 && got <= want + want / 2 + 30,
	    "interval %ld ms, wanted about %ld ms", got, want);
}

/* Feed a response to our sent request (the i-th of method). */
static void
answer(const char *method, int code, const char *totag)
{
	const struct sip_msg	*req = find_request(method);
	struct sip_peer		 p = phone_peer("udp:10.0.0.2:5060");

	ck_assert_ptr_nonnull(req);
	sip_tx_input(sip_msg_response(req, code, "Whatever", totag), &p);
}

START_TEST(test_client_invite_retransmits_t1_doubling_then_408)
{
	long	 t[16];
	size_t	 n, i;

	client_send("INVITE", "udp:10.0.0.2:5060");
	run_for(64 * T1 + 200);
	n = send_times("INVITE", 0, t, 16);
	/* 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1: seven sends, maybe six. */
	ck_assert_int_ge(n, 6);
	ck_assert_int_le(n, 7);
	for (i = 1; i < 5; i++)
		assert_interval(t[i] - t[i - 1], T1 << (i - 1));
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 408);
	ck_assert_int_eq(cbs[0].has_resp, 0);
	ck_assert_int_ge(cbs[0].ms, 64 * T1 - 2);
	ck_assert_int_le(cbs[0].ms, 64 * T1 + 150);
	ck_assert_int_le(t[n - 1], cbs[0].ms);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_client_invite_provisional_stops_retransmission)
{
	size_t	 before;

	client_send("INVITE", "udp:10.0.0.2:5060");
	run_for(T1 + T1 / 2);
	answer("INVITE", 180, "callee1");
	before = count_requests("INVITE");
	ck_assert_int_ge(before, 1);
	run_for(64 * T1 + 100);
	ck_assert_int_eq(count_requests("INVITE"), before);
	/* Timer B applies in Calling only: no 408 while ringing. */
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 180);
	ck_assert_int_eq(sip_tx_count(), 1);
}
END_TEST

START_TEST(test_client_invite_busy_is_acked_and_absorbed)
{
	const struct sip_msg	*inv, *ack;

	client_send("INVITE", "udp:10.0.0.2:5060");
	answer("INVITE", 486, "callee1");
	inv = find_request("INVITE");
	ack = find_request("ACK");
	ck_assert_ptr_nonnull(ack);
	/* 17.1.1.3: same branch, R-URI, Call-ID, CSeq number; To of resp. */
	ck_assert_str_eq(sip_msg_via_branch(ack), sip_msg_via_branch(inv));
	ck_assert_str_eq(sip_msg_ruri(ack), sip_msg_ruri(inv));
	ck_assert_str_eq(sip_msg_callid(ack), sip_msg_callid(inv));
	ck_assert_int_eq(sip_msg_cseq(ack), sip_msg_cseq(inv));
	ck_assert_str_eq(sip_msg_cseq_method(ack), "ACK");
	ck_assert_str_eq(sip_msg_to_tag(ack), "callee1");
	ck_assert_str_eq(sip_msg_from_tag(ack), "our1");
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 486);

	/* A retransmitted 486 gets the ACK again, not the owner. */
	answer("INVITE", 486, "callee1");
	ck_assert_int_eq(count_requests("ACK"), 2);
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(count_requests("INVITE"), 1);
	/* Timer D ends it. */
	run_for(TD + 100);
	ck_assert_int_eq(sip_tx_count(), 0);
	answer("INVITE", 486, "callee1");
	ck_assert_int_eq(nstray, 1);
}
END_TEST

START_TEST(test_client_invite_2xx_accepted_then_copies_go_to_core)
{
	client_send("INVITE", "udp:10.0.0.2:5060");
	answer("INVITE", 200, "callee1");
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 200);
	ck_assert_int_eq(count_requests("ACK"), 0);	/* the core ACKs 2xx */
	answer("INVITE", 200, "callee1");
	ck_assert_int_eq(nstray, 1);
	ck_assert_int_eq(ncbs, 1);
	run_for(T1 * 4);
	ck_assert_int_eq(count_requests("INVITE"), 1);
	ck_assert_int_eq(sip_tx_count(), 1);
	run_for(64 * T1 + 100);		/* Timer M */
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_client_noninvite_timer_e_capped_at_t2_then_408)
{
	long	 t[32];
	size_t	 n, i;

	client_send("OPTIONS", "udp:10.0.0.2:5060");
	run_for(64 * T1 + 200);
	n = send_times("OPTIONS", 0, t, 32);
	ck_assert_int_ge(n, 10);
	assert_interval(t[1] - t[0], T1);
	assert_interval(t[2] - t[1], 2 * T1);
	assert_interval(t[3] - t[2], T2);
	for (i = 4; i < n; i++)
		assert_interval(t[i] - t[i - 1], T2);
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 408);
	ck_assert_int_ge(cbs[0].ms, 64 * T1 - 2);
	ck_assert_int_le(cbs[0].ms, 64 * T1 + 150);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_client_noninvite_proceeding_retransmits_every_t2)
{
	long	 t[32], answered;
	size_t	 n, i, checked = 0;

	client_send("OPTIONS", "udp:10.0.0.2:5060");
	run_for(T1 / 2);
	answer("OPTIONS", 100, NULL);
	answered = now_ms();
	ck_assert_int_eq(cbs[0].status, 100);
	run_for(5 * T2 + 10);
	n = send_times("OPTIONS", 0, t, 32);
	/* Once a send happened in Proceeding, the next comes T2 later. */
	ck_assert_int_ge(n, 4);
	for (i = 1; i < n; i++) {
		if (t[i - 1] <= answered)
			continue;
		assert_interval(t[i] - t[i - 1], T2);
		checked++;
	}
	ck_assert_int_ge(checked, 2);
	answer("OPTIONS", 200, "x");
	ck_assert_int_eq(ncbs, 2);
	ck_assert_int_eq(cbs[1].status, 200);
	n = count_requests("OPTIONS");
	run_for(T4 + 100);		/* Timer K */
	ck_assert_int_eq(count_requests("OPTIONS"), n);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_server_noninvite_absorbs_retransmission)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	mode = MODE_200;
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "z9hG4bKopt1",
	    "c-opt", NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	ck_assert_int_eq(count_responses(200), 1);
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "z9hG4bKopt1",
	    "c-opt", NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	ck_assert_int_eq(count_responses(200), 2);
	ck_assert_str_eq(sip_msg_to_tag(sent[1].m), sip_msg_to_tag(sent[0].m));
	ck_assert_int_eq(sip_tx_count(), 1);
	run_for(64 * T1 + 100);		/* Timer J */
	ck_assert_int_eq(sip_tx_count(), 0);
	/* Late copy after J: a new transaction. */
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "z9hG4bKopt1",
	    "c-opt", NULL), &p);
	ck_assert_int_eq(nrequest, 2);
}
END_TEST

START_TEST(test_server_invite_sends_100_before_core)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv1",
	    "c-inv", NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	ck_assert_int_eq(sent_at_request, 1);
	ck_assert_int_eq(sip_msg_status(sent[0].m), 100);
	ck_assert_ptr_null(sip_msg_to_tag(sent[0].m));
	/* A retransmitted INVITE gets the 100 again; the core sees one. */
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv1",
	    "c-inv", NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	ck_assert_int_eq(count_responses(100), 2);
	ck_assert_str_eq(sip_tx_state_name(last_server), "proceeding");
}
END_TEST

START_TEST(test_server_invite_486_retransmitted_until_ack)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");
	long		 t[32];
	size_t		 n, i;

	mode = MODE_486;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv2",
	    "c-486", NULL), &p);
	run_for(7 * T1 + 4 * T2 + 15);
	n = send_times(NULL, 486, t, 32);
	/* G: 0, T1, 3T1, 7T1, then every T2. */
	ck_assert_int_ge(n, 6);
	assert_interval(t[1] - t[0], T1);
	assert_interval(t[2] - t[1], 2 * T1);
	assert_interval(t[3] - t[2], 4 * T1);
	for (i = 4; i < n; i++)
		assert_interval(t[i] - t[i - 1], T2);
	/* A retransmitted INVITE gets the 486. */
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv2",
	    "c-486", NULL), &p);
	ck_assert_int_eq(count_responses(486), n + 1);
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKinv2", "c-486",
	    sip_msg_to_tag(sent[1].m)), &p);
	ck_assert_int_eq(nack, 0);		/* absorbed, not the core's */
	/* Copies of the ACK in Confirmed are absorbed too. */
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKinv2", "c-486",
	    "x"), &p);
	ck_assert_int_eq(nack, 0);
	n = count_responses(486);
	run_for(T4 - 30);
	ck_assert_int_eq(count_responses(486), n);
	ck_assert_int_eq(sip_tx_count(), 1);
	run_for(T4 + 50);				/* Timer I */
	ck_assert_int_eq(sip_tx_count(), 0);
	ck_assert_int_eq(nrequest, 1);
}
END_TEST

START_TEST(test_server_invite_486_without_ack_ends_at_h)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	mode = MODE_486;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv3",
	    "c-h", NULL), &p);
	run_for(64 * T1 - 200);
	ck_assert_int_eq(sip_tx_count(), 1);
	run_for(300);
	ck_assert_int_eq(sip_tx_count(), 0);
	ck_assert_int_eq(nack_timeout, 0);
}
END_TEST

START_TEST(test_server_invite_2xx_retransmitted_until_ack)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");
	size_t		 n;

	mode = MODE_200;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv4",
	    "c-2xx", NULL), &p);
	run_for(7 * T1 + 5);
	ck_assert_int_ge(count_responses(200), 3);
	/* The ACK for a 2xx has its own branch (RFC 6026 7.1). */
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKack4", "c-2xx",
	    sip_msg_to_tag(sent[1].m)), &p);
	ck_assert_int_eq(nack, 1);
	n = count_responses(200);
	run_for(4 * T2);
	ck_assert_int_eq(count_responses(200), n);
	/* Still Accepted: an INVITE copy is absorbed, not a new call. */
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv4",
	    "c-2xx", NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	/* ACK copies still reach the core, which may ignore them. */
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKack4", "c-2xx",
	    sip_msg_to_tag(sent[1].m)), &p);
	ck_assert_int_eq(nack, 2);
	run_for(64 * T1 + 20);			/* Timer L */
	ck_assert_int_eq(nack_timeout, 0);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_server_invite_2xx_without_ack_times_out)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");
	long		 t[64];
	size_t		 n, i;

	mode = MODE_200;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv5",
	    "c-noack", NULL), &p);
	sip_tx_set_owner(last_server, &p);
	run_for(64 * T1 + 150);
	n = send_times(NULL, 200, t, 64);
	ck_assert_int_ge(n, 8);
	for (i = 4; i < n; i++)
		assert_interval(t[i] - t[i - 1], T2);
	ck_assert_int_eq(nack_timeout, 1);
	ck_assert_ptr_eq(last_ack_to, last_server);
	ck_assert_int_eq(sip_tx_count(), 0);
	/* Held by its owner: still readable until detached. */
	ck_assert_ptr_eq(sip_tx_owner(last_ack_to), &p);
	ck_assert_str_eq(sip_msg_callid(sip_tx_request(last_ack_to)),
	    "c-noack");
	sip_tx_detach(last_ack_to);
}
END_TEST

START_TEST(test_cancel_of_pending_invite)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");
	size_t		 i;
	const char	*tag200 = NULL, *tag487 = NULL;

	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv6",
	    "c-cancel", NULL), &p);
	sip_tx_input(phone_request("CANCEL", "CANCEL", "z9hG4bKinv6",
	    "c-cancel", NULL), &p);
	ck_assert_int_eq(ncancelled, 1);
	ck_assert_ptr_eq(last_cancelled, last_server);
	for (i = 0; i < nsent; i++) {
		if (sip_msg_status(sent[i].m) == 200) {
			ck_assert_str_eq(sip_msg_cseq_method(sent[i].m),
			    "CANCEL");
			tag200 = sip_msg_to_tag(sent[i].m);
		}
		if (sip_msg_status(sent[i].m) == 487) {
			ck_assert_str_eq(sip_msg_cseq_method(sent[i].m),
			    "INVITE");
			tag487 = sip_msg_to_tag(sent[i].m);
		}
	}
	ck_assert_ptr_nonnull(tag200);
	ck_assert_ptr_nonnull(tag487);
	ck_assert_str_eq(tag200, tag487);	/* RFC 3261 9.2 */
	/* A CANCEL copy gets the 200 again, no second notification. */
	sip_tx_input(phone_request("CANCEL", "CANCEL", "z9hG4bKinv6",
	    "c-cancel", NULL), &p);
	ck_assert_int_eq(count_responses(200), 2);
	ck_assert_int_eq(ncancelled, 1);
}
END_TEST

START_TEST(test_cancel_without_transaction_is_481)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	sip_tx_input(phone_request("CANCEL", "CANCEL", "z9hG4bKnone",
	    "c-none", NULL), &p);
	ck_assert_int_eq(count_responses(481), 1);
	ck_assert_int_eq(ncancelled, 0);
	ck_assert_int_eq(nrequest, 0);
}
END_TEST

START_TEST(test_cancel_after_final_only_200)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	mode = MODE_486;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKinv7",
	    "c-late", NULL), &p);
	sip_tx_input(phone_request("CANCEL", "CANCEL", "z9hG4bKinv7",
	    "c-late", NULL), &p);
	ck_assert_int_eq(count_responses(200), 1);
	ck_assert_int_eq(ncancelled, 0);
	ck_assert_int_eq(count_responses(487), 0);
}
END_TEST

START_TEST(test_sip_tx_cancel_waits_for_provisional)
{
	struct sip_tx		*tx;
	const struct sip_msg	*inv, *can;

	tx = client_send("INVITE", "udp:10.0.0.2:5060");
	ck_assert_int_eq(sip_tx_cancel(tx), 0);
	ck_assert_int_eq(count_requests("CANCEL"), 0);	/* RFC 3261 9.1 */
	answer("INVITE", 180, "callee1");
	ck_assert_int_eq(count_requests("CANCEL"), 1);
	inv = find_request("INVITE");
	can = find_request("CANCEL");
	ck_assert_str_eq(sip_msg_via_branch(can), sip_msg_via_branch(inv));
	ck_assert_str_eq(sip_msg_ruri(can), sip_msg_ruri(inv));
	ck_assert_str_eq(sip_msg_callid(can), sip_msg_callid(inv));
	ck_assert_int_eq(sip_msg_cseq(can), sip_msg_cseq(inv));
	ck_assert_str_eq(sip_msg_cseq_method(can), "CANCEL");
	ck_assert_ptr_null(sip_msg_to_tag(can));
	/* The CANCEL's 200 and the INVITE's 487 each find their tx. */
	answer("CANCEL", 200, "callee1");
	answer("INVITE", 487, "callee1");
	ck_assert_int_eq(ncbs, 2);
	ck_assert_int_eq(cbs[1].status, 487);
	ck_assert_int_eq(count_requests("ACK"), 1);
	ck_assert_int_eq(nstray, 0);
}
END_TEST

START_TEST(test_sip_tx_cancel_after_provisional_is_immediate)
{
	struct sip_tx	*tx;

	tx = client_send("INVITE", "udp:10.0.0.2:5060");
	answer("INVITE", 183, "callee1");
	ck_assert_int_eq(sip_tx_cancel(tx), 0);
	ck_assert_int_eq(count_requests("CANCEL"), 1);
	ck_assert_int_eq(sip_tx_cancel(tx), 0);
	ck_assert_int_eq(count_requests("CANCEL"), 1);
	/* The callee never answers: the INVITE gives up 64*T1 later. */
	run_for(64 * T1 + 150);
	ck_assert_int_eq(ncbs, 2);
	ck_assert_int_eq(cbs[1].status, 408);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_sip_tx_cancel_after_final_sends_nothing)
{
	cancel_in_cb = 1;
	client_send("INVITE", "udp:10.0.0.2:5060");
	answer("INVITE", 603, "callee1");
	/* Cancelled from the final callback, racing the 603: nothing. */
	ck_assert_int_eq(cancel_rc, 0);
	ck_assert_int_eq(count_requests("CANCEL"), 0);
	ck_assert_int_eq(count_requests("ACK"), 1);
}
END_TEST

START_TEST(test_reliable_transport_never_retransmits)
{
	struct sip_peer	 p = phone_peer("tcp:10.0.0.1:5060");

	client_send("INVITE", "tcp:10.0.0.2:5060");
	client_send("OPTIONS", "tcp:10.0.0.2:5060");
	mode = MODE_486;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKtcp1",
	    "c-tcp", NULL), &p);
	mode = MODE_200;
	sip_tx_input(phone_request("INVITE", "INVITE", "z9hG4bKtcp2",
	    "c-tcp2", NULL), &p);
	run_for(20 * T1);
	ck_assert_int_eq(count_requests("INVITE"), 1);
	ck_assert_int_eq(count_requests("OPTIONS"), 1);
	ck_assert_int_eq(count_responses(486), 1);
	ck_assert_int_eq(count_responses(200), 1);
	/* Timers I, K are zero: the ACK ends it at once. */
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKtcp1", "c-tcp",
	    "x"), &p);
	answer("OPTIONS", 200, "x");
	ck_assert_int_eq(sip_tx_count(), 4);
	run_for(1);
	ck_assert_int_eq(sip_tx_count(), 2);
	/* B still fires over TCP. */
	run_for(64 * T1);
	ck_assert_int_eq(ncbs, 2);
	ck_assert_int_eq(cbs[1].status, 408);
}
END_TEST

START_TEST(test_send_failure_is_503_after_return)
{
	struct sip_tx	*tx;

	send_fails = 1;
	tx = client_send("OPTIONS", "udp:10.0.0.2:5060");
	ck_assert_ptr_nonnull(tx);
	ck_assert_int_eq(ncbs, 0);
	run_for(5);
	ck_assert_int_eq(ncbs, 1);
	ck_assert_int_eq(cbs[0].status, 503);
	ck_assert_int_eq(cbs[0].has_resp, 0);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_detached_owner_gets_no_callback)
{
	struct sip_tx	*tx;

	tx = client_send("INVITE", "udp:10.0.0.2:5060");
	sip_tx_detach(tx);
	answer("INVITE", 486, "callee1");
	ck_assert_int_eq(ncbs, 0);
	ck_assert_int_eq(count_requests("ACK"), 1);
}
END_TEST

START_TEST(test_detached_invite_2xx_goes_to_core)
{
	struct sip_tx	*tx;

	tx = client_send("INVITE", "tcp:10.0.0.2:5060");
	answer("INVITE", 180, "callee1");
	ck_assert_int_eq(sip_tx_cancel(tx), 0);
	sip_tx_detach(tx);
	/* The callee answered before our CANCEL: someone must BYE it. */
	answer("INVITE", 200, "callee1");
	ck_assert_int_eq(nstray, 1);
	ck_assert_int_eq(ncbs, 1);
}
END_TEST

START_TEST(test_stray_messages_go_to_core)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	sip_tx_input(parse("SIP/2.0 200 OK\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnobody\n"
	    "From: <sip:201@example.net>;tag=a\n"
	    "To: <sip:301@example.net>;tag=b\n"
	    "Call-ID: stray\n"
	    "CSeq: 1 INVITE\n"
	    "Content-Length: 0\n\n"), &p);
	ck_assert_int_eq(nstray, 1);
	sip_tx_input(phone_request("ACK", "ACK", "z9hG4bKlost", "c-lost",
	    "b"), &p);
	ck_assert_int_eq(nack, 1);
	ck_assert_int_eq(sip_tx_count(), 0);
}
END_TEST

START_TEST(test_old_style_branch_still_matches)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");

	mode = MODE_200;
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "1234", "c-old",
	    NULL), &p);
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "1234", "c-old",
	    NULL), &p);
	ck_assert_int_eq(nrequest, 1);
	ck_assert_int_eq(count_responses(200), 2);
}
END_TEST

START_TEST(test_30000_transactions_found_by_hash)
{
	struct sip_peer	 p = phone_peer("udp:10.0.0.1:5060");
	char		 branch[32];
	size_t		 before;
	int		 i;

	mode = MODE_200;
	for (i = 0; i < 30000; i++) {
		snprintf(branch, sizeof(branch), "z9hG4bKbulk%d", i);
		sip_tx_input(phone_request("OPTIONS", "OPTIONS", branch,
		    "c-bulk", NULL), &p);
	}
	ck_assert_int_eq(sip_tx_count(), 30000);
	ck_assert_int_eq(nrequest, 30000);
	before = nsent_all;
	sip_tx_input(phone_request("OPTIONS", "OPTIONS", "z9hG4bKbulk12345",
	    "c-bulk", NULL), &p);
	ck_assert_int_eq(nrequest, 30000);
	ck_assert_int_eq(nsent_all, before + 1);
	ck_assert_int_eq(sip_tx_count(), 30000);
}
END_TEST

static Suite *
sip_tx_suite(void)
{
	Suite	*s = suite_create("sip_tx");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_invite_retransmits_t1_doubling_then_408);
	tcase_add_test(tc, test_client_invite_provisional_stops_retransmission);
	tcase_add_test(tc, test_client_invite_busy_is_acked_and_absorbed);
	tcase_add_test(tc,
	    test_client_invite_2xx_accepted_then_copies_go_to_core);
	tcase_add_test(tc, test_client_noninvite_timer_e_capped_at_t2_then_408);
	tcase_add_test(tc,
	    test_client_noninvite_proceeding_retransmits_every_t2);
	tcase_add_test(tc, test_server_noninvite_absorbs_retransmission);
	tcase_add_test(tc, test_server_invite_sends_100_before_core);
	tcase_add_test(tc, test_server_invite_486_retransmitted_until_ack);
	tcase_add_test(tc, test_server_invite_486_without_ack_ends_at_h);
	tcase_add_test(tc, test_server_invite_2xx_retransmitted_until_ack);
	tcase_add_test(tc, test_server_invite_2xx_without_ack_times_out);
	tcase_add_test(tc, test_cancel_of_pending_invite);
	tcase_add_test(tc, test_cancel_without_transaction_is_481);
	tcase_add_test(tc, test_cancel_after_final_only_200);
	tcase_add_test(tc, test_sip_tx_cancel_waits_for_provisional);
	tcase_add_test(tc, test_sip_tx_cancel_after_provisional_is_immediate);
	tcase_add_test(tc, test_sip_tx_cancel_after_final_sends_nothing);
	tcase_add_test(tc, test_reliable_transport_never_retransmits);
	tcase_add_test(tc, test_send_failure_is_503_after_return);
	tcase_add_test(tc, test_detached_owner_gets_no_callback);
	tcase_add_test(tc, test_detached_invite_2xx_goes_to_core);
	tcase_add_test(tc, test_stray_messages_go_to_core);
	tcase_add_test(tc, test_old_style_branch_still_matches);
	tcase_add_test(tc, test_30000_transactions_found_by_hash);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(sip_tx_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed != 0);
}
