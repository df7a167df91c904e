/*
 * Peer-link frame codec: decode with every length checked before it is
 * trusted, and build frames into a growing buffer.
 *
 * Why bounds tables rather than checks in each handler: the bytes come
 * from another machine, and OpenBGPD's experience is that a per-type
 * length table checked in one place is the only way every handler gets
 * the same care.  Once peer_frame_decode() accepted a frame, a handler may
 * read any attribute the frame carries at its declared size without
 * further checks.  The 64 KiB frame limit bounds what a peer can make us
 * buffer; large directories travel in several DIR_SYNC chunks.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer_frame.h"
#include "xmalloc.h"

enum peer_kind {
	K_STR,
	K_U32,
	K_U64,
	K_FLAG,
	K_BYTES,
	K_NESTED
};

struct peer_attr_spec {
	const char	*name;
	enum peer_kind	 kind;
	uint16_t	 min;
	uint16_t	 max;
	uint16_t	 parent;	/* 0: top level; else nested in it */
};

#define S(n, min, max)	{ n, K_STR, min, max, 0 }
#define U32(n)		{ n, K_U32, 4, 4, 0 }
#define U64(n)		{ n, K_U64, 8, 8, 0 }
#define FLAG(n)		{ n, K_FLAG, 1, 1, 0 }

/* Known attributes: value length bounds and where they may appear. */
static const struct peer_attr_spec peer_attrs[PA_MAX] = {
	[PA_SITE_NAME] = S("site_name", 1, 31),
	[PA_SITE_ID] = U32("site_id"),
	[PA_EPOCH] = U64("epoch"),
	[PA_NONCE] = { "nonce", K_BYTES, PEER_NONCELEN, PEER_NONCELEN, 0 },
	[PA_PROOF] = { "proof", K_BYTES, PEER_PROOFLEN, PEER_PROOFLEN, 0 },
	[PA_RESULT] = U32("result"),
	[PA_REASON] = S("reason", 0, 255),

	[PA_USER] = S("user", 1, 31),
	[PA_NAME] = S("name", 0, 1024),
	[PA_HOME] = S("home", 1, 31),
	[PA_SITE] = S("site", 0, 31),
	[PA_EXTENSION] = S("extension", 0, 31),
	[PA_GENERATION] = U64("generation"),
	[PA_LOGIN_CODE] = S("login_code", 1, 31),
	[PA_TIME] = U64("time"),

	[PA_PROFILE] = S("profile", 1, 31),
	[PA_RIGHTS] = S("user_rights", 0, 255),
	[PA_OOH_RIGHTS] = S("out_of_hours_user_rights", 0, 255),
	[PA_TIME_PROFILE] = S("time_profile", 0, 255),
	[PA_FORCE_LOGIN] = FLAG("force_login"),
	[PA_DND] = FLAG("dnd"),
	[PA_FWD_NUMBER] = S("forward_number", 0, 63),
	[PA_FWD_UNCOND] = FLAG("forward_unconditional"),
	[PA_FWD_BUSY] = FLAG("forward_on_busy"),
	[PA_FWD_NOANSWER] = FLAG("forward_on_no_answer"),
	[PA_FWD_NOANSWER_TIME] = U32("no_answer_time"),
	[PA_TWIN_NUMBER] = S("twinning_number", 0, 63),
	[PA_TWIN_ENABLED] = FLAG("twinning_enabled"),
	[PA_SHORTCODE] = { "short_code", K_NESTED, 4, 1024, 0 },
	[PA_BUTTON] = { "button", K_NESTED, 4, 1024, 0 },
	[PA_FAILURES] = U32("failures"),
	[PA_LOCK_REMAINING] = U32("lock_remaining"),

	[PA_DIGITS] = S("digits", 0, 255),
	[PA_CALL_ID] = S("call_id", 1, 1024),
	[PA_CALLER] = S("caller", 0, 63),
	[PA_CALLER_NAME] = S("caller_name", 0, 255),
	[PA_TARGET] = S("target", 0, 1024),
	[PA_LOCATION] = S("location", 0, 1024),

	[PA_SC_CODE] = { "code", K_STR, 1, 63, PA_SHORTCODE },
	[PA_SC_FEATURE] = { "feature", K_STR, 1, 31, PA_SHORTCODE },
	[PA_SC_NUMBER] = { "number", K_STR, 0, 63, PA_SHORTCODE },
	[PA_SC_TRUNK] = { "trunk", K_STR, 0, 63, PA_SHORTCODE },
	[PA_SC_SITE] = { "site", K_STR, 0, 31, PA_SHORTCODE },

	[PA_BTN_TYPE] = { "type", K_STR, 1, 31, PA_BUTTON },
	[PA_BTN_USER] = { "user", K_STR, 0, 31, PA_BUTTON },
	[PA_BTN_TRUNK] = { "trunk", K_STR, 0, 63, PA_BUTTON },
	[PA_BTN_NUMBER] = { "number", K_STR, 0, 63, PA_BUTTON },
	[PA_BTN_SITE] = { "site", K_STR, 0, 31, PA_BUTTON },
};

