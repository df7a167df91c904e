/*
 * Hot desking on one site (DESIGN.md H1-H5): the two maps user->extension
 * and extension->user, the fallback rules after a logout, and the login
 * code lock-out.  Logins are persisted so a restart restores them; lock
 * counters too, so a restart does not reset a brute-force lock.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "db_state.h"
#include "events.h"
#include "hmap.h"
#include "hotdesk.h"
#include "log.h"
#include "roamd.h"
#include "users.h"
#include "xmalloc.h"

/* A user's hot-desk state; only users of this site's config. */
struct hd_user {
	char		*number;
	char		*ext;		/* NULL: logged out */
	time_t		 since;
	int		 failures;
	time_t		 locked_until;
	int		 known;		/* the db had a login row */
};

/* Logins restored for users we do not know (former visitors). */
struct hd_freed {
	char	**users;
	char	**exts;
	size_t	  n;
};

static struct hmap	*hd_users;	/* user number -> struct hd_user */
static struct hmap	*hd_exts;	/* ext number -> struct hd_user */
static void		(*hd_observer)(const char *, const char *,
			    enum hotdesk_reason);
static int		(*hd_away)(const char *);
static const char	*hd_code_ext;	/* the phone a code is typed at */

static const char *hd_reason_names[HDR_MAX] = {
	"startup", "user", "admin", "replaced", "moved", "fallback", "reload"
};

/* Name of a reason for logs. */
const char *
hotdesk_reason_name(enum hotdesk_reason r)
{
	return ((unsigned)r < HDR_MAX ? hd_reason_names[r] : "?");
}

/* Free one user's state. */
static void
hd_user_free(void *p)
{
	struct hd_user	*hu = p;

	free(hu->number);
	free(hu->ext);
	free(hu);
}

/* Find or make the state of a configured user. */
static struct hd_user *
hd_user_get(const char *number)
{
	struct hd_user	*hu;

	if ((hu = hmap_get(hd_users, number)) != NULL)
		return (hu);
	if (user_find(number) == NULL)
		return (NULL);
	hu = xcalloc(1, sizeof(*hu));
	hu->number = xstrdup(number);
	hmap_put(hd_users, number, hu);
	return (hu);
}

/*
 * Persist where hu is.  Visitors are stored too, but never restored: a
 * restarted host does not bring its remote hot deskers back (F2); the row
 * only tells the restarted host which phone a visitor held, so that phone
 * can fall back to its base user (H3).
 */
static void
hd_save(const struct hd_user *hu)
{
	struct db_login	 dl = { hu->number, hu->ext, hu->since };

	if (db_login_put(&dl) == -1)
		log_warnx("login state not stored user=%s", hu->number);
}

/* Bind hu to ext (both free). */
static void
hd_bind(struct hd_user *hu, const char *ext, enum hotdesk_reason why)
{
	hu->ext = xstrdup(ext);
	hu->since = time(NULL);
	hmap_put(hd_exts, ext, hu);
	hd_save(hu);
	log_info("login ok user=%s ext=%s reason=%s", hu->number, ext,
	    hotdesk_reason_name(why));
	events_add(EVK_LOGIN, hu->number, ext, hotdesk_reason_name(why), NULL);
	if (hd_observer != NULL)
		hd_observer(hu->number, ext, why);
}

/* Unbind hu from its extension. */
static void
hd_unbind(struct hd_user *hu, enum hotdesk_reason why)
{
	const char	*reason = events_logout_reason(hu->number,
			    hotdesk_reason_name(why));

	log_info("logout user=%s ext=%s reason=%s", hu->number, hu->ext,
	    reason);
	events_add(EVK_LOGOUT, hu->number, hu->ext, reason, NULL);
	hmap_del(hd_exts, hu->ext);
	free(hu->ext);
	hu->ext = NULL;
	hu->since = 0;
	hd_save(hu);
	if (hd_observer != NULL)
		hd_observer(hu->number, NULL, why);
}

/* H3/H5: may this user be logged in automatically at ext? */
static int
hd_auto_ok(const char *number, const char *ext)
{
	struct user	*u;
	struct hd_user	*hu;

	if (number == NULL || (u = user_find(number)) == NULL)
		return (0);
	if (u->force_login)
		return (0);
	if (hd_away != NULL && hd_away(number))
		return (0);		/* logged in on another site */
	if (hmap_get(hd_exts, ext) != NULL)
		return (0);		/* extension not free */
	hu = hd_user_get(number);
	return (hu != NULL && hu->ext == NULL);	/* user free */
}

