/*
 * perm: the start-up refusal of a config or database that other local
 * users can read or write (issue 5), and the message the admin sees.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perm.h"
#include "roamd.h"

struct roamd	*env;

static char	 dir[PATH_MAX];
static char	 file[PATH_MAX + 32];

/* A fresh directory and an empty file with the given mode. */
static void
make_file(mode_t mode)
{
	int	 fd;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(chmod(file, mode), 0);
}

/* Each test gets its own directory. */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/roam-perm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/roamd.yaml", dir);
}

/* Remove the file and the directory. */
static void
teardown(void)
{
	unlink(file);
	rmdir(dir);
}

START_TEST(test_owner_only_file_accepted)
{
	char	*cause = (char *)"unset";

	make_file(0600);
	ck_assert_int_eq(perm_check_private(file, "config", &cause), 0);
	ck_assert_ptr_null(cause);
	make_file(0400);
	ck_assert_int_eq(perm_check_private(file, "config", &cause), 0);
	/* Execute bits give nothing away. */
	make_file(0711);
	ck_assert_int_eq(perm_check_private(file, "config", &cause), 0);
}
END_TEST

START_TEST(test_world_readable_config_refused_with_hint)
{
	char	*cause, want[PATH_MAX + 256];

	make_file(0644);
	ck_assert_int_eq(perm_check_private(file, "config", &cause), -1);
	snprintf(want, sizeof(want), "config %s is readable by others "
	    "(mode 0644); chmod 600 it or set "
	    "site.allow_insecure_permissions: true", file);
	ck_assert_str_eq(cause, want);
	free(cause);
}
END_TEST

START_TEST(test_group_access_refused)
{
	char	*cause;

	make_file(0640);
	ck_assert_int_eq(perm_check_private(file, "database", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "database "));
	ck_assert_ptr_nonnull(strstr(cause, " is readable by others "
	    "(mode 0640)"));
	free(cause);
	make_file(0620);
	ck_assert_int_eq(perm_check_private(file, "database", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, " is writable by others "
	    "(mode 0620)"));
	free(cause);
	make_file(0606);
	ck_assert_int_eq(perm_check_private(file, "database", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, " is readable and writable by "
	    "others (mode 0606)"));
	free(cause);
}
END_TEST

START_TEST(test_missing_database_is_created_later)
{
	char	*cause = NULL;

	/* db_open creates the file: nothing to refuse yet. */
	ck_assert_int_eq(perm_check_private(file, "database", &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

START_TEST(test_unreachable_path_reported)
{
	char	*cause, path[PATH_MAX + 64];

	/* A path through a regular file cannot be looked at. */
	make_file(0600);
	snprintf(path, sizeof(path), "%s/x.db", file);
	ck_assert_int_eq(perm_check_private(path, "database", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "Not a directory"));
	free(cause);
}
END_TEST

/* The perm suite. */
static Suite *
perm_suite(void)
{
	Suite	*s = suite_create("perm");
	TCase	*tc = tcase_create("check");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_owner_only_file_accepted);
	tcase_add_test(tc, test_world_readable_config_refused_with_hint);
	tcase_add_test(tc, test_group_access_refused);
	tcase_add_test(tc, test_missing_database_is_created_later);
	tcase_add_test(tc, test_unreachable_path_reported);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr = srunner_create(perm_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
