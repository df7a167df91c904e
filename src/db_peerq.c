/*
 * The outbound peer queue and home's remote locations (db_peerq.h).
 * Like db_state.c, statements are prepared per call: these rows change
 * when a person dials a code or a link comes up, not per SIP message.
 * Writes join the loop iteration's batch (db.h).
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "db.h"
#include "db_peerq.h"
#include "log.h"

/* Append a frame to a peer's queue. */
int64_t
db_peerq_add(const char *peer, int type, const char *user,
    uint64_t generation, const void *frame, size_t len)
{
	sqlite3_stmt	*st;
	int64_t		 id;

	st = db_prepare("INSERT INTO peer_queue (peer, type, user,"
	    " generation, frame, created) VALUES (?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, peer);
	sqlite3_bind_int(st, 2, type);
	db_bind_text(st, 3, user);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)generation);
	sqlite3_bind_blob(st, 5, frame, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, time(NULL));
	if (db_write_begin() != 0) {
		sqlite3_finalize(st);
		return (-1);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db error op=peerq-add error=\"%s\"",
		    sqlite3_errmsg(db_sqlite()));
		sqlite3_finalize(st);
		db_write_end(-1);
		return (-1);
	}
	id = sqlite3_last_insert_rowid(db_sqlite());
	sqlite3_finalize(st);
	if (db_write_end(0) != 0)
		return (-1);
	return (id);
}

/* Remove an item (acknowledged). */
int
db_peerq_del(int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare("DELETE FROM peer_queue WHERE id = ?")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	return (db_write_stmt(st, "peerq-del"));
}

/* Every item for peer, oldest first. */
int
db_peerq_foreach(const char *peer,
    void (*fn)(const struct db_peerq_item *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct db_peerq_item	 it;

	st = db_prepare("SELECT id, peer, type, user, generation, frame,"
	    " created FROM peer_queue WHERE ?1 IS NULL OR peer = ?1"
	    " ORDER BY id");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, peer);
	while (sqlite3_step(st) == SQLITE_ROW) {
		it.id = sqlite3_column_int64(st, 0);
		it.peer = (const char *)sqlite3_column_text(st, 1);
		it.type = sqlite3_column_int(st, 2);
		it.user = (const char *)sqlite3_column_text(st, 3);
		it.generation = (uint64_t)sqlite3_column_int64(st, 4);
		it.frame = sqlite3_column_blob(st, 5);
		it.len = (size_t)sqlite3_column_bytes(st, 5);
		it.created = sqlite3_column_int64(st, 6);
		if (it.peer != NULL && it.frame != NULL)
			fn(&it, arg);
	}
	sqlite3_finalize(st);
	return (0);
}

/* Items waiting for peer. */
int
db_peerq_count(const char *peer)
{
	sqlite3_stmt	*st;
	int		 n = -1;

	st = db_prepare("SELECT count(*) FROM peer_queue"
	    " WHERE ?1 IS NULL OR peer = ?1");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, peer);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (n);
}

/* Record a home user's generation and remote location. */
int
db_rloc_put(const struct db_rloc *r)
{
	sqlite3_stmt	*st;

	st = db_prepare("INSERT OR REPLACE INTO remote_locations (user,"
	    " generation, site, ext, settings_gen) VALUES (?, ?, ?, ?, ?)");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, r->user);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->generation);
	db_bind_text(st, 3, r->site);
	db_bind_text(st, 4, r->ext);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->settings_gen);
	return (db_write_stmt(st, "rloc-put"));
}

/* Forget a user (dropped from the config). */
int
db_rloc_del(const char *user)
{
	sqlite3_stmt	*st;

	st = db_prepare("DELETE FROM remote_locations WHERE user = ?");
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, user);
	return (db_write_stmt(st, "rloc-del"));
}

/* Every recorded location. */
int
db_rloc_foreach(void (*fn)(const struct db_rloc *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct db_rloc	 r;

	st = db_prepare("SELECT user, generation, site, ext, settings_gen"
	    " FROM remote_locations");
	if (st == NULL)
		return (-1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		r.user = (const char *)sqlite3_column_text(st, 0);
		r.generation = (uint64_t)sqlite3_column_int64(st, 1);
		r.site = (const char *)sqlite3_column_text(st, 2);
		r.ext = (const char *)sqlite3_column_text(st, 3);
		r.settings_gen = (uint64_t)sqlite3_column_int64(st, 4);
		if (r.user != NULL)
			fn(&r, arg);
	}
	sqlite3_finalize(st);
	return (0);
}
