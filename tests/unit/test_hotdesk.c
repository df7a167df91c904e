/*
 * Hot desking on one site (DESIGN.md H1-H5) and the user's own settings:
 * real config files, a real (in-memory) SQLite database, no SIP.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dialplan.h"
#include "feature.h"
#include "hotdesk.h"
#include "roamd.h"
#include "settings.h"

static struct roamd	 test_env;
struct roamd		*env = &test_env;
static char		 test_dir[] = "/tmp/roam-hotdesk-XXXXXX";
static char		 test_conf[256];

static const char *test_yaml =
"site: { name: london, id: 1, domain: london.test,\n"
"  sip: [\"udp:127.0.0.1:5060\"], database: db.sqlite, control: ctl.sock }\n"
"licences: { power_user: 5 }\n"
"hotdesk: { lockout_attempts: 4, lockout_period: 90s }\n"
"user_rights:\n"
"  - { name: Locked, block_forwarding: true }\n"
"short_codes:\n"
"  - { code: \"*35*N#\", feature: extn_login, number: \"N\" }\n"
"  - { code: \"*36\", feature: extn_logout }\n"
"  - { code: \"*08\", feature: dnd_on }\n"
"  - { code: \"*09\", feature: dnd_off }\n"
"  - { code: \"*07*N#\", feature: forward_number, number: \"N\" }\n"
"  - { code: \"*01\", feature: forward_unconditional_on }\n"
"  - { code: \"*02\", feature: forward_unconditional_off }\n"
"extensions:\n"
"  - { number: \"201\", password: \"pw201pw201\", base_user: \"201\" }\n"
"  - { number: \"202\", password: \"pw202pw202\", base_user: \"202\" }\n"
"  - { number: \"203\", password: \"pw203pw203\", base_user: \"203\" }\n"
"  - { number: \"299\", password: \"pw299pw299\" }\n"
"users:\n"
"  - { number: \"201\", name: \"Alice\", login_code: \"1111\" }\n"
"  - { number: \"202\", name: \"Bob\", login_code: \"2222\" }\n"
"  - { number: \"203\", name: \"Carol\", login_code: \"3333\", force_login: true }\n"
"  - { number: \"204\", name: \"Dave\", login_code: \"4444\", user_rights: Locked }\n"
"  - { number: \"205\", name: \"Eve\", login_code: \"5555\", dnd: %s }\n";

/* Write the config (with Eve's YAML dnd value) and load it. */
static struct config *
test_load(const char *eve_dnd)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*conf;
	FILE			*f;
	size_t			 i;

	f = fopen(test_conf, "w");
	fprintf(f, test_yaml, eve_dnd);
	fclose(f);
	conf = config_load(test_conf, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	ck_assert_ptr_nonnull(conf);
	return (conf);
}

/* Start the modules on a fresh config and the db file. */
static void
setup(void)
{
	char	*cause = NULL;

	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	snprintf(test_conf, sizeof(test_conf), "%s/roamd.yaml", test_dir);
	env->conf = test_load("false");
	ck_assert_int_eq(db_open(env->conf->database, NULL, &cause), 0);
	hotdesk_init();
	settings_init();
}

