/*
 * Free lists for osip's small allocations.
 *
 * osip builds a parsed message out of a hundred or so small pieces (every
 * header, URI, parameter and string its own malloc) and frees them all
 * when the message goes; a response is built, serialised and freed the
 * same way.  glibc's per-size cache holds only seven pieces of a size, so
 * under load most of them went through its bins: malloc and free were a
 * quarter of roamd's CPU per registration.  osip lets us give it its own
 * allocator: pieces of up to SIP_POOL_MAX bytes come from per-size free
 * lists, larger ones from malloc.
 *
 * Each piece has a 16-byte header naming its size class, so a piece can
 * be freed without knowing its size and realloc can grow it in place up
 * to its class.  Classes go in 16-byte steps up to 512 bytes, then double
 * up to 4 KiB (the copy of a whole message osip parses, the text it
 * serialises into).  A list keeps at most SIP_POOL_KEEP pieces or
 * SIP_POOL_KEEPB bytes; beyond that they go back to malloc, so a burst
 * cannot pin memory for ever.
 *
 * Builds with AddressSanitizer keep osip on malloc: a use after free
 * inside a reused piece would otherwise go unseen.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_port.h>

#include "sip_pool.h"
#include "xmalloc.h"

#define SIP_POOL_STEP	16
#define SIP_POOL_SMALL	512		/* classes in 16-byte steps up to here */
#define SIP_POOL_NSMALL	(SIP_POOL_SMALL / SIP_POOL_STEP)
#define SIP_POOL_MAX	4096		/* then doubling up to here */
#define SIP_POOL_NCLASS	(SIP_POOL_NSMALL + 4)
#define SIP_POOL_KEEP	1024		/* pieces kept per class, at most */
#define SIP_POOL_KEEPB	(128 * 1024)	/* and bytes kept per class */

#if defined(__SANITIZE_ADDRESS__)
#define SIP_POOL_OFF	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIP_POOL_OFF	1
#endif
#endif

static unsigned int	 pool_kept[SIP_POOL_NCLASS];
static int		 pool_installed;
static struct sip_pool_stats pool_stats;

#ifndef SIP_POOL_OFF
/* The header before each piece; 16 bytes keep the piece aligned. */
struct pool_hdr {
	size_t	 cls;			/* 0: a large piece from malloc */
	size_t	 unused;
};

struct pool_free {
	struct pool_free	*next;
};

static struct pool_free	*pool_lists[SIP_POOL_NCLASS];

/* The class of an n-byte piece; 0 for one too large to pool. */
static size_t
pool_class(size_t n)
{
	size_t	 cls = SIP_POOL_NSMALL, size = SIP_POOL_SMALL;

	if (n <= SIP_POOL_SMALL)
		return (n == 0 ? 1 : (n + SIP_POOL_STEP - 1) / SIP_POOL_STEP);
	if (n > SIP_POOL_MAX)
		return (0);
	while (size < n) {
		size *= 2;
		cls++;
	}
	return (cls);
}

/* The bytes a piece of class cls (not 0) holds. */
static size_t
pool_size(size_t cls)
{
	if (cls <= SIP_POOL_NSMALL)
		return (cls * SIP_POOL_STEP);
	return ((size_t)SIP_POOL_SMALL << (cls - SIP_POOL_NSMALL));
}

static void *
pool_malloc(size_t n)
{
	struct pool_hdr		*h;
	struct pool_free	*f;
	size_t			 cls = pool_class(n);

	if (cls != 0 && (f = pool_lists[cls]) != NULL) {
		pool_lists[cls] = f->next;
		pool_kept[cls]--;
		pool_stats.reused++;
		return (f);
	}
	if (n > SIZE_MAX - sizeof(*h))
		return (NULL);
	h = malloc(sizeof(*h) + (cls != 0 ? pool_size(cls) : n));
	if (h == NULL)
		return (NULL);
	h->cls = cls;
	pool_stats.fresh++;
	return (h + 1);
}

static void
pool_free(void *p)
{
	struct pool_hdr		*h;
	struct pool_free	*f = p;

	if (p == NULL)
		return;
	h = (struct pool_hdr *)p - 1;
	if (h->cls != 0 && pool_kept[h->cls] < SIP_POOL_KEEP &&
	    pool_kept[h->cls] * pool_size(h->cls) < SIP_POOL_KEEPB) {
		f->next = pool_lists[h->cls];
		pool_lists[h->cls] = f;
		pool_kept[h->cls]++;
		return;
	}
	free(h);
}

static void *
pool_realloc(void *p, size_t n)
{
	struct pool_hdr	*h, *nh;
	void		*q;

	if (p == NULL)
		return (pool_malloc(n));
	h = (struct pool_hdr *)p - 1;
	if (h->cls != 0 && n <= pool_size(h->cls))
		return (p);
	if (h->cls == 0) {
		if (n > SIZE_MAX - sizeof(*h) ||
		    (nh = realloc(h, sizeof(*h) + n)) == NULL)
			return (NULL);
		return (nh + 1);
	}
	if ((q = pool_malloc(n)) == NULL)
		return (NULL);
	memcpy(q, p, pool_size(h->cls));
	pool_free(p);
	return (q);
}

#endif /* SIP_POOL_OFF */

/*
 * Make osip allocate from the pool.  Must run before osip allocates
 * anything (sip_msg.c does it first thing): a piece malloc'd before would
 * be freed here without its header.
 */
void
sip_pool_install(void)
{
#ifndef SIP_POOL_OFF
	if (pool_installed)
		return;
	osip_set_allocators(pool_malloc, pool_realloc, pool_free);
	pool_installed = 1;
#endif
}

/* What the pool did so far (tests, profiling). */
void
sip_pool_stats(struct sip_pool_stats *st)
{
	unsigned int	 i;

	*st = pool_stats;
	st->installed = pool_installed;
	st->kept = 0;
	for (i = 0; i < SIP_POOL_NCLASS; i++)
		st->kept += pool_kept[i];
}
