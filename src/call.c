/*
 * The signalling B2BUA (DESIGN.md section 2): call life cycle, the call
 * indexes, call records and the entry points the dispatcher calls.
 *
 * Calls are found in O(1) whatever their number: the caller leg is filed
 * under "Call-ID\nFrom-tag" of the caller's INVITE, every callee fork
 * under the Call-ID we drew for it (a fresh one per fork, so the Call-ID
 * alone names the fork).  Calls never keep pointers into the config (a
 * reload retires it): numbers and names are copied.
 *
 * Server transactions are held only while a request of ours is pending;
 * when the layer later reports on one (ACK timeout, CANCEL) the call is
 * found again from the transaction's request, so a transaction that
 * outlives its call can never reach freed memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "call.h"
#include "call_int.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "hmap.h"
#include "log.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "users.h"
#include "xmalloc.h"

static struct hmap		*call_by_caller;  /* "Call-ID\ntag" -> call */
static struct hmap		*call_by_callee;  /* fork Call-ID -> leg */

/* Set up the indexes. */
void
call_init(void)
{
	if (call_by_caller == NULL)
		call_by_caller = hmap_new();
	if (call_by_callee == NULL)
		call_by_callee = hmap_new();
}

/* Free one leg and everything it holds (not its transaction). */
static void
call_leg_free(struct call_leg *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nroutes; i++)
		free(l->routes[i]);
	free(l->routes);
	free(l->key);
	free(l->callid);
	free(l->local_tag);
	free(l->remote_tag);
	free(l->local_hdr);
	free(l->remote_hdr);
	free(l->target);
	free(l->ruri);
	call_guard_leg_end(l);	/* an external call no more */
	free(l->trunk);
	free(l->site);
	free(l->reason);
	free(l->ack_body);
	free(l->ack_ctype);
	free(l);
}

/* Free a call that is out of the indexes and has no live callbacks. */
static void
call_free(struct call *c)
{
	size_t	 i;

	if (c->noanswer != NULL)
		event_free(c->noanswer);
	if (c->fwd_timer != NULL)
		event_free(c->fwd_timer);
	call_feature_free(c);
	call_leg_free(c->a);
	for (i = 0; i < c->nforks; i++)
		call_leg_free(c->forks[i]);
	free(c->offer);
	free(c->offer_ctype);
	free(c->callid);
	free(c->caller_user);
	free(c->caller_ext);
	free(c->caller_number);
	free(c->caller_name);
	free(c->dialled);
	free(c->callee_user);
	free(c->trunk);
	free(c->ring_user);
	for (i = 0; i < c->nvisited; i++)
		free(c->visited[i]);
	for (i = 0; i < c->ndiversions; i++)
		free(c->diversions[i]);
	free(c->location);
	free(c->guard_user);
	call_site_free(c);
	free(c);
}

/* Drop every transaction callback of a call; cancel pending forks. */
static void
call_detach_all(struct call *c, int cancel)
{
	struct call_relay	*r;
	struct call_leg		*f;
	size_t			 i;

	for (i = 0; i < c->nforks; i++) {
		f = c->forks[i];
		if (f->tx == NULL)
			continue;
		if (cancel && !f->cancelled) {
			f->cancelled = 1;
			sip_tx_cancel(f->tx);
		}
		if (f->tx != NULL)
			sip_tx_detach(f->tx);
		f->tx = NULL;
	}
	while ((r = TAILQ_FIRST(&c->relays)) != NULL) {
		if (cancel)
			call_relay_abort(r);
		else {
			if (r->ctx != NULL)
				sip_tx_detach(r->ctx);
			TAILQ_REMOVE(&c->relays, r, entry);
			free(r);
		}
	}
	c->reinvite = NULL;
}

/* Take a call out of the indexes. */
static void
call_unindex(struct call *c)
{
	size_t	 i;

	if (!c->indexed)
		return;
	if (hmap_get(call_by_caller, c->a->key) == c)
		hmap_del(call_by_caller, c->a->key);
	for (i = 0; i < c->nforks; i++)
		if (hmap_get(call_by_callee, c->forks[i]->key) == c->forks[i])
			hmap_del(call_by_callee, c->forks[i]->key);
	c->indexed = 0;
}

