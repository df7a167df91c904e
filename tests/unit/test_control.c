/*
 * The roamctl command layer and socket: what an admin sees.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "db.h"
#include "directory.h"
#include "hotdesk.h"
#include "log.h"
#include "registrar.h"
#include "roamd.h"
#include "settings.h"

static struct roamd	 test_state;
struct roamd		*env = &test_state;

static int		 test_reload_fail;
static int		 test_reloads;

/* main.c's reload, as the tests want it to behave. */
int
roamd_reload(char **errs)
{
	test_reloads++;
	if (test_reload_fail) {
		*errs = strdup("roamd.yaml:12:5: unknown key \"nmber\"\n"
		    "roamd.yaml:20:3: user 202: "
		    "no such user rights \"Sale\"\n");
		return (-1);
	}
	*errs = NULL;
	return (0);
}

static struct user_rights	test_rights[] = {
	{ .name = "Sales" },
	{ .name = "Night", .outgoing_call_bar = 1 },
};
static struct button		test_buttons[] = {
	{ .type = BTN_CALL_APPEARANCE },
	{ .type = BTN_BRIDGED_APPEARANCE, .user = "202" },
	{ .type = BTN_SPEED_DIAL, .number = "203" },
};
static struct user		test_users[] = {
	{ .number = "201", .name = "Alice Smith", .profile = PROFILE_POWER_USER,
	  .user_rights = "Sales", .forward = { .number = "202",
	  .on_busy = 1, .no_answer_time = 15 }, .buttons = test_buttons,
	  .nbuttons = 3 },
	{ .number = "202", .name = "Bob Jones-Longname", .profile =
	  PROFILE_BASIC, .login_code = "5678", .dnd = 1,
	  .forward = { .no_answer_time = 15 } },
	{ .number = "203", .name = "Carol", .force_login = 1,
	  .profile = PROFILE_OFFICE_WORKER,
	  .forward = { .no_answer_time = 15 } },
};
static struct extension		test_exts[] = {
	{ .number = "201", .password = "x", .base_user = "201" },
	{ .number = "202", .password = "x", .base_user = "202" },
	{ .number = "203", .password = "x", .base_user = "203" },
};
static struct config		test_conf = {
	.path = "test.yaml", .site_name = "london", .site_id = 1,
	.domain = "london.roam.test", .database = ":memory:",
	.control = "/tmp/unused.sock",
	.lockout_attempts = 4, .lockout_period = 90,
	.user_rights = test_rights, .nuser_rights = 2,
	.extensions = test_exts, .nextensions = 3,
	.users = test_users, .nusers = 3,
};

static char	test_dir[64];
static char	test_sock[96];