#define PEER_MAXREQ	4

struct peer_type_spec {
	const char	*name;
	uint32_t	 min;		/* body length bounds */
	uint32_t	 max;
	uint16_t	 req[PEER_MAXREQ];	/* required attributes */
};

/* A string attribute of at least one byte, u32, u64, flag: sizes on the
 * wire, header included, to state the minimum bodies below. */
#define W_STR1	(4 + 1)
#define W_U32	(4 + 4)
#define W_U64	(4 + 8)

/* Frame types: body bounds and required attributes. */
static const struct peer_type_spec peer_types[PT_MAX] = {
	[PT_HELLO] = { "hello", W_STR1 + W_U32 + W_U64 + 4 + PEER_NONCELEN,
	    1024, { PA_SITE_NAME, PA_SITE_ID, PA_EPOCH, PA_NONCE } },
	[PT_AUTH] = { "auth", 4 + PEER_PROOFLEN, 256, { PA_PROOF } },
	[PT_KEEPALIVE] = { "keepalive", 0, 256, { 0 } },
	[PT_ERROR] = { "error", 0, 1024, { 0 } },
	[PT_DIR_SYNC] = { "dir_sync", 0, PEER_MAXBODY, { 0 } },
	[PT_LOCATION] = { "location", W_STR1 * 2 + W_U64, 4096,
	    { PA_USER, PA_HOME, PA_GENERATION } },
	[PT_LOGIN_REQ] = { "login_req", W_STR1 * 2, 4096,
	    { PA_USER, PA_LOGIN_CODE } },
	[PT_LOGIN_ANS] = { "login_ans", W_STR1 + W_U32, PEER_MAXBODY,
	    { PA_USER, PA_RESULT } },
	[PT_LOGOUT] = { "logout", W_STR1 + W_U64, 4096,
	    { PA_USER, PA_GENERATION } },
	[PT_LOGOUT_ACK] = { "logout_ack", W_STR1 + W_U32, 4096,
	    { PA_USER, PA_RESULT } },
	[PT_SETTINGS] = { "settings", W_STR1 + W_U64, 16384,
	    { PA_USER, PA_GENERATION } },
	[PT_SETTINGS_ACK] = { "settings_ack", W_STR1 + W_U32, 4096,
	    { PA_USER, PA_RESULT } },
	[PT_RELEASE] = { "release", W_STR1 + W_U64, 4096,
	    { PA_USER, PA_GENERATION } },
	[PT_RELEASE_ACK] = { "release_ack", W_STR1 + W_U32, 4096,
	    { PA_USER, PA_RESULT } },
	[PT_BREAKOUT_REQ] = { "breakout_req", 4, PEER_MAXBODY,
	    { PA_DIGITS } },
	[PT_BREAKOUT_ANS] = { "breakout_ans", W_U32, 4096, { PA_RESULT } },
};

static const char *peer_results[] = {
	"ok", "bad-code", "locked", "unknown-user", "not-home", "no-licence",
	"stale", "barred", "busy", "not-found", "unreachable", "failed",
	"protocol"
};

