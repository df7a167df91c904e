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
	int	direction;	/* 0 sendrecv, 1 sendonly, 2 recvonly, 3 inactive */
};

/* Read body; returns 0, or -1 when it is not a usable audio offer. */
int	sdp_read(const char *body, size_t len, struct sdp_info *);
/*
 * Write an SDP answer for a local PCMU stream at addr:port into buf;
 * returns the length, or -1 when it does not fit.
 */
int	sdp_write_answer(char *buf, size_t size, const char *addr, int port,
	    unsigned long long session_id);

#endif