/* A site with three users (203 is force_login) and one registration. */
static void
setup(void)
{
	struct db_reg	 r = { .ext = "201", .contact =
	    "sip:201@127.0.0.1:5070", .peer = "udp:127.0.0.1:5070",
	    .callid = "reg-1", .cseq = 1, .user_agent = "Linphone/5.2" };
	char		*cause = NULL;

	log_init(0, "london");
	env->conf = &test_conf;
	env->conffile = "test.yaml";
	env->epoch = 0x0123456789abcdefULL;
	env->started = time(NULL) - 100;
	env->base = event_base_new();
	test_reload_fail = 0;
	test_reloads = 0;
	ck_assert_int_eq(db_open(":memory:", NULL, &cause), 0);
	ck_assert_int_eq(db_store_config(&test_conf, &cause), 0);
	r.expires = time(NULL) + 300;
	ck_assert_int_eq(db_reg_put(&r), 0);
	registrar_init();
	hotdesk_init();
	settings_init();
	snprintf(test_dir, sizeof(test_dir), "/tmp/roam-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	snprintf(test_sock, sizeof(test_sock), "%s/ctl.sock", test_dir);
}

/* Take it all down. */
static void
teardown(void)
{
	control_shutdown();
	settings_shutdown();
	hotdesk_shutdown();
	registrar_shutdown();
	db_close();
	event_base_free(env->base);
	unlink(test_sock);
	rmdir(test_dir);
}

/* Run a command that must succeed; returns the answer (free it). */
static char *
run_ok(const char *line)
{
	char	*out = NULL;

	ck_assert_msg(control_run(line, 0, &out) == 0, "%s: %s", line, out);
	ck_assert_ptr_nonnull(out);
	return (out);
}

/* Run a command that must fail with this error text. */
static void
run_err(const char *line, const char *want)
{
	char	*out = NULL;

	ck_assert_int_eq(control_run(line, 0, &out), -1);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_status_json_has_design_keys)
{
	char	*out = run_ok("json status");

	ck_assert_ptr_nonnull(strstr(out, "\"site\":\"london\""));
	ck_assert_ptr_nonnull(strstr(out, "\"id\":1"));
	ck_assert_ptr_nonnull(strstr(out, "\"epoch\":\"0123456789abcdef\""));
	ck_assert(strstr(out, "\"uptime_s\":100,") != NULL ||
	    strstr(out, "\"uptime_s\":101,") != NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"domain\":\"london.roam.test\""));
	ck_assert_ptr_nonnull(strstr(out, "\"registrations\":1"));
	ck_assert_ptr_nonnull(strstr(out, "\"calls\":0"));
	ck_assert_ptr_nonnull(strstr(out, "\"users\":3"));
	ck_assert_ptr_nonnull(strstr(out, "\"extensions\":3"));
	ck_assert_ptr_nonnull(strstr(out, "\"sip_rx\":"));
	ck_assert_ptr_nonnull(strstr(out, "\"sip_tx\":"));
	ck_assert_ptr_nonnull(strstr(out, "\"sip_rx_bad\":"));
	ck_assert_int_eq(out[0], '{');
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	free(out);
}
END_TEST

START_TEST(test_status_text_names_the_site)
{
	char	*out = run_ok("status");

	ck_assert_ptr_nonnull(strstr(out, "london (id 1)"));
	ck_assert_ptr_nonnull(strstr(out, "users          3 (2 logged in)"));
	free(out);
}
END_TEST

/* Column of word in the first line of text that has it. */
static long
column_of(const char *line, const char *word)
{
	const char	*p = strstr(line, word);

	return (p != NULL ? p - line : -1);
}

START_TEST(test_users_table_is_aligned)
{
	char	*out = run_ok("users"), *l1, *l2, *l3, *l4;

	l1 = out;
	ck_assert_int_eq(strncmp(l1, "NUMBER  NAME", 12), 0);
	ck_assert_ptr_nonnull(strstr(l1, "STATE"));
	ck_assert_ptr_nonnull(strstr(l1, "EXTENSION"));
	ck_assert_ptr_nonnull(strstr(l1, "PROFILE"));
	ck_assert_ptr_nonnull(strstr(l1, "RIGHTS"));
	l2 = strchr(l1, '\n') + 1;
	l3 = strchr(l2, '\n') + 1;
	l4 = strchr(l3, '\n') + 1;
	/* The longest name sets where STATE starts, on every line. */
	ck_assert_int_eq(column_of(l1, "STATE"), column_of(l2, "logged_in"));
	ck_assert_int_eq(column_of(l1, "STATE"), column_of(l3, "logged_in"));
	ck_assert_int_eq(column_of(l1, "STATE"), column_of(l4, "logged_out"));
	ck_assert_int_eq(column_of(l1, "STATE"),
	    (long)strlen("NUMBER  Bob Jones-Longname  "));
	ck_assert_ptr_nonnull(strstr(l2, "power_user"));
	ck_assert_ptr_nonnull(strstr(l2, "Sales"));
	free(out);
}
END_TEST

