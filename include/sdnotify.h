/*
 * The systemd notification protocol (sd_notify(3)), spoken directly: one
 * datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET.  No libsystemd: the protocol is a stable interface and
 * a dependency for four lines of text is not worth it.  Without
 * $NOTIFY_SOCKET (not under systemd, or Type=simple) every call is a
 * no-op that succeeds.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdint.h>

struct event_base;

/*
 * Start the watchdog: when $WATCHDOG_USEC is set (and $WATCHDOG_PID, if
 * set, is ours) send WATCHDOG=1 from a base timer every half interval, so
 * a wedged event loop is restarted by systemd.  0, or -1 when the
 * variables are malformed (logged; no watchdog then).
 */
int	sdnotify_init(struct event_base *);
/* Stop the watchdog timer and close the socket. */
void	sdnotify_shutdown(void);

/*
 * Send one state text ("READY=1", "STATUS=...\nKEY=..."): 1 sent, 0 no
 * $NOTIFY_SOCKET, -1 failed (logged).
 */
int	sdnotify_send(const char *state);
/* READY=1 after start-up and after a reload. */
int	sdnotify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC at SIGHUP, before re-reading. */
int	sdnotify_reloading(void);
/* STOPPING=1 at SIGTERM. */
int	sdnotify_stopping(void);
/* STATUS=text: one line systemctl status shows. */
int	sdnotify_status(const char *text);
/* The watchdog interval in microseconds (0 when off), for tests. */
uint64_t sdnotify_watchdog_usec(void);

#endif
