/*
 * Call detail records for `roamctl cdr [--since T] [--csv]` and the HTTP
 * API: the rows call.c files with db_cdr_add(), read back in the order
 * they were written, as an aligned text table, CSV (RFC 4180, one header
 * line, one row per call) or a JSON list.
 */
#ifndef CDR_H
#define CDR_H

#include <time.h>

struct evbuffer;

/*
 * Parse a --since time: unix seconds, or YYYY-MM-DD, YYYY-MM-DDTHH:MM or
 * YYYY-MM-DDTHH:MM:SS in the site's local time.  0, or -1 and a malloc'd
 * *cause.
 */
int	cdr_parse_time(const char *, time_t *, char **cause);
/*
 * Parse the words after "cdr": [--since T | --since=T] [--csv].  *since
 * is 0 (every record) and *csv 0 unless given.  0, or -1 and a malloc'd
 * *cause naming the bad word and the usage.
 */
int	cdr_parse_args(int argc, char **argv, time_t *since, int *csv,
	    char **cause);
/* Records that started at or after since, as a table or CSV; 0 or -1. */
int	cdr_text(time_t since, int csv, struct evbuffer *);
/* The same records as one JSON list of objects and a newline; 0 or -1. */
int	cdr_json(time_t since, struct evbuffer *);

#endif
