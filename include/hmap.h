/*
 * A string-keyed hash map with chaining.  Used wherever the daemon looks
 * something up per message (transactions by branch, extensions, users,
 * registrations, calls by Call-ID), so that cost never grows with the
 * number of entries.  Keys are copied; values are owned by the caller.
 */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>

struct hmap;

struct hmap	*hmap_new(void);
/* Free the map; call freeval on each value if not NULL. */
void		 hmap_free(struct hmap *, void (*freeval)(void *));
void		*hmap_get(const struct hmap *, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void		*hmap_put(struct hmap *, const char *key, void *val);
/* Remove; returns the removed value or NULL. */
void		*hmap_del(struct hmap *, const char *key);
size_t		 hmap_count(const struct hmap *);
/*
 * Call fn on every entry.  fn may delete the entry it is given (only that
 * one).  Order is unspecified.
 */
void		 hmap_foreach(struct hmap *,
		    void (*fn)(const char *key, void *val, void *arg), void *arg);

#endif
