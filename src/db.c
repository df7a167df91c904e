/*
 * The SQLite handle, the schema and the write batches.  Only db*.c include
 * <sqlite3.h>; db_config.c writes the config tables, db_state.c and the
 * other siblings their own.
 *
 * Durability without an fsync per message: the database runs in WAL mode
 * with synchronous=NORMAL, and every write (a registration, a call record)
 * joins one transaction that stays open until the end of the current
 * event-loop iteration.  The first write of an iteration BEGINs and makes a
 * priority 2 event active; the loop runs it only after every normal
 * (priority 1) event of the iteration, so all writes of that iteration are
 * committed together.  A batch that grows past DB_BATCH_MAX writes is
 * committed at once, so a busy loop that never drains its priority 1 events
 * cannot hold the transaction open for ever.
 *
 * Errors are logged with sqlite3_errmsg() and returned as -1, never fatal:
 * a full disk must not take the telephones down with it.  Storage failures
 * (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR) are logged once per kind per
 * DB_WARN_INTERVAL seconds with a count of the ones held back, so a full
 * disk during a registration storm does not also fill the journal.
 *
 * Acknowledge only what is stored: a module that answers a change (the
 * 200 to a REGISTER, to a feature code, a peer's SETTINGS_ACK) registers
 * db_after_commit(); its callback runs right after the COMMIT of the batch
 * that holds the change, so a kill -9 can never lose a change that was
 * acknowledged.  Callbacks never run inside db_write_end() (a caller may be
 * walking its own lists there): a batch committed early for size hands its
 * callbacks to the commit event.
 *
 * The schema is versioned: db_migrations[i] brings a database from version
 * i to i + 1, each inside its own transaction, so version 2 is one more
 * function appended to the list.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "db.h"
#include "db_ckpt.h"
#include "log.h"
#include "xmalloc.h"

#define DB_BUSY_TIMEOUT_MS	5000
#define DB_BATCH_MAX		1000
#define DB_WARN_INTERVAL	60	/* seconds between storage warnings */

/* Statements prepared once at open: the hot path never parses SQL. */
enum db_stmt {
	DBS_BEGIN,
	DBS_COMMIT,
	DBS_ROLLBACK,
	DBS_REG_PUT,
	DBS_REG_DEL,
	DBS_REG_DEL_EXT,
	DBS_REG_DEL_ALL,
	DBS_REG_ALL,
	DBS_CDR_ADD,
	DBS_CDR_SINCE,
	DBS_MAX
};

static const char *const db_stmt_sql[DBS_MAX] = {
	[DBS_BEGIN] = "BEGIN",
	[DBS_COMMIT] = "COMMIT",
	[DBS_ROLLBACK] = "ROLLBACK",
	[DBS_REG_PUT] = "INSERT OR REPLACE INTO registrations (ext, contact,"
	    " peer, callid, cseq, user_agent, expires)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[DBS_REG_DEL] = "DELETE FROM registrations WHERE ext = ? AND"
	    " contact = ?",
	[DBS_REG_DEL_EXT] = "DELETE FROM registrations WHERE ext = ?",
	[DBS_REG_DEL_ALL] = "DELETE FROM registrations",
	[DBS_REG_ALL] = "SELECT ext, contact, peer, callid, cseq, user_agent,"
	    " expires FROM registrations ORDER BY ext, contact",
	[DBS_CDR_ADD] = "INSERT INTO cdr (callid, caller_user, caller_ext,"
	    " caller_number, callee, callee_user, trunk, start_time,"
	    " answer_time, end_time, cause, reason, sites)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[DBS_CDR_SINCE] = "SELECT callid, caller_user, caller_ext,"
	    " caller_number, callee, callee_user, trunk, start_time,"
	    " answer_time, end_time, cause, reason, sites FROM cdr"
	    " WHERE start_time >= ? ORDER BY id",
};

static sqlite3		*db_handle;
static sqlite3_stmt	*db_stmts[DBS_MAX];
static struct event	*db_commit_ev;
static unsigned int	 db_batch_writes;
static int		 db_version;

