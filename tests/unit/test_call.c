/*
 * The B2BUA driven through the real transaction layer: requests and
 * responses are fed to sip_tx_input() as a phone, a callee or a carrier
 * would send them, and what the daemon sends is captured by the send
 * hook.  The registrar is stood in for (a fixed extension passes auth,
 * bindings come from a table); hot desking and the db are the real ones.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "call.h"
#include "call_int.h"
#include "config.h"
#include "db.h"
#include "directory.h"
#include "hotdesk.h"
#include "registrar.h"
#include "roamd.h"
#include "settings.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "users.h"
#include "xmalloc.h"

#define DOMAIN	"london.example.net"
#define SDP_A	"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
#define SDP_B	"v=0\r\no=b 2 2 IN IP4 127.0.0.1\r\ns=-\r\n" \
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"

struct roamd		*env;
static struct roamd	 test_env;
static struct config	 test_conf;

/* Registrar stand-in. */
static struct extension	*test_authed;
static struct reg_binding test_bind[8];
static const char	*test_bind_exts[8];
static size_t		 test_nbind;

/* Every message the daemon sent, with where to. */
#define CAP_MAX	128
static struct sip_msg	*cap_msg[CAP_MAX];
static struct sip_peer	 cap_peer[CAP_MAX];
static size_t		 cap_n;

/* The phone passes auth as test_authed, or is challenged. */
struct extension *
registrar_auth(struct sip_tx *tx, const struct sip_msg *req)
{
	if (test_authed == NULL) {
		sip_tx_reply(tx, 407, "Proxy Authentication Required");
		return (NULL);
	}
	return (test_authed);
}

/* Bindings of ext added with bind_add(). */
size_t
registrar_lookup(const char *ext, struct reg_binding **out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < test_nbind && n < max; i++)
		if (strcmp(ext, test_bind_exts[i]) == 0)
			out[n++] = &test_bind[i];
	return (n);
}

/* The send hook: keep a copy. */
static int
cap_send(const struct sip_peer *p, const struct sip_msg *m)
{
	if (cap_n < CAP_MAX) {
		cap_msg[cap_n] = sip_msg_clone(m);
		cap_peer[cap_n] = *p;
		cap_n++;
	}
	return (0);
}

/* Port of a peer. */
static int
peer_port(const struct sip_peer *p)
{
	char	 buf[64], *c;

	sip_peer_text(p, buf, sizeof(buf));
	c = strrchr(buf, ':');
	return (c != NULL ? atoi(c + 1) : 0);
}

/* Latest captured request of method (or response of status) to port. */
static struct sip_msg *
cap_find(const char *method, int status, int port)
{
	size_t	 i;

	for (i = cap_n; i > 0; i--) {
		struct sip_msg	*m = cap_msg[i - 1];

		if (port != 0 && peer_port(&cap_peer[i - 1]) != port)
			continue;
		if (method != NULL && sip_msg_is_request(m) &&
		    strcmp(sip_msg_method(m), method) == 0)
			return (m);
		if (method == NULL && !sip_msg_is_request(m) &&
		    sip_msg_status(m) == status)
			return (m);
	}
	return (NULL);
}

/* The first captured INVITE to the trunk (port 5090). */
static struct sip_msg *
cap_first_trunk_invite(void)
{
	size_t	 i;

	for (i = 0; i < cap_n; i++)
		if (peer_port(&cap_peer[i]) == 5090 &&
		    sip_msg_is_request(cap_msg[i]) &&
		    strcmp(sip_msg_method(cap_msg[i]), "INVITE") == 0)
			return (cap_msg[i]);
	return (NULL);
}

/* How many captured messages match. */
static int
cap_count(const char *method, int status, int port)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < cap_n; i++) {
		struct sip_msg	*m = cap_msg[i];

		if (port != 0 && peer_port(&cap_peer[i]) != port)
			continue;
		if (method != NULL && sip_msg_is_request(m) &&
		    strcmp(sip_msg_method(m), method) == 0)
			n++;
		if (method == NULL && !sip_msg_is_request(m) &&
		    sip_msg_status(m) == status)
			n++;
	}
	return (n);
}

/* Feed raw text as if it came from udp:127.0.0.1:port. */
static void
feed(const char *text, int port)
{
	struct sip_msg	*m = NULL;
	struct sip_peer	 p;
	const char	*cause;
	char		 buf[64];
	int		 status;

	ck_assert_int_eq(sip_msg_parse(text, strlen(text), &m, &status,
	    &cause), 0);
	snprintf(buf, sizeof(buf), "udp:127.0.0.1:%d", port);
	ck_assert_int_eq(sip_peer_parse(buf, &p), 0);
	sip_tx_input(m, &p);
	/* What the loop does next: commit, then answer what was stored. */
	db_flush();
}

/* Feed a message object from port. */
static void
feed_msg(struct sip_msg *m, int port)
{
	struct sip_peer	 p;
	char		 buf[64];

	snprintf(buf, sizeof(buf), "udp:127.0.0.1:%d", port);
	ck_assert_int_eq(sip_peer_parse(buf, &p), 0);
	sip_tx_input(m, &p);
	/* What the loop does next: commit, then answer what was stored. */
	db_flush();
}

/* The callee at port answers our request with code (and SDP). */
static void
callee_answer(const struct sip_msg *req, int code, const char *totag,
    const char *sdp, int port)
{
	struct sip_msg	*r;
	char		 contact[64];

	r = sip_msg_response(req, code, NULL, totag);
	ck_assert_ptr_nonnull(r);
	snprintf(contact, sizeof(contact), "<sip:callee@127.0.0.1:%d>", port);
	if (code > 100 && code < 300)
		sip_msg_add_header(r, "Contact", contact);
	if (sdp != NULL)
		sip_msg_set_body(r, "application/sdp", sdp, strlen(sdp));
	feed_msg(r, port);
}

