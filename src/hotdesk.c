/*
 * Who is logged in where.  This first version knows only the start-up
 * rule: every extension's base user is logged in there unless the user is
 * force_login (H5).  Logins and logouts from phones come with the dial
 * plan (DESIGN.md H1-H4).
 */
#include <stdlib.h>

#include "config.h"
#include "hmap.h"
#include "hotdesk.h"
#include "log.h"
#include "roamd.h"

static struct hmap	*hotdesk_by_user;	/* user number -> ext number */
static struct hmap	*hotdesk_by_ext;	/* ext number -> user number */

/* Log every base user in at their extension (H5: not force_login ones). */
static void
hotdesk_load(void)
{
	struct config		*conf = env->conf;
	struct extension	*ext;
	struct user		*u;
	size_t			 i;

	hotdesk_by_user = hmap_new();
	hotdesk_by_ext = hmap_new();
	for (i = 0; i < conf->nextensions; i++) {
		ext = &conf->extensions[i];
		if (ext->base_user == NULL)
			continue;
		if ((u = config_user(conf, ext->base_user)) == NULL)
			continue;
		if (u->force_login) {
			log_info("login skipped user=%s ext=%s reason=force_login",
			    u->number, ext->number);
			continue;
		}
		if (hmap_get(hotdesk_by_user, u->number) != NULL)
			continue;
		hmap_put(hotdesk_by_user, u->number, ext->number);
		hmap_put(hotdesk_by_ext, ext->number, u->number);
	}
}

/* Start: base users in. */
void
hotdesk_init(void)
{
	hotdesk_load();
}

/* Stop: forget everything. */
void
hotdesk_shutdown(void)
{
	hmap_free(hotdesk_by_user, NULL);
	hmap_free(hotdesk_by_ext, NULL);
	hotdesk_by_user = hotdesk_by_ext = NULL;
}

/* The config changed: the maps point into it, so rebuild them. */
void
hotdesk_reload(void)
{
	hotdesk_shutdown();
	hotdesk_load();
}

/* Extension the user is logged in at, or NULL. */
const char *
hotdesk_user_ext(const char *user)
{
	return (hotdesk_by_user != NULL ? hmap_get(hotdesk_by_user, user) :
	    NULL);
}

/* User logged in at the extension, or NULL (NoUser). */
const char *
hotdesk_ext_user(const char *ext)
{
	return (hotdesk_by_ext != NULL ? hmap_get(hotdesk_by_ext, ext) : NULL);
}
