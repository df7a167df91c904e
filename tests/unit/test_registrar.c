/*
 * The registrar as a phone sees it: REGISTER messages go through the real
 * parser and transaction layer; responses are captured by the send hook.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "registrar.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_transport.h"
#include "sip_tx.h"

#define DOMAIN	"london.example.net"

struct roamd		*env;
static struct roamd	 test_env;
static struct config	 test_conf;
static struct extension	 test_exts[2];

/* The last response sent. */
static int		 last_status;
static char		 last_text[8192];
static int		 nsent;
static int		 stored_at_200;	/* registrations on disk by then */
static int		 branch_seq;
static char		 cur_nonce[128];	/* of the last challenge */

/* Value of a quoted digest parameter in the last response. */
static void
last_param(const char *name, char *out, size_t len)
{
	char	 key[32];
	char	*p, *e;

	snprintf(key, sizeof(key), "%s=\"", name);
	p = strstr(last_text, key);
	ck_assert_msg(p != NULL, "no %s in %s", name, last_text);
	p += strlen(key);
	e = strchr(p, '"');
	ck_assert_ptr_nonnull(e);
	snprintf(out, len, "%.*s", (int)(e - p), p);
}

/* Send hook: remember the response instead of putting it on the wire. */
static int
capture_send(const struct sip_peer *peer, const struct sip_msg *m)
{
	char	*s;
	size_t	 len;

	if (sip_msg_is_request(m))
		return (0);
	last_status = sip_msg_status(m);
	s = sip_msg_serialize(m, &len);
	ck_assert_ptr_nonnull(s);
	snprintf(last_text, sizeof(last_text), "%.*s", (int)len, s);
	free(s);
	nsent++;
	if (last_status == 200)
		stored_at_200 = db_pending() == 0;
	if (last_status == 401 || last_status == 407)
		last_param("nonce", cur_nonce, sizeof(cur_nonce));
	return (0);
}

/* The core: REGISTER to the registrar, anything else to registrar_auth. */
static void
core_request(struct sip_tx *tx, const struct sip_msg *req)
{
	if (strcmp(sip_msg_method(req), "REGISTER") == 0)
		registrar_request(tx, req);
	else if (registrar_auth(tx, req) != NULL)
		sip_tx_reply(tx, 200, "OK");
}

static const struct sip_tx_core test_core = {
	.request = core_request,
	.send = capture_send,
};

/* The phone's address: udp:127.0.0.1:5070. */
static void
phone_peer(struct sip_peer *p, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&p->ss;

	memset(p, 0, sizeof(*p));
	p->transport = SIPT_UDP;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	p->sslen = sizeof(*sin);
}

/*
 * Send one request from ext with extra header lines (each ending in CRLF);
 * with password, answer the nonce of the last challenge.
 */
static void
send_req(const char *method, const char *ext, const char *password,
    const char *nc, int cseq, const char *callid, const char *extra)
{
	struct sip_msg	*m;
	struct sip_peer	 peer;
	char		 buf[4096], authz[1024] = "", ha1[33];
	char		 resp[33], uri[128];
	const char	*cause;
	int		 status, n;

	snprintf(uri, sizeof(uri), "sip:%s", DOMAIN);
	if (strcmp(method, "INVITE") == 0)
		snprintf(uri, sizeof(uri), "sip:202@%s", DOMAIN);
	if (password != NULL) {
		auth_ha1(ext, DOMAIN, password, ha1);
		auth_response(ha1, cur_nonce, nc, "0a4f113b", "auth", method,
		    uri, resp);
		snprintf(authz, sizeof(authz), "%s: Digest username=\"%s\", "
		    "realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		    "algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=%s\r\n",
		    strcmp(method, "REGISTER") == 0 ? "Authorization" :
		    "Proxy-Authorization", ext, DOMAIN, cur_nonce, uri, resp,
		    nc);
	}
	branch_seq++;
	n = snprintf(buf, sizeof(buf),
	    "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtest%d;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:%s@%s>;tag=ft%d\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %d %s\r\n"
	    "User-Agent: TestPhone/1.0\r\n"
	    "%s%s"
	    "Content-Length: 0\r\n\r\n",
	    method, uri, branch_seq, ext, DOMAIN, branch_seq,
	    strcmp(method, "INVITE") == 0 ? "202" : ext, DOMAIN, callid, cseq,
	    method, authz, extra);
	ck_assert_int_lt(n, (int)sizeof(buf));
	m = NULL;
	ck_assert_msg(sip_msg_parse(buf, (size_t)n, &m, &status, &cause) == 0,
	    "parse: %s", cause);
	phone_peer(&peer, 5070);
	last_status = 0;
	sip_tx_input(m, &peer);
	/* The 200 waits for the loop's COMMIT of the bindings (db.h). */
	event_base_loop(env->base, EVLOOP_NONBLOCK);
}