/* The phone at 5061 sends INVITE for dialled, with an SDP offer. */
static void
phone_invite(const char *callid, const char *dialled)
{
	char	 buf[2048];

	snprintf(buf, sizeof(buf),
	    "INVITE sip:%s@" DOMAIN " SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK%s1\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Desk\" <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:%s@" DOMAIN ">\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:201@127.0.0.1:5061>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    dialled, callid, dialled, callid, strlen(SDP_A), SDP_A);
	feed(buf, 5061);
}

/* The phone sends an in-dialog request (ACK, BYE) with our To tag. */
static void
phone_in_dialog(const char *method, const char *callid, const char *totag,
    int cseq, const char *branch)
{
	char	 buf[1024];

	snprintf(buf, sizeof(buf),
	    "%s sip:x@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK%s\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Desk\" <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:x@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %d %s\r\n"
	    "Content-Length: 0\r\n\r\n",
	    method, branch, totag, callid, cseq, method);
	feed(buf, 5061);
}

/* The phone CANCELs its INVITE (same branch). */
static void
phone_cancel(const char *callid, const char *dialled)
{
	char	 buf[1024];

	snprintf(buf, sizeof(buf),
	    "CANCEL sip:%s@" DOMAIN " SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK%s1\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Desk\" <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:%s@" DOMAIN ">\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: 1 CANCEL\r\n"
	    "Content-Length: 0\r\n\r\n", dialled, callid, dialled, callid);
	feed(buf, 5061);
}

/* Add one binding of ext at 127.0.0.1:port. */
static void
bind_add(const char *ext, int port)
{
	struct reg_binding	*b = &test_bind[test_nbind];
	char			 buf[64];

	test_bind_exts[test_nbind++] = ext;
	memset(b, 0, sizeof(*b));
	xasprintf(&b->contact, "sip:%s@127.0.0.1:%d", ext, port);
	snprintf(buf, sizeof(buf), "udp:127.0.0.1:%d", port);
	sip_peer_parse(buf, &b->peer);
}

/* Fill a cfg_addr from text. */
static void
addr(struct cfg_addr *a, const char *text)
{
	const char	*cause;

	ck_assert_int_eq(config_parse_addr(text, a, &cause), 0);
}

static struct user	 users[3];
static struct extension	 exts[3];
static struct trunk	 trunks[1];
static struct ddi_route	 ddis[2];
static struct shortcode	 sys_codes[7];
static struct user_rights rights[1];
static struct peer_cfg	 peers[2];

/*
 * The network stand-in (call_set_net): a directory of other sites' users
 * and which peer links are up, as the directory and peer modules would
 * report them.
 */
#define DIR_MAX	8
static struct dir_entry	 test_dir[DIR_MAX];
static size_t		 test_ndir;
static int		 paris_up, berlin_up;

/* Directory stand-in: the entry of a number, or NULL. */
static const struct dir_entry *
test_lookup(const char *number)
{
	size_t	 i;

	for (i = 0; i < test_ndir; i++)
		if (strcmp(test_dir[i].number, number) == 0)
			return (&test_dir[i]);
	return (NULL);
}

/* Peer-link stand-in: is the site's link up? */
static int
test_site_up(const char *name)
{
	if (strcmp(name, "paris") == 0)
		return (paris_up);
	if (strcmp(name, "berlin") == 0)
		return (berlin_up);
	return (0);
}

/* Peer ids as learned from HELLO: paris 2, berlin 3. */
static const char *
test_site_by_id(int id)
{
	if (id == 2)
		return ("paris");
	if (id == 3)
		return ("berlin");
	return (NULL);
}

static const struct call_net	 test_net = {
	test_lookup, test_site_up, test_site_by_id
};

/* A user of another site: home, and where logged in (NULL: out). */
static void
dir_add(const char *number, const char *name, const char *home,
    const char *site)
{
	struct dir_entry	*d = &test_dir[test_ndir++];

	memset(d, 0, sizeof(*d));
	d->number = (char *)number;
	d->name = (char *)name;
	d->home = (char *)home;
	d->site = (char *)site;
	d->local = strcmp(home, "london") == 0;
}

/* A site with users 201 (Alice Smith), 202, 203 (force_login, out). */
static void
setup(void)
{
	static const struct sip_tx_core core = {
		.request = call_request,
		.ack = call_ack,
		.cancelled = call_cancelled,
		.ack_timeout = call_ack_timeout,
		.stray_response = call_stray_response,
		.send = cap_send,
	};
	char	*cause;

	memset(&test_conf, 0, sizeof(test_conf));
	memset(users, 0, sizeof(users));
	memset(exts, 0, sizeof(exts));
	memset(trunks, 0, sizeof(trunks));
	test_conf.domain = DOMAIN;
	test_conf.site_name = "london";
	test_conf.site_id = 1;
	memset(peers, 0, sizeof(peers));
	peers[0].name = "paris";
	addr(&peers[0].sip, "udp:127.0.0.1:5062");
	peers[1].name = "berlin";
	addr(&peers[1].sip, "udp:127.0.0.1:5063");
	test_conf.peers = peers;
	test_conf.npeers = 2;
	users[0].number = "201";
	users[0].name = "Alice Smith";
	users[1].number = "202";
	users[1].name = "Bob";
	users[2].number = "203";
	users[2].name = "Carol";
	users[2].force_login = 1;
	users[2].user_rights = "Night";
	exts[0].number = "201";
	exts[0].base_user = "201";
	exts[1].number = "202";
	exts[1].base_user = "202";
	exts[2].number = "299";
	exts[2].base_user = "203";
	test_conf.users = users;
	test_conf.nusers = 3;
	test_conf.extensions = exts;
	test_conf.nextensions = 3;
	trunks[0].name = "pstn";
	addr(&trunks[0].address, "udp:127.0.0.1:5090");
	trunks[0].auth_username = "london";
	trunks[0].auth_password = "secret";
	ddis[0].ddi = "442071230201";
	ddis[0].destination = "201";
	ddis[1].ddi = "442071230203";
	ddis[1].destination = "203";
	trunks[0].incoming = ddis;
	trunks[0].nincoming = 2;
	test_conf.trunks = trunks;
	test_conf.ntrunks = 1;
	sys_codes[0] = (struct shortcode){ .code = "9N", .feature = SC_DIAL,
	    .number = "N", .trunk = "pstn" };
	sys_codes[1] = (struct shortcode){ .code = "999",
	    .feature = SC_DIAL_EMERGENCY, .number = "999", .trunk = "pstn" };
	sys_codes[2] = (struct shortcode){ .code = "00N",
	    .feature = SC_BARRED };
	sys_codes[3] = (struct shortcode){ .code = "*08",
	    .feature = SC_DND_ON };
	sys_codes[4] = (struct shortcode){ .code = "*35*N#",
	    .feature = SC_EXTN_LOGIN, .number = "N" };
	sys_codes[5] = (struct shortcode){ .code = "*80*N#",
	    .feature = SC_BREAK_OUT, .number = "N" };
	sys_codes[6] = (struct shortcode){ .code = "*81N",
	    .feature = SC_BREAK_OUT, .number = "N", .site = "paris" };
	test_conf.short_codes.v = sys_codes;
	test_conf.short_codes.n = 7;
	test_conf.lockout_attempts = 4;
	test_conf.lockout_period = 90;
	users[0].login_code = "4321";
	users[1].login_code = "2222";
	users[2].login_code = "3333";
	rights[0] = (struct user_rights){ .name = "Night",
	    .outgoing_call_bar = 1 };
	test_conf.user_rights = rights;
	test_conf.nuser_rights = 1;

	env = &test_env;
	env->conf = &test_conf;
	env->base = event_base_new();
	ck_assert_int_eq(db_open(":memory:", env->base, &cause), 0);
	sip_tx_init(env->base, &core, NULL);
	hotdesk_init();
	settings_init();
	call_init();
	test_authed = &exts[0];
	test_nbind = 0;
	cap_n = 0;
	test_ndir = 0;
	paris_up = berlin_up = 1;
	call_set_net(&test_net);
}

/* Free everything: the suite runs under ASan. */
static void
teardown(void)
{
	size_t	 i;

	call_shutdown();
	call_set_net(NULL);
	sip_tx_shutdown();
	settings_shutdown();
	hotdesk_shutdown();
	users_shutdown();
	db_close();
	event_base_free(env->base);
	for (i = 0; i < cap_n; i++)
		sip_msg_free(cap_msg[i]);
	for (i = 0; i < test_nbind; i++)
		free(test_bind[i].contact);
	free(trunks[0].address.text);
	free(peers[0].sip.text);
	free(peers[1].sip.text);
}

/* The last call record, copied out. */
static int	last_cause;
static char	last_reason[64];
static char	last_callee_user[16];

static void
cdr_last(const struct db_cdr *r, void *arg)
{
	last_cause = r->cause;
	snprintf(last_reason, sizeof(last_reason), "%s", r->reason);
	snprintf(last_callee_user, sizeof(last_callee_user), "%s",
	    r->callee_user ? r->callee_user : "");
}

/* Read back the newest call record. */
static void
cdr_read(void)
{
	last_cause = 0;
	db_flush();
	db_cdr_foreach(0, cdr_last, NULL);
}

START_TEST(test_call_answered_then_bye_caller)
{
	struct sip_msg	*inv, *ok;
	const char	*body, *ourtag;
	char		*from;
	size_t		 len;

	bind_add("202", 5070);
	phone_invite("c1", "202");
	inv = cap_find("INVITE", 0, 5070);
	ck_assert_ptr_nonnull(inv);
	/* The callee sees the user, not the device, and the same SDP. */
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:202@127.0.0.1:5070");
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Alice Smith\" <sip:201@"
	    DOMAIN ">"));
	free(from);
	ck_assert_ptr_nonnull(sip_msg_header(inv, "P-Asserted-Identity"));
	ck_assert_str_ne(sip_msg_callid(inv), "c1");
	body = sip_msg_body(inv, &len);
	ck_assert_uint_eq(len, strlen(SDP_A));
	ck_assert(memcmp(body, SDP_A, len) == 0);
	ck_assert_uint_eq(call_count(), 1);

	callee_answer(inv, 180, "btag", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 180, 5061), 1);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	ck_assert_ptr_nonnull(ok);
	body = sip_msg_body(ok, &len);
	ck_assert_uint_eq(len, strlen(SDP_B));
	ourtag = sip_msg_to_tag(ok);
	ck_assert_ptr_nonnull(ourtag);

	/* No ACK to the callee before the caller's. */
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 0);
	phone_in_dialog("ACK", "c1", ourtag, 1, "ack1");
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 1);
	ck_assert_str_eq(sip_msg_ruri(cap_find("ACK", 0, 5070)),
	    "sip:callee@127.0.0.1:5070");

	phone_in_dialog("BYE", "c1", ourtag, 2, "bye1");
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 2);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 1);
	ck_assert_str_eq(sip_msg_callid(cap_find("BYE", 0, 5070)),
	    sip_msg_callid(inv));
	ck_assert_uint_eq(call_count(), 0);
	cdr_read();
	ck_assert_int_eq(last_cause, 200);
	ck_assert_str_eq(last_reason, "bye-caller");
	ck_assert_str_eq(last_callee_user, "202");
}
END_TEST

START_TEST(test_call_bye_from_callee_reaches_caller)
{
	struct sip_msg	*inv, *ok, *bye;
	char		 buf[1024];

	bind_add("202", 5070);
	phone_invite("c2", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	phone_in_dialog("ACK", "c2", sip_msg_to_tag(ok), 1, "ack2");
	snprintf(buf, sizeof(buf),
	    "BYE sip:roam@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcb1\r\n"
	    "From: <sip:202@" DOMAIN ">;tag=btag\r\n"
	    "To: <sip:201@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: %s\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n",
	    sip_msg_from_tag(inv), sip_msg_callid(inv));
	feed(buf, 5070);
	ck_assert_int_eq(cap_count(NULL, 200, 5070), 1);
	bye = cap_find("BYE", 0, 5061);
	ck_assert_ptr_nonnull(bye);
	ck_assert_str_eq(sip_msg_callid(bye), "c2");
	ck_assert_str_eq(sip_msg_to_tag(bye), "ctag");
	ck_assert_str_eq(sip_msg_ruri(bye), "sip:201@127.0.0.1:5061");
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

START_TEST(test_call_busy_callee_gives_caller_busy)
{
	bind_add("202", 5070);
	phone_invite("c3", "202");
	callee_answer(cap_find("INVITE", 0, 5070), 486, "btag", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
	ck_assert_uint_eq(call_count(), 0);
	cdr_read();
	ck_assert_int_eq(last_cause, 486);
}
END_TEST

START_TEST(test_call_cancel_while_ringing)
{
	struct sip_msg	*inv;

	bind_add("202", 5070);
	phone_invite("c4", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 180, "btag", NULL, 5070);
	phone_cancel("c4", "202");
	ck_assert_int_eq(cap_count(NULL, 487, 5061), 1);
	ck_assert_int_eq(cap_count("CANCEL", 0, 5070), 1);
	ck_assert_uint_eq(call_count(), 0);
	/* The callee's 487 after the call is gone does no harm. */
	callee_answer(inv, 487, "btag", NULL, 5070);
	cdr_read();
	ck_assert_int_eq(last_cause, 487);
	ck_assert_str_eq(last_reason, "cancelled");
}
END_TEST

START_TEST(test_call_forks_first_answer_wins)
{
	struct sip_msg	*i1, *i2;

	bind_add("202", 5070);
	bind_add("202", 5071);
	phone_invite("c5", "202");
	i1 = cap_find("INVITE", 0, 5070);
	i2 = cap_find("INVITE", 0, 5071);
	ck_assert_ptr_nonnull(i1);
	ck_assert_ptr_nonnull(i2);
	callee_answer(i1, 180, "t1", NULL, 5070);
	callee_answer(i2, 180, "t2", NULL, 5071);
	ck_assert_int_eq(cap_count(NULL, 180, 5061), 1);
	callee_answer(i2, 200, "t2", SDP_B, 5071);
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 1);
	ck_assert_int_eq(cap_count("CANCEL", 0, 5070), 1);
	/* The loser answers anyway: ACKed and hung up. */
	callee_answer(i1, 200, "t1", SDP_B, 5070);
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 1);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 1);
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 1);
}
END_TEST

