/*
 * The audit log table (db_events.h).  Like db_state.c, statements are
 * prepared per call: events happen when a person dials a code or a link
 * changes, not per SIP message.  Writes join the loop iteration's batch
 * (db.h), and so does the retention DELETE: it runs inside the batch
 * every DB_EVENTS_PRUNE_EVERY rows, so pruning never costs a sync of its
 * own and the table never grows past max_rows + DB_EVENTS_PRUNE_EVERY.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "db.h"
#include "db_events.h"
#include "events.h"
#include "log.h"

static int64_t		 dbe_max_rows = EVENTS_KEEP_ROWS;
static int64_t		 dbe_max_age = EVENTS_KEEP_SECONDS;
static unsigned int	 dbe_added;	/* rows since the last prune */
static sqlite3		*dbe_pruned;	/* the handle pruned at least once */

/* Step a statement that returns no rows, then finalize it; 0 or -1. */
static int
dbe_step(sqlite3_stmt *st, const char *what)
{
	int	 rc = 0;

	if (st == NULL)
		return (-1);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db error op=%s error=\"%s\"", what,
		    sqlite3_errmsg(db_sqlite()));
		rc = -1;
	}
	sqlite3_finalize(st);
	return (rc);
}

/* Retention limits. */
void
db_events_set_retention(int64_t max_rows, int64_t max_age)
{
	dbe_max_rows = max_rows;
	dbe_max_age = max_age;
}

/*
 * Delete rows older than max_age, then all but the newest max_rows (by
 * id: the order they were written in).  Runs inside the caller's
 * transaction when there is one.
 */
static int
dbe_prune(time_t now)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = db_prepare("DELETE FROM events WHERE time < ?");
	if (st == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - dbe_max_age));
	rc = dbe_step(st, "events-prune-age");
	/* With max_rows rows or fewer the subquery is NULL: no row goes. */
	st = db_prepare("DELETE FROM events WHERE id <= (SELECT id FROM"
	    " events ORDER BY id DESC LIMIT 1 OFFSET ?)");
	if (st == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dbe_max_rows);
	if (dbe_step(st, "events-prune-rows") != 0)
		rc = -1;
	dbe_added = 0;
	dbe_pruned = db_sqlite();
	return (rc);
}

/* Delete what retention no longer keeps, in the write batch. */
int
db_events_prune(time_t now)
{
	if (db_write_begin() != 0)
		return (-1);
	return (db_write_end(dbe_prune(now)));
}

/* Append an event; every DB_EVENTS_PRUNE_EVERY rows, prune too. */
int
db_events_add(const struct db_event *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = db_prepare("INSERT INTO events (time, kind, user, ext, site,"
	    " peer, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->time);
	db_bind_text(st, 2, e->kind);
	db_bind_text(st, 3, e->user);
	db_bind_text(st, 4, e->ext);
	db_bind_text(st, 5, e->site);
	db_bind_text(st, 6, e->peer);
	db_bind_text(st, 7, e->reason);
	db_bind_text(st, 8, e->detail);
	if (db_write_begin() != 0) {
		sqlite3_finalize(st);
		return (-1);
	}
	rc = dbe_step(st, "events-add");
	/* The first row after an open prunes what aged while we were down. */
	if (rc == 0 && (++dbe_added >= DB_EVENTS_PRUNE_EVERY ||
	    dbe_pruned != db_sqlite()))
		dbe_prune(e->time);
	return (db_write_end(rc));
}

/* The newest limit matching events, oldest first. */
int
db_events_foreach(time_t since, const char *user, int limit,
    void (*fn)(const struct db_event *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct db_event	 e;
	int		 rc;

	st = db_prepare("SELECT id, time, kind, user, ext, site, peer,"
	    " reason, detail FROM (SELECT * FROM events WHERE time >= ?1 AND"
	    " (?2 IS NULL OR user = ?2) ORDER BY id DESC LIMIT ?3)"
	    " ORDER BY id");
	if (st == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	db_bind_text(st, 2, user);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(st, 0);
		e.time = (time_t)sqlite3_column_int64(st, 1);
		e.kind = (const char *)sqlite3_column_text(st, 2);
		e.user = (const char *)sqlite3_column_text(st, 3);
		e.ext = (const char *)sqlite3_column_text(st, 4);
		e.site = (const char *)sqlite3_column_text(st, 5);
		e.peer = (const char *)sqlite3_column_text(st, 6);
		e.reason = (const char *)sqlite3_column_text(st, 7);
		e.detail = (const char *)sqlite3_column_text(st, 8);
		fn(&e, arg);
	}
	if (rc != SQLITE_DONE)
		log_warnx("db error op=events-foreach error=\"%s\"",
		    sqlite3_errmsg(db_sqlite()));
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Rows stored. */
int64_t
db_events_count(void)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if ((st = db_prepare("SELECT count(*) FROM events")) == NULL)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}
