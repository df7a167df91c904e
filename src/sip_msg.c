/*
 * The SIP message adapter over GNU libosip2's parser library.
 *
 * osip parses and serialises; we guard it.  Every byte a phone sends is
 * pre-scanned first (size, header count, line length, control bytes, the
 * end of the header section, Content-Length against the body, multipart)
 * because osip has no limits of its own, works on NUL-terminated copies
 * and leaks on malformed multipart bodies (DESIGN.md section 2).  After
 * osip has parsed, a semantic check refuses what osip lets through but
 * RFC 3261 does not (missing mandatory headers, CSeq out of range, bad
 * escapes in the Request-URI).
 *
 * A request too broken to route is often still good enough to answer: the
 * "rescue" parse hands osip only the clean header lines (and, failing
 * that, only Via, From, To, Call-ID and CSeq) so the transport can send
 * the 400, 415 or 513 RFC 3261 asks for.
 *
 * Strings handed out as "const char *" are interned in a per-message pool
 * that lives until sip_msg_free(): a caller may keep them across later
 * changes to the message without worrying about osip freeing them.
 */

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "log.h"
#include "sip_msg.h"
#include "sip_pool.h"
#include "sip_scan.h"
#include "xmalloc.h"

struct sip_msg {
	osip_message_t	 *m;
	char		**pool;		/* interned strings, freed with us */
	size_t		  npool;
	size_t		  poolsz;
};

/* The header types osip parses into structures of its own. */
enum msg_htype {
	MSG_HT_VIA,
	MSG_HT_FROM,		/* also To, Route, Record-Route */
	MSG_HT_CONTACT,
	MSG_HT_CALLID,
	MSG_HT_CSEQ,
	MSG_HT_CTYPE,		/* also Accept */
	MSG_HT_CLEN,		/* also Allow, Content-Encoding, MIME-Version */
	MSG_HT_AUTHZ,
	MSG_HT_AUTHN,
	MSG_HT_CINFO,		/* also Alert-Info, Error-Info */
	MSG_HT_AENC,		/* also Accept-Language */
	MSG_HT_AINFO
};

struct msg_hdesc {
	const char	*name;
	const char	*compact;
	enum msg_htype	 type;
	int		 list;	/* an osip_list_t, else a single pointer */
	size_t		 off;	/* offset in osip_message_t */
};

#define MSG_OFF(f)	offsetof(osip_message_t, f)

static const struct msg_hdesc msg_hdescs[] = {
	{ "Via", "v", MSG_HT_VIA, 1, MSG_OFF(vias) },
	{ "From", "f", MSG_HT_FROM, 0, MSG_OFF(from) },
	{ "To", "t", MSG_HT_FROM, 0, MSG_OFF(to) },
	{ "Contact", "m", MSG_HT_CONTACT, 1, MSG_OFF(contacts) },
	{ "Call-ID", "i", MSG_HT_CALLID, 0, MSG_OFF(call_id) },
	{ "CSeq", NULL, MSG_HT_CSEQ, 0, MSG_OFF(cseq) },
	{ "Content-Type", "c", MSG_HT_CTYPE, 0, MSG_OFF(content_type) },
	{ "Content-Length", "l", MSG_HT_CLEN, 0, MSG_OFF(content_length) },
	{ "Route", NULL, MSG_HT_FROM, 1, MSG_OFF(routes) },
	{ "Record-Route", NULL, MSG_HT_FROM, 1, MSG_OFF(record_routes) },
	{ "Authorization", NULL, MSG_HT_AUTHZ, 1, MSG_OFF(authorizations) },
	{ "Proxy-Authorization", NULL, MSG_HT_AUTHZ, 1,
	    MSG_OFF(proxy_authorizations) },
	{ "WWW-Authenticate", NULL, MSG_HT_AUTHN, 1,
	    MSG_OFF(www_authenticates) },
	{ "Proxy-Authenticate", NULL, MSG_HT_AUTHN, 1,
	    MSG_OFF(proxy_authenticates) },
	{ "Accept", NULL, MSG_HT_CTYPE, 1, MSG_OFF(accepts) },
	{ "Accept-Encoding", NULL, MSG_HT_AENC, 1, MSG_OFF(accept_encodings) },
	{ "Accept-Language", NULL, MSG_HT_AENC, 1, MSG_OFF(accept_languages) },
	{ "Alert-Info", NULL, MSG_HT_CINFO, 1, MSG_OFF(alert_infos) },
	{ "Allow", NULL, MSG_HT_CLEN, 1, MSG_OFF(allows) },
	{ "Authentication-Info", NULL, MSG_HT_AINFO, 1,
	    MSG_OFF(authentication_infos) },
	{ "Call-Info", NULL, MSG_HT_CINFO, 1, MSG_OFF(call_infos) },
	{ "Content-Encoding", "e", MSG_HT_CLEN, 1, MSG_OFF(content_encodings) },
	{ "Error-Info", NULL, MSG_HT_CINFO, 1, MSG_OFF(error_infos) },
	{ "MIME-Version", NULL, MSG_HT_CLEN, 0, MSG_OFF(mime_version) },
	{ "Proxy-Authentication-Info", NULL, MSG_HT_AINFO, 1,
	    MSG_OFF(proxy_authentication_infos) },
};

/* Compact forms (RFC 3261 7.3.3 and later RFCs) osip keeps as typed. */
static const char *msg_compacts[][2] = {
	{ "Supported", "k" },
	{ "Subject", "s" },
	{ "Event", "o" },
	{ "Refer-To", "r" },
	{ "Referred-By", "b" },
	{ "Allow-Events", "u" },
	{ "Session-Expires", "x" },
	{ "Accept-Contact", "a" },
	{ "Reject-Contact", "j" },
	{ "Request-Disposition", "d" },
};

static int	msg_parser_ready;

static int	msg_check_writable(const osip_message_t *, const char **);
static char	*msg_serialize(const struct sip_msg *, size_t *,
		    void *(*)(size_t));

/* Swallow osip's traces: our callers log the cause instead. */
static void
msg_osip_trace(const char *file, int line, osip_trace_level_t level,
    const char *fmt, va_list ap)
{
}

/* Initialise osip's parser tables once and silence its traces. */
static void
msg_parser_init(void)
{
	if (msg_parser_ready)
		return;
	sip_pool_install();
	parser_init();
	osip_trace_initialize_func(TRACE_LEVEL0, msg_osip_trace);
	msg_parser_ready = 1;
}

