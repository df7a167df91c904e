/*
 * HTTP digest authentication for SIP: RFC 2617 with RFC 8760's MD5 and
 * qop=auth (RFC 3261 section 22.4).
 *
 * A nonce is "<16 hex digits of time><12 hex random><32 hex HMAC>": the
 * HMAC (SHA-256 over time and random under a secret drawn at every start,
 * truncated to 128 bits) proves we issued it, the time says how old it
 * is, and the random part makes every challenge distinct (two phones
 * challenged in the same second must not share a nonce, or the second
 * one's nc=1 would look like a replay).  Nothing is stored when
 * a challenge is sent, so a flood of unauthenticated REGISTERs costs no
 * memory.  Only a nonce that authenticated is remembered, with the highest
 * nonce-count seen, to refuse replays (RFC 2617 3.2.2: the server "should"
 * check nc; without qop a nonce is good for one request).  Entries are
 * dropped once their nonce is older than AUTH_NONCE_LIFETIME: by then the
 * nonce only ever yields AUTH_STALE, so forgetting it is safe, and memory
 * stays bounded by the rate of successful authentications.
 */
#include <sys/types.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"
#include "hmac.h"
#include "hmap.h"
#include "log.h"
#include "rand.h"
#include "sip_msg.h"
#include "xmalloc.h"

#define AUTH_SECRET_LEN		32
#define AUTH_MAC_LEN		16	/* bytes of HMAC kept in the nonce */
#define AUTH_TS_HEX		16
#define AUTH_RND_LEN		6	/* bytes of randomness per nonce */
#define AUTH_PFX_HEX		(AUTH_TS_HEX + 2 * AUTH_RND_LEN)
#define AUTH_NONCE_HEX		(AUTH_PFX_HEX + 2 * AUTH_MAC_LEN)
#define AUTH_PRUNE_INTERVAL	30

/* A nonce that authenticated at least once. */
struct auth_used {
	time_t		 issued;
	unsigned long	 nc;		/* highest nonce-count seen */
};

static unsigned char	 auth_secret[AUTH_SECRET_LEN];
static struct hmac_key	 auth_key;	/* auth_secret's pads (hmac.c) */
static struct hmap	*auth_used;
static time_t		 auth_last_prune;
static const char	*auth_last_cause = "none";

/* Draw the nonce secret and start with no used nonces. */
void
auth_init(void)
{
	if (RAND_bytes(auth_secret, sizeof(auth_secret)) != 1)
		fatalx("auth: RAND_bytes failed");
	hmac_key_init(&auth_key, auth_secret, sizeof(auth_secret));
	if (auth_used == NULL)
		auth_used = hmap_new();
	auth_last_prune = 0;
}

/* Forget everything. */
void
auth_shutdown(void)
{
	hmap_free(auth_used, free);
	auth_used = NULL;
	hmac_key_clear(&auth_key);
	explicit_bzero(auth_secret, sizeof(auth_secret));
}

/* MD5 of n strings joined by ':' as 32 hex chars. */
static void
auth_md5_join(char out[33], int n, ...)
{
	static EVP_MD_CTX	*ctx;
	static EVP_MD		*md5;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	const char		*s;
	va_list			 ap;
	int			 i;

	/* Fetched once: a fetch per digest cost more than the digest. */
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("auth: EVP_MD_CTX_new failed");
	if (md5 == NULL && (md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
		fatalx("auth: MD5 unavailable");
	if (EVP_DigestInit_ex(ctx, md5, NULL) != 1)
		fatalx("auth: MD5 unavailable");
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		s = va_arg(ap, const char *);
		if (i > 0)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, s, strlen(s));
	}
	va_end(ap);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	hmac_hex(md, 16, out);
}

/* HA1 = MD5(user:realm:password) (RFC 2617 3.2.2.2). */
void
auth_ha1(const char *user, const char *realm, const char *password,
    char out[33])
{
	auth_md5_join(out, 3, user, realm, password);
}

/* The request-digest of RFC 2617 3.2.2.1; qop NULL for RFC 2069 style. */
void
auth_response(const char *ha1, const char *nonce, const char *nc,
    const char *cnonce, const char *qop, const char *method, const char *uri,
    char out[33])
{
	char	 ha2[33];

	auth_md5_join(ha2, 2, method, uri);
	if (qop != NULL)
		auth_md5_join(out, 6, ha1, nonce, nc, cnonce, qop, ha2);
	else
		auth_md5_join(out, 3, ha1, nonce, ha2);
}

/* The HMAC part of a nonce over its prefix (time and random hex). */
static void
auth_nonce_mac(const char *prefix, char out[2 * AUTH_MAC_LEN + 1])
{
	unsigned char	 mac[HMAC_SHA256_LEN];

	hmac_sha256(&auth_key, prefix, AUTH_PFX_HEX, mac);
	hmac_hex(mac, AUTH_MAC_LEN, out);
}

