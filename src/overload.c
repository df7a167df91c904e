/*
 * Overload protection (issue 7): refuse new work cheaply, so that the
 * calls already accepted finish at full speed.
 *
 * Why queueing delay: a proxy that falls behind first shows it in its
 * UDP receive queue.  Without protection the queue fills, the kernel
 * drops datagrams, phones retransmit, and the retransmissions are more
 * work again: the collapse of a stateful proxy just past its knee.  How
 * long the datagram being read waited in that queue (its kernel receive
 * time, SO_TIMESTAMPNS, against now) says "behind" directly, whatever
 * the cause (CPU, a slow disk under the SQLite commit, a noisy
 * neighbour), and costs one compare per datagram.  Above delay_ms (for
 * 100 ms on end, see overload_sample) we refuse; below a quarter of it
 * we accept again.  The gap is the hysteresis: a 503 costs a few
 * microseconds, so refusing drains the queue fast, and accepting again
 * at once would flap on every datagram.
 *
 * The admin's max_call_rate is the deterministic limit (call admission
 * control): a token bucket refilled at that rate and one second deep.
 *
 * What is refused: only new out-of-dialog requests that did not match a
 * transaction (retransmissions are absorbed before we are asked).  Never
 * refused: ACK, CANCEL, BYE, anything in a dialog (To tag), requests
 * carrying credentials (the second half of a call admitted when it was
 * challenged; forged credentials end in the guard's auth-failure ban),
 * requests from a peer site's sip address (the peer link), and INVITEs
 * for the site's emergency codes (D3).  In delay overload every other
 * new request (INVITE, REGISTER, SUBSCRIBE, OPTIONS, MESSAGE, ...) is
 * refused; max_call_rate counts INVITEs only, a carrier's DDI call too.
 */
#include <event2/event.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "config.h"
#include "dialplan.h"
#include "json.h"
#include "log.h"
#include "overload.h"
#include "roamd.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"

#define OVERLOAD_QUIET_MS	1000	/* an episode ends after this calm */
#define OVERLOAD_STANDING_MS	100	/* waits over the limit this long */
#define OVERLOAD_FORGIVE_MAX_MS	10000	/* longest stall forgiven */
#define OVERLOAD_CLOCK_SKEW_US	(10 * 1000000LL) /* longer: not a wait */

/* The episode in progress, and what ended the last one. */
struct overload_state {
	int		 delayed;	/* the queue is behind */
	int		 active;	/* an episode was logged as started */
	enum overload_verdict reason;	/* what started it */
	uint64_t	 start;		/* ms */
	uint64_t	 last_sample;	/* ms, last delay sample */
	uint64_t	 above_since;	/* ms, first of the waits over limit */
	uint64_t	 last_refusal;	/* ms, or the start of the episode */
	uint64_t	 refused;	/* in this episode */
	int64_t		 max_delay_us;	/* in this episode */
	double		 tokens;
	uint64_t	 refill;	/* ms of the last refill */
	uint64_t	 forgive_until;	/* ms: a stall of our own drains */
};

static struct overload_state	 ovl;
static uint64_t			 ovl_refused_total, ovl_episodes;
static struct event		*ovl_timer;
static uint64_t			(*ovl_clock)(void);
static const struct overload_cfg *ovl_limits;
static char			 ovl_tag[24];

static void	ovl_update(uint64_t);

/* Milliseconds of the monotonic clock, or the test's. */
static uint64_t
ovl_now(void)
{
	struct timespec	 ts;

	if (ovl_clock != NULL)
		return (ovl_clock());
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* The limits in force: a test's, else the running config's (or none). */
static const struct overload_cfg *
ovl_cfg(void)
{
	if (ovl_limits != NULL)
		return (ovl_limits);
	if (env != NULL && env->conf != NULL)
		return (&env->conf->overload);
	return (NULL);
}

static const char *
ovl_reason_name(enum overload_verdict v)
{
	return (v == OVERLOAD_REFUSE_RATE ? "rate" : "delay");
}

/* Once a second: close an episode that went quiet. */
static void
ovl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 1, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	overload_tick();
	if (ovl.active)
		evtimer_add(ovl_timer, &tv);
}