/* Free a string osip allocated. */
static void
msg_ofree(void *p)
{
	if (p != NULL)
		osip_free(p);
}

/* Keep a copy of s[0..n) in the message's pool and return it. */
static const char *
msg_intern(const struct sip_msg *cmsg, const char *s, size_t n)
{
	struct sip_msg	*msg = (struct sip_msg *)cmsg;
	char		*p;
	size_t		 i;

	for (i = 0; i < msg->npool; i++) {
		if (strncmp(msg->pool[i], s, n) == 0 &&
		    msg->pool[i][n] == '\0')
			return msg->pool[i];
	}
	if (msg->npool == msg->poolsz) {
		msg->poolsz = msg->poolsz == 0 ? 8 : msg->poolsz * 2;
		msg->pool = xreallocarray(msg->pool, msg->poolsz,
		    sizeof *msg->pool);
	}
	/* From osip's allocator: the pool's free lists (sip_pool.c). */
	if ((p = osip_malloc(n + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(p, s, n);
	p[n] = '\0';
	msg->pool[msg->npool] = p;
	return msg->pool[msg->npool++];
}

/* Intern a NUL-terminated string (NULL stays NULL). */
static const char *
msg_interns(const struct sip_msg *msg, const char *s)
{
	if (s == NULL)
		return NULL;
	return msg_intern(msg, s, strlen(s));
}

/* Intern a string osip allocated, and free osip's copy. */
static const char *
msg_intern_ofree(const struct sip_msg *msg, char *s)
{
	const char	*r;

	if (s == NULL)
		return NULL;
	r = msg_interns(msg, s);
	osip_free(s);
	return r;
}

/* Copy a string osip allocated into our heap, and free osip's copy. */
static char *
msg_dup_ofree(char *s)
{
	char	*r;

	if (s == NULL)
		return NULL;
	r = xstrdup(s);
	osip_free(s);
	return r;
}

/* Wrap a parsed or built osip message. */
static struct sip_msg *
msg_wrap(osip_message_t *m)
{
	struct sip_msg	*msg;

	msg = xcalloc(1, sizeof *msg);
	msg->m = m;
	return msg;
}

void
sip_msg_free(struct sip_msg *msg)
{
	size_t	i;

	if (msg == NULL)
		return;
	if (msg->m != NULL)
		osip_message_free(msg->m);
	for (i = 0; i < msg->npool; i++)
		osip_free(msg->pool[i]);
	free(msg->pool);
	free(msg);
}

/*
 * Pre-scan (src/sip_scan.c).
 */

int
sip_msg_prescan(const char *buf, size_t len, int *status, const char **cause)
{
	struct sip_scan	sc;

	return sip_scan(buf, len, &sc, status, cause);
}

/*
 * Parse.
 */

/* Does the message have what a response needs (RFC 3261 8.2.6.2)? */
static int
msg_answerable(const osip_message_t *m)
{
	osip_via_t	*via;

	if (!MSG_IS_REQUEST(m) || m->sip_method == NULL ||
	    strcmp(m->sip_method, "ACK") == 0)
		return 0;
	via = osip_list_get(&m->vias, 0);
	if (via == NULL || via->host == NULL || via->host[0] == '\0')
		return 0;
	if (m->from == NULL || m->to == NULL || m->call_id == NULL ||
	    m->call_id->number == NULL || m->cseq == NULL ||
	    m->cseq->number == NULL || m->cseq->method == NULL)
		return 0;
	return 1;
}

/* Hand bytes to osip; NULL when it refuses them. */
static osip_message_t *
msg_osip_parse(const char *p, size_t n)
{
	osip_message_t	*m;

	if (osip_message_init(&m) != 0)
		return NULL;
	if (osip_message_parse(m, p, n) != 0) {
		osip_message_free(m);
		return NULL;
	}
	return m;
}

/* Parse only what a response needs, for answering a broken request. */
static struct sip_msg *
msg_rescue(const char *buf, size_t len, const struct sip_scan *sc)
{
	osip_message_t	*m = NULL;
	char		*t;
	size_t		 tlen;
	int		 essential;

	if (!sc->startok || !sc->request || sc->ack)
		return NULL;
	for (essential = 0; essential < 2; essential++) {
		t = sip_scan_rescue_text(buf, len, sc, essential, &tlen);
		m = msg_osip_parse(t, tlen);
		free(t);
		if (m != NULL && msg_answerable(m))
			return msg_wrap(m);
		if (m != NULL)
			osip_message_free(m);
	}
	return NULL;
}

/*
 * No bracket in a parsed host and a port of digits: osip keeps the '[' of
 * an unclosed IPv6 reference ("sip:1@[2001:db8::1") in the host and takes
 * a blank port ("sip:1@h: >"), then writes "[[2001:db8:]:1" or "h:",
 * which no parser takes, itself included (found by fuzz_sip_msg).
 */
static int
msg_hostport_ok(const osip_uri_t *u)
{
	if (u == NULL)
		return 1;
	return (u->host == NULL || strpbrk(u->host, "[]") == NULL) &&
	    sip_scan_port_ok(u->port);
}

/* A sip(s): URI with a host and a sane port, or a tel: URI. */
static int
msg_ruri_ok(const osip_uri_t *u)
{
	if (u == NULL || u->scheme == NULL)
		return 0;
	if (strcasecmp(u->scheme, "tel") == 0)
		return u->string != NULL && u->string[0] != '\0';
	return u->host != NULL && u->host[0] != '\0' && msg_hostport_ok(u);
}

/* Every Via and URI we copy or route on has a sane host and port. */
static int
msg_check_hosts(const osip_message_t *m, const char **cause)
{
	const osip_list_t	*lists[] = { &m->contacts, &m->routes,
				    &m->record_routes };
	osip_from_t		*f;
	osip_via_t		*via;
	size_t			 i;
	int			 k;

	if (!msg_hostport_ok(m->from->url) || !msg_hostport_ok(m->to->url)) {
		*cause = "bad host or port in From or To";
		return -1;
	}
	for (k = 0; (via = osip_list_get(&m->vias, k)) != NULL; k++) {
		if (via->host == NULL || via->host[0] == '\0' ||
		    strpbrk(via->host, "[]") != NULL ||
		    !sip_scan_port_ok(via->port)) {
			*cause = "missing or bad Via";
			return -1;
		}
	}
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		for (k = 0; (f = osip_list_get(lists[i], k)) != NULL; k++) {
			if (!msg_hostport_ok(f->url)) {
				*cause = "bad host or port in Contact or Route";
				return -1;
			}
		}
	}
	return 0;
}

/*
 * osip writes header names it has no structure for in its own case
 * ("Min-expires", "X-roam-location").  Names are case-insensitive (RFC
 * 3261 7.3.5), but carriers and test tools often match them exactly, so
 * the ones we send are put back in their usual spelling.  Same length,
 * so this is done in place.
 */
static const char *msg_canon[] = {
	"Min-Expires", "P-Asserted-Identity", "Diversion", "User-Agent",
	"X-Roam-Location", "X-Roam-Site", "X-Roam-Hops", "X-Roam-Breakout",
	"X-Roam-User", "X-Roam-Rights", "X-Roam-OOH-Rights",
	"X-Roam-Time-Profile", "X-Roam-Short-Code", "Accept", "Allow",
	"Supported", "Date", "Server", "Retry-After"
};

/* Restore the usual spelling of the header names we send. */
static void
msg_canon_names(char *text, size_t n)
{
	char	*line = text, *end = text + n, *colon, *eol;
	size_t	 i, len;

	while (line < end) {
		if ((eol = memchr(line, '\n', end - line)) == NULL)
			eol = end;
		if (eol - line <= 2)
			break;				/* end of headers */
		if ((colon = memchr(line, ':', eol - line)) != NULL) {
			len = colon - line;
			for (i = 0; i < sizeof(msg_canon) / sizeof(*msg_canon);
			    i++) {
				if (strlen(msg_canon[i]) == len &&
				    strncasecmp(line, msg_canon[i], len) == 0) {
					memcpy(line, msg_canon[i], len);
					break;
				}
			}
		}
		line = eol + 1;
	}
}

/* What RFC 3261 requires but osip does not check. */
static int
msg_check(const osip_message_t *m, const char **cause)
{
	osip_via_t	*via;
	osip_header_t	*h;
	long long	 v;

	via = osip_list_get(&m->vias, 0);
	if (via == NULL || via->host == NULL || via->host[0] == '\0' ||
	    via->protocol == NULL || !sip_scan_port_ok(via->port)) {
		*cause = "missing or bad Via";
		return -1;
	}
	if (m->from == NULL || m->from->url == NULL || m->to == NULL ||
	    m->to->url == NULL) {
		*cause = "missing From or To";
		return -1;
	}
	if (m->call_id == NULL || m->call_id->number == NULL) {
		*cause = "missing Call-ID";
		return -1;
	}
	if (m->cseq == NULL || m->cseq->method == NULL) {
		*cause = "missing CSeq";
		return -1;
	}
	/* RFC 3261 8.1.1.5: CSeq is below 2**31 (RFC 4475 3.1.2.4). */
	v = sip_scan_number(m->cseq->number, 10);
	if (v < 0 || v > INT32_MAX) {
		*cause = "bad CSeq number";
		return -1;
	}
	/* RFC 3261 20.22: 0-255; RFC 4475 3.1.2.4 refuses 300. */
	if (osip_message_header_get_byname(m, "max-forwards", 0, &h) >= 0 &&
	    h != NULL) {
		v = sip_scan_number(h->hvalue, 10);
		if (v < 0 || v > 255) {
			*cause = "bad Max-Forwards";
			return -1;
		}
	}
	if (msg_check_hosts(m, cause) == -1 ||
	    msg_check_writable(m, cause) == -1)
		return -1;
	if (!MSG_IS_REQUEST(m))
		return 0;
	if (!msg_ruri_ok(m->req_uri)) {
		*cause = "bad Request-URI";
		return -1;
	}
	if (strcmp(m->cseq->method, m->sip_method) != 0) {
		*cause = "CSeq method mismatch";
		return -1;
	}
	return 0;
}

int
sip_msg_parse(const char *buf, size_t len, struct sip_msg **out, int *status,
    const char **cause)
{
	struct sip_scan	 sc;
	osip_message_t	*m;
	int		 st;

	*out = NULL;
	*status = 0;
	msg_parser_init();
	if (sip_scan(buf, len, &sc, &st, cause) == -1) {
		if (st != 0 && (*out = msg_rescue(buf, len, &sc)) != NULL)
			*status = st;
		return -1;
	}
	m = msg_osip_parse(buf + sc.start, sc.body - sc.start + sc.bodylen);
	if (m == NULL) {
		*cause = "unparsable message";
		if ((*out = msg_rescue(buf, len, &sc)) != NULL)
			*status = 400;
		return -1;
	}
	if (msg_check(m, cause) == -1) {
		if (msg_answerable(m)) {
			*out = msg_wrap(m);
			*status = 400;
		} else
			osip_message_free(m);
		return -1;
	}
	*out = msg_wrap(m);
	return 0;
}

struct sip_msg *
sip_msg_clone(const struct sip_msg *msg)
{
	osip_message_t	*c;

	if (msg == NULL || osip_message_clone(msg->m, &c) != 0)
		return NULL;
	return msg_wrap(c);
}

char *
sip_msg_serialize(const struct sip_msg *msg, size_t *len)
{
	return (msg_serialize(msg, len, xmalloc));
}

/* The same text in memory from the pool (sip_pool_free() it): what a
 * transaction keeps for retransmissions. */
char *
sip_msg_serialize_pooled(const struct sip_msg *msg, size_t *len)
{
	return (msg_serialize(msg, len, sip_pool_alloc));
}

static char *
msg_serialize(const struct sip_msg *msg, size_t *len,
    void *(*alloc)(size_t))
{
	char	*s, *r;
	size_t	 n;

	if (msg == NULL)
		return NULL;
	/* osip serves a stale cached text unless told the parts changed. */
	osip_message_force_update(msg->m);
	if (osip_message_to_str(msg->m, &s, &n) != 0)
		return NULL;
	r = alloc(n + 1);
	memcpy(r, s, n);
	r[n] = '\0';
	osip_free(s);
	msg_canon_names(r, n);
	if (len != NULL)
		*len = n;
	return r;
}

/*
 * Accessors.
 */

int
sip_msg_is_request(const struct sip_msg *msg)
{
	return msg != NULL && MSG_IS_REQUEST(msg->m);
}

const char *
sip_msg_method(const struct sip_msg *msg)
{
	if (msg == NULL)
		return NULL;
	return msg_interns(msg, msg->m->sip_method);
}

int
sip_msg_status(const struct sip_msg *msg)
{
	if (msg == NULL || MSG_IS_REQUEST(msg->m))
		return 0;
	return msg->m->status_code;
}

const char *
sip_msg_reason(const struct sip_msg *msg)
{
	if (msg == NULL)
		return NULL;
	return msg_interns(msg, msg->m->reason_phrase);
}

const char *
sip_msg_callid(const struct sip_msg *msg)
{
	osip_call_id_t	*c;
	char		*s;
	const char	*r;

	if (msg == NULL || (c = msg->m->call_id) == NULL || c->number == NULL)
		return NULL;
	if (c->host == NULL)
		return msg_interns(msg, c->number);
	xasprintf(&s, "%s@%s", c->number, c->host);
	r = msg_interns(msg, s);
	free(s);
	return r;
}

uint32_t
sip_msg_cseq(const struct sip_msg *msg)
{
	long long	v;

	if (msg == NULL || msg->m->cseq == NULL)
		return 0;
	v = sip_scan_number(msg->m->cseq->number, 10);
	return v < 0 || v > UINT32_MAX ? 0 : (uint32_t)v;
}

const char *
sip_msg_cseq_method(const struct sip_msg *msg)
{
	if (msg == NULL || msg->m->cseq == NULL)
		return NULL;
	return msg_interns(msg, msg->m->cseq->method);
}

const char *
sip_msg_ruri(const struct sip_msg *msg)
{
	char	*s;

	if (msg == NULL || msg->m->req_uri == NULL ||
	    osip_uri_to_str(msg->m->req_uri, &s) != 0)
		return NULL;
	return msg_intern_ofree(msg, s);
}

/*
 * User part of a URI.  osip stores it already unescaped ("%23" arrives as
 * "#"; the pre-scan refused malformed escapes in the Request-URI), so this
 * is the dialled string whichever form the phone sent.  A tel: URI (RFC
 * 3966, from trunks) has no user part: its number plays that role.
 */
static const char *
msg_uri_user(const struct sip_msg *msg, const osip_uri_t *u)
{
	const char	*r;
	char		*t;

	if (u == NULL)
		return NULL;
	if (u->username != NULL || u->scheme == NULL || u->string == NULL ||
	    strcasecmp(u->scheme, "tel") != 0)
		return msg_interns(msg, u->username);
	t = xstrndup(u->string, strcspn(u->string, ";?"));
	sip_unescape(t);
	r = msg_interns(msg, t);
	free(t);
	return r;
}

const char *
sip_msg_ruri_user(const struct sip_msg *msg)
{
	if (msg == NULL)
		return NULL;
	return msg_uri_user(msg, msg->m->req_uri);
}

const char *
sip_msg_ruri_host(const struct sip_msg *msg)
{
	if (msg == NULL || msg->m->req_uri == NULL)
		return NULL;
	return msg_interns(msg, msg->m->req_uri->host);
}

int
sip_msg_ruri_port(const struct sip_msg *msg)
{
	long long	v;

	if (msg == NULL || msg->m->req_uri == NULL)
		return 0;
	v = sip_scan_number(msg->m->req_uri->port, 5);
	return v < 1 || v > 65535 ? 0 : (int)v;
}

/* The value of a From/To parameter (tag), or NULL. */
static const char *
msg_from_param(const struct sip_msg *msg, osip_from_t *f, const char *name)
{
	osip_generic_param_t	*p = NULL;

	if (f == NULL ||
	    osip_generic_param_get_byname(&f->gen_params, (char *)name,
	    &p) != 0 || p == NULL)
		return NULL;
	return msg_interns(msg, p->gvalue);
}

/* User part of a From/To URI (see msg_uri_user). */
static const char *
msg_from_user(const struct sip_msg *msg, osip_from_t *f)
{
	if (f == NULL)
		return NULL;
	return msg_uri_user(msg, f->url);
}

/* Text of a quoted-string without quotes and backslash escapes. */
static const char *
msg_unquote(const struct sip_msg *msg, const char *s)
{
	char		*t;
	const char	*r;
	size_t		 i, n, k = 0;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return msg_intern(msg, s, n);
	t = xmalloc(n);
	for (i = 1; i < n - 1; i++) {
		if (s[i] == '\\' && i + 1 < n - 1)
			i++;
		t[k++] = s[i];
	}
	r = msg_intern(msg, t, k);
	free(t);
	return r;
}

const char *
sip_msg_from_user(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_user(msg, msg->m->from);
}

const char *
sip_msg_from_display(const struct sip_msg *msg)
{
	if (msg == NULL || msg->m->from == NULL)
		return NULL;
	return msg_unquote(msg, msg->m->from->displayname);
}

const char *
sip_msg_from_tag(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_param(msg, msg->m->from, "tag");
}

const char *
sip_msg_to_user(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_user(msg, msg->m->to);
}

const char *
sip_msg_to_tag(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_param(msg, msg->m->to, "tag");
}

/* Whole From/To header value, malloc'd. */
static char *
msg_from_text(osip_from_t *f)
{
	char	*s;

	if (f == NULL || osip_from_to_str(f, &s) != 0)
		return NULL;
	return msg_dup_ofree(s);
}

char *
sip_msg_from_text(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_text(msg->m->from);
}

char *
sip_msg_to_text(const struct sip_msg *msg)
{
	return msg == NULL ? NULL : msg_from_text(msg->m->to);
}

/* The top Via, or NULL. */
static osip_via_t *
msg_top_via(const struct sip_msg *msg)
{
	if (msg == NULL)
		return NULL;
	return osip_list_get(&msg->m->vias, 0);
}

const char *
sip_msg_via_branch(const struct sip_msg *msg)
{
	osip_via_t		*via;
	osip_generic_param_t	*p = NULL;

	if ((via = msg_top_via(msg)) == NULL ||
	    osip_via_param_get_byname(via, "branch", &p) != 0 || p == NULL)
		return NULL;
	return msg_interns(msg, p->gvalue);
}

const char *
sip_msg_via_host(const struct sip_msg *msg)
{
	osip_via_t	*via;

	if ((via = msg_top_via(msg)) == NULL)
		return NULL;
	return msg_interns(msg, via->host);
}

int
sip_msg_via_port(const struct sip_msg *msg)
{
	osip_via_t	*via;
	long long	 v;

	if ((via = msg_top_via(msg)) == NULL)
		return 0;
	v = sip_scan_number(via->port, 5);
	return v < 1 || v > 65535 ? 0 : (int)v;
}

size_t
sip_msg_via_count(const struct sip_msg *msg)
{
	int	n;

	if (msg == NULL || (n = osip_list_size(&msg->m->vias)) < 0)
		return 0;
	return (size_t)n;
}

/* Set a Via parameter to value, adding it when absent. */
static void
msg_via_param_set(osip_via_t *via, const char *name, const char *value)
{
	osip_generic_param_t	*p = NULL;

	if (osip_via_param_get_byname(via, (char *)name, &p) == 0 &&
	    p != NULL) {
		msg_ofree(p->gvalue);
		p->gvalue = osip_strdup(value);
		return;
	}
	osip_via_param_add(via, osip_strdup(name), osip_strdup(value));
}

/*
 * RFC 3261 18.2.1: received= when the sent-by host is not the source
 * address.  RFC 3581 4: when the Via asks with an empty rport, fill it in
 * with the source port, and then add received= even when the host matches.
 */
int
sip_msg_via_set_received(struct sip_msg *msg, const char *ip, int port)
{
	osip_via_t		*via;
	osip_generic_param_t	*rp = NULL;
	char			 pbuf[16];
	int			 rport = 0;

	if ((via = msg_top_via(msg)) == NULL || ip == NULL || via->host == NULL)
		return -1;
	if (osip_via_param_get_byname(via, "rport", &rp) == 0 && rp != NULL &&
	    (rp->gvalue == NULL || rp->gvalue[0] == '\0') &&
	    port > 0 && port <= 65535) {
		snprintf(pbuf, sizeof pbuf, "%d", port);
		msg_ofree(rp->gvalue);
		rp->gvalue = osip_strdup(pbuf);
		rport = 1;
	}
	if (rport || strcasecmp(via->host, ip) != 0)
		msg_via_param_set(via, "received", ip);
	return 0;
}

/* Token of a transport for a Via: UDP, TCP, TLS. */
static const char *
msg_via_transport(const char *t)
{
	if (t == NULL || strcasecmp(t, "udp") == 0)
		return "UDP";
	if (strcasecmp(t, "tcp") == 0)
		return "TCP";
	if (strcasecmp(t, "tls") == 0)
		return "TLS";
	return NULL;
}

/*
 * Push our Via on top (RFC 3261 8.1.1.7).  The branch gets the magic
 * cookie "z9hG4bK" unless it has it; ";rport" asks the peer to answer to
 * the port we sent from (RFC 3581).
 */
int
sip_msg_push_via(struct sip_msg *msg, const char *transport, const char *host,
    int port, const char *branch)
{
	osip_via_t	*via;
	const char	*tr, *cookie = "z9hG4bK", *lb = "", *rb = "";
	char		*text;
	int		 rc;

	if (msg == NULL || host == NULL || host[0] == '\0' ||
	    (tr = msg_via_transport(transport)) == NULL ||
	    port < 0 || port > 65535 || branch == NULL || branch[0] == '\0')
		return -1;
	if (strncmp(branch, cookie, strlen(cookie)) == 0)
		cookie = "";
	if (strchr(host, ':') != NULL && host[0] != '[') {
		lb = "[";
		rb = "]";
	}
	if (port > 0)
		xasprintf(&text, "SIP/2.0/%s %s%s%s:%d;branch=%s%s;rport", tr,
		    lb, host, rb, port, cookie, branch);
	else
		xasprintf(&text, "SIP/2.0/%s %s%s%s;branch=%s%s;rport", tr,
		    lb, host, rb, cookie, branch);
	if (osip_via_init(&via) != 0) {
		free(text);
		return -1;
	}
	rc = osip_via_parse(via, text);
	free(text);
	if (rc != 0 || osip_list_add(&msg->m->vias, via, 0) < 0) {
		osip_via_free(via);
		return -1;
	}
	return 0;
}

int
sip_msg_pop_via(struct sip_msg *msg)
{
	osip_via_t	*via;

	if ((via = msg_top_via(msg)) == NULL)
		return -1;
	osip_list_remove(&msg->m->vias, 0);
	osip_via_free(via);
	return 0;
}

/*
 * Headers by name.
 */

/* The typed header osip keeps for this name, or NULL. */
static const struct msg_hdesc *
msg_hdesc(const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < sizeof msg_hdescs / sizeof msg_hdescs[0]; i++) {
		if (sip_scan_hname_is(name, n, msg_hdescs[i].name,
		    msg_hdescs[i].compact))
			return &msg_hdescs[i];
	}
	return NULL;
}

/* The compact form of an untyped header name, or NULL. */
static const char *
msg_compact(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof msg_compacts / sizeof msg_compacts[0]; i++) {
		if (strcasecmp(name, msg_compacts[i][0]) == 0)
			return msg_compacts[i][1];
		if (strcasecmp(name, msg_compacts[i][1]) == 0)
			return msg_compacts[i][0];
	}
	return NULL;
}