/* A cause with the attribute's name, for the ERROR frame and the log. */
static char	peer_cause_buf[96];

/* Read a big-endian u16. */
static uint16_t
peer_get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/* Read a big-endian u32. */
static uint32_t
peer_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* The spec of attribute t as seen inside parent (0: top level), or NULL
 * when it is unknown there (and so skipped). */
static const struct peer_attr_spec *
peer_attr_spec(uint16_t t, uint16_t parent)
{
	if (t == 0 || t >= PA_MAX || peer_attrs[t].name == NULL)
		return (NULL);
	if (peer_attrs[t].parent != parent)
		return (NULL);
	return (&peer_attrs[t]);
}

/* Format a cause naming an attribute. */
static const char *
peer_cause(const char *what, uint16_t t)
{
	snprintf(peer_cause_buf, sizeof(peer_cause_buf), "%s %s", what,
	    peer_attr_name(t));
	return (peer_cause_buf);
}

/*
 * Walk the TLVs in [p, p + len) inside parent, checking every length; on
 * the top level (msg not NULL) store known attributes into msg.
 */
static int
peer_walk(const uint8_t *p, size_t len, uint16_t parent, struct peer_msg *msg,
    const char **cause)
{
	const struct peer_attr_spec	*sp;
	uint16_t			 t, alen;

	while (len > 0) {
		if (len < 4) {
			*cause = "truncated attribute header";
			return (-1);
		}
		t = peer_get16(p);
		alen = peer_get16(p + 2);
		if (alen > len - 4) {
			*cause = "attribute runs past the end of the frame";
			return (-1);
		}
		if ((sp = peer_attr_spec(t, parent)) != NULL) {
			if (alen < sp->min || alen > sp->max) {
				*cause = peer_cause("bad length of attribute",
				    t);
				return (-1);
			}
			if (sp->kind == K_NESTED &&
			    peer_walk(p + 4, alen, t, NULL, cause) == -1)
				return (-1);
			if (msg != NULL && msg->nattr < PEER_MSG_MAXATTR) {
				msg->attr[msg->nattr].type = t;
				msg->attr[msg->nattr].len = alen;
				msg->attr[msg->nattr].val = p + 4;
				msg->nattr++;
			}
		}
		p += 4 + alen;
		len -= 4 + alen;
	}
	return (0);
}

/* Is attribute t anywhere in the body?  (The array may be full.) */
static int
peer_has(const struct peer_msg *msg, uint16_t t)
{
	return (peer_msg_get(msg, t) != NULL);
}

/* Check the fixed header; 0 when it is acceptable. */
static int
peer_check_header(const uint8_t *buf, const char **cause)
{
	const struct peer_type_spec	*ts;
	uint32_t			 blen;
	uint8_t				 type;

	if (peer_get32(buf) != PEER_MAGIC) {
		*cause = "bad magic";
		return (-1);
	}
	if (buf[4] != PEER_VERSION) {
		*cause = "unsupported version";
		return (-1);
	}
	type = buf[5];
	if (type == 0 || type >= PT_MAX || peer_types[type].name == NULL) {
		*cause = "unknown frame type";
		return (-1);
	}
	ts = &peer_types[type];
	blen = peer_get32(buf + 8);
	if (blen > PEER_MAXBODY) {
		*cause = "frame too long";
		return (-1);
	}
	if (blen < ts->min) {
		*cause = "frame too short for its type";
		return (-1);
	}
	if (blen > ts->max) {
		*cause = "frame too long for its type";
		return (-1);
	}
	return (0);
}

/* The body length a header announces. */
uint32_t
peer_frame_peek_len(const uint8_t *hdr)
{
	return (peer_get32(hdr + 8));
}