START_TEST(test_users_json_is_a_list_of_users)
{
	char	*out = run_ok("json users");

	ck_assert_int_eq(out[0], '[');
	ck_assert_ptr_nonnull(strstr(out, "\"number\":\"201\""));
	ck_assert_ptr_nonnull(strstr(out, "\"number\":\"202\""));
	ck_assert_ptr_nonnull(strstr(out, "\"number\":\"203\""));
	free(out);
}
END_TEST

START_TEST(test_user_json_logged_in_at_base)
{
	char	*out = run_ok("json user 201");

	ck_assert_ptr_nonnull(strstr(out, "\"number\":\"201\""));
	ck_assert_ptr_nonnull(strstr(out, "\"name\":\"Alice Smith\""));
	ck_assert_ptr_nonnull(strstr(out, "\"home\":\"london\""));
	ck_assert_ptr_nonnull(strstr(out, "\"site\":\"london\""));
	ck_assert_ptr_nonnull(strstr(out, "\"extension\":\"201\""));
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"logged_in\""));
	ck_assert_ptr_nonnull(strstr(out, "\"profile\":\"power_user\""));
	ck_assert_ptr_nonnull(strstr(out,
	    "\"effective_user_rights\":\"Sales\""));
	ck_assert_ptr_nonnull(strstr(out, "\"dnd\":false"));
	ck_assert_ptr_nonnull(strstr(out, "\"forward\":{\"number\":\"202\","
	    "\"unconditional\":false,\"on_busy\":true,\"on_no_answer\":false,"
	    "\"no_answer_time\":15}"));
	ck_assert_ptr_nonnull(strstr(out, "\"buttons\":[{\"type\":"
	    "\"call_appearance\",\"active\":true}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"type\":\"bridged_appearance\","
	    "\"active\":true,\"user\":\"202\"}"));
	ck_assert_ptr_nonnull(strstr(out, "\"force_login\":false"));
	free(out);
}
END_TEST

START_TEST(test_user_force_login_is_logged_out_at_start)
{
	char	*out = run_ok("json user 203");

	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"logged_out\""));
	ck_assert_ptr_nonnull(strstr(out, "\"extension\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"site\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"effective_user_rights\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"force_login\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"buttons\":[]"));
	free(out);
}
END_TEST

START_TEST(test_user_text_shows_dnd)
{
	char	*out = run_ok("user 202");

	ck_assert_ptr_nonnull(strstr(out, "Bob Jones-Longname"));
	ck_assert_ptr_nonnull(strstr(out, "dnd                    on\n"));
	free(out);
}
END_TEST

START_TEST(test_user_shows_the_handsets_dnd_not_the_files)
{
	char	*out;

	/* Alice dialled *08 on her phone; the YAML still says dnd: false. */
	ck_assert_int_eq(settings_set("201", SET_DND, 1), 0);
	ck_assert_int_eq(settings_set_fwd_number("201", "203"), 0);
	out = run_ok("json user 201");
	ck_assert_ptr_nonnull(strstr(out, "\"dnd\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"forward\":{\"number\":\"203\""));
	free(out);
	out = run_ok("user 201");
	ck_assert_ptr_nonnull(strstr(out, "dnd                    on\n"));
	free(out);
}
END_TEST

START_TEST(test_user_shows_the_login_lock)
{
	time_t	 now = time(NULL);
	char	*out;
	int	 i;

	out = run_ok("json user 202");
	ck_assert_ptr_nonnull(strstr(out, "\"login_failures\":0"));
	ck_assert_ptr_nonnull(strstr(out, "\"locked_until\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"logged_in_since\":"));
	ck_assert_ptr_null(strstr(out, "\"logged_in_since\":null"));
	free(out);
	/* H2: four wrong codes in a row lock the login. */
	for (i = 0; i < 4; i++)
		hotdesk_check_code("202", "0000", now);
	out = run_ok("json user 202");
	ck_assert_ptr_nonnull(strstr(out, "\"login_failures\":4"));
	ck_assert_ptr_null(strstr(out, "\"locked_until\":null"));
	free(out);
	out = run_ok("user 202");
	ck_assert_ptr_nonnull(strstr(out, "locked until "));
	free(out);
}
END_TEST

