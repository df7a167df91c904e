/*
 * Every user this site can act for, by number, in O(1): the users of
 * this site's config (their home) and remote hot deskers visiting here
 * (DESIGN.md R2: the record their home sent).  Modules that need "the
 * user 201" ask here, never the config directly, so a visitor is dialled,
 * rung and shown like a local user.
 */
#ifndef USERS_H
#define USERS_H

struct user;

/* A configured or visiting user, or NULL. */
struct user	*user_find(const char *number);
/* Is this user a visitor (homed on another site)? */
int		 user_is_visitor(const char *number);
/* Home site of a visitor (NULL for our own users). */
const char	*user_visitor_home(const char *number);
/*
 * Add a visitor: u and its strings become owned by this module (freed
 * with users_free_user at removal).  Replaces an older record.
 */
void		 user_visitor_add(struct user *u, const char *home);
void		 user_visitor_del(const char *number);
/* Visit every visitor. */
void		 user_visitor_foreach(void (*)(struct user *, const char *home,
		    void *), void *);
/* Free a user struct built outside the config (a visitor record). */
void		 users_free_user(struct user *);
void		 users_shutdown(void);

#endif