START_TEST(test_call_all_forks_fail_busy_wins)
{
	bind_add("202", 5070);
	bind_add("202", 5071);
	phone_invite("c6", "202");
	callee_answer(cap_find("INVITE", 0, 5070), 486, "t1", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 0);
	callee_answer(cap_find("INVITE", 0, 5071), 404, "t2", NULL, 5071);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
}
END_TEST

START_TEST(test_call_unregistered_user_not_registered)
{
	phone_invite("c7", "202");
	ck_assert_int_eq(cap_count(NULL, 480, 5061), 1);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    sip_answer_reason(ANS_NOT_REGISTERED));
}
END_TEST

START_TEST(test_call_logged_out_user_busy)
{
	phone_invite("c8", "203");
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
}
END_TEST

START_TEST(test_call_unknown_number_unobtainable)
{
	phone_invite("c9", "77777");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5061)),
	    "Number Unobtainable");
	cdr_read();
	ck_assert_int_eq(last_cause, 404);
}
END_TEST

START_TEST(test_call_barred_code)
{
	phone_invite("c10", "00123");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Barred");
}
END_TEST

START_TEST(test_call_outgoing_trunk)
{
	struct sip_msg	*inv;

	phone_invite("c11", "9012345");
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:012345@127.0.0.1:5090");
	ck_assert_str_eq(sip_msg_from_user(inv), "201");
	ck_assert_str_eq(sip_msg_to_user(inv), "012345");
}
END_TEST

START_TEST(test_call_trunk_challenge_answered_once)
{
	struct sip_msg	*inv, *r;

	phone_invite("c12", "9012345");
	inv = cap_find("INVITE", 0, 5090);
	r = sip_msg_response(inv, 407, NULL, "tt");
	sip_msg_add_header(r, "Proxy-Authenticate",
	    "Digest realm=\"carrier\", nonce=\"abc\"");
	feed_msg(r, 5090);
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_uint_eq(sip_msg_cseq(inv), 2);
	ck_assert_ptr_nonnull(sip_msg_header(inv, "Proxy-Authorization"));
	/* A second challenge is the caller's failure, not a loop. */
	r = sip_msg_response(inv, 407, NULL, "tt");
	sip_msg_add_header(r, "Proxy-Authenticate",
	    "Digest realm=\"carrier\", nonce=\"def\"");
	feed_msg(r, 5090);
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	ck_assert_int_eq(cap_count(NULL, 403, 5061), 1);
}
END_TEST

START_TEST(test_call_nouser_phone_only_emergency)
{
	test_authed = &exts[2];		/* 299: base user 203 is out */
	phone_invite("c13", "202");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    sip_answer_reason(ANS_NO_USER));
	phone_invite("c14", "999");
	ck_assert_ptr_nonnull(cap_find("INVITE", 0, 5090));
	ck_assert_str_eq(sip_msg_from_user(cap_find("INVITE", 0, 5090)),
	    "299");
}
END_TEST

START_TEST(test_call_ddi_from_trunk_rings_user)
{
	struct sip_msg	*inv;
	char		 buf[1024];

	bind_add("201", 5072);
	snprintf(buf, sizeof(buf),
	    "INVITE sip:442071230201@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKddi1\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:447700900999@carrier>;tag=car\r\n"
	    "To: <sip:442071230201@carrier>\r\n"
	    "Call-ID: ddi1\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:carrier@127.0.0.1:5090>\r\n"
	    "Content-Length: 0\r\n\r\n");
	test_authed = NULL;		/* a trunk is never challenged */
	feed(buf, 5090);
	inv = cap_find("INVITE", 0, 5072);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_from_user(inv), "447700900999");
	ck_assert_str_eq(sip_msg_to_user(inv), "201");
}
END_TEST

START_TEST(test_call_unknown_ddi)
{
	char	 buf[1024];

	snprintf(buf, sizeof(buf),
	    "INVITE sip:440000@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKddi2\r\n"
	    "From: <sip:447700900999@carrier>;tag=car\r\n"
	    "To: <sip:440000@carrier>\r\n"
	    "Call-ID: ddi2\r\nCSeq: 1 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n");
	feed(buf, 5090);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5090)),
	    "Unknown DDI");
}
END_TEST

START_TEST(test_call_bye_without_call_481)
{
	phone_in_dialog("BYE", "nosuch", "xyz", 2, "b481");
	ck_assert_int_eq(cap_count(NULL, 481, 5061), 1);
}
END_TEST

START_TEST(test_call_late_offer_ack_carries_answer)
{
	struct sip_msg	*inv, *ok, *ack;
	const char	*body;
	char		 buf[1024];
	size_t		 len;

	bind_add("202", 5070);
	snprintf(buf, sizeof(buf),
	    "INVITE sip:202@" DOMAIN " SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKlate1\r\n"
	    "From: <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:202@" DOMAIN ">\r\n"
	    "Call-ID: late\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:201@127.0.0.1:5061>\r\n"
	    "Content-Length: 0\r\n\r\n");
	feed(buf, 5061);
	inv = cap_find("INVITE", 0, 5070);
	ck_assert_ptr_null(sip_msg_body(inv, &len));
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	snprintf(buf, sizeof(buf),
	    "ACK sip:roam@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKlateack\r\n"
	    "From: <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:202@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: late\r\nCSeq: 1 ACK\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s", sip_msg_to_tag(ok),
	    strlen(SDP_A), SDP_A);
	feed(buf, 5061);
	ack = cap_find("ACK", 0, 5070);
	ck_assert_ptr_nonnull(ack);
	body = sip_msg_body(ack, &len);
	ck_assert_uint_eq(len, strlen(SDP_A));
	ck_assert(memcmp(body, SDP_A, len) == 0);
	/* A retransmitted 2xx is ACKed again. */
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 2);
}
END_TEST


/* Call 202 at 5070 from the phone and get it answered and ACKed. */
static struct sip_msg *
establish(const char *callid, const char **ourtag)
{
	struct sip_msg	*inv, *ok;

	bind_add("202", 5070);
	phone_invite(callid, "202");
	inv = cap_find("INVITE", 0, 5070);
	ck_assert_ptr_nonnull(inv);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	ck_assert_ptr_nonnull(ok);
	*ourtag = sip_msg_to_tag(ok);
	phone_in_dialog("ACK", callid, *ourtag, 1, "estack");
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 1);
	return (inv);
}

/* The phone sends a re-INVITE (hold) with an SDP offer. */
static void
phone_reinvite(const char *callid, const char *ourtag, int cseq,
    const char *branch)
{
	char	 buf[2048];

	snprintf(buf, sizeof(buf),
	    "INVITE sip:roam@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK%s\r\n"
	    "From: <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:202@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: %s\r\nCSeq: %d INVITE\r\n"
	    "Contact: <sip:201@127.0.0.1:5061>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s", branch, ourtag, callid, cseq,
	    strlen(SDP_A), SDP_A);
	feed(buf, 5061);
}

/* The callee sends a request in its dialog (re-INVITE, BYE). */
static void
callee_request(const char *method, const struct sip_msg *inv, int cseq,
    const char *branch)
{
	char	 buf[2048];

	snprintf(buf, sizeof(buf),
	    "%s sip:roam@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%s\r\n"
	    "From: <sip:202@" DOMAIN ">;tag=btag\r\n"
	    "To: <sip:201@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: %s\r\nCSeq: %d %s\r\n"
	    "Contact: <sip:callee@127.0.0.1:5070>\r\n"
	    "Content-Length: 0\r\n\r\n", method, branch,
	    sip_msg_from_tag(inv), sip_msg_callid(inv), cseq, method);
	feed(buf, 5070);
}

