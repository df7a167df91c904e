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
/*
 * Run a feature code whose answer may have to wait: a login for a user
 * homed on another site is verified by home over the peer link (R2).
 * done(answer, arg) is called exactly once: before feature_start returns
 * (which then returns 0) or later from the event loop (returns 1) unless
 * feature_cancel(arg) is called first (the INVITE was cancelled).  The
 * context need not outlive the call.
 */
int		 feature_start(const struct feature_ctx *,
		    void (*done)(enum sip_answer, void *), void *arg);
void		 feature_cancel(void *arg);

#endif
