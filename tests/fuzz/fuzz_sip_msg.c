/*
 * libFuzzer target: the SIP message adapter (DESIGN.md section 7).
 *
 * Every byte a phone or peer sends reaches sip_msg_parse(), so the input
 * is one datagram or TCP frame as received: not NUL-terminated, any size
 * (past SIP_MAX_MSG too, for the 513 path).  Whatever parses, fully or
 * only well enough to answer, goes through every accessor, serialising,
 * the Via handling of the transport, and sip_msg_response(), as the
 * daemon would.  A crash, leak or undefined behaviour anywhere fails, and
 * so does text we serialise from an accepted message that we would then
 * refuse ourselves.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"

struct roamd;
struct roamd *env;

/* Stop the run on a broken promise of sip_msg.h. */
static void
fuzz_assert(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_sip_msg: contract broken: %s\n", what);
	abort();
}

/* Read a string an accessor handed out, so ASan sees every byte. */
static size_t
fuzz_touch(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

/* Split a URI as the registrar and router do. */
static void
fuzz_uri(const char *uri)
{
	char	*user = NULL, *host = NULL, *tr = NULL;
	int	 port = 0;

	if (uri == NULL)
		return;
	if (sip_uri_split(uri, &user, &host, &port, &tr) == 0)
		fuzz_assert(host != NULL && port >= 0 && port <= 65535,
		    "sip_uri_split host/port");
	free(user);
	free(host);
	free(tr);
}

/* Walk every read accessor once. */
static void
fuzz_read(const struct sip_msg *m)
{
	struct sip_contact	 c;
	struct sip_auth		 a;
	struct sip_challenge	 ch;
	char			**rr, *s;
	size_t			 i, n, blen;

	fuzz_touch(sip_msg_method(m));
	fuzz_touch(sip_msg_reason(m));
	fuzz_touch(sip_msg_callid(m));
	fuzz_touch(sip_msg_cseq_method(m));
	(void)sip_msg_status(m);
	(void)sip_msg_cseq(m);
	fuzz_touch(sip_msg_ruri(m));
	fuzz_touch(sip_msg_ruri_user(m));
	fuzz_touch(sip_msg_ruri_host(m));
	(void)sip_msg_ruri_port(m);
	fuzz_touch(sip_msg_from_user(m));
	fuzz_touch(sip_msg_from_display(m));
	fuzz_touch(sip_msg_from_tag(m));
	fuzz_touch(sip_msg_to_user(m));
	fuzz_touch(sip_msg_to_tag(m));
	free(sip_msg_from_text(m));
	free(sip_msg_to_text(m));
	fuzz_touch(sip_msg_via_branch(m));
	fuzz_touch(sip_msg_via_host(m));
	(void)sip_msg_via_port(m);
	(void)sip_msg_via_count(m);
	fuzz_touch(sip_msg_header(m, "User-Agent"));
	fuzz_touch(sip_msg_header(m, "Diversion"));
	fuzz_assert(sip_msg_expires(m) >= -1, "expires");
	fuzz_assert(sip_msg_max_forwards(m) >= -1, "max-forwards");
	n = sip_msg_ncontacts(m);
	for (i = 0; i < n; i++)
		if (sip_msg_contact(m, i, &c) == 0) {
			fuzz_touch(c.uri);
			fuzz_uri(c.uri);
		}
	s = sip_msg_contact_uri(m);
	fuzz_uri(s);
	free(s);
	n = sip_msg_record_routes(m, &rr);
	for (i = 0; i < n; i++) {
		fuzz_touch(rr[i]);
		free(rr[i]);
	}
	free(rr);
	if (sip_msg_auth(m, "Authorization", &a) == 0)
		fuzz_assert(a.username != NULL, "auth without username");
	(void)sip_msg_auth(m, "Proxy-Authorization", &a);
	if (sip_msg_challenge(m, &ch) == 0)
		fuzz_touch(ch.nonce);
	fuzz_touch(sip_msg_content_type(m));
	if (sip_msg_body(m, &blen) != NULL)
		fuzz_assert(blen <= SIP_MAX_MSG, "body length");
	fuzz_uri(sip_msg_ruri(m));
}

/* Serialise and check the text is what the length says. */
static void
fuzz_serialize(const struct sip_msg *m)
{
	char	*s;
	size_t	 len;

	if ((s = sip_msg_serialize(m, &len)) == NULL)
		return;
	fuzz_assert(strlen(s) <= len, "serialize length");
	free(s);
}

/* Is this the pre-scan refusing on size, not on form? */
static int
fuzz_limit(const char *cause)
{
	return strcmp(cause, "too many headers") == 0 ||
	    strcmp(cause, "header line too long") == 0 ||
	    strcmp(cause, "message too large") == 0;
}

/*
 * What we accepted and send on must be accepted again: the text we
 * serialise is what the next hop (often another Roam site) parses.  The
 * size limits are the exception: osip writes each value of a comma list
 * ("Record-Route: <a>, <b>") on a line of its own, so text within
 * SIP_MAX_HEADERS lines can come back longer than that.
 */
static void
fuzz_roundtrip(const struct sip_msg *m)
{
	struct sip_msg	*again = NULL;
	const char	*cause = NULL;
	char		*s;
	size_t		 len;
	int		 st;

	if ((s = sip_msg_serialize(m, &len)) == NULL)
		return;
	if (sip_msg_parse(s, len, &again, &st, &cause) != 0 &&
	    !fuzz_limit(cause)) {
		fprintf(stderr, "fuzz_sip_msg: own text refused (%s):\n%s\n",
		    cause, s);
		abort();
	}
	sip_msg_free(again);
	free(s);
}

/* What the transport and the core do to a request they accept. */
static void
fuzz_change(const struct sip_msg *m)
{
	struct sip_msg	*c;

	if ((c = sip_msg_clone(m)) == NULL)
		return;
	(void)sip_msg_via_set_received(c, "192.0.2.7", 5062);
	(void)sip_msg_push_via(c, "udp", "198.51.100.1", 5060, "abc");
	(void)sip_msg_set_header(c, "Max-Forwards", "69");
	(void)sip_msg_add_header(c, "X-Roam-Location", "desk 1");
	(void)sip_msg_set_header(c, "Diversion", NULL);
	(void)sip_msg_set_body(c, "application/sdp", "v=0\r\n", 5);
	fuzz_roundtrip(c);
	(void)sip_msg_pop_via(c);
	(void)sip_msg_pop_via(c);
	fuzz_serialize(c);
	sip_msg_free(c);
}

/* Answer it, as the transport does for a request it refuses. */
static void
fuzz_answer(const struct sip_msg *m, int code)
{
	struct sip_msg	*r;

	if ((r = sip_msg_response(m, code, NULL, "fuzztag")) == NULL)
		return;
	fuzz_read(r);
	fuzz_serialize(r);
	sip_msg_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg	*m = NULL;
	const char	*cause = NULL;
	char		*copy;
	int		 rc, st = -1, pst = -1;

	rc = sip_msg_parse((const char *)data, size, &m, &st, &cause);
	fuzz_assert(rc == 0 || rc == -1, "parse return");
	if (rc == 0)
		fuzz_assert(m != NULL && st == 0, "parse ok without message");
	else {
		fuzz_assert(cause != NULL, "failure without cause");
		fuzz_assert((m == NULL && st == 0) || (m != NULL &&
		    (st == 400 || st == 415 || st == 513)), "failure status");
	}
	(void)sip_msg_prescan((const char *)data, size, &pst, &cause);
	if (m != NULL) {
		fuzz_read(m);
		fuzz_serialize(m);
		if (rc == 0) {
			fuzz_roundtrip(m);
			fuzz_change(m);
		}
		if (sip_msg_is_request(m)) {
			fuzz_answer(m, rc == 0 ? 200 : st);
			fuzz_answer(m, 100);
		}
		sip_msg_free(m);
	}
	/* sip_unescape works in place on any C string. */
	if ((copy = malloc(size + 1)) != NULL) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		sip_unescape(copy);
		free(copy);
	}
	return 0;
}
