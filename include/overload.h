/*
 * Overload protection (issue 7): when roamd falls behind, or the admin's
 * call admission limit is reached, new out-of-dialog work is refused at
 * once with a stateless 503 Service Unavailable and Retry-After, before
 * authentication and before any transaction or call exists, so that the
 * calls already accepted keep their full speed.
 *
 * Two triggers, both from security.overload in the config:
 *   delay_ms       the UDP transport reports how long each datagram
 *                  waited in the kernel queue; above delay_ms for
 *                  100 ms on end roamd is behind, below a quarter of
 *                  it (or once no datagram came for a second) it has
 *                  caught up;
 *   max_call_rate  a token bucket of new calls per second (one second
 *                  deep), what commercial PBXs call call admission
 *                  control.
 *
 * Log lines (one per episode, never one per refusal):
 *   overload start site=london reason=delay|rate ...
 *   overload end site=london reason=... refused=N duration_ms=...
 */
#ifndef OVERLOAD_H
#define OVERLOAD_H

#include <stdint.h>

struct event_base;
struct json;
struct overload_cfg;
struct sip_msg;
struct sip_peer;

enum overload_verdict {
	OVERLOAD_ADMIT,		/* handle it */
	OVERLOAD_REFUSE_DELAY,	/* 503: roamd is behind */
	OVERLOAD_REFUSE_RATE	/* 503: over max_call_rate */
};

/* Start the once-a-second check that closes quiet episodes (base NULL ok). */
void	overload_init(struct event_base *);
void	overload_shutdown(void);
/*
 * One received datagram waited delay_us microseconds in the kernel's
 * receive queue.  Cheap: a compare, unless the state changes.
 */
void	overload_sample(int64_t delay_us);
/*
 * Would a new request (no server transaction matched it) be refused?
 * Counts the refusal and spends a token of the bucket when admitted.
 */
enum overload_verdict overload_admit(const struct sip_msg *,
	    const struct sip_peer *);
/*
 * The transaction layer's hook: when overload_admit() refuses m, answer
 * it with 503 and Retry-After (not an ACK) and return 1; else 0.
 */
int	overload_refuse(const struct sip_msg *, const struct sip_peer *);

/*
 * Write the member "overload" (limits, state, counters) into the JSON
 * object being built (roamctl status, inside "security").
 */
void	overload_json(struct json *);
/* State and counters for /metrics. */
int	 overload_active(void);		/* 1 while an episode lasts */
uint64_t overload_refused_total(void);
uint64_t overload_episodes_total(void);

/* For tests: a millisecond clock, limits instead of env->conf's, reset. */
void	overload_set_clock(uint64_t (*)(void));
void	overload_set_limits(const struct overload_cfg *);
void	overload_reset(void);
/* End an episode that went quiet (the timer's callback). */
void	overload_tick(void);
/* The loop stood still this long (a reload): do not count its backlog. */
void	overload_stalled(uint64_t stall_ms);

#endif
