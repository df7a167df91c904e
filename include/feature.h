/*
 * Feature short codes the daemon answers itself (DESIGN.md section 2):
 * hot-desk login and logout, DND, forwarding.  feature_run() does the
 * change and says how to answer the phone: ANS_OK means 200 OK and the
 * confirmation tone, anything else is the failure to send.
 */
#ifndef FEATURE_H
#define FEATURE_H

#include <time.h>

#include "sip_status.h"

struct dp_match;

/* The dialling context of a feature code. */
struct feature_ctx {
	const char		*ext;	/* the dialling extension */
	const char		*user;	/* the user logged in there, or NULL */
	const struct dp_match	*match;
	time_t			 now;
	const char		*callid;	/* for logs */
};

/* Is this short-code match a feature the daemon answers itself? */
int		 feature_is_local(const struct dp_match *);
enum sip_answer	 feature_run(const struct feature_ctx *);

#endif
