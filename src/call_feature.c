/*
 * Feature short codes the daemon answers itself (DESIGN.md section 2):
 * login, logout, DND, forwarding.  feature_run() makes the change; on
 * success the phone gets 200 OK with an SDP answer for a local RTP
 * socket, about one second of confirmation tone once its ACK arrives, and
 * then a BYE from us; on failure the final 4xx whose reason phrase the
 * phone shows ("403 Login Code Incorrect").
 *
 * The call is an ordinary struct call with only its caller leg, so ACK,
 * BYE and the no-ACK timer find it through the usual indexes; the
 * dialog code hands those to the functions here when c->feature is set.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "call.h"
#include "call_int.h"
#include "config.h"
#include "dialplan.h"
#include "feature.h"
#include "log.h"
#include "roamd.h"
#include "rtp.h"
#include "sip_msg.h"
#include "sip_sdp.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

#define CALL_FEATURE_TONE_MS	1000
#define CALL_FEATURE_ALLOW	"INVITE, ACK, CANCEL, BYE, OPTIONS"
#define CALL_FEATURE_DISCARD	9	/* RFC 863 port when no socket */

struct call_feature {
	struct rtp_tone		*tone;
	struct event		*timer;		/* tone over (or 1 s of none) */
	struct sdp_info		 sdp;		/* the phone's media */
	int			 have_sdp;
	int			 done;		/* BYE sent */
};

/* Can the tone go to this SDP (RFC 3264 6: where the phone receives)? */
static int
call_feature_sdp_usable(const char *body, size_t len, struct sdp_info *si)
{
	if (body == NULL || len == 0 || sdp_read(body, len, si) == -1)
		return (0);
	if (si->port <= 0 || !si->has_pcmu)
		return (0);
	/* sendonly (1) and inactive (3) phones receive nothing. */
	if (si->direction == 1 || si->direction == 3)
		return (0);
	return (strcmp(si->addr, "0.0.0.0") != 0);
}

/*
 * The address to put in our SDP: the SIP listener's, or when it is a
 * wildcard the local address the kernel picks towards the phone (a
 * connected UDP socket sends nothing).
 */
