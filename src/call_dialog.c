/*
 * In-dialog work of the B2BUA: requests we send on a leg (ACK, BYE,
 * relayed re-INVITE/UPDATE/INFO), BYE mapping between legs, ACK
 * forwarding (the caller's ACK triggers ours to the callee, with the SDP
 * answer of a late offer), CANCEL and the timers the transaction layer
 * reports, and 2xx responses nobody waits for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "call_int.h"
#include "log.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

#define CALL_ALLOW	"INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"

/* Nobody listens to the answer of our BYE: the call is already gone. */
static void
call_noop_cb(struct sip_tx *tx, const struct sip_msg *resp, int status,
    void *arg)
{
}

static const struct sip_tx_cb	call_noop = { call_noop_cb, NULL };

/* Copy body and Content-Type of one message onto another. */
int
call_copy_body(struct sip_msg *out, const struct sip_msg *in)
{
	const char	*body, *ct;
	size_t		 len = 0;

	body = sip_msg_body(in, &len);
	if (body == NULL || len == 0)
		return (0);
	ct = sip_msg_content_type(in);
	return (sip_msg_set_body(out, ct != NULL ? ct : "application/sdp",
	    body, len));
}

/* Replace the remote target from a message's Contact (a target refresh). */
static void
call_leg_refresh(struct call_leg *l, const struct sip_msg *m)
{
	char	*uri;

	if ((uri = sip_msg_contact_uri(m)) == NULL)
		return;
	free(l->target);
	l->target = uri;
}

/*
 * A fork's 2xx made its dialog: the callee's tag, its To as our remote
 * header, its Contact as target and the reversed Record-Route as route
 * set (RFC 3261 12.1.2).
 */
void
call_leg_learn(struct call_leg *l, const struct sip_msg *resp)
{
	const char	*tag = sip_msg_to_tag(resp);
	char		**rr, *tmp, *to;
	size_t		 n, i;

	if ((to = sip_msg_to_text(resp)) != NULL) {
		free(l->remote_hdr);
		l->remote_hdr = to;
	}
	free(l->remote_tag);
	l->remote_tag = xstrdup(tag != NULL ? tag : "");
	call_leg_refresh(l, resp);
	n = sip_msg_record_routes(resp, &rr);
	for (i = 0; i < n / 2; i++) {
		tmp = rr[i];
		rr[i] = rr[n - 1 - i];
		rr[n - 1 - i] = tmp;
	}
	for (i = 0; i < l->nroutes; i++)
		free(l->routes[i]);
	free(l->routes);
	l->routes = rr;
	l->nroutes = n;
}

/* A request within the leg's dialog (RFC 3261 12.2.1.1). */
struct sip_msg *
call_leg_request(struct call_leg *l, const char *method, uint32_t cseq)
{
	struct sip_msg	*m;
	char		 buf[256];
	size_t		 i;

	m = sip_msg_request(method, l->target, l->local_hdr, l->remote_hdr,
	    l->callid, cseq);
	if (m == NULL)
		return (NULL);
	for (i = 0; i < l->nroutes; i++)
		sip_msg_add_header(m, "Route", l->routes[i]);
	if (strcmp(method, "INVITE") == 0 || strcmp(method, "UPDATE") == 0) {
		call_contact(&l->peer, buf, sizeof(buf));
		sip_msg_add_header(m, "Contact", buf);
		sip_msg_add_header(m, "Allow", CALL_ALLOW);
	}
	return (m);
}

/* (Re)send the leg's last ACK. */
static void
call_leg_ack_send(struct call_leg *l)
{
	struct sip_msg	*m;

	if (l->ack_cseq == 0)
		return;
	if ((m = call_leg_request(l, "ACK", l->ack_cseq)) == NULL)
		return;
	if (l->ack_body != NULL)
		sip_msg_set_body(m, l->ack_ctype, l->ack_body, l->ack_len);
	sip_tx_send_stateless(m, &l->peer);
}

/*
 * ACK a 2xx of ours on the leg (RFC 3261 13.2.2.4); remembered so that a
 * retransmitted 2xx is ACKed again.
 */
