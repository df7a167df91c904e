/*
 * The few SDP lines Roam reads (RFC 4566), by our own parser: osip's SDP
 * parser over-reads on malformed input (DESIGN.md section 2).  We only
 * need where the caller wants audio (c= and the first m=audio port),
 * whether it offers PCMU (static payload 0, RFC 3551 6) and the direction
 * attribute (RFC 3264 5.1), to answer feature codes with our own tone.
 *
 * The body is a counted buffer, not a C string: every read is bounded by
 * its length, and a NUL byte anywhere makes the line it is on garbage.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sip_sdp.h"

/* Where we are in the description. */
enum sdp_level {
	SDP_SESSION,		/* before the first m= */
	SDP_AUDIO,		/* inside the first m=audio */
	SDP_OTHER		/* inside any other media section */
};

struct sdp_state {
	enum sdp_level	level;
	int		seen_audio;
	char		sess_addr[64];
	char		media_addr[64];
	int		sess_dir;
	int		media_dir;	/* -1 until the media sets one */
};

/* Next word of p[0..n) after *off: start and length, 0 when none. */
static size_t
sdp_word(const char *p, size_t n, size_t *off, const char **w)
{
	size_t	s;

	while (*off < n && p[*off] == ' ')
		(*off)++;
	s = *off;
	while (*off < n && p[*off] != ' ')
		(*off)++;
	*w = p + s;
	return *off - s;
}

/* Does the counted word equal s? */
static int
sdp_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

/* Decimal port 0-65535 from a counted word ("49170" or "49170/2"). */
static int
sdp_port(const char *w, size_t n)
{
	size_t	i;
	int	v = 0;

	for (i = 0; i < n && w[i] != '/'; i++) {
		if (!isdigit((unsigned char)w[i]) || i >= 5)
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	if (i == 0 || v > 65535)
		return -1;
	return v;
}

/* c=IN IP4 addr / c=IN IP6 addr (RFC 4566 5.7); -1 when unusable. */
static int
sdp_conn(const char *p, size_t n, char *addr, size_t addrsz)
{
	const char	*w;
	size_t		 off = 0, wl, i;

	wl = sdp_word(p, n, &off, &w);
	if (!sdp_is(w, wl, "IN"))
		return -1;
	wl = sdp_word(p, n, &off, &w);
	if (!sdp_is(w, wl, "IP4") && !sdp_is(w, wl, "IP6"))
		return -1;
	wl = sdp_word(p, n, &off, &w);
	/* A multicast TTL or count follows a slash: not part of the address. */
	for (i = 0; i < wl && w[i] != '/'; i++) {
		if (!isalnum((unsigned char)w[i]) && w[i] != '.' &&
		    w[i] != ':' && w[i] != '-')
			return -1;
	}
	if (i == 0 || i >= addrsz)
		return -1;
	memcpy(addr, w, i);
	addr[i] = '\0';
	return 0;
}

/* m=audio PORT PROTO FMT... (RFC 4566 5.14) for the first audio stream. */
static void
sdp_media(const char *p, size_t n, struct sdp_state *st,
    struct sdp_info *info)
{
	const char	*w;
	size_t		 off = 0, wl;
	int		 port, avp;

	wl = sdp_word(p, n, &off, &w);
	if (!sdp_is(w, wl, "audio") || st->seen_audio) {
		st->level = SDP_OTHER;
		return;
	}
	st->level = SDP_AUDIO;
	st->seen_audio = 1;
	wl = sdp_word(p, n, &off, &w);
	if ((port = sdp_port(w, wl)) == -1)
		return;
	info->port = port;
	wl = sdp_word(p, n, &off, &w);
	/* Payload 0 means PCMU only under the AVP profiles (RFC 3551). */
	avp = sdp_is(w, wl, "RTP/AVP") || sdp_is(w, wl, "RTP/AVPF");
	while ((wl = sdp_word(p, n, &off, &w)) > 0) {
		if (avp && sdp_is(w, wl, "0"))
			info->has_pcmu = 1;
	}
}

/* a=sendrecv|sendonly|recvonly|inactive (RFC 4566 6); -1 for others. */
static int
sdp_direction(const char *p, size_t n)
{
	if (sdp_is(p, n, "sendrecv"))
		return 0;
	if (sdp_is(p, n, "sendonly"))
		return 1;
	if (sdp_is(p, n, "recvonly"))
		return 2;
	if (sdp_is(p, n, "inactive"))
		return 3;
	return -1;
}

/* One "x=value" line. */
static void
sdp_line(const char *p, size_t n, struct sdp_state *st, struct sdp_info *info)
{
	int	dir;

	if (n < 2 || p[1] != '=' || memchr(p, '\0', n) != NULL)
		return;
	switch (p[0]) {
	case 'm':
		sdp_media(p + 2, n - 2, st, info);
		break;
	case 'c':
		if (st->level == SDP_SESSION)
			sdp_conn(p + 2, n - 2, st->sess_addr,
			    sizeof st->sess_addr);
		else if (st->level == SDP_AUDIO)
			sdp_conn(p + 2, n - 2, st->media_addr,
			    sizeof st->media_addr);
		break;
	case 'a':
		if ((dir = sdp_direction(p + 2, n - 2)) == -1)
			break;
		if (st->level == SDP_SESSION)
			st->sess_dir = dir;
		else if (st->level == SDP_AUDIO)
			st->media_dir = dir;
		break;
	}
}

int
sdp_read(const char *body, size_t len, struct sdp_info *info)
{
	struct sdp_state	 st;
	const char		*p, *end, *nl;
	size_t			 n;

	memset(info, 0, sizeof *info);
	memset(&st, 0, sizeof st);
	st.media_dir = -1;
	if (body == NULL)
		return -1;
	for (p = body, end = body + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* the last line may lack its end */
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		sdp_line(p, n, &st, info);
		if (nl == end)
			break;
	}
	/* RFC 4566 5.7: a media-level c= overrides the session one. */
	if (st.media_addr[0] != '\0')
		memcpy(info->addr, st.media_addr, sizeof info->addr);
	else
		memcpy(info->addr, st.sess_addr, sizeof info->addr);
	info->direction = st.media_dir != -1 ? st.media_dir : st.sess_dir;
	if (!st.seen_audio || info->port <= 0 || info->addr[0] == '\0')
		return -1;
	return 0;
}

int
sdp_write_answer(char *buf, size_t size, const char *addr, int port,
    unsigned long long session_id)
{
	const char	*ipv;
	int		 n;

	if (buf == NULL || size == 0 || addr == NULL || addr[0] == '\0' ||
	    port <= 0 || port > 65535)
		return -1;
	ipv = strchr(addr, ':') != NULL ? "IP6" : "IP4";
	n = snprintf(buf, size,
	    "v=0\r\n"
	    "o=roam %llu %llu IN %s %s\r\n"
	    "s=roam\r\n"
	    "c=IN %s %s\r\n"
	    "t=0 0\r\n"
	    "m=audio %d RTP/AVP 0\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n"
	    "a=sendrecv\r\n",
	    session_id, session_id, ipv, addr, ipv, addr, port);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}