/* Serialise one typed header value with the matching osip function. */
static int
msg_hdr_to_str(enum msg_htype t, void *h, char **s)
{
	switch (t) {
	case MSG_HT_VIA:
		return osip_via_to_str(h, s);
	case MSG_HT_FROM:
		return osip_from_to_str(h, s);
	case MSG_HT_CONTACT:
		return osip_contact_to_str(h, s);
	case MSG_HT_CALLID:
		return osip_call_id_to_str(h, s);
	case MSG_HT_CSEQ:
		return osip_cseq_to_str(h, s);
	case MSG_HT_CTYPE:
		return osip_content_type_to_str(h, s);
	case MSG_HT_CLEN:
		return osip_content_length_to_str(h, s);
	case MSG_HT_AUTHZ:
		return osip_authorization_to_str(h, s);
	case MSG_HT_AUTHN:
		return osip_www_authenticate_to_str(h, s);
	case MSG_HT_CINFO:
		return osip_call_info_to_str(h, s);
	case MSG_HT_AENC:
		return osip_accept_encoding_to_str(h, s);
	case MSG_HT_AINFO:
		return osip_authentication_info_to_str(h, s);
	}
	return -1;
}

/* Free one typed header value with the matching osip function. */
static void
msg_hdr_free(enum msg_htype t, void *h)
{
	switch (t) {
	case MSG_HT_VIA:
		osip_via_free(h);
		break;
	case MSG_HT_FROM:
	case MSG_HT_CONTACT:
		osip_from_free(h);
		break;
	case MSG_HT_CALLID:
		osip_call_id_free(h);
		break;
	case MSG_HT_CSEQ:
		osip_cseq_free(h);
		break;
	case MSG_HT_CTYPE:
		osip_content_type_free(h);
		break;
	case MSG_HT_CLEN:
		osip_content_length_free(h);
		break;
	case MSG_HT_AUTHZ:
		osip_authorization_free(h);
		break;
	case MSG_HT_AUTHN:
		osip_www_authenticate_free(h);
		break;
	case MSG_HT_CINFO:
		osip_call_info_free(h);
		break;
	case MSG_HT_AENC:
		osip_accept_encoding_free(h);
		break;
	case MSG_HT_AINFO:
		osip_authentication_info_free(h);
		break;
	}
}

