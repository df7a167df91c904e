/*
 * Per-size free lists for osip's small allocations (sip_pool.c).  Only
 * sip_msg.c installs it; the stats are for tests.
 */
#ifndef SIP_POOL_H
#define SIP_POOL_H

#include <stddef.h>

struct sip_pool_stats {
	int		 installed;	/* 0 in AddressSanitizer builds */
	unsigned long	 fresh;		/* pieces taken from malloc */
	unsigned long	 reused;	/* pieces taken from a free list */
	unsigned long	 kept;		/* pieces on the free lists now */
};

void	sip_pool_install(void);
void	sip_pool_stats(struct sip_pool_stats *);

#endif
