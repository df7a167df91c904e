/*
 * Time profiles and user rights (DESIGN.md D5, R5): weekly and calendar
 * ranges in the site's local time, DST, and which rights a user has.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "rights.h"

struct roamd;
struct roamd	*env;

#define WEEKDAYS	(DAY_MON | DAY_TUE | DAY_WED | DAY_THU | DAY_FRI)
#define ALLDAYS		(WEEKDAYS | DAY_SAT | DAY_SUN)
#define HM(h, m)	((h) * 60 + (m))

/* Office Hours of DESIGN.md section 3, weekly part. */
static struct tp_weekly office_weekly[] = {
	{ WEEKDAYS, HM(8, 0), HM(18, 0) }
};
static struct time_profile office = {
	"Office Hours", office_weekly, 1, NULL, 0
};

/* Every day 08:00-18:00, for the DST tests. */
static struct tp_weekly daily_weekly[] = {
	{ ALLDAYS, HM(8, 0), HM(18, 0) }
};
static struct time_profile daily = { "Daily", daily_weekly, 1, NULL, 0 };

/* Make TZ the site's time zone, as main does with site.timezone. */
static void
tz(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* An instant given as local wall-clock time in the current TZ. */
static time_t
local(int y, int mo, int d, int h, int mi)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return (mktime(&tm));
}

/* An instant given in UTC. */
static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (timegm(&tm));
}

/* Weekly range: inside, outside, start inclusive, end exclusive. */
START_TEST(test_weekly_boundaries)
{
	tz("Europe/London");
	/* 2026-03-02 is a Monday (GMT). */
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 10, 0)), 1);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 7, 59)), 0);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 8, 0)), 1);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 17, 59)), 1);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 18, 0)), 0);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 2, 23, 0)), 0);
	/* Seconds inside the last minute still count. */
	ck_assert_int_eq(tprof_active(&office,
	    local(2026, 3, 2, 17, 59) + 59), 1);
}
END_TEST

/* Weekdays on, the weekend off. */
START_TEST(test_weekly_days_of_week)
{
	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 6, 10, 0)), 1);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 7, 10, 0)), 0);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 8, 10, 0)), 0);
	ck_assert_int_eq(tprof_active(&office, local(2026, 3, 9, 10, 0)), 1);
}
END_TEST

/* Each DAY_* bit selects exactly its own weekday. */
START_TEST(test_weekly_each_day_bit)
{
	static const unsigned	 bits[7] = { DAY_MON, DAY_TUE, DAY_WED,
				    DAY_THU, DAY_FRI, DAY_SAT, DAY_SUN };
	struct tp_weekly	 w = { 0, HM(0, 0), HM(24, 0) };
	struct time_profile	 p = { "one", &w, 1, NULL, 0 };
	int			 i, d;

	tz("Europe/London");
	for (i = 0; i < 7; i++) {
		w.days = bits[i];
		/* 2026-03-02 is Monday: day i of that week is 2 + i. */
		for (d = 0; d < 7; d++)
			ck_assert_msg(tprof_active(&p,
			    local(2026, 3, 2 + d, 12, 0)) == (d == i),
			    "bit %d day %d", i, d);
	}
}
END_TEST

/* An end of 24:00 covers the last minute of the day and no more. */
START_TEST(test_weekly_end_of_day)
{
	struct tp_weekly	 w = { DAY_WED, HM(20, 0), HM(24, 0) };
	struct time_profile	 p = { "late", &w, 1, NULL, 0 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 4, 23, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 5, 0, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 4, 19, 59)), 0);
}
END_TEST

/* An entry that ends before it starts runs over midnight. */
START_TEST(test_weekly_overnight)
{
	struct tp_weekly	 w = { DAY_FRI, HM(22, 0), HM(6, 0) };
	struct time_profile	 p = { "night", &w, 1, NULL, 0 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 6, 23, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 7, 5, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 7, 6, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 6, 5, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 5, 23, 0)), 0);
}
END_TEST