START_TEST(test_unknown_user_is_an_error)
{
	run_err("user 999", "no such user 999");
	run_err("json user 999", "no such user 999");
}
END_TEST

START_TEST(test_bad_requests_say_why)
{
	run_err("frobnicate", "unknown command: frobnicate");
	run_err("user", "usage: user NUMBER");
	run_err("user 201 202", "usage: user NUMBER");
	run_err("", "no command");
	run_err("json", "no command");
}
END_TEST

START_TEST(test_peers_and_directory_answer)
{
	char	*out;

	directory_init();
	out = run_ok("json directory");
	ck_assert_ptr_nonnull(strstr(out, "\"number\":\"201\""));
	ck_assert_ptr_nonnull(strstr(out, "\"home\":\"london\""));
	free(out);
	directory_shutdown();
	out = run_ok("json peers");		/* no network: no peers */
	ck_assert_str_eq(out, "[]\n");
	free(out);
}
END_TEST

START_TEST(test_admin_login_and_logout_move_the_user)
{
	char	*out;

	/* Alice onto Bob's phone: Bob is replaced (H1). */
	out = run_ok("json login 201 202");
	ck_assert_ptr_nonnull(strstr(out, "\"extension\":\"202\""));
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"logged_in\""));
	free(out);
	out = run_ok("json user 202");
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"logged_out\""));
	free(out);
	/* Alice out: back to 201, Bob back to 202 (H3). */
	out = run_ok("json logout 201");
	ck_assert_ptr_nonnull(strstr(out, "\"extension\":\"201\""));
	free(out);
	out = run_ok("json user 202");
	ck_assert_ptr_nonnull(strstr(out, "\"extension\":\"202\""));
	free(out);
	run_err("login 999 202", "no such user 999");
	run_err("login 201 999", "no such extension 999");
	run_err("logout 203", "user 203: not logged in");
}
END_TEST

START_TEST(test_regs_show_seconds_remaining)
{
	char	*out = run_ok("json regs"), *txt;

	ck_assert_ptr_nonnull(strstr(out, "\"extension\":\"201\""));
	ck_assert_ptr_nonnull(strstr(out,
	    "\"contact\":\"sip:201@127.0.0.1:5070\""));
	ck_assert_ptr_nonnull(strstr(out, "\"source\":\"udp:127.0.0.1:5070\""));
	ck_assert_ptr_nonnull(strstr(out, "\"user_agent\":\"Linphone/5.2\""));
	/* 300 s from setup, a second may have passed. */
	ck_assert(strstr(out, "\"expires\":300") != NULL ||
	    strstr(out, "\"expires\":299") != NULL);
	free(out);
	txt = run_ok("regs");
	ck_assert_int_eq(strncmp(txt, "EXTENSION  USER  CONTACT", 24), 0);
	free(txt);
}
END_TEST

START_TEST(test_calls_empty)
{
	char	*out = run_ok("json calls");

	ck_assert_str_eq(out, "[]\n");
	free(out);
	out = run_ok("calls");
	ck_assert_str_eq(out, "no calls\n");
	free(out);
}
END_TEST

START_TEST(test_reload_ok_and_refused)
{
	char	*out = run_ok("reload");

	ck_assert_str_eq(out, "configuration reloaded\n");
	free(out);
	test_reload_fail = 1;
	run_err("reload", "roamd.yaml:12:5: unknown key \"nmber\"\n"
	    "roamd.yaml:20:3: user 202: no such user rights \"Sale\"");
	ck_assert_int_eq(test_reloads, 2);
}
END_TEST

