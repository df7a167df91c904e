/*
 * The pre-scan: byte-level checks on a SIP message before osip sees it.
 *
 * osip has no limits of its own, works on NUL-terminated copies and leaks
 * on malformed multipart bodies (DESIGN.md section 2).  So the bytes are
 * walked here first, without allocating: the start line must be a request
 * or status line (RFC 3261 7.1, 7.2), every header line must be clean of
 * control bytes and within SIP_MAX_LINE, there may be at most
 * SIP_MAX_HEADERS of them, the header section must end, Content-Length
 * must agree with the bytes that follow (RFC 3261 18.3, 20.14) and no body
 * may be multipart.  What the scan learns (where the headers and body
 * start) also guides the rescue parse in sip_msg.c, whose osip-free
 * helpers (the rescue text, number checks, %XX unescaping) live here too.
 */

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "rand.h"
#include "sip_msg.h"
#include "sip_scan.h"
#include "xmalloc.h"

/* Find the line at buf[off]: its length without the line end, and next. */
static int
sip_scan_line(const char *buf, size_t len, size_t off, size_t *linelen,
    size_t *next)
{
	const char	*lf;
	size_t		 end;

	if (off >= len)
		return -1;
	lf = memchr(buf + off, '\n', len - off);
	if (lf == NULL)
		return -1;
	end = (size_t)(lf - buf);
	*next = end + 1;
	if (end > off && buf[end - 1] == '\r')
		end--;
	*linelen = end - off;
	return 0;
}

/* Check a line for control bytes; 0 when clean. */
static int
sip_scan_line_clean(const char *p, size_t n, const char **cause)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\0') {
			*cause = "NUL byte in header";
			return -1;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*cause = "control character in header";
			return -1;
		}
	}
	return 0;
}

/* RFC 3261 25.1 token character. */
int
sip_scan_tokenchar(int c)
{
	return isalnum(c) || strchr("-.!%*_+`'~", c) != NULL;
}

/* Case-insensitive prefix test on a counted string. */
static int
sip_scan_prefix(const char *p, size_t n, const char *pfx)
{
	size_t	l = strlen(pfx);

	return n >= l && strncasecmp(p, pfx, l) == 0;
}

/* Check %XX escapes in the user part of a raw URI (RFC 3261 25.1). */
int
sip_scan_uri_escapes_ok(const char *p, size_t n)
{
	const char	*at, *colon;
	size_t		 i, end;

	colon = memchr(p, ':', n);
	at = memchr(p, '@', n);
	if (colon == NULL || at == NULL || at < colon)
		return 1;
	end = (size_t)(at - p);
	for (i = (size_t)(colon - p) + 1; i < end; i++) {
		if (p[i] != '%')
			continue;
		if (i + 2 >= end || !isxdigit((unsigned char)p[i + 1]) ||
		    !isxdigit((unsigned char)p[i + 2]))
			return 0;
		if (p[i + 1] == '0' && p[i + 2] == '0')
			return 0;
	}
	return 1;
}

/* Is p[0..n) "Method SP Request-URI SP SIP/2.0" (RFC 3261 7.1)? */
static int
sip_scan_reqline(const char *p, size_t n, struct sip_scan *sc)
{
	size_t	i, m, u;

	for (m = 0; m < n && sip_scan_tokenchar((unsigned char)p[m]); m++)
		;
	if (m == 0 || m >= n || p[m] != ' ')
		return 0;
	for (u = m + 1; u < n && p[u] > ' ' && p[u] != 0x7f; u++)
		;
	if (u >= n || p[u] != ' ' || u == m + 1)
		return 0;
	if (n - u - 1 != 7 || strncasecmp(p + u + 1, "SIP/2.0", 7) != 0)
		return 0;
	i = m + 1;
	if (!sip_scan_prefix(p + i, u - i, "sip:") &&
	    !sip_scan_prefix(p + i, u - i, "sips:") &&
	    !sip_scan_prefix(p + i, u - i, "tel:"))
		return 0;
	/*
	 * "sip:@host": userinfo with an empty user (RFC 3261 25.1 wants one
	 * character at least).  osip takes everything after the '@' as the
	 * host and writes it back without the '@', so a second '@' turns its
	 * host into a user (found by fuzz_sip_msg).
	 */
	if (sip_scan_prefix(p + i, u - i, "sip:@") ||
	    sip_scan_prefix(p + i, u - i, "sips:@"))
		return 0;
	sc->request = 1;
	sc->ack = (m == 3 && strncmp(p, "ACK", 3) == 0);
	return 1;
}

