/*
 * Aligned text tables for the human answers of roamctl (users, regs,
 * calls, events, call records): column widths come from the data.
 */
#ifndef TABLE_H
#define TABLE_H

#include <stddef.h>
#include <time.h>

struct evbuffer;

struct table {
	size_t			  ncols;
	const char *const	 *head;
	char			**cells;	/* nrows * ncols */
	size_t			  nrows;
};

void	table_init(struct table *, const char *const *head, size_t ncols);
/* Add one row of ncols strings (copied); NULL or "" shows as "-". */
void	table_row(struct table *, const char *const *row);
/* Print the table with aligned columns, and free its rows. */
void	table_print(struct table *, struct evbuffer *);
/* Cell text: control bytes as '?', "-" for NULL/empty; local time. */
char	*table_clean(const char *);
char	*table_local_time(time_t);
/* Free the rows without printing. */
void	table_free(struct table *);

#endif
