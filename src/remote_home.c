/*
 * Remote hot desking, home's side (DESIGN.md R2, R7, R9, F3): home is the
 * authority on its users.  Per user it keeps a generation, bumped at every
 * login and every logout it learns of (so each location has its own
 * number and "newer" is always well defined), and the host the user is on
 * when away.  Both are persisted: a home restart alone does not pull a
 * remote user back (F3).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "db_peerq.h"
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

/* One of our users as home sees them. */
struct rh_user {
	char		*number;
	uint64_t	 gen;
	char		*site;		/* remote host, NULL: not away */
	char		*ext;		/* extension there */
	uint64_t	 settings_gen;	/* of the last settings change */
	int		 expect;	/* link up: waiting for the host */
	int		 confirmed;	/* the host said it holds the user */
	uint64_t	 confirmed_gen;
};

static struct hmap	*rh_users;	/* number -> struct rh_user */
static const char	*rh_moving;	/* hotdesk events we cause ourselves */
static int		 rh_applying;	/* settings from a host */

/* Free one. */
static void
rh_free(void *p)
{
	struct rh_user	*ru = p;

	free(ru->number);
	free(ru->site);
	free(ru->ext);
	free(ru);
}

/* Replace an owned string. */
static void
rh_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL && *src != '\0' ? xstrdup(src) : NULL;
}

/* The state of one of our configured users (never a visitor). */
static struct rh_user *
rh_get(const char *number)
{
	struct rh_user	*ru;

	if (rh_users == NULL || number == NULL)
		return (NULL);
	if ((ru = hmap_get(rh_users, number)) != NULL)
		return (ru);
	if (user_find(number) == NULL || user_is_visitor(number))
		return (NULL);
	ru = xcalloc(1, sizeof(*ru));
	ru->number = xstrdup(number);
	hmap_put(rh_users, number, ru);
	return (ru);
}

/* Persist ru. */
static void
rh_save(const struct rh_user *ru)
{
	struct db_rloc	 r = { ru->number, ru->gen, ru->site, ru->ext,
	    ru->settings_gen };

	if (db_rloc_put(&r) == -1)
		log_warnx("remote location not stored user=%s", ru->number);
}

/* ru is where hotdesk or ru->site says: directory and every site. */
static void
rh_publish(const struct rh_user *ru)
{
	const char	*ext = hotdesk_user_ext(ru->number);

	if (ru->site != NULL)
		directory_set_location(ru->number, ru->site, ru->ext, ru->gen);
	else
		directory_set_location(ru->number,
		    ext != NULL ? remote_us() : NULL, ext, ru->gen);
	remote_broadcast_location(ru->number);
}

/* Tell host to drop the user: home moved them at generation gen. */
static void
rh_release(const char *host, const char *user, uint64_t gen)
{
	struct peer_out	 o;
	const char	*cause;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_RELEASE, 0);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u64(&o, PA_GENERATION, gen);
	if (peer_frame_end(&o, &cause) == 0 && remote_send(host, &o) == 0)
		log_info("remote release user=%s host=%s gen=%llu", user, host,
		    (unsigned long long)gen);
	else
		log_info("remote release later user=%s host=%s gen=%llu "
		    "reason=link-down", user, host, (unsigned long long)gen);
	peer_frame_free(&o);
}

/* Load one persisted record of a user still in the config. */
static void
rh_restore(const struct db_rloc *r, void *arg)
{
	struct rh_user	*ru;

	if ((ru = rh_get(r->user)) == NULL)
		return;
	ru->gen = r->generation;
	ru->settings_gen = r->settings_gen;
	if (r->site != NULL && hotdesk_user_ext(r->user) != NULL) {
		/* Logged in here too: the local login is the later one. */
		log_warnx("remote location dropped user=%s host=%s: logged "
		    "in here", r->user, r->site);
		return;
	}
	rh_str(&ru->site, r->site);
	rh_str(&ru->ext, r->ext);
}

/* Put every restored record into the directory. */
static void
rh_restore_dir(const char *key, void *val, void *arg)
{
	struct rh_user	*ru = val;
	const char	*ext = hotdesk_user_ext(ru->number);

	if (ru->site != NULL)
		directory_set_location(ru->number, ru->site, ru->ext, ru->gen);
	else
		directory_set_location(ru->number,
		    ext != NULL ? remote_us() : NULL, ext, ru->gen);
}

