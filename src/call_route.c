/*
 * New calls: who is calling (a trunk by its address, else a phone by
 * digest auth), where the dialled string goes (DESIGN.md D1-D5), and
 * ringing: one callee fork per registered contact, in parallel, the first
 * 2xx wins (RFC 3261 16.7 in spirit, though we are a B2BUA, not a proxy).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "auth.h"
#include "call.h"
#include "call_int.h"
#include "config.h"
#include "dialplan.h"
#include "feature.h"
#include "hotdesk.h"
#include "log.h"
#include "registrar.h"
#include "rights.h"
#include "roamd.h"
#include "settings.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

#define CALL_ALLOW	"INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"

static void	call_fork_cb(struct sip_tx *, const struct sip_msg *, int,
		    void *);
static void	call_forks_done(struct call *);
static void	call_busy(struct call *, const char *, int, const char *);
static void	call_forward(struct call *, const char *,
		    enum call_fwd_reason);

/* Keep the caller's offer (or its absence: late offer) for the forks. */
static void
call_keep_offer(struct call *c, const struct sip_msg *req)
{
	const char	*body, *ct;
	size_t		 len;

	body = sip_msg_body(req, &len);
	if (body == NULL || len == 0)
		return;
	c->offer = xmalloc(len);
	memcpy(c->offer, body, len);
	c->offer_len = len;
	ct = sip_msg_content_type(req);
	c->offer_ctype = xstrdup(ct != NULL ? ct : "application/sdp");
}

/* Build and send a fork's INVITE; -1 when it failed at once. */
static int
call_fork_send(struct call_leg *f, const char *authhdr, const char *auth)
{
	struct call		*c = f->call;
	struct sip_msg		*m;
	struct sip_tx		*tx;
	struct sip_tx_cb	 cb = { call_fork_cb, f };
	char			 buf[256], *pai;
	size_t			 i;

	m = sip_msg_request("INVITE", f->ruri, f->local_hdr, f->remote_hdr,
	    f->callid, f->cseq);
	if (m == NULL) {
		f->status = sip_answer_code(ANS_SERVER_ERROR);
		return (-1);
	}
	snprintf(buf, sizeof(buf), "%d", c->max_forwards);
	sip_msg_set_header(m, "Max-Forwards", buf);
	call_contact(&f->peer, buf, sizeof(buf));
	sip_msg_add_header(m, "Contact", buf);
	/* RFC 3325: the callee sees who is calling, the user not the phone. */
	pai = call_nameaddr(c->caller_name, c->caller_number,
	    env->conf->domain, NULL);
	sip_msg_add_header(m, "P-Asserted-Identity", pai);
	free(pai);
	sip_msg_add_header(m, "Allow", CALL_ALLOW);
	/* RFC 5806: the most recent diversion comes first. */
	for (i = c->ndiversions; i > 0; i--)
		sip_msg_add_header(m, "Diversion", c->diversions[i - 1]);
	/* D3: where the emergency caller is. */
	if (c->emergency && c->location != NULL && *c->location != '\0')
		sip_msg_add_header(m, "X-Roam-Location", c->location);
	if (f->site != NULL)
		call_site_headers(f, m);
	if (authhdr != NULL)
		sip_msg_add_header(m, authhdr, auth);
	if (c->offer != NULL)
		sip_msg_set_body(m, c->offer_ctype, c->offer, c->offer_len);
	/* A transport failure may be reported from inside sip_tx_send(). */
	f->sending = 1;
	f->sync_status = 0;
	tx = sip_tx_send(m, &f->peer, &cb);
	f->sending = 0;
	if (f->sync_status != 0 || tx == NULL) {
		f->tx = NULL;
		if (f->site != NULL) {
			f->status = sip_answer_code(ANS_SITE_UNREACHABLE);
			free(f->reason);
			f->reason = xstrdup(sip_answer_reason(
			    ANS_SITE_UNREACHABLE));
		} else
			f->status = f->trunk != NULL ?
			    sip_answer_code(ANS_SERVICE_UNAVAILABLE) :
			    sip_answer_code(ANS_TEMP_UNAVAILABLE);
		return (-1);
	}
	f->tx = tx;
	return (0);
}

/* Add a fork towards ruri at peer; To names the target. */
struct call_leg *
call_fork_add(struct call *c, const char *ruri, const struct sip_peer *peer,
    const char *to, const char *trunk)
{
	struct call_leg	*f;

	if ((f = call_leg_new(c)) == NULL)
		return (NULL);
	f->ruri = xstrdup(ruri);
	f->target = xstrdup(ruri);
	f->remote_hdr = xstrdup(to);
	f->local_hdr = call_nameaddr(c->caller_name, c->caller_number,
	    env->conf->domain, f->local_tag);
	f->peer = *peer;
	f->cseq = 1;
	if (trunk != NULL)
		f->trunk = xstrdup(trunk);
	return (f);
}