void
call_leg_ack(struct call_leg *l, uint32_t cseq, const char *body,
    size_t len, const char *ctype)
{
	free(l->ack_body);
	free(l->ack_ctype);
	l->ack_body = l->ack_ctype = NULL;
	l->ack_len = 0;
	if (body != NULL && len > 0) {
		l->ack_body = xmalloc(len);
		memcpy(l->ack_body, body, len);
		l->ack_len = len;
		l->ack_ctype = xstrdup(ctype != NULL ? ctype :
		    "application/sdp");
	}
	l->ack_cseq = cseq;
	call_leg_ack_send(l);
}

/* Hang up the leg: BYE in its dialog, answer ignored. */
void
call_leg_bye(struct call_leg *l)
{
	struct sip_msg	*m;

	if (l == NULL || (m = call_leg_request(l, "BYE", ++l->cseq)) == NULL)
		return;
	sip_tx_send(m, &l->peer, &call_noop);
}

/* The other leg of the call, or NULL (no callee yet, or a dead fork). */
static struct call_leg *
call_other(struct call_leg *l)
{
	struct call	*c = l->call;

	if (l == c->a)
		return (c->b);
	if (l == c->b)
		return (c->a);
	return (NULL);
}

/* BYE from either side: 200 to it, BYE to the other (RFC 3261 15). */
static void
call_bye(struct sip_tx *tx, struct call_leg *l)
{
	struct call	*c = l->call;

	sip_tx_reply(tx, sip_answer_code(ANS_OK), sip_answer_reason(ANS_OK));
	if (l != c->a && l != c->b)
		return;			/* a losing fork we hung up */
	if (c->feature != NULL) {
		call_feature_bye(c);
		return;
	}
	if (c->state == CALL_RINGING) {
		/* 15: a BYE on the early dialog ends it like a CANCEL. */
		call_reply_caller(c, sip_answer_code(ANS_REQUEST_TERMINATED),
		    sip_answer_reason(ANS_REQUEST_TERMINATED));
		call_end(c, sip_answer_code(ANS_REQUEST_TERMINATED),
		    "bye-caller");
		return;
	}
	if (l == c->a) {
		if (!c->bye_on_ack) {
			/* The callee still waits for the ACK of its 2xx. */
			if (c->state == CALL_ACCEPTED)
				call_leg_ack(c->b, c->b_cseq, NULL, 0, NULL);
			call_leg_bye(c->b);
		}
		call_end(c, sip_answer_code(ANS_OK), "bye-caller");
		return;
	}
	if (c->state == CALL_ACCEPTED) {
		/* 15: no BYE to the caller before its ACK of our 2xx. */
		c->bye_on_ack = 1;
		return;
	}
	call_leg_bye(c->a);
	call_end(c, sip_answer_code(ANS_OK), "bye-callee");
}

/* Answer a relayed request on the asking leg and forget the relay. */
static void
call_relay_finish(struct call_relay *r, const struct sip_msg *resp,
    int status)
{
	struct call	*c = r->call;
	struct call_leg	*from = r->from;
	struct sip_msg	*out;
	char		 buf[256];
	int		 lost;

	TAILQ_REMOVE(&c->relays, r, entry);
	if (c->reinvite == r)
		c->reinvite = NULL;
	out = sip_msg_response(sip_tx_request(r->stx), status,
	    resp != NULL ? sip_msg_reason(resp) : sip_reason_default(status),
	    NULL);
	if (out != NULL && resp != NULL) {
		call_copy_body(out, resp);
		if (status < 300 && status >= 200) {
			call_contact(&from->peer, buf, sizeof(buf));
			sip_msg_add_header(out, "Contact", buf);
			call_leg_refresh(r->to, resp);
		}
	}
	if (out != NULL)
		sip_tx_respond(r->stx, out);
	if (r->invite && status >= 200 && status < 300 && resp != NULL) {
		/* The asker's ACK will be forwarded with this CSeq. */
		c->ack_from = from;
		c->ack_from_cseq = r->from_cseq;
		c->ack_to_cseq = r->to_cseq;
	}
	/* 12.2.1.2: 481 or a timeout means the other dialog is gone. */
	lost = status == 481 || (resp == NULL && status == 408);
	free(r);
	if (lost && c->state != CALL_ENDED) {
		call_leg_bye(from);
		call_end(c, sip_answer_code(ANS_OK), "dialog-lost");
	}
}

