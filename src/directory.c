/*
 * The network directory (directory.h).  One hash map, number -> entry,
 * holding our users (local) and every other site's users as their home
 * last told us.  Generations order what we hear: an entry only moves
 * forward, so a LOCATION that arrives late or twice changes nothing
 * (DESIGN.md section 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "directory.h"
#include "hmap.h"
#include "hotdesk.h"
#include "json.h"
#include "log.h"
#include "peer_frame.h"
#include "roamd.h"
#include "xmalloc.h"

/* Room one DIR_SYNC entry may take at most (attribute bounds). */
#define DIR_ENTRY_MAX	(6 * 4 + 31 + 255 + 31 + 31 + 31 + 8)

/*
 * Another site's entries, so that its DIR_SYNC visits its own users only:
 * walking the whole directory per sync made a network of N sites of U
 * users cost each site N * N * U steps at start-up.
 */
struct dir_home {
	TAILQ_HEAD(, dir_entry)	 entries;
};

static struct hmap	*dir_entries;	/* number -> struct dir_entry */
static struct hmap	*dir_syncing;	/* site -> (void *)1: full sync on */
static struct hmap	*dir_homes;	/* site -> struct dir_home */

/* File e under its home site's list (none for our own users). */
static void
dir_home_file(struct dir_entry *e)
{
	struct dir_home	*h;

	if (e->hq != NULL) {
		TAILQ_REMOVE(&e->hq->entries, e, bysite);
		e->hq = NULL;
	}
	if (e->local || e->home == NULL)
		return;
	if ((h = hmap_get(dir_homes, e->home)) == NULL) {
		h = xcalloc(1, sizeof(*h));
		TAILQ_INIT(&h->entries);
		hmap_put(dir_homes, e->home, h);
	}
	TAILQ_INSERT_TAIL(&h->entries, e, bysite);
	e->hq = h;
}

/* Free an entry. */
static void
dir_entry_free(void *p)
{
	struct dir_entry	*e = p;

	if (e->hq != NULL)
		TAILQ_REMOVE(&e->hq->entries, e, bysite);
	free(e->number);
	free(e->name);
	free(e->home);
	free(e->site);
	free(e->ext);
	free(e);
}

/* Replace an owned string; NULL or "" clears it. */
static void
dir_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL && *src != '\0' ? xstrdup(src) : NULL;
}

/* Equal strings, NULL equal to NULL. */
static int
dir_streq(const char *a, const char *b)
{
	if (a == NULL || *a == '\0' || b == NULL || *b == '\0')
		return ((a == NULL || *a == '\0') && (b == NULL || *b == '\0'));
	return (strcmp(a, b) == 0);
}

