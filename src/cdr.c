/*
 * Call detail records as an admin reads them.  The text table is for a
 * terminal: local times of the site, talk time, one cell per fact.  CSV
 * and JSON are for spreadsheets and billing scripts: times in UTC (ISO
 * 8601) and unix seconds, no locale, one row per call.  Numbers and
 * reasons can come from a phone or a carrier, so control characters are
 * shown as '?': a record must never break a line or a terminal.
 * SITES is the path of a call between sites (issue 6): the site it came
 * from (a peer's X-Roam-Site), this site, the site it was sent to.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdr.h"
#include "db.h"
#include "json.h"
#include "table.h"
#include "xmalloc.h"

#define CDR_NCOLS	9
#define CDR_USAGE	"usage: cdr [--since T] [--csv]"
#define CDR_TIMES	"unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM"

static const char *cdr_head[CDR_NCOLS] = {
	"START", "TALK", "CALLER", "DEVICE", "DIALLED", "CALLEE", "SITES",
	"TRUNK", "RESULT"
};

static const char *cdr_csv_head = "start,answer,end,talk_s,caller_user,"
    "caller_device,caller_number,callee,callee_user,sites,trunk,cause,"
    "reason,callid\n";

/* What the foreach callbacks write into. */
struct cdr_out {
	struct evbuffer	 *b;
	struct json	 *j;
	struct table	  t;		/* the text table */
};

/* Seconds talked: 0 when never answered. */
static long long
cdr_talk(const struct db_cdr *r)
{
	if (r->answer == 0 || r->end < r->answer)
		return (0);
	return ((long long)(r->end - r->answer));
}