/* Free everything at exit: no BYE, no CANCEL (the brief of shutdown). */
static void
call_shutdown_one(const char *key, void *val, void *arg)
{
	struct call	*c = val;

	call_detach_all(c, 0);
	call_unindex(c);
	call_free(c);
}

/* Exit: forget every call. */
void
call_shutdown(void)
{
	if (call_by_caller != NULL) {
		hmap_foreach(call_by_caller, call_shutdown_one, NULL);
		hmap_free(call_by_caller, NULL);
	}
	if (call_by_callee != NULL)
		hmap_free(call_by_callee, NULL);
	call_by_caller = call_by_callee = NULL;
}

/* A new call for the caller's INVITE; not yet indexed. */
struct call *
call_new(struct sip_tx *stx, const struct sip_msg *req)
{
	struct call	*c;
	struct call_leg	*a;
	const char	*tag, *ruser;
	char		*to, **rr;
	size_t		 n;

	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->relays);
	c->state = CALL_RINGING;
	c->stx = stx;
	c->start = time(NULL);
	c->invite_cseq = sip_msg_cseq(req);
	c->callid = xstrdup(sip_msg_callid(req) ? sip_msg_callid(req) : "");
	ruser = sip_msg_ruri_user(req);
	c->dialled = xstrdup(ruser != NULL ? ruser : "");

	c->a = a = xcalloc(1, sizeof(*a));
	a->call = c;
	a->caller = 1;
	a->callid = xstrdup(c->callid);
	tag = sip_msg_from_tag(req);
	a->remote_tag = xstrdup(tag != NULL ? tag : "");
	xasprintf(&a->key, "%s\n%s", a->callid, a->remote_tag);
	a->local_tag = xstrdup(sip_tx_local_tag(stx));
	to = sip_msg_to_text(req);
	xasprintf(&a->local_hdr, "%s;tag=%s", to != NULL ? to : "<sip:roam>",
	    a->local_tag);
	free(to);
	a->remote_hdr = sip_msg_from_text(req);
	if (a->remote_hdr == NULL)
		a->remote_hdr = xstrdup("<sip:anonymous@anonymous.invalid>");
	a->target = sip_msg_contact_uri(req);
	if (a->target == NULL)
		xasprintf(&a->target, "sip:%s@%s", sip_msg_from_user(req) ?
		    sip_msg_from_user(req) : "anonymous",
		    sip_msg_via_host(req) ? sip_msg_via_host(req) : "invalid");
	/* RFC 3261 12.1.1: the UAS keeps Record-Route in order. */
	n = sip_msg_record_routes(req, &rr);
	a->routes = rr;
	a->nroutes = n;
	a->peer = *sip_tx_peer(stx);
	a->cseq = 0;
	return (c);
}

/* A new callee fork of c, filed under a fresh Call-ID. */
struct call_leg *
call_leg_new(struct call *c)
{
	struct call_leg	*f;
	char		 tok[33];

	if (c->nforks >= CALL_MAX_FORKS)
		return (NULL);
	f = xcalloc(1, sizeof(*f));
	f->call = c;
	sip_random_token(tok, sizeof(tok));
	f->callid = xstrdup(tok);
	f->key = xstrdup(tok);
	sip_random_token(tok, 17);
	f->local_tag = xstrdup(tok);
	c->forks[c->nforks++] = f;
	if (c->indexed)
		call_index_fork(f);
	return (f);
}

/* File the call (its caller leg and forks) in the indexes. */
void
call_index(struct call *c)
{
	size_t	 i;

	hmap_put(call_by_caller, c->a->key, c);
	c->indexed = 1;
	for (i = 0; i < c->nforks; i++)
		call_index_fork(c->forks[i]);
}

/* File one fork. */
void
call_index_fork(struct call_leg *f)
{
	hmap_put(call_by_callee, f->key, f);
}

/* Append ">part" to buf (no '>' before the first); empty parts skipped. */
static void
call_cdr_site(char *buf, size_t len, const char *part)
{
	size_t	 n = strlen(buf);

	if (part == NULL || *part == '\0' || n >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n > 0 ? ">" : "", part);
}