/* A calendar date without times covers the whole day. */
START_TEST(test_date_whole_day)
{
	struct tp_date		 d = { 2026, 12, 25, 2026, 12, 25, 0, 1440 };
	struct time_profile	 p = { "xmas", NULL, 0, &d, 1 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 25, 0, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 25, 23, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 23, 59)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 26, 0, 0)), 0);
	/* Not every year: the date has a year. */
	ck_assert_int_eq(tprof_active(&p, local(2027, 12, 25, 12, 0)), 0);
}
END_TEST

/* A calendar date with times: start inclusive, end exclusive. */
START_TEST(test_date_with_times)
{
	struct tp_date		 d = { 2026, 12, 24, 2026, 12, 24,
				    HM(8, 0), HM(12, 0) };
	struct time_profile	 p = { "eve", NULL, 0, &d, 1 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 8, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 11, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 12, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 7, 59)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 23, 9, 0)), 0);
}
END_TEST

/* A date range includes both ends, also across a year end. */
START_TEST(test_date_range)
{
	struct tp_date		 d[2] = {
		{ 2026, 12, 24, 2026, 12, 26, 0, 1440 },
		{ 2026, 12, 31, 2027, 1, 2, 0, 1440 } };
	struct time_profile	 p = { "holiday", NULL, 0, d, 2 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 23, 12, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 0, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 25, 12, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 26, 23, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 27, 0, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2027, 1, 1, 12, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2027, 1, 2, 23, 59)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2027, 1, 3, 0, 0)), 0);
}
END_TEST

/* A date range with times applies them on each day of the range. */
START_TEST(test_date_range_with_times)
{
	struct tp_date		 d = { 2026, 8, 3, 2026, 8, 5,
				    HM(9, 0), HM(10, 0) };
	struct time_profile	 p = { "audit", NULL, 0, &d, 1 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 8, 4, 9, 30)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 8, 4, 10, 30)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 8, 5, 9, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 8, 6, 9, 30)), 0);
}
END_TEST

/* Weekly and calendar entries together: active if either matches. */
START_TEST(test_profile_weekly_and_dates)
{
	/* 2026-12-26 is a Saturday. */
	struct tp_date		 d = { 2026, 12, 26, 2026, 12, 26,
				    HM(10, 0), HM(14, 0) };
	struct time_profile	 p = { "Office Hours", office_weekly, 1,
				    &d, 1 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 26, 11, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 26, 15, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 19, 11, 0)), 0);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 9, 0)), 1);
	ck_assert_int_eq(tprof_active(&p, local(2026, 12, 24, 19, 0)), 0);
}
END_TEST

/* An empty or absent profile is never active. */
START_TEST(test_profile_empty)
{
	struct time_profile	 p = { "empty", NULL, 0, NULL, 0 };

	tz("Europe/London");
	ck_assert_int_eq(tprof_active(&p, local(2026, 3, 2, 10, 0)), 0);
	ck_assert_int_eq(tprof_active(NULL, local(2026, 3, 2, 10, 0)), 0);
}
END_TEST

/* Europe/London spring forward 2026-03-29: 08:00 is 08:00 BST (07:00Z). */
START_TEST(test_dst_spring_forward)
{
	tz("Europe/London");
	/* The Sunday before: GMT, 08:00 local = 08:00Z. */
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 22, 7, 59)), 0);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 22, 8, 0)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 22, 17, 59)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 22, 18, 0)), 0);
	/* The change day: BST, 08:00 local = 07:00Z. */
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 29, 6, 59)), 0);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 29, 7, 0)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 29, 16, 59)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 3, 29, 17, 0)), 0);
}
END_TEST

