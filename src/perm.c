/*
 * Start-up check that the files holding secrets are private to the user
 * roamd runs as.  Only the permission bits are looked at: group and other
 * read or write is refused, execute is ignored (it gives nothing away for
 * a regular file).  Ownership is not checked: under systemd the files
 * belong to the roamd user, in a test directory to whoever runs the test.
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "perm.h"
#include "xmalloc.h"

#define PERM_READ	(S_IRGRP | S_IROTH)
#define PERM_WRITE	(S_IWGRP | S_IWOTH)

/* "readable", "writable" or both, for the bits group and others hold. */
static const char *
perm_access(mode_t mode)
{
	if ((mode & PERM_READ) && (mode & PERM_WRITE))
		return ("readable and writable");
	if (mode & PERM_READ)
		return ("readable");
	return ("writable");
}

/* Refuse path if group or others may read or write it. */
int
perm_check_private(const char *path, const char *what, char **cause)
{
	struct stat	 st;

	*cause = NULL;
	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "%s %s: %s", what, path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) ||
	    (st.st_mode & (PERM_READ | PERM_WRITE)) == 0)
		return (0);
	xasprintf(cause, "%s %s is %s by others (mode %04o); chmod 600 it or "
	    "set site.allow_insecure_permissions: true", what, path,
	    perm_access(st.st_mode), (unsigned int)(st.st_mode & 07777));
	return (-1);
}
