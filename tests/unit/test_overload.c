/*
 * Overload protection: what a caller notices when the site is behind or
 * over its call admission limit (a new call refused, 503), and what
 * never changes (calls in progress, emergency calls, the peer link),
 * with an injected clock and injected queueing delays.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "overload.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_transport.h"

static struct roamd		 test_env;
struct roamd			*env = &test_env;

static struct config		 conf;
static struct shortcode		 codes[2];
static struct peer_cfg		 peers[1];
static uint64_t			 now_ms;

/* A new request: method, Request-URI user, To tag and extra headers. */
static struct sip_msg *
req(const char *method, const char *user, const char *totag,
    const char *extra)
{
	struct sip_msg	*m = NULL;
	const char	*cause;
	char		 buf[1024];
	int		 status;

	snprintf(buf, sizeof(buf),
	    "%s sip:%s@192.0.2.99 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%s\r\n"
	    "From: <sip:201@x>;tag=1\r\n"
	    "To: <sip:%s@x>%s%s\r\n"
	    "Call-ID: c1\r\n"
	    "CSeq: 1 %s\r\n"
	    "%s"
	    "Content-Length: 0\r\n\r\n", method, user, method, user,
	    totag != NULL ? ";tag=" : "", totag != NULL ? totag : "", method,
	    extra != NULL ? extra : "");
	ck_assert_int_eq(sip_msg_parse(buf, strlen(buf), &m, &status,
	    &cause), 0);
	return (m);
}

/* The verdict for one request from src, freeing it. */
static enum overload_verdict
admit_from(const struct sip_peer *src, const char *method, const char *user,
    const char *totag, const char *extra)
{
	struct sip_msg		*m = req(method, user, totag, extra);
	enum overload_verdict	 v;

	v = overload_admit(m, src);
	sip_msg_free(m);
	return (v);
}

static struct sip_peer	 phone;

static enum overload_verdict
admit(const char *method, const char *user)
{
	return (admit_from(&phone, method, user, NULL, NULL));
}

static uint64_t
clock_fn(void)
{
	return (now_ms);
}

static void
setup(void)
{
	const char	*cause;

	memset(&conf, 0, sizeof(conf));
	codes[0] = (struct shortcode){ .code = "999",
	    .feature = SC_DIAL_EMERGENCY, .number = "999", .trunk = "pstn" };
	codes[1] = (struct shortcode){ .code = "9N", .feature = SC_DIAL,
	    .number = "N", .trunk = "pstn" };
	conf.short_codes.v = codes;
	conf.short_codes.n = 2;
	memset(peers, 0, sizeof(peers));
	peers[0].name = "paris";
	ck_assert_int_eq(config_parse_addr("udp:192.0.2.50:5060",
	    &peers[0].sip, &cause), 0);
	conf.peers = peers;
	conf.npeers = 1;
	conf.overload.delay_ms = 20;
	conf.overload.retry_after = 5;
	env->conf = &conf;
	ck_assert_int_eq(sip_peer_parse("udp:192.0.2.1:5060", &phone), 0);
	now_ms = 1000000;
	overload_set_clock(clock_fn);
	overload_set_limits(NULL);
	overload_reset();
}

static void
teardown(void)
{
	overload_reset();
	free(peers[0].sip.text);
	env->conf = NULL;
}

START_TEST(test_idle_site_admits_everything)
{
	overload_sample(300);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("REGISTER", "201"), OVERLOAD_ADMIT);
	ck_assert_int_eq(overload_active(), 0);
	ck_assert_uint_eq(overload_refused_total(), 0);
}
END_TEST

/* Waits over the 20 ms limit for 100 ms on end: roamd is behind. */
static void
fall_behind(int64_t delay_us)
{
	overload_sample(delay_us);
	now_ms += 60;
	overload_sample(delay_us);
	now_ms += 40;
	overload_sample(delay_us);
}

