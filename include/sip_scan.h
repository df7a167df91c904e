/*
 * The byte-level pre-scan of a SIP message, before osip sees anything.
 * osip has no limits of its own, works on NUL-terminated copies and leaks
 * on malformed multipart bodies (DESIGN.md section 2), so every byte a
 * phone or peer sends passes here first: the start line, the line walk,
 * control bytes, Content-Length against the body, multipart, %XX escapes
 * in the Request-URI.  Only src/sip_msg.c uses this; the public entry is
 * sip_msg_prescan() in sip_msg.h.
 */
#ifndef SIP_SCAN_H
#define SIP_SCAN_H

#include <stddef.h>

/* What the pre-scan learnt about the bytes. */
struct sip_scan {
	size_t	start;		/* first byte of the start line */
	size_t	hdrs;		/* first byte of the first header line */
	size_t	body;		/* first byte of the body */
	size_t	bodylen;	/* body bytes osip may see */
	int	startok;	/* the start line is a request or status line */
	int	request;
	int	ack;
};

/*
 * Scan buf[0..len): 0 when osip may see buf[start..body + bodylen), else
 * -1 with a static *cause and *status the answer the limit calls for (415
 * multipart, 513 too large, 400 bad; 0 when not SIP at all).  What was
 * learnt before the failure stays in *sc (the rescue parse uses it).
 */
int	sip_scan(const char *buf, size_t len, struct sip_scan *sc,
	    int *status, const char **cause);

/* RFC 3261 25.1 token character. */
int	sip_scan_tokenchar(int c);
/* Does the header name p[0..n) match name or compact (may be NULL)? */
int	sip_scan_hname_is(const char *p, size_t n, const char *name,
	    const char *compact);
/* 1 when the %XX escapes in the user part of a raw URI are valid. */
int	sip_scan_uri_escapes_ok(const char *p, size_t n);

/*
 * The text for an answer-only ("rescue") parse of a request the scan
 * refused: the start line and the clean header lines (only Via, From, To,
 * Call-ID and CSeq when essential), Content-Length: 0, no body.  malloc'd
 * and NUL-terminated (*outlen without the NUL); the caller frees it.
 */
char	*sip_scan_rescue_text(const char *buf, size_t len,
	    const struct sip_scan *sc, int essential, size_t *outlen);
/* A decimal string of at most maxdig digits, no sign; -1 when not. */
long long sip_scan_number(const char *s, size_t maxdig);
/* 1 when a port string is absent (NULL) or 1-65535. */
int	sip_scan_port_ok(const char *port);
/* A header name of token characters and a value without CR or LF (a
 * NULL value is fine): what sip_msg_add/set_header accept. */
int	sip_scan_header_ok(const char *name, const char *value);
/* A delta-seconds value (RFC 3261 25.1), clamped to INT_MAX; -1 if bad. */
int	sip_scan_delta(const char *s);

#endif
