/*
 * Runtime state of users in SQLite (db_state.h): logins, login locks and
 * handset settings.  These change when a person dials a code, not per SIP
 * message, so statements are prepared per call rather than kept; writes
 * join the loop iteration's batch like every other write (db.h).
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "db.h"
#include "db_state.h"
#include "log.h"

/* Record where a user is logged in (ext NULL: logged out). */
int
db_login_put(const struct db_login *l)
{
	sqlite3_stmt	*st;

	st = db_prepare("INSERT OR REPLACE INTO logins (user, ext, since)"
	    " VALUES (?, ?, ?)");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, l->user);
	db_bind_text(st, 2, l->ext);
	sqlite3_bind_int64(st, 3, l->since);
	return (db_write_stmt(st, "login-put"));
}

/* Forget a user's login row. */
int
db_login_del(const char *user)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare("DELETE FROM logins WHERE user = ?")) == NULL)
		return (-1);
	db_bind_text(st, 1, user);
	return (db_write_stmt(st, "login-del"));
}

/* Every login row. */
int
db_login_foreach(void (*fn)(const struct db_login *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct db_login	 l;

	if ((st = db_prepare("SELECT user, ext, since FROM logins")) == NULL)
		return (-1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		l.user = (const char *)sqlite3_column_text(st, 0);
		l.ext = (const char *)sqlite3_column_text(st, 1);
		l.since = sqlite3_column_int64(st, 2);
		if (l.user != NULL)
			fn(&l, arg);
	}
	sqlite3_finalize(st);
	return (0);
}

/* Record a user's lock counter. */
int
db_lock_put(const struct db_lock *l)
{
	sqlite3_stmt	*st;

	st = db_prepare("INSERT OR REPLACE INTO login_locks"
	    " (user, failures, locked_until) VALUES (?, ?, ?)");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, l->user);
	sqlite3_bind_int(st, 2, l->failures);
	sqlite3_bind_int64(st, 3, l->locked_until);
	return (db_write_stmt(st, "lock-put"));
}

/* Every lock row. */
int
db_lock_foreach(void (*fn)(const struct db_lock *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct db_lock	 l;

	st = db_prepare("SELECT user, failures, locked_until FROM login_locks");
	if (st == NULL)
		return (-1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		l.user = (const char *)sqlite3_column_text(st, 0);
		l.failures = sqlite3_column_int(st, 1);
		l.locked_until = sqlite3_column_int64(st, 2);
		if (l.user != NULL)
			fn(&l, arg);
	}
	sqlite3_finalize(st);
	return (0);
}

/* Record a user's handset settings. */
int
db_settings_put(const struct db_settings *s)
{
	sqlite3_stmt	*st;

	st = db_prepare("INSERT OR REPLACE INTO user_settings (user, changed,"
	    " dnd, cfg_dnd, fwd_number, cfg_fwd_number, fwd_unconditional,"
	    " cfg_fwd_unconditional, fwd_busy, cfg_fwd_busy, fwd_no_answer,"
	    " cfg_fwd_no_answer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, s->user);
	sqlite3_bind_int(st, 2, (int)s->changed);
	sqlite3_bind_int(st, 3, s->dnd);
	sqlite3_bind_int(st, 4, s->cfg_dnd);
	db_bind_text(st, 5, s->fwd_number);
	db_bind_text(st, 6, s->cfg_fwd_number);
	sqlite3_bind_int(st, 7, s->fwd_unconditional);
	sqlite3_bind_int(st, 8, s->cfg_fwd_unconditional);
	sqlite3_bind_int(st, 9, s->fwd_busy);
	sqlite3_bind_int(st, 10, s->cfg_fwd_busy);
	sqlite3_bind_int(st, 11, s->fwd_no_answer);
	sqlite3_bind_int(st, 12, s->cfg_fwd_no_answer);
	return (db_write_stmt(st, "settings-put"));
}

/* Forget a user's settings. */
int
db_settings_del(const char *user)
{
	sqlite3_stmt	*st;

	st = db_prepare("DELETE FROM user_settings WHERE user = ?");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, user);
	return (db_write_stmt(st, "settings-del"));
}

/* Every settings row. */
int
db_settings_foreach(void (*fn)(const struct db_settings *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct db_settings	 s;

	st = db_prepare("SELECT user, changed, dnd, cfg_dnd, fwd_number,"
	    " cfg_fwd_number, fwd_unconditional, cfg_fwd_unconditional,"
	    " fwd_busy, cfg_fwd_busy, fwd_no_answer, cfg_fwd_no_answer"
	    " FROM user_settings");
	if (st == NULL)
		return (-1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		s.user = (const char *)sqlite3_column_text(st, 0);
		s.changed = (unsigned int)sqlite3_column_int(st, 1);
		s.dnd = sqlite3_column_int(st, 2);
		s.cfg_dnd = sqlite3_column_int(st, 3);
		s.fwd_number = (const char *)sqlite3_column_text(st, 4);
		s.cfg_fwd_number = (const char *)sqlite3_column_text(st, 5);
		s.fwd_unconditional = sqlite3_column_int(st, 6);
		s.cfg_fwd_unconditional = sqlite3_column_int(st, 7);
		s.fwd_busy = sqlite3_column_int(st, 8);
		s.cfg_fwd_busy = sqlite3_column_int(st, 9);
		s.fwd_no_answer = sqlite3_column_int(st, 10);
		s.cfg_fwd_no_answer = sqlite3_column_int(st, 11);
		if (s.user != NULL)
			fn(&s, arg);
	}
	sqlite3_finalize(st);
	return (0);
}