/*
 * The sites the call crossed, for its record (issue 6): the site it came
 * from (a peer's X-Roam-Site), this one, and the site it was sent to -
 * the one that answered, else the first one rung ("paris>london>rome").
 */
static void
call_cdr_sites(const struct call *c, char *buf, size_t len)
{
	const char	*to = NULL;
	size_t		 i;

	if (c->b != NULL)
		to = c->b->site;
	for (i = 0; c->b == NULL && to == NULL && i < c->nforks; i++)
		if (c->forks[i] != NULL)
			to = c->forks[i]->site;
	buf[0] = '\0';
	call_cdr_site(buf, len, c->from_site);
	call_cdr_site(buf, len, env->conf->site_name);
	call_cdr_site(buf, len, to);
}

/* Write the call record. */
static void
call_cdr(const struct call *c, int cause, const char *reason)
{
	struct db_cdr	 r;
	char		 sites[3 * 64];

	memset(&r, 0, sizeof(r));
	r.callid = c->callid;
	r.caller_user = c->caller_user;
	r.caller_ext = c->caller_ext;
	r.caller_number = c->caller_number;
	r.callee = c->dialled;
	r.callee_user = c->callee_user;
	r.trunk = c->trunk;
	r.start = c->start;
	r.answer = c->answer;
	r.end = time(NULL);
	r.cause = cause;
	r.reason = reason;
	call_cdr_sites(c, sites, sizeof(sites));
	r.sites = sites[0] != '\0' ? sites : NULL;
	if (db_cdr_add(&r) == -1)
		log_warnx("call record failed call=%s", c->callid);
	events_call_result(cause);
}

/* One log line for a call event ("call ringing", "call ended", ...). */
void
call_log(const struct call *c, const char *event, const char *extra)
{
	log_info("call %s call=%s from=%s ext=%s to=%s%s%s%s%s", event,
	    c->callid, c->caller_number ? c->caller_number : "-",
	    c->caller_ext ? c->caller_ext : "-", c->dialled,
	    c->trunk ? " trunk=" : "", c->trunk ? c->trunk : "",
	    extra ? " " : "", extra ? extra : "");
}

/*
 * The call is over: log, write the record, drop every callback and free
 * it.  Pending forks are CANCELled; relayed requests still waiting are
 * answered.  Safe to reach twice (the second time does nothing) and from
 * inside a transaction callback.
 */
void
call_end(struct call *c, int cause, const char *reason)
{
	char	 extra[160];

	if (c->state == CALL_ENDED)
		return;
	if (c->stx != NULL) {
		/* Never leave the caller's INVITE unanswered. */
		sip_tx_reply(c->stx, sip_answer_code(ANS_SERVER_ERROR),
		    sip_answer_reason(ANS_SERVER_ERROR));
		c->stx = NULL;
	}
	snprintf(extra, sizeof(extra), "cause=%d reason=\"%s\"", cause,
	    reason);
	call_log(c, c->answer != 0 ? "ended" : "failed", extra);
	c->state = CALL_ENDED;
	call_cdr(c, cause, reason);
	call_detach_all(c, 1);
	call_unindex(c);
	call_free(c);
}

/* Answer the caller's pending INVITE with a final response. */
void
call_reply_caller(struct call *c, int code, const char *reason)
{
	if (c->stx == NULL)
		return;
	sip_tx_reply(c->stx, code, reason);
	c->stx = NULL;
}

/*
 * Let go of every fork, CANCELling the pending ones: the call moves on to
 * a forward target.  A 2xx that crosses the CANCEL finds no leg and is
 * ACKed and hung up as an orphan (call_stray_response).
 */
void
call_forks_drop(struct call *c)
{
	struct call_leg	*f;
	size_t		 i;

	for (i = 0; i < c->nforks; i++) {
		f = c->forks[i];
		if (f->tx != NULL) {
			if (!f->cancelled) {
				f->cancelled = 1;
				sip_tx_cancel(f->tx);
			}
			sip_tx_detach(f->tx);
			f->tx = NULL;
		}
		if (c->indexed && hmap_get(call_by_callee, f->key) == f)
			hmap_del(call_by_callee, f->key);
		call_leg_free(f);
		c->forks[i] = NULL;
	}
	c->nforks = 0;
	c->early = NULL;
}

