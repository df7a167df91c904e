/*
 * Secrets at rest (issue 5): the config file holds SIP passwords, login
 * codes and the network secret; the database holds login-code hashes and
 * where every phone is.  Neither may be open to other local users, so
 * roamd checks both at start and refuses to run when they are, unless the
 * admin opts out with site.allow_insecure_permissions.
 */
#ifndef PERM_H
#define PERM_H

/*
 * 0 when path has no read or write permission for its group or others
 * (or does not exist yet: the database is created private at first
 * start).  Else -1 and a malloc'd *cause the caller logs and frees, e.g.
 * "config /etc/roamd/roamd.yaml is readable by others (mode 0644); chmod
 * 600 it or set site.allow_insecure_permissions: true".  what names the
 * file in the message ("config", "database").
 */
int	perm_check_private(const char *path, const char *what, char **cause);

#endif
