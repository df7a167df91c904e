/*
 * WAL checkpoints off the event loop.
 *
 * With synchronous=NORMAL a COMMIT only appends to the WAL; the fsyncs
 * happen when the WAL is copied back into the database file (a
 * checkpoint).  SQLite's automatic checkpoint runs inside the COMMIT that
 * crossed 1,000 pages, on the loop: two fdatasync()s of 15-35 ms every
 * second or two under a registration storm, and every SIP message waiting
 * behind them (the p99 of the benchmarks was that stall).
 *
 * So the loop's connection has no automatic checkpoint; its WAL hook
 * (called after each COMMIT with the WAL's size in frames) wakes a thread
 * that owns a second connection to the same file and runs PASSIVE
 * checkpoints there whenever DB_CKPT_PAGES frames have not been copied
 * back.  A PASSIVE checkpoint takes no lock a writer waits for and never
 * calls a busy handler, so the loop keeps committing while the thread
 * syncs.
 *
 * The WAL starts over from its beginning only when a checkpoint copied
 * every frame; under a storm the loop commits during each of the
 * thread's checkpoints, so that never happens there and the file would
 * grow for as long as the storm lasts.  Once the WAL is DB_CKPT_FINISH
 * frames long and the thread has left less than a quarter of it behind,
 * the loop copies that rest itself (it is the only writer, so its
 * checkpoint is complete and the WAL starts over): a short stall every
 * few seconds of a storm instead of a long one every second.  On a busy
 * disk the thread leaves more behind; the quarter lets the WAL grow only
 * until the rest is small next to it.  Past DB_CKPT_INLINE frames
 * (a stuck thread or disk) the loop checkpoints whatever it costs.
 *
 * The thread touches nothing but its own connection and the few fields
 * under ckpt_mtx; it never logs (log.c belongs to the loop): the loop
 * reports a failed checkpoint at its next COMMIT.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_ckpt.h"
#include "log.h"

#define DB_CKPT_PAGES	1000	/* SQLite's own auto-checkpoint size */
#define DB_CKPT_FINISH	(4 * DB_CKPT_PAGES)
#define DB_CKPT_INLINE	50000	/* about 200 MiB of WAL: do it here */
#define DB_CKPT_LIMIT	(16 * 1024 * 1024)  /* WAL size kept on reset */

static pthread_t	 ckpt_thread;
static pthread_mutex_t	 ckpt_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 ckpt_cond = PTHREAD_COND_INITIALIZER;
static sqlite3		*ckpt_db;	/* the thread's connection */
static int		 ckpt_running;
static int		 ckpt_want;	/* under ckpt_mtx */
static int		 ckpt_quit;	/* under ckpt_mtx */
static int		 ckpt_rc = SQLITE_OK;	/* under ckpt_mtx */
static int		 ckpt_busy;	/* under ckpt_mtx: one is asked/runs */
static int		 ckpt_copied;	/* under ckpt_mtx: frames copied back */
static int		 ckpt_last;	/* WAL frames at the last COMMIT */
static unsigned long	 ckpt_done;	/* under ckpt_mtx */

/* Checkpoint whenever the loop asks, until told to quit. */
static void *
ckpt_main(void *arg)
{
	int	 rc, quit, copied;

	for (;;) {
		pthread_mutex_lock(&ckpt_mtx);
		while (!ckpt_want && !ckpt_quit)
			pthread_cond_wait(&ckpt_cond, &ckpt_mtx);
		ckpt_want = 0;
		quit = ckpt_quit;
		pthread_mutex_unlock(&ckpt_mtx);
		if (quit)
			break;
		copied = 0;
		rc = sqlite3_wal_checkpoint_v2(ckpt_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
		pthread_mutex_lock(&ckpt_mtx);
		ckpt_rc = rc;
		if (rc == SQLITE_OK && copied > ckpt_copied)
			ckpt_copied = copied;
		ckpt_busy = 0;
		ckpt_done++;
		pthread_mutex_unlock(&ckpt_mtx);
	}
	return (NULL);
}

/* Log what the thread's last checkpoint said, once per failure. */
static void
ckpt_report(void)
{
	int	 rc;

	pthread_mutex_lock(&ckpt_mtx);
	rc = ckpt_rc;
	ckpt_rc = SQLITE_OK;
	pthread_mutex_unlock(&ckpt_mtx);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warnx("db checkpoint failed: %s", sqlite3_errstr(rc));
}

/* Checkpoint on the loop's connection: complete, as it is the writer. */
static void
ckpt_inline(sqlite3 *db, const char *name, int pages)
{
	int	 copied = 0;

	if (pages >= DB_CKPT_INLINE)
		log_warnx("db checkpoint thread behind (wal pages=%d):"
		    " checkpointing on the loop", pages);
	if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, &copied) != SQLITE_OK)
		return;
	pthread_mutex_lock(&ckpt_mtx);
	if (copied > ckpt_copied)
		ckpt_copied = copied;
	pthread_mutex_unlock(&ckpt_mtx);
}