/* Stop everything, remove the files. */
static void
teardown(void)
{
	char	 cmd[300];

	settings_shutdown();
	hotdesk_shutdown();
	db_close();
	config_free(env->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	system(cmd);
	strcpy(test_dir, "/tmp/roam-hotdesk-XXXXXX");
}

/* Restart the modules as a daemon restart would. */
static void
restart(void)
{
	char	*cause = NULL;

	settings_shutdown();
	hotdesk_shutdown();
	db_close();
	ck_assert_int_eq(db_open(env->conf->database, NULL, &cause), 0);
	hotdesk_init();
	settings_init();
}

/* Dial a feature code at ext as the user logged in there. */
static enum sip_answer
dial(const char *ext, const char *digits, time_t now)
{
	struct dp_match		 m;
	struct feature_ctx	 c;

	ck_assert_int_eq(dialplan_match(digits, NULL, NULL,
	    &env->conf->short_codes, hotdesk_ext_user(ext), &m), 0);
	ck_assert(feature_is_local(&m));
	c.ext = ext;
	c.user = hotdesk_ext_user(ext);
	c.match = &m;
	c.now = now;
	c.callid = "test";
	return (feature_run(&c));
}

START_TEST(test_base_users_logged_in_at_start_except_force_login)
{
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
	ck_assert_str_eq(hotdesk_ext_user("202"), "202");
	ck_assert_ptr_null(hotdesk_user_ext("203"));	/* H5 */
	ck_assert_ptr_null(hotdesk_ext_user("203"));
	ck_assert_ptr_null(hotdesk_ext_user("299"));	/* NoUser */
}
END_TEST

START_TEST(test_login_at_other_phone_moves_user_and_falls_back)
{
	/* Alice logs in at Bob's phone: Bob is replaced, Alice's phone is
	 * free, so Bob returns to... his base is 202 (taken) -> logged out;
	 * Alice's old phone 201 falls back to its base user Alice: she is
	 * not free -> NoUser. */
	ck_assert_int_eq(dial("202", "*35*201*1111#", 1000), ANS_OK);
	ck_assert_str_eq(hotdesk_user_ext("201"), "202");
	ck_assert_str_eq(hotdesk_ext_user("202"), "201");
	ck_assert_ptr_null(hotdesk_user_ext("202"));
	ck_assert_ptr_null(hotdesk_ext_user("201"));

	/* Alice logs out at 202: she returns to her base 201 (free), and
	 * 202 returns to its base user Bob (free) - H3. */
	ck_assert_int_eq(dial("202", "*36", 1001), ANS_OK);
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
	ck_assert_str_eq(hotdesk_user_ext("202"), "202");
}
END_TEST

START_TEST(test_logout_at_base_leaves_phone_nouser)
{
	ck_assert_int_eq(dial("201", "*36", 1000), ANS_OK);
	ck_assert_ptr_null(hotdesk_user_ext("201"));
	ck_assert_ptr_null(hotdesk_ext_user("201"));
	/* Logged in again with the base-user form "*35*CODE#". */
	ck_assert_int_eq(dial("201", "*35*1111#", 1001), ANS_OK);
	ck_assert_str_eq(hotdesk_ext_user("201"), "201");
}
END_TEST

START_TEST(test_force_login_user_not_relogged_by_fallback)
{
	/* Carol (force_login) logs in at NoUser phone 299, then at 203;
	 * when she logs out at 299... */
	ck_assert_int_eq(dial("299", "*35*203*3333#", 1000), ANS_OK);
	ck_assert_str_eq(hotdesk_user_ext("203"), "299");
	ck_assert_int_eq(dial("299", "*36", 1001), ANS_OK);
	/* ...she does not return to her base extension 203 (H3, H5). */
	ck_assert_ptr_null(hotdesk_user_ext("203"));
	ck_assert_ptr_null(hotdesk_ext_user("203"));
	ck_assert_ptr_null(hotdesk_ext_user("299"));
}
END_TEST

START_TEST(test_four_wrong_codes_lock_then_unlock_after_period)
{
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1000),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1001),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1002),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1003), ANS_LOCKED_OUT);
	/* The right code is refused while locked, even after a restart. */
	ck_assert_int_eq(dial("299", "*35*202*2222#", 1010), ANS_LOCKED_OUT);
	restart();
	ck_assert_int_eq(dial("299", "*35*202*2222#", 1050), ANS_LOCKED_OUT);
	ck_assert_ptr_null(hotdesk_ext_user("299"));
	/* 90 s after the lock it works. */
	ck_assert_int_eq(dial("299", "*35*202*2222#", 1003 + 90), ANS_OK);
	ck_assert_str_eq(hotdesk_ext_user("299"), "202");
}
END_TEST

