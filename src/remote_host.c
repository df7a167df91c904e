/*
 * Remote hot desking, the host's side (DESIGN.md R2, R4-R8, F1, F2, F4).
 * A visitor is a user homed elsewhere logged in at one of our phones,
 * held at the generation home granted.  Home decides everything about
 * them; the host asks (LOGIN_REQ), reports (LOCATION, SETTINGS, LOGOUT
 * through the persistent queue) and obeys (RELEASE, reconcile).  Nothing
 * here is persisted: a restarted host holds no visitors (F2) and home
 * takes them back when the link returns (F3).
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "directory.h"
#include "events.h"
#include "hmap.h"
#include "hotdesk.h"
#include "log.h"
#include "peer_frame.h"
#include "remote.h"
#include "roamd.h"
#include "settings.h"
#include "users.h"
#include "xmalloc.h"

/* A visitor held here. */
struct rv {
	char		*number;
	char		*home;
	char		*ext;
	uint64_t	 gen;		/* the login home granted */
	struct event	*orphan;	/* F1: home away since */
	int		 seen;		/* in home's DIR_SYNC under way */
	int		 leaving;	/* logged out, to be forgotten */
};

/* A login waiting for home's answer. */
struct rl {
	TAILQ_ENTRY(rl)	 entry;
	char		*home;
	uint32_t	 seq;
	char		*number;
	char		*ext;
	char		*callid;
	void		(*done)(enum sip_answer, void *);
	void		*arg;
	struct event	*timer;
};

static struct hmap	*rv_visitors;	/* number -> struct rv */
static TAILQ_HEAD(, rl)	 rl_pending = TAILQ_HEAD_INITIALIZER(rl_pending);
static const char	*rv_self;	/* hotdesk events we cause ourselves */
static int		 rv_reap_armed;

static void	rv_orphan_cb(evutil_socket_t, short, void *);

/* Free a visitor's state (not the users.c record). */
static void
rv_free(void *p)
{
	struct rv	*v = p;

	if (v->orphan != NULL)
		event_free(v->orphan);
	free(v->number);
	free(v->home);
	free(v->ext);
	free(v);
}

/* Replace an owned string. */
static void
rv_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL && *src != '\0' ? xstrdup(src) : NULL;
}

/* The visitor number, or NULL. */
static struct rv *
rv_find(const char *number)
{
	if (rv_visitors == NULL || number == NULL)
		return (NULL);
	return (hmap_get(rv_visitors, number));
}

/* The generation a visitor is held at. */
uint64_t
remote_host_held(const char *user)
{
	struct rv	*v = rv_find(user);

	return (v != NULL && !v->leaving ? v->gen : 0);
}

/* Free a pending login. */
static void
rl_free(struct rl *l)
{
	if (l->timer != NULL)
		event_free(l->timer);
	free(l->home);
	free(l->number);
	free(l->ext);
	free(l->callid);
	free(l);
}

/* Start. */
void
remote_host_init(void)
{
	rv_visitors = hmap_new();
}

/* Stop: visitors are not kept (F2); pending logins just end. */
void
remote_host_shutdown(void)
{
	struct rl	*l;

	while ((l = TAILQ_FIRST(&rl_pending)) != NULL) {
		TAILQ_REMOVE(&rl_pending, l, entry);
		rl_free(l);
	}
	hmap_free(rv_visitors, rv_free);
	rv_visitors = NULL;
	rv_reap_armed = 0;
}

/* Forget a visitor everywhere (users, hotdesk, settings). */
static void
rv_forget(struct rv *v)
{
	char	*number = xstrdup(v->number);

	hmap_del(rv_visitors, number);
	rv_free(v);
	hotdesk_forget(number);
	settings_forget(number);
	user_visitor_del(number);
	free(number);
}

/* Forget visitors who left (outside the hotdesk call that told us). */
static void
rv_reap_one(const char *key, void *val, void *arg)
{
	struct rv	*v = val;

	if (v->leaving)
		rv_forget(v);
}