/* REGISTER answered with 401, then again with credentials. */
static void
register_auth(const char *ext, const char *password, const char *callid,
    int cseq, const char *extra)
{
	send_req("REGISTER", ext, NULL, NULL, cseq, callid, extra);
	ck_assert_int_eq(last_status, 401);
	send_req("REGISTER", ext, password, "00000001", cseq + 1, callid,
	    extra);
}

/* Count occurrences of s in the last response. */
static int
count_in_last(const char *s)
{
	const char	*p = last_text;
	int		 n = 0;

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return (n);
}

static void
setup(void)
{
	char	*cause = NULL;

	memset(&test_env, 0, sizeof(test_env));
	memset(&test_conf, 0, sizeof(test_conf));
	env = &test_env;
	env->base = event_base_new();
	event_base_priority_init(env->base, 3);
	test_conf.site_name = "london";
	test_conf.site_id = 1;
	test_conf.domain = DOMAIN;
	test_exts[0] = (struct extension){ "201", "phone-secret-201", "201",
	    NULL, 0, 1 };
	test_exts[1] = (struct extension){ "202", "phone-secret-202", NULL,
	    NULL, 0, 2 };
	test_conf.extensions = test_exts;
	test_conf.nextensions = 2;
	env->conf = &test_conf;
	ck_assert_msg(db_open(":memory:", env->base, &cause) == 0, "%s",
	    cause);
	auth_init();
	sip_tx_init(env->base, &test_core, NULL);
	registrar_init();
	last_status = 0;
	last_text[0] = '\0';
	nsent = 0;
}

static void
teardown(void)
{
	registrar_shutdown();
	sip_tx_shutdown();
	auth_shutdown();
	db_close();
	event_base_free(env->base);
	env = NULL;
}

