/*
 * The SIP message adapter: parsing what phones and trunks send, the
 * pre-scan limits, building responses and requests, and surviving
 * garbage (run under ASan/UBSan).
 */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_pool.h"

struct roamd;
struct roamd *env;

#define CRLF	"\r\n"

static const char msg_register[] =
    "REGISTER sip:london.example.net SIP/2.0" CRLF
    "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK776asdhds;rport" CRLF
    "Max-Forwards: 70" CRLF
    "From: \"Desk 201\" <sip:201@london.example.net>;tag=1928301774" CRLF
    "To: <sip:201@london.example.net>" CRLF
    "Call-ID: a84b4c76e66710@pc33.example.net" CRLF
    "CSeq: 314159 REGISTER" CRLF
    "Contact: <sip:201@192.168.1.20:5062;transport=udp>;expires=3600" CRLF
    "Authorization: Digest username=\"201\", realm=\"london.example.net\", "
    "nonce=\"abc123\", uri=\"sip:london.example.net\", "
    "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, "
    "cnonce=\"xyz\", opaque=\"op\", qop=auth, nc=00000001" CRLF
    "Expires: 3600" CRLF
    "User-Agent: TestPhone/1.0" CRLF
    "Content-Length: 0" CRLF CRLF;

static const char sdp_offer[] =
    "v=0" CRLF
    "o=201 1 1 IN IP4 192.168.1.20" CRLF
    "s=-" CRLF
    "c=IN IP4 192.168.1.20" CRLF
    "t=0 0" CRLF
    "m=audio 49170 RTP/AVP 0 8 101" CRLF
    "a=sendrecv" CRLF;

static char msg_invite[2048];

static const char msg_200[] =
    "SIP/2.0 200 OK" CRLF
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds8;received=10.0.0.9"
    CRLF
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK77ef4c2312983.1" CRLF
    "From: <sip:201@london.example.net>;tag=abc" CRLF
    "To: <sip:301@london.example.net>;tag=def" CRLF
    "Call-ID: 3848276298220188511@atlanta.example.com" CRLF
    "CSeq: 2 INVITE" CRLF
    "Contact: <sip:301@10.0.0.30>" CRLF
    "Record-Route: <sip:p1.example.com;lr>" CRLF
    "Record-Route: <sip:p2.example.com;lr>" CRLF
    "Content-Length: 0" CRLF CRLF;

static const char msg_401[] =
    "SIP/2.0 401 Unauthorized" CRLF
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds8" CRLF
    "From: <sip:roam@trunk.example.com>;tag=abc" CRLF
    "To: <sip:roam@trunk.example.com>;tag=xyz" CRLF
    "Call-ID: reg1@10.0.0.1" CRLF
    "CSeq: 1 REGISTER" CRLF
    "WWW-Authenticate: Digest realm=\"trunk.example.com\", "
    "nonce=\"n0nce\", opaque=\"0paque\", qop=\"auth\", algorithm=MD5, "
    "stale=TRUE" CRLF
    "Content-Length: 0" CRLF CRLF;

/* Build the INVITE with its SDP body once. */
static void
setup_invite(void)
{
	snprintf(msg_invite, sizeof msg_invite,
	    "INVITE sip:%%23301@london.example.net:5060;user=phone SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKinv1;rport" CRLF
	    "Max-Forwards: 70" CRLF
	    "From: \"Alice \\\"A\\\"\" <sip:201@london.example.net>;tag=t1" CRLF
	    "To: <sip:#301@london.example.net>" CRLF
	    "Call-ID: inv-1@192.168.1.20" CRLF
	    "CSeq: 20 INVITE" CRLF
	    "Contact: <sip:201@192.168.1.20:5062>" CRLF
	    "Content-Type: application/sdp" CRLF
	    "Content-Length: %zu" CRLF CRLF "%s",
	    strlen(sdp_offer), sdp_offer);
}

