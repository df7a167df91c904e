/*
 * Abuse protection: what a flooding, password-guessing or scanning source
 * notices (its messages dropped, its connections refused for ban_time)
 * and what an honest phone notices (nothing), with an injected clock.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_transport.h"

struct roamd	*env;

static uint64_t			 now_ms;
static struct security_cfg	 lim;
static char			*scanners[] = { "friendly-scanner",
				    "sipvicious" };
static struct cfg_net		 loopback;

#define OPTIONS_UA(ua) \
	"OPTIONS sip:100@192.0.2.99 SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n" \
	"From: <sip:100@x>;tag=1\r\n" \
	"To: <sip:100@x>\r\n" \
	"Call-ID: c1\r\n" \
	"CSeq: 1 OPTIONS\r\n" \
	ua \
	"Content-Length: 0\r\n\r\n"
#define OPTIONS	OPTIONS_UA("User-Agent: Yealink SIP-T46S\r\n")
#define RESPONSE "SIP/2.0 200 OK\r\nCall-ID: c1\r\n\r\n"

/* The injected clock. */
static uint64_t
clock_fn(void)
{
	return (now_ms);
}

/* A source address "a.b.c.d" port 5060. */
static struct sockaddr_storage
src(const char *ip)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return (ss);
}

/* Send one message text from ip. */
static enum sip_guard_verdict
from(const char *ip, const char *text)
{
	struct sockaddr_storage	 ss = src(ip);

	return (sip_guard_message(&ss, text, strlen(text)));
}

/* A peer for ip, as the registrar has it. */
static struct sip_peer
peer(const char *ip)
{
	struct sip_peer	 p;

	memset(&p, 0, sizeof(p));
	p.transport = SIPT_UDP;
	p.ss = src(ip);
	p.sslen = sizeof(struct sockaddr_in);
	return (p);
}

static void
setup(void)
{
	now_ms = 1000000;
	memset(&lim, 0, sizeof(lim));
	lim.sip_rate = 10;
	lim.sip_burst = 20;
	lim.auth_failures = 3;
	lim.ban_time = 60;
	lim.scanner_user_agents = scanners;
	lim.nscanner_user_agents = 2;
	ck_assert_int_eq(config_parse_net("127.0.0.0/8", &loopback), 0);
	lim.exempt = &loopback;
	lim.nexempt = 1;
	sip_guard_set_clock(clock_fn);
	sip_guard_set_limits(&lim);
	sip_guard_init(NULL);
}

static void
teardown(void)
{
	sip_guard_shutdown();
	sip_guard_set_limits(NULL);
	sip_guard_set_clock(NULL);
	sip_guard_set_cap(0);
}