/* The k-th value of a typed header (0 = first), or NULL. */
static void *
msg_hdr_nth(const osip_message_t *m, const struct msg_hdesc *d, int k)
{
	const char	*base = (const char *)m + d->off;

	if (d->list)
		return osip_list_get((const osip_list_t *)base, k);
	return k == 0 ? *(void *const *)base : NULL;
}

/*
 * Can osip write back every typed header it parsed?  Some it takes but
 * cannot write ("Content-Type: a/b;c", a parameter without a value); its
 * message writer then leaves the header's name with no value and no line
 * end, and the next header runs into it (found by fuzz_sip_msg).  Via,
 * From/To/Route, Contact, Call-ID, CSeq and Content-Length are in every
 * message and their writers take whatever their parsers took (the
 * fuzz_sip_msg round trip holds without checking them): writing them all
 * here once more cost a sixth of parsing a message, so they are skipped.
 */
static int
msg_check_needed(enum msg_htype t)
{
	switch (t) {
	case MSG_HT_VIA:
	case MSG_HT_FROM:
	case MSG_HT_CONTACT:
	case MSG_HT_CALLID:
	case MSG_HT_CSEQ:
	case MSG_HT_CLEN:
		return (0);
	default:
		return (1);
	}
}

/* Check the typed headers osip may not write back (above). */
static int
msg_check_writable(const osip_message_t *m, const char **cause)
{
	const struct msg_hdesc	*d;
	void			*h;
	char			*s;
	size_t			 i;
	int			 k;

	for (i = 0; i < sizeof msg_hdescs / sizeof msg_hdescs[0]; i++) {
		d = &msg_hdescs[i];
		if (!msg_check_needed(d->type))
			continue;
		for (k = 0; (h = msg_hdr_nth(m, d, k)) != NULL; k++) {
			s = NULL;
			if (msg_hdr_to_str(d->type, h, &s) != 0) {
				msg_ofree(s);
				*cause = "header that cannot be written back";
				return -1;
			}
			msg_ofree(s);
		}
	}
	return 0;
}