START_TEST(test_call_reinvite_relayed_both_ways)
{
	struct sip_msg	*inv, *re, *ok;
	const char	*ourtag;
	size_t		 len;

	inv = establish("re1", &ourtag);
	phone_reinvite("re1", ourtag, 2, "re1a");
	ck_assert_int_eq(cap_count("INVITE", 0, 5070), 2);
	re = cap_find("INVITE", 0, 5070);
	ck_assert_str_eq(sip_msg_callid(re), sip_msg_callid(inv));
	ck_assert_str_eq(sip_msg_to_tag(re), "btag");
	ck_assert_uint_eq(sip_msg_cseq(re), 2);
	ck_assert_str_eq(sip_msg_ruri(re), "sip:callee@127.0.0.1:5070");
	ck_assert_ptr_nonnull(sip_msg_body(re, &len));
	ck_assert_uint_eq(len, strlen(SDP_A));

	/* Glare: the callee's own re-INVITE meanwhile gets 491. */
	callee_request("INVITE", inv, 7, "glare1");
	ck_assert_int_eq(cap_count(NULL, 491, 5070), 1);

	callee_answer(re, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	ck_assert_uint_eq(sip_msg_cseq(ok), 2);
	ck_assert_ptr_nonnull(sip_msg_body(ok, &len));
	phone_in_dialog("ACK", "re1", ourtag, 2, "re1ack");
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 2);
	ck_assert_uint_eq(sip_msg_cseq(cap_find("ACK", 0, 5070)), 2);

	/* And from the callee's side to the caller. */
	callee_request("INVITE", inv, 8, "re2");
	re = cap_find("INVITE", 0, 5061);
	ck_assert_ptr_nonnull(re);
	ck_assert_str_eq(sip_msg_callid(re), "re1");
	ck_assert_str_eq(sip_msg_to_tag(re), "ctag");
	ck_assert_str_eq(sip_msg_from_tag(re), ourtag);
	ck_assert_uint_eq(call_count(), 1);
}
END_TEST

START_TEST(test_call_update_info_relayed)
{
	struct sip_msg	*inv, *info;
	const char	*ourtag;
	char		 buf[1024];

	inv = establish("up1", &ourtag);
	snprintf(buf, sizeof(buf),
	    "INFO sip:roam@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKinfo1\r\n"
	    "From: <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:202@" DOMAIN ">;tag=%s\r\n"
	    "Call-ID: up1\r\nCSeq: 3 INFO\r\n"
	    "Content-Type: application/dtmf-relay\r\n"
	    "Content-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n",
	    ourtag);
	feed(buf, 5061);
	info = cap_find("INFO", 0, 5070);
	ck_assert_ptr_nonnull(info);
	ck_assert_str_eq(sip_msg_content_type(info), "application/dtmf-relay");
	callee_answer(info, 200, "btag", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 2);
	ck_assert_uint_eq(sip_msg_cseq(cap_find(NULL, 200, 5061)), 3);
	(void)inv;
}
END_TEST

START_TEST(test_call_callee_bye_before_caller_ack)
{
	struct sip_msg	*inv, *ok;

	bind_add("202", 5070);
	phone_invite("ba1", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	callee_request("BYE", inv, 3, "earlybye");
	ck_assert_int_eq(cap_count(NULL, 200, 5070), 1);
	/* RFC 3261 15: the caller gets its BYE only after its ACK. */
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 0);
	phone_in_dialog("ACK", "ba1", sip_msg_to_tag(ok), 1, "baack");
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 1);
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

START_TEST(test_call_caller_bye_before_ack)
{
	struct sip_msg	*inv, *ok;

	bind_add("202", 5070);
	phone_invite("ba2", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ok = cap_find(NULL, 200, 5061);
	phone_in_dialog("BYE", "ba2", sip_msg_to_tag(ok), 2, "ba2bye");
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 1);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 1);
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

START_TEST(test_call_cancel_after_answer_keeps_call)
{
	struct sip_msg	*inv;
	const char	*ourtag;

	inv = establish("ca1", &ourtag);
	phone_cancel("ca1", "202");
	ck_assert_int_eq(cap_count(NULL, 487, 5061), 0);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 0);
	ck_assert_uint_eq(call_count(), 1);
	(void)inv;
}
END_TEST

/* Leave the loop. */
static void
loop_stop(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(env->base);
}

START_TEST(test_call_no_ack_hangs_up_both)
{
	static const struct sip_tx_core core = {
		.request = call_request,
		.ack = call_ack,
		.cancelled = call_cancelled,
		.ack_timeout = call_ack_timeout,
		.stray_response = call_stray_response,
		.send = cap_send,
	};
	struct sip_tx_timers	 t = { 5, 20, 20, 20 };
	struct timeval		 tv = { 1, 0 };
	struct event		*ev;
	struct sip_msg		*inv;

	sip_tx_init(env->base, &core, &t);	/* 64*T1 = 320 ms */
	bind_add("202", 5070);
	phone_invite("na1", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ev = evtimer_new(env->base, loop_stop, NULL);
	evtimer_add(ev, &tv);
	event_base_dispatch(env->base);
	event_free(ev);
	ck_assert_int_ge(cap_count("BYE", 0, 5070), 1);
	ck_assert_int_ge(cap_count("BYE", 0, 5061), 1);
	ck_assert_uint_eq(call_count(), 0);
	cdr_read();
	ck_assert_str_eq(last_reason, "no-ack");
}
END_TEST

START_TEST(test_call_outgoing_bar_blocks_trunk_not_emergency)
{
	users[0].user_rights = "Night";
	phone_invite("ob1", "9012345");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Outgoing Calls Barred");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5090));
	phone_invite("ob2", "999");
	ck_assert_ptr_nonnull(cap_find("INVITE", 0, 5090));
}
END_TEST

/*
 * Toll fraud: with one external call allowed on the site, a second one
 * while the first rings is refused with its reason; an emergency call
 * still goes out; once the first call ends the next one may go.
 */
START_TEST(test_call_site_external_limit)
{
	struct sip_msg	*r;

	test_conf.max_external_calls = 1;
	phone_invite("tf1", "9012345");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 1);
	ck_assert_uint_eq(call_guard_external(NULL), 1);
	ck_assert_uint_eq(call_guard_external("201"), 1);
	phone_invite("tf2", "9012346");
	r = cap_find(NULL, 403, 5061);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(sip_msg_reason(r), "External Call Limit Reached");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 1);
	phone_invite("tf3", "999");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	ck_assert_uint_eq(call_guard_external(NULL), 2);
	/* The calls fail at the carrier: their slots are free again. */
	callee_answer(cap_find("INVITE", 0, 5090), 486, "t3", NULL, 5090);
	ck_assert_uint_eq(call_guard_external(NULL), 1);
	callee_answer(cap_first_trunk_invite(), 486, "t1", NULL, 5090);
	ck_assert_uint_eq(call_guard_external(NULL), 0);
	ck_assert_uint_eq(call_guard_external("201"), 0);
	phone_invite("tf4", "9012347");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 3);
}
END_TEST

/* A user's own limit, counted while the call is answered, until BYE. */
START_TEST(test_call_user_external_limit_until_hangup)
{
	const char	*ourtag;

	users[0].max_external_calls = 1;
	phone_invite("tu1", "9012345");
	callee_answer(cap_find("INVITE", 0, 5090), 200, "tu1b", SDP_B, 5090);
	ourtag = sip_msg_to_tag(cap_find(NULL, 200, 5061));
	ck_assert_ptr_nonnull(ourtag);
	phone_in_dialog("ACK", "tu1", ourtag, 1, "tuack");
	phone_invite("tu2", "9012346");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "External Call Limit Reached");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 1);
	/* Another user is not held back by 201's limit. */
	ck_assert_uint_eq(call_guard_external("202"), 0);
	phone_in_dialog("BYE", "tu1", ourtag, 2, "tubye");
	ck_assert_uint_eq(call_guard_external("201"), 0);
	phone_invite("tu3", "9012346");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
}
END_TEST

/* allowed_prefixes: only those countries; 999 always. */
START_TEST(test_call_allowed_prefixes)
{
	static char	*prefixes[] = { "44", "33" };

	users[0].allowed_prefixes = prefixes;
	users[0].nallowed_prefixes = 2;
	phone_invite("ta1", "9882012345");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Destination Not Allowed");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5090));
	phone_invite("ta2", "90033140000000");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 1);
	phone_invite("ta3", "9442071230000");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	phone_invite("ta4", "999");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 3);
	ck_assert_int_eq(cap_count(NULL, 403, 5061), 1);
}
END_TEST

START_TEST(test_call_max_forwards_zero_483)
{
	char	 buf[1024];

	snprintf(buf, sizeof(buf),
	    "INVITE sip:202@" DOMAIN " SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKmf0\r\n"
	    "Max-Forwards: 0\r\n"
	    "From: <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:202@" DOMAIN ">\r\n"
	    "Call-ID: mf0\r\nCSeq: 1 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n");
	feed(buf, 5061);
	ck_assert_int_eq(cap_count(NULL, 483, 5061), 1);
}
END_TEST

START_TEST(test_call_late_2xx_after_cancel_is_hung_up)
{
	struct sip_msg	*inv;

	bind_add("202", 5070);
	phone_invite("lt1", "202");
	inv = cap_find("INVITE", 0, 5070);
	callee_answer(inv, 180, "btag", NULL, 5070);
	phone_cancel("lt1", "202");
	ck_assert_uint_eq(call_count(), 0);
	/*
	 * The 200 crossed our CANCEL: the call let go of the transaction,
	 * so the layer hands it over as a stray; it is ACKed and hung up,
	 * and its retransmission is ACKed again but not sent a second BYE.
	 */
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 1);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 1);
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ck_assert_int_eq(cap_count("ACK", 0, 5070), 2);
	ck_assert_int_eq(cap_count("BYE", 0, 5070), 1);
}
END_TEST

/* Run the event loop for ms milliseconds. */
static void
run_for(int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event	*ev;

	ev = evtimer_new(env->base, loop_stop, NULL);
	evtimer_add(ev, &tv);
	event_base_dispatch(env->base);
	event_free(ev);
}