/* Is p[0..n) "SIP/2.0 SP 3DIGIT SP Reason-Phrase" (RFC 3261 7.2)? */
static int
sip_scan_statusline(const char *p, size_t n)
{
	size_t	i;

	if (n < 12 || strncasecmp(p, "SIP/2.0 ", 8) != 0 || p[11] != ' ')
		return 0;
	for (i = 8; i < 11; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	return p[8] >= '1' && p[8] <= '6';
}

/* Classify the start line; the start line must be clean too. */
static int
sip_scan_start(const char *buf, size_t len, struct sip_scan *sc,
    const char **cause)
{
	size_t		 n, next, lim;
	const char	*dummy;

	sc->start = 0;
	while (sc->start < len &&
	    (buf[sc->start] == '\r' || buf[sc->start] == '\n'))
		sc->start++;
	if (sc->start == len) {
		*cause = "empty message";
		return -1;
	}
	/* Look for the end of the start line within one line's length. */
	lim = len - sc->start > SIP_MAX_LINE + 2 ?
	    sc->start + SIP_MAX_LINE + 2 : len;
	if (sip_scan_line(buf, lim, sc->start, &n, &next) == -1 ||
	    sip_scan_line_clean(buf + sc->start, n, &dummy) == -1) {
		*cause = "bad start line";
		return -1;
	}
	if (!sip_scan_reqline(buf + sc->start, n, sc) &&
	    !sip_scan_statusline(buf + sc->start, n)) {
		*cause = "bad start line";
		return -1;
	}
	sc->hdrs = next;
	sc->startok = 1;
	return 0;
}

/* Parse a Content-Length value: digits only, at most SIP_MAX_MSG. */
static int
sip_scan_clen(const char *p, size_t n, size_t *out)
{
	size_t	i, v = 0;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	if (v > SIP_MAX_MSG)
		return -1;
	*out = v;
	return 0;
}

/* Split a header line into name and value; -1 when it has no name. */
static int
sip_scan_hsplit(const char *p, size_t n, size_t *nlen, const char **val,
    size_t *vlen)
{
	const char	*colon;
	size_t		 i, k;

	colon = memchr(p, ':', n);
	if (colon == NULL)
		return -1;
	k = (size_t)(colon - p);
	while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
		k--;
	if (k == 0)
		return -1;
	for (i = 0; i < k; i++)
		if (!sip_scan_tokenchar((unsigned char)p[i]))
			return -1;
	*nlen = k;
	*val = colon + 1;
	*vlen = n - (size_t)(colon - p) - 1;
	while (*vlen > 0 && (**val == ' ' || **val == '\t')) {
		(*val)++;
		(*vlen)--;
	}
	return 0;
}

/* Does the header name p[0..n) match long or compact form? */
int
sip_scan_hname_is(const char *p, size_t n, const char *name,
    const char *compact)
{
	if (n == strlen(name) && strncasecmp(p, name, n) == 0)
		return 1;
	return compact != NULL && n == 1 && tolower((unsigned char)*p) ==
	    compact[0];
}

/* State of a header-section walk. */
struct sip_scan_hwalk {
	int	nclen;
	size_t	clen;
	int	multipart;
	int	lastct;		/* previous header was an empty Content-Type */
};

/* The %XX escapes of a name-addr's <URI> (the first one), as above. */
static int
sip_scan_addr_escapes_ok(const char *v, size_t n)
{
	const char	*lt, *gt;

	if ((lt = memchr(v, '<', n)) == NULL)
		return 1;
	n -= (size_t)(lt - v);
	if ((gt = memchr(lt, '>', n)) != NULL)
		n = (size_t)(gt - lt);
	return sip_scan_uri_escapes_ok(lt, n);
}

/* Look at one header line: Content-Length, Content-Type, addresses. */
static int
sip_scan_header(const char *p, size_t n, struct sip_scan_hwalk *w, int *status,
    const char **cause)
{
	const char	*val;
	size_t		 nlen, vlen, cl;

	if (*p == ' ' || *p == '\t') {
		/* A folded line (RFC 3261 7.3.1): maybe the Content-Type. */
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (w->lastct && sip_scan_prefix(p, n, "multipart/"))
			w->multipart = 1;
		w->lastct = w->lastct && n == 0;
		return 0;
	}
	w->lastct = 0;
	if (sip_scan_hsplit(p, n, &nlen, &val, &vlen) == -1) {
		*status = 400;
		*cause = "header without a name";
		return -1;
	}
	if (sip_scan_hname_is(p, nlen, "Content-Length", "l")) {
		if (sip_scan_clen(val, vlen, &cl) == -1 ||
		    (w->nclen > 0 && cl != w->clen)) {
			*status = 400;
			*cause = "bad Content-Length";
			return -1;
		}
		w->nclen++;
		w->clen = cl;
	} else if (sip_scan_hname_is(p, nlen, "Content-Type", "c")) {
		if (sip_scan_prefix(val, vlen, "multipart/"))
			w->multipart = 1;
		w->lastct = (vlen == 0);
	} else if ((sip_scan_hname_is(p, nlen, "From", "f") ||
	    sip_scan_hname_is(p, nlen, "To", "t") ||
	    sip_scan_hname_is(p, nlen, "Contact", "m")) &&
	    !sip_scan_addr_escapes_ok(val, vlen)) {
		/*
		 * osip takes "<sip:% <sip:...@host>" and writes it back as a
		 * URI nobody parses, us included (found by fuzz_sip_msg).
		 */
		*status = 400;
		*cause = "bad escape in an address";
		return -1;
	}
	return 0;
}

/* Walk the header section; fills sc->body and the walk state. */
static int
sip_scan_headers(const char *buf, size_t len, struct sip_scan *sc,
    struct sip_scan_hwalk *w, int *status, const char **cause)
{
	size_t	off, n, next, count = 0;

	*status = 400;
	for (off = sc->hdrs;; off = next) {
		if (sip_scan_line(buf, len, off, &n, &next) == -1) {
			*cause = "no end of headers";
			return -1;
		}
		if (n > SIP_MAX_LINE) {
			*cause = "header line too long";
			return -1;
		}
		if (sip_scan_line_clean(buf + off, n, cause) == -1)
			return -1;
		if (n == 0)
			break;
		if (++count > SIP_MAX_HEADERS) {
			*cause = "too many headers";
			return -1;
		}
		if (off == sc->hdrs && (buf[off] == ' ' || buf[off] == '\t')) {
			*cause = "folded first header";
			return -1;
		}
		if (sip_scan_header(buf + off, n, w, status, cause) == -1)
			return -1;
	}
	sc->body = next;
	*status = 0;
	return 0;
}

/* The pre-scan proper, keeping what it learnt in sc. */
int
sip_scan(const char *buf, size_t len, struct sip_scan *sc, int *status,
    const char **cause)
{
	struct sip_scan_hwalk	 w;
	size_t			 avail;

	memset(sc, 0, sizeof *sc);
	memset(&w, 0, sizeof w);
	*status = 0;
	if (buf == NULL || sip_scan_start(buf, len, sc, cause) == -1) {
		if (buf == NULL)
			*cause = "empty message";
		return -1;
	}
	if (len > SIP_MAX_MSG) {
		*status = 513;
		*cause = "message too large";
		return -1;
	}
	if (sc->request && !sip_scan_uri_escapes_ok(buf + sc->start,
	    sc->hdrs - sc->start)) {
		*status = 400;
		*cause = "bad escape in Request-URI";
		return -1;
	}
	if (sip_scan_headers(buf, len, sc, &w, status, cause) == -1)
		return -1;
	if (w.multipart) {
		/* RFC 3261 21.4.13: we accept no multipart bodies. */
		*status = 415;
		*cause = "multipart body";
		return -1;
	}
	avail = len - sc->body;
	if (w.nclen > 0 && w.clen > avail) {
		*status = 400;
		*cause = "body shorter than Content-Length";
		return -1;
	}
	/* RFC 3261 18.3: bytes after Content-Length are ignored (UDP). */
	sc->bodylen = w.nclen > 0 ? w.clen : avail;
	return 0;
}

/*
 * Helpers for the rescue parse and the semantic checks in sip_msg.c.
 */

/* Is this one of the five headers a response needs (RFC 3261 8.2.6.2)? */
static int
sip_scan_hname_essential(const char *p, size_t n)
{
	return sip_scan_hname_is(p, n, "Via", "v") ||
	    sip_scan_hname_is(p, n, "From", "f") ||
	    sip_scan_hname_is(p, n, "To", "t") ||
	    sip_scan_hname_is(p, n, "Call-ID", "i") ||
	    sip_scan_hname_is(p, n, "CSeq", NULL);
}

/* Should the rescue keep this (clean, unfolded) header line? */
static int
sip_scan_rescue_keep(const char *p, size_t n, int essential)
{
	const char	*val;
	size_t		 nlen, vlen;

	if (sip_scan_hsplit(p, n, &nlen, &val, &vlen) == -1)
		return 0;
	if (sip_scan_hname_is(p, nlen, "Content-Length", "l") ||
	    sip_scan_hname_is(p, nlen, "Content-Type", "c"))
		return 0;
	return !essential || sip_scan_hname_essential(p, nlen);
}

/* Append p[0..n) CRLF to a bounded text buffer; -1 when full. */
static int
sip_scan_put(char *dst, size_t *dlen, size_t dsz, const char *p, size_t n)
{
	if (*dlen + n + 2 > dsz)
		return -1;
	memcpy(dst + *dlen, p, n);
	memcpy(dst + *dlen + n, "\r\n", 2);
	*dlen += n + 2;
	return 0;
}

/*
 * Build the text for an answer-only parse: the start line and the clean
 * header lines (or only the essential five), no body.
 */
char *
sip_scan_rescue_text(const char *buf, size_t len, const struct sip_scan *sc,
    int essential, size_t *outlen)
{
	static const char	 tail[] = "Content-Length: 0";
	char			*t;
	size_t			 tsz = SIP_MAX_MSG, tlen = 0, off, n, next;
	size_t			 kept = 0;
	const char		*dummy;
	int			 keep = 0;

	t = xmalloc(tsz + 1);
	n = sc->hdrs - sc->start;
	while (n > 0 && (buf[sc->start + n - 1] == '\r' ||
	    buf[sc->start + n - 1] == '\n'))
		n--;
	sip_scan_put(t, &tlen, tsz, buf + sc->start, n);
	for (off = sc->hdrs; kept < SIP_MAX_HEADERS; off = next) {
		if (sip_scan_line(buf, len, off, &n, &next) == -1 || n == 0)
			break;
		if (n > SIP_MAX_LINE ||
		    sip_scan_line_clean(buf + off, n, &dummy) == -1) {
			keep = 0;
			continue;
		}
		if (buf[off] != ' ' && buf[off] != '\t')
			keep = sip_scan_rescue_keep(buf + off, n, essential);
		if (!keep)
			continue;
		if (sip_scan_put(t, &tlen, tsz - sizeof tail - 4, buf + off,
		    n) == -1)
			break;
		kept++;
	}
	sip_scan_put(t, &tlen, tsz, tail, sizeof tail - 1);
	sip_scan_put(t, &tlen, tsz, "", 0);
	t[tlen] = '\0';
	*outlen = tlen;
	return t;
}

/* A decimal string of at most maxdig digits, no sign; -1 when not. */
long long
sip_scan_number(const char *s, size_t maxdig)
{
	long long	v = 0;
	size_t		i;

	if (s == NULL || s[0] == '\0' || strlen(s) > maxdig)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A port is absent or 1-65535. */
int
sip_scan_port_ok(const char *port)
{
	long long	v;

	if (port == NULL)
		return 1;
	v = sip_scan_number(port, 5);
	return v >= 1 && v <= 65535;
}

/* A delta-seconds value (RFC 3261 25.1), clamped to INT_MAX; -1 if bad. */
int
sip_scan_delta(const char *s)
{
	long long	v;
	size_t		i;

	if (s == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	for (i = 0; isdigit((unsigned char)s[i]); i++)
		;
	if (i == 0)
		return -1;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] != '\0')
		return -1;
	v = 0;
	for (i = 0; isdigit((unsigned char)s[i]); i++) {
		v = v * 10 + (s[i] - '0');
		if (v > INT_MAX)
			return INT_MAX;
	}
	return (int)v;
}

/* Value of one hex digit. */
static int
sip_scan_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return tolower(c) - 'a' + 10;
}

