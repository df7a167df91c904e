/*
 * The network directory (DESIGN.md R1): our users from the config and
 * hotdesk, other sites' users from DIR_SYNC chunks and LOCATION frames,
 * ordered by generation so that late or repeated messages are harmless.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "directory.h"
#include "hotdesk.h"
#include "json.h"
#include "peer_frame.h"
#include "roamd.h"

static struct roamd	 test_env;
struct roamd		*env = &test_env;
static char		 test_dir[64];

/* A site with nusers users (long names, to fill DIR_SYNC chunks). */
static void
site_start(const char *name, int id, int nusers)
{
	struct config_errors	 errs = { NULL, 0 };
	char			 path[128], *cause = NULL;
	FILE			*f;
	size_t			 i;
	int			 u;

	snprintf(test_dir, sizeof(test_dir), "/tmp/roam-dir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	snprintf(path, sizeof(path), "%s/roamd.yaml", test_dir);
	f = fopen(path, "w");
	fprintf(f, "site: { name: %s, id: %d, domain: %s.test,\n"
	    "  sip: [\"udp:127.0.0.1:5060\"], database: db.sqlite,\n"
	    "  control: ctl.sock }\n"
	    "extensions:\n"
	    "  - { number: \"%d000\", password: \"pwpwpwpwpw\","
	    " base_user: \"%d001\" }\n"
	    "users:\n", name, id, name, id, id);
	for (u = 1; u <= nusers; u++)
		fprintf(f, "  - { number: \"%d%03d\", name: \"User %d %0200d\","
		    " login_code: \"1234\" }\n", id, u, u, u);
	fclose(f);
	env->conf = config_load(path, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	ck_assert_ptr_nonnull(env->conf);
	ck_assert_int_eq(db_open(":memory:", NULL, &cause), 0);
	hotdesk_init();
	directory_init();
}

/* Stop and clean up. */
static void
site_stop(void)
{
	char	 cmd[96];

	directory_shutdown();
	hotdesk_shutdown();
	db_close();
	config_free(env->conf);
	env->conf = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	system(cmd);
}

/* Teardown: whatever still runs. */
static void
teardown(void)
{
	if (env->conf != NULL)
		site_stop();
}

/* An update as a LOCATION frame would carry it. */
static int
loc(const char *number, const char *home, const char *site, const char *ext,
    uint64_t gen)
{
	struct dir_update	 u;

	memset(&u, 0, sizeof(u));
	snprintf(u.number, sizeof(u.number), "%s", number);
	snprintf(u.name, sizeof(u.name), "Remote %s", number);
	snprintf(u.home, sizeof(u.home), "%s", home);
	snprintf(u.site, sizeof(u.site), "%s", site != NULL ? site : "");
	snprintf(u.ext, sizeof(u.ext), "%s", ext != NULL ? ext : "");
	u.generation = gen;
	return (directory_apply(&u));
}

/* Decode a frame and apply it as a DIR_SYNC chunk from site. */
static int
apply_chunk(const char *site, const uint8_t *buf, size_t len)
{
	struct peer_msg	 m;
	const char	*cause;

	ck_assert_int_gt(peer_frame_decode(buf, len, &m, &cause), 0);
	ck_assert_int_eq(m.type, PT_DIR_SYNC);
	return (directory_sync_apply(site, &m, NULL, NULL));
}

START_TEST(test_our_users_are_in_the_directory)
{
	const struct dir_entry	*e;

	site_start("london", 1, 3);
	e = directory_lookup("1001");
	ck_assert_ptr_nonnull(e);
	ck_assert(e->local);
	ck_assert_str_eq(e->home, "london");
	ck_assert_str_eq(e->site, "london");	/* base user at start-up */
	ck_assert_str_eq(e->ext, "1000");
	e = directory_lookup("1002");
	ck_assert_ptr_null(e->site);
	ck_assert_ptr_null(directory_lookup("9999"));
}
END_TEST

START_TEST(test_big_sync_is_chunked_and_applied_elsewhere)
{
	struct peer_out		*v;
	struct peer_msg		 m;
	const struct dir_entry	*e;
	const char		*cause;
	uint8_t			*bufs[64];
	size_t			 lens[64], n, i;

	site_start("london", 1, 400);
	n = directory_sync_build(&v);
	ck_assert_uint_gt(n, 1);			/* > 64 KB of users */
	ck_assert_uint_lt(n, 64);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(v[i].error, 0);
		ck_assert_int_gt(peer_frame_decode(v[i].buf, v[i].len, &m,
		    &cause), 0);
		ck_assert_int_eq(!!(m.flags & PF_FULL), i == 0);
		ck_assert_int_eq(!!(m.flags & PF_MORE), i + 1 < n);
		bufs[i] = v[i].buf;
		lens[i] = v[i].len;
	}
	free(v);
	site_stop();

	site_start("paris", 2, 1);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(apply_chunk("london", bufs[i], lens[i]),
		    i + 1 == n);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	e = directory_lookup("1400");
	ck_assert_ptr_nonnull(e);
	ck_assert(!e->local);
	ck_assert_str_eq(e->home, "london");
	ck_assert_ptr_nonnull(strstr(e->name, "User 400 "));
	e = directory_lookup("1001");
	ck_assert_str_eq(e->site, "london");
	ck_assert_str_eq(e->ext, "1000");
	ck_assert_str_eq(directory_lookup("2001")->home, "paris");
}
END_TEST

START_TEST(test_location_ordered_by_generation)
{
	const struct dir_entry	*e;

	site_start("paris", 2, 1);
	ck_assert_int_eq(loc("1001", "london", "berlin", "4001", 5), 1);
	e = directory_lookup("1001");
	ck_assert_str_eq(e->site, "berlin");
	/* Late: an older generation changes nothing. */
	ck_assert_int_eq(loc("1001", "london", "paris", "2001", 4), 0);
	ck_assert_str_eq(e->site, "berlin");
	ck_assert_uint_eq(e->generation, 5);
	/* Re-sent: the same message again changes nothing. */
	ck_assert_int_eq(loc("1001", "london", "berlin", "4001", 5), 0);
	/* Newer: logged out. */
	ck_assert_int_eq(loc("1001", "london", NULL, NULL, 6), 1);
	ck_assert_ptr_null(e->site);
	ck_assert_ptr_null(e->ext);
	ck_assert_int_eq(loc("1001", "london", "berlin", "4001", 5), 0);
	ck_assert_ptr_null(e->site);
}
END_TEST

START_TEST(test_other_sites_cannot_rewrite_our_users)
{
	const struct dir_entry	*e;

	site_start("london", 1, 2);
	ck_assert_int_eq(loc("1001", "paris", "paris", "2001", 99), 0);
	e = directory_lookup("1001");
	ck_assert_str_eq(e->home, "london");
	ck_assert_str_eq(e->site, "london");
	/* Our own moves: home's generation orders them too. */
	ck_assert_int_eq(directory_set_location("1001", "paris", "2001", 3),
	    1);
	ck_assert_int_eq(directory_set_location("1001", NULL, NULL, 2), 0);
	ck_assert_str_eq(e->site, "paris");
}
END_TEST

START_TEST(test_full_sync_drops_users_gone_from_home)
{
	struct peer_out	 o = { 0 };
	const char	*cause;

	site_start("paris", 2, 1);
	loc("1001", "london", NULL, NULL, 1);
	loc("1002", "london", NULL, NULL, 1);
	loc("3001", "berlin", NULL, NULL, 1);
	/* London's new sync lists only 1001. */
	peer_frame_begin(&o, PT_DIR_SYNC, 0);
	peer_frame_set_flags(&o, PF_FULL);
	peer_frame_put_str(&o, PA_USER, "1001");
	peer_frame_put_str(&o, PA_NAME, "Alice");
	peer_frame_put_u64(&o, PA_GENERATION, 2);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_eq(apply_chunk("london", o.buf, o.len), 1);
	peer_frame_free(&o);
	ck_assert_ptr_nonnull(directory_lookup("1001"));
	ck_assert_str_eq(directory_lookup("1001")->name, "Alice");
	ck_assert_ptr_null(directory_lookup("1002"));
	ck_assert_ptr_nonnull(directory_lookup("3001"));	/* berlin's */
	ck_assert_ptr_nonnull(directory_lookup("2001"));	/* ours */
}
END_TEST

START_TEST(test_location_frame_read)
{
	struct peer_out		 o = { 0 };
	struct peer_msg		 m;
	struct dir_update	 u;
	const char		*cause;

	site_start("london", 1, 1);
	peer_frame_begin(&o, PT_LOCATION, 0);
	directory_put_entry(&o, directory_lookup("1001"));
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_gt(peer_frame_decode(o.buf, o.len, &m, &cause), 0);
	ck_assert_int_eq(directory_read_location(&m, &u), 0);
	ck_assert_str_eq(u.number, "1001");
	ck_assert_str_eq(u.home, "london");
	ck_assert_str_eq(u.site, "london");
	ck_assert_str_eq(u.ext, "1000");
	peer_frame_free(&o);
}
END_TEST

START_TEST(test_directory_json_keys)
{
	struct json	 j;
	char		*doc, *text;

	site_start("paris", 2, 1);
	loc("1001", "london", "berlin", "4001", 5);
	json_init(&j);
	directory_json(&j);
	doc = json_finish(&j, NULL);
	ck_assert_ptr_nonnull(strstr(doc, "{\"number\":\"1001\",\"name\":"
	    "\"Remote 1001\",\"home\":\"london\",\"site\":\"berlin\","
	    "\"extension\":\"4001\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"number\":\"2001\""));
	/* Sorted by number. */
	ck_assert(strstr(doc, "1001") < strstr(doc, "2001"));
	free(doc);
	text = directory_table();
	ck_assert_ptr_nonnull(strstr(text, "berlin"));
	free(text);
}
END_TEST

/* The suite. */
static Suite *
directory_suite(void)
{
	Suite	*s = suite_create("directory");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_our_users_are_in_the_directory);
	tcase_add_test(tc, test_big_sync_is_chunked_and_applied_elsewhere);
	tcase_add_test(tc, test_location_ordered_by_generation);
	tcase_add_test(tc, test_other_sites_cannot_rewrite_our_users);
	tcase_add_test(tc, test_full_sync_drops_users_gone_from_home);
	tcase_add_test(tc, test_location_frame_read);
	tcase_add_test(tc, test_directory_json_keys);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(directory_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
