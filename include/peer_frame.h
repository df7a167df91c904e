/*
 * Peer-link frames (DESIGN.md section 5).  A frame is a fixed 16-byte
 * header in network byte order followed by a body of TLV attributes:
 *
 *	magic u32 "ROAM" | version u8 | type u8 | flags u16 |
 *	length u32 (of the body) | sequence u32 | attributes...
 *
 *	attribute: type u16 | length u16 | value
 *
 * As in OpenBGPD, every frame type has a minimum and maximum body length
 * and every known attribute a value length range, all checked before any
 * value is read.  Unknown attributes are skipped (a newer peer may add
 * some); an unknown frame type, a bad magic or version, a length out of
 * bounds, a truncated attribute or a missing required attribute is a
 * decode error, which costs the sender its link and nothing more.
 */
#ifndef PEER_FRAME_H
#define PEER_FRAME_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define PEER_MAGIC		0x524f414dU	/* "ROAM" */
#define PEER_VERSION		1
#define PEER_HDRLEN		16
/* A whole frame, header included; a directory larger than this is sent as
 * several DIR_SYNC frames with PF_MORE set on all but the last. */
#define PEER_MAXFRAME		65536
#define PEER_MAXBODY		(PEER_MAXFRAME - PEER_HDRLEN)
#define PEER_NONCELEN		32
#define PEER_PROOFLEN		32	/* HMAC-SHA256 */

/* Frame types. */
enum peer_type {
	PT_HELLO = 1,		/* site name, id, epoch, nonce */
	PT_AUTH,		/* proof of the network secret */
	PT_KEEPALIVE,
	PT_ERROR,		/* reason text; the sender closes */
	PT_DIR_SYNC,		/* home's users, on link up; PF_MORE chunks */
	PT_LOCATION,		/* one user moved: login/logout anywhere */
	PT_LOGIN_REQ,		/* host asks home to verify a login */
	PT_LOGIN_ANS,		/* home: full user record, or a failure */
	PT_LOGOUT,		/* host tells home the user left */
	PT_LOGOUT_ACK,
	PT_SETTINGS,		/* host -> home: settings changed on a phone */
	PT_SETTINGS_ACK,
	PT_RELEASE,		/* home tells a host to drop a user */
	PT_RELEASE_ACK,
	PT_BREAKOUT_REQ,	/* dial these digits on your site */
	PT_BREAKOUT_ANS,
	PT_MAX
};

/* Header flags. */
#define PF_MORE		0x0001	/* DIR_SYNC: more chunks follow */
#define PF_FULL		0x0002	/* DIR_SYNC: this sync replaces all of
				 * the sender's users (first chunk) */

/*
 * Attribute numbers.  Strings are UTF-8 without a NUL; integers are in
 * network byte order; flags are one byte (0 or 1).  Repeated attributes
 * (PA_SHORTCODE, PA_BUTTON, PA_RIGHTS in DIR_SYNC...) are allowed where
 * noted.  In DIR_SYNC each user entry starts at a PA_USER attribute and
 * runs to the next one.
 */
enum peer_attr_type {
	/* link */
	PA_SITE_NAME = 1,	/* str */
	PA_SITE_ID,		/* u32, 1-99 */
	PA_EPOCH,		/* u64 */
	PA_NONCE,		/* 32 bytes */
	PA_PROOF,		/* 32 bytes */
	PA_RESULT,		/* u32, enum peer_result */
	PA_REASON,		/* str, for logs and phones */

	/* user identity and location */
	PA_USER = 16,		/* str, user number; starts a DIR_SYNC entry */
	PA_NAME,		/* str, display name */
	PA_HOME,		/* str, home site name */
	PA_SITE,		/* str, where logged in; absent = logged out */
	PA_EXTENSION,		/* str, extension number */
	PA_GENERATION,		/* u64 */
	PA_LOGIN_CODE,		/* str, digits as typed (never stored) */
	PA_TIME,		/* u64, unix seconds of the event */

