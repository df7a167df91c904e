/*
 * The audit log and the counters of /metrics that belong to no other
 * module (events.h).
 *
 * An admin asks "what happened to Alice's login?" hours later, after the
 * journal has rotated or on another box: so every login, logout, failure,
 * lock-out and remote decision is also a row in SQLite, with the reason
 * in a column of its own.  The module where the event happens writes its
 * usual log line and calls events_add() beside it; events_add() never
 * logs, so an event is one line in the journal and one row here.
 *
 * Retention is bounded (EVENTS_KEEP_ROWS rows, EVENTS_KEEP_SECONDS of
 * age) so a brute-force attack on login codes cannot fill the disk; the
 * pruning rides in the write batch (db_events.c).
 */
#include <sys/types.h>

#include <ctype.h>
#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdr.h"
#include "config.h"
#include "db_events.h"
#include "events.h"
#include "json.h"
#include "roamd.h"
#include "table.h"
#include "xmalloc.h"

#define EVENTS_DETAIL_MAX	256
#define EVENTS_USAGE		"usage: events [--since T] [--user N]" \
				" [--limit N]"
#define EVENTS_NCOLS		8
/* Distinct login results and call codes counted (bounded memory). */
#define EVENTS_MAX_RESULTS	24
#define EVENTS_MAX_CODES	64

static const char *events_kind_names[EVK_MAX] = {
	"login", "logout", "login_failed", "lockout", "remote_login_granted",
	"remote_login_refused", "reconcile"
};

const int events_latency_bounds[EVENTS_LATENCY_NBUCKETS] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000
};

/* The logout reason override (events_set_logout_reason). */
static char	 ev_over_user[32];
static char	 ev_over_reason[32];

static struct {
	char		 name[24];
	uint64_t	 n;
} ev_logins[EVENTS_MAX_RESULTS];
static size_t	 ev_nlogins;

static struct {
	int		 code;
	uint64_t	 n;
} ev_calls[EVENTS_MAX_CODES];
static size_t	 ev_ncalls;

static struct events_latency ev_latency[2] = {
	{ "INVITE", { 0 }, 0, 0 },
	{ "REGISTER", { 0 }, 0, 0 }
};

/* Name of a kind, as stored and shown. */
const char *
events_kind_name(enum events_kind k)
{
	return ((unsigned)k < EVK_MAX ? events_kind_names[k] : "?");
}

/* This site's name, NULL before a config is loaded. */
static const char *
ev_us(void)
{
	if (env == NULL || env->conf == NULL)
		return (NULL);
	return (env->conf->site_name);
}

/* Count one more login with result r ('-' written '_' for the label). */
static void
ev_count_login(const char *r)
{
	char	 name[24];
	size_t	 i;

	snprintf(name, sizeof(name), "%s", r != NULL ? r : "unknown");
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '-')
			name[i] = '_';
	for (i = 0; i < ev_nlogins; i++) {
		if (strcmp(ev_logins[i].name, name) == 0) {
			ev_logins[i].n++;
			return;
		}
	}
	if (ev_nlogins == EVENTS_MAX_RESULTS)
		return;
	memcpy(ev_logins[ev_nlogins].name, name, sizeof(name));
	ev_logins[ev_nlogins++].n = 1;
}

/*
 * Logins by result count the attempts this site answered a phone for:
 * a code typed here (ok, bad_code, locked, unknown_user), a remote login
 * refused to a phone here.  Automatic logins (fallback, start-up) are
 * not attempts.
 */
static void
ev_count(enum events_kind k, const char *site, const char *reason)
{
	const char	*us = ev_us();

	switch (k) {
	case EVK_LOGIN:
		if (reason != NULL && (strcmp(reason, "user") == 0 ||
		    strcmp(reason, "admin") == 0))
			ev_count_login("ok");
		break;
	case EVK_LOGIN_FAILED:
		ev_count_login(reason);
		break;
	case EVK_LOCKOUT:
		ev_count_login("locked");
		break;
	case EVK_REMOTE_REFUSED:
		if (site != NULL && us != NULL && strcmp(site, us) == 0)
			ev_count_login(reason);
		break;
	default:
		break;
	}
}

/*
 * Failures and refusals share one vocabulary with the metric labels
 * (bad_code, unknown_user): the peer protocol's names use '-'.
 */
static const char *
ev_result_name(enum events_kind k, const char *reason, char *buf,
    size_t len)
{
	size_t	 i;

	if (reason == NULL || (k != EVK_LOGIN_FAILED && k != EVK_LOCKOUT &&
	    k != EVK_REMOTE_REFUSED))
		return (reason);
	snprintf(buf, len, "%s", reason);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '-')
			buf[i] = '_';
	return (buf);
}