/* Start: the persisted generations and remote locations. */
void
remote_home_init(void)
{
	rh_users = hmap_new();
	db_rloc_foreach(rh_restore, NULL);
	hmap_foreach(rh_users, rh_restore_dir, NULL);
}

/* Stop. */
void
remote_home_shutdown(void)
{
	hmap_free(rh_users, rh_free);
	rh_users = NULL;
}

/* Forget users the new config dropped. */
static void
rh_reload_one(const char *key, void *val, void *arg)
{
	struct rh_user	*ru = val;

	if (config_user(env->conf, ru->number) != NULL)
		return;
	db_rloc_del(ru->number);
	hmap_del(rh_users, key);
	rh_free(ru);
}

/* The config changed. */
void
remote_home_reload(void)
{
	hmap_foreach(rh_users, rh_reload_one, NULL);
}

/* Is our user away on a host (not free for automatic logins here)? */
int
remote_home_away(const char *user)
{
	struct rh_user	*ru;

	if (rh_users == NULL || (ru = hmap_get(rh_users, user)) == NULL)
		return (0);
	return (ru->site != NULL);
}

/* The generation of one of our users. */
uint64_t
remote_home_gen(const char *user)
{
	struct rh_user	*ru;

	if (rh_users == NULL || (ru = hmap_get(rh_users, user)) == NULL)
		return (0);
	return (ru->gen);
}

/*
 * hotdesk observer for our users: every local login and logout is a new
 * generation, told to every site.  A local login of a user who was away
 * also releases them from their host (H1: logged out of any other phone,
 * wherever it is in the network).
 */
void
remote_home_hotdesk(const char *user, const char *ext, int why)
{
	struct rh_user	*ru;

	if (rh_moving != NULL && strcmp(user, rh_moving) == 0)
		return;
	if ((ru = rh_get(user)) == NULL)
		return;
	if (ext == NULL && why == HDR_MOVED)
		return;			/* the login that follows counts */
	ru->gen++;
	if (ext != NULL && ru->site != NULL) {
		rh_release(ru->site, user, ru->gen);
		rh_str(&ru->site, NULL);
		rh_str(&ru->ext, NULL);
	}
	rh_save(ru);
	rh_publish(ru);
}

/* settings observer for our users: remember the generation. */
void
remote_home_settings_changed(const char *user)
{
	struct rh_user	*ru;

	if (rh_applying || (ru = rh_get(user)) == NULL)
		return;
	ru->settings_gen = ru->gen;
	rh_save(ru);
}

/*
 * H3/R9: the user comes home: logged in at their base extension if it
 * is free and they are not force_login, else logged out.  Either way a
 * new generation every site hears of.
 */
static void
rh_return_home(struct rh_user *ru)
{
	const struct user	*u = user_find(ru->number);
	struct extension	*ext;
	const char		*cause;
	size_t			 i;

	rh_str(&ru->site, NULL);
	rh_str(&ru->ext, NULL);
	for (i = 0; u != NULL && !u->force_login &&
	    i < env->conf->nextensions; i++) {
		ext = &env->conf->extensions[i];
		if (ext->base_user == NULL ||
		    strcmp(ext->base_user, ru->number) != 0)
			continue;
		if (hotdesk_ext_user(ext->number) == NULL &&
		    hotdesk_login(ru->number, ext->number, HDR_FALLBACK,
		    &cause) == 0)
			return;		/* the observer published it */
		break;
	}
	ru->gen++;
	rh_save(ru);
	rh_publish(ru);
}

/*
 * The admin (roamctl logout, the status page) logs out one of our users
 * who sits on a host: the host is told to drop them (RELEASE; a host that
 * is down learns it at the F3 reconcile) and they come home per H3.
 */
int
remote_home_admin_logout(const char *user, const char **cause)
{
	struct rh_user	*ru;
	char		*host;

	if ((ru = rh_get(user)) == NULL || ru->site == NULL) {
		*cause = "not logged in on another site";
		return (-1);
	}
	host = xstrdup(ru->site);
	ru->gen++;
	rh_release(host, ru->number, ru->gen);
	log_info("remote logout user=%s host=%s gen=%llu reason=admin",
	    ru->number, host, (unsigned long long)ru->gen);
	free(host);
	rh_return_home(ru);
	return (0);
}

