/*
 * The user lookup (users.h).  The config's users are indexed in a hash
 * map rebuilt whenever env->conf is replaced by a reload (detected by
 * pointer, so no module has to remember to call us); visitors live in a
 * second map.  A number is never both: a visitor is homed elsewhere, and
 * numbers are unique across the network.
 */
#include <stdlib.h>

#include "config.h"
#include "hmap.h"
#include "roamd.h"
#include "users.h"
#include "xmalloc.h"

struct visitor {
	struct user	*user;
	char		*home;
};

static struct hmap		*users_visitors; /* number -> visitor */

/* A configured or visiting user. */
struct user *
user_find(const char *number)
{
	struct user	*u;
	struct visitor	*v;

	if (number == NULL)
		return (NULL);
	/* The config's own index (config_index): no second copy here. */
	if (env->conf != NULL && (u = config_user(env->conf, number)) != NULL)
		return (u);
	if (users_visitors != NULL &&
	    (v = hmap_get(users_visitors, number)) != NULL)
		return (v->user);
	return (NULL);
}

/* Is number a visitor? */
int
user_is_visitor(const char *number)
{
	return (users_visitors != NULL && number != NULL &&
	    hmap_get(users_visitors, number) != NULL);
}

/* Home of a visitor. */
const char *
user_visitor_home(const char *number)
{
	struct visitor	*v;

	if (users_visitors == NULL || number == NULL ||
	    (v = hmap_get(users_visitors, number)) == NULL)
		return (NULL);
	return (v->home);
}

/* Free a user struct that is not part of a config. */
void
users_free_user(struct user *u)
{
	if (u == NULL)
		return;
	config_free_user(u);
	free(u);
}

/* Free a visitor entry. */
static void
users_visitor_free(void *p)
{
	struct visitor	*v = p;

	users_free_user(v->user);
	free(v->home);
	free(v);
}

/* Add or replace a visitor. */
void
user_visitor_add(struct user *u, const char *home)
{
	struct visitor	*v, *old;

	if (users_visitors == NULL)
		users_visitors = hmap_new();
	v = xcalloc(1, sizeof(*v));
	v->user = u;
	v->home = xstrdup(home);
	if ((old = hmap_put(users_visitors, u->number, v)) != NULL)
		users_visitor_free(old);
}

/* Remove a visitor. */
void
user_visitor_del(const char *number)
{
	struct visitor	*v;

	if (users_visitors != NULL &&
	    (v = hmap_del(users_visitors, number)) != NULL)
		users_visitor_free(v);
}

struct users_each {
	void	(*fn)(struct user *, const char *, void *);
	void	*arg;
};

/* hmap_foreach adapter. */
static void
users_each_one(const char *key, void *val, void *arg)
{
	struct users_each	*e = arg;
	struct visitor		*v = val;

	e->fn(v->user, v->home, e->arg);
}

/* Visit every visitor (fn may remove the one it is given). */
void
user_visitor_foreach(void (*fn)(struct user *, const char *, void *),
    void *arg)
{
	struct users_each	 e = { fn, arg };

	if (users_visitors != NULL)
		hmap_foreach(users_visitors, users_each_one, &e);
}

/* Free everything. */
void
users_shutdown(void)
{
	hmap_free(users_visitors, users_visitor_free);
	users_visitors = NULL;
}