/* Store one event. */
static void
ev_store(enum events_kind k, const char *user, const char *ext,
    const char *site, const char *peer, const char *reason,
    const char *detail)
{
	struct db_event	 e;
	char		 buf[32];

	reason = ev_result_name(k, reason, buf, sizeof(buf));
	ev_count(k, site, reason);
	memset(&e, 0, sizeof(e));
	e.time = time(NULL);
	e.kind = events_kind_name(k);
	e.user = user;
	e.ext = ext;
	e.site = site;
	e.peer = peer;
	e.reason = reason;
	e.detail = detail != NULL && *detail != '\0' ? detail : NULL;
	db_events_add(&e);
}

/* Store an event of this site. */
void
events_add(enum events_kind k, const char *user, const char *ext,
    const char *reason, const char *fmt, ...)
{
	char	 detail[EVENTS_DETAIL_MAX] = "";
	va_list	 ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	ev_store(k, user, ext, ev_us(), NULL, reason, detail);
}

/* Store an event that concerns another site. */
void
events_add_peer(enum events_kind k, const char *user, const char *ext,
    const char *site, const char *peer, const char *reason,
    const char *fmt, ...)
{
	char	 detail[EVENTS_DETAIL_MAX] = "";
	va_list	 ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	ev_store(k, user, ext, site != NULL ? site : ev_us(), peer, reason,
	    detail);
}

/* Set (or clear, user NULL) the reason of user's next logout event. */
void
events_set_logout_reason(const char *user, const char *reason)
{
	if (user == NULL || reason == NULL) {
		ev_over_user[0] = ev_over_reason[0] = '\0';
		return;
	}
	snprintf(ev_over_user, sizeof(ev_over_user), "%s", user);
	snprintf(ev_over_reason, sizeof(ev_over_reason), "%s", reason);
}

/* The reason to store a logout of user with. */
const char *
events_logout_reason(const char *user, const char *why)
{
	if (user != NULL && ev_over_user[0] != '\0' &&
	    strcmp(user, ev_over_user) == 0)
		return (ev_over_reason);
	return (why);
}

/* The value of option word argv[*i] ("--opt V" or "--opt=V"), or NULL. */
static const char *
ev_optval(int argc, char **argv, int *i, const char *opt)
{
	size_t	 n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return (NULL);
	if (argv[*i][n] == '=')
		return (argv[*i] + n + 1);
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return (argv[++*i]);
	return (NULL);
}

/* A --limit value: 1 to EVENTS_KEEP_ROWS; 0 or -1. */
static int
ev_parse_limit(const char *s, int *limit, char **cause)
{
	char	*end;
	long	 v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > EVENTS_KEEP_ROWS) {
		xasprintf(cause, "--limit: \"%s\" is not a number from 1 to"
		    " %d", s, EVENTS_KEEP_ROWS);
		return (-1);
	}
	*limit = (int)v;
	return (0);
}

/* Parse [--since T] [--user N] [--limit N]. */
int
events_parse_args(int argc, char **argv, time_t *since, const char **user,
    int *limit, char **cause)
{
	const char	*v;
	int		 i;

	*since = 0;
	*user = NULL;
	*limit = EVENTS_LIST_MAX;
	*cause = NULL;
	for (i = 0; i < argc; i++) {
		if ((v = ev_optval(argc, argv, &i, "--since")) != NULL) {
			if (cdr_parse_time(v, since, cause) == -1)
				return (-1);
		} else if ((v = ev_optval(argc, argv, &i, "--user")) != NULL &&
		    *v != '\0' && strlen(v) < 32)
			*user = v;
		else if ((v = ev_optval(argc, argv, &i, "--limit")) != NULL) {
			if (ev_parse_limit(v, limit, cause) == -1)
				return (-1);
		} else {
			xasprintf(cause, "events: unexpected \"%s\" (%s)",
			    argv[i], EVENTS_USAGE);
			return (-1);
		}
	}
	return (0);
}

/* What the foreach callbacks write into. */
struct ev_out {
	struct json	 *j;
	struct table	  t;		/* the text table */
};

static const char *ev_head[EVENTS_NCOLS] = {
	"TIME", "EVENT", "USER", "EXTENSION", "SITE", "PEER", "REASON",
	"DETAIL"
};

/* One event as a row of the text table. */
static void
ev_row(const struct db_event *e, void *arg)
{
	struct ev_out	 *o = arg;
	char		 *row[EVENTS_NCOLS];
	size_t		  i;

	row[0] = table_local_time(e->time);
	row[1] = table_clean(e->kind);
	row[2] = table_clean(e->user);
	row[3] = table_clean(e->ext);
	row[4] = table_clean(e->site);
	row[5] = table_clean(e->peer);
	row[6] = table_clean(e->reason);
	row[7] = table_clean(e->detail);
	table_row(&o->t, (const char *const *)row);
	for (i = 0; i < EVENTS_NCOLS; i++)
		free(row[i]);
}