/* Ringing ran too long: 480 to the caller, CANCEL the forks. */
static void
call_noanswer_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct call	*c = arg;

	if (c->state != CALL_RINGING)
		return;
	call_fork_cancel_all(c, NULL);
	call_reject(c, ANS_TEMP_UNAVAILABLE);
}

/*
 * The forwarding settings of a user, or NULL when they have no forward
 * number or their effective rights block forwarding (as on commercial
 * PBXs, block_forwarding also stops forwards set in the YAML).
 */
static const struct user_settings *
call_fwd_settings(const char *number)
{
	const struct user_settings	*s;
	const struct user_rights	*r;
	const struct user		*u;

	if (number == NULL || (u = call_user(number)) == NULL ||
	    (s = settings_get(number)) == NULL)
		return (NULL);
	if (s->fwd_number == NULL || *s->fwd_number == '\0')
		return (NULL);
	r = rights_effective(env->conf, u->user_rights,
	    u->out_of_hours_user_rights, u->working_hours_time_profile,
	    time(NULL));
	if (r != NULL && r->block_forwarding)
		return (NULL);
	return (s);
}

/* Log name of a forward reason. */
static const char *
call_fwd_name(enum call_fwd_reason why)
{
	switch (why) {
	case FWD_UNCONDITIONAL:
		return ("unconditional");
	case FWD_BUSY:
		return ("busy");
	case FWD_NO_ANSWER:
		return ("no_answer");
	}
	return ("?");
}

/* RFC 5806 4: the diversion-reason of a forward. */
static const char *
call_fwd_diversion_reason(enum call_fwd_reason why)
{
	switch (why) {
	case FWD_UNCONDITIONAL:
		return ("unconditional");
	case FWD_BUSY:
		return ("user-busy");
	case FWD_NO_ANSWER:
		return ("no-answer");
	}
	return ("unknown");
}

/* Has the call already rung this user? */
static int
call_visited(const struct call *c, const char *number)
{
	size_t	 i;

	for (i = 0; i < c->nvisited; i++)
		if (strcmp(c->visited[i], number) == 0)
			return (1);
	return (0);
}

/* Remember that the call reached this user (loop detection). */
void
call_visit(struct call *c, const char *number)
{
	if (call_visited(c, number) ||
	    c->nvisited >= sizeof(c->visited) / sizeof(c->visited[0]))
		return;
	c->visited[c->nvisited++] = xstrdup(number);
}

/* Forward on no answer: the user's time is up, ring the forward. */
static void
call_fwd_noanswer_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct call	*c = arg;
	char		*user;

	if (c->state != CALL_RINGING || c->b != NULL || c->ring_user == NULL)
		return;
	user = xstrdup(c->ring_user);
	call_forward(c, user, FWD_NO_ANSWER);
	free(user);
}

/* Arm forward on no answer for the user whose forks now ring. */
static void
call_fwd_noanswer_arm(struct call *c)
{
	const struct user_settings	*s;
	struct timeval			 tv = { 0, 0 };

	if (c->fwd_timer != NULL)
		evtimer_del(c->fwd_timer);
	if ((s = call_fwd_settings(c->ring_user)) == NULL ||
	    !s->fwd_no_answer)
		return;
	if (c->fwd_timer == NULL &&
	    (c->fwd_timer = evtimer_new(env->base, call_fwd_noanswer_fire,
	    c)) == NULL)
		return;
	tv.tv_sec = s->no_answer_time > 0 ? s->no_answer_time : 15;
	evtimer_add(c->fwd_timer, &tv);
}

/*
 * The call is ringing: index it, log it, start the no-answer timers (the
 * call's overall one once, the user's forward on no answer each time a
 * user's forks go out).
 */
static void
call_start_ringing(struct call *c)
{
	struct timeval	 tv = { CALL_NO_ANSWER_SECS, 0 };

	if (!c->indexed)
		call_index(c);
	call_log(c, "ringing", NULL);
	if (c->noanswer == NULL) {
		c->noanswer = evtimer_new(env->base, call_noanswer_fire, c);
		if (c->noanswer != NULL)
			evtimer_add(c->noanswer, &tv);
	}
	call_fwd_noanswer_arm(c);
}

