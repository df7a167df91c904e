/*
 * Abuse protection for the SIP listeners, like fail2ban inside the daemon:
 * a token bucket of requests per source address, a count of failed
 * authentications per source address, and temporary bans when either is
 * exceeded.  A banned address's datagrams are dropped before parsing and
 * its TCP/TLS connections refused.  Requests from known scanners (by
 * User-Agent) are dropped silently.  Limits come from the security:
 * section of the config (struct security_cfg), read on every decision so
 * that a reload applies at once.
 *
 * Log lines an external fail2ban can match:
 *   sip ban src=1.2.3.4 reason=rate|auth-failures|scanner until=...
 *   sip unban src=1.2.3.4 reason=... dropped=N
 */
#ifndef SIP_GUARD_H
#define SIP_GUARD_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json;
struct security_cfg;
struct sip_peer;

/* Sources tracked at most; the least recently seen is forgotten first. */
#define SIP_GUARD_MAX_SOURCES	65536

enum sip_guard_verdict {
	SIP_GUARD_PASS,		/* handle the message */
	SIP_GUARD_BANNED,	/* drop: the source is (now) banned */
	SIP_GUARD_SCANNER	/* drop: a scanner's User-Agent */
};

/* Start (base may be NULL in tests: then call sip_guard_sweep()). */
void	sip_guard_init(struct event_base *);
/* Forget every source and ban. */
void	sip_guard_shutdown(void);
/* The config was reloaded (its exempt networks may differ). */
void	sip_guard_reload(void);
/*
 * Judge one received message from ss before it is parsed: buf is the raw
 * message (a response never costs a token).
 */
enum sip_guard_verdict sip_guard_message(const struct sockaddr_storage *,
	    const char *buf, size_t len);
/* May a stream connection from ss be accepted?  0 yes, -1 banned. */
int	sip_guard_accept(const struct sockaddr_storage *);
/*
 * A request from peer failed authentication (wrong password, unknown
 * user, replay: the 403 after a challenge; a challenge itself is not a
 * failure, every phone gets one first).
 */
void	sip_guard_auth_failed(const struct sip_peer *);
/* Is the address of ss banned right now? */
int	sip_guard_is_banned(const struct sockaddr_storage *);
/*
 * Write the member "security" (limits, counters, current bans) into the
 * JSON object being built, for roamctl status.
 */
void	sip_guard_json(struct json *);
/* Does a raw message carry a User-Agent containing one of the texts? */
int	sip_guard_is_scanner(const struct security_cfg *, const char *buf,
	    size_t len);

/* Counters. */
size_t	 sip_guard_banned(void);	/* bans in force */
size_t	 sip_guard_tracked(void);	/* sources remembered */
uint64_t sip_guard_bans_total(void);
uint64_t sip_guard_dropped(void);	/* messages dropped, any reason */

/* For tests: a millisecond clock, other limits, a lower memory cap. */
void	sip_guard_set_clock(uint64_t (*)(void));
void	sip_guard_set_limits(const struct security_cfg *);
void	sip_guard_set_cap(size_t);
/* Lift the bans that ran out and forget idle sources (timer callback). */
void	sip_guard_sweep(void);

#endif
