/*
 * The audit log (issue 6): every login, logout, failed login, lock-out,
 * remote login granted or refused and reconcile decision, kept in SQLite
 * (db_events.h) with bounded retention, for `roamctl events` and the
 * status page; and the counters behind /metrics that are not another
 * module's state (logins and calls by result, request latency).
 *
 * Each event is also exactly one structured log line: the one the module
 * where it happens already writes.  events_add() only stores; it never
 * logs, so no line is ever doubled.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdint.h>
#include <time.h>

struct evbuffer;
struct timespec;

enum events_kind {
	EVK_LOGIN,		/* "login": reason user, admin, fallback, ... */
	EVK_LOGOUT,		/* "logout": reason user, admin, orphan, ... */
	EVK_LOGIN_FAILED,	/* bad_code, locked, unknown_user, ... */
	EVK_LOCKOUT,		/* too many bad codes: the user is locked */
	EVK_REMOTE_GRANTED,	/* a remote login was granted (R2) */
	EVK_REMOTE_REFUSED,	/* ... or refused: home's result as reason */
	EVK_RECONCILE,		/* F3 decision: reason the decision */
	EVK_MAX
};

/* Newest rows kept, and their age limit (90 days). */
#define EVENTS_KEEP_ROWS	100000
#define EVENTS_KEEP_SECONDS	(90 * 24 * 3600)
/* Rows `events` answers at most (the newest of those that match). */
#define EVENTS_LIST_MAX		1000

/*
 * Store one event that happened on this site (the site column is ours).
 * user, ext, reason may be NULL; fmt (may be NULL) makes the detail
 * text.  Never fails loudly: a full disk loses the row, not the call.
 */
void	events_add(enum events_kind, const char *user, const char *ext,
	    const char *reason, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/*
 * The same, for an event that concerns another site: site is where the
 * user sits (the host for a remote login granted by home), peer the site
 * at the other end of the link.
 */
void	events_add_peer(enum events_kind, const char *user, const char *ext,
	    const char *site, const char *peer, const char *reason,
	    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
const char *events_kind_name(enum events_kind);

/*
 * A logout that goes through hotdesk_logout() for a reason hotdesk.h
 * has no name for (orphan, release, reconcile): set it for that user
 * before the call and clear it (NULL, NULL) after; the logout event of
 * that user in between carries it.
 */
void	events_set_logout_reason(const char *user, const char *reason);
/* The reason a logout of user is stored with: the one set, else why. */
const char *events_logout_reason(const char *user, const char *why);

/*
 * The words after "events": [--since T] [--user N] [--limit N]; T as
 * cdr_parse_time() reads it.  0, or -1 and a malloc'd *cause.
 */
int	events_parse_args(int argc, char **argv, time_t *since,
	    const char **user, int *limit, char **cause);
/* The matching events, oldest first, as a text table or a JSON list. */
int	events_text(time_t since, const char *user, int limit,
	    struct evbuffer *);
int	events_json(time_t since, const char *user, int limit,
	    struct evbuffer *);

/* --- counters for /metrics (http_metrics.c) ------------------------- */

/* A call ended with its final SIP status (call.c, with the record). */
void	events_call_result(int code);
/*
 * A server transaction sent its final response: the request's method
 * and when it arrived (CLOCK_MONOTONIC).  INVITE and REGISTER feed the
 * latency histograms.  sip_tx.c calls it through a weak reference, so
 * the transaction layer still links without this module.
 */
void	events_sip_final(const char *method, const struct timespec *born);

#define EVENTS_LATENCY_NBUCKETS	10
/* Upper bounds of the latency buckets in milliseconds. */
extern const int events_latency_bounds[EVENTS_LATENCY_NBUCKETS];

struct events_latency {
	const char	*method;	/* "INVITE", "REGISTER" */
	uint64_t	 bucket[EVENTS_LATENCY_NBUCKETS];	/* cumulative */
	uint64_t	 count;
	double		 sum_s;
};

/* fn(label, count) for every login result / call code seen so far. */
void	events_foreach_login_result(void (*)(const char *, uint64_t,
	    void *), void *);
void	events_foreach_call_result(void (*)(int, uint64_t, void *), void *);
/* The latency histogram of method i (0 INVITE, 1 REGISTER); NULL past. */
const struct events_latency *events_latency(int i);
/* Forget every counter (tests). */
void	events_reset_counters(void);

#endif