/* A callback waiting for its batch's COMMIT (db_after_commit). */
struct db_hook {
	void			(*fn)(void *);
	void			*arg;
	int			 ok;	/* once ready: committed? */
	TAILQ_ENTRY(db_hook)	 entry;
};
TAILQ_HEAD(db_hooks, db_hook);
static struct db_hooks	 db_waiting = TAILQ_HEAD_INITIALIZER(db_waiting);
static struct db_hooks	 db_ready = TAILQ_HEAD_INITIALIZER(db_ready);
static int		 db_commit_ok = 1;	/* for the running hook */

/* Storage failure kinds, each warned about at most once a minute. */
enum db_fail {
	DBF_FULL,
	DBF_READONLY,
	DBF_IOERR,
	DBF_MAX
};
static const char *const db_fail_names[DBF_MAX] = {
	"full", "readonly", "ioerr"
};
static time_t		 db_fail_warned[DBF_MAX];
static unsigned int	 db_fail_held[DBF_MAX];
static int		 db_failing;	/* the last commit failed */


/* Version 1: the config tables, registrations and call records. */
static const char db_schema_v1[] =
    "CREATE TABLE site (name TEXT NOT NULL, id INTEGER NOT NULL,"
    " domain TEXT NOT NULL, timezone TEXT);"
    "CREATE TABLE users (number TEXT PRIMARY KEY, name TEXT,"
    " login_code TEXT, force_login INTEGER NOT NULL DEFAULT 0,"
    " profile TEXT NOT NULL, user_rights TEXT,"
    " out_of_hours_user_rights TEXT, working_hours_time_profile TEXT,"
    " dnd INTEGER NOT NULL DEFAULT 0, fwd_number TEXT,"
    " fwd_unconditional INTEGER NOT NULL DEFAULT 0,"
    " fwd_busy INTEGER NOT NULL DEFAULT 0,"
    " fwd_no_answer INTEGER NOT NULL DEFAULT 0,"
    " fwd_no_answer_time INTEGER NOT NULL DEFAULT 15,"
    " twinning_number TEXT, twinning_enabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE user_buttons (user TEXT NOT NULL REFERENCES users(number)"
    " ON DELETE CASCADE, pos INTEGER NOT NULL, type TEXT NOT NULL,"
    " target_user TEXT, trunk TEXT, number TEXT, site TEXT,"
    " PRIMARY KEY (user, pos));"
    "CREATE TABLE extensions (number TEXT PRIMARY KEY, ha1 TEXT NOT NULL,"
    " base_user TEXT, location TEXT,"
    " remote_worker INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE trunks (name TEXT PRIMARY KEY, address TEXT NOT NULL,"
    " auth_username TEXT);"
    "CREATE TABLE ddis (trunk TEXT NOT NULL REFERENCES trunks(name)"
    " ON DELETE CASCADE, ddi TEXT NOT NULL, destination TEXT NOT NULL,"
    " PRIMARY KEY (trunk, ddi));"
    "CREATE TABLE user_rights (name TEXT PRIMARY KEY,"
    " outgoing_call_bar INTEGER NOT NULL DEFAULT 0,"
    " block_forwarding INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE short_codes (tier TEXT NOT NULL, owner TEXT NOT NULL,"
    " pos INTEGER NOT NULL, code TEXT NOT NULL, feature TEXT NOT NULL,"
    " number TEXT, trunk TEXT, site TEXT,"
    " PRIMARY KEY (tier, owner, pos));"
    "CREATE TABLE time_profiles (name TEXT NOT NULL, pos INTEGER NOT NULL,"
    " kind TEXT, days INTEGER, first_date TEXT, last_date TEXT,"
    " start_min INTEGER, end_min INTEGER, PRIMARY KEY (name, pos));"
    "CREATE TABLE registrations (ext TEXT NOT NULL, contact TEXT NOT NULL,"
    " peer TEXT, callid TEXT, cseq INTEGER NOT NULL DEFAULT 0,"
    " user_agent TEXT, expires INTEGER NOT NULL,"
    " PRIMARY KEY (ext, contact));"
    "CREATE TABLE cdr (id INTEGER PRIMARY KEY AUTOINCREMENT, callid TEXT,"
    " caller_user TEXT, caller_ext TEXT, caller_number TEXT, callee TEXT,"
    " callee_user TEXT, trunk TEXT, start_time INTEGER NOT NULL,"
    " answer_time INTEGER NOT NULL DEFAULT 0, end_time INTEGER NOT NULL,"
    " cause INTEGER NOT NULL, reason TEXT);"
    "CREATE INDEX cdr_start ON cdr (start_time);";