/* t in UTC, ISO 8601 "2026-11-27T10:02:03Z"; "" for 0 (never). */
static void
cdr_utc(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	buf[0] = '\0';
	if (t == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* "1:02:03" or "2:03" of talk, "-" when unanswered. */
static char *
cdr_talk_text(const struct db_cdr *r)
{
	long long	 s = cdr_talk(r);
	char		*out;

	if (r->answer == 0)
		return (xstrdup("-"));
	if (s >= 3600)
		xasprintf(&out, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		xasprintf(&out, "%lld:%02lld", s / 60, s % 60);
	return (out);
}

/* One record as a row of the text table. */
static void
cdr_row(const struct db_cdr *r, void *arg)
{
	struct cdr_out	 *o = arg;
	char		 *row[CDR_NCOLS], *res;
	size_t		  i;

	row[0] = table_local_time(r->start);
	row[1] = cdr_talk_text(r);
	row[2] = table_clean(r->caller_user);
	row[3] = table_clean(r->caller_ext);
	row[4] = table_clean(r->callee);
	row[5] = table_clean(r->callee_user);
	row[6] = table_clean(r->sites);
	row[7] = table_clean(r->trunk);
	xasprintf(&res, "%d %s", r->cause, r->reason != NULL ? r->reason : "");
	row[8] = table_clean(res);
	free(res);
	table_row(&o->t, (const char *const *)row);
	for (i = 0; i < CDR_NCOLS; i++)
		free(row[i]);
}

/* One CSV field (RFC 4180 section 2: quoted when it holds , or "). */
static void
cdr_csv_field(struct evbuffer *b, const char *s, int last)
{
	char	*c, *p;

	/* Empty, not "-": a spreadsheet should see no value. */
	c = s != NULL && *s != '\0' ? table_clean(s) : xstrdup("");
	if (strpbrk(c, ",\"") == NULL)
		evbuffer_add_printf(b, "%s", c);
	else {
		evbuffer_add(b, "\"", 1);
		for (p = c; *p != '\0'; p++) {
			if (*p == '"')
				evbuffer_add(b, "\"", 1);
			evbuffer_add(b, p, 1);
		}
		evbuffer_add(b, "\"", 1);
	}
	evbuffer_add(b, last ? "\n" : ",", 1);
	free(c);
}

/* One record as a CSV row, in the order of cdr_csv_head. */
static void
cdr_csv_row(const struct db_cdr *r, void *arg)
{
	struct cdr_out	*o = arg;
	char		 start[32], answer[32], end[32], n[32];

	cdr_utc(r->start, start, sizeof(start));
	cdr_utc(r->answer, answer, sizeof(answer));
	cdr_utc(r->end, end, sizeof(end));
	evbuffer_add_printf(o->b, "%s,%s,%s,%lld,", start, answer, end,
	    cdr_talk(r));
	cdr_csv_field(o->b, r->caller_user, 0);
	cdr_csv_field(o->b, r->caller_ext, 0);
	cdr_csv_field(o->b, r->caller_number, 0);
	cdr_csv_field(o->b, r->callee, 0);
	cdr_csv_field(o->b, r->callee_user, 0);
	cdr_csv_field(o->b, r->sites, 0);
	cdr_csv_field(o->b, r->trunk, 0);
	snprintf(n, sizeof(n), "%d", r->cause);
	cdr_csv_field(o->b, n, 0);
	cdr_csv_field(o->b, r->reason, 0);
	cdr_csv_field(o->b, r->callid, 1);
}

/* Records since as a text table, or CSV. */
int
cdr_text(time_t since, int csv, struct evbuffer *b)
{
	struct cdr_out	 o;
	int		 rc;

	memset(&o, 0, sizeof(o));
	o.b = b;
	table_init(&o.t, cdr_head, CDR_NCOLS);
	if (csv) {
		evbuffer_add_printf(b, "%s", cdr_csv_head);
		return (db_cdr_foreach(since, cdr_csv_row, &o));
	}
	rc = db_cdr_foreach(since, cdr_row, &o);
	if (rc == 0 && o.t.nrows == 0) {
		evbuffer_add_printf(b, "no call records\n");
		return (0);
	}
	table_print(&o.t, b);
	return (rc);
}

/* One record as a JSON object. */
static void
cdr_json_row(const struct db_cdr *r, void *arg)
{
	struct cdr_out	*o = arg;
	char		 t[32];

	json_obj_begin(o->j, NULL);
	json_str(o->j, "callid", r->callid);
	json_int(o->j, "start", (long long)r->start);
	cdr_utc(r->start, t, sizeof(t));
	json_str(o->j, "start_time", t);
	if (r->answer != 0)
		json_int(o->j, "answer", (long long)r->answer);
	else
		json_null(o->j, "answer");
	json_int(o->j, "end", (long long)r->end);
	json_bool(o->j, "answered", r->answer != 0);
	json_int(o->j, "talk_s", cdr_talk(r));
	json_str(o->j, "caller_user", r->caller_user);
	json_str(o->j, "caller_device", r->caller_ext);
	json_str(o->j, "caller_number", r->caller_number);
	json_str(o->j, "callee", r->callee);
	json_str(o->j, "callee_user", r->callee_user);
	json_str(o->j, "sites", r->sites);
	json_str(o->j, "trunk", r->trunk);
	json_int(o->j, "cause", r->cause);
	json_str(o->j, "reason", r->reason);
	json_obj_end(o->j);
}

/* Records since as one JSON list. */
int
cdr_json(time_t since, struct evbuffer *b)
{
	struct cdr_out	 o;
	struct json	 j;
	char		*doc;
	size_t		 len;
	int		 rc;

	memset(&o, 0, sizeof(o));
	json_init(&j);
	o.b = b;
	o.j = &j;
	json_arr_begin(&j, NULL);
	rc = db_cdr_foreach(since, cdr_json_row, &o);
	json_arr_end(&j);
	doc = json_finish(&j, &len);
	evbuffer_add(b, doc, len);
	evbuffer_add(b, "\n", 1);
	free(doc);
	return (rc);
}

/* Parse exactly n digits at s into *v; 0 or -1. */
static int
cdr_digits(const char *s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		*v = *v * 10 + (s[i] - '0');
	}
	return (0);
}

/* "YYYY-MM-DD[THH:MM[:SS]]" into tm (local, fields checked); 0 or -1. */
static int
cdr_parse_date(const char *s, struct tm *tm)
{
	size_t	 len = strlen(s);
	int	 sec = 0;

	memset(tm, 0, sizeof(*tm));
	if ((len != 10 && len != 16 && len != 19) || s[4] != '-' ||
	    s[7] != '-' || cdr_digits(s, 4, &tm->tm_year) == -1 ||
	    cdr_digits(s + 5, 2, &tm->tm_mon) == -1 ||
	    cdr_digits(s + 8, 2, &tm->tm_mday) == -1)
		return (-1);
	if (len >= 16 && (s[10] != 'T' || s[13] != ':' ||
	    cdr_digits(s + 11, 2, &tm->tm_hour) == -1 ||
	    cdr_digits(s + 14, 2, &tm->tm_min) == -1))
		return (-1);
	if (len == 19 && (s[16] != ':' || cdr_digits(s + 17, 2, &sec) == -1))
		return (-1);
	if (tm->tm_mon < 1 || tm->tm_mon > 12 || tm->tm_mday < 1 ||
	    tm->tm_hour > 23 || tm->tm_min > 59 || sec > 59)
		return (-1);
	tm->tm_sec = sec;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_isdst = -1;
	return (0);
}

/* Parse unix seconds or a local date and time. */
int
cdr_parse_time(const char *s, time_t *t, char **cause)
{
	struct tm	 tm, want;
	char		*end;
	long long	 v;

	*cause = NULL;
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0') {
			*t = (time_t)v;
			return (0);
		}
	} else if (cdr_parse_date(s, &tm) == 0) {
		want = tm;
		*t = mktime(&tm);
		/* mktime moves 2026-02-30 to March: refuse such days. */
		if (*t != (time_t)-1 && tm.tm_mday == want.tm_mday &&
		    tm.tm_mon == want.tm_mon)
			return (0);
	}
	xasprintf(cause, "--since: \"%s\" is not a time (write %s)", s,
	    CDR_TIMES);
	return (-1);
}

/* Parse [--since T | --since=T] [--csv]. */
int
cdr_parse_args(int argc, char **argv, time_t *since, int *csv,
    char **cause)
{
	int	 i;

	*since = 0;
	*csv = 0;
	*cause = NULL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--csv") == 0)
			*csv = 1;
		else if (strncmp(argv[i], "--since=", 8) == 0) {
			if (cdr_parse_time(argv[i] + 8, since, cause) == -1)
				return (-1);
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (cdr_parse_time(argv[++i], since, cause) == -1)
				return (-1);
		} else {
			xasprintf(cause, "cdr: unexpected \"%s\" (%s)",
			    argv[i], CDR_USAGE);
			return (-1);
		}
	}
	return (0);
}