/* The other leg answered a relayed request (or it timed out). */
static void
call_relay_cb(struct sip_tx *tx, const struct sip_msg *resp, int status,
    void *arg)
{
	struct call_relay	*r = arg;

	if (r->sending) {
		if (status >= 200)
			r->sync_status = status;
		return;
	}
	if (status < 200 || tx != r->ctx)
		return;
	r->ctx = NULL;
	call_relay_finish(r, resp, status);
}

/* The call ends under a relayed request: answer it, drop our side. */
void
call_relay_abort(struct call_relay *r)
{
	struct call	*c = r->call;

	TAILQ_REMOVE(&c->relays, r, entry);
	if (c->reinvite == r)
		c->reinvite = NULL;
	if (r->ctx != NULL) {
		if (r->invite)
			sip_tx_cancel(r->ctx);
		sip_tx_detach(r->ctx);
	}
	if (r->invite)
		sip_tx_reply(r->stx, sip_answer_code(ANS_REQUEST_TERMINATED),
		    sip_answer_reason(ANS_REQUEST_TERMINATED));
	else
		sip_tx_reply(r->stx, sip_answer_code(ANS_NO_DIALOG),
		    sip_answer_reason(ANS_NO_DIALOG));
	free(r);
}

/* Can this request be relayed now?  Else answer it and return -1. */
static int
call_relay_check(struct sip_tx *stx, const struct sip_msg *req,
    struct call_leg *from, int invite)
{
	struct call	*c = from->call;
	int		 code = 491;

	if (from != c->a && from != c->b) {
		sip_tx_reply(stx, sip_answer_code(ANS_NO_DIALOG),
		    sip_answer_reason(ANS_NO_DIALOG));
		return (-1);
	}
	if (sip_msg_max_forwards(req) == 0) {
		sip_tx_reply(stx, sip_answer_code(ANS_TOO_MANY_HOPS),
		    sip_answer_reason(ANS_TOO_MANY_HOPS));
		return (-1);
	}
	/*
	 * RFC 3261 14.1/14.2: one re-INVITE at a time (glare gets 491);
	 * none before the initial INVITE is confirmed by its ACK.
	 */
	if (c->b == NULL || c->state == CALL_RINGING ||
	    (invite && (c->state != CALL_ANSWERED || c->reinvite != NULL))) {
		sip_tx_reply(stx, code, sip_reason_default(code));
		return (-1);
	}
	return (0);
}

/* Relay a re-INVITE, UPDATE or INFO to the other leg. */
static void
call_relay_start(struct sip_tx *stx, const struct sip_msg *req,
    struct call_leg *from, const char *method)
{
	struct call		*c = from->call;
	struct call_relay	*r;
	struct sip_msg		*out;
	struct sip_tx		*ctx;
	struct sip_tx_cb	 cb;
	char			 buf[16];
	int			 invite = strcmp(method, "INVITE") == 0, mf;

	if (call_relay_check(stx, req, from, invite) == -1)
		return;
	r = xcalloc(1, sizeof(*r));
	r->call = c;
	r->from = from;
	r->to = call_other(from);
	r->stx = stx;
	r->invite = invite;
	r->from_cseq = sip_msg_cseq(req);
	r->to_cseq = ++r->to->cseq;
	if (invite || strcmp(method, "UPDATE") == 0)
		call_leg_refresh(from, req);
	TAILQ_INSERT_TAIL(&c->relays, r, entry);
	if (invite)
		c->reinvite = r;
	if ((out = call_leg_request(r->to, method, r->to_cseq)) == NULL) {
		call_relay_finish(r, NULL, sip_answer_code(ANS_SERVER_ERROR));
		return;
	}
	mf = sip_msg_max_forwards(req);
	snprintf(buf, sizeof(buf), "%d", mf < 0 ? CALL_MAX_FORWARDS : mf - 1);
	sip_msg_set_header(out, "Max-Forwards", buf);
	call_copy_body(out, req);
	cb.fn = call_relay_cb;
	cb.arg = r;
	r->sending = 1;
	ctx = sip_tx_send(out, &r->to->peer, &cb);
	r->sending = 0;
	if (ctx == NULL || r->sync_status != 0) {
		call_relay_finish(r, NULL, r->sync_status != 0 ?
		    r->sync_status : sip_answer_code(ANS_SERVICE_UNAVAILABLE));
		return;
	}
	r->ctx = ctx;
}

