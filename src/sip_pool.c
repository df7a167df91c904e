/*
 * Free lists for osip's small allocations.
 *
 * osip builds a parsed message out of a hundred or so small pieces (every
 * header, URI, parameter and string its own malloc) and frees them all
 * when the message goes; a response is built, serialised and freed the
 * same way.  glibc's per-size cache holds only seven pieces of a size, so
 * under load most of them went through its bins: malloc and free were a
 * quarter of roamd's CPU per registration.  osip lets us give it its own
 * allocator: pieces of up to SIP_POOL_MAX bytes come from slabs of one
 * size class each, larger ones from malloc.  The transactions' own
 * objects come from here too (sip_pool_alloc()).
 *
 * Classes go in 16-byte steps up to 512 bytes, then double up to 4 KiB
 * (the copy of a whole message osip parses, the text it serialises
 * into).  Each piece has a 16-byte header naming its class, so it can be
 * freed without knowing its size and realloc can grow it in place.
 *
 * Slabs are 64 KiB, mmap'd and aligned, so a piece finds its slab from
 * its address.  A slab whose last piece is freed goes back to the system
 * (one empty slab per class is kept).  That is the other half of the
 * point: short-lived pieces no longer sit between the heap's long-lived
 * objects (bindings, users), where after a registration storm they left
 * holes glibc could not give back, and the RSS stayed at the storm's peak.
 *
 * Builds with AddressSanitizer keep osip on malloc: a use after free
 * inside a reused piece would otherwise go unseen.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_port.h>

#include "log.h"
#include "sip_pool.h"
#include "xmalloc.h"

#define SIP_POOL_STEP	16
#define SIP_POOL_SMALL	512		/* classes in 16-byte steps up to here */
#define SIP_POOL_NSMALL	(SIP_POOL_SMALL / SIP_POOL_STEP)
#define SIP_POOL_MAX	4096		/* then doubling up to here */
#define SIP_POOL_NCLASS	(SIP_POOL_NSMALL + 4)
#define SIP_POOL_SLAB	(64 * 1024)	/* bytes per slab, aligned so */

#if defined(__SANITIZE_ADDRESS__)
#define SIP_POOL_OFF	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIP_POOL_OFF	1
#endif
#endif

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

/* At the start of each slab: the pieces of one class follow. */
struct pool_slab {
	LIST_ENTRY(pool_slab)	 entry;		/* in pool_room[cls] */
	struct pool_free	*free;		/* freed pieces */
	char			*fresh;		/* never used from here */
	char			*end;
	size_t			 cls;
	unsigned int		 live;
	int			 listed;
	char			 pad[8];
};
_Static_assert(sizeof(struct pool_slab) % 16 == 0, "pieces stay aligned");

LIST_HEAD(pool_slabs, pool_slab);
static struct pool_slabs pool_room[SIP_POOL_NCLASS];	/* slabs with room */
static int		 pool_spare[SIP_POOL_NCLASS];	/* empty slabs kept */

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

/* A new slab for class cls, SIP_POOL_SLAB-aligned (mmap'd apart from the
 * heap, so it goes back to the system when its last piece is freed). */
static struct pool_slab *
pool_slab_new(size_t cls)
{
	struct pool_slab	*sl;
	char			*p, *a;
	size_t			 pre;

	p = mmap(NULL, 2 * SIP_POOL_SLAB, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	a = (char *)(((uintptr_t)p + SIP_POOL_SLAB - 1) &
	    ~(uintptr_t)(SIP_POOL_SLAB - 1));
	pre = a - p;
	if (pre > 0)
		munmap(p, pre);
	munmap(a + SIP_POOL_SLAB, SIP_POOL_SLAB - pre);
	sl = (struct pool_slab *)a;
	memset(sl, 0, sizeof(*sl));
	sl->cls = cls;
	sl->fresh = a + sizeof(*sl);
	sl->end = a + SIP_POOL_SLAB;
	LIST_INSERT_HEAD(&pool_room[cls], sl, entry);
	sl->listed = 1;
	pool_stats.slabs++;
	return (sl);
}

static struct pool_slab *
pool_slab_of(struct pool_hdr *h)
{
	return ((struct pool_slab *)((uintptr_t)h &
	    ~(uintptr_t)(SIP_POOL_SLAB - 1)));
}

/* A piece of class cls from the first slab with room. */
static void *
pool_take(size_t cls)
{
	struct pool_slab	*sl = LIST_FIRST(&pool_room[cls]);
	struct pool_hdr		*h;
	size_t			 stride = sizeof(*h) + pool_size(cls);

	if (sl == NULL && (sl = pool_slab_new(cls)) == NULL)
		return (NULL);
	if (sl->live == 0 && sl->free != NULL)
		pool_spare[cls]--;	/* an empty slab back in use */
	if (sl->free != NULL) {
		h = (struct pool_hdr *)sl->free;
		sl->free = sl->free->next;
	} else {
		h = (struct pool_hdr *)sl->fresh;
		sl->fresh += stride;
	}
	sl->live++;
	if (sl->free == NULL && sl->fresh + stride > sl->end) {
		LIST_REMOVE(sl, entry);
		sl->listed = 0;
	}
	h->cls = cls;
	pool_stats.pieces++;
	return (h + 1);
}

/* Give a piece back to its slab; one empty slab per class is kept. */
static void
pool_give(struct pool_hdr *h)
{
	struct pool_slab	*sl = pool_slab_of(h);
	struct pool_free	*f = (struct pool_free *)h;

	f->next = sl->free;
	sl->free = f;
	sl->live--;
	pool_stats.pieces--;
	if (!sl->listed) {
		LIST_INSERT_HEAD(&pool_room[sl->cls], sl, entry);
		sl->listed = 1;
	}
	if (sl->live > 0)
		return;
	if (pool_spare[sl->cls] == 0) {
		pool_spare[sl->cls]++;
		return;
	}
	LIST_REMOVE(sl, entry);
	munmap(sl, SIP_POOL_SLAB);
	pool_stats.slabs--;
}

static void *
pool_malloc(size_t n)
{
	struct pool_hdr		*h;
	size_t			 cls = pool_class(n);

	if (cls != 0)
		return (pool_take(cls));
	if (n > SIZE_MAX - sizeof(*h))
		return (NULL);
	if ((h = malloc(sizeof(*h) + n)) == NULL)
		return (NULL);
	h->cls = 0;
	pool_stats.big++;
	return (h + 1);
}

static void
pool_free(void *p)
{
	struct pool_hdr		*h;

	if (p == NULL)
		return;
	h = (struct pool_hdr *)p - 1;
	if (h->cls != 0)
		pool_give(h);
	else {
		pool_stats.big--;
		free(h);
	}
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

/* Memory for our own objects that come and go with messages (the
 * transactions): from the pool, so they do not pin the heap. */
void *
sip_pool_alloc(size_t n)
{
	void	*p;

#ifndef SIP_POOL_OFF
	p = pool_malloc(n);
#else
	p = malloc(n);
#endif
	if (p == NULL)
		fatal("%s: %zu bytes", __func__, n);
	memset(p, 0, n);
	return (p);
}

void
sip_pool_free(void *p)
{
#ifndef SIP_POOL_OFF
	pool_free(p);
#else
	free(p);
#endif
}

/* What the pool holds now (tests, profiling). */
void
sip_pool_stats(struct sip_pool_stats *st)
{
	*st = pool_stats;
	st->installed = pool_installed;
}