/* Send every fork's INVITE; answer at once if none could go. */
void
call_send_forks(struct call *c)
{
	size_t	 i;

	call_start_ringing(c);
	for (i = 0; i < c->nforks && c->state == CALL_RINGING; i++)
		call_fork_send(c->forks[i], NULL, NULL);
	call_forks_done(c);
}

/* Whose forks ring now (NULL for a trunk). */
void
call_set_ring_user(struct call *c, const char *number)
{
	free(c->ring_user);
	c->ring_user = number != NULL ? xstrdup(number) : NULL;
}

/*
 * Ring a user without looking at forward unconditional: every contact of
 * the extension they are logged in at.  H4 and DND: a logged-out user or
 * one with DND on gets busy treatment.
 */
static void
call_ring_plain(struct call *c, const char *number)
{
	const struct user_settings	*s;
	struct reg_binding		*b[CALL_MAX_FORKS];
	const char			*ext;
	char				*to;
	size_t				 n, i;

	free(c->callee_user);
	c->callee_user = xstrdup(number);
	s = settings_get(number);
	if ((ext = hotdesk_user_ext(number)) == NULL ||
	    (s != NULL && s->dnd)) {
		call_busy(c, number, 0, NULL);
		return;
	}
	n = registrar_lookup(ext, b, CALL_MAX_FORKS);
	if (n > CALL_MAX_FORKS)
		n = CALL_MAX_FORKS;
	if (n == 0) {
		call_reject(c, ANS_NOT_REGISTERED);
		return;
	}
	to = call_nameaddr(NULL, number, env->conf->domain, NULL);
	for (i = 0; i < n; i++)
		call_fork_add(c, b[i]->contact, &b[i]->peer, to, NULL);
	free(to);
	call_set_ring_user(c, number);
	call_send_forks(c);
}

/* Ring a user: forward unconditional first, else their phone. */
static void
call_ring_user(struct call *c, const char *number)
{
	const struct user_settings	*s;

	call_visit(c, number);
	free(c->callee_user);
	c->callee_user = xstrdup(number);
	if ((s = call_fwd_settings(number)) != NULL && s->fwd_unconditional) {
		call_forward(c, number, FWD_UNCONDITIONAL);
		return;
	}
	call_ring_plain(c, number);
}

/*
 * Busy treatment (H4, DND, every fork busy): forward on busy if the user
 * set it, else busy to the caller (the callee's own 486 phrase when there
 * was one).
 */
static void
call_busy(struct call *c, const char *number, int code, const char *reason)
{
	const struct user_settings	*s;

	if ((s = call_fwd_settings(number)) != NULL && s->fwd_busy) {
		call_forward(c, number, FWD_BUSY);
		return;
	}
	if (code == 0) {
		call_reject(c, ANS_BUSY_HERE);
		return;
	}
	call_reply_caller(c, code, reason);
	call_end(c, code, reason);
}

/*
 * A forward that would loop or go too far: the current leg is a plain
 * call (unconditional rings the user; busy and no answer end it).
 */
static void
call_fwd_stop(struct call *c, const char *user, enum call_fwd_reason why)
{
	log_info("forward loop stopped call=%s user=%s reason=%s", c->callid,
	    user, call_fwd_name(why));
	switch (why) {
	case FWD_UNCONDITIONAL:
		call_ring_plain(c, user);
		break;
	case FWD_BUSY:
		call_reject(c, ANS_BUSY_HERE);
		break;
	case FWD_NO_ANSWER:
		call_reject(c, ANS_TEMP_UNAVAILABLE);
		break;
	}
}

/* Note the diversion for the next forks (RFC 5806 Diversion). */
static void
call_divert(struct call *c, const char *user, enum call_fwd_reason why)
{
	const struct user	*u = call_user(user);
	char			*na, *d;

	if (c->ndiversions >= CALL_MAX_FWD_HOPS)
		return;
	na = call_nameaddr(u != NULL ? u->name : NULL, user,
	    env->conf->domain, NULL);
	xasprintf(&d, "%s;reason=%s;counter=1", na,
	    call_fwd_diversion_reason(why));
	free(na);
	c->diversions[c->ndiversions++] = d;
}

/*
 * Forward the call from user to their forward number, routed as if the
 * user had dialled it (their short codes, their effective rights, their
 * outgoing call bar).  The caller's identity stays; the callee learns of
 * the diversion.  The caller hears ringing throughout: no final is sent
 * unless the forward itself fails.
 */
