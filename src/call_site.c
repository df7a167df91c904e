/*
 * Calls between sites (DESIGN.md R3-R5, B1).  Sites speak plain SIP to
 * each other's `sip` listener (network.peers[].sip): a call for a user
 * logged in at another site goes straight there, one for a logged-out
 * user homed elsewhere goes to their home, which applies its own rules;
 * a break out sends the digits to another site together with what that
 * site needs to process them "as if the user had dialled there" (the
 * user's short codes and the names of their rights and time profile).
 *
 * A peer's INVITE is trusted by where it comes from: the source address
 * must be that peer's configured `sip` address and X-Roam-Site must name
 * it.  Everything else goes through the trunk check and digest auth.
 * X-Roam-Hops counts the sites a call crossed: directories can disagree
 * for a moment (a LOCATION still in flight), so a call may bounce, but
 * never more than CALL_SITE_MAX_HOPS times (482 Loop Detected).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "call.h"
#include "call_int.h"
#include "config.h"
#include "dialplan.h"
#include "directory.h"
#include "hotdesk.h"
#include "log.h"
#include "peer.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "users.h"
#include "xmalloc.h"

#define CALL_SITE_MAX_DEPTH	2	/* break out to ourselves, nested */

static const char	*call_site_id_name(int);

static const struct call_net	 call_net_daemon = {
	directory_lookup,
	peer_is_up,
	call_site_id_name
};
static const struct call_net	*call_net_cur = &call_net_daemon;
static int			 call_site_depth;

/* The name of the peer site with this id (learned from its HELLO). */
static const char *
call_site_id_name(int id)
{
	struct peer	*p;

	if ((p = peer_by_id(id)) == NULL)
		return (NULL);
	return (p->name);
}

/* Replace the network queries (tests); NULL restores the daemon's. */
void
call_set_net(const struct call_net *net)
{
	call_net_cur = net != NULL ? net : &call_net_daemon;
}

/* Our own site name ("" when unset). */
static const char *
call_site_me(void)
{
	return (env->conf->site_name != NULL ? env->conf->site_name : "");
}

/* A configured peer by name, or NULL (a handful: a scan is fine). */
static const struct peer_cfg *
call_site_peer(const char *name)
{
	const struct config	*conf = env->conf;
	size_t			 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < conf->npeers; i++)
		if (strcmp(conf->peers[i].name, name) == 0)
			return (&conf->peers[i]);
	return (NULL);
}

/* Can calls go to this site now (configured with a sip address, up)? */
static int
call_site_reachable(const struct peer_cfg *p)
{
	return (p != NULL && p->sip.text != NULL &&
	    call_net_cur->site_up(p->name));
}

/*
 * The peer that sent a new INVITE, when it is trusted: the source is the
 * peer's `sip` address (IP, port and transport) and X-Roam-Site names
 * that same peer.  Anything else is NULL (trunk check, digest auth).
 */
const struct peer_cfg *
call_site_from(const struct sip_peer *src, const struct sip_msg *req)
{
	const struct peer_cfg	*p;
	const char		*claim;

	if ((claim = sip_msg_header(req, "X-Roam-Site")) == NULL ||
	    (p = call_site_by_addr(src)) == NULL)
		return (NULL);
	if (strcmp(p->name, claim) == 0)
		return (p);
	log_warnx("call from site refused call=%s site=%s claimed=%s",
	    sip_msg_callid(req) ? sip_msg_callid(req) : "-", p->name, claim);
	return (NULL);
}

/* The peer site whose sip address src is, or NULL (call.h). */
const struct peer_cfg *
call_site_by_addr(const struct sip_peer *src)
{
	const struct config	*conf;
	struct sip_peer		 pp;
	size_t			 i;

	if (env == NULL || (conf = env->conf) == NULL)
		return (NULL);
	for (i = 0; i < conf->npeers; i++) {
		if (conf->peers[i].sip.text == NULL)
			continue;
		sip_peer_from_cfg(&conf->peers[i].sip, &pp);
		if (sip_peer_equal(&pp, src))
			return (&conf->peers[i]);
	}
	return (NULL);
}

