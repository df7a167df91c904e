/*
 * The config tables (users, extensions, trunks, rights, short codes, time
 * profiles) written from a loaded config, and login codes hashed from the
 * loop after start-up.  db.c owns the handle and the write batches.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Config tables.  A reload rewrites only what changed: each user (its row,
 * buttons and short codes) and each extension is remembered by a digest
 * of the values last written for it, so a reload of 100,000 users that
 * renames one writes one user, not 200,000 rows.  The digest is taken
 * over the very values db_store_row() would bind (the login code as
 * configured, since its hash is written later), so it matches only when
 * the rows would be written the same.  The small tables (site, trunks,
 * rights, system short codes, time profiles) are rewritten whole.  The
 * first store after db_open(), and the one after any failure that may
 * have lost a config write, delete and rewrite every table.
 *
 * A digest is 64-bit FNV-1a: a changed row is missed only if its digest
 * collides with the old one's, a chance of 2^-64 per change.
 * Statements are prepared per db_store_config call; values are bound
 * from a small type string: 's' text (NULL allowed), 'i' int.
 */
enum db_cstmt {
	DBC_SITE,
	DBC_USER,
	DBC_BUTTON,
	DBC_EXT,
	DBC_TRUNK,
	DBC_DDI,
	DBC_RIGHTS,
	DBC_SC,
	DBC_TP,
	DBC_DEL_USER,
	DBC_DEL_BUTTONS,
	DBC_DEL_USER_SC,
	DBC_DEL_EXT,
	DBC_MAX
};

static const char *const db_cstmt_sql[DBC_MAX] = {
	[DBC_SITE] = "INSERT INTO site VALUES (?, ?, ?, ?)",
	[DBC_USER] = ("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?)"),
	[DBC_BUTTON] = "INSERT INTO user_buttons VALUES (?, ?, ?, ?, ?, ?, ?)",
	[DBC_EXT] = "INSERT INTO extensions VALUES (?, ?, ?, ?, ?)",
	[DBC_TRUNK] = "INSERT INTO trunks VALUES (?, ?, ?)",
	[DBC_DDI] = "INSERT INTO ddis VALUES (?, ?, ?)",
	[DBC_RIGHTS] = "INSERT INTO user_rights VALUES (?, ?, ?)",
	[DBC_SC] = "INSERT INTO short_codes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[DBC_TP] = "INSERT INTO time_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[DBC_DEL_USER] = "DELETE FROM users WHERE number = ?",
	[DBC_DEL_BUTTONS] = "DELETE FROM user_buttons WHERE user = ?",
	[DBC_DEL_USER_SC] = ("DELETE FROM short_codes WHERE tier = 'user' AND"
	    " owner = ?"),
	[DBC_DEL_EXT] = "DELETE FROM extensions WHERE number = ?",
};

/* What was last written for a user or an extension. */
struct db_crow {
	uint64_t	 digest;
	unsigned int	 gen;		/* the store that last saw it */
};

/*
 * Digests of the rows in the config tables, by user and by extension
 * number; NULL when the tables must be rewritten whole.
 */
static struct hmap	*db_crow_users;
static struct hmap	*db_crow_exts;
static unsigned int	 db_crow_gen;

#define DB_FNV_INIT	0xcbf29ce484222325ULL
#define DB_FNV_PRIME	0x100000001b3ULL

struct db_store {
	sqlite3_stmt	*st[DBC_MAX];
	int		 failed;
	int		 digesting;	/* rows go to digest, not SQLite */
	uint64_t	 digest;
};

/*
 * Login-code hashes of the last config stored, by user: PBKDF2 costs
 * milliseconds per user, so a reload re-hashes only the codes that
 * changed instead of blocking the loop for every user.
 */
struct db_code {
	char	*code;
	char	 hash[DB_LOGIN_HASH_LEN];
};
static struct hmap	*db_code_cache;