START_TEST(test_right_code_resets_failure_count)
{
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1000),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1001),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1002),
	    ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(dial("299", "*35*202*2222#", 1003), ANS_OK);
	ck_assert_int_eq(dial("299", "*35*202*9999#", 1004),
	    ANS_LOGIN_CODE_INCORRECT);
}
END_TEST

START_TEST(test_unknown_user_and_block_forwarding)
{
	ck_assert_int_eq(dial("299", "*35*999*1234#", 1000),
	    ANS_NUMBER_UNOBTAINABLE);
	ck_assert_int_eq(dial("299", "*35*204*4444#", 1000), ANS_BARRED);
	ck_assert_ptr_null(hotdesk_ext_user("299"));
	/* A NoUser phone cannot set DND. */
	ck_assert_int_eq(dial("299", "*08", 1000), ANS_NO_USER);
}
END_TEST

START_TEST(test_logins_survive_restart)
{
	ck_assert_int_eq(dial("299", "*35*201*1111#", 1000), ANS_OK);
	restart();
	ck_assert_str_eq(hotdesk_user_ext("201"), "299");
	ck_assert_ptr_null(hotdesk_ext_user("201"));
}
END_TEST

START_TEST(test_settings_from_handset_survive_restart)
{
	ck_assert_int_eq(dial("201", "*08", 1000), ANS_OK);
	ck_assert_int_eq(settings_get("201")->dnd, 1);
	ck_assert_int_eq(dial("201", "*01", 1000), ANS_NO_FORWARD_NUMBER);
	ck_assert_int_eq(dial("201", "*07*202#", 1000), ANS_OK);
	ck_assert_int_eq(dial("201", "*01", 1000), ANS_OK);
	restart();
	ck_assert_int_eq(settings_get("201")->dnd, 1);
	ck_assert_int_eq(settings_get("201")->fwd_unconditional, 1);
	ck_assert_str_eq(settings_get("201")->fwd_number, "202");
	ck_assert_int_eq(dial("201", "*09", 1000), ANS_OK);
	ck_assert_int_eq(settings_get("201")->dnd, 0);
}
END_TEST

START_TEST(test_handset_wins_until_admin_changes_yaml)
{
	struct config	*old = env->conf;

	/* Eve's YAML says dnd false; she turns it on from the phone. */
	ck_assert_int_eq(hotdesk_login("205", "299", HDR_ADMIN,
	    &(const char *){ NULL }), 0);
	ck_assert_int_eq(dial("299", "*08", 1000), ANS_OK);
	/* A reload with the same YAML keeps her change. */
	env->conf = test_load("false");
	settings_reload();
	hotdesk_reload();
	ck_assert_int_eq(settings_get("205")->dnd, 1);
	config_free(old);
	/* The admin sets dnd: true then false: the YAML wins. */
	old = env->conf;
	env->conf = test_load("true");
	settings_reload();
	config_free(old);
	old = env->conf;
	env->conf = test_load("false");
	settings_reload();
	hotdesk_reload();
	config_free(old);
	ck_assert_int_eq(settings_get("205")->dnd, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("hotdesk");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_base_users_logged_in_at_start_except_force_login);
	tcase_add_test(tc, test_login_at_other_phone_moves_user_and_falls_back);
	tcase_add_test(tc, test_logout_at_base_leaves_phone_nouser);
	tcase_add_test(tc, test_force_login_user_not_relogged_by_fallback);
	tcase_add_test(tc, test_four_wrong_codes_lock_then_unlock_after_period);
	tcase_add_test(tc, test_right_code_resets_failure_count);
	tcase_add_test(tc, test_unknown_user_and_block_forwarding);
	tcase_add_test(tc, test_logins_survive_restart);
	tcase_add_test(tc, test_settings_from_handset_survive_restart);
	tcase_add_test(tc, test_handset_wins_until_admin_changes_yaml);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed != 0);
}