/* Fill rt: send number to site, or 480 Site Unreachable. */
static void
call_site_route_to(const char *number, const char *site,
    struct call_route *rt)
{
	xstrlcpy(rt->number, number, sizeof(rt->number));
	xstrlcpy(rt->site, site, sizeof(rt->site));
	if (!call_site_reachable(call_site_peer(site))) {
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_SITE_UNREACHABLE;
		log_info("call site unreachable to=%s site=%s", number, site);
		return;
	}
	rt->kind = ROUTE_SITE;
}

/*
 * D1, R3: is number a user anywhere in the network, and where does a call
 * for them go?  Logged in here (our users and visitors): ring here.
 * Logged in at another site: straight there, whoever's home it is.
 * Logged out: their home applies busy treatment (H4), so ours ring here
 * and others go home.  Returns 1 with rt filled (ROUTE_USER, ROUTE_SITE,
 * or a 480 when that site is unreachable), 0 when no user has the number.
 */
int
call_site_user_route(const char *number, struct call_route *rt)
{
	const struct dir_entry	*d;
	const struct user	*u;
	const char		*me = call_site_me();

	if (number == NULL || *number == '\0')
		return (0);
	u = call_user(number);
	d = call_net_cur->lookup(number);
	if (u == NULL && d == NULL)
		return (0);
	if (u != NULL && hotdesk_user_ext(number) != NULL)
		goto here;
	if (d == NULL)
		goto here;
	if (d->site != NULL && strcmp(d->site, me) != 0) {
		call_site_route_to(number, d->site, rt);
		return (1);
	}
	if (u != NULL || d->local || d->home == NULL ||
	    strcmp(d->home, me) == 0)
		goto here;
	call_site_route_to(number, d->home, rt);
	return (1);
here:
	rt->kind = ROUTE_USER;
	xstrlcpy(rt->number, number, sizeof(rt->number));
	return (1);
}

/* Is this the site's own emergency code (D3: it never leaves by a peer)? */
static int
call_site_is_emergency(const char *digits)
{
	struct dp_match	 m;

	return (dialplan_emergency(digits, &env->conf->short_codes, &m));
}

/* Route digits here, as if dialled (a break out to our own site). */
static void
call_site_route_here(const struct call *c, const struct user *u,
    const char *digits, struct call_route *rt)
{
	char	 buf[DP_NUMBER_MAX];

	if (call_site_depth >= CALL_SITE_MAX_DEPTH) {
		rt->kind = ROUTE_REJECT;
		rt->answer = ANS_NUMBER_UNOBTAINABLE;
		return;
	}
	xstrlcpy(buf, digits, sizeof(buf));	/* rt is rewritten */
	call_site_depth++;
	call_route(c, u, buf, rt);
	call_site_depth--;
}

/*
 * Which site and digits a break_out match names: `site:` with the digits
 * in N, or N = "<site id>*<digits>".  NULL site when there is none.
 */
static const char *
call_site_breakout_target(const struct dp_match *m, const char **digits)
{
	const char	*spec = m->number[0] != '\0' ? m->number : m->n;
	char		*end;
	long		 id;

	*digits = spec;
	if (m->sc->site != NULL)
		return (m->sc->site);
	if (!isdigit((unsigned char)spec[0]))
		return (NULL);
	id = strtol(spec, &end, 10);
	if (*end != '*' || id < 1 || id > 99)
		return (NULL);
	*digits = end + 1;
	if (id == env->conf->site_id)
		return (call_site_me());
	return (call_net_cur->site_by_id((int)id));
}

/*
 * B1: a break_out match.  Unknown site: 404 Unknown Site; peer link down:
 * 480 Site Unreachable; our own site: the digits are dialled here.  An
 * emergency number stays here whatever the code says (D3).
 */