/* Make the timer, and the To tag of our 503s. */
void
overload_init(struct event_base *base)
{
	if (base != NULL && ovl_timer == NULL)
		ovl_timer = evtimer_new(base, ovl_timer_cb, NULL);
	if (ovl_tag[0] == '\0')
		sip_random_token(ovl_tag, sizeof(ovl_tag));
}

void
overload_shutdown(void)
{
	/* Close the episode in the log, so that every start has an end. */
	if (ovl.active) {
		ovl.delayed = 0;
		ovl.last_refusal = 0;
		ovl_update(ovl_now());
	}
	if (ovl_timer != NULL)
		event_free(ovl_timer);
	ovl_timer = NULL;
}

/* Log the start of an episode and arm the timer that will end it. */
static void
ovl_start(uint64_t now, enum overload_verdict why, const char *callid)
{
	const struct overload_cfg	*cfg = ovl_cfg();
	struct timeval			 tv = { 1, 0 };

	ovl.active = 1;
	ovl.reason = why;
	ovl.start = now;
	ovl.refused = 0;
	ovl.last_refusal = now;
	ovl_episodes++;
	log_info("overload start reason=%s delay_ms=%" PRId64 " limit_ms=%d "
	    "max_call_rate=%d call=%s", ovl_reason_name(why),
	    ovl.max_delay_us / 1000, cfg != NULL ? cfg->delay_ms : 0,
	    cfg != NULL ? cfg->max_call_rate : 0,
	    callid != NULL ? callid : "-");
	if (ovl_timer != NULL && !evtimer_pending(ovl_timer, NULL))
		evtimer_add(ovl_timer, &tv);
}

/* End the episode when neither trigger holds any more. */
static void
ovl_update(uint64_t now)
{
	if (!ovl.active || ovl.delayed ||
	    now - ovl.last_refusal < OVERLOAD_QUIET_MS)
		return;
	log_info("overload end reason=%s refused=%" PRIu64 " duration_ms=%"
	    PRIu64 " max_delay_ms=%" PRId64, ovl_reason_name(ovl.reason),
	    ovl.refused, now - ovl.start, ovl.max_delay_us / 1000);
	ovl.active = 0;
	ovl.max_delay_us = 0;
}

/* Behind: track the worst wait, and leave below a quarter of the limit. */
static void
ovl_sample_behind(int64_t delay_us, int64_t limit)
{
	ovl.last_sample = ovl_now();
	if (delay_us > ovl.max_delay_us)
		ovl.max_delay_us = delay_us;
	if (limit == 0 || delay_us < limit / 4) {
		ovl.delayed = 0;
		ovl.above_since = 0;
		ovl_update(ovl.last_sample);
	}
}

/*
 * A datagram waited delay_us in the kernel: enter or leave "behind".
 * Entering takes waits over the limit for OVERLOAD_STANDING_MS on end
 * (CoDel's idea, RFC 8289: a standing queue, not a burst): a loop that
 * stalled once (a slow disk commit, the scheduler) catches up by itself
 * within that time, and refusing calls for it would turn a hiccup into
 * failed calls.  Inside an episode (the last refusal less than a second
 * ago) the first wait over the limit is enough, so that under sustained
 * overload the queue is held between a quarter of the limit and the
 * limit and only the onset costs more.
 */