/* The deferred reap. */
static void
rv_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	rv_reap_armed = 0;
	if (rv_visitors != NULL)
		hmap_foreach(rv_visitors, rv_reap_one, NULL);
}

/* Reap soon: hotdesk is still using the user when its observer runs. */
static void
rv_reap_later(void)
{
	struct timeval	 tv = { 0, 0 };

	if (rv_reap_armed || env->base == NULL)
		return;
	if (event_base_once(env->base, -1, EV_TIMEOUT, rv_reap_cb, NULL,
	    &tv) == 0)
		rv_reap_armed = 1;
}

/* Queue a LOGOUT for home: the user returns home (R9). */
static void
rv_send_logout(const char *home, const char *user, uint64_t gen)
{
	struct peer_out	 o;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOGOUT, 0);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u64(&o, PA_GENERATION, gen);
	peer_frame_put_u64(&o, PA_TIME, (uint64_t)time(NULL));
	remote_queue(home, &o, user, gen);
	peer_frame_free(&o);
}

/* A LOCATION for home: "this visitor of yours is here" (F3). */
static void
rv_confirm_one(const char *key, void *val, void *arg)
{
	struct rv	*v = val;
	const char	*site = arg, *cause;
	struct user	*u;
	struct peer_out	 o;

	if (v->leaving || strcmp(v->home, site) != 0)
		return;
	u = user_find(v->number);
	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOCATION, 0);
	peer_frame_put_str(&o, PA_USER, v->number);
	peer_frame_put_str(&o, PA_NAME, u != NULL ? u->name : NULL);
	peer_frame_put_str(&o, PA_HOME, v->home);
	peer_frame_put_str(&o, PA_SITE, remote_us());
	if (v->ext != NULL)
		peer_frame_put_str(&o, PA_EXTENSION, v->ext);
	peer_frame_put_u64(&o, PA_GENERATION, v->gen);
	if (peer_frame_end(&o, &cause) == 0)
		remote_send(site, &o);
	peer_frame_free(&o);
	log_info("reconcile report user=%s home=%s ext=%s gen=%llu",
	    v->number, v->home, v->ext != NULL ? v->ext : "-",
	    (unsigned long long)v->gen);
}

/* Link up: report the visitors of site before our DIR_SYNC. */
void
remote_host_confirm(const char *site)
{
	if (rv_visitors != NULL)
		hmap_foreach(rv_visitors, rv_confirm_one, (void *)site);
}

/* Link up: home is back before orphan_logout (F1); sync starts. */
static void
rv_link_up_one(const char *key, void *val, void *arg)
{
	struct rv	*v = val;

	if (strcmp(v->home, (const char *)arg) != 0)
		return;
	v->seen = 0;
	if (v->orphan != NULL && evtimer_pending(v->orphan, NULL)) {
		evtimer_del(v->orphan);
		log_info("orphan timer cancelled user=%s home=%s", v->number,
		    v->home);
	}
}

/* A link came up. */
void
remote_host_link_up(const char *site)
{
	if (rv_visitors != NULL)
		hmap_foreach(rv_visitors, rv_link_up_one, (void *)site);
}

/* F1: home went away: the visitor stays, for orphan_logout at most. */
static void
rv_link_down_one(const char *key, void *val, void *arg)
{
	struct rv	*v = val;
	struct timeval	 tv = { env->conf->orphan_logout, 0 };

	if (v->leaving || strcmp(v->home, (const char *)arg) != 0)
		return;
	if (env->conf->orphan_logout <= 0 || env->base == NULL) {
		log_info("orphan timer none user=%s home=%s", v->number,
		    v->home);
		return;
	}
	if (v->orphan == NULL)
		v->orphan = evtimer_new(env->base, rv_orphan_cb, v);
	if (v->orphan != NULL)
		evtimer_add(v->orphan, &tv);
	log_info("orphan timer started user=%s home=%s after=%ds",
	    v->number, v->home, env->conf->orphan_logout);
}

