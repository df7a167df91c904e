/*
 * The user's own settings (DND, forwarding): YAML first, handset changes
 * on top.  Each handset change is stored with the YAML value that was in
 * force when it was made; when the YAML value of that field later differs
 * from the remembered one, the admin has changed it and the YAML wins.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "db_state.h"
#include "hmap.h"
#include "log.h"
#include "roamd.h"
#include "settings.h"
#include "users.h"
#include "xmalloc.h"

/* A user's settings plus what the handset changed. */
struct set_user {
	struct user_settings	 cur;
	struct db_settings	 row;	/* strings below are owned */
	char			*number;
	char			*row_fwd, *row_cfg_fwd;
};

static struct hmap	*set_users;
static void		(*set_observer)(const char *,
			    const struct user_settings *);

/* Free one. */
static void
set_user_free(void *p)
{
	struct set_user	*su = p;

	free(su->cur.fwd_number);
	free(su->row_fwd);
	free(su->row_cfg_fwd);
	free(su->number);
	free(su);
}

/* Equal strings, NULL equal to NULL. */
static int
set_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Replace an owned string. */
static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* Pick one int field: the handset's while the YAML is unchanged. */
static int
set_pick(struct set_user *su, unsigned bit, int yaml, int hand, int cfg)
{
	if ((su->row.changed & bit) == 0)
		return (yaml);
	if (cfg != yaml) {		/* the admin changed it since */
		su->row.changed &= ~bit;
		return (yaml);
	}
	return (hand);
}

/* Compute the current settings of su from u and the stored row. */
static void
set_merge(struct set_user *su, const struct user *u)
{
	struct db_settings	*r = &su->row;
	const char		*num = u->forward.number;

	su->cur.dnd = set_pick(su, DBS_DND, u->dnd, r->dnd, r->cfg_dnd);
	su->cur.fwd_unconditional = set_pick(su, DBS_FWD_UNCOND,
	    u->forward.unconditional, r->fwd_unconditional,
	    r->cfg_fwd_unconditional);
	su->cur.fwd_busy = set_pick(su, DBS_FWD_BUSY, u->forward.on_busy,
	    r->fwd_busy, r->cfg_fwd_busy);
	su->cur.fwd_no_answer = set_pick(su, DBS_FWD_NOANS,
	    u->forward.on_no_answer, r->fwd_no_answer, r->cfg_fwd_no_answer);
	if ((r->changed & DBS_FWD_NUMBER) &&
	    !set_streq(su->row_cfg_fwd, num))
		r->changed &= ~DBS_FWD_NUMBER;
	set_str(&su->cur.fwd_number, (r->changed & DBS_FWD_NUMBER) ?
	    su->row_fwd : num);
	su->cur.no_answer_time = u->forward.no_answer_time;
}

static void	set_reread(const char *);

/* A handset change's batch is committed, or failed (db_after_commit). */
static void
set_committed(void *arg)
{
	char	*number = arg;

	if (!db_last_commit_ok())
		set_reread(number);
	free(number);
}

/*
 * Persist su's row, and tell the observer.  A visitor's settings belong
 * to their home (R7): the observer sends them there; nothing is stored
 * here.  A change that cannot be stored is taken back (memory follows
 * the database) and -1 returned, so the handset hears the refusal.
 */
static int
set_save(struct set_user *su)
{
	if (set_observer != NULL)
		set_observer(su->number, &su->cur);
	if (user_is_visitor(su->number))
		return (0);
	su->row.user = su->number;
	su->row.fwd_number = su->row_fwd;
	su->row.cfg_fwd_number = su->row_cfg_fwd;
	if (db_settings_put(&su->row) == -1) {
		log_warnx("settings not stored user=%s", su->number);
		set_reread(su->number);
		return (-1);
	}
	db_after_commit(set_committed, xstrdup(su->number));
	return (0);
}

/* Find or make the state of a configured user. */
static struct set_user *
set_get(const char *number)
{
	struct set_user	*su;
	struct user	*u;

	if ((su = hmap_get(set_users, number)) != NULL)
		return (su);
	if ((u = user_find(number)) == NULL)
		return (NULL);
	su = xcalloc(1, sizeof(*su));
	su->number = xstrdup(number);
	hmap_put(set_users, number, su);
	set_merge(su, u);
	return (su);
}