void
call_site_breakout_route(const struct call *c, const struct user *u,
    const struct dp_match *m, struct call_route *rt)
{
	const char	*site, *digits;

	site = call_site_breakout_target(m, &digits);
	rt->kind = ROUTE_REJECT;
	if (site == NULL || (strcmp(site, call_site_me()) != 0 &&
	    call_site_peer(site) == NULL)) {
		rt->answer = ANS_UNKNOWN_SITE;
		return;
	}
	if (*digits == '\0') {
		rt->answer = ANS_NUMBER_UNOBTAINABLE;
		return;
	}
	if (strcmp(site, call_site_me()) == 0 ||
	    call_site_is_emergency(digits)) {
		call_site_route_here(c, u, digits, rt);
		return;
	}
	if (!call_site_reachable(call_site_peer(site))) {
		rt->answer = ANS_SITE_UNREACHABLE;
		return;
	}
	rt->kind = ROUTE_BREAKOUT;
	xstrlcpy(rt->site, site, sizeof(rt->site));
	xstrlcpy(rt->number, digits, sizeof(rt->number));
	xstrlcpy(rt->user, u != NULL ? u->number : "", sizeof(rt->user));
}

/* Forget the extra headers of earlier site forks. */
static void
call_site_hdrs_clear(struct call *c)
{
	size_t	 i;

	for (i = 0; i < c->nxhdrs; i++) {
		free(c->xhdrs[i].name);
		free(c->xhdrs[i].value);
	}
	free(c->xhdrs);
	c->xhdrs = NULL;
	c->nxhdrs = 0;
}

/* Free what call_site.c hung on a call. */
void
call_site_free(struct call *c)
{
	call_site_hdrs_clear(c);
	free(c->from_site);
	users_free_user(c->as_user);
	c->from_site = NULL;
	c->as_user = NULL;
}

/* Add one extra header (skipped when the value is empty). */
static void
call_site_hdr_add(struct call *c, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	c->xhdrs = xreallocarray(c->xhdrs, c->nxhdrs + 1, sizeof(*c->xhdrs));
	c->xhdrs[c->nxhdrs].name = xstrdup(name);
	c->xhdrs[c->nxhdrs].value = xstrdup(value);
	c->nxhdrs++;
}

/* Every header a site fork's INVITE carries beyond the usual ones. */
void
call_site_headers(const struct call_leg *f, struct sip_msg *m)
{
	const struct call	*c = f->call;
	char			 buf[16];
	size_t			 i;

	sip_msg_add_header(m, "X-Roam-Site", call_site_me());
	snprintf(buf, sizeof(buf), "%d", c->hops + 1);
	sip_msg_add_header(m, "X-Roam-Hops", buf);
	for (i = 0; i < c->nxhdrs; i++)
		sip_msg_add_header(m, c->xhdrs[i].name, c->xhdrs[i].value);
}

/*
 * Can the call cross one more site?  Else 482 Loop Detected: directories
 * that disagree would bounce it for ever.
 */
static int
call_site_hop_ok(struct call *c, const char *site)
{
	if (c->hops + 1 <= CALL_SITE_MAX_HOPS)
		return (1);
	log_warnx("call site loop call=%s site=%s hops=%d", c->callid, site,
	    c->hops);
	call_reject(c, ANS_LOOP_DETECTED);
	return (0);
}

/* One fork towards number at a peer's SIP address. */
static void
call_site_fork(struct call *c, const struct peer_cfg *p, const char *number)
{
	struct call_leg	*f;
	struct sip_peer	 peer;
	char		*ruri, *to;

	ruri = call_target_uri(&p->sip, number, &peer);
	xasprintf(&to, "<%s>", ruri);
	call_set_ring_user(c, NULL);
	f = call_fork_add(c, ruri, &peer, to, NULL);
	free(ruri);
	free(to);
	if (f == NULL) {
		call_reject(c, ANS_SERVER_ERROR);
		return;
	}
	f->site = xstrdup(p->name);
	call_send_forks(c);
}