/* Decode one frame; see peer_frame.h. */
ssize_t
peer_frame_decode(const uint8_t *buf, size_t len, struct peer_msg *msg,
    const char **cause)
{
	const struct peer_type_spec	*ts;
	uint32_t			 blen;
	size_t				 i;

	*cause = NULL;
	if (len < PEER_HDRLEN)
		return (0);
	if (peer_check_header(buf, cause) == -1)
		return (-1);
	blen = peer_get32(buf + 8);
	if (len - PEER_HDRLEN < blen)
		return (0);

	memset(msg, 0, sizeof(*msg));
	msg->type = buf[5];
	msg->flags = peer_get16(buf + 6);
	msg->seq = peer_get32(buf + 12);
	msg->len = blen;
	msg->body = buf + PEER_HDRLEN;
	if (peer_walk(msg->body, blen, 0, msg, cause) == -1)
		return (-1);
	ts = &peer_types[msg->type];
	for (i = 0; i < PEER_MAXREQ && ts->req[i] != 0; i++) {
		if (!peer_has(msg, ts->req[i])) {
			*cause = peer_cause("missing attribute", ts->req[i]);
			return (-1);
		}
	}
	return ((ssize_t)(PEER_HDRLEN + blen));
}

/* Start walking a decoded message's top-level attributes. */
void
peer_iter_init(struct peer_iter *it, const struct peer_msg *msg)
{
	it->p = msg->body;
	it->end = msg->body + msg->len;
	it->parent = 0;
}

/* Start walking the attributes nested in a. */
void
peer_iter_nested(struct peer_iter *it, const struct peer_attr *a)
{
	it->p = a->val;
	it->end = a->val + a->len;
	it->parent = a->type;
}

/* Next known attribute; 0 at the end (or on a bad length, which a decoded
 * frame never has). */
int
peer_iter_next(struct peer_iter *it, struct peer_attr *a)
{
	uint16_t	 t, alen;

	while (it->p != NULL && it->end - it->p >= 4) {
		t = peer_get16(it->p);
		alen = peer_get16(it->p + 2);
		if (alen > it->end - it->p - 4)
			break;
		a->type = t;
		a->len = alen;
		a->val = it->p + 4;
		it->p += 4 + alen;
		if (peer_attr_spec(t, it->parent) != NULL)
			return (1);
	}
	it->p = it->end;
	return (0);
}

/* First attribute of type t. */
const struct peer_attr *
peer_msg_get(const struct peer_msg *msg, uint16_t t)
{
	static struct peer_attr	 found;
	struct peer_iter	 it;
	size_t			 i;

	for (i = 0; i < msg->nattr; i++)
		if (msg->attr[i].type == t)
			return (&msg->attr[i]);
	if (msg->nattr < PEER_MSG_MAXATTR)
		return (NULL);
	/* The array overflowed: the rest is only in the body. */
	peer_iter_init(&it, msg);
	while (peer_iter_next(&it, &found))
		if (found.type == t)
			return (&found);
	return (NULL);
}

/* Value of a u32 attribute. */
uint32_t
peer_attr_u32(const struct peer_attr *a)
{
	return (a->len == 4 ? peer_get32(a->val) : 0);
}

/* Value of a u64 attribute. */
uint64_t
peer_attr_u64(const struct peer_attr *a)
{
	if (a->len != 8)
		return (0);
	return ((uint64_t)peer_get32(a->val) << 32 | peer_get32(a->val + 4));
}

/* Copy a string attribute with a NUL into buf. */
int
peer_attr_str(const struct peer_attr *a, char *buf, size_t size)
{
	if (a->len >= size || memchr(a->val, '\0', a->len) != NULL)
		return (-1);
	memcpy(buf, a->val, a->len);
	buf[a->len] = '\0';
	return (0);
}

/* A malloc'd copy of a string attribute. */
char *
peer_attr_strdup(const struct peer_attr *a)
{
	if (memchr(a->val, '\0', a->len) != NULL)
		return (NULL);
	return (xstrndup((const char *)a->val, a->len));
}

/* u32 attribute t of msg. */
int
peer_msg_u32(const struct peer_msg *msg, uint16_t t, uint32_t *v)
{
	const struct peer_attr	*a;

	if ((a = peer_msg_get(msg, t)) == NULL || a->len != 4)
		return (-1);
	*v = peer_attr_u32(a);
	return (0);
}