/* Europe/London fall back 2026-10-25: 08:00 is 08:00 GMT again. */
START_TEST(test_dst_fall_back)
{
	tz("Europe/London");
	/* The Saturday before: BST, 08:00 local = 07:00Z. */
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 24, 6, 59)), 0);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 24, 7, 0)), 1);
	/* The change day: GMT, 08:00 local = 08:00Z. */
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 25, 7, 0)), 0);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 25, 7, 59)), 0);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 25, 8, 0)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 25, 17, 59)), 1);
	ck_assert_int_eq(tprof_active(&daily, utc(2026, 10, 25, 18, 0)), 0);
}
END_TEST

/* One instant, two sites: office hours in New York, night in Tokyo. */
START_TEST(test_same_instant_two_zones)
{
	/* Wednesday 2026-03-04 14:00Z = 09:00 EST = 23:00 JST. */
	time_t	 t = utc(2026, 3, 4, 14, 0);

	tz("America/New_York");
	ck_assert_int_eq(tprof_active(&office, t), 1);
	tz("Asia/Tokyo");
	ck_assert_int_eq(tprof_active(&office, t), 0);
	/* And 00:30Z Thursday = 19:30 Wed EST = 09:30 Thu JST. */
	t = utc(2026, 3, 5, 0, 30);
	tz("America/New_York");
	ck_assert_int_eq(tprof_active(&office, t), 0);
	tz("Asia/Tokyo");
	ck_assert_int_eq(tprof_active(&office, t), 1);
}
END_TEST

/* Inside office hours the next change is the end; outside, the start. */
START_TEST(test_next_change_weekly)
{
	tz("Europe/London");
	ck_assert_int_eq(tprof_next_change(&office, local(2026, 3, 2, 10, 0)),
	    local(2026, 3, 2, 18, 0));
	ck_assert_int_eq(tprof_next_change(&office,
	    local(2026, 3, 2, 10, 0) + 17), local(2026, 3, 2, 18, 0));
	ck_assert_int_eq(tprof_next_change(&office, local(2026, 3, 2, 18, 0)),
	    local(2026, 3, 3, 8, 0));
	ck_assert_int_eq(tprof_next_change(&office, local(2026, 3, 2, 7, 59)),
	    local(2026, 3, 2, 8, 0));
	/* Friday evening: the weekend is skipped. */
	ck_assert_int_eq(tprof_next_change(&office, local(2026, 3, 6, 18, 0)),
	    local(2026, 3, 9, 8, 0));
}
END_TEST

/* Across both DST changes the next change is 08:00 local time. */
START_TEST(test_next_change_dst)
{
	tz("Europe/London");
	ck_assert_int_eq(tprof_next_change(&daily, utc(2026, 3, 28, 18, 0)),
	    utc(2026, 3, 29, 7, 0));
	ck_assert_int_eq(tprof_next_change(&daily, utc(2026, 10, 24, 17, 0)),
	    utc(2026, 10, 25, 8, 0));
}
END_TEST

/* A range whose start is skipped by the DST jump switches at the jump. */
START_TEST(test_next_change_inside_dst_gap)
{
	struct tp_weekly	 w = { ALLDAYS, HM(1, 30), HM(3, 0) };
	struct tp_weekly	 r = { ALLDAYS, HM(1, 0), HM(1, 30) };
	struct time_profile	 p = { "gap", &w, 1, NULL, 0 };
	struct time_profile	 q = { "repeat", &r, 1, NULL, 0 };

	tz("Europe/London");
	/* 00:59:59 GMT is followed by 02:00 BST (01:00Z). */
	ck_assert_int_eq(tprof_next_change(&p, utc(2026, 3, 29, 0, 0)),
	    utc(2026, 3, 29, 1, 0));
	/* 01:00-01:30 happens twice on 2026-10-25: 00:00Z and 01:00Z. */
	ck_assert_int_eq(tprof_next_change(&q, utc(2026, 10, 24, 23, 50)),
	    utc(2026, 10, 25, 0, 0));
	ck_assert_int_eq(tprof_next_change(&q, utc(2026, 10, 25, 0, 0)),
	    utc(2026, 10, 25, 0, 30));
	ck_assert_int_eq(tprof_next_change(&q, utc(2026, 10, 25, 0, 30)),
	    utc(2026, 10, 25, 1, 0));
	ck_assert_int_eq(tprof_next_change(&q, utc(2026, 10, 25, 1, 0)),
	    utc(2026, 10, 25, 1, 30));
}
END_TEST