/* After every COMMIT on the loop's connection: pages is the WAL's size. */
static int
ckpt_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	int	 busy, behind;

	ckpt_report();
	pthread_mutex_lock(&ckpt_mtx);
	if (pages < ckpt_last)		/* the WAL started over */
		ckpt_copied = 0;
	ckpt_last = pages;
	busy = ckpt_busy;
	behind = pages - ckpt_copied;
	if (!busy && behind >= DB_CKPT_PAGES) {
		ckpt_busy = ckpt_want = 1;
		pthread_cond_signal(&ckpt_cond);
	}
	pthread_mutex_unlock(&ckpt_mtx);
	if (pages >= DB_CKPT_INLINE ||
	    (!busy && pages >= DB_CKPT_FINISH && behind < pages / 4))
		ckpt_inline(db, name, pages);
	return (SQLITE_OK);
}

/*
 * Take over the checkpoints of db (the loop's connection, already in WAL
 * mode).  A database without a file (":memory:") or that is not in WAL
 * mode keeps SQLite's own behaviour; so does one whose thread cannot be
 * started (logged).  0, or -1 only when db is NULL.
 */
int
db_ckpt_start(sqlite3 *db)
{
	const char	*path;
	char		 pragma[64];
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (db == NULL)
		return (-1);
	if (ckpt_running)
		db_ckpt_stop(db);
	path = sqlite3_db_filename(db, "main");
	if (path == NULL || path[0] == '\0')
		return (0);
	snprintf(pragma, sizeof pragma, "PRAGMA journal_size_limit=%d",
	    DB_CKPT_LIMIT);
	sqlite3_exec(db, pragma, NULL, NULL, NULL);
	/* A connection learns the file is in WAL mode when it first reads
	 * it; before that its checkpoints do nothing. */
	if (sqlite3_open_v2(path, &ckpt_db, flags, NULL) != SQLITE_OK ||
	    sqlite3_exec(ckpt_db, "SELECT count(*) FROM sqlite_master", NULL,
	    NULL, NULL) != SQLITE_OK) {
		log_warnx("db checkpoint connection: %s; checkpoints stay"
		    " on the loop", ckpt_db != NULL ? sqlite3_errmsg(ckpt_db) :
		    "out of memory");
		sqlite3_close(ckpt_db);
		ckpt_db = NULL;
		return (0);
	}
	ckpt_want = ckpt_quit = ckpt_busy = ckpt_copied = ckpt_last = 0;
	ckpt_rc = SQLITE_OK;
	if (pthread_create(&ckpt_thread, NULL, ckpt_main, NULL) != 0) {
		log_warnx("db checkpoint thread: cannot start; checkpoints"
		    " stay on the loop");
		sqlite3_close(ckpt_db);
		ckpt_db = NULL;
		return (0);
	}
	ckpt_running = 1;
	sqlite3_wal_hook(db, ckpt_wal_hook, NULL);
	return (0);
}

/* Stop the thread (after its checkpoint, if one runs) and give db back
 * its automatic checkpoint. */
void
db_ckpt_stop(sqlite3 *db)
{
	if (!ckpt_running)
		return;
	if (db != NULL)
		sqlite3_wal_autocheckpoint(db, DB_CKPT_PAGES);
	pthread_mutex_lock(&ckpt_mtx);
	ckpt_quit = 1;
	pthread_cond_signal(&ckpt_cond);
	pthread_mutex_unlock(&ckpt_mtx);
	pthread_join(ckpt_thread, NULL);
	ckpt_running = 0;
	ckpt_report();
	sqlite3_close(ckpt_db);
	ckpt_db = NULL;
}

/* Checkpoints the thread has run (tests, metrics). */
unsigned long
db_ckpt_count(void)
{
	unsigned long	 n;

	pthread_mutex_lock(&ckpt_mtx);
	n = ckpt_done;
	pthread_mutex_unlock(&ckpt_mtx);
	return (n);
}
