/*
 * Our view of a SIP message.  GNU libosip2's parser does the parsing and
 * serialising behind this adapter; nothing outside src/sip*.c sees osip.
 * Before osip sees the bytes a pre-scan enforces our limits (size, header
 * count, line length) and refuses multipart bodies (DESIGN.md section 2:
 * osip leaks on malformed multipart and has no limits of its own).
 */
#ifndef SIP_MSG_H
#define SIP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SIP_MAX_MSG		65535	/* bytes in one message (TCP too) */
#define SIP_MAX_HEADERS		96	/* header lines in one message */
#define SIP_MAX_LINE		4096	/* bytes in one header line */

struct sip_msg;

/* Digest credentials from Authorization / Proxy-Authorization. */
struct sip_auth {
	const char	*username;
	const char	*realm;
	const char	*nonce;
	const char	*uri;
	const char	*response;
	const char	*algorithm;	/* NULL = MD5 */
	const char	*cnonce;
	const char	*opaque;
	const char	*qop;
	const char	*nc;
};

/* A digest challenge from WWW-Authenticate / Proxy-Authenticate. */
struct sip_challenge {
	const char	*realm;
	const char	*nonce;
	const char	*opaque;
	const char	*qop;
	const char	*algorithm;
	int		 stale;
};

/* One Contact of a REGISTER. */
struct sip_contact {
	const char	*uri;		/* the URI without <> and params */
	int		 expires;	/* "expires" param, -1 when absent */
};

/*
 * Pre-scan and parse one message.  On success returns 0 and *out.  On
 * failure returns -1 with a static *cause; when the bytes were a request
 * good enough to answer, *status is the 4xx/5xx to answer with (415 for
 * multipart, 513 too large, 400 bad) and *out holds what could be parsed
 * (for building that answer), else *out is NULL and *status 0.
 */
int		 sip_msg_parse(const char *buf, size_t len, struct sip_msg **out,
		    int *status, const char **cause);
/* Just the pre-scan (exposed for tests and the fuzzer). */
int		 sip_msg_prescan(const char *buf, size_t len, int *status,
		    const char **cause);
void		 sip_msg_free(struct sip_msg *);
struct sip_msg	*sip_msg_clone(const struct sip_msg *);

/* Serialise; returns a malloc'd buffer the caller frees, or NULL. */
char		*sip_msg_serialize(const struct sip_msg *, size_t *len);

int		 sip_msg_is_request(const struct sip_msg *);
const char	*sip_msg_method(const struct sip_msg *);	/* requests */
int		 sip_msg_status(const struct sip_msg *);	/* responses */
const char	*sip_msg_reason(const struct sip_msg *);
const char	*sip_msg_callid(const struct sip_msg *);
uint32_t	 sip_msg_cseq(const struct sip_msg *);
const char	*sip_msg_cseq_method(const struct sip_msg *);

/* Request-URI; user part unescaped ("%23" -> "#"). NULL when absent. */
const char	*sip_msg_ruri(const struct sip_msg *);	/* whole, as text */
const char	*sip_msg_ruri_user(const struct sip_msg *);
const char	*sip_msg_ruri_host(const struct sip_msg *);
int		 sip_msg_ruri_port(const struct sip_msg *);	/* 0 if none */

/* From / To: user part, display name, tag (NULL when absent). */
const char	*sip_msg_from_user(const struct sip_msg *);
const char	*sip_msg_from_display(const struct sip_msg *);
const char	*sip_msg_from_tag(const struct sip_msg *);
const char	*sip_msg_to_user(const struct sip_msg *);
const char	*sip_msg_to_tag(const struct sip_msg *);
/* Whole header values as text (malloc'd, caller frees), or NULL. */
char		*sip_msg_from_text(const struct sip_msg *);
char		*sip_msg_to_text(const struct sip_msg *);

/* Top Via: branch (NULL if none), sent-by host and port, transport. */
const char	*sip_msg_via_branch(const struct sip_msg *);
const char	*sip_msg_via_host(const struct sip_msg *);
int		 sip_msg_via_port(const struct sip_msg *);
size_t		 sip_msg_via_count(const struct sip_msg *);
/* RFC 3261 18.2.1 / RFC 3581: set received= (and rport= when asked). */
int		 sip_msg_via_set_received(struct sip_msg *, const char *ip,
		    int port);
int		 sip_msg_push_via(struct sip_msg *, const char *transport,
		    const char *host, int port, const char *branch);
int		 sip_msg_pop_via(struct sip_msg *);

/* First value of a header by name (case-insensitive), or NULL. */
const char	*sip_msg_header(const struct sip_msg *, const char *name);
/* Add a header line. */
int		 sip_msg_add_header(struct sip_msg *, const char *name,
		    const char *value);
/* Replace all headers of that name by one (or remove if value NULL). */
int		 sip_msg_set_header(struct sip_msg *, const char *name,
		    const char *value);
int		 sip_msg_expires(const struct sip_msg *);	/* -1 absent */

/* Contacts: count, then each; "*" gives uri "*" and expires -1. */
size_t		 sip_msg_ncontacts(const struct sip_msg *);
int		 sip_msg_contact(const struct sip_msg *, size_t,
		    struct sip_contact *);
/* First Contact URI as text (malloc'd), or NULL. */
char		*sip_msg_contact_uri(const struct sip_msg *);
/* Record-Route values, top first, each malloc'd; returns count. */
size_t		 sip_msg_record_routes(const struct sip_msg *, char ***out);

/* Digest credentials; hdr is "Authorization" or "Proxy-Authorization". */
int		 sip_msg_auth(const struct sip_msg *, const char *hdr,
		    struct sip_auth *);
/* Challenge of a 401 / 407. */
int		 sip_msg_challenge(const struct sip_msg *,
		    struct sip_challenge *);

/* Body (NULL, 0 when none) and Content-Type ("application/sdp"). */
const char	*sip_msg_body(const struct sip_msg *, size_t *len);
const char	*sip_msg_content_type(const struct sip_msg *);
int		 sip_msg_set_body(struct sip_msg *, const char *ctype,
		    const char *body, size_t len);

/*
 * Build a response to req: copies Via, From, To, Call-ID, CSeq (RFC 3261
 * 8.2.6.2); adds to_tag to To when given and To has none.
 */
struct sip_msg	*sip_msg_response(const struct sip_msg *req, int code,
		    const char *reason, const char *to_tag);
/*
 * Build a new request: from/to are whole header values
 * ("\"Alice\" <sip:201@site>;tag=x").  No Via: the transaction layer
 * pushes one.  Adds Max-Forwards: 70.
 */
struct sip_msg	*sip_msg_request(const char *method, const char *ruri,
		    const char *from, const char *to, const char *callid,
		    uint32_t cseq);
int		 sip_msg_set_ruri(struct sip_msg *, const char *uri);
/* Max-Forwards value, or -1 when absent. */
int		 sip_msg_max_forwards(const struct sip_msg *);

/* Parse "sip:user@host:port;params" into parts (malloc'd); 0 or -1. */
int		 sip_uri_split(const char *uri, char **user, char **host,
		    int *port, char **transport);
/* Unescape %XX in place. */
void		 sip_unescape(char *);
/* Random token of hex chars for tags, branches (z9hG4bK added there). */
void		 sip_random_token(char *buf, size_t len);

#endif