static void
call_forward(struct call *c, const char *user, enum call_fwd_reason why)
{
	const struct user_settings	*s = call_fwd_settings(user);
	const struct user		*u = call_user(user);
	struct call_route		 rt;
	char				*to;

	if (s == NULL || u == NULL) {
		call_fwd_stop(c, user, why);
		return;
	}
	to = xstrdup(s->fwd_number);
	call_route(c, u, to, &rt);
	if (c->ndiversions >= CALL_MAX_FWD_HOPS ||
	    ((rt.kind == ROUTE_USER || rt.kind == ROUTE_SITE) &&
	    call_visited(c, rt.number))) {
		free(to);
		call_fwd_stop(c, user, why);
		return;
	}
	log_info("call forwarded call=%s from=%s user=%s to=%s reason=%s",
	    c->callid, c->caller_number != NULL ? c->caller_number : "-",
	    user, to, call_fwd_name(why));
	free(to);
	call_divert(c, user, why);
	call_forks_drop(c);
	call_set_ring_user(c, NULL);
	if (c->fwd_timer != NULL)
		evtimer_del(c->fwd_timer);
	if (rt.kind == ROUTE_FEATURE) {
		rt.kind = ROUTE_REJECT;
		rt.answer = ANS_NUMBER_UNOBTAINABLE;
	}
	call_route_apply(c, &rt);
}

/*
 * The Request-URI for number at a configured address (a trunk's, a peer
 * site's SIP listener): sip:<number>@<host:port>[;transport=...], the
 * user part escaped (RFC 3261 25.1).  Fills peer with where to send.
 */
char *
call_target_uri(const struct cfg_addr *a, const char *number,
    struct sip_peer *peer)
{
	char		 text[128], *hostport, *ruri, *to, *u;
	const char	*tp = "";

	memset(peer, 0, sizeof(*peer));
	sip_peer_from_cfg(a, peer);
	sip_peer_text(peer, text, sizeof(text));
	hostport = strchr(text, ':') != NULL ? strchr(text, ':') + 1 : text;
	if (peer->transport == SIPT_TCP)
		tp = ";transport=tcp";
	else if (peer->transport == SIPT_TLS)
		tp = ";transport=tls";
	/* Reuse the escaping of call_nameaddr for the user part. */
	to = call_nameaddr(NULL, number, hostport, NULL);
	u = strchr(to, '<') + 1;
	u[strlen(u) - 1] = '\0';
	xasprintf(&ruri, "%s%s", u, tp);
	free(to);
	return (ruri);
}

/* Out on a trunk: sip:<number>@<trunk address>. */
static void
call_ring_trunk(struct call *c, const struct trunk *t, const char *number)
{
	struct call_leg	*f;
	struct sip_peer	 peer;
	char		*ruri, *to;

	ruri = call_target_uri(&t->address, number, &peer);
	xasprintf(&to, "<%s>", ruri);
	free(c->trunk);
	c->trunk = xstrdup(t->name);
	call_set_ring_user(c, NULL);
	f = call_fork_add(c, ruri, &peer, to, t->name);
	/* An external call from its INVITE on (toll-fraud guard). */
	if (f != NULL)
		call_guard_leg_start(f, c->guard_user);
	free(ruri);
	free(to);
	call_send_forks(c);
}

/* Is a match a dialling feature in scope here? */
static int
call_route_feature(const struct call *c, const struct user *u,
    const struct dp_match *m, const struct user_rights *r,
    const char *dialled, struct call_route *rt)
{
	const char	*num = m->number[0] != '\0' ? m->number : dialled;
	enum sip_answer	 ans;

	xstrlcpy(rt->number, num, sizeof(rt->number));
	if (feature_is_local(m)) {
		rt->kind = ROUTE_FEATURE;
		rt->match = *m;
		return (0);
	}
	switch (m->sc->feature) {
	case SC_DIAL_EMERGENCY:
		/* D3: never barred, needs no login, ignores the call bar. */
		rt->emergency = 1;
		break;
	case SC_DIAL:
		if (m->sc->trunk == NULL) {
			/* A number of this site or of the network (R3). */
			if (call_site_user_route(num, rt) == 0) {
				rt->kind = ROUTE_REJECT;
				rt->answer = ANS_NUMBER_UNOBTAINABLE;
			}
			return (0);
		}
		if (r != NULL && r->outgoing_call_bar) {	/* D4 */
			rt->kind = ROUTE_REJECT;
			rt->answer = ANS_OUTGOING_BARRED;
			return (0);
		}
		/* Toll-fraud guards: never on dial_emergency (D3). */
		if ((ans = call_guard_check(c, u, num)) != ANS_OK) {
			rt->kind = ROUTE_REJECT;
			rt->answer = ans;
			return (0);
		}
		if (u != NULL)
			xstrlcpy(rt->ext_user, u->number,
			    sizeof(rt->ext_user));
		break;
	case SC_BARRED:
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_BARRED;
		return (0);
	case SC_BUSY:
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_BUSY_HERE;
		return (0);
	case SC_BREAK_OUT:
		call_site_breakout_route(c, u, m, rt);
		return (0);
	default:
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_NOT_IMPLEMENTED;
		return (0);
	}
	rt->kind = ROUTE_TRUNK;
	if ((rt->trunk = call_trunk(m->sc->trunk)) == NULL) {
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_NUMBER_UNOBTAINABLE;
	}
	return (0);
}

