/*
 * Everything SQLite.  This is the only file that includes <sqlite3.h>.
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

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "db_ckpt.h"
#include "db_hash.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

#define DB_BUSY_TIMEOUT_MS	5000
#define DB_BATCH_MAX		1000
#define DB_COMMIT_PRIORITY	2
#define DB_WARN_INTERVAL	60	/* seconds between storage warnings */

#define DB_PBKDF2_ITER		10000
#define DB_PBKDF2_MAX_ITER	1000000	/* bounds the cost of a bad row */
#define DB_SALT_LEN		16
#define DB_HASH_LEN		32
#define DB_HASH_PREFIX		"pbkdf2-sha256$"

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
static void	db_code_free(void *);
static void	db_code_queue_clear(void);
static void	db_code_tick(evutil_socket_t, short, void *);
static void	db_code_todo_free(void *);
static void	db_crow_forget(void);

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
static int
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
static int
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
static const char *
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
	db_code_ev = evtimer_new(base, db_code_tick, NULL);
	if (db_code_ev != NULL)
		event_priority_set(db_code_ev, DB_COMMIT_PRIORITY);
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
	if (db_code_ev != NULL) {
		event_free(db_code_ev);
		db_code_ev = NULL;
	}
	hmap_free(db_code_todo, db_code_todo_free);
	db_code_todo = NULL;
	db_code_queue_clear();
	for (i = 0; i < DBS_MAX; i++) {
		sqlite3_finalize(db_stmts[i]);
		db_stmts[i] = NULL;
	}
	if (sqlite3_close(db_handle) != SQLITE_OK)
		db_log_error("close");
	db_handle = NULL;
	db_version = 0;
	hmap_free(db_code_cache, db_code_free);
	db_code_cache = NULL;
	db_crow_forget();
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

	if (db_code_todo == NULL || db_handle == NULL)
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
	if (db_handle == NULL) {
		xasprintf(cause, "database not open");
		return (-1);
	}
	db_flush();
	memset(&s, 0, sizeof(s));
	db_crow_gen++;
	if (db_store_begin(cause) != 0)
		goto fail;
	for (i = 0; i < DBC_MAX; i++) {
		if (sqlite3_prepare_v2(db_handle, db_cstmt_sql[i], -1,
		    &s.st[i], NULL) != SQLITE_OK)
			s.failed = 1;
	}
	db_store_all(&s, conf);
	if (s.failed) {
		xasprintf(cause, "store config: %s", sqlite3_errmsg(db_handle));
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
	if (!sqlite3_get_autocommit(db_handle))
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

	if (db_handle == NULL || sqlite3_prepare_v2(db_handle,
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

/* Hex-encode n bytes into out (2n + 1). */
static void
db_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Decode exactly len hex chars of s into out; returns bytes or -1. */
static int
db_unhex(const char *s, size_t len, unsigned char *out, size_t max)
{
	size_t	 i;
	int	 hi, lo;

	if (len % 2 != 0 || len / 2 > max || len == 0)
		return (-1);
	for (i = 0; i < len; i += 2) {
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return (-1);
		hi = isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    tolower((unsigned char)s[i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
		    tolower((unsigned char)s[i + 1]) - 'a' + 10;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return ((int)(len / 2));
}

/* Hash a login code: "pbkdf2-sha256$iter$salthex$hashhex". */
int
db_login_code_hash(const char *code, char *out, size_t len)
{
	unsigned char	 salt[DB_SALT_LEN], hash[DB_HASH_LEN];
	char		 salthex[2 * DB_SALT_LEN + 1];
	char		 hashhex[2 * DB_HASH_LEN + 1];
	int		 n;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return (-1);
	if (db_pbkdf2_sha256(code, strlen(code), salt, sizeof(salt),
	    DB_PBKDF2_ITER, hash, sizeof(hash)) != 0)
		return (-1);
	db_hex(salt, sizeof(salt), salthex);
	db_hex(hash, sizeof(hash), hashhex);
	n = snprintf(out, len, DB_HASH_PREFIX "%d$%s$%s", DB_PBKDF2_ITER,
	    salthex, hashhex);
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(hashhex, sizeof(hashhex));
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* Does code match a stored hash?  1 yes, 0 no (also when malformed). */
int
db_login_code_verify(const char *code, const char *stored)
{
	unsigned char	 salt[64], want[64], got[64];
	const char	*p, *salthex, *hashhex;
	char		*end;
	long		 iter;
	int		 nsalt, nhash, ok;

	if (code == NULL || stored == NULL ||
	    strncmp(stored, DB_HASH_PREFIX, strlen(DB_HASH_PREFIX)) != 0)
		return (0);
	p = stored + strlen(DB_HASH_PREFIX);
	iter = strtol(p, &end, 10);
	if (end == p || *end != '$' || iter < 1 || iter > DB_PBKDF2_MAX_ITER)
		return (0);
	salthex = end + 1;
	if ((p = strchr(salthex, '$')) == NULL)
		return (0);
	hashhex = p + 1;
	nsalt = db_unhex(salthex, (size_t)(p - salthex), salt, sizeof(salt));
	nhash = db_unhex(hashhex, strlen(hashhex), want, sizeof(want));
	if (nsalt == -1 || nhash == -1)
		return (0);
	if (db_pbkdf2_sha256(code, strlen(code), salt, (size_t)nsalt, iter,
	    got, (size_t)nhash) != 0)
		return (0);
	ok = CRYPTO_memcmp(got, want, (size_t)nhash) == 0;
	explicit_bzero(got, sizeof(got));
	return (ok);
}