/*
 * Codes still to hash after a config store: with an event loop, PBKDF2
 * runs from the loop after start-up instead of before it (100,000 users
 * would hold the start for minutes).  Until then the row's login_code is
 * NULL: never the code itself.  Each turn hashes codes for at most
 * DB_CODE_BUDGET_US (at least one code, ~1.5 ms) and yields, so a
 * REGISTER waits a few ms at most, not the whole backlog.  The users
 * wait in order in db_code_queue; db_code_todo holds their codes (a user
 * queued twice by two reloads is hashed once, with the newer code).
 */
static struct hmap	*db_code_todo;		/* user -> code (copy) */
static char		**db_code_queue;	/* users, oldest first */
static size_t		 db_code_qhead, db_code_qlen, db_code_qcap;
static struct event	*db_code_ev;
#define DB_CODE_BUDGET_US	2000
static const struct timeval db_code_now = { 0, 0 };

/* Forget every digest: the next store rewrites the config tables. */
static void
db_crow_forget(void)
{
	hmap_free(db_crow_users, free);
	hmap_free(db_crow_exts, free);
	db_crow_users = db_crow_exts = NULL;
}

/* Add n bytes to the running digest. */
static void
db_digest_add(struct db_store *s, const void *p, size_t n)
{
	const unsigned char	*b = p;
	uint64_t		 h = s->digest;

	while (n-- > 0) {
		h ^= *b++;
		h *= DB_FNV_PRIME;
	}
	s->digest = h;
}

/*
 * Add a row to the running digest.  Each value is tagged with its kind
 * and a text ends with its NUL, so two different rows never feed the
 * same bytes.
 */
static void
db_digest_row(struct db_store *s, enum db_cstmt which, const char *types,
    va_list ap)
{
	const char	*t;
	unsigned char	 tag = (unsigned char)which;
	int		 v;

	db_digest_add(s, &tag, 1);
	for (; *types != '\0'; types++) {
		if (*types == 'i') {
			v = va_arg(ap, int);
			db_digest_add(s, "i", 1);
			db_digest_add(s, &v, sizeof(v));
		} else if ((t = va_arg(ap, const char *)) == NULL)
			db_digest_add(s, "n", 1);
		else {
			db_digest_add(s, "s", 1);
			db_digest_add(s, t, strlen(t) + 1);
		}
	}
}

/*
 * Bind values by type string, step, reset; remembers a failure.  While
 * digesting, only add the values to the digest.
 */