/*
 * Where does the dialled string go?  D1: a user number first, then the
 * user's, their effective rights' and the system short codes.  A NoUser
 * phone (u NULL) may only use dial_emergency and the system '?' codes.
 * Always fills rt; returns 0.
 */
int
call_route(const struct call *c, const struct user *u, const char *dialled,
    struct call_route *rt)
{
	const struct config		*conf = env->conf;
	const struct user_rights	*r = NULL;
	struct dp_match			 m;
	int				 rc;

	memset(rt, 0, sizeof(*rt));
	rt->kind = ROUTE_REJECT;
	rt->answer = ANS_NUMBER_UNOBTAINABLE;
	if (u == NULL) {
		rc = dialplan_match(dialled, NULL, NULL, &conf->short_codes,
		    NULL, &m);
		/* Logging in is the one way out of NoUser. */
		if (rc == -1 || (m.sc->feature != SC_DIAL_EMERGENCY &&
		    m.sc->feature != SC_EXTN_LOGIN &&
		    m.tier != DP_TIER_SYSTEM_DEFAULT)) {
			rt->answer = ANS_NO_USER;
			return (0);
		}
		return (call_route_feature(c, NULL, &m, NULL, dialled, rt));
	}
	/* D1, R3: a user anywhere in the network comes first. */
	if (call_site_user_route(dialled, rt))
		return (0);
	/* D3: no user or rights code may shadow or bar an emergency code. */
	if (dialplan_emergency(dialled, &conf->short_codes, &m))
		return (call_route_feature(c, u, &m, NULL, dialled, rt));
	r = rights_effective(conf, u->user_rights,
	    u->out_of_hours_user_rights, u->working_hours_time_profile,
	    time(NULL));
	rc = dialplan_match(dialled, &u->short_codes,
	    r != NULL ? &r->short_codes : NULL, &conf->short_codes,
	    u->number, &m);
	if (rc == -1)
		return (0);
	return (call_route_feature(c, u, &m, r, dialled, rt));
}

/* Carry out a routing decision. */
void
call_route_apply(struct call *c, const struct call_route *rt)
{
	switch (rt->kind) {
	case ROUTE_USER:
		call_ring_user(c, rt->number);
		break;
	case ROUTE_SITE:
		call_visit(c, rt->number);
		call_site_ring(c, rt->site, rt->number);
		break;
	case ROUTE_BREAKOUT:
		call_site_breakout(c, rt);
		break;
	case ROUTE_TRUNK:
		c->emergency = rt->emergency;
		free(c->guard_user);
		c->guard_user = rt->ext_user[0] != '\0' ?
		    xstrdup(rt->ext_user) : NULL;
		call_ring_trunk(c, rt->trunk, rt->number);
		break;
	case ROUTE_FEATURE:
		call_feature_start(c, &rt->match);
		break;
	case ROUTE_REJECT:
		call_reject(c, rt->answer);
		break;
	}
}

/* A DDI call from a trunk: the DDI's destination user is rung. */
static void
call_from_trunk(struct call *c, const struct trunk *t,
    const struct sip_msg *req)
{
	const char	*from = sip_msg_from_user(req);
	const char	*name = sip_msg_from_display(req);
	struct call_route rt;
	size_t		 i;

	memset(&rt, 0, sizeof(rt));
	c->caller_ext = xstrdup(t->name);
	c->caller_number = xstrdup(from != NULL ? from : "anonymous");
	if (name != NULL && *name != '\0')
		c->caller_name = xstrdup(name);
	for (i = 0; i < t->nincoming; i++) {
		if (strcmp(t->incoming[i].ddi, c->dialled) != 0)
			continue;
		/* R3: to the host when the user is logged in elsewhere. */
		if (call_site_user_route(t->incoming[i].destination, &rt))
			call_route_apply(c, &rt);
		else
			call_ring_user(c, t->incoming[i].destination);
		return;
	}
	call_reject(c, ANS_UNKNOWN_DDI);
}