/* Remove every value of a typed header. */
static void
msg_hdr_remove_typed(osip_message_t *m, const struct msg_hdesc *d)
{
	char		*base = (char *)m + d->off;
	osip_list_t	*l = (osip_list_t *)base;
	void		*h;

	if (!d->list) {
		h = *(void **)base;
		*(void **)base = NULL;
		if (h != NULL)
			msg_hdr_free(d->type, h);
		return;
	}
	while ((h = osip_list_get(l, 0)) != NULL) {
		osip_list_remove(l, 0);
		msg_hdr_free(d->type, h);
	}
}

/* Remove every untyped header called name (or its compact form). */
static void
msg_hdr_remove_other(osip_message_t *m, const char *name)
{
	osip_header_t	*h;
	const char	*alt = msg_compact(name);
	int		 i = 0;

	while ((h = osip_list_get(&m->headers, i)) != NULL) {
		if (h->hname != NULL && (strcasecmp(h->hname, name) == 0 ||
		    (alt != NULL && strcasecmp(h->hname, alt) == 0))) {
			osip_list_remove(&m->headers, i);
			osip_header_free(h);
		} else
			i++;
	}
}

const char *
sip_msg_header(const struct sip_msg *msg, const char *name)
{
	const struct msg_hdesc	*d;
	const char		*alt;
	osip_header_t		*h;
	void			*v;
	char			*s;
	int			 i;

	if (msg == NULL || name == NULL)
		return NULL;
	if ((d = msg_hdesc(name)) != NULL) {
		if ((v = msg_hdr_nth(msg->m, d, 0)) == NULL ||
		    msg_hdr_to_str(d->type, v, &s) != 0)
			return NULL;
		return msg_intern_ofree(msg, s);
	}
	alt = msg_compact(name);
	for (i = 0; (h = osip_list_get(&msg->m->headers, i)) != NULL; i++) {
		if (h->hname == NULL || (strcasecmp(h->hname, name) != 0 &&
		    (alt == NULL || strcasecmp(h->hname, alt) != 0)))
			continue;
		return msg_interns(msg, h->hvalue != NULL ? h->hvalue : "");
	}
	return NULL;
}

