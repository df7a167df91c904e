/*
 * Slabs for osip's small allocations and the transactions' objects
 * (sip_pool.c).  sip_msg.c installs it for osip; the stats are for tests.
 */
#ifndef SIP_POOL_H
#define SIP_POOL_H

#include <stddef.h>

struct sip_pool_stats {
	int		 installed;	/* 0 in AddressSanitizer builds */
	unsigned long	 slabs;		/* slabs mapped now */
	unsigned long	 pieces;	/* pieces in use in them */
	unsigned long	 big;		/* larger pieces from malloc in use */
};

void	 sip_pool_install(void);
void	*sip_pool_alloc(size_t);	/* zeroed; fatal when out of memory */
void	 sip_pool_free(void *);
void	 sip_pool_stats(struct sip_pool_stats *);

#endif