/* A fresh nonce issued at now. */
void
auth_nonce(char *buf, size_t len, time_t now)
{
	unsigned char	 rnd[AUTH_RND_LEN];
	char		 prefix[AUTH_PFX_HEX + 1], mac[2 * AUTH_MAC_LEN + 1];

	rand_fill(rnd, sizeof(rnd));
	snprintf(prefix, sizeof(prefix), "%016" PRIx64, (uint64_t)now);
	hmac_hex(rnd, sizeof(rnd), prefix + AUTH_TS_HEX);
	auth_nonce_mac(prefix, mac);
	snprintf(buf, len, "%s%s", prefix, mac);
}

/* Verify a nonce is ours; its issue time in *ts.  0 or -1 (forged). */
static int
auth_nonce_verify(const char *nonce, time_t *ts)
{
	char		 mac[2 * AUTH_MAC_LEN + 1], tshex[AUTH_TS_HEX + 1];
	size_t		 i;

	if (strlen(nonce) != AUTH_NONCE_HEX)
		return (-1);
	for (i = 0; i < AUTH_NONCE_HEX; i++) {
		if (!isxdigit((unsigned char)nonce[i]) ||
		    isupper((unsigned char)nonce[i]))
			return (-1);
	}
	auth_nonce_mac(nonce, mac);
	if (CRYPTO_memcmp(mac, nonce + AUTH_PFX_HEX, sizeof(mac) - 1) != 0)
		return (-1);
	memcpy(tshex, nonce, AUTH_TS_HEX);
	tshex[AUTH_TS_HEX] = '\0';
	*ts = (time_t)strtoull(tshex, NULL, 16);
	return (0);
}

/* The value of a WWW-Authenticate / Proxy-Authenticate header. */
void
auth_challenge(char *buf, size_t len, const char *realm, int stale,
    time_t now)
{
	char	 nonce[64];

	auth_nonce(nonce, sizeof(nonce), now);
	snprintf(buf, len, "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5,"
	    " qop=\"auth\"%s", realm, nonce, stale ? ", stale=true" : "");
}

/* Compare the client's response with ours in constant time. */
static int
auth_response_equal(const char *want, const char *got)
{
	char	 low[33];
	size_t	 i;

	if (strlen(got) != 32)
		return (0);
	for (i = 0; i < 32; i++)
		low[i] = (char)tolower((unsigned char)got[i]);
	low[32] = '\0';
	return (CRYPTO_memcmp(want, low, 32) == 0);
}

/* Drop remembered nonces old enough to be stale anyway. */
static void
auth_prune_one(const char *key, void *val, void *arg)
{
	struct auth_used	*u = val;
	time_t			 now = *(time_t *)arg;

	if (u->issued + AUTH_NONCE_LIFETIME < now ||
	    u->issued > now + AUTH_NONCE_LIFETIME)
		free(hmap_del(auth_used, key));
}

/* Prune at most every AUTH_PRUNE_INTERVAL seconds. */
static void
auth_prune(time_t now)
{
	if (now >= auth_last_prune && now - auth_last_prune <
	    AUTH_PRUNE_INTERVAL)
		return;
	auth_last_prune = now;
	hmap_foreach(auth_used, auth_prune_one, &now);
}

/* Parse nc: 8 hex digits (RFC 2617 3.2.2); 0 or -1. */
static int
auth_parse_nc(const char *s, unsigned long *nc)
{
	size_t	 i;

	if (s == NULL || strlen(s) != 8)
		return (-1);
	for (i = 0; i < 8; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return (-1);
	}
	*nc = strtoul(s, NULL, 16);
	return (0);
}

/*
 * Replay check for a nonce whose response was right and fresh: with qop
 * the nc must grow; without, a nonce authenticates once only.
 */
static enum auth_result
auth_replay(const struct sip_auth *a, time_t issued, unsigned long nc,
    time_t now)
{
	struct auth_used	*u;

	if (auth_used == NULL)
		auth_used = hmap_new();
	auth_prune(now);
	if ((u = hmap_get(auth_used, a->nonce)) != NULL) {
		if (a->qop == NULL || nc <= u->nc)
			return (AUTH_BAD);
		u->nc = nc;
		return (AUTH_OK);
	}
	u = xcalloc(1, sizeof(*u));
	u->issued = issued;
	u->nc = nc;
	hmap_put(auth_used, a->nonce, u);
	return (AUTH_OK);
}

/* Record why a check failed and return r. */
static enum auth_result
auth_fail(enum auth_result r, const char *cause)
{
	auth_last_cause = cause;
	return (r);
}