START_TEST(test_delay_over_limit_refuses_until_below_a_quarter)
{
	overload_sample(19000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	fall_behind(25000);
	ck_assert_int_eq(overload_active(), 1);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_DELAY);
	/* Hysteresis: 10 ms is under the limit but not yet caught up. */
	overload_sample(10000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_DELAY);
	overload_sample(4000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_uint_eq(overload_refused_total(), 2);
	/* Within the episode one wait over the limit is enough again. */
	overload_sample(21000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_DELAY);
}
END_TEST

START_TEST(test_a_stall_caught_up_within_the_limit_refuses_nothing)
{
	overload_sample(90000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	now_ms += 60;
	overload_sample(30000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	now_ms += 30;
	overload_sample(3000);
	now_ms += 50;
	overload_sample(25000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(overload_active(), 0);
	ck_assert_uint_eq(overload_refused_total(), 0);
}
END_TEST

/* Kernel and process clocks apart (faketime, a clock step): no wait. */
START_TEST(test_clocks_that_disagree_are_not_a_queue)
{
	fall_behind(198827000000LL);
	fall_behind(-5000000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(overload_active(), 0);
}
END_TEST

/* A 3 s reload: the calls queued behind it are served, not refused. */
START_TEST(test_backlog_of_our_own_stall_refuses_nothing)
{
	overload_stalled(3000);
	fall_behind(3000000);
	now_ms += 400;
	overload_sample(1500000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(overload_active(), 0);
	/* Once the backlog had time to drain, waits count again. */
	now_ms += 3000;
	fall_behind(25000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_DELAY);
}
END_TEST

START_TEST(test_delay_refuses_other_new_work_too)
{
	fall_behind(50000);
	ck_assert_int_eq(admit("REGISTER", "201"), OVERLOAD_REFUSE_DELAY);
	ck_assert_int_eq(admit("OPTIONS", "201"), OVERLOAD_REFUSE_DELAY);
	ck_assert_int_eq(admit("SUBSCRIBE", "201"), OVERLOAD_REFUSE_DELAY);
	ck_assert_int_eq(admit("MESSAGE", "201"), OVERLOAD_REFUSE_DELAY);
}
END_TEST

START_TEST(test_calls_in_progress_are_never_refused)
{
	fall_behind(50000);
	ck_assert_int_eq(admit("ACK", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("CANCEL", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("BYE", "202"), OVERLOAD_ADMIT);
	/* In a dialog: a re-INVITE, an UPDATE. */
	ck_assert_int_eq(admit_from(&phone, "INVITE", "202", "abc", NULL),
	    OVERLOAD_ADMIT);
	ck_assert_int_eq(admit_from(&phone, "UPDATE", "202", "abc", NULL),
	    OVERLOAD_ADMIT);
	/* The authenticated INVITE of a call admitted when challenged. */
	ck_assert_int_eq(admit_from(&phone, "INVITE", "202", NULL,
	    "Proxy-Authorization: Digest username=\"201\"\r\n"),
	    OVERLOAD_ADMIT);
	ck_assert_uint_eq(overload_refused_total(), 0);
}
END_TEST

START_TEST(test_emergency_call_is_never_refused)
{
	conf.overload.max_call_rate = 1;
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_RATE);
	ck_assert_int_eq(admit("INVITE", "999"), OVERLOAD_ADMIT);
	fall_behind(50000);
	ck_assert_int_eq(admit("INVITE", "999"), OVERLOAD_ADMIT);
	/* 9N is an ordinary trunk call. */
	ck_assert_int_eq(admit("INVITE", "9999"), OVERLOAD_REFUSE_DELAY);
}
END_TEST

START_TEST(test_peer_site_is_never_refused)
{
	struct sip_peer	 paris;

	ck_assert_int_eq(sip_peer_parse("udp:192.0.2.50:5060", &paris), 0);
	fall_behind(50000);
	ck_assert_int_eq(admit_from(&paris, "INVITE", "202", NULL, NULL),
	    OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_DELAY);
}
END_TEST

/* The next n new calls are admitted, the one after them refused. */
static void
calls_admitted(int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_REFUSE_RATE);
}

START_TEST(test_max_call_rate_is_a_token_bucket_of_invites)
{
	conf.overload.max_call_rate = 5;
	calls_admitted(5);
	/* Registrations are not calls. */
	ck_assert_int_eq(admit("REGISTER", "201"), OVERLOAD_ADMIT);
	/* 200 ms at 5/s is one more call. */
	now_ms += 200;
	calls_admitted(1);
	/* A long pause refills one second's worth, no more. */
	now_ms += 60000;
	calls_admitted(5);
}
END_TEST

START_TEST(test_one_episode_until_a_quiet_second)
{
	int	 i;

	conf.overload.max_call_rate = 2;
	for (i = 0; i < 10; i++)
		admit("INVITE", "202");
	ck_assert_int_eq(overload_active(), 1);
	ck_assert_uint_eq(overload_episodes_total(), 1);
	ck_assert_uint_eq(overload_refused_total(), 8);
	now_ms += 500;
	overload_tick();
	ck_assert_int_eq(overload_active(), 1);
	now_ms += 600;
	overload_tick();
	ck_assert_int_eq(overload_active(), 0);
	/* The delay trigger ends when no datagram came for a second. */
	fall_behind(50000);
	ck_assert_int_eq(overload_active(), 1);
	ck_assert_uint_eq(overload_episodes_total(), 2);
	now_ms += 1000;
	overload_tick();
	ck_assert_int_eq(overload_active(), 0);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
	/* After the episode a new one needs a standing queue again. */
	overload_sample(25000);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
}
END_TEST

START_TEST(test_delay_ms_zero_turns_detection_off)
{
	conf.overload.delay_ms = 0;
	overload_sample(5000000);
	ck_assert_int_eq(overload_active(), 0);
	ck_assert_int_eq(admit("INVITE", "202"), OVERLOAD_ADMIT);
}
END_TEST

START_TEST(test_json_shows_limits_and_counters)
{
	struct json	 j;
	char		*out;

	conf.overload.max_call_rate = 1;
	admit("INVITE", "202");
	admit("INVITE", "202");
	json_init(&j);
	json_obj_begin(&j, NULL);
	overload_json(&j);
	json_obj_end(&j);
	out = json_finish(&j, NULL);
	ck_assert_str_eq(out, "{\"overload\":{\"max_call_rate\":1,"
	    "\"delay_ms\":20,\"retry_after_s\":5,\"active\":true,"
	    "\"refused_total\":1,\"episodes_total\":1}}");
	free(out);
}
END_TEST

/* Load a config of site: plus tail from a scratch file. */
static struct config *
load(const char *tail, struct config_errors *errs)
{
	char		 dir[] = "/tmp/roam-overload-XXXXXX", path[PATH_MAX];
	FILE		*f;
	struct config	*c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/roamd.yaml", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "site:\n  name: london\n  id: 1\n"
	    "  domain: london.example.net\n  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: london.db\n  control: london.sock\n%s", tail);
	fclose(f);
	c = config_load(path, errs);
	unlink(path);
	rmdir(dir);
	return (c);
}

START_TEST(test_config_keys_and_defaults)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;

	c = load("", &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->overload.max_call_rate, 0);
	ck_assert_int_eq(c->overload.delay_ms, 20);
	ck_assert_int_eq(c->overload.retry_after, 5);
	config_free(c);
	c = load("security:\n  overload: { max_call_rate: 150, delay_ms: 0, "
	    "retry_after: 2m }\n", &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->overload.max_call_rate, 150);
	ck_assert_int_eq(c->overload.delay_ms, 0);
	ck_assert_int_eq(c->overload.retry_after, 120);
	config_free(c);
	ck_assert_ptr_null(load("security:\n  overload: { retry_after: 0 }\n",
	    &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.v[0], "retry_after must be at "
	    "least 1s"));
	config_errors_free(&errs);
	ck_assert_ptr_null(load("security:\n  overload: { max_call_rat: 5 }\n",
	    &errs));
	config_errors_free(&errs);
}
END_TEST

static Suite *
overload_suite(void)
{
	Suite	*s = suite_create("overload");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_idle_site_admits_everything);
	tcase_add_test(tc, test_delay_over_limit_refuses_until_below_a_quarter);
	tcase_add_test(tc,
	    test_a_stall_caught_up_within_the_limit_refuses_nothing);
	tcase_add_test(tc,
	    test_backlog_of_our_own_stall_refuses_nothing);
	tcase_add_test(tc, test_clocks_that_disagree_are_not_a_queue);
	tcase_add_test(tc, test_delay_refuses_other_new_work_too);
	tcase_add_test(tc, test_calls_in_progress_are_never_refused);
	tcase_add_test(tc, test_emergency_call_is_never_refused);
	tcase_add_test(tc, test_peer_site_is_never_refused);
	tcase_add_test(tc, test_max_call_rate_is_a_token_bucket_of_invites);
	tcase_add_test(tc, test_one_episode_until_a_quiet_second);
	tcase_add_test(tc, test_delay_ms_zero_turns_detection_off);
	tcase_add_test(tc, test_json_shows_limits_and_counters);
	tcase_add_test(tc, test_config_keys_and_defaults);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(overload_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