/* A link went down: pending logins fail now (F4), orphan timers start. */
void
remote_host_link_down(const char *site)
{
	struct rl	*l, *next;

	for (l = TAILQ_FIRST(&rl_pending); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (strcmp(l->home, site) != 0)
			continue;
		TAILQ_REMOVE(&rl_pending, l, entry);
		log_info("remote login failed user=%s home=%s ext=%s call=%s "
		    "reason=home-unreachable", l->number, l->home, l->ext,
		    l->callid);
		events_add_peer(EVK_LOGIN_FAILED, l->number, l->ext, NULL,
		    l->home, "home_unreachable", "call=%s", l->callid);
		l->done(ANS_HOME_UNREACHABLE, l->arg);
		rl_free(l);
	}
	if (rv_visitors != NULL)
		hmap_foreach(rv_visitors, rv_link_down_one, (void *)site);
}

/* orphan_logout ran out (F1): log out here, LOGOUT waits for home. */
static void
rv_orphan_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rv	*v = arg;
	const char	*cause;
	int		 rc;

	log_info("orphan logout user=%s home=%s ext=%s gen=%llu", v->number,
	    v->home, v->ext != NULL ? v->ext : "-",
	    (unsigned long long)v->gen);
	events_set_logout_reason(v->number, "orphan");
	rc = hotdesk_logout(v->number, HDR_ADMIN, &cause);
	events_set_logout_reason(NULL, NULL);
	if (rc == -1) {
		/* Not at a phone any more: still tell home. */
		rv_send_logout(v->home, v->number, v->gen);
		v->leaving = 1;
		rv_reap_later();
	}
}

/*
 * Drop a visitor because home says so (RELEASE, reconcile): the phone
 * falls back per H3; home needs no LOGOUT, it moved the user itself.
 */
static void
rv_drop(struct rv *v, const char *why)
{
	const struct dir_entry	*e;
	const char		*cause;

	log_info("remote drop user=%s home=%s ext=%s gen=%llu reason=%s",
	    v->number, v->home, v->ext != NULL ? v->ext : "-",
	    (unsigned long long)v->gen, why);
	rv_self = v->number;
	events_set_logout_reason(v->number, strcmp(why, "release") == 0 ?
	    "release" : "reconcile");
	hotdesk_logout(v->number, HDR_ADMIN, &cause);
	events_set_logout_reason(NULL, NULL);
	rv_self = NULL;
	e = directory_lookup(v->number);
	if (e != NULL && e->site != NULL && strcmp(e->site, remote_us()) == 0)
		directory_set_location(v->number, NULL, NULL, v->gen);
	rv_forget(v);
}

/* hotdesk observer for visitors. */
void
remote_host_hotdesk(const char *user, const char *ext, int why)
{
	struct rv	*v;

	if (rv_self != NULL && strcmp(user, rv_self) == 0)
		return;
	if ((v = rv_find(user)) == NULL || v->leaving)
		return;
	if (ext != NULL) {
		/* Moved to another phone here (roamctl login). */
		rv_str(&v->ext, ext);
		directory_set_location(user, remote_us(), ext, v->gen);
		remote_broadcast_location(user);
		return;
	}
	if (why == HDR_MOVED)
		return;
	/* R9: *36, replaced at the phone, orphan timeout: home decides. */
	log_info("remote logout user=%s home=%s ext=%s gen=%llu reason=%s",
	    user, v->home, v->ext != NULL ? v->ext : "-",
	    (unsigned long long)v->gen,
	    hotdesk_reason_name((enum hotdesk_reason)why));
	rv_send_logout(v->home, user, v->gen);
	directory_set_location(user, NULL, NULL, v->gen);
	v->leaving = 1;
	rv_reap_later();
}