START_TEST(test_challenge_then_register_ok)
{
	struct reg_binding	*b[4];
	char			 peer[64];

	send_req("REGISTER", "201", NULL, NULL, 1, "reg-1@phone",
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 401);
	ck_assert_ptr_nonnull(strstr(last_text, "WWW-Authenticate: Digest "
	    "realm=\"" DOMAIN "\""));
	ck_assert_ptr_nonnull(strstr(last_text, "qop=\"auth\""));
	ck_assert_int_eq(registrar_is_registered("201"), 0);

	send_req("REGISTER", "201", "phone-secret-201", "00000001", 2,
	    "reg-1@phone", "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_ptr_nonnull(strstr(last_text, "sip:201@10.0.0.5:5060"));
	ck_assert_ptr_nonnull(strstr(last_text, "expires=3600"));
	ck_assert_ptr_nonnull(strstr(last_text, "Date: "));
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:201@10.0.0.5:5060");
	/* The binding remembers where the REGISTER came from (NAT). */
	ck_assert_str_eq(sip_peer_text(&b[0]->peer, peer, sizeof(peer)),
	    "udp:127.0.0.1:5070");
	ck_assert_uint_eq(registrar_count(), 1);
}
END_TEST

START_TEST(test_wrong_password_forbidden)
{
	register_auth("201", "guess", "reg-2@phone",
	    1, "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 403);
	ck_assert_int_eq(registrar_is_registered("201"), 0);
}
END_TEST

START_TEST(test_unknown_extension_forbidden)
{
	register_auth("555", "whatever", "reg-3@phone", 1,
	    "Contact: <sip:555@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 403);
	ck_assert_uint_eq(registrar_count(), 0);
}
END_TEST

START_TEST(test_replayed_register_forbidden)
{
	register_auth("201", "phone-secret-201", "reg-4@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	/* The same nonce with a higher nc is a phone refreshing: fine. */
	send_req("REGISTER", "201", "phone-secret-201", "00000002", 5,
	    "reg-4@phone", "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	/* Same nonce, same nc again on a new transaction: a replay. */
	send_req("REGISTER", "201", "phone-secret-201", "00000002", 6,
	    "reg-4@phone", "Contact: <sip:201@10.6.6.6:5060>\r\n");
	ck_assert_int_eq(last_status, 403);
	ck_assert_int_eq(registrar_lookup("201", NULL, 0), 1);
}
END_TEST

START_TEST(test_interval_too_brief)
{
	register_auth("201", "phone-secret-201", "reg-5@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>;expires=10\r\n");
	ck_assert_int_eq(last_status, 423);
	ck_assert_msg(strcasestr(last_text, "Min-Expires: 60") != NULL, "%s",
	    last_text);
	ck_assert_int_eq(registrar_is_registered("201"), 0);
}
END_TEST

START_TEST(test_expires_header_and_cap)
{
	struct reg_binding	*b[4];
	time_t			 now = time(NULL);

	register_auth("201", "phone-secret-201", "reg-6@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\nExpires: 7200\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
	/* Capped at REG_MAX_EXPIRES. */
	ck_assert_int_le(b[0]->expires, now + REG_MAX_EXPIRES + 1);
	ck_assert_int_ge(b[0]->expires, now + REG_MAX_EXPIRES - 1);
	register_auth("201", "phone-secret-201", "reg-6@phone", 10,
	    "Contact: <sip:201@10.0.0.5:5060>\r\nExpires: 120\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_le(b[0]->expires, time(NULL) + 121);
	ck_assert_ptr_nonnull(strstr(last_text, "expires=120"));
}
END_TEST

START_TEST(test_two_contacts)
{
	struct reg_binding	*b[4];

	register_auth("201", "phone-secret-201", "reg-7@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	register_auth("201", "phone-secret-201", "reg-8@soft", 1,
	    "Contact: <sip:201@10.0.0.9:5062>;expires=600\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 2);
	/* The 200 lists every binding of the extension. */
	ck_assert_ptr_nonnull(strstr(last_text, "sip:201@10.0.0.5:5060"));
	ck_assert_ptr_nonnull(strstr(last_text, "sip:201@10.0.0.9:5062"));
	ck_assert_ptr_nonnull(strstr(last_text, "expires=600"));
}
END_TEST

START_TEST(test_ok_only_after_the_binding_is_committed)
{
	stored_at_200 = 0;
	send_req("REGISTER", "201", NULL, NULL, 1, "reg-c@phone",
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 401);
	/* When the 200 leaves, nothing of the batch is left uncommitted. */
	send_req("REGISTER", "201", "phone-secret-201", "00000001", 2,
	    "reg-c@phone", "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(stored_at_200, 1);
	ck_assert_ptr_nonnull(strstr(last_text, "sip:201@10.0.0.5:5060"));
}
END_TEST

/*
 * A database that refuses writes (query_only: SQLITE_READONLY for real):
 * the phone hears 500 Cannot Store Change, and the binding it had stays
 * as it was, so calls still reach it.
 */
START_TEST(test_unstorable_register_refused_binding_kept)
{
	struct reg_binding	*b[4];

	register_auth("201", "phone-secret-201", "reg-r@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>;expires=600\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "PRAGMA query_only=1",
	    NULL, NULL, NULL), SQLITE_OK);
	register_auth("201", "phone-secret-201", "reg-r@phone", 10,
	    "Contact: <sip:201@10.0.0.7:5060>\r\n");
	ck_assert_int_eq(last_status, 500);
	ck_assert_ptr_nonnull(strstr(last_text, "Cannot Store Change"));
	register_auth("201", "phone-secret-201", "reg-r@phone", 20,
	    "Contact: <sip:201@10.0.0.5:5060>;expires=0\r\n");
	ck_assert_int_eq(last_status, 500);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:201@10.0.0.5:5060");
	/* Storage back: the change goes through. */
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "PRAGMA query_only=0",
	    NULL, NULL, NULL), SQLITE_OK);
	register_auth("201", "phone-secret-201", "reg-r@phone", 30,
	    "Contact: <sip:201@10.0.0.7:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 2);
}
END_TEST

START_TEST(test_query_without_contact)
{
	register_auth("201", "phone-secret-201", "reg-9@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	register_auth("201", "phone-secret-201", "reg-9@phone", 10, "");
	ck_assert_int_eq(last_status, 200);
	ck_assert_ptr_nonnull(strstr(last_text, "sip:201@10.0.0.5:5060"));
	ck_assert_int_eq(registrar_is_registered("201"), 1);
}
END_TEST

START_TEST(test_expires_zero_removes_contact)
{
	struct reg_binding	*b[4];

	register_auth("201", "phone-secret-201", "reg-10@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	register_auth("201", "phone-secret-201", "reg-11@soft", 1,
	    "Contact: <sip:201@10.0.0.9:5062>\r\n");
	ck_assert_int_eq(registrar_lookup("201", b, 4), 2);
	register_auth("201", "phone-secret-201", "reg-10@phone", 10,
	    "Contact: <sip:201@10.0.0.5:5060>\r\nExpires: 0\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:201@10.0.0.9:5062");
	ck_assert_ptr_null(strstr(last_text, "10.0.0.5"));
}
END_TEST

START_TEST(test_old_cseq_ignored)
{
	struct reg_binding	*b[4];

	register_auth("201", "phone-secret-201", "reg-12@phone", 10,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	/* A delayed older REGISTER of the same Call-ID removes nothing. */
	register_auth("201", "phone-secret-201", "reg-12@phone", 3,
	    "Contact: <sip:201@10.0.0.5:5060>;expires=0\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
}
END_TEST

START_TEST(test_star_removes_all)
{
	register_auth("201", "phone-secret-201", "reg-13@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	register_auth("201", "phone-secret-201", "reg-14@soft", 1,
	    "Contact: <sip:201@10.0.0.9:5062>\r\n");
	ck_assert_uint_eq(registrar_count(), 2);
	/* "*" with anything but Expires: 0 is a bad request. */
	register_auth("201", "phone-secret-201", "reg-15@x", 1,
	    "Contact: *\r\n");
	ck_assert_int_eq(last_status, 400);
	ck_assert_uint_eq(registrar_count(), 2);
	register_auth("201", "phone-secret-201", "reg-15@x", 5,
	    "Contact: *\r\nExpires: 0\r\n");
	ck_assert_int_eq(last_status, 200);
	ck_assert_uint_eq(registrar_count(), 0);
	ck_assert_int_eq(registrar_is_registered("201"), 0);
	ck_assert_int_eq(count_in_last("Contact:"), 0);
}
END_TEST

/* Stop the loop once the binding is gone. */
static void
poll_gone(evutil_socket_t fd, short ev, void *arg)
{
	struct event	*self = arg;
	struct timeval	 tv = { 0, 100000 };

	if (!registrar_is_registered("202"))
		event_base_loopbreak(env->base);
	else
		evtimer_add(self, &tv);
}

START_TEST(test_binding_expiry_fires)
{
	struct db_reg	 r = { "202", "sip:202@10.0.0.7:5060",
	    "udp:127.0.0.1:5071", "reg-16@phone", 1, "TestPhone/1.0", 0 };
	struct event	*poll;
	struct timeval	 tv = { 0, 100000 }, limit = { 5, 0 };

	/* A binding with one second left, as if stored before a restart. */
	registrar_shutdown();
	r.expires = time(NULL) + 1;
	ck_assert_int_eq(db_reg_put(&r), 0);
	registrar_init();
	ck_assert_int_eq(registrar_is_registered("202"), 1);
	poll = event_new(env->base, -1, 0, poll_gone, event_self_cbarg());
	evtimer_add(poll, &tv);
	event_base_loopexit(env->base, &limit);
	event_base_dispatch(env->base);
	event_free(poll);
	ck_assert_int_eq(registrar_is_registered("202"), 0);
	/* Gone from the database too. */
	db_flush();
	registrar_shutdown();
	registrar_init();
	ck_assert_int_eq(registrar_is_registered("202"), 0);
}
END_TEST

START_TEST(test_bindings_survive_restart)
{
	struct reg_binding	*b[4];
	char			 peer[64];

	register_auth("201", "phone-secret-201", "reg-17@phone", 1,
	    "Contact: <sip:201@10.0.0.5:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	registrar_shutdown();
	ck_assert_int_eq(registrar_is_registered("201"), 0);
	registrar_init();
	ck_assert_int_eq(registrar_lookup("201", b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:201@10.0.0.5:5060");
	ck_assert_str_eq(sip_peer_text(&b[0]->peer, peer, sizeof(peer)),
	    "udp:127.0.0.1:5070");
	ck_assert_str_eq(b[0]->callid, "reg-17@phone");
}
END_TEST

START_TEST(test_reload_drops_removed_extension)
{
	register_auth("202", "phone-secret-202", "reg-18@phone", 1,
	    "Contact: <sip:202@10.0.0.7:5060>\r\n");
	ck_assert_int_eq(last_status, 200);
	test_conf.nextensions = 1;	/* 202 removed from the config */
	registrar_reload();
	ck_assert_int_eq(registrar_is_registered("202"), 0);
	registrar_shutdown();
	registrar_init();
	ck_assert_int_eq(registrar_is_registered("202"), 0);
}
END_TEST

START_TEST(test_invite_proxy_auth)
{
	send_req("INVITE", "201", NULL, NULL, 1, "call-1@phone", "");
	ck_assert_int_eq(last_status, 407);
	ck_assert_ptr_nonnull(strstr(last_text, "Proxy-Authenticate: Digest"));
	send_req("INVITE", "201", "phone-secret-201", "00000001", 2,
	    "call-1@phone", "");
	ck_assert_int_eq(last_status, 200);
	send_req("INVITE", "201", NULL, NULL, 3, "call-2@phone", "");
	ck_assert_int_eq(last_status, 407);
	send_req("INVITE", "201", "wrong", "00000001", 4, "call-2@phone", "");
	ck_assert_int_eq(last_status, 403);
}
END_TEST

static Suite *
registrar_suite(void)
{
	Suite	*s = suite_create("registrar");
	TCase	*tc = tcase_create("register");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_challenge_then_register_ok);
	tcase_add_test(tc, test_wrong_password_forbidden);
	tcase_add_test(tc, test_unknown_extension_forbidden);
	tcase_add_test(tc, test_replayed_register_forbidden);
	tcase_add_test(tc, test_interval_too_brief);
	tcase_add_test(tc, test_expires_header_and_cap);
	tcase_add_test(tc, test_two_contacts);
	tcase_add_test(tc, test_query_without_contact);
	tcase_add_test(tc, test_expires_zero_removes_contact);
	tcase_add_test(tc, test_old_cseq_ignored);
	tcase_add_test(tc, test_star_removes_all);
	tcase_add_test(tc, test_binding_expiry_fires);
	tcase_add_test(tc, test_bindings_survive_restart);
	tcase_add_test(tc, test_reload_drops_removed_extension);
	tcase_add_test(tc, test_invite_proxy_auth);
	tcase_add_test(tc, test_ok_only_after_the_binding_is_committed);
	tcase_add_test(tc, test_unstorable_register_refused_binding_kept);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(registrar_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