	/* user record (LOGIN_ANS, SETTINGS) */
	PA_PROFILE = 32,	/* str, "teleworker"... */
	PA_RIGHTS,		/* str, working-hours user rights name */
	PA_OOH_RIGHTS,		/* str, out-of-hours user rights name */
	PA_TIME_PROFILE,	/* str, working-hours time profile name */
	PA_FORCE_LOGIN,		/* flag */
	PA_DND,			/* flag */
	PA_FWD_NUMBER,		/* str; empty = none */
	PA_FWD_UNCOND,		/* flag */
	PA_FWD_BUSY,		/* flag */
	PA_FWD_NOANSWER,	/* flag */
	PA_FWD_NOANSWER_TIME,	/* u32 seconds */
	PA_TWIN_NUMBER,		/* str */
	PA_TWIN_ENABLED,	/* flag */
	PA_SHORTCODE,		/* nested PA_SC_*, repeated */
	PA_BUTTON,		/* nested PA_BTN_*, repeated */
	PA_FAILURES,		/* u32, consecutive wrong codes (H2) */
	PA_LOCK_REMAINING,	/* u32 seconds left of a lock-out */

	/* calls and break out */
	PA_DIGITS = 64,		/* str, dialled digits */
	PA_CALL_ID,		/* str */
	PA_CALLER,		/* str, calling user number */
	PA_CALLER_NAME,		/* str */
	PA_TARGET,		/* str, SIP URI to send the call to */
	PA_LOCATION,		/* str, extension location (emergency) */

	/* nested inside PA_SHORTCODE */
	PA_SC_CODE = 96,	/* str */
	PA_SC_FEATURE,		/* str, feature name as in YAML */
	PA_SC_NUMBER,		/* str */
	PA_SC_TRUNK,		/* str */
	PA_SC_SITE,		/* str */

	/* nested inside PA_BUTTON */
	PA_BTN_TYPE = 112,	/* str, button type name as in YAML */
	PA_BTN_USER,		/* str */
	PA_BTN_TRUNK,		/* str */
	PA_BTN_NUMBER,		/* str */
	PA_BTN_SITE,		/* str */

	PA_MAX
};

/* PA_RESULT values: answers to requests and ERROR causes. */
enum peer_result {
	PR_OK = 0,
	PR_BAD_CODE,		/* wrong login code */
	PR_LOCKED,		/* lock-out in force (PA_LOCK_REMAINING) */
	PR_UNKNOWN_USER,
	PR_NOT_HOME,		/* we are not this user's home */
	PR_NO_LICENCE,		/* profile does not allow it */
	PR_STALE,		/* a newer generation exists */
	PR_BARRED,
	PR_BUSY,
	PR_NOT_FOUND,		/* break out: nothing matches */
	PR_UNREACHABLE,
	PR_FAILED,		/* anything else; see PA_REASON */
	PR_PROTOCOL		/* ERROR frame: malformed or unexpected */
};

struct peer_attr {
	uint16_t	 type;
	uint16_t	 len;
	const uint8_t	*val;	/* into the frame buffer */
};

#define PEER_MSG_MAXATTR	48

/*
 * A decoded frame.  Pointers reach into the buffer given to
 * peer_frame_decode(), which must outlive the message.  attr[] holds the
 * first PEER_MSG_MAXATTR known attributes in order; use an iterator to
 * walk all of them (DIR_SYNC, repeated short codes).
 */
struct peer_msg {
	uint8_t		 type;
	uint16_t	 flags;
	uint32_t	 seq;
	uint32_t	 len;		/* body length */
	const uint8_t	*body;
	struct peer_attr attr[PEER_MSG_MAXATTR];
	size_t		 nattr;
};

/* Walks attributes of a body or of a nested attribute's value. */
struct peer_iter {
	const uint8_t	*p;
	const uint8_t	*end;
	uint16_t	 parent;	/* 0, or the nested attribute */
};