/* Why the last check failed. */
const char *
auth_cause(void)
{
	return (auth_last_cause);
}

/* Check digest credentials against HA1 (RFC 2617 3.2.2). */
enum auth_result
auth_check(const struct sip_auth *a, const char *method, const char *realm,
    const char *ha1, time_t now)
{
	char		 want[33];
	time_t		 issued, age;
	unsigned long	 nc = 0;

	auth_last_cause = "none";
	if (a == NULL || a->realm == NULL || strcmp(a->realm, realm) != 0)
		return (auth_fail(AUTH_NONE, "no credentials for realm"));
	if (a->username == NULL || a->nonce == NULL || a->uri == NULL ||
	    a->response == NULL || ha1 == NULL)
		return (auth_fail(AUTH_BAD, "incomplete credentials"));
	if (a->algorithm != NULL && strcasecmp(a->algorithm, "MD5") != 0)
		return (auth_fail(AUTH_BAD, "unsupported algorithm"));
	if (auth_nonce_verify(a->nonce, &issued) != 0)
		return (auth_fail(AUTH_BAD, "forged nonce"));
	if (a->qop != NULL) {
		if (strcasecmp(a->qop, "auth") != 0 || a->cnonce == NULL ||
		    auth_parse_nc(a->nc, &nc) != 0)
			return (auth_fail(AUTH_BAD, "bad qop"));
		auth_response(ha1, a->nonce, a->nc, a->cnonce, a->qop, method,
		    a->uri, want);
	} else
		auth_response(ha1, a->nonce, NULL, NULL, NULL, method, a->uri,
		    want);
	if (!auth_response_equal(want, a->response))
		return (auth_fail(AUTH_BAD, "wrong password"));
	age = now - issued;
	if (age > AUTH_NONCE_LIFETIME || age < -AUTH_NONCE_LIFETIME)
		return (auth_fail(AUTH_STALE, "stale nonce"));
	if (auth_replay(a, issued, nc, now) != AUTH_OK)
		return (auth_fail(AUTH_BAD, "replay"));
	return (AUTH_OK);
}

/* Does a comma-separated qop list offer "auth"? */
static int
auth_qop_offers_auth(const char *list)
{
	const char	*p = list, *e;
	size_t		 n;

	while (list != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		n = (size_t)(e - p);
		if (n == 4 && strncasecmp(p, "auth", 4) == 0)
			return (1);
		p = e;
	}
	return (0);
}

/* Client side: the Authorization value answering challenge c. */
int
auth_answer(char *buf, size_t len, const struct sip_challenge *c,
    const char *method, const char *uri, const char *user,
    const char *password, unsigned int nc)
{
	unsigned char	 rnd[8];
	char		 ha1[33], resp[33], cnonce[17], ncs[9], opaque[300];
	int		 n, qop;

	if (c->nonce == NULL || c->realm == NULL)
		return (-1);
	if (c->algorithm != NULL && strcasecmp(c->algorithm, "MD5") != 0)
		return (-1);
	qop = auth_qop_offers_auth(c->qop);
	auth_ha1(user, c->realm, password, ha1);
	opaque[0] = '\0';
	if (c->opaque != NULL)
		snprintf(opaque, sizeof(opaque), ", opaque=\"%s\"", c->opaque);
	if (!qop) {
		auth_response(ha1, c->nonce, NULL, NULL, NULL, method, uri,
		    resp);
		n = snprintf(buf, len, "Digest username=\"%s\", realm=\"%s\","
		    " nonce=\"%s\", uri=\"%s\", response=\"%s\","
		    " algorithm=MD5%s", user, c->realm, c->nonce, uri, resp,
		    opaque);
		return (n < 0 || (size_t)n >= len ? -1 : 0);
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return (-1);
	hmac_hex(rnd, sizeof(rnd), cnonce);
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	auth_response(ha1, c->nonce, ncs, cnonce, "auth", method, uri, resp);
	n = snprintf(buf, len, "Digest username=\"%s\", realm=\"%s\","
	    " nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5,"
	    " cnonce=\"%s\", qop=auth, nc=%s%s", user, c->realm, c->nonce, uri,
	    resp, cnonce, ncs, opaque);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* How many used nonces are remembered. */
size_t
auth_nonces_remembered(void)
{
	return (auth_used != NULL ? hmap_count(auth_used) : 0);
}

/* Name of a result for logs. */
const char *
auth_result_name(enum auth_result r)
{
	switch (r) {
	case AUTH_OK:
		return ("ok");
	case AUTH_NONE:
		return ("no credentials");
	case AUTH_BAD:
		return ("bad credentials");
	case AUTH_STALE:
		return ("stale nonce");
	}
	return ("unknown");
}