void
overload_sample(int64_t delay_us)
{
	const struct overload_cfg	*cfg;
	int64_t				 limit;
	uint64_t			 now;

	if ((cfg = ovl_cfg()) == NULL)
		return;
	/*
	 * The kernel stamps with the real clock and we read ours: a wait
	 * below zero or past OVERLOAD_CLOCK_SKEW_US is the two clocks
	 * disagreeing (a clock stepped by NTP or the admin, a process run
	 * under faketime), not a queue.  Such a sample says nothing.
	 */
	if (delay_us < 0 || delay_us > OVERLOAD_CLOCK_SKEW_US)
		return;
	limit = (int64_t)cfg->delay_ms * 1000;
	if (ovl.forgive_until != 0 && !ovl.delayed) {
		if (ovl_now() < ovl.forgive_until)
			return;
		ovl.forgive_until = 0;
	}
	if (ovl.delayed) {
		ovl_sample_behind(delay_us, limit);
		return;
	}
	if (limit == 0 || delay_us <= limit) {
		if (ovl.above_since != 0 && !ovl.active)
			ovl.max_delay_us = 0;
		ovl.above_since = 0;
		return;
	}
	now = ovl_now();
	if (ovl.above_since == 0)
		ovl.above_since = now;
	if (delay_us > ovl.max_delay_us)
		ovl.max_delay_us = delay_us;
	if (!ovl.active && now - ovl.above_since < OVERLOAD_STANDING_MS)
		return;
	ovl.delayed = 1;
	ovl.last_sample = now;
	if (!ovl.active)
		ovl_start(now, OVERLOAD_REFUSE_DELAY, NULL);
}

/*
 * The loop itself stood still for stall_ms (a reload of a large config):
 * the datagrams queued meanwhile waited for that, not for an overload.
 * Their waits do not count while the backlog drains, which cannot take
 * longer than it took to build; a real overload shows again after that.
 */
void
overload_stalled(uint64_t stall_ms)
{
	if (stall_ms > OVERLOAD_FORGIVE_MAX_MS)
		stall_ms = OVERLOAD_FORGIVE_MAX_MS;
	ovl.forgive_until = ovl_now() + stall_ms;
	ovl.above_since = 0;
}

/* Close an episode that went quiet: no datagram waits, no refusals. */
void
overload_tick(void)
{
	uint64_t	 now = ovl_now();

	/* No datagram for a while: the queue has drained. */
	if (ovl.delayed && now - ovl.last_sample >= OVERLOAD_QUIET_MS) {
		ovl.delayed = 0;
		ovl.above_since = 0;
	}
	ovl_update(now);
}

/* Take a token from the max_call_rate bucket; 0 taken, -1 empty. */
static int
ovl_bucket_take(const struct overload_cfg *cfg, uint64_t now)
{
	double	 depth = cfg->max_call_rate;

	if (ovl.refill == 0)
		ovl.tokens = depth;
	else if (now > ovl.refill)
		ovl.tokens += (double)(now - ovl.refill) *
		    cfg->max_call_rate / 1000.0;
	ovl.refill = now;
	if (ovl.tokens > depth)
		ovl.tokens = depth;
	if (ovl.tokens < 1.0)
		return (-1);
	ovl.tokens -= 1.0;
	return (0);
}

/* D3: an emergency call is never refused. */
static int
ovl_is_emergency(const struct sip_msg *m)
{
	const char	*user = sip_msg_ruri_user(m);
	struct dp_match	 dm;

	if (user == NULL || env == NULL || env->conf == NULL)
		return (0);
	return (dialplan_emergency(user, &env->conf->short_codes, &dm));
}

/* Work that is never refused (see the top of the file). */
static int
ovl_exempt(const struct sip_msg *m, const struct sip_peer *src,
    int invite)
{
	const char	*method = sip_msg_method(m);

	if (method == NULL || strcmp(method, "ACK") == 0 ||
	    strcmp(method, "CANCEL") == 0 || strcmp(method, "BYE") == 0)
		return (1);
	if (sip_msg_to_tag(m) != NULL)
		return (1);
	if (sip_msg_has_header(m, "Proxy-Authorization") ||
	    sip_msg_has_header(m, "Authorization"))
		return (1);
	if (call_site_by_addr(src) != NULL)
		return (1);
	return (invite && ovl_is_emergency(m));
}