/* An in-dialog request (BYE, re-INVITE, UPDATE, INFO) from a leg. */
void
call_in_dialog(struct sip_tx *tx, const struct sip_msg *req)
{
	const char	*m = sip_msg_method(req);
	struct call_leg	*l;

	if ((l = call_find_request(req)) == NULL ||
	    l->call->state == CALL_ENDED) {
		sip_tx_reply(tx, sip_answer_code(ANS_NO_DIALOG),
		    sip_answer_reason(ANS_NO_DIALOG));
		return;
	}
	if (strcmp(m, "BYE") == 0)
		call_bye(tx, l);
	else if (strcmp(m, "INVITE") == 0 || strcmp(m, "UPDATE") == 0 ||
	    strcmp(m, "INFO") == 0)
		call_relay_start(tx, req, l, m);
	else
		sip_tx_reply(tx, sip_answer_code(ANS_NOT_IMPLEMENTED),
		    sip_answer_reason(ANS_NOT_IMPLEMENTED));
}

/*
 * An ACK for a 2xx.  The caller's ACK of the initial INVITE triggers
 * ours to the callee, carrying the caller's SDP answer when the offer
 * came late in the callee's 2xx; an ACK of a relayed re-INVITE is
 * forwarded the same way.  Retransmitted ACKs are ignored.
 */
void
call_ack(const struct sip_msg *ack, const struct sip_peer *peer)
{
	struct call_leg	*l, *to;
	struct call	*c;
	const char	*body;
	size_t		 len = 0;
	uint32_t	 cseq = sip_msg_cseq(ack);

	if ((l = call_find_request(ack)) == NULL)
		return;
	c = l->call;
	if (c->feature != NULL) {
		if (l == c->a && c->state == CALL_ACCEPTED &&
		    cseq == c->invite_cseq)
			call_feature_ack(c, ack);
		return;
	}
	body = sip_msg_body(ack, &len);
	if (l == c->a && c->state == CALL_ACCEPTED &&
	    cseq == c->invite_cseq) {
		if (c->bye_on_ack) {
			call_leg_bye(c->a);
			call_end(c, sip_answer_code(ANS_OK), "bye-callee");
			return;
		}
		c->state = CALL_ANSWERED;
		call_leg_ack(c->b, c->b_cseq, body, len,
		    sip_msg_content_type(ack));
		return;
	}
	if (c->ack_from == l && cseq == c->ack_from_cseq &&
	    (to = call_other(l)) != NULL) {
		c->ack_from = NULL;
		call_leg_ack(to, c->ack_to_cseq, body, len,
		    sip_msg_content_type(ack));
	}
}

/* The caller CANCELled its INVITE (the layer answered the CANCEL). */
void
call_cancelled(struct sip_tx *tx)
{
	struct call_leg	*l;
	struct call	*c;

	if ((l = call_find_request(sip_tx_request(tx))) == NULL)
		return;
	c = l->call;
	if (tx == c->stx && c->state == CALL_RINGING) {
		call_fork_cancel_all(c, NULL);
		call_reply_caller(c, sip_answer_code(ANS_REQUEST_TERMINATED),
		    sip_answer_reason(ANS_REQUEST_TERMINATED));
		call_end(c, sip_answer_code(ANS_REQUEST_TERMINATED),
		    "cancelled");
		return;
	}
	/* A CANCEL of a relayed re-INVITE goes on to the other leg. */
	if (c->reinvite != NULL && c->reinvite->stx == tx &&
	    c->reinvite->ctx != NULL)
		sip_tx_cancel(c->reinvite->ctx);
}

/*
 * No ACK came for a 2xx we relayed: RFC 3261 13.3.1.4 says end the
 * session with BYE; we hang up both legs.
 */