START_TEST(test_burst_then_ban_of_that_source_only)
{
	struct sockaddr_storage	 ss = src("192.0.2.1");
	int			 i;

	for (i = 0; i < 20; i++)
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(sip_guard_banned(), 0);
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
	ck_assert_int_eq(sip_guard_banned(), 1);
	ck_assert_int_eq(sip_guard_bans_total(), 1);
	/* Everything from it is dropped now, responses too. */
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
	ck_assert_int_eq(from("192.0.2.1", RESPONSE), SIP_GUARD_BANNED);
	ck_assert_int_eq(sip_guard_accept(&ss), -1);
	ck_assert(sip_guard_is_banned(&ss));
	/* Another address is not affected. */
	ss = src("192.0.2.2");
	ck_assert_int_eq(from("192.0.2.2", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(sip_guard_accept(&ss), 0);
	ck_assert_uint_eq(sip_guard_dropped(), 4);
}
END_TEST

START_TEST(test_bucket_refills_at_the_rate)
{
	int	 i;

	for (i = 0; i < 20; i++)
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
	/* 10/s: one request more every 100 ms, sustained. */
	for (i = 0; i < 50; i++) {
		now_ms += 100;
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
	}
	now_ms += 50;
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
}
END_TEST

START_TEST(test_responses_cost_no_token)
{
	int	 i;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(from("192.0.2.5", RESPONSE), SIP_GUARD_PASS);
	ck_assert_int_eq(sip_guard_banned(), 0);
	ck_assert_int_eq(sip_guard_tracked(), 0);
}
END_TEST

START_TEST(test_ban_expires_after_ban_time)
{
	struct sockaddr_storage	 ss = src("192.0.2.1");
	int			 i;

	for (i = 0; i < 21; i++)
		from("192.0.2.1", OPTIONS);
	ck_assert_int_eq(sip_guard_banned(), 1);
	now_ms += 59999;
	sip_guard_sweep();
	ck_assert_int_eq(sip_guard_banned(), 1);
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
	now_ms += 1;
	sip_guard_sweep();
	ck_assert_int_eq(sip_guard_banned(), 0);
	ck_assert(!sip_guard_is_banned(&ss));
	/* A clean slate: a full bucket again. */
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
}
END_TEST

START_TEST(test_expired_ban_lifted_without_sweep)
{
	int	 i;

	for (i = 0; i < 21; i++)
		from("192.0.2.1", OPTIONS);
	now_ms += 60000;
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(sip_guard_banned(), 0);
}
END_TEST

START_TEST(test_auth_failures_ban_and_are_forgotten)
{
	struct sip_peer	 p = peer("198.51.100.7");

	sip_guard_auth_failed(&p);
	sip_guard_auth_failed(&p);
	/* Quiet for ban_time: the two failures are forgotten. */
	now_ms += 60000;
	sip_guard_auth_failed(&p);
	sip_guard_auth_failed(&p);
	ck_assert(!sip_guard_is_banned(&p.ss));
	sip_guard_auth_failed(&p);
	ck_assert(sip_guard_is_banned(&p.ss));
	ck_assert_int_eq(from("198.51.100.7", OPTIONS), SIP_GUARD_BANNED);
	sip_guard_auth_failed(NULL);
}
END_TEST

START_TEST(test_auth_failures_zero_never_bans)
{
	struct sip_peer	 p = peer("198.51.100.7");
	int		 i;

	lim.auth_failures = 0;
	for (i = 0; i < 1000; i++)
		sip_guard_auth_failed(&p);
	ck_assert(!sip_guard_is_banned(&p.ss));
}
END_TEST

START_TEST(test_exempt_network_never_banned)
{
	struct sip_peer	 p = peer("127.0.0.2");
	int		 i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(from("127.0.0.2", OPTIONS), SIP_GUARD_PASS);
	for (i = 0; i < 10; i++)
		sip_guard_auth_failed(&p);
	ck_assert_int_eq(sip_guard_banned(), 0);
	/* Without the exemption the same flood is banned. */
	lim.nexempt = 0;
	for (i = 0; i < 21; i++)
		from("127.0.0.3", OPTIONS);
	ck_assert_int_eq(sip_guard_banned(), 1);
}
END_TEST

/*
 * A reload may put the new config where a freed one was: the same address
 * with another exempt list.  The source is judged again after a reload.
 */
START_TEST(test_exemption_judged_again_after_reload)
{
	int	 i;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(from("127.0.0.2", OPTIONS), SIP_GUARD_PASS);
	lim.nexempt = 0;	/* the same limits' address, no exemption */
	sip_guard_reload();
	for (i = 0; i < 21; i++)
		from("127.0.0.2", OPTIONS);
	ck_assert_int_eq(sip_guard_banned(), 1);
}
END_TEST

START_TEST(test_rate_zero_means_no_limit)
{
	int	 i;

	lim.sip_rate = 0;
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
}
END_TEST

START_TEST(test_scanner_user_agents_dropped_and_banned)
{
	const char	*body_ua =
	    "MESSAGE sip:1@x SIP/2.0\r\nCall-ID: c\r\n"
	    "Content-Length: 26\r\n\r\nUser-Agent: friendly-scanner";

	ck_assert_int_eq(from("203.0.113.1",
	    OPTIONS_UA("User-Agent: Friendly-Scanner 1.0\r\n")),
	    SIP_GUARD_SCANNER);
	ck_assert_int_eq(from("203.0.113.1", OPTIONS), SIP_GUARD_BANNED);
	ck_assert_int_eq(from("203.0.113.2",
	    OPTIONS_UA("user-agent:\tpplsip SIPVICIOUS/0.3\r\n")),
	    SIP_GUARD_SCANNER);
	/* Honest phones, and a scanner's name in a body, pass. */
	ck_assert_int_eq(from("203.0.113.3", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(from("203.0.113.3", OPTIONS_UA("")), SIP_GUARD_PASS);
	ck_assert_int_eq(from("203.0.113.3", body_ua), SIP_GUARD_PASS);
	ck_assert_int_eq(from("203.0.113.3",
	    OPTIONS_UA("X-User-Agent: sipvicious\r\n")), SIP_GUARD_PASS);
	/* An exempt source's scanner message is dropped but not banned. */
	ck_assert_int_eq(from("127.0.0.1",
	    OPTIONS_UA("User-Agent: sipcli/v1.8 sipvicious\r\n")),
	    SIP_GUARD_SCANNER);
	ck_assert_int_eq(from("127.0.0.1", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(sip_guard_banned(), 2);
}
END_TEST

START_TEST(test_memory_is_capped)
{
	char	 ip[32];
	int	 i;

	sip_guard_set_cap(100);
	for (i = 0; i < 21; i++)
		from("192.0.2.1", OPTIONS);
	ck_assert_int_eq(sip_guard_banned(), 1);
	/* A spoofed flood from 5,000 addresses. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		ck_assert_int_eq(from(ip, OPTIONS), SIP_GUARD_PASS);
	}
	ck_assert_uint_eq(sip_guard_tracked(), 100);
	/* Idle sources went first: the ban holds. */
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
	/* Idle sources are forgotten after ban_time; the ban ran out. */
	now_ms += 60000;
	sip_guard_sweep();
	ck_assert_uint_eq(sip_guard_banned(), 0);
	ck_assert_uint_eq(sip_guard_tracked(), 1);
	now_ms += 60000;
	sip_guard_sweep();
	ck_assert_uint_eq(sip_guard_tracked(), 0);
}
END_TEST

START_TEST(test_json_lists_limits_and_bans)
{
	struct json	 j;
	char		*out;
	int		 i;

	for (i = 0; i < 21; i++)
		from("192.0.2.1", OPTIONS);
	json_init(&j);
	json_obj_begin(&j, NULL);
	sip_guard_json(&j);
	json_obj_end(&j);
	out = json_finish(&j, NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"security\":{\"sip_rate\":10,"
	    "\"sip_burst\":20,\"auth_failures\":3,\"ban_time_s\":60,"
	    "\"banned\":1,\"bans_total\":1"));
	ck_assert_ptr_nonnull(strstr(out, "\"bans\":[{\"src\":\"192.0.2.1\","
	    "\"reason\":\"rate\",\"until\":\""));
	ck_assert_ptr_nonnull(strstr(out, "\"remaining_s\":60"));
	free(out);
}
END_TEST

START_TEST(test_defaults_are_generous_without_config)
{
	int	 i;

	sip_guard_set_limits(NULL);
	for (i = 0; i < 400; i++)
		ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(from("192.0.2.1", OPTIONS), SIP_GUARD_BANNED);
	/* The host itself is exempt. */
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(from("127.0.0.1", OPTIONS), SIP_GUARD_PASS);
	ck_assert_int_eq(from("203.0.113.9",
	    OPTIONS_UA("User-Agent: VaxSIPUserAgent/3.1\r\n")),
	    SIP_GUARD_SCANNER);
}
END_TEST

/* The suite. */
static Suite *
sip_guard_suite(void)
{
	Suite	*s = suite_create("sip_guard");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_burst_then_ban_of_that_source_only);
	tcase_add_test(tc, test_bucket_refills_at_the_rate);
	tcase_add_test(tc, test_responses_cost_no_token);
	tcase_add_test(tc, test_ban_expires_after_ban_time);
	tcase_add_test(tc, test_expired_ban_lifted_without_sweep);
	tcase_add_test(tc, test_auth_failures_ban_and_are_forgotten);
	tcase_add_test(tc, test_auth_failures_zero_never_bans);
	tcase_add_test(tc, test_exempt_network_never_banned);
	tcase_add_test(tc, test_exemption_judged_again_after_reload);
	tcase_add_test(tc, test_rate_zero_means_no_limit);
	tcase_add_test(tc, test_scanner_user_agents_dropped_and_banned);
	tcase_add_test(tc, test_memory_is_capped);
	tcase_add_test(tc, test_json_lists_limits_and_bans);
	tcase_add_test(tc, test_defaults_are_generous_without_config);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr = srunner_create(sip_guard_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