/* H3: the user returns to their base extension if free. */
static void
hd_user_fallback(struct hd_user *hu, const char *left)
{
	struct extension	*ext;
	size_t			 i;

	for (i = 0; i < env->conf->nextensions; i++) {
		ext = &env->conf->extensions[i];
		if (ext->base_user == NULL ||
		    strcmp(ext->base_user, hu->number) != 0)
			continue;
		/* Logging out at one's own base extension stays out. */
		if (left != NULL && strcmp(ext->number, left) == 0)
			return;
		if (hd_auto_ok(hu->number, ext->number))
			hd_bind(hu, ext->number, HDR_FALLBACK);
		return;
	}
}

/* H3: the phone returns to its base user if free, else NoUser. */
static void
hd_ext_fallback(const char *extnum, const char *leaving)
{
	struct extension	*ext;
	struct hd_user		*hu;

	if ((ext = config_extension(env->conf, extnum)) == NULL ||
	    ext->base_user == NULL)
		return;
	if (leaving != NULL && strcmp(ext->base_user, leaving) == 0)
		return;
	if (!hd_auto_ok(ext->base_user, ext->number))
		return;
	if ((hu = hd_user_get(ext->base_user)) != NULL)
		hd_bind(hu, ext->number, HDR_FALLBACK);
}

/* H1: log user in at ext with the fallbacks of the two displaced. */
int
hotdesk_login(const char *user, const char *ext, enum hotdesk_reason why,
    const char **cause)
{
	struct hd_user	*hu, *prev;
	char		*oldext = NULL;

	if ((hu = hd_user_get(user)) == NULL) {
		*cause = "no such user";
		return (-1);
	}
	if (config_extension(env->conf, ext) == NULL) {
		*cause = "no such extension";
		return (-1);
	}
	if (hu->ext != NULL && strcmp(hu->ext, ext) == 0)
		return (0);
	if ((prev = hmap_get(hd_exts, ext)) != NULL)
		hd_unbind(prev, HDR_REPLACED);
	if (hu->ext != NULL) {
		oldext = xstrdup(hu->ext);
		hd_unbind(hu, HDR_MOVED);
	}
	hd_bind(hu, ext, why);
	if (prev != NULL)
		hd_user_fallback(prev, ext);
	if (oldext != NULL) {
		hd_ext_fallback(oldext, NULL);
		free(oldext);
	}
	return (0);
}

/* H3: log out, then the user and the phone fall back. */
int
hotdesk_logout(const char *user, enum hotdesk_reason why, const char **cause)
{
	struct hd_user	*hu;
	char		*ext;

	if ((hu = hmap_get(hd_users, user)) == NULL || hu->ext == NULL) {
		*cause = "not logged in";
		return (-1);
	}
	ext = xstrdup(hu->ext);
	hd_unbind(hu, why);
	/* HDR_MOVED: the user went to another site; only the phone falls
	 * back. */
	if (why != HDR_MOVED)
		hd_user_fallback(hu, ext);
	hd_ext_fallback(ext, user);
	free(ext);
	return (0);
}

/* Persist the lock counter. */
static void
hd_save_lock(const struct hd_user *hu)
{
	struct db_lock	 dl = { hu->number, hu->failures, hu->locked_until };

	if (db_lock_put(&dl) == -1)
		log_warnx("lock state not stored user=%s", hu->number);
}

/* Constant-time comparison of a typed code with the configured one. */
static int
hd_code_ok(const struct user *u, const char *code)
{
	size_t	 n;

	if (u->login_code == NULL)
		return (0);
	n = strlen(u->login_code);
	if (strlen(code) != n)
		return (0);
	return (CRYPTO_memcmp(u->login_code, code, n) == 0);
}