static int	db_migrate_v1(char **);
static int	db_migrate_v2(char **);
static int	db_migrate_v3(char **);
static int	db_migrate_v4(char **);
static int	db_migrate_v5(char **);

/* db_migrations[i] migrates version i to i + 1; append, never edit. */
static int (*const db_migrations[DB_SCHEMA_VERSION])(char **) = {
	db_migrate_v1,
	db_migrate_v2,
	db_migrate_v3,
	db_migrate_v4,
	db_migrate_v5,
};

/* The storage failure kind of an SQLite result code, or DBF_MAX. */
static enum db_fail
db_fail_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return (DBF_FULL);
	case SQLITE_READONLY:
		return (DBF_READONLY);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return (DBF_IOERR);
	default:
		return (DBF_MAX);
	}
}

/*
 * A write could not be stored: say so loudly, but once per kind per
 * DB_WARN_INTERVAL, with how many were held back since the last warning.
 */
static void
db_warn_storage(enum db_fail k, const char *what, const char *msg)
{
	time_t	 now = time(NULL);

	db_failing = 1;
	if (db_fail_warned[k] != 0 && now - db_fail_warned[k] <
	    DB_WARN_INTERVAL) {
		db_fail_held[k]++;
		return;
	}
	log_warnx("db storage failed kind=%s op=%s error=\"%s\" held=%u "
	    "changes refused, calls routed from memory", db_fail_names[k],
	    what, msg, db_fail_held[k]);
	db_fail_warned[k] = now;
	db_fail_held[k] = 0;
}

/* Log the last SQLite error for what we were doing. */
static void
db_log_error(const char *what)
{
	enum db_fail	 k = DBF_MAX;

	if (db_handle != NULL)
		k = db_fail_kind(sqlite3_extended_errcode(db_handle));
	if (k != DBF_MAX) {
		db_warn_storage(k, what, sqlite3_errmsg(db_handle));
		return;
	}
	log_warnx("db error op=%s error=\"%s\"", what,
	    db_handle != NULL ? sqlite3_errmsg(db_handle) : "not open");
}

/* Run a script; on failure set *cause. */
int
db_exec(const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(db_handle, sql, NULL, NULL, &err) == SQLITE_OK)
		return (0);
	if (cause != NULL)
		xasprintf(cause, "%s", err != NULL ? err : "sqlite error");
	sqlite3_free(err);
	return (-1);
}