/* Parse a C string; asserts the outcome. */
static struct sip_msg *
parse_ok(const char *s)
{
	struct sip_msg	*m = NULL;
	const char	*cause = NULL;
	int		 status = -1;

	ck_assert_msg(sip_msg_parse(s, strlen(s), &m, &status, &cause) == 0,
	    "refused: %s", cause);
	ck_assert_int_eq(status, 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Parse bytes expected to be refused; returns the partial message. */
static struct sip_msg *
parse_bad(const char *s, size_t len, int want_status)
{
	struct sip_msg	*m = NULL;
	const char	*cause = NULL;
	int		 status = -1;

	ck_assert_int_eq(sip_msg_parse(s, len, &m, &status, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_int_eq(status, want_status);
	if (want_status == 0)
		ck_assert_ptr_null(m);
	else
		ck_assert_ptr_nonnull(m);
	return m;
}

/*
 * A thousand messages parsed, answered and freed, some with headers longer
 * than any pooled piece: every one reads and serialises the same as the
 * first (osip's pieces come back from the slabs intact, grow in place or
 * move when they outgrow their size), and once they are freed nothing of
 * theirs stays in use and the slabs went back to the system.
 */
START_TEST(test_many_messages_through_the_osip_pool)
{
	struct sip_pool_stats	 st;
	struct sip_msg		*m, *r;
	char			 big[1400], *first = NULL, *s;
	size_t			 len, i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 1000; i++) {
		m = parse_ok(msg_register);
		if (i % 3 == 0)
			ck_assert_int_eq(sip_msg_add_header(m, "X-Big", big), 0);
		ck_assert_str_eq(sip_msg_callid(m),
		    "a84b4c76e66710@pc33.example.net");
		r = sip_msg_response(m, 401, NULL, "tag-1");
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(sip_msg_add_header(r, "WWW-Authenticate",
		    "Digest realm=\"london.example.net\", nonce=\"n1\""), 0);
		s = sip_msg_serialize(r, &len);
		ck_assert_ptr_nonnull(s);
		if (first == NULL)
			first = s;
		else {
			ck_assert_str_eq(s, first);
			free(s);
		}
		s = sip_msg_serialize(m, &len);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(strstr(s, big) != NULL, i % 3 == 0);
		free(s);
		sip_msg_free(r);
		sip_msg_free(m);
	}
	free(first);
	sip_pool_stats(&st);
	if (st.installed) {
		/* Nothing left in use; at most one empty slab per class. */
		ck_assert_uint_eq(st.pieces, 0);
		ck_assert_uint_eq(st.big, 0);
		ck_assert_uint_le(st.slabs, 36);
	}
}
END_TEST

START_TEST(test_register_parses_with_every_accessor)
{
	struct sip_msg		*m = parse_ok(msg_register);
	struct sip_contact	 c;
	struct sip_auth		 a;
	char			*s;

	ck_assert(sip_msg_is_request(m));
	ck_assert_str_eq(sip_msg_method(m), "REGISTER");
	ck_assert_int_eq(sip_msg_status(m), 0);
	ck_assert_str_eq(sip_msg_callid(m), "a84b4c76e66710@pc33.example.net");
	ck_assert_uint_eq(sip_msg_cseq(m), 314159);
	ck_assert_str_eq(sip_msg_cseq_method(m), "REGISTER");
	ck_assert_str_eq(sip_msg_ruri(m), "sip:london.example.net");
	ck_assert_ptr_null(sip_msg_ruri_user(m));
	ck_assert_str_eq(sip_msg_ruri_host(m), "london.example.net");
	ck_assert_int_eq(sip_msg_ruri_port(m), 0);
	ck_assert_str_eq(sip_msg_from_user(m), "201");
	ck_assert_str_eq(sip_msg_from_display(m), "Desk 201");
	ck_assert_str_eq(sip_msg_from_tag(m), "1928301774");
	ck_assert_str_eq(sip_msg_to_user(m), "201");
	ck_assert_ptr_null(sip_msg_to_tag(m));
	s = sip_msg_from_text(m);
	ck_assert_ptr_nonnull(strstr(s, "<sip:201@london.example.net>"));
	free(s);
	s = sip_msg_to_text(m);
	ck_assert_str_eq(s, "<sip:201@london.example.net>");
	free(s);
	ck_assert_str_eq(sip_msg_via_branch(m), "z9hG4bK776asdhds");
	ck_assert_str_eq(sip_msg_via_host(m), "192.168.1.20");
	ck_assert_int_eq(sip_msg_via_port(m), 5062);
	ck_assert_uint_eq(sip_msg_via_count(m), 1);
	ck_assert_int_eq(sip_msg_expires(m), 3600);
	ck_assert_int_eq(sip_msg_max_forwards(m), 70);
	ck_assert_str_eq(sip_msg_header(m, "user-agent"), "TestPhone/1.0");
	ck_assert(sip_msg_has_header(m, "authorization"));
	ck_assert(sip_msg_has_header(m, "User-Agent"));
	ck_assert(sip_msg_has_header(m, "t"));
	ck_assert(!sip_msg_has_header(m, "Proxy-Authorization"));
	ck_assert(!sip_msg_has_header(m, "X-Absent"));
	ck_assert_str_eq(sip_msg_header(m, "Call-ID"),
	    "a84b4c76e66710@pc33.example.net");
	ck_assert_str_eq(sip_msg_header(m, "CSeq"), "314159 REGISTER");
	ck_assert_ptr_null(sip_msg_header(m, "Subject"));
	ck_assert_uint_eq(sip_msg_ncontacts(m), 1);
	ck_assert_int_eq(sip_msg_contact(m, 0, &c), 0);
	ck_assert_str_eq(c.uri, "sip:201@192.168.1.20:5062;transport=udp");
	ck_assert_int_eq(c.expires, 3600);
	ck_assert_int_eq(sip_msg_contact(m, 1, &c), -1);
	s = sip_msg_contact_uri(m);
	ck_assert_str_eq(s, "sip:201@192.168.1.20:5062;transport=udp");
	free(s);
	ck_assert_int_eq(sip_msg_auth(m, "Authorization", &a), 0);
	ck_assert_str_eq(a.username, "201");
	ck_assert_str_eq(a.realm, "london.example.net");
	ck_assert_str_eq(a.nonce, "abc123");
	ck_assert_str_eq(a.uri, "sip:london.example.net");
	ck_assert_str_eq(a.response, "0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(a.algorithm, "MD5");
	ck_assert_str_eq(a.cnonce, "xyz");
	ck_assert_str_eq(a.opaque, "op");
	ck_assert_str_eq(a.qop, "auth");
	ck_assert_str_eq(a.nc, "00000001");
	ck_assert_int_eq(sip_msg_auth(m, "Proxy-Authorization", &a), -1);
	ck_assert_ptr_null(a.username);
	sip_msg_free(m);
}
END_TEST

/* Header names we add go out in their usual spelling, not osip's. */
START_TEST(test_added_header_names_keep_their_spelling)
{
	struct sip_msg	*m;
	char		*text;

	m = sip_msg_request("INVITE", "sip:999@carrier.test",
	    "<sip:201@london.test>;tag=a", "<sip:999@carrier.test>", "c1", 1);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(sip_msg_add_header(m, "X-Roam-Location", "desk 1"), 0);
	ck_assert_int_eq(sip_msg_add_header(m, "Min-Expires", "60"), 0);
	/* The overload 503's: carriers match "Retry-After" exactly. */
	ck_assert_int_eq(sip_msg_add_header(m, "Retry-After", "5"), 0);
	text = sip_msg_serialize(m, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\r\nX-Roam-Location: desk 1\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nMin-Expires: 60\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nRetry-After: 5\r\n"));
	free(text);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_register_star_contact_removes_all)
{
	static const char s[] =
	    "REGISTER sip:london.example.net SIP/2.0" CRLF
	    "v: SIP/2.0/TCP 192.168.1.20;branch=z9hG4bKs" CRLF
	    "f: <sip:201@london.example.net>;tag=1" CRLF
	    "t: <sip:201@london.example.net>" CRLF
	    "i: star@x" CRLF
	    "CSeq: 2 REGISTER" CRLF
	    "m: *" CRLF
	    "Expires: 0" CRLF
	    "l: 0" CRLF CRLF;
	struct sip_msg		*m = parse_ok(s);
	struct sip_contact	 c;

	ck_assert_uint_eq(sip_msg_ncontacts(m), 1);
	ck_assert_int_eq(sip_msg_contact(m, 0, &c), 0);
	ck_assert_str_eq(c.uri, "*");
	ck_assert_int_eq(c.expires, -1);
	ck_assert_int_eq(sip_msg_expires(m), 0);
	ck_assert_str_eq(sip_msg_callid(m), "star@x");
	ck_assert_int_eq(sip_msg_via_port(m), 0);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_invite_with_sdp_and_escaped_user)
{
	struct sip_msg	*m;
	const char	*body;
	size_t		 len;

	setup_invite();
	m = parse_ok(msg_invite);
	ck_assert_str_eq(sip_msg_method(m), "INVITE");
	/* Phones send "%23" and "#": the dialled string is the same. */
	ck_assert_str_eq(sip_msg_ruri_user(m), "#301");
	ck_assert_str_eq(sip_msg_to_user(m), "#301");
	ck_assert_int_eq(sip_msg_ruri_port(m), 5060);
	ck_assert_str_eq(sip_msg_from_display(m), "Alice \"A\"");
	ck_assert_str_eq(sip_msg_content_type(m), "application/sdp");
	body = sip_msg_body(m, &len);
	ck_assert_uint_eq(len, strlen(sdp_offer));
	ck_assert(memcmp(body, sdp_offer, len) == 0);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_tel_uri_from_a_trunk)
{
	static const char s[] =
	    "INVITE tel:+442071234567;phone-context=x SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKtel" CRLF
	    "From: <sip:carrier@203.0.113.5>;tag=c1" CRLF
	    "To: <tel:+442071234567>" CRLF
	    "Call-ID: tel-1" CRLF
	    "CSeq: 1 INVITE" CRLF CRLF;
	struct sip_msg	*m = parse_ok(s);

	ck_assert_str_eq(sip_msg_ruri_user(m), "+442071234567");
	ck_assert_ptr_null(sip_msg_ruri_host(m));
	ck_assert_str_eq(sip_msg_to_user(m), "+442071234567");
	ck_assert_str_eq(sip_msg_ruri(m), "tel:+442071234567;phone-context=x");
	sip_msg_free(m);
}
END_TEST

START_TEST(test_200_ok_response_accessors)
{
	struct sip_msg	*m = parse_ok(msg_200);
	char		**rr;
	size_t		  n;

	ck_assert(!sip_msg_is_request(m));
	ck_assert_int_eq(sip_msg_status(m), 200);
	ck_assert_str_eq(sip_msg_reason(m), "OK");
	ck_assert_ptr_null(sip_msg_method(m));
	ck_assert_str_eq(sip_msg_cseq_method(m), "INVITE");
	ck_assert_str_eq(sip_msg_to_tag(m), "def");
	ck_assert_uint_eq(sip_msg_via_count(m), 2);
	ck_assert_str_eq(sip_msg_via_branch(m), "z9hG4bKnashds8");
	n = sip_msg_record_routes(m, &rr);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rr[0], "<sip:p1.example.com;lr>");
	ck_assert_str_eq(rr[1], "<sip:p2.example.com;lr>");
	free(rr[0]);
	free(rr[1]);
	free(rr);
	ck_assert_int_eq(sip_msg_pop_via(m), 0);
	ck_assert_uint_eq(sip_msg_via_count(m), 1);
	ck_assert_str_eq(sip_msg_via_branch(m), "z9hG4bK77ef4c2312983.1");
	ck_assert_int_eq(sip_msg_pop_via(m), 0);
	ck_assert_int_eq(sip_msg_pop_via(m), -1);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_401_challenge)
{
	struct sip_msg		*m = parse_ok(msg_401);
	struct sip_challenge	 c;

	ck_assert_int_eq(sip_msg_status(m), 401);
	ck_assert_int_eq(sip_msg_challenge(m, &c), 0);
	ck_assert_str_eq(c.realm, "trunk.example.com");
	ck_assert_str_eq(c.nonce, "n0nce");
	ck_assert_str_eq(c.opaque, "0paque");
	ck_assert_str_eq(c.qop, "auth");
	ck_assert_str_eq(c.algorithm, "MD5");
	ck_assert_int_eq(c.stale, 1);
	sip_msg_free(m);
	m = parse_ok(msg_200);
	ck_assert_int_eq(sip_msg_challenge(m, &c), -1);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_strings_survive_changes_to_the_message)
{
	struct sip_msg	*m = parse_ok(msg_register);
	const char	*ua, *cid;

	ua = sip_msg_header(m, "User-Agent");
	cid = sip_msg_callid(m);
	ck_assert_int_eq(sip_msg_set_header(m, "User-Agent", "Other/2"), 0);
	ck_assert_int_eq(sip_msg_set_header(m, "Call-ID", "new@id"), 0);
	ck_assert_str_eq(ua, "TestPhone/1.0");
	ck_assert_str_eq(cid, "a84b4c76e66710@pc33.example.net");
	ck_assert_str_eq(sip_msg_header(m, "User-Agent"), "Other/2");
	ck_assert_str_eq(sip_msg_callid(m), "new@id");
	sip_msg_free(m);
}
END_TEST

START_TEST(test_response_copies_headers_and_adds_to_tag)
{
	struct sip_msg	*req, *r, *back;
	char		*text;
	size_t		 len;
	const char	*cause;
	int		 status;

	req = parse_ok(msg_register);
	r = sip_msg_response(req, 200, "OK", "mytag");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(sip_msg_status(r), 200);
	ck_assert_str_eq(sip_msg_to_tag(r), "mytag");
	ck_assert_str_eq(sip_msg_from_tag(r), "1928301774");
	ck_assert_str_eq(sip_msg_callid(r), sip_msg_callid(req));
	ck_assert_uint_eq(sip_msg_cseq(r), 314159);
	ck_assert_str_eq(sip_msg_via_branch(r), "z9hG4bK776asdhds");
	ck_assert_ptr_null(sip_msg_header(r, "User-Agent"));
	text = sip_msg_serialize(r, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert(strncmp(text, "SIP/2.0 200 OK\r\n", 16) == 0);
	ck_assert_int_eq(sip_msg_parse(text, len, &back, &status, &cause), 0);
	ck_assert_str_eq(sip_msg_to_tag(back), "mytag");
	ck_assert_str_eq(sip_msg_header(back, "Content-Length"), "0");
	sip_msg_free(back);
	free(text);
	sip_msg_free(r);

	/* 100 Trying gets no tag; a To that has one keeps it. */
	r = sip_msg_response(req, 100, NULL, "mytag");
	ck_assert_ptr_null(sip_msg_to_tag(r));
	ck_assert_str_eq(sip_msg_reason(r), "Trying");
	sip_msg_free(r);
	sip_msg_free(req);
	req = parse_ok(msg_200);
	ck_assert_ptr_null(sip_msg_response(req, 200, "OK", "x"));
	sip_msg_free(req);
}
END_TEST

START_TEST(test_response_keeps_all_vias_in_order)
{
	static const char s[] =
	    "OPTIONS sip:301@london.example.net SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
	    "SIP/2.0/UDP b.example.com;branch=z9hG4bK2" CRLF
	    "Via: SIP/2.0/TCP c.example.com:5070;branch=z9hG4bK3" CRLF
	    "From: <sip:a@x>;tag=f" CRLF
	    "To: <sip:301@london.example.net>;tag=already" CRLF
	    "Call-ID: v@x" CRLF
	    "CSeq: 7 OPTIONS" CRLF CRLF;
	struct sip_msg	*req = parse_ok(s), *r;
	char		*text, *a, *b, *c;

	ck_assert_uint_eq(sip_msg_via_count(req), 3);
	r = sip_msg_response(req, 486, "Busy Here", "new");
	ck_assert_str_eq(sip_msg_to_tag(r), "already");
	text = sip_msg_serialize(r, NULL);
	a = strstr(text, "a.example.com");
	b = strstr(text, "b.example.com");
	c = strstr(text, "c.example.com:5070");
	ck_assert(a != NULL && b != NULL && c != NULL && a < b && b < c);
	ck_assert_ptr_nonnull(strstr(text, "SIP/2.0 486 Busy Here\r\n"));
	free(text);
	sip_msg_free(r);
	sip_msg_free(req);
}
END_TEST

START_TEST(test_request_build_serialize_reparse)
{
	struct sip_msg	*q, *back;
	char		*text, tok[17];
	size_t		 len, blen;
	const char	*cause, *body;
	int		 status;

	q = sip_msg_request("INVITE", "sip:301@192.168.1.30:5064",
	    "\"Alice\" <sip:201@london.example.net>;tag=ft",
	    "<sip:301@london.example.net>", "built-1@london", 5);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(sip_msg_max_forwards(q), 70);
	ck_assert_uint_eq(sip_msg_via_count(q), 0);
	sip_random_token(tok, sizeof tok);
	ck_assert_int_eq(sip_msg_push_via(q, "udp", "10.1.1.1", 5060, tok), 0);
	ck_assert_int_eq(sip_msg_add_header(q, "Contact",
	    "<sip:roam@10.1.1.1:5060>"), 0);
	ck_assert_int_eq(sip_msg_add_header(q, "X-Roam", "yes"), 0);
	ck_assert_int_eq(sip_msg_add_header(q, "X-Evil", "a\r\nVia: x"), -1);
	ck_assert_int_eq(sip_msg_add_header(q, "Bad Name", "v"), -1);
	ck_assert_int_eq(sip_msg_set_body(q, "application/sdp", sdp_offer,
	    strlen(sdp_offer)), 0);
	text = sip_msg_serialize(q, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(sip_msg_parse(text, len, &back, &status, &cause), 0);
	ck_assert_str_eq(sip_msg_method(back), "INVITE");
	ck_assert_str_eq(sip_msg_ruri_user(back), "301");
	ck_assert_int_eq(sip_msg_ruri_port(back), 5064);
	ck_assert_str_eq(sip_msg_from_display(back), "Alice");
	ck_assert_str_eq(sip_msg_from_tag(back), "ft");
	ck_assert_str_eq(sip_msg_callid(back), "built-1@london");
	ck_assert_uint_eq(sip_msg_cseq(back), 5);
	ck_assert_str_eq(sip_msg_cseq_method(back), "INVITE");
	ck_assert_str_eq(sip_msg_via_host(back), "10.1.1.1");
	ck_assert(strncmp(sip_msg_via_branch(back), "z9hG4bK", 7) == 0);
	ck_assert_str_eq(sip_msg_via_branch(back) + 7, tok);
	ck_assert_str_eq(sip_msg_header(back, "x-roam"), "yes");
	ck_assert_str_eq(sip_msg_content_type(back), "application/sdp");
	body = sip_msg_body(back, &blen);
	ck_assert_uint_eq(blen, strlen(sdp_offer));
	ck_assert(memcmp(body, sdp_offer, blen) == 0);
	sip_msg_free(back);
	free(text);

	/* Changing the R-URI and the body shows in the next serialisation. */
	ck_assert_int_eq(sip_msg_set_ruri(q, "sip:%23401@h.example"), 0);
	ck_assert_int_eq(sip_msg_set_body(q, NULL, NULL, 0), 0);
	text = sip_msg_serialize(q, &len);
	ck_assert_ptr_nonnull(strstr(text, "INVITE sip:%23401@h.example "));
	ck_assert_ptr_null(strstr(text, "application/sdp"));
	ck_assert_int_eq(sip_msg_parse(text, len, &back, &status, &cause), 0);
	ck_assert_str_eq(sip_msg_ruri_user(back), "#401");
	ck_assert_ptr_null(sip_msg_body(back, &blen));
	sip_msg_free(back);
	free(text);
	sip_msg_free(q);

	ck_assert_ptr_null(sip_msg_request("INVITE", "not a uri", "<sip:a@b>",
	    "<sip:c@d>", "x", 1));
}
END_TEST

START_TEST(test_push_via_ipv6_and_clone)
{
	struct sip_msg	*m = parse_ok(msg_register), *c;
	char		*text;

	ck_assert_int_eq(sip_msg_push_via(m, "tcp", "2001:db8::5", 5061,
	    "z9hG4bKabc"), 0);
	ck_assert_int_eq(sip_msg_push_via(m, "sctp", "h", 1, "b"), -1);
	ck_assert_str_eq(sip_msg_via_host(m), "2001:db8::5");
	ck_assert_str_eq(sip_msg_via_branch(m), "z9hG4bKabc");
	c = sip_msg_clone(m);
	sip_msg_free(m);
	text = sip_msg_serialize(c, NULL);
	ck_assert_ptr_nonnull(strstr(text,
	    "Via: SIP/2.0/TCP [2001:db8::5]:5061;branch=z9hG4bKabc;rport\r\n"
	    "Via: SIP/2.0/UDP 192.168.1.20:5062"));
	free(text);
	sip_msg_free(c);
}
END_TEST

START_TEST(test_received_and_rport)
{
	struct sip_msg	*m = parse_ok(msg_register);
	char		*text;

	/* RFC 3581: an empty rport is filled in, received= always added. */
	ck_assert_int_eq(sip_msg_via_set_received(m, "192.168.1.20", 40000),
	    0);
	text = sip_msg_serialize(m, NULL);
	ck_assert_ptr_nonnull(strstr(text,
	    "branch=z9hG4bK776asdhds;rport=40000;received=192.168.1.20\r\n"));
	free(text);
	sip_msg_free(m);

	/* RFC 3261 18.2.1: no rport, same host: nothing to add. */
	m = parse_ok(msg_401);
	ck_assert_int_eq(sip_msg_via_set_received(m, "10.0.0.1", 5060), 0);
	text = sip_msg_serialize(m, NULL);
	ck_assert_ptr_null(strstr(text, "received="));
	free(text);
	/* Different source: received= only, and set twice stays one. */
	ck_assert_int_eq(sip_msg_via_set_received(m, "203.0.113.9", 5060), 0);
	ck_assert_int_eq(sip_msg_via_set_received(m, "203.0.113.7", 5060), 0);
	text = sip_msg_serialize(m, NULL);
	ck_assert_ptr_nonnull(strstr(text,
	    "branch=z9hG4bKnashds8;received=203.0.113.7\r\n"));
	ck_assert_ptr_null(strstr(text, "rport"));
	free(text);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_set_header_replaces_and_removes)
{
	struct sip_msg	*m = parse_ok(msg_register);
	char		*text;

	ck_assert_int_eq(sip_msg_add_header(m, "Call-ID", "second"), -1);
	ck_assert_int_eq(sip_msg_set_header(m, "Expires", "60"), 0);
	ck_assert_int_eq(sip_msg_expires(m), 60);
	ck_assert_int_eq(sip_msg_set_header(m, "Contact", NULL), 0);
	ck_assert_uint_eq(sip_msg_ncontacts(m), 0);
	ck_assert_int_eq(sip_msg_add_header(m, "Supported", "path"), 0);
	ck_assert_int_eq(sip_msg_set_header(m, "k", NULL), 0);
	ck_assert_ptr_null(sip_msg_header(m, "Supported"));
	text = sip_msg_serialize(m, NULL);
	ck_assert_ptr_null(strstr(text, "Contact"));
	ck_assert_ptr_nonnull(strstr(text, "Expires: 60\r\n"));
	free(text);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_uri_split_unescape_token)
{
	char	*user, *host, *tr, buf[32], tok[9];
	int	 port;

	ck_assert_int_eq(sip_uri_split("sip:%23201@10.0.0.5:5070;transport=tcp",
	    &user, &host, &port, &tr), 0);
	ck_assert_str_eq(user, "#201");
	ck_assert_str_eq(host, "10.0.0.5");
	ck_assert_int_eq(port, 5070);
	ck_assert_str_eq(tr, "tcp");
	free(user);
	free(host);
	free(tr);
	ck_assert_int_eq(sip_uri_split("sip:[2001:db8::1]", &user, &host, &port,
	    &tr), 0);
	ck_assert_ptr_null(user);
	ck_assert_str_eq(host, "2001:db8::1");
	ck_assert_int_eq(port, 0);
	ck_assert_ptr_null(tr);
	free(host);
	ck_assert_int_eq(sip_uri_split("sip:a@h:99999", &user, &host, NULL,
	    NULL), -1);
	ck_assert_int_eq(sip_uri_split("sip:%zz@h", &user, &host, NULL,
	    NULL), -1);
	ck_assert_int_eq(sip_uri_split("garbage", NULL, NULL, NULL, NULL), -1);

	strcpy(buf, "%2A%23%2x%00%");
	sip_unescape(buf);
	ck_assert_str_eq(buf, "*#%2x%00%");

	sip_random_token(tok, sizeof tok);
	ck_assert_uint_eq(strlen(tok), 8);
	ck_assert_uint_eq(strspn(tok, "0123456789abcdef"), 8);
	sip_random_token(buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), 31);
	ck_assert_str_ne(buf, tok);
}
END_TEST

/* A REGISTER with extra bytes spliced in after the start line. */
static char *
with_headers(const char *extra, size_t *len)
{
	const char	*rest = strstr(msg_register, CRLF) + 2;
	size_t		 first = (size_t)(rest - msg_register);
	size_t		 elen = strlen(extra), rlen = strlen(rest);
	char		*s = malloc(first + elen + rlen + 1);

	memcpy(s, msg_register, first);
	memcpy(s + first, extra, elen);
	memcpy(s + first + elen, rest, rlen + 1);
	*len = first + elen + rlen;
	return s;
}

START_TEST(test_prescan_too_big_is_513)
{
	char		*s, *big;
	size_t		 len;
	struct sip_msg	*m;
	int		 status;
	const char	*cause;

	/* The headers are fine but the body makes the datagram too big. */
	len = strlen(msg_register);
	big = malloc(SIP_MAX_MSG + 100);
	memcpy(big, msg_register, len);
	memset(big + len, 'x', SIP_MAX_MSG + 100 - len);
	ck_assert_int_eq(sip_msg_prescan(big, SIP_MAX_MSG + 100, &status,
	    &cause), -1);
	ck_assert_int_eq(status, 513);
	m = parse_bad(big, SIP_MAX_MSG + 100, 513);
	ck_assert_str_eq(sip_msg_callid(m), "a84b4c76e66710@pc33.example.net");
	sip_msg_free(m);
	free(big);

	s = with_headers("", &len);
	ck_assert_int_eq(sip_msg_prescan(s, len, &status, &cause), 0);
	free(s);
}
END_TEST

START_TEST(test_prescan_too_many_headers_and_long_line)
{
	char		 extra[SIP_MAX_LINE + 64], *hdrs, *s;
	size_t		 len, i, off = 0;
	struct sip_msg	*m;

	hdrs = malloc((SIP_MAX_HEADERS + 1) * 16);
	for (i = 0; i < SIP_MAX_HEADERS; i++)
		off += (size_t)sprintf(hdrs + off, "X-H%zu: v" CRLF, i);
	s = with_headers(hdrs, &len);
	m = parse_bad(s, len, 400);
	/* Still answerable: the rescue parse keeps the essential five. */
	ck_assert_str_eq(sip_msg_method(m), "REGISTER");
	sip_msg_free(m);
	free(s);
	free(hdrs);

	memcpy(extra, "X-Long: ", 8);
	memset(extra + 8, 'a', SIP_MAX_LINE);
	memcpy(extra + 8 + SIP_MAX_LINE, CRLF, 3);
	s = with_headers(extra, &len);
	m = parse_bad(s, len, 400);
	ck_assert_ptr_nonnull(sip_msg_callid(m));
	ck_assert_ptr_null(sip_msg_header(m, "X-Long"));
	sip_msg_free(m);
	free(s);

	/* Just under the limit is fine. */
	extra[8 + SIP_MAX_LINE - 9] = '\0';
	strcat(extra, CRLF);
	s = with_headers(extra, &len);
	m = parse_ok(s);
	ck_assert_uint_eq(strlen(sip_msg_header(m, "X-Long")),
	    SIP_MAX_LINE - 9);
	sip_msg_free(m);
	free(s);
}
END_TEST

START_TEST(test_prescan_nul_and_control_bytes)
{
	char		*s;
	size_t		 len;
	struct sip_msg	*m;

	/* with_headers() stops at a NUL: splice this one by hand. */
	{
		static const char	 x[] = "X-Nul: a\0b" CRLF;
		const char		*rest = strstr(msg_register, CRLF) + 2;
		size_t			 first = (size_t)(rest - msg_register);

		len = first + sizeof x - 1 + strlen(rest);
		s = malloc(len);
		memcpy(s, msg_register, first);
		memcpy(s + first, x, sizeof x - 1);
		memcpy(s + first + sizeof x - 1, rest, strlen(rest));
	}
	m = parse_bad(s, len, 400);
	ck_assert_ptr_null(sip_msg_header(m, "X-Nul"));
	sip_msg_free(m);
	free(s);

	s = with_headers("X-Bell: \a" CRLF, &len);
	m = parse_bad(s, len, 400);
	sip_msg_free(m);
	free(s);
	s = with_headers("X-CR: a\rb" CRLF, &len);
	m = parse_bad(s, len, 400);
	sip_msg_free(m);
	free(s);
}
END_TEST

START_TEST(test_prescan_missing_end_of_headers)
{
	size_t		 len = strlen(msg_register) - 2;
	struct sip_msg	*m;
	int		 status;
	const char	*cause;

	ck_assert_int_eq(sip_msg_prescan(msg_register, len, &status, &cause),
	    -1);
	ck_assert_int_eq(status, 400);
	m = parse_bad(msg_register, len, 400);
	sip_msg_free(m);
	/* A response without its end is dropped, not answered. */
	parse_bad(msg_200, strlen(msg_200) - 2, 0);
}
END_TEST

START_TEST(test_prescan_bad_start_lines_are_dropped)
{
	static const char	*bad[] = {
		"HTTP/1.1 200 OK" CRLF CRLF,
		"INVITE  sip:a@b SIP/2.0" CRLF CRLF,
		"INVITE sip:a@b SIP/3.0" CRLF CRLF,
		"INVITE http://a SIP/2.0" CRLF CRLF,
		"SIP/2.0 99 Low" CRLF CRLF,
		"SIP/2.0 200" CRLF "Call-ID: a" CRLF CRLF,
		"INV\001TE sip:a@b SIP/2.0" CRLF CRLF,
		CRLF CRLF,
		"",
	};
	size_t			 i;
	int			 status;
	const char		*cause;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(sip_msg_prescan(bad[i], strlen(bad[i]),
		    &status, &cause), -1);
		ck_assert_int_eq(status, 0);
		parse_bad(bad[i], strlen(bad[i]), 0);
	}
}
END_TEST

START_TEST(test_prescan_multipart_is_415_and_answerable)
{
	static const char s[] =
	    "INVITE sip:301@london.example.net SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP 192.168.1.20;branch=z9hG4bKmp" CRLF
	    "From: <sip:201@london.example.net>;tag=1" CRLF
	    "To: <sip:301@london.example.net>" CRLF
	    "Call-ID: mp@x" CRLF
	    "CSeq: 1 INVITE" CRLF
	    "Content-Type: multipart/mixed;boundary=\"unique\"" CRLF
	    "Content-Length: 40" CRLF CRLF
	    "--unique" CRLF "Content-Type: text/plain" CRLF CRLF "x" CRLF
	    "--uni";
	struct sip_msg	*m, *r;

	m = parse_bad(s, strlen(s), 415);
	ck_assert_str_eq(sip_msg_method(m), "INVITE");
	ck_assert_ptr_null(sip_msg_content_type(m));
	r = sip_msg_response(m, 415, "Unsupported Media Type", "t");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(sip_msg_callid(r), "mp@x");
	ck_assert_str_eq(sip_msg_via_branch(r), "z9hG4bKmp");
	sip_msg_free(r);
	sip_msg_free(m);
}
END_TEST

START_TEST(test_prescan_content_length)
{
	char		*s;
	size_t		 len;
	struct sip_msg	*m;
	const char	*body;

	setup_invite();
	/* Body shorter than Content-Length: 400. */
	m = parse_bad(msg_invite, strlen(msg_invite) - 5, 400);
	ck_assert_str_eq(sip_msg_callid(m), "inv-1@192.168.1.20");
	sip_msg_free(m);
	/* Longer: the excess is ignored (RFC 3261 18.3). */
	len = strlen(msg_invite);
	s = malloc(len + 10);
	memcpy(s, msg_invite, len);
	memcpy(s + len, "GARBAGE!!!", 10);
	ck_assert_int_eq(sip_msg_parse(s, len + 10, &m, &(int){0},
	    &(const char *){NULL}), 0);
	body = sip_msg_body(m, &len);
	ck_assert_uint_eq(len, strlen(sdp_offer));
	ck_assert(memcmp(body, sdp_offer, len) == 0);
	sip_msg_free(m);
	free(s);
	/* Negative, non-numeric and conflicting values are bad requests. */
	s = with_headers("Content-Length: -5" CRLF, &len);
	sip_msg_free(parse_bad(s, len, 400));
	free(s);
	s = with_headers("l: 12abc" CRLF, &len);
	sip_msg_free(parse_bad(s, len, 400));
	free(s);
	s = with_headers("Content-Length: 3" CRLF, &len);
	sip_msg_free(parse_bad(s, len, 400));
	free(s);
}
END_TEST

/* RFC 4475 3.1.1.1-style: odd whitespace, folding, compact forms. */
START_TEST(test_torture_whitespace_and_folding_parses)
{
	static const char s[] =
	    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0" CRLF
	    "TO :" CRLF
	    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n" CRLF
	    "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>"
	    CRLF
	    "  ;" CRLF
	    "  tag = 98asjd8" CRLF
	    "MaX-fOrWaRdS: 0068" CRLF
	    "Call-ID: wsinv.ndaksdj@192.0.2.1" CRLF
	    "Content-Length   : 0" CRLF
	    "cseq: 0009" CRLF
	    "  INVITE" CRLF
	    "Via  : SIP  /   2.0" CRLF
	    " /UDP" CRLF
	    "    192.0.2.2;rport;branch=390skdjuw" CRLF
	    "s :" CRLF
	    "NewFangledHeader:   newfangled value" CRLF
	    " continued newfangled value" CRLF
	    "UnknownHeaderWithUnusualValue: ;;,,;;,;" CRLF
	    "v:  SIP/2.0/TCP     spindle.example.com   ;" CRLF
	    "  branch  =   z9hG4bK9ikj8  ," CRLF
	    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=" CRLF
	    " z9hG4bK30239" CRLF
	    "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; "
	    "newparam =" CRLF
	    "      newvalue ;" CRLF
	    "  secondparam ; q = 0.33" CRLF CRLF;
	struct sip_msg	*m = parse_ok(s);

	ck_assert_str_eq(sip_msg_method(m), "INVITE");
	ck_assert_str_eq(sip_msg_to_tag(m), "1918181833n");
	ck_assert_str_eq(sip_msg_from_tag(m), "98asjd8");
	ck_assert_uint_eq(sip_msg_cseq(m), 9);
	ck_assert_int_eq(sip_msg_max_forwards(m), 68);
	ck_assert_uint_eq(sip_msg_via_count(m), 3);
	ck_assert_str_eq(sip_msg_via_host(m), "192.0.2.2");
	ck_assert_ptr_nonnull(sip_msg_header(m, "newfangledheader"));
	ck_assert_uint_eq(sip_msg_ncontacts(m), 1);
	sip_msg_free(m);
}
END_TEST

/* RFC 4475 3.1.1.x-style messages that are odd but valid. */
START_TEST(test_torture_valid_oddities_parse)
{
	static const char *good[] = {
		/* Escaped user with ';' and unknown headers/params. */
		"OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0" CRLF
		"To: sip:j_user@example.com" CRLF
		"From: sip:caller@example.org;tag=33242" CRLF
		"Max-Forwards: 3" CRLF
		"Call-ID: semiuri.0ha0isndaksdj" CRLF
		"CSeq: 8 OPTIONS" CRLF
		"Accept: application/sdp, application/pkcs7-mime" CRLF
		"X-Unknown-Header: ~!@#$%^&*()" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw" CRLF
		"l: 0" CRLF CRLF,
		/* Wide-range values: long tokens, max CSeq, IPv6 Via. */
		"REGISTER sip:example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bKx" CRLF
		"From: <sip:a@example.com>;tag=-.!%*_+`'~" CRLF
		"To: <sip:a@example.com>" CRLF
		"Call-ID: !%*_+`'~-.()<>:\\\"/[]?{}" CRLF
		"CSeq: 2147483647 REGISTER" CRLF
		"Max-Forwards: 255" CRLF
		"Expires: 4294967295" CRLF CRLF,
		/* Leading CRLF keep-alive before the start line. */
		CRLF CRLF "OPTIONS sip:a@b SIP/2.0" CRLF
		"Via: SIP/2.0/UDP h;branch=z9hG4bKk" CRLF
		"From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		"Call-ID: k" CRLF "CSeq: 1 OPTIONS" CRLF CRLF,
	};
	struct sip_msg	*m;
	size_t		 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		m = parse_ok(good[i]);
		if (i == 1) {
			ck_assert_uint_eq(sip_msg_cseq(m), 2147483647u);
			ck_assert_int_eq(sip_msg_expires(m), 2147483647);
			ck_assert_int_eq(sip_msg_via_port(m), 5070);
		}
		sip_msg_free(m);
	}
}
END_TEST

/* RFC 4475 3.1.2.x-style invalid messages: refused, answered if we can. */
START_TEST(test_torture_invalid_messages_refused)
{
	static const struct {
		const char	*text;
		int		 status;
	} bad[] = {
		/* Missing Call-ID: cannot even answer. */
		{ "INVITE sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "CSeq: 1 INVITE" CRLF CRLF, 0 },
		/* Huge CSeq (RFC 4475 3.1.2.4): 400. */
		{ "INVITE sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: big" CRLF
		  "CSeq: 36893488147419103232 INVITE" CRLF CRLF, 400 },
		/* Max-Forwards 300 (RFC 4475 3.1.2.4): 400. */
		{ "OPTIONS sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: mf" CRLF "Max-Forwards: 300" CRLF
		  "CSeq: 1 OPTIONS" CRLF CRLF, 400 },
		/* CSeq method differs from the request method. */
		{ "OPTIONS sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: mm" CRLF "CSeq: 1 INVITE" CRLF CRLF, 400 },
		/* Bad Via: nobody to answer to. */
		{ "OPTIONS sip:a@b SIP/2.0" CRLF
		  "Via: garbage" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: bv" CRLF "CSeq: 1 OPTIONS" CRLF CRLF, 0 },
		/* Bad Via port. */
		{ "OPTIONS sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h:70000;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: bp" CRLF "CSeq: 1 OPTIONS" CRLF CRLF, 400 },
		/* Malformed escape in the Request-URI user. */
		{ "INVITE sip:%zz1@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: esc" CRLF "CSeq: 1 INVITE" CRLF CRLF, 400 },
		/* Unparsable From: 400 from the rescue parse? No From. */
		{ "INVITE sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <<<" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: fr" CRLF "CSeq: 1 INVITE" CRLF CRLF, 0 },
		/* Broken ACK: never answered. */
		{ "ACK sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: ack" CRLF "CSeq: 99999999999 ACK" CRLF CRLF, 0 },
		/* Response with a missing CSeq: dropped. */
		{ "SIP/2.0 180 Ringing" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: r" CRLF CRLF, 0 },
		/* Negative Content-Length. */
		{ "INVITE sip:a@b SIP/2.0" CRLF
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
		  "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>" CRLF
		  "Call-ID: neg" CRLF "CSeq: 1 INVITE" CRLF
		  "Content-Length: -999" CRLF CRLF "abc", 400 },
	};
	struct sip_msg	*m;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = parse_bad(bad[i].text, strlen(bad[i].text), bad[i].status);
		if (m != NULL) {
			struct sip_msg	*r = sip_msg_response(m, 400, NULL,
			    "t");

			ck_assert_msg(r != NULL, "case %zu not answerable", i);
			sip_msg_free(r);
		}
		sip_msg_free(m);
	}
}
END_TEST

/* A tiny deterministic generator (xorshift) for the mutation loop. */
static uint32_t
fuzz_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int	fuzz_parsed, fuzz_answered, fuzz_dropped;

/* Parse, and when it works exercise the accessors and builders. */
static void
fuzz_one(const char *buf, size_t len)
{
	struct sip_msg		*m = NULL, *r;
	struct sip_contact	 c;
	struct sip_auth		 a;
	struct sip_challenge	 ch;
	char			*t, **rr;
	const char		*cause, *b;
	size_t			 n, i;
	int			 status;

	if (sip_msg_parse(buf, len, &m, &status, &cause) == 0)
		fuzz_parsed++;
	else if (m != NULL)
		fuzz_answered++;
	else
		fuzz_dropped++;
	if (m == NULL)
		return;
	sip_msg_method(m);
	sip_msg_callid(m);
	sip_msg_ruri(m);
	sip_msg_ruri_user(m);
	sip_msg_from_display(m);
	sip_msg_to_tag(m);
	sip_msg_via_branch(m);
	sip_msg_content_type(m);
	sip_msg_body(m, &n);
	sip_msg_expires(m);
	sip_msg_auth(m, "Authorization", &a);
	sip_msg_challenge(m, &ch);
	for (i = 0; i < sip_msg_ncontacts(m); i++)
		sip_msg_contact(m, i, &c);
	n = sip_msg_record_routes(m, &rr);
	for (i = 0; i < n; i++)
		free(rr[i]);
	free(rr);
	free(sip_msg_from_text(m));
	sip_msg_via_set_received(m, "198.51.100.1", 1234);
	if ((r = sip_msg_response(m, 400, NULL, "tag")) != NULL) {
		free(sip_msg_serialize(r, NULL));
		sip_msg_free(r);
	}
	if ((t = sip_msg_serialize(m, &n)) != NULL) {
		sip_msg_free(m);
		m = NULL;
		sip_msg_parse(t, n, &m, &status, &cause);
		if (m != NULL && (b = sip_msg_callid(m)) != NULL)
			ck_assert(strlen(b) < n);
		free(t);
	}
	sip_msg_free(m);
}

START_TEST(test_fuzz_20000_mutations_no_crash)
{
	const char	*seeds[5];
	char		*buf;
	size_t		 len, slen, pos, k, cap = 8192;
	uint32_t	 st = 0x1234567u;
	int		 i, j, ops;

	setup_invite();
	seeds[0] = msg_register;
	seeds[1] = msg_invite;
	seeds[2] = msg_200;
	seeds[3] = msg_401;
	seeds[4] = "SIP/2.0 180 Ringing" CRLF
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=1.2.3.4" CRLF
	    "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>;tag=2" CRLF
	    "Call-ID: r" CRLF "CSeq: 1 INVITE" CRLF
	    "Content-Type: multipart/mixed;boundary=zz" CRLF
	    "Content-Length: 30" CRLF CRLF "--zz" CRLF CRLF "body" CRLF
	    "--zz--" CRLF "xxxxxx";
	buf = malloc(cap);
	for (i = 0; i < 20000; i++) {
		slen = strlen(seeds[i % 5]);
		memcpy(buf, seeds[i % 5], slen);
		len = slen;
		ops = 1 + (int)(fuzz_rand(&st) % 4);
		for (j = 0; j < ops && len > 0; j++) {
			pos = fuzz_rand(&st) % len;
			switch (fuzz_rand(&st) % 6) {
			case 0:		/* flip a byte */
				buf[pos] ^= (char)(1u << (fuzz_rand(&st) % 8));
				break;
			case 1:		/* random byte */
				buf[pos] = (char)fuzz_rand(&st);
				break;
			case 2:		/* truncate */
				len = pos;
				break;
			case 3:		/* insert interesting bytes */
				k = 1 + fuzz_rand(&st) % 8;
				if (len + k >= cap)
					break;
				memmove(buf + pos + k, buf + pos, len - pos);
				memcpy(buf + pos, ";\"<%:@,\r\n\0 ", k);
				len += k;
				break;
			case 4:		/* duplicate a chunk */
				k = fuzz_rand(&st) % 64;
				if (pos + k > len || len + k >= cap)
					break;
				memmove(buf + pos + k, buf + pos, len - pos);
				len += k;
				break;
			case 5:		/* delete a chunk */
				k = fuzz_rand(&st) % 16;
				if (pos + k > len)
					k = len - pos;
				memmove(buf + pos, buf + pos + k,
				    len - pos - k);
				len -= k;
				break;
			}
		}
		/* Exact-size heap copy so ASan sees any over-read. */
		{
			char	*exact = malloc(len ? len : 1);

			memcpy(exact, buf, len);
			fuzz_one(exact, len);
			free(exact);
		}
	}
	free(buf);
	/* The loop must reach all three outcomes to prove anything. */
	ck_assert_int_gt(fuzz_parsed, 1000);
	ck_assert_int_gt(fuzz_answered, 1000);
	ck_assert_int_gt(fuzz_dropped, 1000);
}
END_TEST

static Suite *
sip_msg_suite(void)
{
	Suite	*s = suite_create("sip_msg");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_register_parses_with_every_accessor);
	tcase_add_test(tc, test_many_messages_through_the_osip_pool);
	tcase_add_test(tc, test_register_star_contact_removes_all);
	tcase_add_test(tc, test_added_header_names_keep_their_spelling);
	tcase_add_test(tc, test_invite_with_sdp_and_escaped_user);
	tcase_add_test(tc, test_tel_uri_from_a_trunk);
	tcase_add_test(tc, test_200_ok_response_accessors);
	tcase_add_test(tc, test_401_challenge);
	tcase_add_test(tc, test_strings_survive_changes_to_the_message);
	tcase_add_test(tc, test_response_copies_headers_and_adds_to_tag);
	tcase_add_test(tc, test_response_keeps_all_vias_in_order);
	tcase_add_test(tc, test_request_build_serialize_reparse);
	tcase_add_test(tc, test_push_via_ipv6_and_clone);
	tcase_add_test(tc, test_received_and_rport);
	tcase_add_test(tc, test_set_header_replaces_and_removes);
	tcase_add_test(tc, test_uri_split_unescape_token);
	tcase_add_test(tc, test_prescan_too_big_is_513);
	tcase_add_test(tc, test_prescan_too_many_headers_and_long_line);
	tcase_add_test(tc, test_prescan_nul_and_control_bytes);
	tcase_add_test(tc, test_prescan_missing_end_of_headers);
	tcase_add_test(tc, test_prescan_bad_start_lines_are_dropped);
	tcase_add_test(tc, test_prescan_multipart_is_415_and_answerable);
	tcase_add_test(tc, test_prescan_content_length);
	tcase_add_test(tc, test_torture_whitespace_and_folding_parses);
	tcase_add_test(tc, test_torture_valid_oddities_parse);
	tcase_add_test(tc, test_torture_invalid_messages_refused);
	tcase_add_test(tc, test_fuzz_20000_mutations_no_crash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sip_msg_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
