/*
 * events: the audit log an admin reads with `roamctl events` - every
 * event stored with its reason, read back in order, filtered by time and
 * user, bounded by retention; and the counters /metrics shows.
 */
#include <check.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "db_events.h"
#include "events.h"
#include "roamd.h"

struct roamd	*env;
static struct roamd	 test_env;
static struct config	 test_conf;

/* 2026-03-02 09:00:00 UTC */
#define T0	1772442000

/* Fresh in-memory database, UTC, a site called london. */
static void
setup(void)
{
	char	*cause = NULL;

	setenv("TZ", "UTC", 1);
	tzset();
	memset(&test_conf, 0, sizeof(test_conf));
	test_conf.site_name = "london";
	test_env.conf = &test_conf;
	env = &test_env;
	ck_assert_msg(db_open(":memory:", NULL, &cause) == 0, "%s", cause);
	db_events_set_retention(EVENTS_KEEP_ROWS, EVENTS_KEEP_SECONDS);
	events_reset_counters();
}

/* Close the database. */
static void
teardown(void)
{
	db_close();
	env = NULL;
}

/* Store a row at time t the way events_add does, but at a given time. */
static void
add_at(time_t t, const char *kind, const char *user, const char *reason)
{
	struct db_event	 e;

	memset(&e, 0, sizeof(e));
	e.time = t;
	e.kind = kind;
	e.user = user;
	e.ext = "301";
	e.site = "london";
	e.reason = reason;
	ck_assert_int_eq(db_events_add(&e), 0);
}

struct seen {
	char	 line[64][96];
	int	 n;
};

/* Remember "kind user reason @time" of each row. */
static void
collect(const struct db_event *e, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 64)
		snprintf(s->line[s->n++], sizeof(s->line[0]), "%s %s %s @%lld",
		    e->kind, e->user != NULL ? e->user : "-",
		    e->reason != NULL ? e->reason : "-", (long long)e->time);
}

/* Rows matching since/user/limit. */
static struct seen *
list(time_t since, const char *user, int limit)
{
	static struct seen	 s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(db_events_foreach(since, user, limit, collect, &s),
	    0);
	return (&s);
}

/* events_json/events_text into a string (caller frees). */
static char *
doc(int json, time_t since, const char *user)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*s;

	if (json)
		ck_assert_int_eq(events_json(since, user, EVENTS_LIST_MAX, b),
		    0);
	else
		ck_assert_int_eq(events_text(since, user, EVENTS_LIST_MAX, b),
		    0);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

START_TEST(test_events_stored_in_order_with_reasons)
{
	char	*j, *p1, *p2, *p3;

	events_add(EVK_LOGIN_FAILED, "201", "202", "bad_code",
	    "failures=%d", 1);
	events_add(EVK_LOGIN, "201", "202", "user", NULL);
	events_add(EVK_LOGOUT, "201", "202", "user", NULL);
	ck_assert_int_eq(db_events_count(), 3);
	j = doc(1, 0, NULL);
	p1 = strstr(j, "\"kind\":\"login_failed\"");
	p2 = strstr(j, "\"kind\":\"login\"");
	p3 = strstr(j, "\"kind\":\"logout\"");
	ck_assert_msg(p1 != NULL && p2 != NULL && p3 != NULL, "%s", j);
	ck_assert_msg(p1 < p2 && p2 < p3, "not in order: %s", j);
	ck_assert_msg(strstr(j, "\"reason\":\"bad_code\"") != NULL, "%s", j);
	ck_assert_msg(strstr(j, "\"detail\":\"failures=1\"") != NULL, "%s", j);
	ck_assert_msg(strstr(j, "\"extension\":\"202\"") != NULL, "%s", j);
	ck_assert_msg(strstr(j, "\"site\":\"london\"") != NULL, "%s", j);
	ck_assert_msg(j[0] == '[' && j[strlen(j) - 1] == '\n', "%s", j);
	free(j);
}
END_TEST

START_TEST(test_events_peer_event_names_both_sites)
{
	char	*j;

	events_add_peer(EVK_REMOTE_GRANTED, "201", "301", "paris", "paris",
	    NULL, "gen=%d", 4);
	j = doc(1, 0, NULL);
	ck_assert_msg(strstr(j, "\"kind\":\"remote_login_granted\"") != NULL,
	    "%s", j);
	ck_assert_msg(strstr(j, "\"site\":\"paris\",\"peer\":\"paris\"") !=
	    NULL, "%s", j);
	ck_assert_msg(strstr(j, "\"reason\":null") != NULL, "%s", j);
	free(j);
}
END_TEST

