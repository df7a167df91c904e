/*
 * The audit log table (db_events.c, beside db.c): events(id, time, kind,
 * user, ext, site, peer, reason, detail), schema version 4.  Rows are
 * appended in the loop iteration's write batch (db.h); retention is
 * enforced in that same batch every DB_EVENTS_PRUNE_EVERY rows (and at
 * the first row after the database opens): the newest max_rows rows no
 * older than max_age seconds are kept.
 */
#ifndef DB_EVENTS_H
#define DB_EVENTS_H

#include <stdint.h>
#include <time.h>

#define DB_EVENTS_PRUNE_EVERY	256

struct db_event {
	int64_t		 id;		/* increasing; 0 before insertion */
	time_t		 time;
	const char	*kind;
	const char	*user;
	const char	*ext;
	const char	*site;
	const char	*peer;
	const char	*reason;
	const char	*detail;
};

/* Append an event; 0 or -1 (logged). */
int	db_events_add(const struct db_event *);
/*
 * The newest limit events with time >= since (and of user, unless NULL),
 * oldest first.  Strings live only during the callback.  0 or -1.
 */
int	db_events_foreach(time_t since, const char *user, int limit,
	    void (*)(const struct db_event *, void *), void *);
/* Rows stored, or -1. */
int64_t	db_events_count(void);
/* Delete what retention no longer keeps, as of now; 0 or -1. */
int	db_events_prune(time_t now);
/* Retention limits (defaults EVENTS_KEEP_ROWS, EVENTS_KEEP_SECONDS). */
void	db_events_set_retention(int64_t max_rows, int64_t max_age);

#endif