/* Refuse the call with a table answer and end it. */
void
call_reject(struct call *c, enum sip_answer ans)
{
	call_reply_caller(c, sip_answer_code(ans), sip_answer_reason(ans));
	call_end(c, sip_answer_code(ans), sip_answer_reason(ans));
}

/* The leg an in-dialog request from a caller or callee belongs to. */
struct call_leg *
call_find_request(const struct sip_msg *m)
{
	const char	*callid = sip_msg_callid(m), *ftag, *ttag;
	struct call_leg	*l;
	struct call	*c;
	char		*key;

	if (callid == NULL || call_by_caller == NULL)
		return (NULL);
	ftag = sip_msg_from_tag(m);
	ttag = sip_msg_to_tag(m);
	if ((l = hmap_get(call_by_callee, callid)) != NULL) {
		/* From the callee: the To tag is the one we drew. */
		if (ttag != NULL && strcmp(ttag, l->local_tag) == 0)
			return (l);
		return (NULL);
	}
	xasprintf(&key, "%s\n%s", callid, ftag != NULL ? ftag : "");
	c = hmap_get(call_by_caller, key);
	free(key);
	if (c == NULL)
		return (NULL);
	/* An ACK or re-INVITE carries our tag; a fresh INVITE none. */
	if (ttag != NULL && strcmp(ttag, c->a->local_tag) != 0)
		return (NULL);
	return (c->a);
}

/* The leg a response to one of our requests belongs to. */
struct call_leg *
call_find_response(const struct sip_msg *m)
{
	const char	*callid = sip_msg_callid(m), *ttag;
	struct call_leg	*l;
	struct call	*c;
	char		*key;

	if (callid == NULL || call_by_caller == NULL)
		return (NULL);
	if ((l = hmap_get(call_by_callee, callid)) != NULL)
		return (l);
	/* Our request on the caller leg: To carries the caller's tag. */
	ttag = sip_msg_to_tag(m);
	xasprintf(&key, "%s\n%s", callid, ttag != NULL ? ttag : "");
	c = hmap_get(call_by_caller, key);
	free(key);
	return (c != NULL ? c->a : NULL);
}

/* Is a call with the caller's Call-ID and From tag in progress? */
int
call_exists(const struct sip_msg *req)
{
	const char	*callid = sip_msg_callid(req), *ftag;
	char		*key;
	int		 found;

	if (callid == NULL || call_by_caller == NULL)
		return (0);
	ftag = sip_msg_from_tag(req);
	xasprintf(&key, "%s\n%s", callid, ftag != NULL ? ftag : "");
	found = hmap_get(call_by_caller, key) != NULL;
	free(key);
	return (found);
}

/*
 * A user this site acts for, by number, or NULL; O(1).  Visitors (remote
 * hot deskers logged in here, R2) count: they are rung, dial and are
 * presented like our own users.
 */
const struct user *
call_user(const char *number)
{
	if (number == NULL || env == NULL || env->conf == NULL)
		return (NULL);
	return (user_find(number));
}

/* A trunk by name, or NULL (few trunks: a scan is fine). */
const struct trunk *
call_trunk(const char *name)
{
	const struct config	*conf = env->conf;
	size_t			 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < conf->ntrunks; i++)
		if (strcmp(conf->trunks[i].name, name) == 0)
			return (&conf->trunks[i]);
	return (NULL);
}

/* The trunk whose address (IP, port, transport) sent this, or NULL. */
const struct trunk *
call_trunk_by_peer(const struct sip_peer *src)
{
	const struct config	*conf = env->conf;
	struct sip_peer		 p;
	size_t			 i;

	for (i = 0; i < conf->ntrunks; i++) {
		memset(&p, 0, sizeof(p));
		sip_peer_from_cfg(&conf->trunks[i].address, &p);
		if (sip_peer_equal(&p, src))
			return (&conf->trunks[i]);
	}
	return (NULL);
}

/* Our Contact header value for messages sent over peer's transport. */
void
call_contact(const struct sip_peer *peer, char *buf, size_t len)
{
	const char	*host, *tp = "";
	int		 port = 0;

	host = sip_transport_local(peer->transport, &port);
	if (peer->transport == SIPT_TCP)
		tp = ";transport=tcp";
	else if (peer->transport == SIPT_TLS)
		tp = ";transport=tls";
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "<sip:roam@[%s]:%d%s>", host, port, tp);
	else
		snprintf(buf, len, "<sip:roam@%s:%d%s>", host, port, tp);
}

