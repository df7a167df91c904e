/*
 * Everything SQLite: the only module that includes <sqlite3.h>.  WAL mode;
 * writes open a transaction that is committed once per event-loop
 * iteration (a low-priority libevent event), so nothing on the hot path
 * syncs per message.  Statements are prepared once.  The schema is
 * versioned and migrated forward at open.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct event_base;

#define DB_SCHEMA_VERSION	5
/* "pbkdf2-sha256$10000$<32 hex salt>$<64 hex hash>" fits with room. */
#define DB_LOGIN_HASH_LEN	160

struct db_reg {
	const char	*ext;
	const char	*contact;
	const char	*peer;		/* "udp:1.2.3.4:5060" */
	const char	*callid;
	unsigned int	 cseq;
	const char	*user_agent;
	time_t		 expires;
};

struct db_cdr {
	const char	*callid;
	const char	*caller_user;	/* NULL for NoUser / external */
	const char	*caller_ext;	/* device, or trunk/peer name */
	const char	*caller_number;	/* as presented */
	const char	*callee;	/* dialled */
	const char	*callee_user;
	const char	*trunk;
	time_t		 start;
	time_t		 answer;	/* 0 when not answered */
	time_t		 end;
	int		 cause;		/* final SIP status, 200 answered */
	const char	*reason;
	const char	*sites;		/* crossed: "london>paris" */
};

/*
 * Open (create, migrate) path; ":memory:" for tests.  0, or -1 with a
 * malloc'd *cause the caller frees.  With a NULL base every write commits
 * at once; else writes are batched and committed by a priority 2 event
 * (main calls event_base_priority_init(base, 3) first).
 */
int	db_open(const char *path, struct event_base *, char **cause);
void	db_close(void);
int	db_schema_version(void);
/* Commit the open batch now (before exit, in tests). */
int	db_flush(void);
/*
 * Acknowledge only what is stored: fn(arg) runs right after the COMMIT of
 * the batch holding the writes made so far (from the commit event or
 * db_flush(), in the same loop iteration), or at once when no batch is
 * open.  It runs even when the COMMIT failed: db_last_commit_ok(), asked
 * inside fn, says whether the changes are on disk.  A caller whose own
 * write already returned -1 knows without asking.
 */
void	db_after_commit(void (*fn)(void *), void *arg);
int	db_last_commit_ok(void);
/*
 * 1 while storage fails (the last COMMIT or write failed for lack of disk,
 * a read-only file or an I/O error), for status displays.
 */
int	db_storage_failing(void);
/* Writes in the open, uncommitted batch (0 when none). */
unsigned int db_pending(void);

/* Insert or update the binding ext+contact; 0 or -1 (logged). */
int	db_reg_put(const struct db_reg *);
int	db_reg_del(const char *ext, const char *contact); /* NULL = all */
/* Strings passed to the callback live only until it returns. */
int	db_reg_foreach(void (*)(const struct db_reg *, void *), void *);

int	db_cdr_add(const struct db_cdr *);
int	db_cdr_foreach(time_t since, void (*)(const struct db_cdr *, void *),
	    void *);

/*
 * For sibling db_*.c files (db_state.c), which may include <sqlite3.h>:
 * the open handle (NULL when closed), and the batch protocol every write
 * follows: db_write_begin() (joins or opens the loop iteration's
 * transaction; 0 or -1), the statement, then return db_write_end(rc)
 * (commits at once when not batching or the batch is large).
 */
struct sqlite3;
struct sqlite3_stmt;
struct sqlite3	*db_sqlite(void);
int	db_write_begin(void);
int	db_write_end(int rc);
/* Prepare per call (NULL and a log line on error); bind text or NULL. */
struct sqlite3_stmt *db_prepare(const char *sql);
void	db_bind_text(struct sqlite3_stmt *, int, const char *);
/* Step a write inside the batch and finalize it; 0 or -1. */
int	db_write_stmt(struct sqlite3_stmt *, const char *what);
/* Run a script (*cause malloc'd on failure); 0 or -1. */
int	db_exec(const char *sql, char **cause);
/* Step a statement that returns no rows, reset it; 0 or -1 (logged). */
int	db_step_done(struct sqlite3_stmt *, const char *what);
/* Column text, or NULL. */
const char *db_col_text(struct sqlite3_stmt *, int);
/* The priority of the commit event: after every normal event. */
#define DB_COMMIT_PRIORITY	2

/* db_config.c */
/* Replace the config tables by conf in one transaction (*cause malloc'd). */
int	db_store_config(const struct config *, char **cause);
/* The stored login-code hash of a configured user; 0, or -1 if none. */
int	db_user_login_code(const char *user, char *out, size_t len);
void	db_config_setup(struct event_base *);	/* from db_setup() */
void	db_config_close(void);			/* from db_close() */

/*
 * db_hash.c: login codes are stored salted and hashed (PBKDF2-HMAC-SHA256):
 * db_login_code_hash fills out (DB_LOGIN_HASH_LEN) and returns 0 or -1;
 * db_login_code_verify returns 1 on a match, 0 otherwise.
 */
int	db_login_code_hash(const char *code, char *out, size_t len);
int	db_login_code_verify(const char *code, const char *stored);

#endif
