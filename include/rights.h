/*
 * User rights and time profiles (DESIGN.md D4, D5, R5).  Times are the
 * site's local time: main sets TZ to site.timezone, so localtime_r() is
 * what the admin means by "08:00".
 */
#ifndef RIGHTS_H
#define RIGHTS_H

#include <time.h>

struct config;
struct time_profile;
struct user_rights;

/* Is the profile active at t (site local time)? */
int	tprof_active(const struct time_profile *, time_t t);
/*
 * The first instant after t at which tprof_active() changes (DST changes
 * included), or t + 8 days if it does not change before then.  For a timer
 * that switches rights at the boundary without a restart: arm it for the
 * returned time and ask again when it fires.
 */
time_t	tprof_next_change(const struct time_profile *, time_t t);
/*
 * D5/R5: effective rights at t, resolved by name in conf.  A missing
 * rights name = no rights (NULL); a missing time profile = working-hours
 * rights at all times.
 */
const struct user_rights *rights_effective(const struct config *,
	    const char *rights, const char *ooh_rights, const char *tprof,
	    time_t t);

#endif