START_TEST(test_events_failure_reasons_share_the_metric_vocabulary)
{
	struct seen	*s;

	events_add_peer(EVK_REMOTE_REFUSED, "201", "301", "paris", "paris",
	    "bad-code", NULL);
	events_add_peer(EVK_LOGOUT, "201", "301", "paris", "paris",
	    "host-restart", NULL);
	s = list(0, NULL, 100);
	ck_assert_int_eq(s->n, 2);
	ck_assert_msg(strncmp(s->line[0], "remote_login_refused 201 bad_code ",
	    34) == 0, "%s", s->line[0]);
	ck_assert_msg(strncmp(s->line[1], "logout 201 host-restart ", 24) == 0,
	    "%s", s->line[1]);
}
END_TEST

START_TEST(test_events_filtered_by_since)
{
	struct seen	*s;

	add_at(T0, "login", "201", "user");
	add_at(T0 + 60, "logout", "201", "user");
	add_at(T0 + 120, "login", "202", "admin");
	s = list(T0 + 60, NULL, 100);
	ck_assert_int_eq(s->n, 2);
	ck_assert_str_eq(s->line[0], "logout 201 user @1772442060");
	ck_assert_str_eq(s->line[1], "login 202 admin @1772442120");
	ck_assert_int_eq(list(T0 + 121, NULL, 100)->n, 0);
	ck_assert_int_eq(list(0, NULL, 100)->n, 3);
}
END_TEST

START_TEST(test_events_filtered_by_user)
{
	struct seen	*s;

	add_at(T0, "login", "201", "user");
	add_at(T0 + 1, "login", "202", "user");
	add_at(T0 + 2, "logout", "201", "idle");
	s = list(0, "201", 100);
	ck_assert_int_eq(s->n, 2);
	ck_assert_str_eq(s->line[0], "login 201 user @1772442000");
	ck_assert_str_eq(s->line[1], "logout 201 idle @1772442002");
	s = list(T0 + 1, "201", 100);
	ck_assert_int_eq(s->n, 1);
	ck_assert_int_eq(list(0, "999", 100)->n, 0);
}
END_TEST

START_TEST(test_events_limit_keeps_the_newest_oldest_first)
{
	struct seen	*s;
	int		 i;

	for (i = 0; i < 10; i++)
		add_at(T0 + i, "login", "201", "user");
	s = list(0, NULL, 3);
	ck_assert_int_eq(s->n, 3);
	ck_assert_str_eq(s->line[0], "login 201 user @1772442007");
	ck_assert_str_eq(s->line[2], "login 201 user @1772442009");
}
END_TEST

START_TEST(test_events_retention_keeps_newest_rows)
{
	struct seen	*s;
	int		 i;

	db_events_set_retention(5, EVENTS_KEEP_SECONDS);
	for (i = 0; i < 12; i++)
		add_at(T0 + i, "login", "201", "user");
	ck_assert_int_eq(db_events_prune(T0 + 12), 0);
	ck_assert_int_eq(db_events_count(), 5);
	s = list(0, NULL, 100);
	ck_assert_str_eq(s->line[0], "login 201 user @1772442007");
	ck_assert_str_eq(s->line[4], "login 201 user @1772442011");
}
END_TEST

START_TEST(test_events_retention_drops_old_rows)
{
	struct seen	*s;

	db_events_set_retention(EVENTS_KEEP_ROWS, 3600);
	add_at(T0 - 7200, "login", "201", "user");
	add_at(T0 - 3601, "logout", "201", "user");
	add_at(T0 - 3600, "login", "202", "user");
	add_at(T0, "logout", "202", "admin");
	ck_assert_int_eq(db_events_prune(T0), 0);
	s = list(0, NULL, 100);
	ck_assert_int_eq(s->n, 2);
	ck_assert_str_eq(s->line[0], "login 202 user @1772438400");
}
END_TEST

