/*
 * Confirmation tone as PCMU RTP (RFC 3550, RFC 3551 payload type 0).  The
 * daemon carries no media otherwise; this is the one place it does, so it
 * stays small: one socket, one timer, 20 ms packets of a 425 Hz beep
 * pattern (150 ms on, 100 ms off), the rhythm phones know as "accepted".
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rtp.h"
#include "xmalloc.h"

#define RTP_PTIME_MS	20
#define RTP_SAMPLES	160	/* 20 ms at 8 kHz */
#define RTP_TONE_HZ	425.0
#define RTP_AMPLITUDE	8000.0

struct rtp_tone {
	int			 fd;
	struct event		*timer;
	struct sockaddr_in	 dst;
	uint16_t		 seq;
	uint32_t		 ts;
	uint32_t		 ssrc;
	int			 packets;	/* left to send */
	int			 sent;
	void			(*done)(void *);
	void			*arg;
};

/* G.711 mu-law encoding of a linear sample (ITU-T G.711 table). */
unsigned char
rtp_ulaw(int sample)
{
	const int	 bias = 0x84, clip = 32635;
	int		 sign, exponent, mantissa;

	sign = (sample >> 8) & 0x80;
	if (sign)
		sample = -sample;
	if (sample > clip)
		sample = clip;
	sample += bias;
	exponent = 7;
	while (exponent > 0 && (sample & (0x4000 >> (7 - exponent))) == 0)
		exponent--;
	mantissa = (sample >> (exponent + 3)) & 0x0f;
	return ((unsigned char)~(sign | (exponent << 4) | mantissa));
}

/* Fill one packet's payload: tone during the "on" part of the cadence. */
static void
rtp_tone_fill(struct rtp_tone *t, unsigned char *p)
{
	int	 ms = t->sent * RTP_PTIME_MS, on = (ms % 250) < 150, i;
	double	 s;

	for (i = 0; i < RTP_SAMPLES; i++) {
		s = 0.0;
		if (on)
			s = RTP_AMPLITUDE * sin(2.0 * M_PI * RTP_TONE_HZ *
			    (double)(t->ts + i) / 8000.0);
		p[i] = rtp_ulaw((int)s);
	}
}

/* Timer: send the next packet, or finish. */
static void
rtp_tone_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct rtp_tone	*t = arg;
	unsigned char	 pkt[12 + RTP_SAMPLES];

	if (t->packets-- <= 0) {
		event_del(t->timer);
		if (t->done != NULL)
			t->done(t->arg);
		return;
	}
	pkt[0] = 0x80;			/* V=2 */
	pkt[1] = t->sent == 0 ? 0x80 : 0x00;	/* marker on first, PT 0 */
	pkt[2] = t->seq >> 8;
	pkt[3] = t->seq & 0xff;
	pkt[4] = t->ts >> 24;
	pkt[5] = (t->ts >> 16) & 0xff;
	pkt[6] = (t->ts >> 8) & 0xff;
	pkt[7] = t->ts & 0xff;
	memcpy(pkt + 8, &t->ssrc, 4);
	rtp_tone_fill(t, pkt + 12);
	if (sendto(t->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&t->dst,
	    sizeof(t->dst)) == -1 && errno != EAGAIN)
		log_debug("rtp send: %s", strerror(errno));
	t->seq++;
	t->ts += RTP_SAMPLES;
	t->sent++;
}

/* Open the local socket. */
struct rtp_tone *
rtp_tone_new(struct event_base *base, const char *addr, int *port)
{
	struct rtp_tone		*t;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (NULL);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (NULL);
	}
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->timer = event_new(base, -1, EV_PERSIST, rtp_tone_tick, t);
	if (RAND_bytes((unsigned char *)&t->ssrc, sizeof(t->ssrc)) != 1)
		t->ssrc = (uint32_t)random();
	t->seq = (uint16_t)t->ssrc;
	*port = ntohs(sin.sin_port);
	return (t);
}

/* Start sending ms of tone to dst:dport. */
int
rtp_tone_play(struct rtp_tone *t, const char *dst, int dport, int ms,
    void (*done)(void *), void *arg)
{
	struct timeval	 tv = { 0, RTP_PTIME_MS * 1000 };

	memset(&t->dst, 0, sizeof(t->dst));
	t->dst.sin_family = AF_INET;
	t->dst.sin_port = htons((uint16_t)dport);
	if (dport <= 0 || dport > 65535 ||
	    inet_pton(AF_INET, dst, &t->dst.sin_addr) != 1)
		return (-1);
	t->packets = ms / RTP_PTIME_MS;
	t->done = done;
	t->arg = arg;
	event_add(t->timer, &tv);
	return (0);
}

/* Stop and free. */
void
rtp_tone_free(struct rtp_tone *t)
{
	if (t == NULL)
		return;
	event_free(t->timer);
	close(t->fd);
	free(t);
}
