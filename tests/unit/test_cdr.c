/*
 * cdr: what `roamctl cdr` shows for the records call.c files: the table
 * an admin reads, CSV a spreadsheet opens (RFC 4180 quoting), JSON for
 * scripts, --since in unix seconds or the site's local date and time.
 */
#include <check.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdr.h"
#include "db.h"
#include "roamd.h"

struct roamd	*env;

/* 2026-03-02 09:00:00 UTC */
#define T0	1772442000

/* Fresh in-memory database, UTC as the site's zone. */
static void
setup(void)
{
	char	*cause = NULL;

	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_msg(db_open(":memory:", NULL, &cause) == 0, "%s", cause);
}

/* Close the database. */
static void
teardown(void)
{
	db_close();
}

/* File one record the way call.c does. */
static void
add(const char *callid, const char *cu, const char *ce, const char *cn,
    const char *callee, const char *calleeu, const char *trunk,
    time_t start, time_t answer, time_t end, int cause, const char *reason,
    const char *sites)
{
	struct db_cdr	 r;

	memset(&r, 0, sizeof(r));
	r.callid = callid;
	r.caller_user = cu;
	r.caller_ext = ce;
	r.caller_number = cn;
	r.callee = callee;
	r.callee_user = calleeu;
	r.trunk = trunk;
	r.start = start;
	r.answer = answer;
	r.end = end;
	r.cause = cause;
	r.reason = reason;
	r.sites = sites;
	ck_assert_int_eq(db_cdr_add(&r), 0);
}

/*
 * Three calls: answered internal, busy from a user at paris, answered
 * out on a trunk.
 */
static void
add_three(void)
{
	add("c1@x", "201", "201", "201", "202", "202", NULL,
	    T0, T0 + 5, T0 + 5 + 125, 200, "OK", "london");
	add("c2@x", NULL, "paris", "302", "203", "203", NULL,
	    T0 + 3600, 0, T0 + 3602, 486, "Busy Here", "paris>london");
	add("c3@x", "201", "201", "201", "900441234567", NULL, "pstn",
	    T0 + 7200, T0 + 7210, T0 + 7210 + 3725, 200, "OK", "london");
}

/* Run fn's output into a string (caller frees). */
static char *
text(time_t since, int csv)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*s;

	ck_assert_int_eq(cdr_text(since, csv, b), 0);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

/* The JSON list as a string (caller frees). */
static char *
json(time_t since)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*s;

	ck_assert_int_eq(cdr_json(since, b), 0);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

/* Number of lines in s. */
static int
lines(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return (n);
}

START_TEST(test_table_shows_calls_with_talk_time_and_result)
{
	char	*s;

	add_three();
	s = text(0, 0);
	ck_assert_int_eq(lines(s), 4);
	ck_assert_msg(strncmp(s, "START", 5) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "2026-03-02 09:00:00  2:05"));
	ck_assert_ptr_nonnull(strstr(s, "486 Busy Here"));
	/* Trunk calls name the trunk; talk over an hour reads H:MM:SS. */
	ck_assert_ptr_nonnull(strstr(s, "1:02:05"));
	ck_assert_ptr_nonnull(strstr(s, "pstn"));
	/* Columns line up: RESULT starts at the same offset on each line. */
	ck_assert_int_eq(strstr(s, "RESULT") - s,
	    strstr(s, "200 OK") - strchr(s, '\n') - 1);
	free(s);
}
END_TEST

START_TEST(test_since_leaves_out_older_calls)
{
	char	*s;

	add_three();
	s = text(T0 + 3600, 0);
	ck_assert_int_eq(lines(s), 3);
	ck_assert_ptr_null(strstr(s, "2026-03-02 09:00:00"));
	free(s);
	s = text(T0 + 99999, 0);
	ck_assert_str_eq(s, "no call records\n");
	free(s);
}
END_TEST