/* H2: check a code, count failures, lock after lockout_attempts. */
enum sip_answer
hotdesk_check_code(const char *user, const char *code, time_t now)
{
	struct user	*u = user_find(user);
	struct hd_user	*hu = hd_user_get(user);

	if (u == NULL || hu == NULL || u->login_code == NULL)
		return (ANS_LOGIN_CODE_INCORRECT);
	if (hu->locked_until > now) {
		log_warnx("login refused user=%s reason=locked until=%lld",
		    user, (long long)hu->locked_until);
		events_add(EVK_LOGIN_FAILED, user, hd_code_ext, "locked",
		    "until=%lld", (long long)hu->locked_until);
		return (ANS_LOCKED_OUT);
	}
	if (hu->locked_until != 0) {		/* the lock ran out */
		hu->locked_until = 0;
		hu->failures = 0;
	}
	if (hd_code_ok(u, code)) {
		if (hu->failures != 0) {
			hu->failures = 0;
			hd_save_lock(hu);
		}
		return (ANS_OK);
	}
	hu->failures++;
	if (hu->failures >= env->conf->lockout_attempts) {
		hu->locked_until = now + env->conf->lockout_period;
		log_warnx("login locked user=%s failures=%d for=%ds", user,
		    hu->failures, env->conf->lockout_period);
		events_add(EVK_LOCKOUT, user, hd_code_ext, "bad_code",
		    "failures=%d for=%ds", hu->failures,
		    env->conf->lockout_period);
		hd_save_lock(hu);
		return (ANS_LOCKED_OUT);
	}
	log_warnx("login failed user=%s reason=bad-code failures=%d", user,
	    hu->failures);
	events_add(EVK_LOGIN_FAILED, user, hd_code_ext, "bad_code",
	    "failures=%d", hu->failures);
	hd_save_lock(hu);
	return (ANS_LOGIN_CODE_INCORRECT);
}

/* The extn_login short code: "USER*CODE" or "CODE" for the base user. */
enum sip_answer
hotdesk_login_digits(const char *extnum, const char *digits, time_t now,
    const char **userp)
{
	struct extension	*ext = config_extension(env->conf, extnum);
	struct user		*u;
	const char		*star, *code, *cause;
	char			 number[64];
	enum sip_answer		 a;

	if (ext == NULL)
		return (ANS_FORBIDDEN);
	if ((star = strchr(digits, '*')) != NULL) {
		if ((size_t)(star - digits) >= sizeof(number))
			return (ANS_NUMBER_UNOBTAINABLE);
		memcpy(number, digits, star - digits);
		number[star - digits] = '\0';
		code = star + 1;
	} else {
		if (ext->base_user == NULL)
			return (ANS_LOGIN_CODE_INCORRECT);
		xstrlcpy(number, ext->base_user, sizeof(number));
		code = digits;
	}
	if ((u = user_find(number)) == NULL) {
		log_warnx("login failed user=%s ext=%s reason=unknown-user",
		    number, extnum);
		events_add(EVK_LOGIN_FAILED, number, extnum, "unknown_user",
		    NULL);
		return (ANS_NUMBER_UNOBTAINABLE);
	}
	hd_code_ext = extnum;
	a = hotdesk_check_code(u->number, code, now);
	hd_code_ext = NULL;
	if (a != ANS_OK)
		return (a);
	if (hotdesk_login(u->number, extnum, HDR_USER, &cause) == -1)
		return (ANS_FORBIDDEN);
	*userp = u->number;
	return (ANS_OK);
}

/* Failures so far and the lock end. */
int
hotdesk_lock_state(const char *user, time_t *locked_until)
{
	struct hd_user	*hu = hmap_get(hd_users, user);

	*locked_until = hu != NULL ? hu->locked_until : 0;
	return (hu != NULL ? hu->failures : 0);
}

/* Restore one persisted login (if user and extension still exist). */
static void
hd_restore_login(const struct db_login *dl, void *arg)
{
	struct hd_freed	*fr = arg;
	struct hd_user	*hu;

	if ((hu = hd_user_get(dl->user)) == NULL) {
		/* A visitor before a restart, or a user no longer configured. */
		fr->users = xreallocarray(fr->users, fr->n + 1,
		    sizeof(*fr->users));
		fr->exts = xreallocarray(fr->exts, fr->n + 1,
		    sizeof(*fr->exts));
		fr->users[fr->n] = xstrdup(dl->user);
		fr->exts[fr->n++] = dl->ext != NULL ? xstrdup(dl->ext) : NULL;
		return;
	}
	hu->known = 1;
	if (dl->ext == NULL || config_extension(env->conf, dl->ext) == NULL ||
	    hmap_get(hd_exts, dl->ext) != NULL)
		return;
	hu->ext = xstrdup(dl->ext);
	hu->since = dl->since;
	hmap_put(hd_exts, dl->ext, hu);
}

/*
 * F2 + H3: the phones that visitors held before the restart fall back to
 * their base users; the visitors' rows go.
 */