/* R3: a call for a user at another site goes there (our B2BUA leg). */
void
call_site_ring(struct call *c, const char *site, const char *number)
{
	const struct peer_cfg	*p = call_site_peer(site);

	if (!call_site_reachable(p)) {
		call_reject(c, ANS_SITE_UNREACHABLE);
		return;
	}
	if (!call_site_hop_ok(c, site))
		return;
	free(c->callee_user);
	c->callee_user = xstrdup(number);
	call_site_hdrs_clear(c);
	log_info("call to site call=%s from=%s to=%s site=%s hops=%d",
	    c->callid, c->caller_number != NULL ? c->caller_number : "-",
	    number, site, c->hops + 1);
	call_site_fork(c, p, number);
}

/* Header-safe text: '%', ';', ',' and control characters %-escaped. */
static void
call_site_escape(char *out, size_t len, const char *in)
{
	size_t	 o = 0;

	for (; in != NULL && *in != '\0' && o + 4 < len; in++) {
		if (*in == '%' || *in == ';' || *in == ',' ||
		    (unsigned char)*in < 0x20 || *in == 0x7f)
			o += snprintf(out + o, len - o, "%%%02X",
			    (unsigned char)*in);
		else
			out[o++] = *in;
	}
	out[o] = '\0';
}

/* "<code>;<feature>;<number>;<trunk>[;<site>]", each field escaped. */
static void
call_site_code_text(char *out, size_t len, const struct shortcode *sc)
{
	char	 f[5][256];

	call_site_escape(f[0], sizeof(f[0]), sc->code);
	call_site_escape(f[1], sizeof(f[1]), config_feature_name(sc->feature));
	call_site_escape(f[2], sizeof(f[2]), sc->number);
	call_site_escape(f[3], sizeof(f[3]), sc->trunk);
	call_site_escape(f[4], sizeof(f[4]), sc->site);
	snprintf(out, len, "%s;%s;%s;%s%s%s", f[0], f[1], f[2], f[3],
	    f[4][0] != '\0' ? ";" : "", f[4]);
}

/* B1: what travels with a break out: the user and their rights' names. */
static void
call_site_breakout_hdrs(struct call *c, const struct user *u)
{
	char	 buf[1400];
	size_t	 i;

	call_site_hdrs_clear(c);
	call_site_hdr_add(c, "X-Roam-Breakout", "1");
	if (u == NULL)
		return;
	call_site_escape(buf, sizeof(buf), u->number);
	call_site_hdr_add(c, "X-Roam-User", buf);
	call_site_escape(buf, sizeof(buf), u->user_rights);
	call_site_hdr_add(c, "X-Roam-Rights", buf);
	call_site_escape(buf, sizeof(buf), u->out_of_hours_user_rights);
	call_site_hdr_add(c, "X-Roam-OOH-Rights", buf);
	call_site_escape(buf, sizeof(buf), u->working_hours_time_profile);
	call_site_hdr_add(c, "X-Roam-Time-Profile", buf);
	for (i = 0; i < u->short_codes.n; i++) {
		if (i == CALL_SITE_MAX_CODES) {
			log_warnx("breakout short codes cut call=%s user=%s "
			    "count=%zu", c->callid, u->number,
			    u->short_codes.n);
			break;
		}
		call_site_code_text(buf, sizeof(buf), &u->short_codes.v[i]);
		call_site_hdr_add(c, "X-Roam-Short-Code", buf);
	}
}

