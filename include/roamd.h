/*
 * The daemon's global state: one site, one event loop.
 */
#ifndef ROAMD_H
#define ROAMD_H

#include <stdint.h>
#include <time.h>

struct event_base;
struct config;

struct roamd {
	struct event_base	*base;
	struct config		*conf;
	char			*conffile;
	uint64_t		 epoch;		/* drawn at every start */
	time_t			 started;
	int			 debug;
};

extern struct roamd	*env;

/* Re-read the config; on error keep the running one and fill *errs. */
int	roamd_reload(char **errs);
/* Dispatch a new server transaction by method (main.c). */

#endif
