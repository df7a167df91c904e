/*
 * sdnotify: what systemd receives on a real AF_UNIX datagram socket named
 * by $NOTIFY_SOCKET, as it would for the Type=notify unit: READY=1,
 * STOPPING=1, RELOADING=1 and the WATCHDOG=1 pings at half the interval.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <check.h>
#include <event2/event.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roamd.h"
#include "sdnotify.h"

struct roamd	*env;

static char	 dir[PATH_MAX];
static char	 sockpath[PATH_MAX + 32];
static int	 sysd = -1;		/* "systemd": the receiving socket */

/* Bind the receiving socket at path (or "@name") and point NOTIFY_SOCKET. */
static void
listen_at(const char *path)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;

	sysd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(sysd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	if (path[0] == '@') {
		sun.sun_path[0] = '\0';
		len--;
	}
	ck_assert_int_eq(bind(sysd, (struct sockaddr *)&sun, len), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
}

/* A fresh directory and socket per test; no watchdog variables. */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/roam-sdnotify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", dir);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	listen_at(sockpath);
}

/* Close everything the test opened. */
static void
teardown(void)
{
	sdnotify_shutdown();
	if (sysd != -1)
		close(sysd);
	sysd = -1;
	unlink(sockpath);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next datagram within ms milliseconds, or "" when none came. */
static const char *
received(int ms)
{
	static char	 buf[512];
	struct pollfd	 pfd = { sysd, POLLIN, 0 };
	ssize_t		 n;

	buf[0] = '\0';
	if (poll(&pfd, 1, ms) != 1)
		return (buf);
	n = recv(sysd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return (buf);
}

/* Run a fresh base with the watchdog for ms milliseconds; count pings. */
static int
watchdog_pings(int ms)
{
	struct event_base	*base = event_base_new();
	struct timeval		 tv = { ms / 1000, (ms % 1000) * 1000 };
	int			 n = 0;

	ck_assert_int_eq(sdnotify_init(base), 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	while (strcmp(received(0), "WATCHDOG=1") == 0)
		n++;
	sdnotify_shutdown();
	event_base_free(base);
	return (n);
}

START_TEST(test_ready_and_stopping_reach_systemd)
{
	ck_assert_int_eq(sdnotify_ready(), 1);
	ck_assert_str_eq(received(2000), "READY=1");
	ck_assert_int_eq(sdnotify_stopping(), 1);
	ck_assert_str_eq(received(2000), "STOPPING=1");
	ck_assert_str_eq(received(50), "");
}
END_TEST

START_TEST(test_abstract_namespace_socket)
{
	char	 name[64];

	close(sysd);
	snprintf(name, sizeof(name), "@roam-test-sdnotify-%ld",
	    (long)getpid());
	listen_at(name);
	ck_assert_int_eq(sdnotify_ready(), 1);
	ck_assert_str_eq(received(2000), "READY=1");
}
END_TEST

START_TEST(test_reload_and_status_messages)
{
	const char	*m;

	ck_assert_int_eq(sdnotify_reloading(), 1);
	m = received(2000);
	ck_assert_msg(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    strlen(m) > 27, "got %s", m);
	ck_assert_int_eq(sdnotify_status("3 phones\nregistered"), 1);
	ck_assert_str_eq(received(2000), "STATUS=3 phones registered");
}
END_TEST

START_TEST(test_watchdog_pings_at_half_the_interval)
{
	int	 n;

	/* 200 ms asked: a ping every 100 ms, so about 5 in 550 ms. */
	setenv("WATCHDOG_USEC", "200000", 1);
	n = watchdog_pings(550);
	ck_assert_msg(n >= 3 && n <= 6, "%d pings in 550 ms", n);
}
END_TEST

START_TEST(test_watchdog_for_our_pid_only)
{
	char	 pid[32];

	setenv("WATCHDOG_USEC", "100000", 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_int_ge(watchdog_pings(260), 2);
	/* Meant for another process (a child would inherit the variables). */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_int_eq(watchdog_pings(260), 0);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
}
END_TEST

START_TEST(test_no_watchdog_without_or_with_bad_interval)
{
	struct event_base	*base = event_base_new();

	ck_assert_int_eq(watchdog_pings(150), 0);
	setenv("WATCHDOG_USEC", "soon", 1);
	ck_assert_int_eq(sdnotify_init(base), -1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	ck_assert_int_eq(sdnotify_init(base), -1);
	setenv("WATCHDOG_USEC", "30000000", 1);
	ck_assert_int_eq(sdnotify_init(base), 0);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 30000000);
	sdnotify_shutdown();
	event_base_free(base);
}
END_TEST

START_TEST(test_outside_systemd_is_a_quiet_no_op)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify_ready(), 0);
	ck_assert_int_eq(sdnotify_stopping(), 0);
	ck_assert_str_eq(received(50), "");
}
END_TEST

START_TEST(test_gone_or_bad_socket_fails)
{
	char	 gone[PATH_MAX + 32];

	snprintf(gone, sizeof(gone), "%s/gone", dir);
	setenv("NOTIFY_SOCKET", gone, 1);
	ck_assert_int_eq(sdnotify_ready(), -1);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_eq(sdnotify_ready(), -1);
	/* And it works again once the socket is back. */
	setenv("NOTIFY_SOCKET", sockpath, 1);
	ck_assert_int_eq(sdnotify_ready(), 1);
	ck_assert_str_eq(received(2000), "READY=1");
}
END_TEST

/* The sdnotify suite. */
static Suite *
sdnotify_suite(void)
{
	Suite	*s = suite_create("sdnotify");
	TCase	*tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ready_and_stopping_reach_systemd);
	tcase_add_test(tc, test_abstract_namespace_socket);
	tcase_add_test(tc, test_reload_and_status_messages);
	tcase_add_test(tc, test_watchdog_pings_at_half_the_interval);
	tcase_add_test(tc, test_watchdog_for_our_pid_only);
	tcase_add_test(tc, test_no_watchdog_without_or_with_bad_interval);
	tcase_add_test(tc, test_outside_systemd_is_a_quiet_no_op);
	tcase_add_test(tc, test_gone_or_bad_socket_fails);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr = srunner_create(sdnotify_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