/* B1: send the digits to the other site with the user's record. */
void
call_site_breakout(struct call *c, const struct call_route *rt)
{
	const struct peer_cfg	*p = call_site_peer(rt->site);
	const struct user	*u = NULL;

	if (!call_site_reachable(p)) {
		call_reject(c, ANS_SITE_UNREACHABLE);
		return;
	}
	if (!call_site_hop_ok(c, rt->site))
		return;
	if (rt->user[0] != '\0') {
		if (c->as_user != NULL &&
		    strcmp(c->as_user->number, rt->user) == 0)
			u = c->as_user;
		else
			u = call_user(rt->user);
	}
	call_site_breakout_hdrs(c, u);
	log_info("breakout call=%s user=%s site=%s digits=%s hops=%d",
	    c->callid, u != NULL ? u->number : "-", rt->site, rt->number,
	    c->hops + 1);
	call_site_fork(c, p, rt->number);
}

/* A copy of a header's text fit for a name (control chars dropped). */
static char *
call_site_hdr_dup(const struct sip_msg *req, const char *name)
{
	const char	*v = sip_msg_header(req, name);
	char		*out, *p;

	if (v == NULL || *v == '\0')
		return (NULL);
	p = out = xstrdup(v);
	sip_unescape(out);
	for (v = out; *v != '\0'; v++)
		if ((unsigned char)*v >= 0x20 && *v != 0x7f)
			*p++ = *v;
	*p = '\0';
	if (*out == '\0') {
		free(out);
		return (NULL);
	}
	return (out);
}

/* Next ';' field of s, unescaped (NULL when empty); advances *s. */
static char *
call_site_field(char **s)
{
	char	*f = *s, *semi;

	if (f == NULL)
		return (NULL);
	if ((semi = strchr(f, ';')) != NULL) {
		*semi = '\0';
		*s = semi + 1;
	} else
		*s = NULL;
	sip_unescape(f);
	return (*f != '\0' ? xstrdup(f) : NULL);
}

/* Parse one X-Roam-Short-Code value into sc; -1 when unusable. */
static int
call_site_code_parse(const char *value, struct shortcode *sc)
{
	char		*copy, *s, *feature;
	const char	*cause;
	int		 fe;

	memset(sc, 0, sizeof(*sc));
	s = copy = xstrdup(value);
	sc->code = call_site_field(&s);
	feature = call_site_field(&s);
	sc->number = call_site_field(&s);
	sc->trunk = call_site_field(&s);
	sc->site = call_site_field(&s);
	free(copy);
	fe = feature != NULL ? config_feature_lookup(feature) : -1;
	free(feature);
	if (sc->code == NULL || fe == -1 ||
	    dialplan_pattern_valid(sc->code, &cause) == -1) {
		free(sc->code);
		free(sc->number);
		free(sc->trunk);
		free(sc->site);
		return (-1);
	}
	sc->feature = fe;
	return (0);
}

/* Does a header line start with "name:" (any case, blanks before ':')? */
static const char *
call_site_line_value(const char *line, const char *name)
{
	size_t	 n = strlen(name);

	if (strncasecmp(line, name, n) != 0)
		return (NULL);
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != ':')
		return (NULL);
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	return (line);
}

/*
 * The user short codes a break out carries.  sip_msg.h gives the first
 * value of a header only, so the repeated X-Roam-Short-Code lines are
 * read from the message text.
 */
static void
call_site_codes_read(const struct sip_msg *req, struct shortcode_list *l)
{
	struct shortcode	 sc;
	const char		*v;
	char			*text, *line, *eol;
	size_t			 len;

	if ((text = sip_msg_serialize(req, &len)) == NULL)
		return;
	line = strstr(text, "\r\n");
	for (; line != NULL && l->n < CALL_SITE_MAX_CODES; line = eol) {
		line += 2;
		if ((eol = strstr(line, "\r\n")) == NULL || eol == line)
			break;		/* end of the headers */
		*eol = '\0';
		v = call_site_line_value(line, "X-Roam-Short-Code");
		if (v != NULL && call_site_code_parse(v, &sc) == 0) {
			l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
			l->v[l->n++] = sc;
		}
		*eol = '\r';
	}
	free(text);
}