void
call_ack_timeout(struct sip_tx *tx)
{
	const struct sip_msg	*req = sip_tx_request(tx);
	struct call_leg		*l, *other;
	struct call		*c;
	uint32_t		 cseq = sip_msg_cseq(req);

	if ((l = call_find_request(req)) == NULL)
		return;
	c = l->call;
	if (c->feature != NULL) {
		if (l == c->a && c->state == CALL_ACCEPTED &&
		    cseq == c->invite_cseq)
			call_feature_no_ack(c);
		return;
	}
	if (l == c->a && c->state == CALL_ACCEPTED &&
	    cseq == c->invite_cseq) {
		if (!c->bye_on_ack) {
			call_leg_ack(c->b, c->b_cseq, NULL, 0, NULL);
			call_leg_bye(c->b);
		}
		call_leg_bye(c->a);
		call_end(c, sip_answer_code(ANS_REQUEST_TIMEOUT), "no-ack");
		return;
	}
	if (c->ack_from == l && cseq == c->ack_from_cseq) {
		if ((other = call_other(l)) != NULL) {
			call_leg_ack(other, c->ack_to_cseq, NULL, 0, NULL);
			call_leg_bye(other);
		}
		call_leg_bye(l);
		call_end(c, sip_answer_code(ANS_OK), "no-ack");
	}
}

/*
 * Dialogs we recently hung up as orphans ("Call-ID\nTo-tag"): a 2xx
 * retransmission of one is ACKed again (13.2.2.4) but not sent a second
 * BYE.  A small ring is enough: retransmissions come within 32 s.
 */
#define CALL_ORPHANS	64
static char	call_orphans[CALL_ORPHANS][160];
static size_t	call_orphan_next;

/* Was this dialog hung up already?  Remember it if not. */
static int
call_orphan_seen(const char *callid, const char *totag)
{
	char	 key[160];
	size_t	 i;
	int	 n;

	n = snprintf(key, sizeof(key), "%s\n%s", callid,
	    totag != NULL ? totag : "");
	if (n < 0 || (size_t)n >= sizeof(key))
		return (0);
	for (i = 0; i < CALL_ORPHANS; i++)
		if (strcmp(call_orphans[i], key) == 0)
			return (1);
	memcpy(call_orphans[call_orphan_next], key, (size_t)n + 1);
	call_orphan_next = (call_orphan_next + 1) % CALL_ORPHANS;
	return (0);
}

/*
 * A 2xx of an INVITE of ours that no call wants (a dead fork, a call
 * already over): ACK it and hang up, or the phone would ring on in a
 * call nobody is in (RFC 3261 13.2.2.4, 15).
 */
static void
call_kill_orphan(const struct sip_msg *resp, const struct sip_peer *peer)
{
	struct sip_msg	*m;
	char		*from, *to, *target, **rr;
	const char	*callid = sip_msg_callid(resp);
	uint32_t	 cseq = sip_msg_cseq(resp);
	size_t		 n, i;

	from = sip_msg_from_text(resp);
	to = sip_msg_to_text(resp);
	target = sip_msg_contact_uri(resp);
	n = sip_msg_record_routes(resp, &rr);
	if (from != NULL && to != NULL && target != NULL && callid != NULL) {
		m = sip_msg_request("ACK", target, from, to, callid, cseq);
		for (i = n; m != NULL && i > 0; i--)
			sip_msg_add_header(m, "Route", rr[i - 1]);
		sip_tx_send_stateless(m, peer);
		if (call_orphan_seen(callid, sip_msg_to_tag(resp)))
			goto out;
		log_info("call orphan answer hung up call=%s", callid);
		m = sip_msg_request("BYE", target, from, to, callid, cseq + 1);
		for (i = n; m != NULL && i > 0; i--)
			sip_msg_add_header(m, "Route", rr[i - 1]);
		if (m != NULL)
			sip_tx_send(m, peer, &call_noop);
	}
out:
	for (i = 0; i < n; i++)
		free(rr[i]);
	free(rr);
	free(from);
	free(to);
	free(target);
}

/* A response no transaction wanted: 2xx retransmissions mostly. */
void
call_stray_response(const struct sip_msg *resp, const struct sip_peer *peer)
{
	struct call_leg	*l;
	const char	*method = sip_msg_cseq_method(resp);
	int		 status = sip_msg_status(resp);
	uint32_t	 cseq = sip_msg_cseq(resp);

	if (sip_msg_is_request(resp) || status < 200 || status >= 300 ||
	    method == NULL || strcmp(method, "INVITE") != 0)
		return;
	l = call_find_response(resp);
	if (l != NULL && l->ack_cseq == cseq) {
		call_leg_ack_send(l);		/* our ACK was lost */
		return;
	}
	/* A live leg's ACK waits for the other side's ACK. */
	if (l != NULL && call_other(l) != NULL)
		return;
	if (l != NULL && l->caller)
		return;
	call_kill_orphan(resp, peer);
}
