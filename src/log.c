/*
 * Logging to stderr, one line per event.  Under systemd the line starts
 * with a "<N>" syslog priority that journald turns into the entry's
 * priority; elsewhere with a UTC timestamp, which is what an admin
 * comparing the logs of several sites wants.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static int	 log_debug_on;
static int	 log_journal;
static char	 log_sitename[32] = "-";

/* Set up: debug enables log_debug lines. */
void
log_init(int debug, const char *site)
{
	log_debug_on = debug;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (site != NULL)
		log_setsite(site);
}

/* Name of the site every line starts with. */
void
log_setsite(const char *site)
{
	snprintf(log_sitename, sizeof(log_sitename), "%s", site);
}

/* The site name as logged. */
const char *
log_site(void)
{
	return (log_sitename);
}

/* Is debug logging on? */
int
log_getdebug(void)
{
	return (log_debug_on);
}

/* Write one line at priority pri with an optional errno text. */
static void
log_vwrite(int pri, const char *level, const char *err, const char *fmt,
    va_list ap)
{
	char		 msg[2048], stamp[32];
	struct timeval	 tv;
	struct tm	 tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal) {
		fprintf(stderr, "<%d>site=%s %s%s%s\n", pri, log_sitename, msg,
		    err != NULL ? ": " : "", err != NULL ? err : "");
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s site=%s %s%s%s\n", stamp,
	    (long)tv.tv_usec / 1000, level, log_sitename, msg,
	    err != NULL ? ": " : "", err != NULL ? err : "");
}

/* Warning with the current errno text appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(4, "warn", strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(4, "warn", NULL, fmt, ap);
	va_end(ap);
}

/* Normal event. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(6, "info", NULL, fmt, ap);
	va_end(ap);
}

/* Detail, only with -d. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vwrite(7, "debug", NULL, fmt, ap);
	va_end(ap);
}

/* Broken invariant or start-up failure, with errno: exit. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(2, "fatal", saved != 0 ? strerror(saved) : NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Broken invariant or start-up failure: exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(2, "fatal", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