/* Is there a header name?  sip_msg_header() without building its text. */
int
sip_msg_has_header(const struct sip_msg *msg, const char *name)
{
	const struct msg_hdesc	*d;
	const char		*alt;
	osip_header_t		*h;
	int			 i;

	if (msg == NULL || name == NULL)
		return (0);
	if ((d = msg_hdesc(name)) != NULL)
		return (msg_hdr_nth(msg->m, d, 0) != NULL);
	alt = msg_compact(name);
	for (i = 0; (h = osip_list_get(&msg->m->headers, i)) != NULL; i++) {
		if (h->hname != NULL && (strcasecmp(h->hname, name) == 0 ||
		    (alt != NULL && strcasecmp(h->hname, alt) == 0)))
			return (1);
	}
	return (0);
}

int
sip_msg_add_header(struct sip_msg *msg, const char *name, const char *value)
{
	char	*n, *v;
	int	 rc;

	if (msg == NULL || value == NULL || !sip_scan_header_ok(name, value))
		return -1;
	/* osip wants writable strings here. */
	n = xstrdup(name);
	v = xstrdup(value);
	rc = osip_message_set_multiple_header(msg->m, n, v);
	free(n);
	free(v);
	return rc == 0 ? 0 : -1;
}

int
sip_msg_set_header(struct sip_msg *msg, const char *name, const char *value)
{
	const struct msg_hdesc	*d;

	if (msg == NULL || !sip_scan_header_ok(name, value))
		return -1;
	if ((d = msg_hdesc(name)) != NULL)
		msg_hdr_remove_typed(msg->m, d);
	else
		msg_hdr_remove_other(msg->m, name);
	if (value == NULL)
		return 0;
	return sip_msg_add_header(msg, name, value);
}