/* u64 attribute t of msg. */
int
peer_msg_u64(const struct peer_msg *msg, uint16_t t, uint64_t *v)
{
	const struct peer_attr	*a;

	if ((a = peer_msg_get(msg, t)) == NULL || a->len != 8)
		return (-1);
	*v = peer_attr_u64(a);
	return (0);
}

/* Flag attribute t of msg (any nonzero byte is set). */
int
peer_msg_flag(const struct peer_msg *msg, uint16_t t, int *v)
{
	const struct peer_attr	*a;

	if ((a = peer_msg_get(msg, t)) == NULL || a->len != 1)
		return (-1);
	*v = a->val[0] != 0;
	return (0);
}

/* String attribute t of msg. */
int
peer_msg_str(const struct peer_msg *msg, uint16_t t, char *buf, size_t size)
{
	const struct peer_attr	*a;

	if ((a = peer_msg_get(msg, t)) == NULL)
		return (-1);
	return (peer_attr_str(a, buf, size));
}

/* Make room for n more bytes, or mark the frame too big. */
static uint8_t *
peer_out_grow(struct peer_out *o, size_t n)
{
	size_t	 want;
	uint8_t	*p;

	if (o->error)
		return (NULL);
	if (n > PEER_MAXFRAME - o->len) {
		o->error = 1;
		return (NULL);
	}
	want = o->len + n;
	if (want > o->size) {
		o->size = want < 256 ? 256 : want * 2;
		if (o->size > PEER_MAXFRAME)
			o->size = PEER_MAXFRAME;
		o->buf = xreallocarray(o->buf, 1, o->size);
	}
	p = o->buf + o->len;
	o->len += n;
	return (p);
}

/* Write a big-endian u16. */
static void
peer_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Write a big-endian u32. */
static void
peer_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Start a frame of type with sequence seq; any previous content goes. */
void
peer_frame_begin(struct peer_out *o, uint8_t type, uint32_t seq)
{
	uint8_t	*p;

	o->len = 0;
	o->nest = 0;
	o->error = 0;
	p = peer_out_grow(o, PEER_HDRLEN);
	peer_put32(p, PEER_MAGIC);
	p[4] = PEER_VERSION;
	p[5] = type;
	peer_put16(p + 6, 0);
	peer_put32(p + 8, 0);
	peer_put32(p + 12, seq);
}

/* Set the header flags. */
void
peer_frame_set_flags(struct peer_out *o, uint16_t flags)
{
	if (o->len >= PEER_HDRLEN)
		peer_put16(o->buf + 6, flags);
}

/* Set the header sequence. */
void
peer_frame_set_seq(struct peer_out *o, uint32_t seq)
{
	if (o->len >= PEER_HDRLEN)
		peer_put32(o->buf + 12, seq);
}

/* The header sequence. */
uint32_t
peer_frame_seq(const struct peer_out *o)
{
	return (o->len >= PEER_HDRLEN ? peer_get32(o->buf + 12) : 0);
}

/*
 * Does a value of len fit attribute t where the frame is being built?
 * The receiver would refuse it and drop the link, so a sender finds out
 * here instead (a nested attribute is sized when it is closed).
 */
static int
peer_out_fits(const struct peer_out *o, uint16_t t, size_t len)
{
	const struct peer_attr_spec	*sp;
	uint16_t			 parent = 0;

	if (o->nest != 0)
		parent = peer_get16(o->buf + o->nest - 1);
	if ((sp = peer_attr_spec(t, parent)) == NULL || sp->kind == K_NESTED)
		return (1);
	return (len >= sp->min && len <= sp->max);
}

/* Append an attribute of any value. */
void
peer_frame_put_bytes(struct peer_out *o, uint16_t t, const void *v,
    size_t len)
{
	uint8_t	*p;

	if (o->error)
		return;
	if (len > UINT16_MAX) {
		o->error = 1;
		return;
	}
	if (!peer_out_fits(o, t, len)) {
		o->error = 2;
		return;
	}
	if ((p = peer_out_grow(o, 4 + len)) == NULL)
		return;
	peer_put16(p, t);
	peer_put16(p + 2, (uint16_t)len);
	if (len > 0)
		memcpy(p + 4, v, len);
}