static void
db_store_row(struct db_store *s, enum db_cstmt which, const char *types, ...)
{
	sqlite3_stmt	*st = s->st[which];
	va_list		 ap;
	int		 i;

	if (s->failed)
		return;
	if (s->digesting) {
		va_start(ap, types);
		db_digest_row(s, which, types, ap);
		va_end(ap);
		return;
	}
	va_start(ap, types);
	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
		else
			db_bind_text(st, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	if (db_step_done(st, "store config") != 0)
		s->failed = 1;
}

/* Store one short-code list of a tier and owner. */
static void
db_store_shortcodes(struct db_store *s, const char *tier, const char *owner,
    const struct shortcode_list *l)
{
	const struct shortcode	*sc;
	size_t			 i;

	for (i = 0; i < l->n; i++) {
		sc = &l->v[i];
		db_store_row(s, DBC_SC, "ssisssss", tier, owner, (int)i,
		    sc->code, config_feature_name(sc->feature), sc->number,
		    sc->trunk, sc->site);
	}
}

/* Forget a cached hash. */
static void
db_code_free(void *arg)
{
	struct db_code	*c = arg;

	explicit_bzero(c->code, strlen(c->code));
	free(c->code);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* The stored form of a user's login code, hashing only when it changed. */
static const char *
db_code_hash(const char *user, const char *code)
{
	struct db_code	*c;

	if (db_code_cache == NULL)
		db_code_cache = hmap_new();
	c = hmap_get(db_code_cache, user);
	if (c != NULL && strcmp(c->code, code) == 0)
		return (c->hash);
	if (c != NULL)
		db_code_free(hmap_del(db_code_cache, user));
	c = xcalloc(1, sizeof(*c));
	if (db_login_code_hash(code, c->hash, sizeof(c->hash)) != 0) {
		free(c);
		return (NULL);
	}
	c->code = xstrdup(code);
	hmap_put(db_code_cache, user, c);
	return (c->hash);
}

/* The cached hash of user's code when the code is unchanged, or NULL. */
static const char *
db_code_cached(const char *user, const char *code)
{
	struct db_code	*c;

	if (db_code_cache == NULL ||
	    (c = hmap_get(db_code_cache, user)) == NULL ||
	    strcmp(c->code, code) != 0)
		return (NULL);
	return (c->hash);
}

/* Forget a code waiting to be hashed. */
static void
db_code_todo_free(void *arg)
{
	char	*code = arg;

	if (code == NULL)
		return;
	explicit_bzero(code, strlen(code));
	free(code);
}

/* Forget the queue of users waiting for their codes hashed. */
static void
db_code_queue_clear(void)
{
	while (db_code_qhead < db_code_qlen)
		free(db_code_queue[db_code_qhead++]);
	free(db_code_queue);
	db_code_queue = NULL;
	db_code_qhead = db_code_qlen = db_code_qcap = 0;
}

/* Hash user's code soon, from the event loop. */
static void
db_code_defer(const char *user, const char *code)
{
	if (db_code_todo == NULL)
		db_code_todo = hmap_new();
	db_code_todo_free(hmap_put(db_code_todo, user, xstrdup(code)));
	if (db_code_qhead > 0 && db_code_qhead == db_code_qlen)
		db_code_qhead = db_code_qlen = 0;	/* drained: reuse */
	if (db_code_qlen == db_code_qcap) {
		db_code_qcap = db_code_qcap == 0 ? 64 : db_code_qcap * 2;
		db_code_queue = xreallocarray(db_code_queue, db_code_qcap,
		    sizeof(*db_code_queue));
	}
	db_code_queue[db_code_qlen++] = xstrdup(user);
}

/* Hash user's waiting code and store it in the user's row; 0 or -1. */
static int
db_code_one(sqlite3_stmt *st, const char *user)
{
	const char	*code, *hash;
	int		 rc = -1;

	if ((code = hmap_get(db_code_todo, user)) == NULL)
		return (0);	/* queued twice: done already */
	if ((hash = db_code_hash(user, code)) != NULL && st != NULL &&
	    db_write_begin() == 0) {
		db_bind_text(st, 1, hash);
		db_bind_text(st, 2, user);
		rc = db_step_done(st, "store login code");
		db_write_end(rc);
	}
	db_code_todo_free(hmap_del(db_code_todo, user));
	return (rc);
}

/* Microseconds of CLOCK_MONOTONIC. */
static long long
db_code_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * After a tick's batch: a lost login-code write leaves a row whose digest
 * is right but whose code was never stored.  Forget the digests, so the
 * next config store rewrites every row with the cached hash.
 */
static void
db_code_settled(void *arg)
{
	if (!db_last_commit_ok())
		db_crow_forget();
}

/* Event: hash waiting codes for DB_CODE_BUDGET_US, come back for more. */
static void
db_code_tick(evutil_socket_t fd, short ev, void *arg)
{
	sqlite3_stmt	*st;
	long long	 t0;
	char		*user;
	int		 failed = 0;

	if (db_code_todo == NULL || db_sqlite() == NULL)
		return;
	st = db_prepare("UPDATE users SET login_code = ? WHERE number = ?");
	t0 = db_code_clock();
	while (db_code_qhead < db_code_qlen &&
	    db_code_clock() - t0 < DB_CODE_BUDGET_US) {
		user = db_code_queue[db_code_qhead++];
		if (db_code_one(st, user) != 0)
			failed++;
		free(user);
	}
	sqlite3_finalize(st);
	if (failed) {
		log_warnx("db error op=\"store login code\" users=%d", failed);
		db_crow_forget();
	}
	db_after_commit(db_code_settled, NULL);
	if (db_code_qhead < db_code_qlen)
		evtimer_add(db_code_ev, &db_code_now);
	else {
		db_code_queue_clear();
		log_info("login codes stored hashed users=%zu",
		    db_code_cache != NULL ? hmap_count(db_code_cache) : 0);
	}
}

/*
 * The login code to store for u: its cached hash, or NULL while it waits
 * to be hashed from the loop.  A digest takes the code as configured.
 */
static const char *
db_store_code(struct db_store *s, const struct user *u)
{
	const char	*code;

	if (u->login_code == NULL || s->digesting)
		return (u->login_code);
	if ((code = db_code_cached(u->number, u->login_code)) != NULL)
		return (code);
	if (db_code_ev != NULL) {
		db_code_defer(u->number, u->login_code);
		return (NULL);
	}
	if ((code = db_code_hash(u->number, u->login_code)) == NULL)
		s->failed = 1;
	return (code);
}

/* Store one user, its login code hashed, its buttons and short codes. */
static void
db_store_user(struct db_store *s, const struct user *u)
{
	const struct button	*b;
	size_t			 i;

	db_store_row(s, DBC_USER, "sssissssisiiiisi", u->number, u->name,
	    db_store_code(s, u), u->force_login,
	    config_profile_name(u->profile),
	    u->user_rights, u->out_of_hours_user_rights,
	    u->working_hours_time_profile, u->dnd, u->forward.number,
	    u->forward.unconditional, u->forward.on_busy,
	    u->forward.on_no_answer, u->forward.no_answer_time,
	    u->twinning_number, u->twinning_enabled);
	for (i = 0; i < u->nbuttons; i++) {
		b = &u->buttons[i];
		db_store_row(s, DBC_BUTTON, "sisssss", u->number, (int)i,
		    config_button_name(b->type), b->user, b->trunk, b->number,
		    b->site);
	}
	db_store_shortcodes(s, "user", u->number, &u->short_codes);
}

/* Delete a user's rows: the user, its buttons, its short codes. */
static void
db_store_del_user(struct db_store *s, const char *number)
{
	db_store_row(s, DBC_DEL_BUTTONS, "s", number);
	db_store_row(s, DBC_DEL_USER_SC, "s", number);
	db_store_row(s, DBC_DEL_USER, "s", number);
}

/* Store one extension; passwords only as HA1, which is all digest needs. */
static void
db_store_ext(struct db_store *s, const struct config *conf,
    const struct extension *e)
{
	char	 ha1[33];

	auth_ha1(e->number, conf->domain, e->password != NULL ?
	    e->password : "", ha1);
	db_store_row(s, DBC_EXT, "ssssi", e->number, ha1, e->base_user,
	    e->location, e->remote_worker);
}

/*
 * Is the row of key (a user or an extension) stored as the digest says?
 * Otherwise it is remembered with the digest, and *existed tells whether
 * an older version must be deleted first.
 */
static int
db_crow_same(struct hmap *rows, const char *key, uint64_t digest,
    int *existed)
{
	struct db_crow	*r;

	*existed = (r = hmap_get(rows, key)) != NULL;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		hmap_put(rows, key, r);
	} else if (r->digest == digest) {
		r->gen = db_crow_gen;
		return (1);
	}
	r->digest = digest;
	r->gen = db_crow_gen;
	return (0);
}

/* Store the users whose rows changed since the last store. */
static void
db_store_users(struct db_store *s, const struct config *conf)
{
	const struct user	*u;
	size_t			 i;
	int			 existed;

	for (i = 0; i < conf->nusers && !s->failed; i++) {
		u = &conf->users[i];
		s->digesting = 1;
		s->digest = DB_FNV_INIT;
		db_store_user(s, u);
		s->digesting = 0;
		if (db_crow_same(db_crow_users, u->number, s->digest, &existed))
			continue;
		if (existed)
			db_store_del_user(s, u->number);
		db_store_user(s, u);
	}
}

/* Store the extensions whose rows changed since the last store. */
static void
db_store_exts(struct db_store *s, const struct config *conf)
{
	const struct extension	*e;
	size_t			 i;
	int			 existed;

	for (i = 0; i < conf->nextensions && !s->failed; i++) {
		e = &conf->extensions[i];
		s->digesting = 1;
		s->digest = DB_FNV_INIT;
		db_store_ext(s, conf, e);
		s->digesting = 0;
		if (db_crow_same(db_crow_exts, e->number, s->digest, &existed))
			continue;
		if (existed)
			db_store_row(s, DBC_DEL_EXT, "s", e->number);
		db_store_ext(s, conf, e);
	}
}

/* hmap_foreach: delete a user this store did not see. */
static void
db_store_gone_user(const char *key, void *val, void *arg)
{
	struct db_crow	*r = val;

	if (r->gen == db_crow_gen)
		return;
	db_store_del_user(arg, key);
	free(hmap_del(db_crow_users, key));
}

/* hmap_foreach: delete an extension this store did not see. */
static void
db_store_gone_ext(const char *key, void *val, void *arg)
{
	struct db_crow	*r = val;

	if (r->gen == db_crow_gen)
		return;
	db_store_row(arg, DBC_DEL_EXT, "s", key);
	free(hmap_del(db_crow_exts, key));
}

/* Store a time profile: one row per range, one empty row if none. */
static void
db_store_tprofile(struct db_store *s, const struct time_profile *tp)
{
	const struct tp_date	*d;
	char			 first[16], last[16];
	size_t			 i;

	if (tp->nweekly == 0 && tp->ndates == 0)
		db_store_row(s, DBC_TP, "sissssss", tp->name, 0, NULL, NULL,
		    NULL, NULL, NULL, NULL);
	for (i = 0; i < tp->nweekly; i++) {
		db_store_row(s, DBC_TP, "sisissii", tp->name, (int)i, "weekly",
		    (int)tp->weekly[i].days, NULL, NULL, tp->weekly[i].start,
		    tp->weekly[i].end);
	}
	for (i = 0; i < tp->ndates; i++) {
		d = &tp->dates[i];
		snprintf(first, sizeof(first), "%04d-%02d-%02d",
		    d->year % 10000, d->month % 100, d->day % 100);
		snprintf(last, sizeof(last), "%04d-%02d-%02d",
		    d->end_year % 10000, d->end_month % 100, d->end_day % 100);
		db_store_row(s, DBC_TP, "sisissii", tp->name,
		    (int)(tp->nweekly + i), "date", 0, first, last, d->start,
		    d->end);
	}
}

/* Store trunks (without passwords) and their DDIs. */
static void
db_store_trunks(struct db_store *s, const struct config *conf)
{
	const struct trunk	*t;
	size_t			 i, j;

	for (i = 0; i < conf->ntrunks; i++) {
		t = &conf->trunks[i];
		db_store_row(s, DBC_TRUNK, "sss", t->name, t->address.text,
		    t->auth_username);
		for (j = 0; j < t->nincoming; j++)
			db_store_row(s, DBC_DDI, "sss", t->name,
			    t->incoming[j].ddi, t->incoming[j].destination);
	}
}

/* Store every config row; s->failed tells. */
static void
db_store_all(struct db_store *s, const struct config *conf)
{
	const struct user_rights *r;
	size_t			 i;

	db_store_row(s, DBC_SITE, "siss", conf->site_name, conf->site_id,
	    conf->domain, conf->timezone);
	db_store_exts(s, conf);
	db_store_trunks(s, conf);
	for (i = 0; i < conf->nuser_rights; i++) {
		r = &conf->user_rights[i];
		db_store_row(s, DBC_RIGHTS, "sii", r->name,
		    r->outgoing_call_bar, r->block_forwarding);
		db_store_shortcodes(s, "rights", r->name, &r->short_codes);
	}
	db_store_shortcodes(s, "system", "", &conf->short_codes);
	for (i = 0; i < conf->ntime_profiles; i++)
		db_store_tprofile(s, &conf->time_profiles[i]);
	db_store_users(s, conf);
	if (s->failed)
		return;
	hmap_foreach(db_crow_users, db_store_gone_user, s);
	hmap_foreach(db_crow_exts, db_store_gone_ext, s);
}

/*
 * Open the transaction and empty what is rewritten whole: every config
 * table when there are no digests, else the small tables.
 */
static int
db_store_begin(char **cause)
{
	if (db_crow_users != NULL && db_crow_exts != NULL)
		return (db_exec("BEGIN; DELETE FROM ddis; DELETE FROM trunks;"
		    " DELETE FROM user_rights;"
		    " DELETE FROM short_codes WHERE tier != 'user';"
		    " DELETE FROM time_profiles; DELETE FROM site", cause));
	db_crow_forget();
	db_crow_users = hmap_new();
	db_crow_exts = hmap_new();
	return (db_exec("BEGIN; DELETE FROM user_buttons; DELETE FROM users;"
	    " DELETE FROM ddis; DELETE FROM trunks; DELETE FROM extensions;"
	    " DELETE FROM user_rights; DELETE FROM short_codes;"
	    " DELETE FROM time_profiles; DELETE FROM site", cause));
}

/* Make the config tables hold conf, in one transaction. */
int
db_store_config(const struct config *conf, char **cause)
{
	struct db_store	 s;
	int		 i;

	*cause = NULL;
	if (db_sqlite() == NULL) {
		xasprintf(cause, "database not open");
		return (-1);
	}
	db_flush();
	memset(&s, 0, sizeof(s));
	db_crow_gen++;
	if (db_store_begin(cause) != 0)
		goto fail;
	for (i = 0; i < DBC_MAX; i++) {
		if (sqlite3_prepare_v2(db_sqlite(), db_cstmt_sql[i], -1,
		    &s.st[i], NULL) != SQLITE_OK)
			s.failed = 1;
	}
	db_store_all(&s, conf);
	if (s.failed) {
		xasprintf(cause, "store config: %s", sqlite3_errmsg(db_sqlite()));
		goto fail;
	}
	for (i = 0; i < DBC_MAX; i++)
		sqlite3_finalize(s.st[i]);
	if (db_exec("COMMIT", cause) == 0) {
		if (db_code_todo != NULL && hmap_count(db_code_todo) > 0 &&
		    db_code_ev != NULL)
			evtimer_add(db_code_ev, &db_code_now);
		return (0);
	}
	memset(&s, 0, sizeof(s));
fail:
	/* The digests may tell of rows the rollback took back. */
	db_crow_forget();
	for (i = 0; i < DBC_MAX; i++)
		sqlite3_finalize(s.st[i]);
	if (!sqlite3_get_autocommit(db_sqlite()))
		db_exec("ROLLBACK", NULL);
	log_warnx("db error op=\"store config\" error=\"%s\"", *cause);
	return (-1);
}

/* The stored login-code hash of user. */
int
db_user_login_code(const char *user, char *out, size_t len)
{
	sqlite3_stmt	*st;
	const char	*h;
	int		 rc = -1;

	if (db_sqlite() == NULL || sqlite3_prepare_v2(db_sqlite(),
	    "SELECT login_code FROM users WHERE number = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	db_bind_text(st, 1, user);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (h = db_col_text(st, 0)) != NULL && strlen(h) < len) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	return (rc);
}

/* Start the login-code hashing from base's loop (db_setup). */
void
db_config_setup(struct event_base *base)
{
	db_code_ev = evtimer_new(base, db_code_tick, NULL);
	if (db_code_ev != NULL)
		event_priority_set(db_code_ev, DB_COMMIT_PRIORITY);
}

/* Forget the codes waiting, the cached hashes and digests (db_close). */
void
db_config_close(void)
{
	if (db_code_ev != NULL) {
		event_free(db_code_ev);
		db_code_ev = NULL;
	}
	hmap_free(db_code_todo, db_code_todo_free);
	db_code_todo = NULL;
	db_code_queue_clear();
	hmap_free(db_code_cache, db_code_free);
	db_code_cache = NULL;
	db_crow_forget();
}
