/*
 * libFuzzer target: digest credentials (RFC 2617, DESIGN.md section 7).
 * The input is the value of an Authorization header: it is put into a
 * minimal REGISTER, parsed, read with sip_msg_auth() and checked with
 * auth_check() as the registrar does.
 *
 * A forged input never gets past the nonce HMAC, so two placeholders let
 * the fuzzer reach the deeper paths: "%N" in the input becomes a fresh
 * nonce of ours, and a response of "%R" becomes the right digest for the
 * credentials as parsed.  A check that passes is repeated: without qop,
 * or with the same nc, it must then fail as a replay.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "sip_msg.h"

struct roamd;
struct roamd *env;

#define FUZZ_REALM	"london.roam.test"
#define FUZZ_NOW	((time_t)1700000000)

static const char fuzz_head[] =
    "REGISTER sip:london.roam.test SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKfuzz;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:201@london.roam.test>;tag=f1\r\n"
    "To: <sip:201@london.roam.test>\r\n"
    "Call-ID: fuzz@192.0.2.20\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:201@192.0.2.20:5062>\r\n"
    "Authorization: ";
static const char fuzz_tail[] = "\r\nContent-Length: 0\r\n\r\n";

/* Stop the run on a broken promise of auth.h. */
static void
fuzz_assert(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_auth: contract broken: %s\n", what);
	abort();
}

/* Build the REGISTER text, replacing "%N" by a fresh nonce. */
static char *
fuzz_build(const uint8_t *data, size_t size, size_t *len)
{
	char	 nonce[64], *t;
	size_t	 i, nl, cap, off = 0;

	auth_nonce(nonce, sizeof nonce, FUZZ_NOW);
	nl = strlen(nonce);
	cap = sizeof fuzz_head + sizeof fuzz_tail + size * nl + 1;
	if ((t = malloc(cap)) == NULL)
		return NULL;
	memcpy(t, fuzz_head, sizeof fuzz_head - 1);
	off = sizeof fuzz_head - 1;
	for (i = 0; i < size; i++) {
		if (data[i] == '%' && i + 1 < size && data[i + 1] == 'N') {
			memcpy(t + off, nonce, nl);
			off += nl;
			i++;
		} else
			t[off++] = (char)data[i];
	}
	memcpy(t + off, fuzz_tail, sizeof fuzz_tail - 1);
	off += sizeof fuzz_tail - 1;
	*len = off;
	return t;
}

/* Check the credentials twice, as a phone replaying a request would. */
static void
fuzz_check(const struct sip_auth *parsed)
{
	struct sip_auth		 a = *parsed;
	enum auth_result	 r1, r2;
	char			 ha1[33], resp[33];

	auth_ha1("201", FUZZ_REALM, "phone-secret-201", ha1);
	/* auth_response() takes what auth_check() has checked is there. */
	if (a.response != NULL && strcmp(a.response, "%R") == 0 &&
	    a.nonce != NULL && a.uri != NULL && (a.qop == NULL ||
	    (a.nc != NULL && a.cnonce != NULL))) {
		auth_response(ha1, a.nonce, a.nc, a.cnonce, a.qop, "REGISTER",
		    a.uri, resp);
		a.response = resp;
	}
	r1 = auth_check(&a, "REGISTER", FUZZ_REALM, ha1, FUZZ_NOW + 1);
	fuzz_assert(auth_cause() != NULL && auth_result_name(r1) != NULL,
	    "cause");
	r2 = auth_check(&a, "REGISTER", FUZZ_REALM, ha1, FUZZ_NOW + 2);
	if (r1 == AUTH_OK)
		fuzz_assert(r2 == AUTH_BAD, "replay accepted");
	/* Long after: stale or forged, never OK. */
	r2 = auth_check(&a, "REGISTER", FUZZ_REALM, ha1, FUZZ_NOW + 100000);
	fuzz_assert(r2 != AUTH_OK, "stale nonce accepted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg	*m = NULL;
	struct sip_auth	 a;
	const char	*cause;
	char		*t;
	size_t		 len;
	int		 st;

	if (size > 4096)
		return 0;
	auth_init();
	if ((t = fuzz_build(data, size, &len)) == NULL)
		return 0;
	if (sip_msg_parse(t, len, &m, &st, &cause) == 0 &&
	    sip_msg_auth(m, "Authorization", &a) == 0)
		fuzz_check(&a);
	sip_msg_free(m);
	free(t);
	/* Forget the used nonces so memory stays flat over the run. */
	auth_shutdown();
	return 0;
}