START_TEST(test_events_pruned_while_adding)
{
	int	 i;

	/* No explicit prune: the writes themselves keep the table bounded. */
	db_events_set_retention(10, EVENTS_KEEP_SECONDS);
	for (i = 0; i < 3 * DB_EVENTS_PRUNE_EVERY; i++)
		add_at(T0 + i, "login", "201", "user");
	ck_assert_int_le(db_events_count(), 10 + DB_EVENTS_PRUNE_EVERY);
	ck_assert_int_ge(db_events_count(), 10);
	/* Newest kept. */
	ck_assert_int_eq(list(T0 + 3 * DB_EVENTS_PRUNE_EVERY - 1, NULL,
	    100)->n, 1);
}
END_TEST

START_TEST(test_events_default_retention_is_90_days_and_100000_rows)
{
	ck_assert_int_eq(EVENTS_KEEP_ROWS, 100000);
	ck_assert_int_eq(EVENTS_KEEP_SECONDS, 90 * 86400);
}
END_TEST

START_TEST(test_events_logout_reason_override)
{
	ck_assert_str_eq(events_logout_reason("201", "admin"), "admin");
	events_set_logout_reason("201", "orphan");
	ck_assert_str_eq(events_logout_reason("201", "admin"), "orphan");
	ck_assert_str_eq(events_logout_reason("202", "admin"), "admin");
	events_set_logout_reason(NULL, NULL);
	ck_assert_str_eq(events_logout_reason("201", "admin"), "admin");
}
END_TEST

START_TEST(test_events_text_table)
{
	char	*t;

	t = doc(0, 0, NULL);
	ck_assert_str_eq(t, "no events\n");
	free(t);
	add_at(T0, "lockout", "201", "bad_code");
	t = doc(0, 0, NULL);
	ck_assert_msg(strncmp(t, "TIME ", 5) == 0, "%s", t);
	ck_assert_msg(strstr(t, "\n2026-03-02 09:00:00  lockout  201 ") !=
	    NULL, "%s", t);
	ck_assert_msg(strstr(t, "bad_code") != NULL, "%s", t);
	free(t);
}
END_TEST

