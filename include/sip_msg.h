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
 * Pre-scan and parse one message.  On success returns 0, *status 0 and
 * *out.  On failure returns -1 with a static *cause; when the bytes were a
 * request (not ACK) good enough to answer (Via, From, To, Call-ID and CSeq
 * parse), *status is the 4xx/5xx to answer with (415 for multipart, 513
 * too large, 400 bad) and *out holds what could be parsed (only good for
 * sip_msg_response() and logging), else *out is NULL and *status 0 (drop).
 * Bytes after Content-Length are ignored (RFC 3261 18.3); leading CRLFs
 * (keep-alives) are skipped.
 */
int		 sip_msg_parse(const char *buf, size_t len,
		    struct sip_msg **out, int *status, const char **cause);
/*
 * Just the pre-scan (exposed for tests and the fuzzer): 0 when osip may
 * see the bytes, else -1 with *status as above (0 = not SIP, drop).  The
 * status is what the limit calls for, whether or not it is answerable.
 */
int		 sip_msg_prescan(const char *buf, size_t len, int *status,
		    const char **cause);
void		 sip_msg_free(struct sip_msg *);
struct sip_msg	*sip_msg_clone(const struct sip_msg *);

/* Serialise; returns a malloc'd, NUL-terminated text (*len without the
 * NUL) the caller free()s, or NULL. */
char		*sip_msg_serialize(const struct sip_msg *, size_t *len);
char		*sip_msg_serialize_pooled(const struct sip_msg *, size_t *);

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

/* Top Via: branch (NULL if none), sent-by host (IPv6 without []) and port
 * (0 when absent), number of Via values. */
const char	*sip_msg_via_branch(const struct sip_msg *);
const char	*sip_msg_via_host(const struct sip_msg *);
int		 sip_msg_via_port(const struct sip_msg *);
size_t		 sip_msg_via_count(const struct sip_msg *);
/*
 * RFC 3261 18.2.1 / RFC 3581: set received=ip when it differs from the
 * sent-by host, and when the top Via has an empty rport fill it with port
 * (then received= is always set).  push_via adds "SIP/2.0/<UDP|TCP|TLS>
 * host:port;branch=z9hG4bK<branch>;rport" on top (the cookie is not
 * doubled if branch has it; port 0 = none); transport "udp"/"tcp"/"tls".
 */
int		 sip_msg_via_set_received(struct sip_msg *, const char *ip,
		    int port);
int		 sip_msg_push_via(struct sip_msg *, const char *transport,
		    const char *host, int port, const char *branch);
int		 sip_msg_pop_via(struct sip_msg *);

/* First value of a header by name (case-insensitive), or NULL. */
const char	*sip_msg_header(const struct sip_msg *, const char *name);
/* Is a header there?  Cheaper than sip_msg_header(): no text built. */
int		 sip_msg_has_header(const struct sip_msg *, const char *name);
/* Add a header line (known headers are parsed: -1 when the value does not
 * parse, or for a second From/To/Call-ID/CSeq/Content-*; use set). */
int		 sip_msg_add_header(struct sip_msg *, const char *name,
		    const char *value);
/* Replace all headers of that name (compact forms too) by one, or remove
 * them all if value is NULL.  Values holding CR or LF are refused. */
int		 sip_msg_set_header(struct sip_msg *, const char *name,
		    const char *value);
int		 sip_msg_expires(const struct sip_msg *);	/* -1 absent */
/* Expires header / param values above INT_MAX are clamped to INT_MAX. */

/* Contacts: count, then each; "*" gives uri "*" and expires -1. */
size_t		 sip_msg_ncontacts(const struct sip_msg *);
int		 sip_msg_contact(const struct sip_msg *, size_t,
		    struct sip_contact *);
/* First Contact URI as text (malloc'd), or NULL. */
char		*sip_msg_contact_uri(const struct sip_msg *);
/* Record-Route values, top first; returns the count.  *out is a malloc'd
 * array (NULL when 0) of malloc'd strings: free each, then the array. */
size_t		 sip_msg_record_routes(const struct sip_msg *, char ***out);

/*
 * Digest credentials; hdr is "Authorization" or "Proxy-Authorization".
 * Values come unquoted; absent ones are NULL.  -1 when there is no such
 * header, it is not Digest, or it has no username.
 */
int		 sip_msg_auth(const struct sip_msg *, const char *hdr,
		    struct sip_auth *);
/* Digest challenge of a 401 (WWW-) or 407 (Proxy-Authenticate). */
int		 sip_msg_challenge(const struct sip_msg *,
		    struct sip_challenge *);

/* Body (NULL, 0 when none) and Content-Type ("application/sdp"). */
const char	*sip_msg_body(const struct sip_msg *, size_t *len);
const char	*sip_msg_content_type(const struct sip_msg *);
/* Replace the body; sets Content-Type (removed if ctype NULL) and
 * Content-Length.  The bytes are copied. */
int		 sip_msg_set_body(struct sip_msg *, const char *ctype,
		    const char *body, size_t len);

/*
 * Build a response to req: copies Via, From, To, Call-ID, CSeq (RFC 3261
 * 8.2.6.2), Content-Length: 0; adds to_tag to To when given, To has none
 * and code > 100.  reason NULL = osip's standard phrase.  Record-Route is
 * not copied (add it for dialog-creating answers if ever proxying).  NULL
 * when req is not an answerable request.
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

/*
 * Parse "sip:user@host:port;params" into parts; each non-NULL out pointer
 * gets a malloc'd string or NULL (user, transport absent), port 0 when
 * absent.  -1 on a bad URI (bad %XX, no host, bad port).  The user comes
 * unescaped.
 */
int		 sip_uri_split(const char *uri, char **user, char **host,
		    int *port, char **transport);
/* Unescape %XX in place ("%23" -> "#"); bad escapes and %00 stay as they
 * are. */
void		 sip_unescape(char *);
/* Fill buf (size len) with len-1 random hex chars and a NUL (OpenSSL
 * RAND_bytes), for tags and branches (push_via adds z9hG4bK). */
void		 sip_random_token(char *buf, size_t len);

#endif