/* Append a string attribute (NULL is sent as an empty string). */
void
peer_frame_put_str(struct peer_out *o, uint16_t t, const char *s)
{
	if (s == NULL)
		s = "";
	peer_frame_put_bytes(o, t, s, strlen(s));
}

/* Append a u32 attribute. */
void
peer_frame_put_u32(struct peer_out *o, uint16_t t, uint32_t v)
{
	uint8_t	 b[4];

	peer_put32(b, v);
	peer_frame_put_bytes(o, t, b, sizeof(b));
}

/* Append a u64 attribute. */
void
peer_frame_put_u64(struct peer_out *o, uint16_t t, uint64_t v)
{
	uint8_t	 b[8];

	peer_put32(b, (uint32_t)(v >> 32));
	peer_put32(b + 4, (uint32_t)v);
	peer_frame_put_bytes(o, t, b, sizeof(b));
}

/* Append a flag attribute. */
void
peer_frame_put_flag(struct peer_out *o, uint16_t t, int v)
{
	uint8_t	 b = v ? 1 : 0;

	peer_frame_put_bytes(o, t, &b, 1);
}

/* Open a nested attribute: what follows up to nest_end() is inside it. */
void
peer_frame_nest_begin(struct peer_out *o, uint16_t t)
{
	size_t	 at = o->len;

	if (o->nest != 0) {
		o->error = 1;
		return;
	}
	peer_frame_put_bytes(o, t, NULL, 0);
	if (!o->error)
		o->nest = at + 1;
}

/* Does the nested attribute at offset at fit its bounds with len? */
static int
peer_out_fits_nested(const struct peer_out *o, size_t at, size_t len)
{
	const struct peer_attr_spec	*sp;

	if ((sp = peer_attr_spec(peer_get16(o->buf + at), 0)) == NULL)
		return (1);
	return (len >= sp->min && len <= sp->max);
}

/* Close the open nested attribute, filling in its length. */
void
peer_frame_nest_end(struct peer_out *o)
{
	size_t	 at, len;

	if (o->error)
		return;
	if (o->nest == 0) {
		o->error = 1;
		return;
	}
	at = o->nest - 1;
	len = o->len - at - 4;
	o->nest = 0;
	if (len > UINT16_MAX) {
		o->error = 1;
		return;
	}
	if (!peer_out_fits_nested(o, at, len)) {
		o->error = 2;
		return;
	}
	peer_put16(o->buf + at + 2, (uint16_t)len);
}

/* Bytes still free in the frame. */
size_t
peer_frame_room(const struct peer_out *o)
{
	if (o->error || o->len > PEER_MAXFRAME)
		return (0);
	return (PEER_MAXFRAME - o->len);
}

/* Finish the frame: fill in the body length. */
int
peer_frame_end(struct peer_out *o, const char **cause)
{
	if (o->len < PEER_HDRLEN) {
		*cause = "frame not begun";
		return (-1);
	}
	if (o->error == 2) {
		*cause = "attribute value out of bounds";
		return (-1);
	}
	if (o->error || o->nest != 0) {
		*cause = o->nest != 0 ? "nested attribute left open" :
		    "frame too long";
		return (-1);
	}
	peer_put32(o->buf + 8, (uint32_t)(o->len - PEER_HDRLEN));
	return (0);
}

/* Release a frame's buffer. */
void
peer_frame_free(struct peer_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/* A frame type's name for logs. */
const char *
peer_type_name(int t)
{
	if (t <= 0 || t >= PT_MAX || peer_types[t].name == NULL)
		return ("unknown");
	return (peer_types[t].name);
}

/* An attribute's name for logs. */
const char *
peer_attr_name(int t)
{
	if (t <= 0 || t >= PA_MAX || peer_attrs[t].name == NULL)
		return ("unknown");
	return (peer_attrs[t].name);
}

/* A result code's name for logs. */
const char *
peer_result_name(int r)
{
	if (r < 0 || (size_t)r >= sizeof(peer_results) /
	    sizeof(peer_results[0]))
		return ("unknown");
	return (peer_results[r]);
}