START_TEST(test_csv_one_row_per_call_in_utc)
{
	char	*s;

	add_three();
	s = text(0, 1);
	ck_assert_int_eq(lines(s), 4);
	ck_assert_msg(strncmp(s, "start,answer,end,talk_s,caller_user,", 36)
	    == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "\n2026-03-02T09:00:00Z,"
	    "2026-03-02T09:00:05Z,2026-03-02T09:02:10Z,125,201,201,201,202,"
	    "202,london,,200,OK,c1@x\n"));
	/* Unanswered: empty answer time, no talk. */
	ck_assert_ptr_nonnull(strstr(s, "\n2026-03-02T10:00:00Z,,"
	    "2026-03-02T10:00:02Z,0,,paris,"));
	free(s);
}
END_TEST

START_TEST(test_csv_quotes_commas_and_quotes_hides_newlines)
{
	char	*s;

	add("c\"4", NULL, "pstn", "+44 20, \"HQ\"", "201", "201", "pstn",
	    T0, 0, T0 + 30, 487, "Request Terminated\r\nX-Evil: 1", NULL);
	s = text(0, 1);
	ck_assert_int_eq(lines(s), 2);
	ck_assert_ptr_nonnull(strstr(s, ",,pstn,\"+44 20, \"\"HQ\"\"\",201,"));
	ck_assert_ptr_nonnull(strstr(s, ",487,Request Terminated??X-Evil: 1,"
	    "\"c\"\"4\"\n"));
	free(s);
	/* The table keeps it on one line too. */
	s = text(0, 0);
	ck_assert_int_eq(lines(s), 2);
	free(s);
}
END_TEST

START_TEST(test_json_list_of_calls)
{
	char	*s;

	s = json(0);
	ck_assert_str_eq(s, "[]\n");
	free(s);
	add_three();
	s = json(T0 + 3600);
	ck_assert_msg(s[0] == '[' && strstr(s, "\"callid\":\"c2@x\"") != NULL,
	    "%s", s);
	ck_assert_ptr_null(strstr(s, "c1@x"));
	ck_assert_ptr_nonnull(strstr(s, "\"answer\":null"));
	ck_assert_ptr_nonnull(strstr(s, "\"answered\":false"));
	ck_assert_ptr_nonnull(strstr(s, "\"cause\":486"));
	ck_assert_ptr_nonnull(strstr(s, "\"trunk\":\"pstn\""));
	ck_assert_ptr_nonnull(strstr(s, "\"talk_s\":3725"));
	ck_assert_ptr_nonnull(strstr(s, "\"start_time\":"
	    "\"2026-03-02T11:00:00Z\""));
	free(s);
}
END_TEST

/*
 * Issue 6: each record names the sites the call crossed - a column of
 * the table, of the CSV and a JSON key; a record without them (filed
 * before they were kept) shows "-", an empty field and null.
 */
START_TEST(test_records_show_the_sites_crossed)
{
	const char	*head = "start,answer,end,talk_s,caller_user,"
	    "caller_device,caller_number,callee,callee_user,sites,trunk,"
	    "cause,reason,callid\n";
	char		*s, *row, *line;

	add_three();
	add("c5@x", "201", "201", "201", "301", "301", NULL,
	    T0 + 9000, T0 + 9001, T0 + 9031, 200, "OK", "rome>london>paris");
	add("c6@x", "201", "201", "201", "202", "202", NULL,
	    T0 + 9500, 0, T0 + 9510, 487, "Request Terminated", NULL);
	s = text(0, 0);
	ck_assert_ptr_nonnull(strstr(s, " CALLEE  SITES "));
	ck_assert_ptr_nonnull(strstr(s, " paris>london "));
	ck_assert_ptr_nonnull((row = strstr(s, "rome>london>paris")));
	/* It lines up under its heading, between CALLEE and TRUNK. */
	for (line = row; line > s && line[-1] != '\n'; line--)
		;
	ck_assert_int_eq(strstr(s, "SITES") - s, row - line);
	ck_assert_ptr_nonnull(strstr(row, "rome>london>paris  -"));
	free(s);
	s = text(0, 1);
	ck_assert_msg(strncmp(s, head, strlen(head)) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, ",301,301,rome>london>paris,,200,OK,"
	    "c5@x\n"));
	ck_assert_ptr_nonnull(strstr(s, ",202,202,,,487,Request Terminated,"
	    "c6@x\n"));
	free(s);
	s = json(T0 + 9000);
	ck_assert_ptr_nonnull(strstr(s, "\"sites\":\"rome>london>paris\""));
	ck_assert_ptr_nonnull(strstr(s, "\"sites\":null"));
	free(s);
}
END_TEST