/* Make or refresh the entry of one of our configured users. */
static void
dir_local(const struct user *u)
{
	struct dir_entry	*e;
	const char		*ext;

	if ((e = hmap_get(dir_entries, u->number)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->number = xstrdup(u->number);
		hmap_put(dir_entries, u->number, e);
		ext = hotdesk_user_ext(u->number);
		dir_str(&e->site, ext != NULL ? env->conf->site_name : NULL);
		dir_str(&e->ext, ext);
	}
	e->local = 1;
	dir_str(&e->name, u->name);
	dir_str(&e->home, env->conf->site_name);
	dir_home_file(e);
}

/* Start: our users, where hotdesk has them; generations come later. */
void
directory_init(void)
{
	size_t	 i;

	dir_entries = hmap_new();
	dir_syncing = hmap_new();
	dir_homes = hmap_new();
	if (env->conf == NULL)
		return;
	for (i = 0; i < env->conf->nusers; i++)
		dir_local(&env->conf->users[i]);
}

/* Stop. */
void
directory_shutdown(void)
{
	hmap_free(dir_entries, dir_entry_free);
	hmap_free(dir_syncing, NULL);
	hmap_free(dir_homes, free);
	dir_entries = dir_syncing = dir_homes = NULL;
}

/* Drop our users the new config no longer has. */
static void
dir_reload_one(const char *key, void *val, void *arg)
{
	struct dir_entry	*e = val;

	if (e->local && config_user(env->conf, e->number) == NULL) {
		hmap_del(dir_entries, key);
		dir_entry_free(e);
	}
}

/* The config changed: our users added, renamed, removed. */
void
directory_reload(void)
{
	size_t	 i;

	hmap_foreach(dir_entries, dir_reload_one, NULL);
	for (i = 0; i < env->conf->nusers; i++)
		dir_local(&env->conf->users[i]);
}

/* The entry of a number. */
const struct dir_entry *
directory_lookup(const char *number)
{
	if (dir_entries == NULL || number == NULL)
		return (NULL);
	return (hmap_get(dir_entries, number));
}

/* Move e to site/ext at gen if not older; 1 when it changed. */
static int
dir_move(struct dir_entry *e, const char *site, const char *ext,
    uint64_t gen)
{
	if (gen < e->generation)
		return (0);
	if (gen == e->generation && dir_streq(e->site, site) &&
	    dir_streq(e->ext, ext))
		return (0);
	e->generation = gen;
	dir_str(&e->site, site);
	dir_str(&e->ext, ext);
	return (1);
}

/* Record a location of a known number. */
int
directory_set_location(const char *number, const char *site,
    const char *ext, uint64_t generation)
{
	struct dir_entry	*e;

	if (dir_entries == NULL ||
	    (e = hmap_get(dir_entries, number)) == NULL)
		return (0);
	return (dir_move(e, site, ext, generation));
}

/* Another site's word on one of its users. */
int
directory_apply(const struct dir_update *u)
{
	struct dir_entry	*e;
	int			 changed = 0;

	if (dir_entries == NULL || u->number[0] == '\0' || u->home[0] == '\0')
		return (0);
	if ((e = hmap_get(dir_entries, u->number)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->number = xstrdup(u->number);
		hmap_put(dir_entries, u->number, e);
		changed = 1;
	} else if (e->local) {
		log_debug("directory ignored user=%s home=%s: ours", u->number,
		    u->home);
		return (0);
	}
	if (!dir_streq(e->home, u->home)) {
		/* The user moved to another home site (config change). */
		dir_str(&e->home, u->home);
		dir_home_file(e);
		e->generation = 0;
		changed = 1;
	}
	if (!dir_streq(e->name, u->name)) {
		dir_str(&e->name, u->name);
		changed = 1;
	}
	e->seen = 1;
	if (dir_move(e, u->site, u->ext, u->generation))
		changed = 1;
	return (changed);
}

struct dir_each {
	void	(*fn)(const struct dir_entry *, void *);
	void	*arg;
};

/* hmap_foreach adapter. */
static void
dir_each_one(const char *key, void *val, void *arg)
{
	struct dir_each	*d = arg;

	d->fn(val, d->arg);
}

/* Visit every entry. */
void
directory_foreach(void (*fn)(const struct dir_entry *, void *), void *arg)
{
	struct dir_each	 d = { fn, arg };

	if (dir_entries != NULL)
		hmap_foreach(dir_entries, dir_each_one, &d);
}

struct dir_list {
	const struct dir_entry	**v;
	size_t			  n;
};

/* Collect one entry. */
static void
dir_list_add(const struct dir_entry *e, void *arg)
{
	struct dir_list	*l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = e;
}

/* Order entries by number. */
static int
dir_list_cmp(const void *a, const void *b)
{
	const struct dir_entry	*const *x = a, *const *y = b;

	return (strcmp((*x)->number, (*y)->number));
}

/* Every entry, sorted by number (the caller frees l->v). */
static void
dir_list(struct dir_list *l)
{
	l->v = NULL;
	l->n = 0;
	directory_foreach(dir_list_add, l);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), dir_list_cmp);
}