/* The phone at 5061 sends INVITE for dialled to host with this SDP. */
static void
phone_invite_to(const char *callid, const char *dialled, const char *host,
    const char *sdp)
{
	char	 buf[2048];

	snprintf(buf, sizeof(buf),
	    "INVITE sip:%s@%s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK%s1\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Desk\" <sip:201@" DOMAIN ">;tag=ctag\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:201@127.0.0.1:5061>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    dialled, host, callid, dialled, host, callid, strlen(sdp), sdp);
	feed(buf, 5061);
}

/* A UDP socket on 127.0.0.1 standing in for the phone's RTP port. */
static int
rtp_sink(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* PCMU RTP packets waiting on the sink. */
static int
rtp_sink_count(int fd)
{
	unsigned char	 pkt[512];
	ssize_t		 n;
	int		 count = 0;

	while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0)
		if (n == 12 + 160 && (pkt[0] & 0xc0) == 0x80 &&
		    (pkt[1] & 0x7f) == 0)
			count++;
	return (count);
}

START_TEST(test_call_feature_dnd_on_answered_tone_then_bye)
{
	struct sip_msg	*ok, *bye;
	const char	*body, *ourtag;
	char		 sdp[256];
	size_t		 len;
	int		 fd, port;

	fd = rtp_sink(&port);
	snprintf(sdp, sizeof(sdp), "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\n"
	    "s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio %d RTP/AVP 0 8\r\n", port);
	ck_assert_int_eq(settings_get("201")->dnd, 0);
	phone_invite_to("f1", "*08", DOMAIN, sdp);
	ok = cap_find(NULL, 200, 5061);
	ck_assert_ptr_nonnull(ok);
	ck_assert_int_eq(settings_get("201")->dnd, 1);
	body = sip_msg_body(ok, &len);
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(sip_msg_content_type(ok), "application/sdp");
	ck_assert_ptr_nonnull(memmem(body, len, "m=audio ", 8));
	ck_assert_ptr_nonnull(memmem(body, len, "RTP/AVP 0", 9));
	ck_assert_ptr_nonnull(sip_msg_header(ok, "Contact"));
	ourtag = sip_msg_to_tag(ok);
	ck_assert_ptr_nonnull(ourtag);
	/* No tone and no BYE before the ACK. */
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 0);
	phone_in_dialog("ACK", "f1", ourtag, 1, "fack1");
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 0);
	run_for(1400);
	ck_assert_int_ge(rtp_sink_count(fd), 40);
	close(fd);
	bye = cap_find("BYE", 0, 5061);
	ck_assert_ptr_nonnull(bye);
	/* RFC 3261 12.2.1.1: a request of ours in the phone's dialog. */
	ck_assert_str_eq(sip_msg_callid(bye), "f1");
	ck_assert_str_eq(sip_msg_from_tag(bye), ourtag);
	ck_assert_str_eq(sip_msg_to_tag(bye), "ctag");
	ck_assert_str_eq(sip_msg_ruri(bye), "sip:201@127.0.0.1:5061");
	ck_assert_uint_eq(call_count(), 0);
	cdr_read();
	ck_assert_int_eq(last_cause, 200);
	ck_assert_str_eq(last_reason, "feature-done");
}
END_TEST

/*
 * A settings change the database refuses (query_only: SQLITE_READONLY
 * for real): the phone hears 500 Cannot Store Change, DND stays off.
 */
START_TEST(test_call_feature_unstorable_setting_refused)
{
	struct sip_msg	*r;

	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "PRAGMA query_only=1",
	    NULL, NULL, NULL), SQLITE_OK);
	phone_invite_to("fs1", "*08", DOMAIN, SDP_A);
	r = cap_find(NULL, 500, 5061);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(sip_msg_reason(r), "Cannot Store Change");
	ck_assert_ptr_null(cap_find(NULL, 200, 5061));
	ck_assert_int_eq(settings_get("201")->dnd, 0);
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "PRAGMA query_only=0",
	    NULL, NULL, NULL), SQLITE_OK);
}
END_TEST

START_TEST(test_call_feature_bye_from_phone_first)
{
	struct sip_msg	*ok;

	phone_invite("f2", "*08");
	ok = cap_find(NULL, 200, 5061);
	ck_assert_ptr_nonnull(ok);
	phone_in_dialog("ACK", "f2", sip_msg_to_tag(ok), 1, "fack2");
	phone_in_dialog("BYE", "f2", sip_msg_to_tag(ok), 2, "fbye2");
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 2);
	ck_assert_uint_eq(call_count(), 0);
	run_for(1200);
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 0);
}
END_TEST

START_TEST(test_call_feature_no_ack_ends)
{
	static const struct sip_tx_core core = {
		.request = call_request,
		.ack = call_ack,
		.cancelled = call_cancelled,
		.ack_timeout = call_ack_timeout,
		.stray_response = call_stray_response,
		.send = cap_send,
	};
	struct sip_tx_timers	 t = { 5, 20, 20, 20 };

	sip_tx_init(env->base, &core, &t);	/* 64*T1 = 320 ms */
	phone_invite("f6", "*08");
	ck_assert_ptr_nonnull(cap_find(NULL, 200, 5061));
	ck_assert_uint_eq(call_count(), 1);
	run_for(600);
	ck_assert_uint_eq(call_count(), 0);
	ck_assert_int_eq(cap_count("BYE", 0, 5061), 0);
	cdr_read();
	ck_assert_str_eq(last_reason, "no-ack");
}
END_TEST

START_TEST(test_call_feature_wrong_login_code)
{
	phone_invite("f3", "*35*202*0000%23");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Login Code Incorrect");
	ck_assert_ptr_null(cap_find(NULL, 200, 5061));
	ck_assert_str_eq(hotdesk_user_ext("202"), "202");
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

START_TEST(test_call_feature_nouser_may_log_in)
{
	test_authed = &exts[2];		/* 299: NoUser */
	phone_invite("f4", "*08");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    "No User Logged In");
	phone_invite("f5", "*35*203*3333%23");
	ck_assert_ptr_nonnull(cap_find(NULL, 200, 5061));
	ck_assert_str_eq(hotdesk_ext_user("299"), "203");
}
END_TEST

START_TEST(test_call_dnd_caller_gets_busy)
{
	ck_assert_int_eq(settings_set("202", SET_DND, 1), 0);
	bind_add("202", 5070);
	phone_invite("d1", "202");
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
	ck_assert_ptr_null(cap_find("INVITE", 0, 5070));
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

/* 203 logged in at 299, whose phone is at 5073. */
static void
carol_at_299(void)
{
	const char	*cause;

	ck_assert_int_eq(hotdesk_login("203", "299", HDR_ADMIN, &cause), 0);
	bind_add("299", 5073);
}

START_TEST(test_call_forward_unconditional_rings_target)
{
	struct sip_msg	*inv;
	const char	*div;
	char		*from;

	users[1].forward.number = "203";
	users[1].forward.unconditional = 1;
	carol_at_299();
	bind_add("202", 5070);
	phone_invite("fu1", "202");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5070));
	inv = cap_find("INVITE", 0, 5073);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_to_user(inv), "203");
	/* The callee sees the original caller, and who diverted it. */
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Alice Smith\" <sip:201@"));
	free(from);
	div = sip_msg_header(inv, "Diversion");
	ck_assert_ptr_nonnull(div);
	ck_assert_ptr_nonnull(strstr(div, "<sip:202@" DOMAIN ">"));
	ck_assert_ptr_nonnull(strstr(div, "reason=unconditional"));
	callee_answer(inv, 486, "ctag3", NULL, 5073);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
	cdr_read();
	ck_assert_str_eq(last_callee_user, "203");
}
END_TEST

START_TEST(test_call_forward_unconditional_to_trunk)
{
	struct sip_msg	*inv;

	users[1].forward.number = "9012345";
	users[1].forward.unconditional = 1;
	phone_invite("fu2", "202");
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:012345@127.0.0.1:5090");
	ck_assert_str_eq(sip_msg_from_user(inv), "201");
	ck_assert_ptr_nonnull(sip_msg_header(inv, "Diversion"));
}
END_TEST

START_TEST(test_call_forward_follows_forwarders_call_bar)
{
	users[1].forward.number = "9012345";
	users[1].forward.unconditional = 1;
	users[1].user_rights = "Night";		/* outgoing call bar */
	phone_invite("fu3", "202");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5090));
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Outgoing Calls Barred");
}
END_TEST

START_TEST(test_call_forward_on_busy)
{
	struct sip_msg	*inv;

	users[1].forward.number = "203";
	users[1].forward.on_busy = 1;
	carol_at_299();
	bind_add("202", 5070);
	phone_invite("fb1", "202");
	callee_answer(cap_find("INVITE", 0, 5070), 486, "bt", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 0);
	inv = cap_find("INVITE", 0, 5073);
	ck_assert_ptr_nonnull(inv);
	ck_assert_ptr_nonnull(strstr(sip_msg_header(inv, "Diversion"),
	    "reason=user-busy"));
	callee_answer(inv, 200, "ct", SDP_B, 5073);
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 1);
}
END_TEST

START_TEST(test_call_dnd_forwards_on_busy)
{
	users[1].forward.number = "203";
	users[1].forward.on_busy = 1;
	users[1].dnd = 1;
	carol_at_299();
	bind_add("202", 5070);
	phone_invite("fb2", "202");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5070));
	ck_assert_ptr_nonnull(cap_find("INVITE", 0, 5073));
}
END_TEST