/* R7: a visitor changed a setting here: home stores it. */
void
remote_host_settings_changed(const char *user, const struct user_settings *s)
{
	struct rv	*v;
	struct peer_out	 o;

	if ((v = rv_find(user)) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_SETTINGS, 0);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u64(&o, PA_GENERATION, v->gen);
	remote_settings_put(&o, s);
	log_info("settings changed user=%s home=%s gen=%llu dnd=%d fwd=%s",
	    user, v->home, (unsigned long long)v->gen, s->dnd,
	    s->fwd_number != NULL ? s->fwd_number : "-");
	remote_queue(v->home, &o, user, v->gen);
	peer_frame_free(&o);
}

/* Make sure the directory has the visitor (home's sync may be late). */
static void
rv_dir_entry(const struct user *u, const char *home, const char *ext,
    uint64_t gen)
{
	struct dir_update	 du;

	if (directory_lookup(u->number) == NULL) {
		memset(&du, 0, sizeof(du));
		xstrlcpy(du.number, u->number, sizeof(du.number));
		xstrlcpy(du.name, u->name != NULL ? u->name : "",
		    sizeof(du.name));
		xstrlcpy(du.home, home, sizeof(du.home));
		directory_apply(&du);
	}
	directory_set_location(u->number, remote_us(), ext, gen);
}

/*
 * Install home's record: the visitor logs in at ext (the phone's previous
 * user falls back per H3) and every site hears where they are.
 */
static int
rv_install(const char *home, struct user *u, uint64_t gen, const char *ext)
{
	struct rv	*v;
	const char	*cause;
	char		*number = xstrdup(u->number);

	if ((v = rv_find(number)) == NULL) {
		v = xcalloc(1, sizeof(*v));
		v->number = xstrdup(number);
		hmap_put(rv_visitors, number, v);
	}
	v->leaving = 0;
	v->gen = gen;
	rv_str(&v->home, home);
	rv_str(&v->ext, ext);
	if (v->orphan != NULL)
		evtimer_del(v->orphan);
	rv_dir_entry(u, home, ext, gen);
	user_visitor_add(u, home);	/* u is users.c's now */
	settings_forget(number);
	rv_self = number;
	if (hotdesk_login(number, ext, HDR_USER, &cause) == -1) {
		rv_self = NULL;
		log_warnx("remote login failed user=%s ext=%s: %s", number,
		    ext, cause);
		rv_send_logout(home, number, gen);
		rv_forget(v);
		free(number);
		return (-1);
	}
	rv_self = NULL;
	remote_broadcast_location(number);
	free(number);
	return (0);
}

/* R6: may this profile log in at this extension? */
static int
rv_licence_ok(const struct user *u, const char *extnum)
{
	const struct extension	*ext = config_extension(env->conf, extnum);

	if (ext == NULL || !ext->remote_worker)
		return (1);
	return (u->profile == PROFILE_TELEWORKER ||
	    u->profile == PROFILE_POWER_USER);
}

/* The phone's answer for a refusal from home. */
static enum sip_answer
rv_answer_of(int result)
{
	switch (result) {
	case PR_OK:
		return (ANS_OK);
	case PR_BAD_CODE:
		return (ANS_LOGIN_CODE_INCORRECT);
	case PR_LOCKED:
		return (ANS_LOCKED_OUT);
	case PR_UNKNOWN_USER:
	case PR_NOT_HOME:
		return (ANS_NUMBER_UNOBTAINABLE);
	case PR_NO_LICENCE:
		return (ANS_LICENCE_REFUSED);
	case PR_BARRED:
		return (ANS_BARRED);
	case PR_UNREACHABLE:
		return (ANS_HOME_UNREACHABLE);
	default:
		return (ANS_FORBIDDEN);
	}
}