/* Text fit for a header value: control characters (CR, LF) dropped. */
static char *
call_header_text(const char *in)
{
	char	*out, *p;

	p = out = xstrdup(in);
	for (; *in != '\0'; in++)
		if ((unsigned char)*in >= 0x20 && *in != 0x7f)
			*p++ = *in;
	*p = '\0';
	return (out);
}

/* A call from a phone: the user logged in there (or NoUser) dials. */
static void
call_from_phone(struct call *c, const struct extension *ext)
{
	const struct user	*u = NULL;
	const char		*un;
	struct call_route	 rt;

	c->caller_ext = xstrdup(ext->number);
	if (ext->location != NULL)
		c->location = call_header_text(ext->location);
	if ((un = hotdesk_ext_user(ext->number)) != NULL)
		u = call_user(un);
	if (u != NULL) {
		c->caller_user = xstrdup(u->number);
		c->caller_number = xstrdup(u->number);
		if (u->name != NULL && *u->name != '\0')
			c->caller_name = xstrdup(u->name);
	} else
		c->caller_number = xstrdup(ext->number);
	call_route(c, u, c->dialled, &rt);
	call_route_apply(c, &rt);
}

/* Does a numeric host name one of our listeners (a wildcard: any)? */
static int
call_host_is_listener(const char *host)
{
	const struct config	*conf = env->conf;
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	struct in_addr		 a4;
	struct in6_addr		 a6;
	int			 v4, v6;
	size_t			 i;

	v4 = inet_pton(AF_INET, host, &a4) == 1;
	v6 = !v4 && inet_pton(AF_INET6, host, &a6) == 1;
	if (!v4 && !v6)
		return (0);
	for (i = 0; i < conf->nsip; i++) {
		if (v4 && conf->sip[i].ss.ss_family == AF_INET) {
			s4 = (const struct sockaddr_in *)&conf->sip[i].ss;
			if (s4->sin_addr.s_addr == htonl(INADDR_ANY) ||
			    s4->sin_addr.s_addr == a4.s_addr)
				return (1);
		}
		if (v6 && conf->sip[i].ss.ss_family == AF_INET6) {
			s6 = (const struct sockaddr_in6 *)&conf->sip[i].ss;
			if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ||
			    memcmp(&s6->sin6_addr, &a6, sizeof(a6)) == 0)
				return (1);
		}
	}
	return (0);
}

/*
 * Is a request for this site?  Its Request-URI host is the site's domain
 * or one of its listen addresses (DESIGN.md section 4: phones are often
 * set up with the server's IP).
 */
static int
call_for_us(const char *host)
{
	char	 buf[128];
	size_t	 len;
	int	 i;

	if (host == NULL || *host == '\0')
		return (0);
	if (env->conf->domain != NULL &&
	    strcasecmp(host, env->conf->domain) == 0)
		return (1);
	len = strlen(host);
	if (host[0] == '[' && len > 2 && host[len - 1] == ']' &&
	    len - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
	} else if (xstrlcpy(buf, host, sizeof(buf)) >= sizeof(buf))
		return (0);
	if (call_host_is_listener(buf))
		return (1);
	for (i = SIPT_UDP; i <= SIPT_TLS; i++)
		if (strcasecmp(buf, sip_transport_local(i, NULL)) == 0)
			return (1);
	return (0);
}

/* A new INVITE (no To tag): classify, authenticate, route, ring. */
void
call_invite(struct sip_tx *tx, const struct sip_msg *req)
{
	const struct peer_cfg	*site = NULL;
	const struct trunk	*t;
	struct extension	*ext = NULL;
	struct call		*c;
	int			 mf;

	mf = sip_msg_max_forwards(req);
	if (mf == 0) {
		sip_tx_reply(tx, sip_answer_code(ANS_TOO_MANY_HOPS),
		    sip_answer_reason(ANS_TOO_MANY_HOPS));
		return;
	}
	/* RFC 3261 8.2.2.2: the same request arriving by another path. */
	if (call_exists(req)) {
		sip_tx_reply(tx, sip_answer_code(ANS_LOOP_DETECTED),
		    sip_answer_reason(ANS_LOOP_DETECTED));
		return;
	}
	t = call_trunk_by_peer(sip_tx_peer(tx));
	/* A peer site's call is trusted by its address (no digest). */
	if (t == NULL)
		site = call_site_from(sip_tx_peer(tx), req);
	if (t == NULL && site == NULL &&
	    !call_for_us(sip_msg_ruri_host(req))) {
		log_info("call not for this site call=%s host=%s",
		    sip_msg_callid(req) != NULL ? sip_msg_callid(req) : "-",
		    sip_msg_ruri_host(req) != NULL ? sip_msg_ruri_host(req) :
		    "-");
		sip_tx_reply(tx, sip_answer_code(ANS_NOT_FOUND),
		    sip_answer_reason(ANS_NOT_FOUND));
		return;
	}
	if (t == NULL && site == NULL &&
	    (ext = registrar_auth(tx, req)) == NULL)
		return;		/* challenged or refused: answered */
	c = call_new(tx, req);
	c->max_forwards = mf < 0 ? CALL_MAX_FORWARDS : mf - 1;
	call_keep_offer(c, req);
	if (t != NULL)
		call_from_trunk(c, t, req);
	else if (site != NULL)
		call_from_site(c, site, req);
	else
		call_from_phone(c, ext);
}