/* LOGIN_ANS without a record. */
static void
rh_login_refuse(const char *site, uint32_t seq, const char *user, int result,
    uint16_t attr, uint32_t val)
{
	struct peer_out	 o;
	const char	*cause;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOGIN_ANS, seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u32(&o, PA_RESULT, (uint32_t)result);
	if (attr != 0)
		peer_frame_put_u32(&o, attr, val);
	if (peer_frame_end(&o, &cause) == 0)
		remote_send(site, &o);
	peer_frame_free(&o);
	log_info("remote login refused user=%s host=%s result=%s", user, site,
	    peer_result_name(result));
	events_add_peer(EVK_REMOTE_REFUSED, user, NULL, site, site,
	    peer_result_name(result), NULL);
}

/* LOGIN_ANS PR_OK with the full record (R2). */
static void
rh_login_grant_answer(const char *site, uint32_t seq, const struct rh_user *ru)
{
	const struct user	*u = user_find(ru->number);
	struct peer_out		 o;
	const char		*cause;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOGIN_ANS, seq);
	peer_frame_put_str(&o, PA_USER, ru->number);
	peer_frame_put_u32(&o, PA_RESULT, PR_OK);
	peer_frame_put_u64(&o, PA_GENERATION, ru->gen);
	peer_frame_put_str(&o, PA_HOME, remote_us());
	if (ru->ext != NULL)
		peer_frame_put_str(&o, PA_EXTENSION, ru->ext);
	remote_record_put(&o, u, settings_get(ru->number));
	if (peer_frame_end(&o, &cause) == -1)
		log_warnx("remote login answer too big user=%s: %s",
		    ru->number, cause);
	else
		remote_send(site, &o);
	peer_frame_free(&o);
}

/*
 * Grant: a new generation, the user off any local phone (the phone falls
 * back per H3, the user does not: they are on the host now) and off any
 * other host, and recorded at this one.
 */
static void
rh_grant(struct rh_user *ru, const char *site, const char *ext)
{
	const char	*cause;
	char		*prev = ru->site != NULL ? xstrdup(ru->site) : NULL;

	rh_moving = ru->number;
	if (hotdesk_user_ext(ru->number) != NULL)
		hotdesk_logout(ru->number, HDR_MOVED, &cause);
	rh_moving = NULL;
	ru->gen++;
	if (prev != NULL && strcmp(prev, site) != 0)
		rh_release(prev, ru->number, ru->gen);
	free(prev);
	rh_str(&ru->site, site);
	rh_str(&ru->ext, ext);
	ru->confirmed = 1;
	ru->confirmed_gen = ru->gen;
	rh_save(ru);
	directory_set_location(ru->number, site, ext, ru->gen);
	log_info("remote login granted user=%s host=%s ext=%s gen=%llu",
	    ru->number, site, ext, (unsigned long long)ru->gen);
	events_add_peer(EVK_REMOTE_GRANTED, ru->number, ext, site, site, NULL,
	    "gen=%llu", (unsigned long long)ru->gen);
}

/* LOGIN_REQ from a host (R2, H2: the code and the lock are ours). */
static void
rh_login_req(const char *site, const struct peer_msg *m)
{
	struct rh_user	*ru;
	char		 user[32], code[32], ext[32] = "";
	time_t		 now = time(NULL), until;
	enum sip_answer	 a;

	if (peer_msg_str(m, PA_USER, user, sizeof(user)) == -1 ||
	    peer_msg_str(m, PA_LOGIN_CODE, code, sizeof(code)) == -1)
		return;
	peer_msg_str(m, PA_EXTENSION, ext, sizeof(ext));
	log_info("remote login request user=%s host=%s ext=%s", user, site,
	    ext[0] != '\0' ? ext : "-");
	if ((ru = rh_get(user)) == NULL) {
		rh_login_refuse(site, m->seq, user, PR_NOT_HOME, 0, 0);
		return;
	}
	a = hotdesk_check_code(user, code, now);
	if (a == ANS_LOCKED_OUT) {
		hotdesk_lock_state(user, &until);
		rh_login_refuse(site, m->seq, user, PR_LOCKED,
		    PA_LOCK_REMAINING, until > now ? (uint32_t)(until - now) :
		    0);
		return;
	}
	if (a != ANS_OK) {
		rh_login_refuse(site, m->seq, user, PR_BAD_CODE, PA_FAILURES,
		    (uint32_t)hotdesk_lock_state(user, &until));
		return;
	}
	rh_grant(ru, site, ext);
	rh_login_grant_answer(site, m->seq, ru);
	remote_broadcast_location(ru->number);
}

