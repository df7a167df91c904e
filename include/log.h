/*
 * Logging: one line per event, key=value after a short phrase, so that an
 * admin can grep a hot desker through the logs of several sites.  Lines go
 * to stderr; under systemd (JOURNAL_STREAM set) they carry the "<N>"
 * priority prefix journald understands, otherwise a timestamp.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_ATTR(a, b)	__attribute__((__format__(__printf__, a, b)))

void	log_init(int debug, const char *site);
void	log_setsite(const char *site);
const char *log_site(void);
int	log_getdebug(void);
void	log_warn(const char *, ...) LOG_ATTR(1, 2);
void	log_warnx(const char *, ...) LOG_ATTR(1, 2);
void	log_info(const char *, ...) LOG_ATTR(1, 2);
void	log_debug(const char *, ...) LOG_ATTR(1, 2);
void	fatal(const char *, ...) LOG_ATTR(1, 2) __attribute__((__noreturn__));
void	fatalx(const char *, ...) LOG_ATTR(1, 2) __attribute__((__noreturn__));

#endif