/* CANCEL every pending fork but one. */
void
call_fork_cancel_all(struct call *c, struct call_leg *except)
{
	struct call_leg	*f;
	size_t		 i;

	for (i = 0; i < c->nforks; i++) {
		f = c->forks[i];
		if (f == except || f->tx == NULL || f->cancelled)
			continue;
		f->cancelled = 1;
		sip_tx_cancel(f->tx);
	}
}

/* Relay a provisional response (180 once, 183 with SDP) to the caller. */
static void
call_fork_provisional(struct call_leg *f, const struct sip_msg *resp,
    int status)
{
	struct call	*c = f->call;
	struct sip_msg	*out;
	const char	*body;
	char		 buf[256];
	size_t		 len = 0;

	if (c->state != CALL_RINGING || c->stx == NULL || status == 100)
		return;
	body = sip_msg_body(resp, &len);
	if (status == 183 && body != NULL && len > 0) {
		if (c->early == NULL)
			c->early = f;
		if (c->early != f)
			return;
	} else if (status == 180 || status == 183) {
		if (c->ringing_sent || c->early != NULL)
			return;
		c->ringing_sent = 1;
	} else
		return;
	out = sip_msg_response(sip_tx_request(c->stx), status,
	    sip_msg_reason(resp), c->a->local_tag);
	if (out == NULL)
		return;
	call_contact(&c->a->peer, buf, sizeof(buf));
	sip_msg_add_header(out, "Contact", buf);
	call_copy_body(out, resp);
	sip_tx_respond(c->stx, out);
}

/* The first 2xx: relay it to the caller, CANCEL the other forks. */
static void
call_fork_answered(struct call_leg *f, const struct sip_msg *resp,
    int status)
{
	struct call	*c = f->call;
	struct sip_msg	*out;
	char		 buf[256];

	call_leg_learn(f, resp);
	if (c->state != CALL_RINGING || c->b != NULL || c->stx == NULL) {
		/* A second 2xx or too late: ACK, BYE (RFC 3261 13.2.2.4). */
		call_leg_ack(f, sip_msg_cseq(resp), NULL, 0, NULL);
		call_leg_bye(f);
		return;
	}
	c->b = f;
	if (c->noanswer != NULL)
		evtimer_del(c->noanswer);
	if (c->fwd_timer != NULL)
		evtimer_del(c->fwd_timer);
	call_fork_cancel_all(c, f);
	out = sip_msg_response(sip_tx_request(c->stx), status,
	    sip_msg_reason(resp), c->a->local_tag);
	if (out != NULL) {
		call_contact(&c->a->peer, buf, sizeof(buf));
		sip_msg_add_header(out, "Contact", buf);
		sip_msg_add_header(out, "Allow", CALL_ALLOW);
		call_copy_body(out, resp);
	}
	c->b_cseq = sip_msg_cseq(resp);
	c->state = CALL_ACCEPTED;
	c->answer = time(NULL);
	if (out == NULL || sip_tx_respond(c->stx, out) == -1) {
		c->stx = NULL;
		call_leg_ack(f, c->b_cseq, NULL, 0, NULL);
		call_leg_bye(f);
		call_end(c, sip_answer_code(ANS_SERVICE_UNAVAILABLE),
		    "caller-unreachable");
		return;
	}
	c->stx = NULL;
	call_log(c, "answered", NULL);
}

/* Answer a trunk's digest challenge once (the layer ACKed the 401/407). */
static int
call_fork_auth(struct call_leg *f, const struct sip_msg *resp, int status)
{
	const struct trunk	*t;
	struct sip_challenge	 ch;
	char			 buf[1024];

	if (f->trunk == NULL || f->auth_tried || resp == NULL ||
	    f->call->state != CALL_RINGING || f->cancelled)
		return (-1);
	if ((t = call_trunk(f->trunk)) == NULL || t->auth_username == NULL)
		return (-1);
	if (sip_msg_challenge(resp, &ch) == -1)
		return (-1);
	if (auth_answer(buf, sizeof(buf), &ch, "INVITE", f->ruri,
	    t->auth_username, t->auth_password, 1) == -1)
		return (-1);
	f->auth_tried = 1;
	f->cseq++;
	log_info("call trunk challenge call=%s trunk=%s status=%d",
	    f->call->callid, t->name, status);
	return (call_fork_send(f, status == 401 ? "Authorization" :
	    "Proxy-Authorization", buf));
}