START_TEST(test_since_accepts_seconds_and_local_dates)
{
	time_t	 t;
	char	*cause;

	ck_assert_int_eq(cdr_parse_time("1772442000", &t, &cause), 0);
	ck_assert_int_eq(t, T0);
	ck_assert_int_eq(cdr_parse_time("2026-03-02", &t, &cause), 0);
	ck_assert_int_eq(t, T0 - 9 * 3600);
	ck_assert_int_eq(cdr_parse_time("2026-03-02T09:00", &t, &cause), 0);
	ck_assert_int_eq(t, T0);
	ck_assert_int_eq(cdr_parse_time("2026-03-02T09:00:30", &t, &cause),
	    0);
	ck_assert_int_eq(t, T0 + 30);
	/* The site's zone: 09:00 in Paris is 08:00 UTC in March. */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	ck_assert_int_eq(cdr_parse_time("2026-03-02T09:00", &t, &cause), 0);
	ck_assert_int_eq(t, T0 - 3600);
}
END_TEST

START_TEST(test_bad_since_is_refused_with_the_formats)
{
	const char	*bad[] = { "", "yesterday", "2026-02-30", "2026-13-01",
	    "2026-03-02 09:00", "2026-03-02T25:00", "2026-3-2", "-5",
	    "2026-03-02T09:00Z", "99999999999999999999" };
	time_t		 t;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cdr_parse_time(bad[i], &t, &cause) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(cause, "(write unix seconds, "
		    "YYYY-MM-DD or YYYY-MM-DDTHH:MM)"));
		free(cause);
	}
}
END_TEST

START_TEST(test_args_since_and_csv)
{
	char	*a1[] = { "--since", "2026-03-02T09:00", "--csv" };
	char	*a2[] = { "--since=1772442000" };
	char	*a3[] = { "--since" };
	char	*a4[] = { "--xml" };
	time_t	 since;
	int	 csv;
	char	*cause;

	ck_assert_int_eq(cdr_parse_args(0, NULL, &since, &csv, &cause), 0);
	ck_assert_int_eq(since, 0);
	ck_assert_int_eq(csv, 0);
	ck_assert_int_eq(cdr_parse_args(3, a1, &since, &csv, &cause), 0);
	ck_assert_int_eq(since, T0);
	ck_assert_int_eq(csv, 1);
	ck_assert_int_eq(cdr_parse_args(1, a2, &since, &csv, &cause), 0);
	ck_assert_int_eq(since, T0);
	ck_assert_int_eq(csv, 0);
	ck_assert_int_eq(cdr_parse_args(1, a3, &since, &csv, &cause), -1);
	ck_assert_str_eq(cause, "cdr: unexpected \"--since\" "
	    "(usage: cdr [--since T] [--csv])");
	free(cause);
	ck_assert_int_eq(cdr_parse_args(1, a4, &since, &csv, &cause), -1);
	free(cause);
}
END_TEST

/* The cdr suite. */
static Suite *
cdr_suite(void)
{
	Suite	*s = suite_create("cdr");
	TCase	*tc = tcase_create("records");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_shows_calls_with_talk_time_and_result);
	tcase_add_test(tc, test_since_leaves_out_older_calls);
	tcase_add_test(tc, test_csv_one_row_per_call_in_utc);
	tcase_add_test(tc, test_csv_quotes_commas_and_quotes_hides_newlines);
	tcase_add_test(tc, test_json_list_of_calls);
	tcase_add_test(tc, test_records_show_the_sites_crossed);
	tcase_add_test(tc, test_since_accepts_seconds_and_local_dates);
	tcase_add_test(tc, test_bad_since_is_refused_with_the_formats);
	tcase_add_test(tc, test_args_since_and_csv);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr = srunner_create(cdr_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