/* roamctl directory --json. */
void
directory_json(struct json *j)
{
	struct dir_list		 l;
	const struct dir_entry	*e;
	size_t			 i;

	dir_list(&l);
	json_arr_begin(j, NULL);
	for (i = 0; i < l.n; i++) {
		e = l.v[i];
		json_obj_begin(j, NULL);
		json_str(j, "number", e->number);
		json_str(j, "name", e->name);
		json_str(j, "home", e->home);
		json_str(j, "site", e->site);
		json_str(j, "extension", e->ext);
		json_int(j, "generation", (long long)e->generation);
		json_bool(j, "remote", e->site != NULL && e->home != NULL &&
		    strcmp(e->site, e->home) != 0);
		json_obj_end(j);
	}
	json_arr_end(j);
	free(l.v);
}

/* roamctl directory: a text table (malloc'd). */
char *
directory_table(void)
{
	struct dir_list		 l;
	const struct dir_entry	*e;
	char			*out = NULL, *line;
	size_t			 i, len = 0, n;

	dir_list(&l);
	xasprintf(&out, "%-12s %-24s %-12s %-12s %-10s %s\n", "NUMBER",
	    "NAME", "HOME", "SITE", "EXTENSION", "GEN");
	len = strlen(out);
	for (i = 0; i < l.n; i++) {
		e = l.v[i];
		n = (size_t)xasprintf(&line, "%-12s %-24s %-12s %-12s %-10s "
		    "%llu\n", e->number, e->name != NULL ? e->name : "-",
		    e->home != NULL ? e->home : "-",
		    e->site != NULL ? e->site : "-",
		    e->ext != NULL ? e->ext : "-",
		    (unsigned long long)e->generation);
		out = xreallocarray(out, 1, len + n + 1);
		memcpy(out + len, line, n + 1);
		len += n;
		free(line);
	}
	free(l.v);
	return (out);
}

/* The attributes of one entry. */
void
directory_put_entry(struct peer_out *o, const struct dir_entry *e)
{
	peer_frame_put_str(o, PA_USER, e->number);
	peer_frame_put_str(o, PA_NAME, e->name);
	peer_frame_put_str(o, PA_HOME, e->home);
	if (e->site != NULL)
		peer_frame_put_str(o, PA_SITE, e->site);
	if (e->ext != NULL)
		peer_frame_put_str(o, PA_EXTENSION, e->ext);
	peer_frame_put_u64(o, PA_GENERATION, e->generation);
}

/* Copy a string attribute into a fixed field; -1 when it does not fit. */
static int
dir_field(const struct peer_attr *a, char *buf, size_t len)
{
	return (peer_attr_str(a, buf, len));
}

/* Store attribute a into u; -1 when it is unusable. */
static int
dir_update_attr(struct dir_update *u, const struct peer_attr *a)
{
	switch (a->type) {
	case PA_USER:
		return (dir_field(a, u->number, sizeof(u->number)));
	case PA_NAME:
		return (dir_field(a, u->name, sizeof(u->name)));
	case PA_HOME:
		return (dir_field(a, u->home, sizeof(u->home)));
	case PA_SITE:
		return (dir_field(a, u->site, sizeof(u->site)));
	case PA_EXTENSION:
		return (dir_field(a, u->ext, sizeof(u->ext)));
	case PA_GENERATION:
		u->generation = peer_attr_u64(a);
		return (0);
	default:
		return (0);
	}
}

/* Read a LOCATION. */
int
directory_read_location(const struct peer_msg *m, struct dir_update *u)
{
	struct peer_iter	 it;
	struct peer_attr	 a;

	memset(u, 0, sizeof(*u));
	peer_iter_init(&it, m);
	while (peer_iter_next(&it, &a))
		if (dir_update_attr(u, &a) == -1)
			return (-1);
	return (u->number[0] != '\0' && u->home[0] != '\0' ? 0 : -1);
}

struct dir_sync {
	struct peer_out	*v;
	size_t		 n;
};