/* Home granted l: check the licence (R6) and install the record. */
static enum sip_answer
rv_granted(struct rl *l, const struct peer_msg *m, uint64_t gen)
{
	struct user	*u;
	const char	*cause;

	if ((u = remote_record_get(m, &cause)) == NULL ||
	    strcmp(u->number, l->number) != 0) {
		log_warnx("remote login record unusable user=%s home=%s",
		    l->number, l->home);
		users_free_user(u);
		rv_send_logout(l->home, l->number, gen);
		return (ANS_SERVER_ERROR);
	}
	if (!rv_licence_ok(u, l->ext)) {
		log_info("remote login refused user=%s home=%s ext=%s gen=%llu "
		    "reason=licence profile=%s", l->number, l->home, l->ext,
		    (unsigned long long)gen, config_profile_name(u->profile));
		events_add_peer(EVK_REMOTE_REFUSED, l->number, l->ext, NULL,
		    l->home, "licence", "profile=%s",
		    config_profile_name(u->profile));
		users_free_user(u);
		rv_send_logout(l->home, l->number, gen);
		return (ANS_LICENCE_REFUSED);
	}
	log_info("remote login ok user=%s home=%s ext=%s gen=%llu profile=%s "
	    "call=%s", l->number, l->home, l->ext, (unsigned long long)gen,
	    config_profile_name(u->profile), l->callid);
	events_add_peer(EVK_REMOTE_GRANTED, l->number, l->ext, NULL, l->home,
	    NULL, "gen=%llu call=%s", (unsigned long long)gen, l->callid);
	if (rv_install(l->home, u, gen, l->ext) == -1)
		return (ANS_FORBIDDEN);
	return (ANS_OK);
}

/* LOGIN_ANS from home. */
static void
rv_login_ans(const char *site, const struct peer_msg *m)
{
	struct rl	*l;
	uint32_t	 result = PR_FAILED;
	uint64_t	 gen = 0;
	enum sip_answer	 a;
	char		 user[32];

	peer_msg_u32(m, PA_RESULT, &result);
	peer_msg_u64(m, PA_GENERATION, &gen);
	TAILQ_FOREACH(l, &rl_pending, entry)
		if (l->seq == m->seq && strcmp(l->home, site) == 0)
			break;
	if (l == NULL) {
		/* The phone was answered already: undo a late grant. */
		if (result == PR_OK && peer_msg_str(m, PA_USER, user,
		    sizeof(user)) == 0 && remote_host_held(user) != gen) {
			log_info("remote login late user=%s home=%s gen=%llu",
			    user, site, (unsigned long long)gen);
			rv_send_logout(site, user, gen);
		}
		return;
	}
	TAILQ_REMOVE(&rl_pending, l, entry);
	if (result == PR_OK)
		a = rv_granted(l, m, gen);
	else {
		a = rv_answer_of((int)result);
		log_info("remote login refused user=%s home=%s ext=%s call=%s "
		    "result=%s", l->number, l->home, l->ext, l->callid,
		    peer_result_name((int)result));
		events_add_peer(EVK_REMOTE_REFUSED, l->number, l->ext, NULL,
		    l->home, peer_result_name((int)result), "call=%s",
		    l->callid);
	}
	l->done(a, l->arg);
	rl_free(l);
}

/* RELEASE from home: the user logged in elsewhere. */
static void
rv_release(const char *site, const struct peer_msg *m)
{
	struct rv	*v;
	char		 user[32];
	uint64_t	 gen = 0;

	if (peer_msg_str(m, PA_USER, user, sizeof(user)) == -1)
		return;
	peer_msg_u64(m, PA_GENERATION, &gen);
	v = rv_find(user);
	if (v == NULL || v->leaving || strcmp(v->home, site) != 0) {
		remote_answer(site, PT_RELEASE_ACK, m->seq, user, PR_OK);
		return;
	}
	if (gen <= v->gen) {
		log_info("remote release stale user=%s home=%s gen=%llu "
		    "held=%llu", user, site, (unsigned long long)gen,
		    (unsigned long long)v->gen);
		remote_answer(site, PT_RELEASE_ACK, m->seq, user, PR_STALE);
		return;
	}
	rv_drop(v, "release");
	remote_answer(site, PT_RELEASE_ACK, m->seq, user, PR_OK);
}