START_TEST(test_call_forward_on_no_answer)
{
	struct sip_msg	*inv;

	users[1].forward.number = "203";
	users[1].forward.on_no_answer = 1;
	users[1].forward.no_answer_time = 1;
	carol_at_299();
	bind_add("202", 5070);
	phone_invite("fn1", "202");
	callee_answer(cap_find("INVITE", 0, 5070), 180, "bt", NULL, 5070);
	ck_assert_int_eq(cap_count(NULL, 180, 5061), 1);
	ck_assert_ptr_null(cap_find("INVITE", 0, 5073));
	run_for(1300);
	ck_assert_int_eq(cap_count("CANCEL", 0, 5070), 1);
	inv = cap_find("INVITE", 0, 5073);
	ck_assert_ptr_nonnull(inv);
	ck_assert_ptr_nonnull(strstr(sip_msg_header(inv, "Diversion"),
	    "reason=no-answer"));
	/* The caller heard ringing throughout: no final yet. */
	ck_assert_int_eq(cap_count(NULL, 480, 5061), 0);
	ck_assert_int_eq(cap_count(NULL, 487, 5061), 0);
	ck_assert_uint_eq(call_count(), 1);
	callee_answer(inv, 200, "ct", SDP_B, 5073);
	ck_assert_int_eq(cap_count(NULL, 200, 5061), 1);
}
END_TEST

/* How many header lines of a message start with name (e.g. "Via:"). */
static int
count_headers(const struct sip_msg *m, const char *name)
{
	char	*text, *p;
	size_t	 len;
	int	 n = 0;

	text = sip_msg_serialize(m, &len);
	ck_assert_ptr_nonnull(text);
	for (p = text; (p = strstr(p, "\r\n")) != NULL; p += 2)
		if (strncasecmp(p + 2, name, strlen(name)) == 0)
			n++;
	free(text);
	return (n);
}

START_TEST(test_call_forward_loop_stopped)
{
	struct sip_msg	*inv;
	char		 buf[1024];

	/* 201 -> 202 -> 201: the DDI call ends up ringing 202. */
	users[0].forward.number = "202";
	users[0].forward.unconditional = 1;
	users[1].forward.number = "201";
	users[1].forward.unconditional = 1;
	bind_add("201", 5072);
	bind_add("202", 5070);
	snprintf(buf, sizeof(buf),
	    "INVITE sip:442071230201@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKloop1\r\n"
	    "From: <sip:447700900999@carrier>;tag=car\r\n"
	    "To: <sip:442071230201@carrier>\r\n"
	    "Call-ID: loop1\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:carrier@127.0.0.1:5090>\r\n"
	    "Content-Length: 0\r\n\r\n");
	feed(buf, 5090);
	ck_assert_ptr_null(cap_find("INVITE", 0, 5072));
	ck_assert_int_eq(cap_count("INVITE", 0, 5070), 1);
	inv = cap_find("INVITE", 0, 5070);
	ck_assert_str_eq(sip_msg_from_user(inv), "447700900999");
	ck_assert_ptr_nonnull(strstr(sip_msg_header(inv, "Diversion"),
	    "<sip:201@"));
	/* Stopped at the first repeat, not by the hop limit. */
	ck_assert_int_eq(count_headers(inv, "Diversion:"), 1);
	ck_assert_uint_eq(call_count(), 1);
}
END_TEST

START_TEST(test_call_forward_busy_loop_gives_busy)
{
	/* 202 busy -> 201 busy -> 202: the caller gets busy. */
	users[0].forward.number = "202";
	users[0].forward.on_busy = 1;
	users[1].forward.number = "201";
	users[1].forward.on_busy = 1;
	users[0].dnd = 1;
	users[1].dnd = 1;
	test_authed = &exts[2];
	carol_at_299();
	phone_invite("loop2", "202");
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
	ck_assert_int_eq(cap_count("INVITE", 0, 0), 0);
}
END_TEST

START_TEST(test_call_emergency_nouser_carries_location)
{
	struct sip_msg	*inv;

	exts[2].location = "London HQ, floor 2\r\nX-Evil: 1";
	test_authed = &exts[2];		/* 299: NoUser */
	phone_invite("em1", "999");
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:999@127.0.0.1:5090");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Location"),
	    "London HQ, floor 2X-Evil: 1");
	ck_assert_ptr_null(sip_msg_header(inv, "X-Evil"));
	/* An ordinary trunk call carries no location. */
	exts[0].location = "desk 14";
	test_authed = &exts[0];
	phone_invite("em2", "9012345");
	ck_assert_ptr_null(sip_msg_header(cap_find("INVITE", 0, 5090),
	    "X-Roam-Location"));
}
END_TEST

START_TEST(test_call_emergency_not_shadowed_by_rights_bar)
{
	static struct shortcode	 rc[1];

	rc[0] = (struct shortcode){ .code = "9N", .feature = SC_BARRED };
	rights[0].short_codes.v = rc;
	rights[0].short_codes.n = 1;
	users[0].user_rights = "Night";
	phone_invite("em3", "999");
	ck_assert_ptr_nonnull(cap_find("INVITE", 0, 5090));
	phone_invite("em4", "9012345");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Barred");
	rights[0].short_codes.n = 0;
}
END_TEST

START_TEST(test_call_other_domain_not_found)
{
	bind_add("202", 5070);
	phone_invite_to("od1", "202", "paris.example.net", SDP_A);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5061)),
	    "Not Found");
	ck_assert_ptr_null(cap_find("INVITE", 0, 5070));
	/* The server's IP is as good as the domain. */
	phone_invite_to("od2", "202", "127.0.0.1", SDP_A);
	ck_assert_ptr_nonnull(cap_find("INVITE", 0, 5070));
	phone_invite_to("od3", "202", "LONDON.example.net", SDP_A);
	ck_assert_int_eq(cap_count("INVITE", 0, 5070), 2);
	phone_invite_to("od4", "202", "10.9.9.9", SDP_A);
	ck_assert_int_eq(cap_count(NULL, 404, 5061), 2);
}
END_TEST

/*
 * A peer site's INVITE from udp:127.0.0.1:port for dialled, with
 * X-Roam-Site (when site is not NULL), X-Roam-Hops and extra headers
 * (each ending in CRLF).  The caller is Pierre, 305, of paris.
 */
static void
site_invite(int port, const char *site, int hops, const char *callid,
    const char *dialled, const char *extra)
{
	char	 buf[4096], sh[64] = "", hh[32] = "";

	if (site != NULL)
		snprintf(sh, sizeof(sh), "X-Roam-Site: %s\r\n", site);
	if (hops > 0)
		snprintf(hh, sizeof(hh), "X-Roam-Hops: %d\r\n", hops);
	snprintf(buf, sizeof(buf),
	    "INVITE sip:%s@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
	    "Max-Forwards: 69\r\n"
	    "From: \"Pierre\" <sip:305@paris.example.net>;tag=ptag\r\n"
	    "To: <sip:%s@127.0.0.1:5060>\r\n"
	    "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:roam@127.0.0.1:%d>\r\n"
	    "%s%s%s"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    dialled, port, callid, dialled, callid, port, sh, hh,
	    extra != NULL ? extra : "", strlen(SDP_A), SDP_A);
	feed(buf, port);
}

/* Every value of a header in a captured message, joined with '|'. */
static void
header_all(const struct sip_msg *m, const char *name, char *out,
    size_t len)
{
	char	*text, *line, *eol;
	size_t	 n, tl;

	out[0] = '\0';
	text = sip_msg_serialize(m, &tl);
	ck_assert_ptr_nonnull(text);
	n = strlen(name);
	for (line = text; (eol = strstr(line, "\r\n")) != NULL &&
	    eol != line; line = eol + 2) {
		*eol = '\0';
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			if (out[0] != '\0')
				strncat(out, "|", len - strlen(out) - 1);
			strncat(out, line + n + 1 + (line[n + 1] == ' '),
			    len - strlen(out) - 1);
		}
	}
	free(text);
}

START_TEST(test_site_call_from_peer_rings_without_auth)
{
	struct sip_msg	*inv;
	char		*from;

	bind_add("202", 5070);
	test_authed = NULL;		/* a phone would be challenged */
	site_invite(5062, "paris", 1, "s1", "202", NULL);
	ck_assert_int_eq(cap_count(NULL, 407, 5062), 0);
	inv = cap_find("INVITE", 0, 5070);
	ck_assert_ptr_nonnull(inv);
	/* The phone sees the paris caller, not the site. */
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Pierre\" <sip:305@"));
	free(from);
	ck_assert_ptr_null(sip_msg_header(inv, "X-Roam-Site"));
	callee_answer(inv, 200, "btag", SDP_B, 5070);
	ck_assert_int_eq(cap_count(NULL, 200, 5062), 1);
}
END_TEST

START_TEST(test_site_call_from_other_address_challenged)
{
	bind_add("202", 5070);
	test_authed = NULL;
	/* Right header, wrong address. */
	site_invite(5064, "paris", 1, "s2", "202", NULL);
	ck_assert_int_eq(cap_count(NULL, 407, 5064), 1);
	/* Right address, no X-Roam-Site. */
	site_invite(5062, NULL, 1, "s3", "202", NULL);
	ck_assert_int_eq(cap_count(NULL, 407, 5062), 1);
	/* Paris's address claiming to be berlin. */
	site_invite(5062, "berlin", 1, "s4", "202", NULL);
	ck_assert_int_eq(cap_count(NULL, 407, 5062), 2);
	ck_assert_int_eq(cap_count("INVITE", 0, 5070), 0);
	ck_assert_uint_eq(call_count(), 0);
}
END_TEST