/* Connect to the control socket; -1 if refused. */
static int
sock_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Send req over the socket, run the loop, return all that comes back. */
static char *
sock_ask(const char *req, size_t reqlen)
{
	static char	 buf[65536];
	struct pollfd	 pfd;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, i;

	fd = sock_connect(test_sock);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, req, reqlen), (ssize_t)reqlen);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 1000; i++) {
		event_base_loop(env->base, EVLOOP_NONBLOCK);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5) <= 0)
			continue;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	ck_assert_int_lt(i, 1000);
	buf[got] = '\0';
	return (buf);
}

START_TEST(test_socket_answers_one_request_and_closes)
{
	struct stat	 st;
	char		*cause = NULL, *ans;

	ck_assert_int_eq(control_init(env->base, test_sock, &cause), 0);
	ck_assert_int_eq(stat(test_sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ans = sock_ask("json status\n", 12);
	ck_assert_int_eq(strncmp(ans, "0\n{\"site\":\"london\",", 19), 0);
	ans = sock_ask("user 999\r\n", 10);
	ck_assert_str_eq(ans, "1\nno such user 999\n");
	ans = sock_ask("users\n", 6);
	ck_assert_int_eq(strncmp(ans, "0\nNUMBER", 8), 0);
}
END_TEST

START_TEST(test_socket_refuses_an_overlong_request)
{
	char	*cause = NULL, *ans, req[3000];

	ck_assert_int_eq(control_init(env->base, test_sock, &cause), 0);
	memset(req, 'x', sizeof(req));
	ans = sock_ask(req, sizeof(req));
	ck_assert_str_eq(ans, "1\nrequest too long\n");
	/* The daemon still answers the next client. */
	ans = sock_ask("status\n", 7);
	ck_assert_int_eq(ans[0], '0');
}
END_TEST

START_TEST(test_socket_replaces_a_stale_one_not_a_live_one)
{
	struct sockaddr_un	 sun;
	char			*cause = NULL;
	int			 fd;

	/* A socket file left by a daemon that died. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", test_sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(control_init(env->base, test_sock, &cause), 0);
	ck_assert_int_eq(sock_ask("status\n", 7)[0], '0');

	/* A second daemon on the same path is refused. */
	ck_assert_int_eq(control_init(env->base, test_sock, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "in use"));
	free(cause);
	ck_assert_int_eq(sock_ask("status\n", 7)[0], '0');
}
END_TEST

START_TEST(test_socket_never_removes_a_regular_file)
{
	char	*cause = NULL;
	FILE	*f;

	f = fopen(test_sock, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(control_init(env->base, test_sock, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not a socket"));
	free(cause);
	ck_assert_int_eq(access(test_sock, F_OK), 0);
}
END_TEST

/* The control suite. */
static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_status_json_has_design_keys);
	tcase_add_test(tc, test_status_text_names_the_site);
	tcase_add_test(tc, test_users_table_is_aligned);
	tcase_add_test(tc, test_users_json_is_a_list_of_users);
	tcase_add_test(tc, test_user_json_logged_in_at_base);
	tcase_add_test(tc, test_user_force_login_is_logged_out_at_start);
	tcase_add_test(tc, test_user_text_shows_dnd);
	tcase_add_test(tc, test_user_shows_the_handsets_dnd_not_the_files);
	tcase_add_test(tc, test_user_shows_the_login_lock);
	tcase_add_test(tc, test_unknown_user_is_an_error);
	tcase_add_test(tc, test_bad_requests_say_why);
	tcase_add_test(tc, test_peers_and_directory_answer);
	tcase_add_test(tc, test_admin_login_and_logout_move_the_user);
	tcase_add_test(tc, test_regs_show_seconds_remaining);
	tcase_add_test(tc, test_calls_empty);
	tcase_add_test(tc, test_reload_ok_and_refused);
	tcase_add_test(tc, test_socket_answers_one_request_and_closes);
	tcase_add_test(tc, test_socket_refuses_an_overlong_request);
	tcase_add_test(tc, test_socket_replaces_a_stale_one_not_a_live_one);
	tcase_add_test(tc, test_socket_never_removes_a_regular_file);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(control_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