/* A frame being built: a growing buffer; see peer_frame_begin(). */
struct peer_out {
	uint8_t		*buf;
	size_t		 len;
	size_t		 size;
	size_t		 nest;		/* offset of an open nested attr + 1 */
	int		 error;		/* peer_frame_end() fails: 1 too
					 * big, 2 a value out of bounds */
};

/*
 * Decode one frame from buf.  Returns the bytes it used (header and
 * body), 0 when more bytes are needed, -1 with *cause on a malformed
 * frame.  A bad header is reported as soon as its 16 bytes are there.
 */
ssize_t		 peer_frame_decode(const uint8_t *buf, size_t len,
		    struct peer_msg *, const char **cause);
/* The body length a header announces, for a reader sizing its pull-up. */
uint32_t	 peer_frame_peek_len(const uint8_t *hdr);

/* First attribute of a type, NULL when absent. */
const struct peer_attr *peer_msg_get(const struct peer_msg *, uint16_t);
/* Typed getters: -1 when absent (the decoder already checked sizes). */
int		 peer_msg_u32(const struct peer_msg *, uint16_t, uint32_t *);
int		 peer_msg_u64(const struct peer_msg *, uint16_t, uint64_t *);
int		 peer_msg_flag(const struct peer_msg *, uint16_t, int *);
/* Copy a string attribute with a NUL; -1 when absent, too long or it
 * holds a NUL byte. */
int		 peer_msg_str(const struct peer_msg *, uint16_t, char *,
		    size_t);

void		 peer_iter_init(struct peer_iter *, const struct peer_msg *);
/* Iterate the nested attributes inside a (decoded) nested attribute. */
void		 peer_iter_nested(struct peer_iter *, const struct peer_attr *);
/* Next known attribute; 0 at the end.  Unknown ones are skipped. */
int		 peer_iter_next(struct peer_iter *, struct peer_attr *);

uint32_t	 peer_attr_u32(const struct peer_attr *);
uint64_t	 peer_attr_u64(const struct peer_attr *);
int		 peer_attr_str(const struct peer_attr *, char *, size_t);
/* A malloc'd NUL-terminated copy (NUL bytes inside are refused: NULL). */
char		*peer_attr_strdup(const struct peer_attr *);

/*
 * Build a frame: zero the struct peer_out once, then begin, put
 * attributes, end (the buffer is reused by the next begin; free it with
 * peer_frame_free).  seq 0: peer_send() picks the link's next sequence
 * number.  Answers echo the request's.  A known attribute whose value is
 * outside its bounds (an empty PA_USER, a 40-character PA_SITE_NAME)
 * makes peer_frame_end() fail: the receiver would drop the link for it.
 */
void		 peer_frame_begin(struct peer_out *, uint8_t type,
		    uint32_t seq);
void		 peer_frame_set_flags(struct peer_out *, uint16_t);
void		 peer_frame_set_seq(struct peer_out *, uint32_t);
uint32_t	 peer_frame_seq(const struct peer_out *);
void		 peer_frame_put_str(struct peer_out *, uint16_t, const char *);
void		 peer_frame_put_u32(struct peer_out *, uint16_t, uint32_t);
void		 peer_frame_put_u64(struct peer_out *, uint16_t, uint64_t);
void		 peer_frame_put_flag(struct peer_out *, uint16_t, int);
void		 peer_frame_put_bytes(struct peer_out *, uint16_t,
		    const void *, size_t);
/* Open and close a nested attribute (PA_SHORTCODE, PA_BUTTON). */
void		 peer_frame_nest_begin(struct peer_out *, uint16_t);
void		 peer_frame_nest_end(struct peer_out *);
/* Bytes still free in this frame (to split a DIR_SYNC). */
size_t		 peer_frame_room(const struct peer_out *);
/* Fill in the length; -1 with *cause when the frame grew too big. */
int		 peer_frame_end(struct peer_out *, const char **cause);
void		 peer_frame_free(struct peer_out *);

const char	*peer_type_name(int);
const char	*peer_attr_name(int);
const char	*peer_result_name(int);

#endif