static void
hd_release_freed(struct hd_freed *fr)
{
	size_t	 i;

	for (i = 0; i < fr->n; i++) {
		db_login_del(fr->users[i]);
		if (fr->exts[i] != NULL && hmap_get(hd_exts, fr->exts[i]) ==
		    NULL) {
			log_info("logout user=%s ext=%s reason=host-restart",
			    fr->users[i], fr->exts[i]);
			hd_ext_fallback(fr->exts[i], NULL);
		}
		free(fr->users[i]);
		free(fr->exts[i]);
	}
	free(fr->users);
	free(fr->exts);
}

/* Restore one persisted lock counter. */
static void
hd_restore_lock(const struct db_lock *dl, void *arg)
{
	struct hd_user	*hu;

	if ((hu = hd_user_get(dl->user)) == NULL)
		return;
	hu->failures = dl->failures;
	hu->locked_until = dl->locked_until;
}

/* H5: base users the db knows nothing of log in at their extension. */
static void
hd_startup_logins(void)
{
	struct extension	*ext;
	struct hd_user		*hu;
	struct user		*u;
	size_t			 i;

	for (i = 0; i < env->conf->nextensions; i++) {
		ext = &env->conf->extensions[i];
		if (ext->base_user == NULL ||
		    (u = user_find(ext->base_user)) == NULL ||
		    (hu = hd_user_get(u->number)) == NULL || hu->known)
			continue;
		if (u->force_login) {
			log_info("login skipped user=%s ext=%s "
			    "reason=force_login", u->number, ext->number);
			continue;
		}
		if (hd_auto_ok(u->number, ext->number))
			hd_bind(hu, ext->number, HDR_STARTUP);
	}
}

/* Start: restore the db's state, then the start-up rule. */
void
hotdesk_init(void)
{
	struct hd_freed	 fr = { NULL, NULL, 0 };

	hd_users = hmap_new();
	hd_exts = hmap_new();
	db_login_foreach(hd_restore_login, &fr);
	db_lock_foreach(hd_restore_lock, NULL);
	hd_release_freed(&fr);
	hd_startup_logins();
}

/* Stop: forget everything (the db keeps it). */
void
hotdesk_shutdown(void)
{
	hmap_free(hd_exts, NULL);
	hmap_free(hd_users, hd_user_free);
	hd_users = hd_exts = NULL;
}

/* Drop state of a user or extension the new config no longer has. */
static void
hd_reload_one(const char *key, void *val, void *arg)
{
	struct hd_user	*hu = val;

	if (user_find(hu->number) == NULL) {
		if (hu->ext != NULL)
			hmap_del(hd_exts, hu->ext);
		db_login_del(hu->number);
		hmap_del(hd_users, key);
		hd_user_free(hu);
		return;
	}
	if (hu->ext != NULL && config_extension(env->conf, hu->ext) == NULL)
		hd_unbind(hu, HDR_RELOAD);
}

/* The config changed: drop what went, log in new base users (H5). */
void
hotdesk_reload(void)
{
	hmap_foreach(hd_users, hd_reload_one, NULL);
	hd_startup_logins();
}

/* Who hears of every login and logout (the network directory). */
void
hotdesk_set_observer(void (*fn)(const char *, const char *,
    enum hotdesk_reason))
{
	hd_observer = fn;
}

/*
 * Who says a user is logged in on another site (remote.c): such a user is
 * not free for the automatic logins of H3/H5.
 */
void
hotdesk_set_away_check(int (*fn)(const char *))
{
	hd_away = fn;
}

/* Forget a user entirely (a visitor leaving); no fallbacks. */
void
hotdesk_forget(const char *user)
{
	struct hd_user	*hu;

	if (hd_users == NULL || (hu = hmap_get(hd_users, user)) == NULL)
		return;
	if (hu->ext != NULL)
		hmap_del(hd_exts, hu->ext);
	hmap_del(hd_users, user);
	hd_user_free(hu);
}

/* Extension the user is logged in at, or NULL. */
const char *
hotdesk_user_ext(const char *user)
{
	struct hd_user	*hu;

	if (hd_users == NULL || (hu = hmap_get(hd_users, user)) == NULL)
		return (NULL);
	return (hu->ext);
}

/* User logged in at the extension, or NULL (NoUser). */
const char *
hotdesk_ext_user(const char *ext)
{
	struct hd_user	*hu;

	if (hd_exts == NULL || (hu = hmap_get(hd_exts, ext)) == NULL)
		return (NULL);
	return (hu->number);
}

/* When the user logged in. */
time_t
hotdesk_user_since(const char *user)
{
	struct hd_user	*hu;

	if (hd_users == NULL || (hu = hmap_get(hd_users, user)) == NULL)
		return (0);
	return (hu->since);
}