/* Unescape %XX in place (declared in sip_msg.h); %00 stays. */
void
sip_unescape(char *s)
{
	char	*w = s;
	int	 c;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			c = sip_scan_hexval((unsigned char)s[1]) * 16 +
			    sip_scan_hexval((unsigned char)s[2]);
			/* %00 would cut the string: leave it as it is. */
			if (c != 0) {
				*w++ = (char)c;
				s += 2;
				continue;
			}
		}
		*w++ = *s;
	}
	*w = '\0';
}

/* A header name is a token; a value holds no line breaks (injection). */
int
sip_scan_header_ok(const char *name, const char *value)
{
	size_t	i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!sip_scan_tokenchar((unsigned char)name[i]))
			return 0;
	return value == NULL || strpbrk(value, "\r\n") == NULL;
}

/* Random hex for tags and branches (declared in sip_msg.h). */
void
sip_random_token(char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[32];
	size_t			 i, k, n;

	if (buf == NULL || len == 0)
		return;
	/* Two hex characters per random byte, up to sizeof r at a time. */
	for (i = 0; i + 1 < len; i += n) {
		n = len - 1 - i;
		if (n > 2 * sizeof r)
			n = 2 * sizeof r;
		rand_fill(r, (n + 1) / 2);
		for (k = 0; k < n; k++)
			buf[i + k] = hex[(r[k / 2] >> (k % 2 ? 0 : 4)) & 0xf];
	}
	buf[len - 1] = '\0';
}
