/*
 * The few SDP lines we need (RFC 4566), read by our own small parser:
 * osip's SDP parser over-reads on malformed input (DESIGN.md section 2).
 */
#ifndef SIP_SDP_H
#define SIP_SDP_H

#include <stddef.h>

struct sdp_info {
	char	addr[64];	/* c= connection address */
	int	port;		/* first m=audio port, 0 if none */
	int	has_pcmu;	/* payload 0 offered */
	/* 0 sendrecv, 1 sendonly, 2 recvonly, 3 inactive */
	int	direction;
};

/*
 * Read body (len bytes, need not be NUL-terminated); returns 0, or -1 when
 * it is not a usable audio offer (no m=audio, port 0 or bad, no c=).
 * addr is the media-level c= of the first m=audio, else the session one;
 * direction is the media-level attribute, else the session one, else 0.
 * has_pcmu is set only for the RTP/AVP(F) profiles.  The caller checks it.
 */
int	sdp_read(const char *body, size_t len, struct sdp_info *);
/*
 * Write an SDP answer for a local PCMU stream at addr:port into buf;
 * returns the length, or -1 when it does not fit.
 */
int	sdp_write_answer(char *buf, size_t size, const char *addr, int port,
	    unsigned long long session_id);

#endif