START_TEST(test_events_text_control_chars_stay_on_one_line)
{
	char	*t, *p;
	int	 lines = 0;

	events_add(EVK_LOGIN_FAILED, "201", "202", "bad_code", "ua=%s",
	    "evil\nline");
	t = doc(0, 0, NULL);
	for (p = t; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_msg(lines == 2, "header and one row expected: %s", t);
	ck_assert_msg(strstr(t, "ua=evil?line") != NULL, "%s", t);
	free(t);
}
END_TEST

START_TEST(test_events_parse_args)
{
	char		*argv[8], *cause;
	const char	*user;
	time_t		 since;
	int		 limit;

	argv[0] = "--since";
	argv[1] = "2026-03-02";
	argv[2] = "--user";
	argv[3] = "201";
	ck_assert_int_eq(events_parse_args(4, argv, &since, &user, &limit,
	    &cause), 0);
	ck_assert_int_eq(since, T0 - 9 * 3600);
	ck_assert_str_eq(user, "201");
	ck_assert_int_eq(limit, EVENTS_LIST_MAX);
	argv[0] = "--since=1772442000";
	argv[1] = "--limit=5";
	ck_assert_int_eq(events_parse_args(2, argv, &since, &user, &limit,
	    &cause), 0);
	ck_assert_int_eq(since, T0);
	ck_assert_ptr_null(user);
	ck_assert_int_eq(limit, 5);
	argv[0] = "--since";
	argv[1] = "yesterday";
	ck_assert_int_eq(events_parse_args(2, argv, &since, &user, &limit,
	    &cause), -1);
	ck_assert_msg(strstr(cause, "yesterday") != NULL, "%s", cause);
	free(cause);
	argv[0] = "--bogus";
	ck_assert_int_eq(events_parse_args(1, argv, &since, &user, &limit,
	    &cause), -1);
	ck_assert_msg(strstr(cause, "usage") != NULL, "%s", cause);
	free(cause);
	argv[0] = "--user";
	ck_assert_int_eq(events_parse_args(1, argv, &since, &user, &limit,
	    &cause), -1);
	free(cause);
}
END_TEST

/* Remember the login result counters as "name=n ". */
static void
login_result(const char *name, uint64_t n, void *arg)
{
	char	*s = arg;

	snprintf(s + strlen(s), 256 - strlen(s), "%s=%llu ", name,
	    (unsigned long long)n);
}

START_TEST(test_events_count_logins_by_result)
{
	char	 s[256] = "";

	events_add(EVK_LOGIN_FAILED, "201", "202", "bad_code", NULL);
	events_add(EVK_LOGIN_FAILED, "201", "202", "bad_code", NULL);
	events_add(EVK_LOCKOUT, "201", NULL, "bad_code", NULL);
	events_add(EVK_LOGIN, "201", "202", "user", NULL);
	events_add(EVK_LOGIN, "202", "201", "fallback", NULL);
	/* Refused to a phone here counts; home's view of it does not. */
	events_add_peer(EVK_REMOTE_REFUSED, "501", "202", "london", "paris",
	    "no-licence", NULL);
	events_add_peer(EVK_REMOTE_REFUSED, "201", "301", "paris", "paris",
	    "bad-code", NULL);
	events_foreach_login_result(login_result, s);
	ck_assert_str_eq(s, "bad_code=2 locked=1 ok=1 no_licence=1 ");
}
END_TEST

/* Remember the call counters. */
static void
call_result(int code, uint64_t n, void *arg)
{
	char	*s = arg;

	snprintf(s + strlen(s), 256 - strlen(s), "%d=%llu ", code,
	    (unsigned long long)n);
}

START_TEST(test_events_count_calls_by_result)
{
	char	 s[256] = "";

	events_call_result(200);
	events_call_result(486);
	events_call_result(200);
	events_foreach_call_result(call_result, s);
	ck_assert_str_eq(s, "200=2 486=1 ");
}
END_TEST

START_TEST(test_events_latency_histogram)
{
	const struct events_latency	*l;
	struct timespec			 born;

	clock_gettime(CLOCK_MONOTONIC, &born);
	events_sip_final("REGISTER", &born);
	/* 300 ms ago: past the 200 ms bucket, within 500 ms. */
	if (born.tv_nsec >= 300000000)
		born.tv_nsec -= 300000000;
	else {
		born.tv_sec--;
		born.tv_nsec += 700000000;
	}
	events_sip_final("REGISTER", &born);
	events_sip_final("OPTIONS", &born);	/* not measured */
	l = events_latency(1);
	ck_assert_str_eq(l->method, "REGISTER");
	ck_assert_int_eq(l->count, 2);
	ck_assert_int_eq(l->bucket[0], 1);	/* <= 1 ms */
	ck_assert_int_eq(l->bucket[7], 1);	/* <= 200 ms */
	ck_assert_int_eq(l->bucket[8], 2);	/* <= 500 ms, cumulative */
	ck_assert_int_eq(l->bucket[9], 2);
	ck_assert(l->sum_s >= 0.3 && l->sum_s < 0.5);
	ck_assert_int_eq(events_latency(0)->count, 0);
	ck_assert_ptr_null(events_latency(2));
}
END_TEST

/* The suite. */
static Suite *
events_suite(void)
{
	Suite	*s = suite_create("events");
	TCase	*tc = tcase_create("events");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_events_stored_in_order_with_reasons);
	tcase_add_test(tc, test_events_peer_event_names_both_sites);
	tcase_add_test(tc,
	    test_events_failure_reasons_share_the_metric_vocabulary);
	tcase_add_test(tc, test_events_filtered_by_since);
	tcase_add_test(tc, test_events_filtered_by_user);
	tcase_add_test(tc, test_events_limit_keeps_the_newest_oldest_first);
	tcase_add_test(tc, test_events_retention_keeps_newest_rows);
	tcase_add_test(tc, test_events_retention_drops_old_rows);
	tcase_add_test(tc, test_events_pruned_while_adding);
	tcase_add_test(tc,
	    test_events_default_retention_is_90_days_and_100000_rows);
	tcase_add_test(tc, test_events_logout_reason_override);
	tcase_add_test(tc, test_events_text_table);
	tcase_add_test(tc, test_events_text_control_chars_stay_on_one_line);
	tcase_add_test(tc, test_events_parse_args);
	tcase_add_test(tc, test_events_count_logins_by_result);
	tcase_add_test(tc, test_events_count_calls_by_result);
	tcase_add_test(tc, test_events_latency_histogram);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(events_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed != 0);
}
