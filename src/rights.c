/*
 * User rights and time profiles (DESIGN.md D4, D5, R5).
 *
 * A time profile is read in the site's local time: main sets TZ to
 * site.timezone, so localtime_r() turns an instant into the wall clock an
 * admin wrote ("08:00" is 08:00 on both sides of a DST change).  Each
 * entry is a half-open range of minutes, start inclusive and end
 * exclusive, so 08:00-18:00 is active at 08:00 and inactive at 18:00 and
 * two adjacent ranges never overlap.
 *
 * Rights are looked up by name in the local config on every use, never
 * cached by pointer: R5 says a remote hot desker's rights are whatever
 * this site calls by that name, and a reload may change them.
 */
#include <string.h>
#include <time.h>

#include "config.h"
#include "rights.h"

/* How far tprof_next_change looks ahead before giving up. */
#define TPROF_HORIZON	(8 * 24 * 60 * 60)

/* The DAY_* bit for a struct tm weekday (0 = Sunday). */
static unsigned
tprof_day_bit(int wday)
{
	return (1u << ((wday + 6) % 7));
}

/*
 * Does one weekly entry cover minute m of weekday wday?  An entry whose
 * end is before its start runs overnight into the next day (config
 * normally insists on end > start; this keeps such an entry meaningful).
 */
static int
tprof_weekly_match(const struct tp_weekly *w, int wday, int m)
{
	if (w->start < w->end)
		return ((w->days & tprof_day_bit(wday)) &&
		    m >= w->start && m < w->end);
	if (w->end < w->start) {
		if ((w->days & tprof_day_bit(wday)) && m >= w->start)
			return (1);
		return ((w->days & tprof_day_bit((wday + 6) % 7)) &&
		    m < w->end);
	}
	return (0);
}

/*
 * Does one calendar entry cover minute m of date key (yyyymmdd)?  For a
 * date range with times, the times apply on each day of the range.
 */
static int
tprof_date_match(const struct tp_date *d, int key, int m)
{
	int	 first, last;

	first = d->year * 10000 + d->month * 100 + d->day;
	if (d->end_year == 0)
		last = first;
	else
		last = d->end_year * 10000 + d->end_month * 100 + d->end_day;
	return (key >= first && key <= last && m >= d->start && m < d->end);
}

/* Is the profile active at the local time tm? */
static int
tprof_active_tm(const struct time_profile *tp, const struct tm *tm)
{
	size_t	 i;
	int	 m, key;

	m = tm->tm_hour * 60 + tm->tm_min;
	key = (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 +
	    tm->tm_mday;
	for (i = 0; i < tp->nweekly; i++)
		if (tprof_weekly_match(&tp->weekly[i], tm->tm_wday, m))
			return (1);
	for (i = 0; i < tp->ndates; i++)
		if (tprof_date_match(&tp->dates[i], key, m))
			return (1);
	return (0);
}

/* Is the profile active at t (site local time)?  NULL is never active. */
int
tprof_active(const struct time_profile *tp, time_t t)
{
	struct tm	 tm;

	if (tp == NULL || localtime_r(&t, &tm) == NULL)
		return (0);
	return (tprof_active_tm(tp, &tm));
}

/* The first entry boundary (minute of the day) after m; 1440 if none. */
static int
tprof_next_boundary(const struct time_profile *tp, int m)
{
	size_t	 i;
	int	 nb = 1440;

	for (i = 0; i < tp->nweekly; i++) {
		if (tp->weekly[i].start > m && tp->weekly[i].start < nb)
			nb = tp->weekly[i].start;
		if (tp->weekly[i].end > m && tp->weekly[i].end < nb)
			nb = tp->weekly[i].end;
	}
	for (i = 0; i < tp->ndates; i++) {
		if (tp->dates[i].start > m && tp->dates[i].start < nb)
			nb = tp->dates[i].start;
		if (tp->dates[i].end > m && tp->dates[i].end < nb)
			nb = tp->dates[i].end;
	}
	return (nb);
}

/* The UTC offset in force at t (0 if the time cannot be converted). */
static long
tprof_gmtoff(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return (0);
	return (tm.tm_gmtoff);
}

/*
 * The first instant in (s, nx] at which the UTC offset differs from off
 * (a DST change: the wall clock jumps), or nx if it stays the same.
 * Offsets change at most twice a year, so comparing the ends suffices.
 */
static time_t
tprof_offset_change(time_t s, time_t nx, long off)
{
	time_t	 lo = s, hi = nx, mid;

	if (tprof_gmtoff(nx) == off)
		return (nx);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tprof_gmtoff(mid) == off)
			lo = mid;
		else
			hi = mid;
	}
	return (hi);
}

/*
 * The first instant after t at which tprof_active() gives another answer
 * than at t, or t + 8 days if it does not change before then (the caller
 * arms a timer for the returned time and asks again when it fires).
 *
 * Walk the wall clock from one candidate to the next: an entry boundary,
 * local midnight, or a DST change.  Between two candidates neither the
 * local date nor any range edge is crossed, so the answer is constant.
 */
time_t
tprof_next_change(const struct time_profile *tp, time_t t)
{
	struct tm	 tm;
	time_t		 limit = t + TPROF_HORIZON, s, nx;
	int		 cur, m;

	if (tp == NULL)
		return (limit);
	cur = tprof_active(tp, t);
	for (s = t; s < limit; s = nx) {
		if (localtime_r(&s, &tm) == NULL)
			break;
		m = tm.tm_hour * 60 + tm.tm_min;
		nx = s + (time_t)(tprof_next_boundary(tp, m) - m) * 60 -
		    tm.tm_sec;
		nx = tprof_offset_change(s, nx, tm.tm_gmtoff);
		if (nx >= limit)
			break;
		if (tprof_active(tp, nx) != cur)
			return (nx);
	}
	return (limit);
}

/*
 * D5/R5: effective rights at t, resolved by name in conf.  No time profile
 * (or a name this site does not know) = working-hours rights at all
 * times; an active profile = working-hours rights, else out-of-hours.
 * A rights name this site does not know = no rights (NULL).
 */
const struct user_rights *
rights_effective(const struct config *conf, const char *rights,
    const char *ooh_rights, const char *tprof, time_t t)
{
	const struct time_profile	*tp = NULL;
	const char			*name;

	if (conf == NULL)
		return (NULL);
	if (tprof != NULL)
		tp = config_time_profile(conf, tprof);
	name = (tp == NULL || tprof_active(tp, t)) ? rights : ooh_rights;
	if (name == NULL)
		return (NULL);
	return (config_rights(conf, name));
}