/* Map a fork's final failure to what the caller may be told. */
static void
call_fork_failed(struct call_leg *f, const struct sip_msg *resp, int status)
{
	enum sip_answer	 ans = ANS_MAX;
	const char	*reason = resp != NULL ? sip_msg_reason(resp) : NULL;

	if (resp == NULL && f->site != NULL)
		ans = ANS_SITE_UNREACHABLE;	/* no answer from the site */
	else if (resp == NULL && status == 408)
		ans = ANS_REQUEST_TIMEOUT;
	else if (resp == NULL)
		ans = f->trunk != NULL ? ANS_SERVICE_UNAVAILABLE :
		    ANS_TEMP_UNAVAILABLE;
	else if (status < 400)
		ans = ANS_TEMP_UNAVAILABLE;	/* we follow no redirects */
	else if (status == 401 || status == 407)
		ans = ANS_FORBIDDEN;
	if (ans != ANS_MAX) {
		status = sip_answer_code(ans);
		reason = sip_answer_reason(ans);
	}
	if (reason == NULL)
		reason = sip_reason_default(status);
	f->status = status;
	free(f->reason);
	f->reason = xstrdup(reason != NULL ? reason : "");
	call_guard_leg_end(f);		/* no longer out on the trunk */
}

/* A fork's transaction reports a response (or a timeout). */
static void
call_fork_cb(struct sip_tx *tx, const struct sip_msg *resp, int status,
    void *arg)
{
	struct call_leg	*f = arg;
	struct call	*c = f->call;

	if (f->sending) {
		if (status >= 200)
			f->sync_status = status;
		return;
	}
	if (tx != f->tx || c->state == CALL_ENDED)
		return;
	if (status < 200) {
		if (resp != NULL)
			call_fork_provisional(f, resp, status);
		return;
	}
	f->tx = NULL;
	if (status < 300 && resp != NULL) {
		call_fork_answered(f, resp, status);
		return;
	}
	if ((status == 401 || status == 407) &&
	    call_fork_auth(f, resp, status) == 0)
		return;
	call_fork_failed(f, resp, status);
	if (c->b != NULL || c->state != CALL_RINGING)
		return;
	/* RFC 3261 16.7.6: a 6xx ends the search at once. */
	if (status >= 600 && resp != NULL) {
		call_fork_cancel_all(c, NULL);
		call_reply_caller(c, f->status, f->reason);
		call_end(c, f->status, f->reason);
		return;
	}
	call_forks_done(c);
}

/*
 * The best final of failed forks (RFC 3261 16.7.6 in spirit): busy if
 * any fork was busy, else a 6xx, else the lowest 4xx/5xx.
 */
static struct call_leg *
call_forks_best(struct call *c)
{
	struct call_leg	*f, *best = NULL;
	size_t		 i;

	for (i = 0; i < c->nforks; i++) {
		f = c->forks[i];
		if (f->status == 486)
			return (f);
		if (f->status >= 600 && (best == NULL || best->status < 600))
			best = f;
		else if (f->status >= 300 && (best == NULL ||
		    (best->status < 600 && f->status < best->status)))
			best = f;
	}
	return (best);
}

/* When every fork has failed, tell the caller the best final. */
static void
call_forks_done(struct call *c)
{
	struct call_leg	*best;
	size_t		 i;
	int		 code;
	char		*reason, *user;

	if (c->state != CALL_RINGING || c->b != NULL)
		return;
	for (i = 0; i < c->nforks; i++)
		if (c->forks[i]->tx != NULL && !c->forks[i]->cancelled)
			return;
	if ((best = call_forks_best(c)) == NULL) {
		call_reject(c, ANS_TEMP_UNAVAILABLE);
		return;
	}
	code = best->status;
	reason = xstrdup(best->reason != NULL ? best->reason :
	    sip_reason_default(code));
	if (code == 486 && c->ring_user != NULL) {
		/* Every phone of the user busy: busy treatment. */
		user = xstrdup(c->ring_user);
		call_busy(c, user, code, reason);
		free(user);
		free(reason);
		return;
	}
	call_reply_caller(c, code, reason);
	call_end(c, code, reason);
	free(reason);
}
