/*
 * The confirmation tone of feature short codes (DESIGN.md section 2): about
 * one second of PCMU RTP that the daemon itself sends to the phone's media
 * address after answering a feature code with 200 OK.
 */
#ifndef RTP_H
#define RTP_H

struct event_base;
struct rtp_tone;

/*
 * Open a local RTP socket on addr (port chosen by the kernel); *port gets
 * its number for the SDP answer.  NULL on failure.
 */
struct rtp_tone	*rtp_tone_new(struct event_base *, const char *addr,
		    int *port);
/*
 * Send ms milliseconds of tone to dst:dport, then call done(arg).  0 or
 * -1 (bad address).
 */
int		 rtp_tone_play(struct rtp_tone *, const char *dst, int dport,
		    int ms, void (*done)(void *), void *arg);
/* Stop and free (no callback). */
void		 rtp_tone_free(struct rtp_tone *);
/* G.711 mu-law of one 16-bit linear sample (exposed for tests). */
unsigned char	 rtp_ulaw(int sample);

#endif