/* Nothing changes within 8 days: ask again in 8 days. */
START_TEST(test_next_change_horizon)
{
	struct time_profile	 e = { "empty", NULL, 0, NULL, 0 };
	struct tp_date		 far = { 2026, 12, 25, 2026, 12, 25, 0, 1440 };
	struct tp_date		 near = { 2026, 3, 5, 2026, 3, 5, 0, 1440 };
	struct time_profile	 pf = { "far", NULL, 0, &far, 1 };
	struct time_profile	 pn = { "near", NULL, 0, &near, 1 };
	time_t			 t;

	tz("Europe/London");
	t = local(2026, 3, 2, 10, 0);
	ck_assert_int_eq(tprof_next_change(&e, t), t + 8 * 86400);
	ck_assert_int_eq(tprof_next_change(NULL, t), t + 8 * 86400);
	ck_assert_int_eq(tprof_next_change(&pf, t), t + 8 * 86400);
	ck_assert_int_eq(tprof_next_change(&pn, t), local(2026, 3, 5, 0, 0));
	ck_assert_int_eq(tprof_next_change(&pn, local(2026, 3, 5, 0, 0)),
	    local(2026, 3, 6, 0, 0));
}
END_TEST

/* The first minute, by brute force, at which tprof_active changes. */
static time_t
brute_next_change(const struct time_profile *p, time_t t)
{
	time_t	 s, limit = t + 8 * 86400;
	int	 cur = tprof_active(p, t);

	for (s = t - t % 60 + 60; s < limit; s += 60)
		if (tprof_active(p, s) != cur)
			return (s);
	return (limit);
}

/* tprof_next_change agrees with a minute-by-minute walk, DST included. */
START_TEST(test_next_change_matches_brute_force)
{
	struct tp_weekly	 w[3] = {
		{ WEEKDAYS, HM(8, 0), HM(12, 30) },
		{ DAY_MON | DAY_SAT, HM(11, 0), HM(19, 15) },
		{ DAY_SUN, HM(1, 15), HM(2, 45) } };
	struct tp_date		 d[2] = {
		{ 2026, 3, 28, 2026, 3, 30, HM(0, 30), HM(1, 45) },
		{ 2026, 10, 25, 2026, 10, 25, 0, 1440 } };
	struct time_profile	 p = { "mixed", w, 3, d, 2 };
	time_t			 t;

	tz("Europe/London");
	for (t = utc(2026, 3, 24, 0, 7); t < utc(2026, 3, 31, 0, 0);
	    t += 7 * 3600 + 13 * 60)
		ck_assert_int_eq(tprof_next_change(&p, t),
		    brute_next_change(&p, t));
	for (t = utc(2026, 10, 20, 0, 7); t < utc(2026, 10, 27, 0, 0);
	    t += 7 * 3600 + 13 * 60)
		ck_assert_int_eq(tprof_next_change(&p, t),
		    brute_next_change(&p, t));
}
END_TEST

static struct shortcode sales_sc[] = { { .code = "00N",
    .feature = SC_BARRED } };
static struct user_rights test_rights[] = {
	{ "Sales", 0, 0, { sales_sc, 1 } },
	{ "Night", 1, 0, { NULL, 0 } },
};

/* A config holding Office Hours, Sales and Night. */
static void
conf_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->time_profiles = &office;
	c->ntime_profiles = 1;
	c->user_rights = test_rights;
	c->nuser_rights = 2;
}