/* Answers and orders from a visitor's home. */
void
remote_host_message(const char *site, const struct peer_msg *m)
{
	switch (m->type) {
	case PT_LOGIN_ANS:
		rv_login_ans(site, m);
		break;
	case PT_RELEASE:
		rv_release(site, m);
		break;
	}
}

/* Act on the reconcile decision for visitor v given home's view. */
static void
rv_reconcile(struct rv *v, const char *home_site, uint64_t home_gen,
    const char *why)
{
	enum remote_decision	 d;

	d = remote_reconcile(home_site, home_gen, remote_us(), 1, v->gen);
	if (d == RD_STANDS)
		return;
	log_info("reconcile user=%s home=%s gen=%llu home_gen=%llu "
	    "home_site=%s decision=%s", v->number, v->home,
	    (unsigned long long)v->gen, (unsigned long long)home_gen,
	    home_site != NULL ? home_site : "-", remote_decision_name(d));
	events_add_peer(EVK_RECONCILE, v->number, v->ext, NULL, v->home,
	    remote_decision_name(d), "gen=%llu home_gen=%llu",
	    (unsigned long long)v->gen, (unsigned long long)home_gen);
	rv_drop(v, why);
}

/* One entry of home's DIR_SYNC (arg: the site). */
void
remote_host_sync_entry(const struct dir_entry *e, void *arg)
{
	struct rv	*v;

	if ((v = rv_find(e->number)) == NULL || v->leaving ||
	    strcmp(v->home, (const char *)arg) != 0)
		return;
	v->seen = 1;
	rv_reconcile(v, e->site, e->generation, "reconcile");
}

/* Visitors of site its DIR_SYNC no longer lists. */
static void
rv_unseen_one(const char *key, void *val, void *arg)
{
	struct rv	*v = val;

	if (v->leaving || v->seen || strcmp(v->home, (const char *)arg) != 0)
		return;
	log_info("reconcile user=%s home=%s gen=%llu decision=drop "
	    "reason=unknown-at-home", v->number, v->home,
	    (unsigned long long)v->gen);
	events_add_peer(EVK_RECONCILE, v->number, v->ext, NULL, v->home,
	    "drop", "unknown-at-home gen=%llu", (unsigned long long)v->gen);
	rv_drop(v, "unknown-at-home");
}

/* The end of site's DIR_SYNC. */
void
remote_host_sync_done(const char *site)
{
	if (rv_visitors == NULL)
		return;
	hmap_foreach(rv_visitors, rv_unseen_one, (void *)site);
}

/* A LOCATION of someone else's user: a visitor of ours moved on? */
void
remote_host_location(const char *site, const struct dir_update *u)
{
	struct rv	*v;

	if ((v = rv_find(u->number)) == NULL || v->leaving ||
	    strcmp(v->home, u->home) != 0)
		return;
	rv_reconcile(v, u->site[0] != '\0' ? u->site : NULL, u->generation,
	    "location");
}

/* Home did not answer in time (F4). */
static void
rl_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rl	*l = arg;

	TAILQ_REMOVE(&rl_pending, l, entry);
	log_info("remote login failed user=%s home=%s ext=%s call=%s "
	    "reason=timeout", l->number, l->home, l->ext, l->callid);
	events_add_peer(EVK_LOGIN_FAILED, l->number, l->ext, NULL, l->home,
	    "home_unreachable", "timeout call=%s", l->callid);
	l->done(ANS_HOME_UNREACHABLE, l->arg);
	rl_free(l);
}

/* Split "USER*CODE" / "CODE" (the phone's base user); -1 if unusable. */
static int
rl_digits(const char *extnum, const char *digits, char *number, size_t nlen,
    const char **code)
{
	const struct extension	*ext;
	const char		*star;

	if ((star = strchr(digits, '*')) != NULL) {
		if ((size_t)(star - digits) >= nlen || star == digits)
			return (-1);
		memcpy(number, digits, star - digits);
		number[star - digits] = '\0';
		*code = star + 1;
		return (0);
	}
	ext = config_extension(env->conf, extnum);
	if (ext == NULL || ext->base_user == NULL)
		return (-1);
	xstrlcpy(number, ext->base_user, nlen);
	*code = digits;
	return (0);
}