/* Load one stored row. */
static void
set_restore(const struct db_settings *r, void *arg)
{
	struct set_user	*su;
	struct user	*u;

	if ((u = user_find(r->user)) == NULL ||
	    (su = set_get(r->user)) == NULL)
		return;
	su->row = *r;
	su->row_fwd = r->fwd_number != NULL ? xstrdup(r->fwd_number) : NULL;
	su->row_cfg_fwd = r->cfg_fwd_number != NULL ?
	    xstrdup(r->cfg_fwd_number) : NULL;
	set_merge(su, u);
}

/* Load one stored row if it is the user being re-read. */
static void
set_restore_user(const struct db_settings *r, void *arg)
{
	if (strcmp(r->user, arg) == 0)
		set_restore(r, NULL);
}

/* A change was not stored: take the user's settings from the db again. */
static void
set_reread(const char *number)
{
	char	*n;

	if (set_users == NULL)
		return;
	n = xstrdup(number);
	settings_forget(n);
	db_settings_foreach(set_restore_user, n);
	free(n);
}

/* Who hears of every handset change (remote hot desking, R7). */
void
settings_set_observer(void (*fn)(const char *, const struct user_settings *))
{
	set_observer = fn;
}

/* A visitor's record arrived or left: forget what we had computed. */
void
settings_forget(const char *user)
{
	struct set_user	*su;

	if (set_users != NULL && (su = hmap_del(set_users, user)) != NULL)
		set_user_free(su);
}

/* Start: YAML values, then the stored handset changes. */
void
settings_init(void)
{
	set_users = hmap_new();
	db_settings_foreach(set_restore, NULL);
}

/* Stop. */
void
settings_shutdown(void)
{
	hmap_free(set_users, set_user_free);
	set_users = NULL;
}

/* Re-merge one user against the new YAML, or drop them. */
static void
set_reload_one(const char *key, void *val, void *arg)
{
	struct set_user	*su = val;
	struct user	*u;

	if ((u = user_find(su->number)) == NULL) {
		if (!user_is_visitor(su->number))
			db_settings_del(su->number);
		hmap_del(set_users, key);
		set_user_free(su);
		return;
	}
	set_merge(su, u);
}

/* The config changed. */
void
settings_reload(void)
{
	hmap_foreach(set_users, set_reload_one, NULL);
}

/* The settings in force. */
const struct user_settings *
settings_get(const char *user)
{
	struct set_user	*su;

	if (set_users == NULL || (su = set_get(user)) == NULL)
		return (NULL);
	return (&su->cur);
}

/* A handset change of one on/off field. */
int
settings_set(const char *user, enum settings_field f, int on)
{
	struct set_user	*su;
	struct user	*u;

	if ((su = set_get(user)) == NULL ||
	    (u = user_find(user)) == NULL)
		return (-1);
	on = on != 0;
	switch (f) {
	case SET_DND:
		su->cur.dnd = su->row.dnd = on;
		su->row.cfg_dnd = u->dnd;
		su->row.changed |= DBS_DND;
		break;
	case SET_FWD_UNCONDITIONAL:
		su->cur.fwd_unconditional = su->row.fwd_unconditional = on;
		su->row.cfg_fwd_unconditional = u->forward.unconditional;
		su->row.changed |= DBS_FWD_UNCOND;
		break;
	case SET_FWD_BUSY:
		su->cur.fwd_busy = su->row.fwd_busy = on;
		su->row.cfg_fwd_busy = u->forward.on_busy;
		su->row.changed |= DBS_FWD_BUSY;
		break;
	case SET_FWD_NO_ANSWER:
		su->cur.fwd_no_answer = su->row.fwd_no_answer = on;
		su->row.cfg_fwd_no_answer = u->forward.on_no_answer;
		su->row.changed |= DBS_FWD_NOANS;
		break;
	}
	return (set_save(su));
}

/* A handset change of the forward number. */
int
settings_set_fwd_number(const char *user, const char *number)
{
	struct set_user	*su;
	struct user	*u;

	if ((su = set_get(user)) == NULL ||
	    (u = user_find(user)) == NULL)
		return (-1);
	set_str(&su->cur.fwd_number, number);
	set_str(&su->row_fwd, number);
	set_str(&su->row_cfg_fwd, u->forward.number);
	su->row.changed |= DBS_FWD_NUMBER;
	return (set_save(su));
}

/* Every forward off. */
int
settings_cancel_forwarding(const char *user)
{
	if (settings_set(user, SET_FWD_UNCONDITIONAL, 0) == -1 ||
	    settings_set(user, SET_FWD_BUSY, 0) == -1 ||
	    settings_set(user, SET_FWD_NO_ANSWER, 0) == -1)
		return (-1);
	return (0);
}