/*
 * RFC 3261 25.1: characters a URI user part may carry as they are;
 * anything else ('#' of a feature code, spaces) goes %-escaped.
 */
static int
call_user_char_ok(int ch)
{
	return (isalnum(ch) || strchr("-_.!~*'()&=+$,;?/", ch) != NULL);
}

/* '"Name" <sip:user@host>;tag=t' with escaping; tag and name optional. */
char *
call_nameaddr(const char *display, const char *user, const char *host,
    const char *tag)
{
	char		*out, *name, *u, *p;
	const char	*s;

	p = name = xmalloc(2 * (display ? strlen(display) : 0) + 1);
	for (s = display; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		if ((unsigned char)*s >= 0x20)
			*p++ = *s;
	}
	*p = '\0';
	p = u = xmalloc(3 * strlen(user) + 1);
	for (s = user; *s != '\0'; s++) {
		if (call_user_char_ok((unsigned char)*s))
			*p++ = *s;
		else
			p += sprintf(p, "%%%02X", (unsigned char)*s);
	}
	*p = '\0';
	xasprintf(&out, "%s%s%s<sip:%s@%s>%s%s", *name ? "\"" : "", name,
	    *name ? "\" " : "", u, host, tag ? ";tag=" : "", tag ? tag : "");
	free(name);
	free(u);
	return (out);
}

/* State name for logs and roamctl. */
const char *
call_state_name(enum call_state s)
{
	switch (s) {
	case CALL_RINGING:
		return ("ringing");
	case CALL_ACCEPTED:
		return ("accepted");
	case CALL_ANSWERED:
		return ("answered");
	case CALL_ENDED:
		return ("ended");
	}
	return ("?");
}

/* A request from a phone, trunk or callee: new call or in-dialog. */
void
call_request(struct sip_tx *tx, const struct sip_msg *req)
{
	const char	*m = sip_msg_method(req);

	if (m == NULL)
		return;
	if (strcmp(m, "INVITE") == 0 && sip_msg_to_tag(req) == NULL) {
		call_invite(tx, req);
		return;
	}
	call_in_dialog(tx, req);
}

/* Hand each call to fn (roamctl calls). */
struct call_foreach_arg {
	void	(*fn)(const struct call_info *, void *);
	void	*arg;
};

/* Fill one call_info for call_foreach. */
static void
call_foreach_one(const char *key, void *val, void *arg)
{
	struct call_foreach_arg	*fa = arg;
	struct call		*c = val;
	struct call_info	 ci;

	memset(&ci, 0, sizeof(ci));
	ci.callid = c->callid;
	ci.caller = c->caller_number;
	ci.caller_ext = c->caller_ext;
	ci.callee = c->callee_user != NULL ? c->callee_user : c->dialled;
	ci.state = call_state_name(c->state);
	ci.start = c->start;
	ci.answer = c->answer;
	ci.trunk = c->trunk;
	fa->fn(&ci, fa->arg);
}

/* Every call in progress. */
void
call_foreach(void (*fn)(const struct call_info *, void *), void *arg)
{
	struct call_foreach_arg	 fa = { fn, arg };

	if (call_by_caller != NULL)
		hmap_foreach(call_by_caller, call_foreach_one, &fa);
}

/* Keep the earliest start of the calls seen. */
static void
call_oldest_one(const char *key, void *val, void *arg)
{
	const struct call	*c = val;
	time_t			*oldest = arg;

	if (*oldest == 0 || c->start < *oldest)
		*oldest = c->start;
}

/* When the oldest call in progress began; 0 when there is none. */
time_t
call_oldest(void)
{
	time_t	 oldest = 0;

	if (call_by_caller != NULL)
		hmap_foreach(call_by_caller, call_oldest_one, &oldest);
	return (oldest);
}

/* Number of calls in progress. */
size_t
call_count(void)
{
	return (call_by_caller != NULL ? hmap_count(call_by_caller) : 0);
}