/* Count a refusal, starting an episode if none is running. */
static enum overload_verdict
ovl_refused(enum overload_verdict why, const struct sip_msg *m,
    uint64_t now)
{
	if (!ovl.active)
		ovl_start(now, why, sip_msg_callid(m));
	ovl.last_refusal = now;
	ovl.refused++;
	ovl_refused_total++;
	return (why);
}

/* Admit or refuse a new request. */
enum overload_verdict
overload_admit(const struct sip_msg *m, const struct sip_peer *src)
{
	const struct overload_cfg	*cfg = ovl_cfg();
	const char			*method;
	uint64_t			 now;
	int				 invite;

	/* The common case costs two compares. */
	if (cfg == NULL || (!ovl.delayed && cfg->max_call_rate == 0 &&
	    !ovl.active))
		return (OVERLOAD_ADMIT);
	method = sip_msg_method(m);
	invite = method != NULL && strcmp(method, "INVITE") == 0;
	if (ovl_exempt(m, src, invite))
		return (OVERLOAD_ADMIT);
	now = ovl_now();
	ovl_update(now);
	if (ovl.delayed)
		return (ovl_refused(OVERLOAD_REFUSE_DELAY, m, now));
	if (invite && cfg->max_call_rate > 0 &&
	    ovl_bucket_take(cfg, now) == -1)
		return (ovl_refused(OVERLOAD_REFUSE_RATE, m, now));
	return (OVERLOAD_ADMIT);
}

/* Answer a refused request: 503 with Retry-After, no state kept. */
static void
ovl_answer(const struct sip_msg *m, const struct sip_peer *src)
{
	const struct overload_cfg	*cfg = ovl_cfg();
	struct sip_msg			*resp;
	char				 secs[16];

	if ((resp = sip_msg_response(m,
	    sip_answer_code(ANS_SERVICE_UNAVAILABLE),
	    sip_answer_reason(ANS_SERVICE_UNAVAILABLE), ovl_tag)) == NULL)
		return;
	snprintf(secs, sizeof(secs), "%d", cfg != NULL ? cfg->retry_after : 5);
	sip_msg_add_header(resp, "Retry-After", secs);
	sip_transport_send_msg(src, resp);
	sip_msg_free(resp);
}

/* The transaction layer's hook for a request no transaction matched. */
int
overload_refuse(const struct sip_msg *m, const struct sip_peer *src)
{
	if (overload_admit(m, src) == OVERLOAD_ADMIT)
		return (0);
	ovl_answer(m, src);
	return (1);
}

/* "overload": { limits, state, counters } for roamctl status. */
void
overload_json(struct json *j)
{
	const struct overload_cfg	*cfg = ovl_cfg();

	json_obj_begin(j, "overload");
	json_int(j, "max_call_rate", cfg != NULL ? cfg->max_call_rate : 0);
	json_int(j, "delay_ms", cfg != NULL ? cfg->delay_ms : 0);
	json_int(j, "retry_after_s", cfg != NULL ? cfg->retry_after : 0);
	json_bool(j, "active", ovl.active);
	json_int(j, "refused_total", (long long)ovl_refused_total);
	json_int(j, "episodes_total", (long long)ovl_episodes);
	json_obj_end(j);
}

int
overload_active(void)
{
	return (ovl.active);
}

uint64_t
overload_refused_total(void)
{
	return (ovl_refused_total);
}

uint64_t
overload_episodes_total(void)
{
	return (ovl_episodes);
}

void
overload_set_clock(uint64_t (*fn)(void))
{
	ovl_clock = fn;
}

void
overload_set_limits(const struct overload_cfg *cfg)
{
	ovl_limits = cfg;
}

/* Forget the state and the counters (tests). */
void
overload_reset(void)
{
	memset(&ovl, 0, sizeof(ovl));
	ovl_refused_total = 0;
	ovl_episodes = 0;
}