START_TEST(test_site_call_to_user_logged_in_at_paris)
{
	struct sip_msg	*inv, *ok;
	char		*from;

	dir_add("305", "Pierre", "paris", "paris");
	phone_invite("s5", "305");
	inv = cap_find("INVITE", 0, 5062);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:305@127.0.0.1:5062");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Site"), "london");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Hops"), "1");
	ck_assert_ptr_null(sip_msg_header(inv, "X-Roam-Breakout"));
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Alice Smith\" <sip:201@"));
	free(from);
	/* Paris answers: an ordinary B2BUA call. */
	callee_answer(inv, 180, "ptag", NULL, 5062);
	ck_assert_int_eq(cap_count(NULL, 180, 5061), 1);
	callee_answer(inv, 200, "ptag", SDP_B, 5062);
	ok = cap_find(NULL, 200, 5061);
	ck_assert_ptr_nonnull(ok);
	phone_in_dialog("ACK", "s5", sip_msg_to_tag(ok), 1, "acks5");
	ck_assert_int_eq(cap_count("ACK", 0, 5062), 1);
	phone_in_dialog("BYE", "s5", sip_msg_to_tag(ok), 2, "byes5");
	ck_assert_int_eq(cap_count("BYE", 0, 5062), 1);
	cdr_read();
	ck_assert_str_eq(last_callee_user, "305");
}
END_TEST

START_TEST(test_site_own_user_on_host_gets_calls_and_ddi)
{
	struct sip_msg	*inv;
	char		 buf[1024];

	/* 203 is homed here and logged in at paris. */
	dir_add("203", "Carol", "london", "paris");
	phone_invite("s6", "203");
	inv = cap_find("INVITE", 0, 5062);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:203@127.0.0.1:5062");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Site"), "london");
	/* R3: a DDI on our trunk goes to the host with the carrier's id. */
	snprintf(buf, sizeof(buf),
	    "INVITE sip:442071230203@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKsddi\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:447700900999@carrier>;tag=car\r\n"
	    "To: <sip:442071230203@carrier>\r\n"
	    "Call-ID: sddi\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:carrier@127.0.0.1:5090>\r\n"
	    "Content-Length: 0\r\n\r\n");
	feed(buf, 5090);
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 2);
	inv = cap_find("INVITE", 0, 5062);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:203@127.0.0.1:5062");
	ck_assert_str_eq(sip_msg_from_user(inv), "447700900999");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Hops"), "1");
}
END_TEST

START_TEST(test_site_logged_out_user_goes_home)
{
	struct sip_msg	*inv;

	dir_add("306", "Hans", "berlin", NULL);
	phone_invite("s7", "306");
	inv = cap_find("INVITE", 0, 5063);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:306@127.0.0.1:5063");
	/* Berlin's busy treatment comes back as it is. */
	callee_answer(inv, 486, "btag", NULL, 5063);
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 1);
	/* Our own logged-out user: busy here (H4), nothing sent. */
	dir_add("203", "Carol", "london", NULL);
	phone_invite("s8", "203");
	ck_assert_int_eq(cap_count(NULL, 486, 5061), 2);
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 0);
}
END_TEST

START_TEST(test_site_unreachable_480)
{
	dir_add("305", "Pierre", "paris", "paris");
	dir_add("203", "Carol", "london", "paris");
	dir_add("306", "Hans", "berlin", NULL);
	paris_up = berlin_up = 0;
	phone_invite("s9", "305");
	phone_invite("s10", "203");
	phone_invite("s11", "306");
	ck_assert_int_eq(cap_count(NULL, 480, 5061), 3);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    "Site Unreachable");
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 0);
	ck_assert_int_eq(cap_count("INVITE", 0, 5063), 0);
}
END_TEST

START_TEST(test_site_peer_call_follows_directory_hop_limited)
{
	struct sip_msg	*inv;
	char		*from;

	/* From paris for a user now at berlin: on to berlin, one hop more. */
	dir_add("306", "Hans", "london", "berlin");
	site_invite(5062, "paris", 1, "s12", "306", NULL);
	inv = cap_find("INVITE", 0, 5063);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Hops"), "2");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Site"), "london");
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Pierre\" <sip:305@"));
	free(from);
	/* The fourth site may not pass it on: 482. */
	site_invite(5062, "paris", 4, "s13", "306", NULL);
	ck_assert_int_eq(cap_count("INVITE", 0, 5063), 1);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 482, 5062)),
	    "Loop Detected");
	/* Past the limit even a local user is refused. */
	bind_add("202", 5070);
	site_invite(5062, "paris", 5, "s14", "202", NULL);
	ck_assert_int_eq(cap_count(NULL, 482, 5062), 2);
	ck_assert_int_eq(cap_count("INVITE", 0, 5070), 0);
	/* A number nobody has. */
	site_invite(5062, "paris", 1, "s15", "9999", NULL);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5062)),
	    "Number Unobtainable");
}
END_TEST

/* A visitor homed at paris: rights and time profile by name. */
static void
visitor_add(const char *rights_name, const char *tprof)
{
	struct user	*u = xcalloc(1, sizeof(*u));

	u->number = xstrdup("401");
	u->name = xstrdup("Vera Visitor");
	u->user_rights = rights_name ? xstrdup(rights_name) : NULL;
	u->out_of_hours_user_rights = xstrdup("Night");
	u->working_hours_time_profile = tprof ? xstrdup(tprof) : NULL;
	u->short_codes.v = xcalloc(1, sizeof(struct shortcode));
	u->short_codes.v[0].code = xstrdup("*77");
	u->short_codes.v[0].feature = SC_DIAL;
	u->short_codes.v[0].number = xstrdup("0033140000000");
	u->short_codes.v[0].trunk = xstrdup("pstn");
	u->short_codes.n = 1;
	user_visitor_add(u, "paris");
}

START_TEST(test_site_visitor_rung_and_dials_like_a_local_user)
{
	struct sip_msg	*inv;
	const char	*cause;
	char		*from;

	/* R5: "Sales" is not a rights name here: no rights, no bar. */
	visitor_add("Sales", "Office Hours");
	ck_assert_int_eq(hotdesk_login("401", "299", HDR_USER, &cause), 0);
	bind_add("299", 5075);
	dir_add("401", "Vera Visitor", "paris", "london");
	/* Alice calls the visitor: her phone here rings. */
	phone_invite("v1", "401");
	inv = cap_find("INVITE", 0, 5075);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 0);
	/* The visitor dials: own short code first, then our trunks. */
	test_authed = &exts[2];
	phone_invite("v2", "*77");
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:0033140000000@127.0.0.1:5090");
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Vera Visitor\" <sip:401@"));
	free(from);
	phone_invite("v3", "9012345");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	ck_assert_str_eq(sip_msg_ruri(cap_find("INVITE", 0, 5090)),
	    "sip:012345@127.0.0.1:5090");
	/*
	 * "Night" exists here (outgoing call bar); with no time profile
	 * here the working-hours rights hold at all times.
	 */
	visitor_add("Night", "No Such Profile");
	phone_invite("v4", "9012345");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5061)),
	    "Outgoing Calls Barred");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
}
END_TEST

START_TEST(test_site_breakout_by_name_and_by_id)
{
	static struct shortcode	 uc[2];
	struct sip_msg		*inv;
	char			 all[512], *from;

	uc[0] = (struct shortcode){ .code = "*77", .feature = SC_DIAL,
	    .number = "0033140000000", .trunk = "pstn" };
	uc[1] = (struct shortcode){ .code = "*78", .feature = SC_DIAL,
	    .number = "1;2", .trunk = "pstn" };
	users[0].short_codes.v = uc;
	users[0].short_codes.n = 2;
	users[0].user_rights = "Sales";
	users[0].out_of_hours_user_rights = "Night";
	users[0].working_hours_time_profile = "Office Hours";

	phone_invite("b1", "*81902079460000");
	inv = cap_find("INVITE", 0, 5062);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv),
	    "sip:902079460000@127.0.0.1:5062");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Site"), "london");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Hops"), "1");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Breakout"), "1");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-User"), "201");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Rights"), "Sales");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-OOH-Rights"), "Night");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Time-Profile"),
	    "Office Hours");
	header_all(inv, "X-Roam-Short-Code", all, sizeof(all));
	ck_assert_str_eq(all, "*77;dial;0033140000000;pstn|"
	    "*78;dial;1%3B2;pstn");
	from = sip_msg_from_text(inv);
	ck_assert_ptr_nonnull(strstr(from, "\"Alice Smith\" <sip:201@"));
	free(from);

	/* "<site id>*<digits>": 2 is paris. */
	users[0].out_of_hours_user_rights = NULL;
	users[0].working_hours_time_profile = NULL;
	phone_invite("b2", "*80*2*902079460000#");
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 2);
	inv = cap_find("INVITE", 0, 5062);
	ck_assert_str_eq(sip_msg_ruri(inv),
	    "sip:902079460000@127.0.0.1:5062");
	ck_assert_str_eq(sip_msg_header(inv, "X-Roam-Breakout"), "1");
	/* Empty names are left out. */
	ck_assert_ptr_null(sip_msg_header(inv, "X-Roam-OOH-Rights"));
	ck_assert_ptr_null(sip_msg_header(inv, "X-Roam-Time-Profile"));
	/* 3 is berlin. */
	phone_invite("b3", "*80*3*0301234#");
	ck_assert_str_eq(sip_msg_ruri(cap_find("INVITE", 0, 5063)),
	    "sip:0301234@127.0.0.1:5063");
	/* Our own id: dialled here (9N to our trunk). */
	phone_invite("b4", "*80*1*9012345#");
	ck_assert_str_eq(sip_msg_ruri(cap_find("INVITE", 0, 5090)),
	    "sip:012345@127.0.0.1:5090");
	/* D3: an emergency number never leaves by another site. */
	phone_invite("b5", "*81999");
	ck_assert_str_eq(sip_msg_ruri(cap_find("INVITE", 0, 5090)),
	    "sip:999@127.0.0.1:5090");
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 2);
}
END_TEST