/* D5: working-hours rights in hours, out-of-hours rights outside. */
START_TEST(test_rights_follow_time_profile)
{
	struct config			 c;
	const struct user_rights	*r;

	conf_init(&c);
	tz("Europe/London");
	r = rights_effective(&c, "Sales", "Night", "Office Hours",
	    local(2026, 3, 2, 10, 0));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "Sales");
	r = rights_effective(&c, "Sales", "Night", "Office Hours",
	    local(2026, 3, 2, 19, 0));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "Night");
	ck_assert_int_eq(r->outgoing_call_bar, 1);
	r = rights_effective(&c, "Sales", "Night", "Office Hours",
	    local(2026, 3, 7, 10, 0));
	ck_assert_str_eq(r->name, "Night");
}
END_TEST

/* No time profile, or one this site lacks: working-hours rights always. */
START_TEST(test_rights_without_time_profile)
{
	struct config			 c;
	const struct user_rights	*r;

	conf_init(&c);
	tz("Europe/London");
	r = rights_effective(&c, "Sales", "Night", NULL,
	    local(2026, 3, 2, 23, 0));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "Sales");
	r = rights_effective(&c, "Sales", "Night", "Paris Hours",
	    local(2026, 3, 2, 23, 0));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "Sales");
}
END_TEST

/* R5: a rights name this site lacks, or no name at all, is no rights. */
START_TEST(test_rights_missing_name_is_none)
{
	struct config	 c;

	conf_init(&c);
	tz("Europe/London");
	ck_assert_ptr_null(rights_effective(&c, "Ghost", "Night",
	    "Office Hours", local(2026, 3, 2, 10, 0)));
	ck_assert_ptr_null(rights_effective(&c, "Sales", "Ghost",
	    "Office Hours", local(2026, 3, 2, 19, 0)));
	ck_assert_ptr_null(rights_effective(&c, "Sales", NULL,
	    "Office Hours", local(2026, 3, 2, 19, 0)));
	ck_assert_ptr_null(rights_effective(&c, NULL, "Night",
	    "Office Hours", local(2026, 3, 2, 10, 0)));
	ck_assert_ptr_null(rights_effective(&c, "Ghost", "Night", NULL,
	    local(2026, 3, 2, 23, 0)));
	ck_assert_ptr_null(rights_effective(NULL, "Sales", "Night", NULL,
	    local(2026, 3, 2, 10, 0)));
}
END_TEST

/* The rights suite. */
static Suite *
rights_suite(void)
{
	Suite	*s = suite_create("rights");
	TCase	*tc = tcase_create("tprof");
	TCase	*tr = tcase_create("rights");

	tcase_add_test(tc, test_weekly_boundaries);
	tcase_add_test(tc, test_weekly_days_of_week);
	tcase_add_test(tc, test_weekly_each_day_bit);
	tcase_add_test(tc, test_weekly_end_of_day);
	tcase_add_test(tc, test_weekly_overnight);
	tcase_add_test(tc, test_date_whole_day);
	tcase_add_test(tc, test_date_with_times);
	tcase_add_test(tc, test_date_range);
	tcase_add_test(tc, test_date_range_with_times);
	tcase_add_test(tc, test_profile_weekly_and_dates);
	tcase_add_test(tc, test_profile_empty);
	tcase_add_test(tc, test_dst_spring_forward);
	tcase_add_test(tc, test_dst_fall_back);
	tcase_add_test(tc, test_same_instant_two_zones);
	tcase_add_test(tc, test_next_change_weekly);
	tcase_add_test(tc, test_next_change_dst);
	tcase_add_test(tc, test_next_change_inside_dst_gap);
	tcase_add_test(tc, test_next_change_horizon);
	tcase_add_test(tc, test_next_change_matches_brute_force);
	suite_add_tcase(s, tc);
	tcase_add_test(tr, test_rights_follow_time_profile);
	tcase_add_test(tr, test_rights_without_time_profile);
	tcase_add_test(tr, test_rights_missing_name_is_none);
	suite_add_tcase(s, tr);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(rights_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