/* Is s a user number (digits only, of a sane length)? */
static int
call_site_number_ok(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return (0);
	for (n = 0; s[n] != '\0'; n++)
		if (!isdigit((unsigned char)s[n]))
			return (0);
	return (n > 0 && n < 32);
}

/*
 * The record a break out carries, as a user of this site would look: the
 * names are resolved in our config when the call is routed (R5).  NULL
 * when no user travels (a NoUser phone's break out).
 */
static struct user *
call_site_breakout_user(const struct sip_msg *req)
{
	struct user	*u;
	char		*number;

	if ((number = call_site_hdr_dup(req, "X-Roam-User")) == NULL)
		return (NULL);
	if (!call_site_number_ok(number)) {
		free(number);
		return (NULL);
	}
	u = xcalloc(1, sizeof(*u));
	u->number = number;
	if (sip_msg_from_display(req) != NULL)
		u->name = xstrdup(sip_msg_from_display(req));
	u->user_rights = call_site_hdr_dup(req, "X-Roam-Rights");
	u->out_of_hours_user_rights = call_site_hdr_dup(req,
	    "X-Roam-OOH-Rights");
	u->working_hours_time_profile = call_site_hdr_dup(req,
	    "X-Roam-Time-Profile");
	call_site_codes_read(req, &u->short_codes);
	return (u);
}

/* X-Roam-Hops of a peer's INVITE; absent or bad counts as 1. */
static int
call_site_hops(const struct sip_msg *req)
{
	const char	*v = sip_msg_header(req, "X-Roam-Hops");
	char		*end;
	long		 n;

	if (v == NULL)
		return (1);
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < 1)
		return (1);
	return (n > 99 ? 99 : (int)n);
}

/* A received break out: route the digits as if the user dialled here. */
static void
call_site_breakout_in(struct call *c, const struct peer_cfg *p,
    const struct sip_msg *req)
{
	struct call_route	 rt;

	c->as_user = call_site_breakout_user(req);
	if (c->as_user != NULL)
		c->caller_user = xstrdup(c->as_user->number);
	log_info("breakout in call=%s user=%s site=%s digits=%s hops=%d",
	    c->callid, c->as_user != NULL ? c->as_user->number : "-",
	    p->name, c->dialled, c->hops);
	call_route(c, c->as_user, c->dialled, &rt);
	call_route_apply(c, &rt);
}

/*
 * A trusted peer's new INVITE (call_site_from): a call for a user (ring
 * them here, or on to where the directory says they are, hop-limited),
 * or a break out (B1).  The caller's identity is the one the peer sent.
 */
void
call_from_site(struct call *c, const struct peer_cfg *p,
    const struct sip_msg *req)
{
	const char		*from = sip_msg_from_user(req);
	const char		*name = sip_msg_from_display(req);
	struct call_route	 rt;

	c->from_site = xstrdup(p->name);
	c->hops = call_site_hops(req);
	c->caller_ext = xstrdup(p->name);
	c->caller_number = xstrdup(from != NULL ? from : "anonymous");
	if (name != NULL && *name != '\0')
		c->caller_name = xstrdup(name);
	if (c->hops > CALL_SITE_MAX_HOPS) {
		log_warnx("call site loop call=%s site=%s hops=%d",
		    c->callid, p->name, c->hops);
		call_reject(c, ANS_LOOP_DETECTED);
		return;
	}
	if (sip_msg_has_header(req, "X-Roam-Breakout")) {
		call_site_breakout_in(c, p, req);
		return;
	}
	log_info("call from site call=%s site=%s from=%s to=%s hops=%d",
	    c->callid, p->name, c->caller_number, c->dialled, c->hops);
	memset(&rt, 0, sizeof(rt));
	if (call_site_user_route(c->dialled, &rt))
		call_route_apply(c, &rt);
	else
		call_reject(c, ANS_NUMBER_UNOBTAINABLE);
}
