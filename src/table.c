/*
 * Aligned text tables (table.h): the one place roamctl's human output is
 * laid out, so users, registrations, calls, events and call records line
 * up the same way.
 */
#include <ctype.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "table.h"
#include "xmalloc.h"

/* A copy of s fit for one cell: control bytes as '?', "-" for none. */
char *
table_clean(const char *s)
{
	char	*c, *p;

	if (s == NULL || *s == '\0')
		return (xstrdup("-"));
	c = xstrdup(s);
	for (p = c; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
	return (c);
}

/* t in the site's local time, "2026-11-27 10:02:03" (malloc'd). */
char *
table_local_time(time_t t)
{
	struct tm	 tm;
	char		 buf[64];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sizeof(buf), "@%lld", (long long)t);
	return (xstrdup(buf));
}

/* Start a table with these column headers. */
void
table_init(struct table *t, const char *const *head, size_t ncols)
{
	t->ncols = ncols;
	t->head = head;
	t->cells = NULL;
	t->nrows = 0;
}

/* Add one row; NULL or empty shows as "-". */
void
table_row(struct table *t, const char *const *row)
{
	size_t	 i;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(row[i] != NULL &&
		    row[i][0] != '\0' ? row[i] : "-");
	t->nrows++;
}

/* Width on a terminal: UTF-8 continuation bytes take no column. */
static size_t
table_width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

/* Print one line of cells padded to the widths; the last is not padded. */
static void
table_line(struct evbuffer *b, const char *const *cells, const size_t *w,
    size_t ncols)
{
	size_t	 i, pad;

	for (i = 0; i < ncols; i++) {
		evbuffer_add_printf(b, "%s", cells[i]);
		if (i == ncols - 1)
			break;
		pad = w[i] - table_width(cells[i]) + 2;
		while (pad-- > 0)
			evbuffer_add(b, " ", 1);
	}
	evbuffer_add(b, "\n", 1);
}

/* Free the rows. */
void
table_free(struct table *t)
{
	size_t	 r;

	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* Print with aligned columns, then free the rows. */
void
table_print(struct table *t, struct evbuffer *b)
{
	size_t	*w, r, c, len;

	w = xcalloc(t->ncols, sizeof(*w));
	for (c = 0; c < t->ncols; c++)
		w[c] = table_width(t->head[c]);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			len = table_width(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	table_line(b, t->head, w, t->ncols);
	for (r = 0; r < t->nrows; r++)
		table_line(b, (const char *const *)&t->cells[r * t->ncols], w,
		    t->ncols);
	free(w);
	table_free(t);
}