int
sip_msg_expires(const struct sip_msg *msg)
{
	return sip_scan_delta(sip_msg_header(msg, "Expires"));
}

int
sip_msg_max_forwards(const struct sip_msg *msg)
{
	return sip_scan_delta(sip_msg_header(msg, "Max-Forwards"));
}

/*
 * Contacts, routes, authentication.
 */

size_t
sip_msg_ncontacts(const struct sip_msg *msg)
{
	int	n;

	if (msg == NULL || (n = osip_list_size(&msg->m->contacts)) < 0)
		return 0;
	return (size_t)n;
}

int
sip_msg_contact(const struct sip_msg *msg, size_t i, struct sip_contact *c)
{
	osip_contact_t		*ct;
	osip_generic_param_t	*p = NULL;
	char			*s;

	memset(c, 0, sizeof *c);
	c->expires = -1;
	if (msg == NULL || i >= sip_msg_ncontacts(msg) ||
	    (ct = osip_list_get(&msg->m->contacts, (int)i)) == NULL)
		return -1;
	/* RFC 3261 10.2.2: "Contact: *" removes every binding. */
	if (ct->url == NULL) {
		if (ct->displayname == NULL ||
		    strcmp(ct->displayname, "*") != 0)
			return -1;
		c->uri = msg_interns(msg, "*");
		return 0;
	}
	if (osip_uri_to_str(ct->url, &s) != 0)
		return -1;
	c->uri = msg_intern_ofree(msg, s);
	if (osip_contact_param_get_byname(ct, "expires", &p) == 0 &&
	    p != NULL)
		c->expires = sip_scan_delta(p->gvalue);
	return 0;
}

char *
sip_msg_contact_uri(const struct sip_msg *msg)
{
	struct sip_contact	c;

	if (sip_msg_contact(msg, 0, &c) == -1)
		return NULL;
	return xstrdup(c.uri);
}

size_t
sip_msg_record_routes(const struct sip_msg *msg, char ***out)
{
	osip_record_route_t	*rr;
	char			**v, *s;
	size_t			 n = 0;
	int			 i;

	*out = NULL;
	if (msg == NULL || osip_list_size(&msg->m->record_routes) <= 0)
		return 0;
	v = xcalloc((size_t)osip_list_size(&msg->m->record_routes),
	    sizeof *v);
	for (i = 0; (rr = osip_list_get(&msg->m->record_routes, i)) != NULL;
	    i++) {
		if (osip_record_route_to_str(rr, &s) == 0)
			v[n++] = msg_dup_ofree(s);
	}
	if (n == 0) {
		free(v);
		return 0;
	}
	*out = v;
	return n;
}

int
sip_msg_auth(const struct sip_msg *msg, const char *hdr, struct sip_auth *a)
{
	osip_authorization_t	*au;
	const osip_list_t	*l;

	memset(a, 0, sizeof *a);
	if (msg == NULL || hdr == NULL)
		return -1;
	if (strcasecmp(hdr, "Proxy-Authorization") == 0)
		l = &msg->m->proxy_authorizations;
	else if (strcasecmp(hdr, "Authorization") == 0)
		l = &msg->m->authorizations;
	else
		return -1;
	if ((au = osip_list_get(l, 0)) == NULL || au->auth_type == NULL ||
	    strcasecmp(au->auth_type, "Digest") != 0 || au->username == NULL)
		return -1;
	a->username = msg_unquote(msg, au->username);
	a->realm = msg_unquote(msg, au->realm);
	a->nonce = msg_unquote(msg, au->nonce);
	a->uri = msg_unquote(msg, au->uri);
	a->response = msg_unquote(msg, au->response);
	a->algorithm = msg_unquote(msg, au->algorithm);
	a->cnonce = msg_unquote(msg, au->cnonce);
	a->opaque = msg_unquote(msg, au->opaque);
	a->qop = msg_unquote(msg, au->message_qop);
	a->nc = msg_unquote(msg, au->nonce_count);
	return 0;
}

int
sip_msg_challenge(const struct sip_msg *msg, struct sip_challenge *c)
{
	osip_www_authenticate_t	*w;
	const char		*stale;

	memset(c, 0, sizeof *c);
	if (msg == NULL)
		return -1;
	if ((w = osip_list_get(&msg->m->www_authenticates, 0)) == NULL &&
	    (w = osip_list_get(&msg->m->proxy_authenticates, 0)) == NULL)
		return -1;
	if (w->auth_type == NULL || strcasecmp(w->auth_type, "Digest") != 0)
		return -1;
	c->realm = msg_unquote(msg, w->realm);
	c->nonce = msg_unquote(msg, w->nonce);
	c->opaque = msg_unquote(msg, w->opaque);
	c->qop = msg_unquote(msg, w->qop_options);
	c->algorithm = msg_unquote(msg, w->algorithm);
	stale = msg_unquote(msg, w->stale);
	c->stale = stale != NULL && strcasecmp(stale, "true") == 0;
	return 0;
}

/*
 * Body.
 */

const char *
sip_msg_body(const struct sip_msg *msg, size_t *len)
{
	osip_body_t	*b;

	*len = 0;
	if (msg == NULL || (b = osip_list_get(&msg->m->bodies, 0)) == NULL ||
	    b->body == NULL || b->length == 0)
		return NULL;
	*len = b->length;
	return b->body;
}

const char *
sip_msg_content_type(const struct sip_msg *msg)
{
	osip_content_type_t	*ct;
	char			*s;
	const char		*r;

	if (msg == NULL || (ct = msg->m->content_type) == NULL ||
	    ct->type == NULL)
		return NULL;
	if (ct->subtype == NULL)
		return msg_interns(msg, ct->type);
	xasprintf(&s, "%s/%s", ct->type, ct->subtype);
	r = msg_interns(msg, s);
	free(s);
	return r;
}

