/*
 * Allocation that cannot fail: running out of memory is a broken
 * invariant for a daemon of this size, so these call fatal().
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
/* Copy src into dst of size dsz, always terminated; returns strlen(src). */
size_t	 xstrlcpy(char *dst, const char *src, size_t dsz);

#endif