/* LOGOUT from a host (R9): back home if the host had home's login. */
static void
rh_logout(const char *site, const struct peer_msg *m)
{
	struct rh_user	*ru;
	char		 user[32];
	uint64_t	 gen = 0;

	if (peer_msg_str(m, PA_USER, user, sizeof(user)) == -1)
		return;
	peer_msg_u64(m, PA_GENERATION, &gen);
	ru = rh_get(user);
	if (ru == NULL || ru->site == NULL || strcmp(ru->site, site) != 0 ||
	    ru->gen != gen) {
		/* Late or repeated: home has moved on since. */
		log_info("remote logout stale user=%s host=%s gen=%llu "
		    "current=%llu", user, site, (unsigned long long)gen,
		    ru != NULL ? (unsigned long long)ru->gen : 0ULL);
		remote_answer(site, PT_LOGOUT_ACK, m->seq, user,
		    ru == NULL ? PR_NOT_HOME : PR_STALE);
		return;
	}
	log_info("remote logout user=%s host=%s gen=%llu", user, site,
	    (unsigned long long)gen);
	rh_return_home(ru);
	remote_answer(site, PT_LOGOUT_ACK, m->seq, user, PR_OK);
}

/* Apply one on/off field if it differs (so unchanged fields keep
 * following the YAML). */
static void
rh_set_flag(const char *user, const struct peer_msg *m, uint16_t attr,
    enum settings_field f, int cur)
{
	int	 v;

	if (peer_msg_flag(m, attr, &v) == 0 && v != cur)
		settings_set(user, f, v);
}

/* Apply a SETTINGS frame's values to the user's settings. */
static void
rh_settings_apply(const char *user, const struct peer_msg *m)
{
	const struct user_settings	*s = settings_get(user);
	char				 num[64];

	if (s == NULL)
		return;
	if (peer_msg_str(m, PA_FWD_NUMBER, num, sizeof(num)) == 0 &&
	    num[0] != '\0' && (s->fwd_number == NULL ||
	    strcmp(num, s->fwd_number) != 0))
		settings_set_fwd_number(user, num);
	s = settings_get(user);
	rh_set_flag(user, m, PA_DND, SET_DND, s->dnd);
	rh_set_flag(user, m, PA_FWD_UNCOND, SET_FWD_UNCONDITIONAL,
	    s->fwd_unconditional);
	rh_set_flag(user, m, PA_FWD_BUSY, SET_FWD_BUSY, s->fwd_busy);
	rh_set_flag(user, m, PA_FWD_NOANSWER, SET_FWD_NO_ANSWER,
	    s->fwd_no_answer);
}

/*
 * SETTINGS from a host (R7): stored here.  A change made at generation g
 * loses only to a change made later (settings_gen > g), so a change
 * queued on a host while the link was down still lands unless the user
 * has changed the same settings since.
 */
static void
rh_settings(const char *site, const struct peer_msg *m)
{
	struct rh_user	*ru;
	char		 user[32];
	uint64_t	 gen = 0;

	if (peer_msg_str(m, PA_USER, user, sizeof(user)) == -1)
		return;
	peer_msg_u64(m, PA_GENERATION, &gen);
	if ((ru = rh_get(user)) == NULL) {
		remote_answer(site, PT_SETTINGS_ACK, m->seq, user,
		    PR_NOT_HOME);
		return;
	}
	if (gen < ru->settings_gen) {
		log_info("remote settings stale user=%s host=%s gen=%llu "
		    "settings_gen=%llu", user, site, (unsigned long long)gen,
		    (unsigned long long)ru->settings_gen);
		remote_answer(site, PT_SETTINGS_ACK, m->seq, user, PR_STALE);
		return;
	}
	rh_applying = 1;
	rh_settings_apply(user, m);
	rh_applying = 0;
	ru->settings_gen = gen;
	rh_save(ru);
	log_info("remote settings stored user=%s host=%s gen=%llu", user, site,
	    (unsigned long long)gen);
	/* Acknowledge only what is stored: COMMIT before the ACK. */
	remote_answer(site, PT_SETTINGS_ACK, m->seq, user,
	    db_flush() == 0 ? PR_OK : PR_FAILED);
}

