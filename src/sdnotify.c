/*
 * sd_notify(3) without libsystemd.  The unit is Type=notify: systemd
 * counts roamd as started only when READY=1 arrives (after the listeners
 * and the control socket are up), so `systemctl start` returns when phones
 * can register, and units ordered after roamd see it working.  With
 * WatchdogSec= set, systemd restarts roamd when no WATCHDOG=1 arrives
 * within the interval; the ping comes from a timer on the main event
 * base, so a loop stuck in one callback stops pinging and gets restarted,
 * which is the point.  We ping at half the interval, as sd_watchdog_enabled(3)
 * advises, so one late timer is not fatal.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"
#include "xmalloc.h"

static int		 sdnotify_fd = -1;
static int		 sdnotify_failing;
static struct event	*sdnotify_wd_ev;
static uint64_t		 sdnotify_wd_usec;

/*
 * The address in $NOTIFY_SOCKET: a path, or "@name" in the abstract
 * namespace (a leading NUL, no terminator counted).  0, 1 when unset, -1
 * when unusable.
 */
static int
sdnotify_addr(struct sockaddr_un *sun, socklen_t *len)
{
	const char	*s = getenv("NOTIFY_SOCKET");
	size_t		 n;

	if (s == NULL || *s == '\0')
		return (1);
	n = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || n >= sizeof(sun->sun_path))
		return (-1);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, n);
	if (s[0] == '@') {
		sun->sun_path[0] = '\0';
		*len = offsetof(struct sockaddr_un, sun_path) + n;
	} else
		*len = offsetof(struct sockaddr_un, sun_path) + n + 1;
	return (0);
}

/* Log a failure once until a send works again: the watchdog repeats. */
static int
sdnotify_fail(const char *what)
{
	if (!sdnotify_failing)
		log_warn("sd_notify %s NOTIFY_SOCKET=%s", what,
		    getenv("NOTIFY_SOCKET"));
	sdnotify_failing = 1;
	return (-1);
}

/* Send state as one datagram to $NOTIFY_SOCKET. */
int
sdnotify_send(const char *state)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 rc;

	if ((rc = sdnotify_addr(&sun, &len)) == 1)
		return (0);
	if (rc == -1) {
		errno = EINVAL;
		return (sdnotify_fail("address"));
	}
	/* Non-blocking: a full queue must not stall the event loop. */
	if (sdnotify_fd == -1 && (sdnotify_fd = socket(AF_UNIX,
	    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return (sdnotify_fail("socket"));
	if (sendto(sdnotify_fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		return (sdnotify_fail("send"));
	if (sdnotify_failing)
		log_info("sd_notify working again");
	sdnotify_failing = 0;
	return (1);
}

/* READY=1: start-up (or a reload) is complete. */
int
sdnotify_ready(void)
{
	return (sdnotify_send("READY=1"));
}

/*
 * RELOADING=1: systemd shows "reloading" until the next READY=1.  Newer
 * systemd wants the CLOCK_MONOTONIC time of the request with it
 * (sd_notify(3), MONOTONIC_USEC=).
 */
int
sdnotify_reloading(void)
{
	struct timespec	 ts;
	char		 buf[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (sdnotify_send("RELOADING=1"));
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return (sdnotify_send(buf));
}

/* STOPPING=1: shutting down on purpose. */
int
sdnotify_stopping(void)
{
	return (sdnotify_send("STOPPING=1"));
}

/* STATUS=text, on one line (a newline would start another variable). */
int
sdnotify_status(const char *text)
{
	char	*buf, *p;
	int	 rc;

	xasprintf(&buf, "STATUS=%s", text);
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rc = sdnotify_send(buf);
	free(buf);
	return (rc);
}

/* The watchdog timer: tell systemd the loop still turns. */
static void
sdnotify_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	sdnotify_send("WATCHDOG=1");
}

/*
 * $WATCHDOG_USEC as a positive number, and $WATCHDOG_PID (when set) our
 * pid: systemd sets the pair for the main process only.  0 with *usec
 * (0 when not for us), or -1 when malformed.
 */
static int
sdnotify_wd_env(uint64_t *usec)
{
	const char		*s, *pid;
	char			*end;
	unsigned long long	 v;

	*usec = 0;
	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s == '\0')
		return (0);
	if ((pid = getenv("WATCHDOG_PID")) != NULL && *pid != '\0') {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno != 0 || *end != '\0' || end == pid)
			return (-1);
		if (v != (unsigned long long)getpid())
			return (0);
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || *s == '-' || v == 0)
		return (-1);
	*usec = v;
	return (0);
}

/* Arm the watchdog timer when systemd asked for one. */
int
sdnotify_init(struct event_base *base)
{
	struct timeval	 tv;
	uint64_t	 usec, half;

	sdnotify_wd_usec = 0;
	if (sdnotify_wd_env(&usec) == -1) {
		log_warnx("sd_notify watchdog off: bad WATCHDOG_USEC=%s "
		    "WATCHDOG_PID=%s", getenv("WATCHDOG_USEC"),
		    getenv("WATCHDOG_PID") != NULL ? getenv("WATCHDOG_PID") :
		    "-");
		return (-1);
	}
	if (usec == 0)
		return (0);
	half = usec / 2;
	if (half == 0)
		half = 1;
	tv.tv_sec = (time_t)(half / 1000000);
	tv.tv_usec = (suseconds_t)(half % 1000000);
	sdnotify_wd_ev = event_new(base, -1, EV_PERSIST, sdnotify_watchdog,
	    NULL);
	if (sdnotify_wd_ev == NULL || event_add(sdnotify_wd_ev, &tv) == -1)
		fatalx("sd_notify watchdog event");
	sdnotify_wd_usec = usec;
	log_info("sd_notify watchdog on interval_ms=%llu",
	    (unsigned long long)(usec / 1000));
	return (0);
}

/* The watchdog interval asked for, 0 when off. */
uint64_t
sdnotify_watchdog_usec(void)
{
	return (sdnotify_wd_usec);
}

/* Stop pinging and close the socket. */
void
sdnotify_shutdown(void)
{
	if (sdnotify_wd_ev != NULL) {
		event_free(sdnotify_wd_ev);
		sdnotify_wd_ev = NULL;
	}
	sdnotify_wd_usec = 0;
	if (sdnotify_fd != -1) {
		close(sdnotify_fd);
		sdnotify_fd = -1;
	}
	sdnotify_failing = 0;
}