static void
call_feature_local_addr(const struct call *c, char *buf, size_t len)
{
	const struct sip_peer	*p = &c->a->peer;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	const char		*host;
	int			 fd, port;

	host = sip_transport_local(p->transport, &port);
	xstrlcpy(buf, host, len);
	if (strcmp(host, "0.0.0.0") != 0 || p->ss.ss_family != AF_INET)
		return;
	xstrlcpy(buf, "127.0.0.1", len);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return;
	if (connect(fd, (const struct sockaddr *)&p->ss, p->sslen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		inet_ntop(AF_INET, &sin.sin_addr, buf, len);
	close(fd);
}

/* Tone over (or the second of silence): BYE in the phone's dialog. */
static void
call_feature_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct call	*c = arg;

	if (c->state == CALL_ENDED || c->feature == NULL || c->feature->done)
		return;
	c->feature->done = 1;
	log_info("call feature bye call=%s ext=%s", c->callid,
	    c->caller_ext != NULL ? c->caller_ext : "-");
	/* RFC 3261 12.2.1.1: From our To, To their From, to their Contact. */
	call_leg_bye(c->a);
	call_end(c, sip_answer_code(ANS_OK), "feature-done");
}

/*
 * rtp_tone_play's callback, inside the tone's own timer: leave the
 * teardown (which frees the tone) to our timer.
 */
static void
call_feature_tone_done(void *arg)
{
	struct call	*c = arg;
	struct timeval	 now = { 0, 0 };

	if (c->feature != NULL && c->feature->timer != NULL)
		evtimer_add(c->feature->timer, &now);
}

/* Answer the INVITE 200 OK with our SDP; the tone waits for the ACK. */
static void
call_feature_answer(struct call *c)
{
	struct call_feature	*f;
	struct sip_msg		*out;
	char			 addr[64], sdp[512], contact[256];
	int			 port = CALL_FEATURE_DISCARD, n;

	c->feature = f = xcalloc(1, sizeof(*f));
	f->timer = evtimer_new(env->base, call_feature_timer, c);
	call_feature_local_addr(c, addr, sizeof(addr));
	if ((f->tone = rtp_tone_new(env->base, addr, &port)) == NULL)
		log_warnx("call feature no rtp socket call=%s", c->callid);
	f->have_sdp = call_feature_sdp_usable(c->offer, c->offer_len,
	    &f->sdp);
	n = sdp_write_answer(sdp, sizeof(sdp), addr, port,
	    (unsigned long long)time(NULL));
	out = sip_msg_response(sip_tx_request(c->stx), sip_answer_code(ANS_OK),
	    sip_answer_reason(ANS_OK), c->a->local_tag);
	if (out != NULL) {
		call_contact(&c->a->peer, contact, sizeof(contact));
		sip_msg_add_header(out, "Contact", contact);
		sip_msg_add_header(out, "Allow", CALL_FEATURE_ALLOW);
		if (n > 0)
			sip_msg_set_body(out, "application/sdp", sdp,
			    (size_t)n);
	}
	c->state = CALL_ACCEPTED;
	c->answer = time(NULL);
	if (!c->indexed)
		call_index(c);
	if (out == NULL || sip_tx_respond(c->stx, out) == -1) {
		c->stx = NULL;
		call_end(c, sip_answer_code(ANS_SERVICE_UNAVAILABLE),
		    "caller-unreachable");
		return;
	}
	c->stx = NULL;
	log_info("call feature answered call=%s ext=%s user=%s to=%s "
	    "rtp=%s:%d", c->callid, c->caller_ext ? c->caller_ext : "-",
	    c->caller_user ? c->caller_user : "-", c->dialled, addr, port);
}

/* The feature's answer: failure is the phone's final, success a tone. */
static void
call_feature_done(enum sip_answer a, void *arg)
{
	struct call	*c = arg;

	c->feature_pending = 0;
	if (a != ANS_OK) {
		log_info("call feature refused call=%s ext=%s status=%d "
		    "reason=\"%s\"", c->callid,
		    c->caller_ext != NULL ? c->caller_ext : "-",
		    sip_answer_code(a), sip_answer_reason(a));
		call_reject(c, a);
		return;
	}
	call_feature_answer(c);
}

/*
 * A feature code was dialled: run it in the dialling phone's context.
 * The answer may come later: a login for a user homed on another site
 * waits for home's verdict (R2), with the INVITE's 100 Trying already
 * sent by the transaction layer.
 */
void
call_feature_start(struct call *c, const struct dp_match *m)
{
	struct feature_ctx	 ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.ext = c->caller_ext != NULL ? c->caller_ext : "";
	ctx.user = c->caller_user;
	ctx.match = m;
	ctx.now = time(NULL);
	ctx.callid = c->callid;
	c->feature_pending = 1;
	feature_start(&ctx, call_feature_done, c);
}

/*
 * The phone's ACK of our 200: play the tone to the media address of its
 * offer (or of its answer in the ACK, for a late offer); without one,
 * wait the second anyway so the phone sees the same call either way.
 */
void
call_feature_ack(struct call *c, const struct sip_msg *ack)
{
	struct call_feature	*f = c->feature;
	struct timeval		 tv = { CALL_FEATURE_TONE_MS / 1000,
				    (CALL_FEATURE_TONE_MS % 1000) * 1000 };
	const char		*body;
	size_t			 len = 0;

	c->state = CALL_ANSWERED;
	if (!f->have_sdp && c->offer == NULL) {
		body = sip_msg_body(ack, &len);
		f->have_sdp = call_feature_sdp_usable(body, len, &f->sdp);
	}
	if (f->have_sdp && f->tone != NULL &&
	    rtp_tone_play(f->tone, f->sdp.addr, f->sdp.port,
	    CALL_FEATURE_TONE_MS, call_feature_tone_done, c) == 0) {
		log_info("call feature tone call=%s to=%s:%d", c->callid,
		    f->sdp.addr, f->sdp.port);
		return;
	}
	log_info("call feature no tone call=%s", c->callid);
	if (f->timer != NULL)
		evtimer_add(f->timer, &tv);
	else
		call_feature_timer(-1, 0, c);
}

/* The phone hung up first (its BYE has had its 200): stop and end. */
void
call_feature_bye(struct call *c)
{
	log_info("call feature hung up call=%s ext=%s", c->callid,
	    c->caller_ext != NULL ? c->caller_ext : "-");
	call_end(c, sip_answer_code(ANS_OK), "bye-caller");
}

/* No ACK for our 200 (RFC 3261 13.3.1.4): the feature call just ends. */
void
call_feature_no_ack(struct call *c)
{
	log_info("call feature no ack call=%s", c->callid);
	call_end(c, sip_answer_code(ANS_REQUEST_TIMEOUT), "no-ack");
}

/* Free a call's feature state (the tone stops). */
void
call_feature_free(struct call *c)
{
	struct call_feature	*f = c->feature;

	if (c->feature_pending) {	/* still waiting for home's answer */
		feature_cancel(c);
		c->feature_pending = 0;
	}
	if (f == NULL)
		return;
	rtp_tone_free(f->tone);
	if (f->timer != NULL)
		event_free(f->timer);
	free(f);
	c->feature = NULL;
}
