/*
 * String-keyed hash map: FNV-1a, chaining, doubling at load factor 1.
 * Lookups are O(1) on average whatever the number of entries, which is the
 * point: per-message lookups must not grow with registrations or calls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xmalloc.h"

struct hmap_entry {
	struct hmap_entry	*next;
	uint32_t		 hash;
	void			*val;
	char			 key[];
};

struct hmap {
	struct hmap_entry	**slots;
	size_t			  nslots;
	size_t			  count;
};

/* FNV-1a over a NUL-terminated key. */
static uint32_t
hmap_hash(const char *key)
{
	uint32_t	 h = 2166136261u;

	while (*key != '\0') {
		h ^= (unsigned char)*key++;
		h *= 16777619u;
	}
	return (h);
}

/* A new empty map. */
struct hmap *
hmap_new(void)
{
	struct hmap	*m = xcalloc(1, sizeof(*m));

	m->nslots = 64;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	return (m);
}

/* Free the map and, with freeval, its values. */
void
hmap_free(struct hmap *m, void (*freeval)(void *))
{
	struct hmap_entry	*e, *next;
	size_t			 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nslots; i++) {
		for (e = m->slots[i]; e != NULL; e = next) {
			next = e->next;
			if (freeval != NULL)
				freeval(e->val);
			free(e);
		}
	}
	free(m->slots);
	free(m);
}

/* The entry for key, or NULL. */
static struct hmap_entry *
hmap_find(const struct hmap *m, const char *key, uint32_t h)
{
	struct hmap_entry	*e;

	for (e = m->slots[h & (m->nslots - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return (e);
	return (NULL);
}

/* The value for key, or NULL. */
void *
hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_entry	*e;

	e = hmap_find(m, key, hmap_hash(key));
	return (e != NULL ? e->val : NULL);
}

/* Double the slot array and rehash. */
static void
hmap_grow(struct hmap *m)
{
	struct hmap_entry	**slots, *e, *next;
	size_t			  n = m->nslots * 2, i;

	slots = xcalloc(n, sizeof(*slots));
	for (i = 0; i < m->nslots; i++) {
		for (e = m->slots[i]; e != NULL; e = next) {
			next = e->next;
			e->next = slots[e->hash & (n - 1)];
			slots[e->hash & (n - 1)] = e;
		}
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
}

/* Insert or replace; returns the previous value. */
void *
hmap_put(struct hmap *m, const char *key, void *val)
{
	struct hmap_entry	*e;
	uint32_t		 h = hmap_hash(key);
	size_t			 klen;
	void			*old;

	if ((e = hmap_find(m, key, h)) != NULL) {
		old = e->val;
		e->val = val;
		return (old);
	}
	if (m->count >= m->nslots)
		hmap_grow(m);
	klen = strlen(key);
	e = xmalloc(sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->hash = h;
	e->val = val;
	e->next = m->slots[h & (m->nslots - 1)];
	m->slots[h & (m->nslots - 1)] = e;
	m->count++;
	return (NULL);
}

/* Remove key; returns its value. */
void *
hmap_del(struct hmap *m, const char *key)
{
	struct hmap_entry	**pp, *e;
	uint32_t		  h = hmap_hash(key);
	void			 *val;

	for (pp = &m->slots[h & (m->nslots - 1)]; (e = *pp) != NULL;
	    pp = &e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*pp = e->next;
			val = e->val;
			free(e);
			m->count--;
			return (val);
		}
	}
	return (NULL);
}

/* Number of entries. */
size_t
hmap_count(const struct hmap *m)
{
	return (m->count);
}

/* Visit every entry; fn may delete the entry it is given. */
void
hmap_foreach(struct hmap *m, void (*fn)(const char *, void *, void *),
    void *arg)
{
	struct hmap_entry	*e, *next;
	size_t			 i;

	for (i = 0; i < m->nslots; i++) {
		for (e = m->slots[i]; e != NULL; e = next) {
			next = e->next;
			fn(e->key, e->val, arg);
		}
	}
}