/* The events as an aligned table, oldest first. */
int
events_text(time_t since, const char *user, int limit, struct evbuffer *b)
{
	struct ev_out	 o;
	int		 rc;

	memset(&o, 0, sizeof(o));
	table_init(&o.t, ev_head, EVENTS_NCOLS);
	rc = db_events_foreach(since, user, limit, ev_row, &o);
	if (o.t.nrows == 0) {
		if (rc == 0)
			evbuffer_add_printf(b, "no events\n");
		return (rc);
	}
	table_print(&o.t, b);
	return (rc);
}

/* One event as a JSON object. */
static void
ev_json_row(const struct db_event *e, void *arg)
{
	struct ev_out	*o = arg;

	json_obj_begin(o->j, NULL);
	json_int(o->j, "id", (long long)e->id);
	json_int(o->j, "time", (long long)e->time);
	json_str(o->j, "kind", e->kind);
	json_str(o->j, "user", e->user);
	json_str(o->j, "extension", e->ext);
	json_str(o->j, "site", e->site);
	json_str(o->j, "peer", e->peer);
	json_str(o->j, "reason", e->reason);
	json_str(o->j, "detail", e->detail);
	json_obj_end(o->j);
}

/* The events as one JSON list, oldest first. */
int
events_json(time_t since, const char *user, int limit, struct evbuffer *b)
{
	struct ev_out	 o;
	struct json	 j;
	char		*doc;
	size_t		 len;
	int		 rc;

	memset(&o, 0, sizeof(o));
	json_init(&j);
	o.j = &j;
	json_arr_begin(&j, NULL);
	rc = db_events_foreach(since, user, limit, ev_json_row, &o);
	json_arr_end(&j);
	doc = json_finish(&j, &len);
	if (rc == 0) {
		evbuffer_add(b, doc, len);
		evbuffer_add(b, "\n", 1);
	}
	free(doc);
	return (rc);
}

/* A call ended with code. */
void
events_call_result(int code)
{
	size_t	 i;

	for (i = 0; i < ev_ncalls; i++) {
		if (ev_calls[i].code == code) {
			ev_calls[i].n++;
			return;
		}
	}
	if (ev_ncalls == EVENTS_MAX_CODES)
		return;
	ev_calls[ev_ncalls].code = code;
	ev_calls[ev_ncalls++].n = 1;
}

/* A server transaction of method sent its final response now. */
void
events_sip_final(const char *method, const struct timespec *born)
{
	struct events_latency	*l;
	struct timespec		 now;
	double			 ms;
	int			 i;

	if (method == NULL || born == NULL)
		return;
	if (strcmp(method, "INVITE") == 0)
		l = &ev_latency[0];
	else if (strcmp(method, "REGISTER") == 0)
		l = &ev_latency[1];
	else
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - born->tv_sec) * 1000.0 +
	    (double)(now.tv_nsec - born->tv_nsec) / 1e6;
	if (ms < 0)
		ms = 0;
	for (i = 0; i < EVENTS_LATENCY_NBUCKETS; i++)
		if (ms <= events_latency_bounds[i])
			l->bucket[i]++;
	l->count++;
	l->sum_s += ms / 1000.0;
}

/* Every login result counted. */
void
events_foreach_login_result(void (*fn)(const char *, uint64_t, void *),
    void *arg)
{
	size_t	 i;

	for (i = 0; i < ev_nlogins; i++)
		fn(ev_logins[i].name, ev_logins[i].n, arg);
}

/* Every call code counted. */
void
events_foreach_call_result(void (*fn)(int, uint64_t, void *), void *arg)
{
	size_t	 i;

	for (i = 0; i < ev_ncalls; i++)
		fn(ev_calls[i].code, ev_calls[i].n, arg);
}

/* The latency histogram of method i. */
const struct events_latency *
events_latency(int i)
{
	if (i < 0 || i >= (int)(sizeof(ev_latency) / sizeof(ev_latency[0])))
		return (NULL);
	return (&ev_latency[i]);
}

/* Forget every counter. */
void
events_reset_counters(void)
{
	size_t	 i;

	ev_nlogins = ev_ncalls = 0;
	for (i = 0; i < sizeof(ev_latency) / sizeof(ev_latency[0]); i++) {
		memset(ev_latency[i].bucket, 0, sizeof(ev_latency[i].bucket));
		ev_latency[i].count = 0;
		ev_latency[i].sum_s = 0;
	}
	events_set_logout_reason(NULL, NULL);
}
