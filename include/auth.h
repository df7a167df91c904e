/*
 * HTTP digest for SIP (RFC 2617, RFC 8760 MD5 with qop=auth).  Nonces are
 * stateless until used: a timestamp and an HMAC under a per-start secret,
 * so a flood of unauthenticated requests costs no memory.  A nonce that
 * authenticated once is remembered with its last nonce-count so a replayed
 * request (same or lower nc) is refused; nonces go stale after
 * AUTH_NONCE_LIFETIME seconds.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <time.h>

struct sip_auth;
struct sip_challenge;

#define AUTH_NONCE_LIFETIME	300

enum auth_result {
	AUTH_OK,
	AUTH_NONE,	/* no credentials for our realm */
	AUTH_BAD,	/* wrong password, user, uri or a replay */
	AUTH_STALE	/* right password, expired nonce: re-challenge */
};

void	auth_init(void);
void	auth_shutdown(void);
/* HA1 = MD5(user:realm:password) as 32 hex chars + NUL. */
void	auth_ha1(const char *user, const char *realm, const char *password,
	    char out[33]);
/*
 * The request-digest of RFC 2617 3.2.2.1 as 32 hex chars; qop NULL (nc,
 * cnonce unused) for the old RFC 2069 form.
 */
void	auth_response(const char *ha1, const char *nonce, const char *nc,
	    const char *cnonce, const char *qop, const char *method,
	    const char *uri, char out[33]);
/* A fresh nonce (hex) in buf of at least 64 bytes. */
void	auth_nonce(char *buf, size_t len, time_t now);
/* The value of WWW-/Proxy-Authenticate for a new challenge. */
void	auth_challenge(char *buf, size_t len, const char *realm, int stale,
	    time_t now);
/* Check credentials against HA1 for method (RFC 2617 3.2.2.1). */
enum auth_result auth_check(const struct sip_auth *, const char *method,
	    const char *realm, const char *ha1, time_t now);
/*
 * Client side (answering a trunk's 401/407): the Authorization value for
 * method and uri in buf; 0 or -1.
 */
int	auth_answer(char *buf, size_t len, const struct sip_challenge *,
	    const char *method, const char *uri, const char *user,
	    const char *password, unsigned int nc);
const char *auth_result_name(enum auth_result);
/*
 * Why the last auth_check was not AUTH_OK, for logs ("wrong password",
 * "replay", "forged nonce", ...); never contains a secret.
 */
const char *auth_cause(void);
/* Nonces remembered for replay protection (bounded by pruning). */
size_t	auth_nonces_remembered(void);

#endif
