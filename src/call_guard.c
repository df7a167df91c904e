/*
 * Toll-fraud guards (issue "security"): a hijacked phone or password runs
 * up a bill by calling premium or far-away numbers, many at a time, all
 * night.  Two limits bound the damage:
 *
 * - concurrent external calls: every leg we send out on a trunk counts
 *   from its INVITE until the call ends (or the leg fails), per site
 *   (security.max_external_calls) and per user (users[].max_external_calls);
 * - destinations: a user with allowed_prefixes may only dial numbers that
 *   begin with one of them.
 *
 * D3: emergency calls are never refused by either; they still count, as
 * they hold a trunk channel like any other call.  The counts live in
 * memory only: after a restart no call is up, so zero is the truth.
 */
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "config.h"
#include "hmap.h"
#include "log.h"
#include "roamd.h"
#include "xmalloc.h"

static struct hmap	*guard_users;	/* user -> unsigned int *, > 0 */
static unsigned int	 guard_site;	/* trunk legs up on this site */

/* External calls up for user (NULL: for the whole site). */
unsigned int
call_guard_external(const char *user)
{
	unsigned int	*n;

	if (user == NULL)
		return (guard_site);
	if (guard_users == NULL || (n = hmap_get(guard_users, user)) == NULL)
		return (0);
	return (*n);
}

/* Does number begin with prefix, as dialled or after "+" or "00"? */
static int
call_guard_prefix_ok(const char *number, const char *prefix)
{
	size_t	 len = strlen(prefix);

	if (strncmp(number, prefix, len) == 0)
		return (1);
	/* "+44..." and "0044..." name the same country as "44". */
	if (*number == '+')
		return (strncmp(number + 1, prefix, len) == 0);
	if (strncmp(number, "00", 2) == 0)
		return (strncmp(number + 2, prefix, len) == 0);
	return (0);
}

/* Is number on u's allow list (or has u none)? */
static int
call_guard_allowed(const struct user *u, const char *number)
{
	size_t	 i;

	if (u == NULL || u->nallowed_prefixes == 0)
		return (1);
	for (i = 0; i < u->nallowed_prefixes; i++)
		if (call_guard_prefix_ok(number, u->allowed_prefixes[i]))
			return (1);
	return (0);
}

/* One log line per refusal, for the admin and an external fail2ban. */
static enum sip_answer
call_guard_refuse(const struct call *c, const struct user *u,
    const char *number, enum sip_answer a, const char *reason)
{
	log_warnx("call refused call=%s user=%s reason=%s number=%s",
	    c != NULL && c->callid != NULL ? c->callid : "-",
	    u != NULL ? u->number : "-", reason, number);
	return (a);
}

/*
 * May user u (NULL: no user) send number out on a trunk now?  ANS_OK, or
 * the refusal to send (logged).  Emergency calls are never asked.
 */
enum sip_answer
call_guard_check(const struct call *c, const struct user *u,
    const char *number)
{
	const struct config	*conf = env->conf;

	if (!call_guard_allowed(u, number))
		return (call_guard_refuse(c, u, number,
		    ANS_DESTINATION_NOT_ALLOWED, "destination-not-allowed"));
	if (conf->max_external_calls > 0 &&
	    guard_site >= (unsigned int)conf->max_external_calls)
		return (call_guard_refuse(c, u, number, ANS_EXTERNAL_LIMIT,
		    "external-limit"));
	if (u != NULL && u->max_external_calls > 0 &&
	    call_guard_external(u->number) >=
	    (unsigned int)u->max_external_calls)
		return (call_guard_refuse(c, u, number, ANS_EXTERNAL_LIMIT,
		    "external-limit"));
	return (ANS_OK);
}

/* A trunk leg's INVITE goes out: count it for the site and its user. */
void
call_guard_leg_start(struct call_leg *f, const char *user)
{
	unsigned int	*n;

	if (f->guard_counted)
		return;
	f->guard_counted = 1;
	guard_site++;
	if (user == NULL)
		return;
	f->guard_user = xstrdup(user);
	if (guard_users == NULL)
		guard_users = hmap_new();
	if ((n = hmap_get(guard_users, user)) == NULL) {
		n = xcalloc(1, sizeof(*n));
		hmap_put(guard_users, user, n);
	}
	(*n)++;
}

/* A trunk leg failed or its call ended: it no longer counts. */
void
call_guard_leg_end(struct call_leg *f)
{
	unsigned int	*n;

	if (!f->guard_counted)
		return;
	f->guard_counted = 0;
	if (guard_site > 0)
		guard_site--;
	if (f->guard_user == NULL)
		return;
	if (guard_users != NULL &&
	    (n = hmap_get(guard_users, f->guard_user)) != NULL &&
	    --(*n) == 0) {
		free(hmap_del(guard_users, f->guard_user));
		if (hmap_count(guard_users) == 0) {
			hmap_free(guard_users, NULL);
			guard_users = NULL;
		}
	}
	free(f->guard_user);
	f->guard_user = NULL;
}