/* Step a prepared statement that returns no rows and reset it. */
int
db_step_done(sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_log_error(what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Bind text or NULL. */
void
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

/* Column text, or NULL. */
const char *
db_col_text(sqlite3_stmt *st, int idx)
{
	return ((const char *)sqlite3_column_text(st, idx));
}

/* Create every table of version 1. */
static int
db_migrate_v1(char **cause)
{
	return (db_exec(db_schema_v1, cause));
}

/*
 * Version 2: the runtime state of users (db_state.c) - where each is
 * logged in, their login lock counter, their handset settings.
 */
static int
db_migrate_v2(char **cause)
{
	return (db_exec(
	    "CREATE TABLE logins (user TEXT PRIMARY KEY, ext TEXT,"
	    " since INTEGER NOT NULL DEFAULT 0);"
	    "CREATE TABLE login_locks (user TEXT PRIMARY KEY,"
	    " failures INTEGER NOT NULL, locked_until INTEGER NOT NULL);"
	    "CREATE TABLE user_settings (user TEXT PRIMARY KEY,"
	    " changed INTEGER NOT NULL, dnd INTEGER, cfg_dnd INTEGER,"
	    " fwd_number TEXT, cfg_fwd_number TEXT,"
	    " fwd_unconditional INTEGER, cfg_fwd_unconditional INTEGER,"
	    " fwd_busy INTEGER, cfg_fwd_busy INTEGER,"
	    " fwd_no_answer INTEGER, cfg_fwd_no_answer INTEGER);", cause));
}

/*
 * Version 3: remote hot desking (db_peerq.c) - the outbound peer queue
 * that survives a restart (R7, F2) and, per home user, the generation
 * and the remote host home recorded (F3: a home restart alone does not
 * pull a remote user back).
 */
static int
db_migrate_v3(char **cause)
{
	return (db_exec(
	    "CREATE TABLE peer_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " peer TEXT NOT NULL, type INTEGER NOT NULL, user TEXT,"
	    " generation INTEGER NOT NULL DEFAULT 0, frame BLOB NOT NULL,"
	    " created INTEGER NOT NULL);"
	    "CREATE INDEX peer_queue_peer ON peer_queue (peer, id);"
	    "CREATE TABLE remote_locations (user TEXT PRIMARY KEY,"
	    " generation INTEGER NOT NULL, site TEXT, ext TEXT,"
	    " settings_gen INTEGER NOT NULL DEFAULT 0);", cause));
}

/*
 * Version 4: the audit log (db_events.c) - logins, logouts, failures,
 * lock-outs and remote decisions, pruned to the newest rows (issue 6).
 */
static int
db_migrate_v4(char **cause)
{
	return (db_exec(
	    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " time INTEGER NOT NULL, kind TEXT NOT NULL, user TEXT, ext TEXT,"
	    " site TEXT, peer TEXT, reason TEXT, detail TEXT);"
	    "CREATE INDEX events_time ON events (time);"
	    "CREATE INDEX events_user ON events (user, id);", cause));
}

/*
 * Version 5: the sites a call crossed, in the call record (issue 6):
 * "london>paris".  Older records have none (NULL).
 */
static int
db_migrate_v5(char **cause)
{
	return (db_exec("ALTER TABLE cdr ADD COLUMN sites TEXT;", cause));
}

/* The version recorded in the database; 0 for a new one, -1 on error. */
static int
db_read_version(char **cause)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (db_exec("CREATE TABLE IF NOT EXISTS schema_version"
	    " (version INTEGER NOT NULL)", cause) != 0)
		return (-1);
	if (sqlite3_prepare_v2(db_handle,
	    "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(db_handle));
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		xasprintf(cause, "%s", sqlite3_errmsg(db_handle));
	sqlite3_finalize(st);
	return (v);
}

/* Apply one migration and record the new version, in one transaction. */
static int
db_migrate_one(int to, char **cause)
{
	char	 sql[128];

	if (db_exec("BEGIN", cause) != 0)
		return (-1);
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version;"
	    "INSERT INTO schema_version (version) VALUES (%d)", to);
	if (db_migrations[to - 1](cause) != 0 || db_exec(sql, cause) != 0 ||
	    db_exec("COMMIT", cause) != 0) {
		db_exec("ROLLBACK", NULL);
		return (-1);
	}
	log_info("db migrated version=%d", to);
	return (0);
}

/* Bring the schema forward to DB_SCHEMA_VERSION. */
static int
db_migrate(char **cause)
{
	int	 v;

	if ((v = db_read_version(cause)) == -1)
		return (-1);
	if (v > DB_SCHEMA_VERSION) {
		xasprintf(cause, "database schema version %d is newer than"
		    " this roamd (%d)", v, DB_SCHEMA_VERSION);
		return (-1);
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		if (db_migrate_one(v + 1, cause) != 0)
			return (-1);
	}
	db_version = v;
	return (0);
}

/* The loop iteration is over: commit its writes. */
static void
db_commit_cb(evutil_socket_t fd, short events, void *arg)
{
	db_flush();
}

/* Settings, migration, prepared statements and the commit event. */
static int
db_setup(struct event_base *base, char **cause)
{
	int	 i;

	sqlite3_busy_timeout(db_handle, DB_BUSY_TIMEOUT_MS);
	/* ":memory:" answers "memory" to WAL; that is fine. */
	if (db_exec("PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON", cause) != 0)
		return (-1);
	if (db_migrate(cause) != 0)
		return (-1);
	for (i = 0; i < DBS_MAX; i++) {
		if (sqlite3_prepare_v3(db_handle, db_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db_stmts[i], NULL) !=
		    SQLITE_OK) {
			xasprintf(cause, "prepare: %s",
			    sqlite3_errmsg(db_handle));
			return (-1);
		}
	}
	if (base == NULL)
		return (0);
	db_ckpt_start(db_handle);
	db_commit_ev = event_new(base, -1, 0, db_commit_cb, NULL);
	if (db_commit_ev == NULL) {
		xasprintf(cause, "event_new failed");
		return (-1);
	}
	/* Without event_base_priority_init(base, 3) this fails: keep 1. */
	if (event_priority_set(db_commit_ev, DB_COMMIT_PRIORITY) != 0)
		log_debug("db commit event at default priority");
	db_config_setup(base);
	return (0);
}

/* Open (create, migrate) the database at path. */
int
db_open(const char *path, struct event_base *base, char **cause)
{
	int	 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	*cause = NULL;
	if (db_handle != NULL)
		db_close();
	if (sqlite3_open_v2(path, &db_handle, flags, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, db_handle != NULL ?
		    sqlite3_errmsg(db_handle) : "out of memory");
		db_close();
		return (-1);
	}
	if (db_setup(base, cause) != 0) {
		db_close();
		return (-1);
	}
	log_debug("db open path=%s version=%d", path, db_version);
	return (0);
}

/* Commit what is pending and release everything. */
void
db_close(void)
{
	int	 i;

	if (db_handle == NULL)
		return;
	db_flush();
	db_flush();		/* what the last hooks wrote */
	db_ckpt_stop(db_handle);
	if (db_commit_ev != NULL) {
		event_free(db_commit_ev);
		db_commit_ev = NULL;
	}
	db_config_close();
	for (i = 0; i < DBS_MAX; i++) {
		sqlite3_finalize(db_stmts[i]);
		db_stmts[i] = NULL;
	}
	if (sqlite3_close(db_handle) != SQLITE_OK)
		db_log_error("close");
	db_handle = NULL;
	db_version = 0;
}

/* The schema version of the open database. */
int
db_schema_version(void)
{
	return (db_version);
}

/* Hand every waiting hook to the ready list with the batch's outcome. */
static void
db_hooks_settle(int ok)
{
	struct db_hook	*h;

	while ((h = TAILQ_FIRST(&db_waiting)) != NULL) {
		TAILQ_REMOVE(&db_waiting, h, entry);
		h->ok = ok;
		TAILQ_INSERT_TAIL(&db_ready, h, entry);
	}
}

/* Run the ready hooks; ones they add wait for their own batch. */
static void
db_hooks_run(void)
{
	struct db_hooks	 run = TAILQ_HEAD_INITIALIZER(run);
	struct db_hook	*h;

	TAILQ_CONCAT(&run, &db_ready, entry);
	while ((h = TAILQ_FIRST(&run)) != NULL) {
		TAILQ_REMOVE(&run, h, entry);
		db_commit_ok = h->ok;
		h->fn(h->arg);
		free(h);
	}
	db_commit_ok = 1;
}

/*
 * COMMIT the open batch (if any) and settle its hooks.  A failed COMMIT
 * (disk full, read-only file) may leave the transaction open: roll it
 * back so the next write starts clean and nothing half-stored lingers.
 */
static int
db_commit_batch(void)
{
	int	 ok = 1;

	if (db_handle != NULL && !sqlite3_get_autocommit(db_handle)) {
		db_batch_writes = 0;
		ok = db_step_done(db_stmts[DBS_COMMIT], "commit") == 0;
		if (!ok && !sqlite3_get_autocommit(db_handle))
			db_step_done(db_stmts[DBS_ROLLBACK], "rollback");
		if (ok && db_failing) {
			log_info("db storage recovered, changes stored again");
			db_failing = 0;
		}
	}
	db_hooks_settle(ok);
	return (ok ? 0 : -1);
}

/* Commit the open batch now and run the hooks waiting for it. */
int
db_flush(void)
{
	int	 rc;

	rc = db_commit_batch();
	db_hooks_run();
	return (rc);
}

/*
 * Run fn(arg) once the writes made so far are committed: after the
 * batch's COMMIT, or at once when no batch is open.
 */
void
db_after_commit(void (*fn)(void *), void *arg)
{
	struct db_hook	*h;

	if (db_handle == NULL || sqlite3_get_autocommit(db_handle)) {
		db_commit_ok = 1;
		fn(arg);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->arg = arg;
	TAILQ_INSERT_TAIL(&db_waiting, h, entry);
}

/* Did the COMMIT the running db_after_commit() hook waited for succeed? */
int
db_last_commit_ok(void)
{
	return (db_commit_ok);
}

/* Is storage failing right now (the last COMMIT or write failed)? */
int
db_storage_failing(void)
{
	return (db_failing);
}

/* Writes waiting in the open batch. */
unsigned int
db_pending(void)
{
	if (db_handle == NULL || sqlite3_get_autocommit(db_handle))
		return (0);
	return (db_batch_writes);
}

/*
 * For db_*.c siblings whose rows change when a person acts, not per SIP
 * message: a statement prepared per call (NULL and a log line on error).
 */
sqlite3_stmt *
db_prepare(const char *sql)
{
	sqlite3_stmt	*st;

	if (db_handle == NULL)
		return (NULL);
	if (sqlite3_prepare_v2(db_handle, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db error op=prepare error=\"%s\"",
		    sqlite3_errmsg(db_handle));
		return (NULL);
	}
	return (st);
}

/* Step a prepared write inside the batch, then finalize it; 0 or -1. */
int
db_write_stmt(sqlite3_stmt *st, const char *what)
{
	int	 rc = 0;

	if (st == NULL)
		return (-1);
	if (db_write_begin() != 0) {
		sqlite3_finalize(st);
		return (-1);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db error op=%s error=\"%s\"", what,
		    sqlite3_errmsg(db_handle));
		rc = -1;
	}
	sqlite3_finalize(st);
	return (db_write_end(rc));
}

/* The SQLite handle, for db_*.c siblings. */
sqlite3 *
db_sqlite(void)
{
	return (db_handle);
}

/* Make sure a batch transaction is open before a write. */
int
db_write_begin(void)
{
	if (db_handle == NULL) {
		log_warnx("db error op=write error=\"not open\"");
		return (-1);
	}
	if (!sqlite3_get_autocommit(db_handle))
		return (0);
	if (db_step_done(db_stmts[DBS_BEGIN], "begin") != 0)
		return (-1);
	db_batch_writes = 0;
	if (db_commit_ev != NULL)
		event_active(db_commit_ev, EV_TIMEOUT, 1);
	return (0);
}

/*
 * After a write: commit now when not batching or the batch is large.  A
 * failed write may have rolled the whole batch back (SQLite does that on
 * SQLITE_FULL and I/O errors): the hooks waiting for it then learn that
 * their changes are gone.  Hooks run from the commit event, never here.
 */
int
db_write_end(int rc)
{
	if (rc != 0 && db_handle != NULL && sqlite3_get_autocommit(db_handle) &&
	    !TAILQ_EMPTY(&db_waiting)) {
		db_batch_writes = 0;
		db_hooks_settle(0);
	}
	if (db_commit_ev == NULL) {
		if (db_flush() != 0)
			return (-1);
		return (rc);
	}
	if (++db_batch_writes >= DB_BATCH_MAX && db_commit_batch() != 0)
		rc = -1;
	if (!TAILQ_EMPTY(&db_ready))
		event_active(db_commit_ev, EV_TIMEOUT, 1);
	return (rc);
}

/* Insert or update a registration binding. */
int
db_reg_put(const struct db_reg *r)
{
	sqlite3_stmt	*st;

	if (db_write_begin() != 0)
		return (-1);
	st = db_stmts[DBS_REG_PUT];
	db_bind_text(st, 1, r->ext);
	db_bind_text(st, 2, r->contact);
	db_bind_text(st, 3, r->peer);
	db_bind_text(st, 4, r->callid);
	sqlite3_bind_int64(st, 5, r->cseq);
	db_bind_text(st, 6, r->user_agent);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->expires);
	return (db_write_end(db_step_done(st, "reg put")));
}

/* Delete one binding, all of an extension (contact NULL), or all. */
int
db_reg_del(const char *ext, const char *contact)
{
	sqlite3_stmt	*st;

	if (db_write_begin() != 0)
		return (-1);
	if (ext == NULL)
		st = db_stmts[DBS_REG_DEL_ALL];
	else if (contact == NULL)
		st = db_stmts[DBS_REG_DEL_EXT];
	else
		st = db_stmts[DBS_REG_DEL];
	if (ext != NULL)
		db_bind_text(st, 1, ext);
	if (ext != NULL && contact != NULL)
		db_bind_text(st, 2, contact);
	return (db_write_end(db_step_done(st, "reg del")));
}

/* Call fn for every stored binding. */
int
db_reg_foreach(void (*fn)(const struct db_reg *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct db_reg	 r;
	int		 rc;

	if (db_handle == NULL)
		return (-1);
	st = db_stmts[DBS_REG_ALL];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.ext = db_col_text(st, 0);
		r.contact = db_col_text(st, 1);
		r.peer = db_col_text(st, 2);
		r.callid = db_col_text(st, 3);
		r.cseq = (unsigned int)sqlite3_column_int64(st, 4);
		r.user_agent = db_col_text(st, 5);
		r.expires = (time_t)sqlite3_column_int64(st, 6);
		fn(&r, arg);
	}
	if (rc != SQLITE_DONE)
		db_log_error("reg foreach");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Append a call record. */
int
db_cdr_add(const struct db_cdr *c)
{
	sqlite3_stmt	*st;

	if (db_write_begin() != 0)
		return (-1);
	st = db_stmts[DBS_CDR_ADD];
	db_bind_text(st, 1, c->callid);
	db_bind_text(st, 2, c->caller_user);
	db_bind_text(st, 3, c->caller_ext);
	db_bind_text(st, 4, c->caller_number);
	db_bind_text(st, 5, c->callee);
	db_bind_text(st, 6, c->callee_user);
	db_bind_text(st, 7, c->trunk);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)c->start);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)c->answer);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)c->end);
	sqlite3_bind_int(st, 11, c->cause);
	db_bind_text(st, 12, c->reason);
	db_bind_text(st, 13, c->sites);
	return (db_write_end(db_step_done(st, "cdr add")));
}

/* Call fn for every call record that started at or after since. */
int
db_cdr_foreach(time_t since, void (*fn)(const struct db_cdr *, void *),
    void *arg)
{
	sqlite3_stmt	*st;
	struct db_cdr	 c;
	int		 rc;

	if (db_handle == NULL)
		return (-1);
	st = db_stmts[DBS_CDR_SINCE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.callid = db_col_text(st, 0);
		c.caller_user = db_col_text(st, 1);
		c.caller_ext = db_col_text(st, 2);
		c.caller_number = db_col_text(st, 3);
		c.callee = db_col_text(st, 4);
		c.callee_user = db_col_text(st, 5);
		c.trunk = db_col_text(st, 6);
		c.start = (time_t)sqlite3_column_int64(st, 7);
		c.answer = (time_t)sqlite3_column_int64(st, 8);
		c.end = (time_t)sqlite3_column_int64(st, 9);
		c.cause = sqlite3_column_int(st, 10);
		c.reason = db_col_text(st, 11);
		c.sites = db_col_text(st, 12);
		fn(&c, arg);
	}
	if (rc != SQLITE_DONE)
		db_log_error("cdr foreach");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}