/* Start another DIR_SYNC chunk. */
static struct peer_out *
dir_sync_chunk(struct dir_sync *s)
{
	struct peer_out	*o;

	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	o = &s->v[s->n++];
	memset(o, 0, sizeof(*o));
	peer_frame_begin(o, PT_DIR_SYNC, 0);
	return (o);
}

/* Add one of our users to the sync. */
static void
dir_sync_add(const struct dir_entry *e, struct dir_sync *s)
{
	struct peer_out	*o = &s->v[s->n - 1];

	if (peer_frame_room(o) < DIR_ENTRY_MAX)
		o = dir_sync_chunk(s);
	directory_put_entry(o, e);
}

/* Our users (the config's, not the whole directory) as DIR_SYNC chunks. */
size_t
directory_sync_build(struct peer_out **outv)
{
	struct dir_sync		 s = { NULL, 0 };
	const struct dir_entry	*e;
	const char		*cause;
	size_t			 i;
	uint16_t		 flags;

	dir_sync_chunk(&s);		/* an empty directory is one chunk */
	for (i = 0; env->conf != NULL && i < env->conf->nusers; i++) {
		e = hmap_get(dir_entries, env->conf->users[i].number);
		if (e != NULL && e->local)
			dir_sync_add(e, &s);
	}
	for (i = 0; i < s.n; i++) {
		flags = (i == 0 ? PF_FULL : 0) | (i + 1 < s.n ? PF_MORE : 0);
		peer_frame_set_flags(&s.v[i], flags);
		if (peer_frame_end(&s.v[i], &cause) == -1)
			log_warnx("directory sync chunk dropped: %s", cause);
	}
	*outv = s.v;
	return (s.n);
}

/* Mark site's entries unseen, or drop those still unseen. */
static void
dir_unsee(const char *site, int drop)
{
	struct dir_home		*h;
	struct dir_entry	*e, *next;

	if ((h = hmap_get(dir_homes, site)) == NULL)
		return;
	for (e = TAILQ_FIRST(&h->entries); e != NULL; e = next) {
		next = TAILQ_NEXT(e, bysite);
		if (!drop)
			e->seen = 0;
		else if (!e->seen) {
			log_info("directory drop user=%s home=%s", e->number,
			    e->home);
			hmap_del(dir_entries, e->number);
			dir_entry_free(e);
		}
	}
}

/* Apply one entry gathered from a sync chunk. */
static void
dir_sync_entry(const char *from, struct dir_update *u,
    void (*fn)(const struct dir_entry *, void *), void *arg)
{
	const struct dir_entry	*e;

	if (u->number[0] == '\0')
		return;
	/* A site speaks only for its own users. */
	xstrlcpy(u->home, from, sizeof(u->home));
	directory_apply(u);
	if (fn != NULL && (e = directory_lookup(u->number)) != NULL &&
	    !e->local)
		fn(e, arg);
}

/* Apply one DIR_SYNC chunk. */
int
directory_sync_apply(const char *from, const struct peer_msg *m,
    void (*fn)(const struct dir_entry *, void *), void *arg)
{
	struct peer_iter	 it;
	struct peer_attr	 a;
	struct dir_update	 u;

	if (dir_entries == NULL)
		return (0);
	if (m->flags & PF_FULL) {
		dir_unsee(from, 0);
		hmap_put(dir_syncing, from, (void *)1);
	}
	memset(&u, 0, sizeof(u));
	peer_iter_init(&it, m);
	while (peer_iter_next(&it, &a)) {
		if (a.type == PA_USER) {
			dir_sync_entry(from, &u, fn, arg);
			memset(&u, 0, sizeof(u));
		}
		if (dir_update_attr(&u, &a) == -1) {
			log_warnx("directory sync entry skipped peer=%s",
			    from);
			memset(&u, 0, sizeof(u));
		}
	}
	dir_sync_entry(from, &u, fn, arg);
	if (m->flags & PF_MORE)
		return (0);
	if (hmap_del(dir_syncing, from) != NULL)
		dir_unsee(from, 1);
	return (1);
}