int
sip_msg_set_body(struct sip_msg *msg, const char *ctype, const char *body,
    size_t len)
{
	osip_body_t	*b;
	char		 clen[24];

	if (msg == NULL || (body == NULL && len > 0) || len > SIP_MAX_MSG)
		return -1;
	while ((b = osip_list_get(&msg->m->bodies, 0)) != NULL) {
		osip_list_remove(&msg->m->bodies, 0);
		osip_body_free(b);
	}
	if (sip_msg_set_header(msg, "Content-Type", ctype) == -1)
		return -1;
	snprintf(clen, sizeof clen, "%zu", len);
	if (sip_msg_set_header(msg, "Content-Length", clen) == -1)
		return -1;
	if (len > 0 && osip_message_set_body(msg->m, body, len) != 0)
		return -1;
	return 0;
}

/*
 * Building messages.
 */

/* Copy the headers RFC 3261 8.2.6.2 puts in every response. */
static int
msg_response_copy(osip_message_t *r, const osip_message_t *q)
{
	osip_via_t	*v, *cv;
	int		 i;

	for (i = 0; (v = osip_list_get(&q->vias, i)) != NULL; i++) {
		if (osip_via_clone(v, &cv) != 0)
			return -1;
		if (osip_list_add(&r->vias, cv, -1) < 0) {
			osip_via_free(cv);
			return -1;
		}
	}
	if (osip_from_clone(q->from, &r->from) != 0 ||
	    osip_from_clone(q->to, &r->to) != 0 ||
	    osip_call_id_clone(q->call_id, &r->call_id) != 0 ||
	    osip_cseq_clone(q->cseq, &r->cseq) != 0)
		return -1;
	return 0;
}

struct sip_msg *
sip_msg_response(const struct sip_msg *req, int code, const char *reason,
    const char *to_tag)
{
	osip_message_t		*r;
	osip_generic_param_t	*tag = NULL;
	const char		*phrase = reason;

	if (req == NULL || !msg_answerable(req->m) || code < 100 ||
	    code > 699)
		return NULL;
	if (phrase == NULL && (phrase = osip_message_get_reason(code)) == NULL)
		phrase = "Unknown";
	if (osip_message_init(&r) != 0)
		return NULL;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(phrase));
	if (msg_response_copy(r, req->m) == -1 ||
	    osip_message_set_content_length(r, "0") != 0) {
		osip_message_free(r);
		return NULL;
	}
	/* RFC 3261 8.2.6.2: the UAS adds a To tag unless one is there. */
	if (to_tag != NULL && to_tag[0] != '\0' && code > 100 &&
	    (osip_to_get_tag(r->to, &tag) != 0 || tag == NULL))
		osip_to_set_tag(r->to, osip_strdup(to_tag));
	return msg_wrap(r);
}

struct sip_msg *
sip_msg_request(const char *method, const char *ruri, const char *from,
    const char *to, const char *callid, uint32_t cseq)
{
	struct sip_msg	*msg;
	osip_message_t	*m;
	char		*cs;
	int		 rc;

	if (method == NULL || ruri == NULL || from == NULL || to == NULL ||
	    callid == NULL || !sip_scan_header_ok(method, NULL))
		return NULL;
	msg_parser_init();
	if (osip_message_init(&m) != 0)
		return NULL;
	msg = msg_wrap(m);
	osip_message_set_method(m, osip_strdup(method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	xasprintf(&cs, "%u %s", cseq, method);
	rc = sip_msg_set_ruri(msg, ruri);
	if (rc == 0)
		rc = sip_msg_add_header(msg, "From", from);
	if (rc == 0)
		rc = sip_msg_add_header(msg, "To", to);
	if (rc == 0)
		rc = sip_msg_add_header(msg, "Call-ID", callid);
	if (rc == 0)
		rc = sip_msg_add_header(msg, "CSeq", cs);
	if (rc == 0)
		rc = sip_msg_add_header(msg, "Max-Forwards", "70");
	if (rc == 0)
		rc = sip_msg_add_header(msg, "Content-Length", "0");
	free(cs);
	if (rc != 0) {
		sip_msg_free(msg);
		return NULL;
	}
	return msg;
}

int
sip_msg_set_ruri(struct sip_msg *msg, const char *uri)
{
	osip_uri_t	*u;

	if (msg == NULL || uri == NULL || strpbrk(uri, " \t\r\n") != NULL)
		return -1;
	msg_parser_init();
	if (osip_uri_init(&u) != 0)
		return -1;
	if (osip_uri_parse(u, uri) != 0 || u->host == NULL) {
		osip_uri_free(u);
		return -1;
	}
	if (msg->m->req_uri != NULL)
		osip_uri_free(msg->m->req_uri);
	msg->m->req_uri = u;
	return 0;
}

/*
 * Helpers for the rest of the daemon.
 */

int
sip_uri_split(const char *uri, char **user, char **host, int *port,
    char **transport)
{
	osip_uri_t		*u;
	osip_uri_param_t	*p = NULL;
	long long		 v;

	if (user != NULL)
		*user = NULL;
	if (host != NULL)
		*host = NULL;
	if (port != NULL)
		*port = 0;
	if (transport != NULL)
		*transport = NULL;
	if (uri == NULL || !sip_scan_uri_escapes_ok(uri, strlen(uri)))
		return -1;
	msg_parser_init();
	if (osip_uri_init(&u) != 0)
		return -1;
	if (osip_uri_parse(u, uri) != 0 || u->host == NULL ||
	    u->host[0] == '\0' || !sip_scan_port_ok(u->port)) {
		osip_uri_free(u);
		return -1;
	}
	v = sip_scan_number(u->port, 5);
	if (port != NULL && v > 0)
		*port = (int)v;
	if (user != NULL && u->username != NULL)
		*user = xstrdup(u->username);
	if (host != NULL)
		*host = xstrdup(u->host);
	if (transport != NULL &&
	    osip_uri_param_get_byname(&u->url_params, "transport", &p) == 0 &&
	    p != NULL && p->gvalue != NULL)
		*transport = xstrdup(p->gvalue);
	osip_uri_free(u);
	return 0;
}