/* Requests a host sends its users' home. */
void
remote_home_message(const char *site, const struct peer_msg *m)
{
	switch (m->type) {
	case PT_LOGIN_REQ:
		rh_login_req(site, m);
		break;
	case PT_LOGOUT:
		rh_logout(site, m);
		break;
	case PT_SETTINGS:
		rh_settings(site, m);
		break;
	}
}

/*
 * A host says it holds one of our users (after a login, and on link up
 * for F3).  The same generation confirms; a newer one means our last
 * writes were lost in a crash, so adopt it; a claim we do not record is
 * stale and gets a RELEASE.
 */
void
remote_home_location(const char *site, const struct dir_update *u)
{
	struct rh_user	*ru;

	if ((ru = rh_get(u->number)) == NULL || strcmp(u->site, site) != 0)
		return;
	if (ru->site != NULL && strcmp(ru->site, site) == 0) {
		if (u->generation < ru->gen)
			return;
		if (u->generation > ru->gen) {
			log_warnx("remote location adopted user=%s host=%s "
			    "gen=%llu was=%llu", ru->number, site,
			    (unsigned long long)u->generation,
			    (unsigned long long)ru->gen);
			ru->gen = u->generation;
			rh_str(&ru->ext, u->ext);
			rh_save(ru);
			directory_set_location(ru->number, site, ru->ext,
			    ru->gen);
		}
		ru->confirmed = 1;
		ru->confirmed_gen = u->generation;
		return;
	}
	if (u->generation > ru->gen) {
		ru->gen = u->generation + 1;
		rh_save(ru);
		rh_publish(ru);
	}
	rh_release(site, ru->number, ru->gen);
}

/* Link up: the users we recorded at site wait for its confirmation. */
static void
rh_expect_one(const char *key, void *val, void *arg)
{
	struct rh_user	*ru = val;
	const char	*site = arg;

	if (ru->site == NULL || strcmp(ru->site, site) != 0)
		return;
	ru->expect = 1;
	ru->confirmed = 0;
	ru->confirmed_gen = 0;
}

/* A link came up. */
void
remote_home_link_up(const char *site)
{
	hmap_foreach(rh_users, rh_expect_one, (void *)site);
}

struct rh_list {
	char	**v;
	size_t	  n;
	const char *site;
};

/* Collect users still expecting site's confirmation. */
static void
rh_collect(const char *key, void *val, void *arg)
{
	struct rh_user	*ru = val;
	struct rh_list	*l = arg;

	if (!ru->expect || ru->site == NULL || strcmp(ru->site, l->site) != 0)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(ru->number);
}

/* Decide for one user recorded at site (F3). */
static void
rh_reconcile_one(struct rh_user *ru, const char *site)
{
	enum remote_decision	 d;

	ru->expect = 0;
	d = remote_reconcile(ru->site, ru->gen, site, ru->confirmed,
	    ru->confirmed_gen);
	log_info("reconcile user=%s host=%s gen=%llu held=%d decision=%s",
	    ru->number, site, (unsigned long long)ru->gen, ru->confirmed,
	    remote_decision_name(d));
	events_add_peer(EVK_RECONCILE, ru->number, ru->ext, site, site,
	    remote_decision_name(d), "gen=%llu held=%d",
	    (unsigned long long)ru->gen, ru->confirmed);
	if (d != RD_RELOGIN_HOME)
		return;
	/* F2: a host that holds nothing of ours restarted. */
	events_add_peer(EVK_LOGOUT, ru->number, ru->ext, site, site,
	    ru->confirmed ? "reconcile" : "host-restart", NULL);
	rh_return_home(ru);
	rh_release(site, ru->number, ru->gen);
}

/* The end of site's DIR_SYNC: every confirmation is in (F3). */
void
remote_home_sync_done(const char *site)
{
	struct rh_list	 l = { NULL, 0, site };
	struct rh_user	*ru;
	size_t		 i;

	hmap_foreach(rh_users, rh_collect, &l);
	for (i = 0; i < l.n; i++) {
		if ((ru = hmap_get(rh_users, l.v[i])) != NULL)
			rh_reconcile_one(ru, site);
		free(l.v[i]);
	}
	free(l.v);
}