START_TEST(test_site_breakout_unknown_site_404)
{
	static struct shortcode	 uc[1];

	phone_invite("b6", "*80*7*123#");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5061)),
	    "Unknown Site");
	uc[0] = (struct shortcode){ .code = "*82N", .feature = SC_BREAK_OUT,
	    .number = "N", .site = "rome" };
	users[0].short_codes.v = uc;
	users[0].short_codes.n = 1;
	phone_invite("b7", "*82123");
	ck_assert_int_eq(cap_count(NULL, 404, 5061), 2);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 404, 5061)),
	    "Unknown Site");
	ck_assert_int_eq(cap_count("INVITE", 0, 0), 0);
}
END_TEST

START_TEST(test_site_breakout_link_down_480)
{
	paris_up = 0;
	phone_invite("b8", "*81123");
	phone_invite("b9", "*80*2*123#");
	ck_assert_int_eq(cap_count(NULL, 480, 5061), 2);
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    "Site Unreachable");
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 0);
}
END_TEST

START_TEST(test_site_breakout_nouser_refused)
{
	test_authed = &exts[2];		/* 299: NoUser */
	phone_invite("b10", "*81123");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5061)),
	    "No User Logged In");
	ck_assert_int_eq(cap_count("INVITE", 0, 5062), 0);
}
END_TEST

START_TEST(test_site_breakout_received_as_if_dialled_here)
{
	struct sip_msg	*inv;

	/* Paris's user with her short code; her rights unknown here. */
	site_invite(5062, "paris", 1, "r1", "*55",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n"
	    "X-Roam-Rights: Paris Staff\r\n"
	    "X-Roam-Short-Code: *55;dial;0044111;pstn\r\n"
	    "X-Roam-Short-Code: *56;barred;;\r\n");
	inv = cap_find("INVITE", 0, 5090);
	ck_assert_ptr_nonnull(inv);
	ck_assert_str_eq(sip_msg_ruri(inv), "sip:0044111@127.0.0.1:5090");
	ck_assert_str_eq(sip_msg_from_user(inv), "305");
	ck_assert_ptr_null(sip_msg_header(inv, "X-Roam-User"));
	/* The second carried code counts too. */
	site_invite(5062, "paris", 1, "r2", "*56",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n"
	    "X-Roam-Short-Code: *55;dial;0044111;pstn\r\n"
	    "X-Roam-Short-Code: *56;barred;;\r\n");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5062)),
	    "Barred");
	/* Our system codes and trunk. */
	site_invite(5062, "paris", 1, "r3", "9012345",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	ck_assert_str_eq(sip_msg_ruri(cap_find("INVITE", 0, 5090)),
	    "sip:012345@127.0.0.1:5090");
	/* Rights by name here: "Night" bars outgoing calls. */
	site_invite(5062, "paris", 1, "r4", "9012345",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n"
	    "X-Roam-Rights: Night\r\n");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 403, 5062)),
	    "Outgoing Calls Barred");
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
	/* Without a user it is a NoUser dialling: refused. */
	site_invite(5062, "paris", 1, "r5", "9012345",
	    "X-Roam-Breakout: 1\r\n");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 480, 5062)),
	    "No User Logged In");
	/* Not from a peer: the headers buy nothing. */
	test_authed = NULL;
	site_invite(5064, "paris", 1, "r6", "9012345",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n");
	ck_assert_int_eq(cap_count(NULL, 407, 5064), 1);
	ck_assert_int_eq(cap_count("INVITE", 0, 5090), 2);
}
END_TEST

START_TEST(test_site_breakout_carries_to_the_hop_limit)
{
	/* A received break out at the limit may not go on. */
	site_invite(5062, "paris", 4, "r7", "*80*3*123%23",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n");
	ck_assert_str_eq(sip_msg_reason(cap_find(NULL, 482, 5062)),
	    "Loop Detected");
	ck_assert_int_eq(cap_count("INVITE", 0, 5063), 0);
	site_invite(5062, "paris", 2, "r8", "*80*3*123%23",
	    "X-Roam-Breakout: 1\r\nX-Roam-User: 305\r\n"
	    "X-Roam-Short-Code: *9%3B;dial;1;pstn\r\n");
	ck_assert_str_eq(sip_msg_header(cap_find("INVITE", 0, 5063),
	    "X-Roam-Hops"), "3");
	ck_assert_str_eq(sip_msg_header(cap_find("INVITE", 0, 5063),
	    "X-Roam-User"), "305");
}
END_TEST

/* The suite. */
static Suite *
call_suite(void)
{
	Suite	*s = suite_create("call");
	TCase	*tc = tcase_create("b2bua");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_call_answered_then_bye_caller);
	tcase_add_test(tc, test_call_bye_from_callee_reaches_caller);
	tcase_add_test(tc, test_call_busy_callee_gives_caller_busy);
	tcase_add_test(tc, test_call_cancel_while_ringing);
	tcase_add_test(tc, test_call_forks_first_answer_wins);
	tcase_add_test(tc, test_call_all_forks_fail_busy_wins);
	tcase_add_test(tc, test_call_unregistered_user_not_registered);
	tcase_add_test(tc, test_call_logged_out_user_busy);
	tcase_add_test(tc, test_call_unknown_number_unobtainable);
	tcase_add_test(tc, test_call_barred_code);
	tcase_add_test(tc, test_call_outgoing_trunk);
	tcase_add_test(tc, test_call_trunk_challenge_answered_once);
	tcase_add_test(tc, test_call_nouser_phone_only_emergency);
	tcase_add_test(tc, test_call_ddi_from_trunk_rings_user);
	tcase_add_test(tc, test_call_unknown_ddi);
	tcase_add_test(tc, test_call_bye_without_call_481);
	tcase_add_test(tc, test_call_late_offer_ack_carries_answer);
	tcase_add_test(tc, test_call_reinvite_relayed_both_ways);
	tcase_add_test(tc, test_call_update_info_relayed);
	tcase_add_test(tc, test_call_callee_bye_before_caller_ack);
	tcase_add_test(tc, test_call_caller_bye_before_ack);
	tcase_add_test(tc, test_call_cancel_after_answer_keeps_call);
	tcase_add_test(tc, test_call_no_ack_hangs_up_both);
	tcase_add_test(tc, test_call_outgoing_bar_blocks_trunk_not_emergency);
	tcase_add_test(tc, test_call_max_forwards_zero_483);
	tcase_add_test(tc, test_call_late_2xx_after_cancel_is_hung_up);
	tcase_add_test(tc, test_call_feature_dnd_on_answered_tone_then_bye);
	tcase_add_test(tc, test_call_feature_bye_from_phone_first);
	tcase_add_test(tc, test_call_feature_wrong_login_code);
	tcase_add_test(tc, test_call_feature_no_ack_ends);
	tcase_add_test(tc, test_call_site_external_limit);
	tcase_add_test(tc, test_call_user_external_limit_until_hangup);
	tcase_add_test(tc, test_call_allowed_prefixes);
	tcase_add_test(tc, test_call_feature_unstorable_setting_refused);
	tcase_add_test(tc, test_call_feature_nouser_may_log_in);
	tcase_add_test(tc, test_call_dnd_caller_gets_busy);
	tcase_add_test(tc, test_call_forward_unconditional_rings_target);
	tcase_add_test(tc, test_call_forward_unconditional_to_trunk);
	tcase_add_test(tc, test_call_forward_follows_forwarders_call_bar);
	tcase_add_test(tc, test_call_forward_on_busy);
	tcase_add_test(tc, test_call_dnd_forwards_on_busy);
	tcase_add_test(tc, test_call_forward_on_no_answer);
	tcase_add_test(tc, test_call_forward_loop_stopped);
	tcase_add_test(tc, test_call_forward_busy_loop_gives_busy);
	tcase_add_test(tc, test_call_emergency_nouser_carries_location);
	tcase_add_test(tc, test_call_emergency_not_shadowed_by_rights_bar);
	tcase_add_test(tc, test_call_other_domain_not_found);
	tcase_add_test(tc, test_site_call_from_peer_rings_without_auth);
	tcase_add_test(tc, test_site_call_from_other_address_challenged);
	tcase_add_test(tc, test_site_call_to_user_logged_in_at_paris);
	tcase_add_test(tc, test_site_own_user_on_host_gets_calls_and_ddi);
	tcase_add_test(tc, test_site_logged_out_user_goes_home);
	tcase_add_test(tc, test_site_unreachable_480);
	tcase_add_test(tc, test_site_peer_call_follows_directory_hop_limited);
	tcase_add_test(tc, test_site_visitor_rung_and_dials_like_a_local_user);
	tcase_add_test(tc, test_site_breakout_by_name_and_by_id);
	tcase_add_test(tc, test_site_breakout_unknown_site_404);
	tcase_add_test(tc, test_site_breakout_link_down_480);
	tcase_add_test(tc, test_site_breakout_nouser_refused);
	tcase_add_test(tc, test_site_breakout_received_as_if_dialled_here);
	tcase_add_test(tc, test_site_breakout_carries_to_the_hop_limit);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(call_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