/* Send LOGIN_REQ; the sequence to match the answer, or -1. */
static int
rl_send(const char *home, const char *number, const char *code,
    const char *ext, uint32_t *seq)
{
	struct peer_out	 o;
	const char	*cause;
	int		 rc = -1;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOGIN_REQ, 0);
	peer_frame_put_str(&o, PA_USER, number);
	peer_frame_put_str(&o, PA_LOGIN_CODE, code);
	peer_frame_put_str(&o, PA_SITE, remote_us());
	peer_frame_put_str(&o, PA_EXTENSION, ext);
	if (peer_frame_end(&o, &cause) == 0 && remote_send(home, &o) == 0) {
		*seq = peer_frame_seq(&o);
		rc = 0;
	}
	peer_frame_free(&o);
	return (rc);
}

/* The home of a user homed elsewhere, or NULL (ours or unknown). */
static const char *
rl_home_of(const char *number)
{
	const struct dir_entry	*e;

	if (user_is_visitor(number))
		return (user_visitor_home(number));
	if (user_find(number) != NULL)
		return (NULL);
	if ((e = directory_lookup(number)) == NULL || e->local ||
	    e->home == NULL || strcmp(e->home, remote_us()) == 0)
		return (NULL);
	return (e->home);
}

/* extn_login for a user homed elsewhere (R2, F4); see remote.h. */
int
remote_login_start(const char *ext, const char *digits, const char *callid,
    void (*done)(enum sip_answer, void *), void *arg)
{
	struct timeval	 tv = { REMOTE_LOGIN_TIMEOUT, 0 };
	struct rl	*l;
	const char	*home, *code;
	char		 number[32];
	uint32_t	 seq;

	if (rv_visitors == NULL || digits == NULL ||
	    rl_digits(ext, digits, number, sizeof(number), &code) == -1 ||
	    (home = rl_home_of(number)) == NULL)
		return (0);
	log_info("remote login request user=%s home=%s ext=%s call=%s",
	    number, home, ext, callid != NULL ? callid : "-");
	if (*code == '\0' || strlen(code) > 31 || strlen(ext) > 31) {
		done(ANS_LOGIN_CODE_INCORRECT, arg);
		return (2);
	}
	if (!remote_link_up(home) ||
	    rl_send(home, number, code, ext, &seq) == -1) {
		log_info("remote login failed user=%s home=%s ext=%s "
		    "reason=home-unreachable", number, home, ext);
		events_add_peer(EVK_LOGIN_FAILED, number, ext, NULL, home,
		    "home_unreachable", "link down");
		done(ANS_HOME_UNREACHABLE, arg);
		return (2);
	}
	l = xcalloc(1, sizeof(*l));
	l->home = xstrdup(home);
	l->seq = seq;
	l->number = xstrdup(number);
	l->ext = xstrdup(ext);
	l->callid = xstrdup(callid != NULL ? callid : "-");
	l->done = done;
	l->arg = arg;
	if (env->base != NULL &&
	    (l->timer = evtimer_new(env->base, rl_timeout_cb, l)) != NULL)
		evtimer_add(l->timer, &tv);
	TAILQ_INSERT_TAIL(&rl_pending, l, entry);
	return (1);
}

/* The caller went away (CANCEL): never call its done. */
void
remote_login_cancel(void *arg)
{
	struct rl	*l, *next;

	for (l = TAILQ_FIRST(&rl_pending); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->arg != arg)
			continue;
		TAILQ_REMOVE(&rl_pending, l, entry);
		log_info("remote login cancelled user=%s home=%s call=%s",
		    l->number, l->home, l->callid);
		rl_free(l);
	}
}
