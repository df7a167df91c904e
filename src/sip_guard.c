/*
 * Per-source rate limits, failed-authentication counts and temporary bans
 * for the SIP listeners.
 *
 * A PBX on a public address is scanned within minutes: sipvicious and its
 * friends send OPTIONS to find it, REGISTER by the thousand to find
 * extensions and passwords, then INVITEs to a carrier.  Everything here is
 * keyed by the source IP address only (not the port: a scanner changes
 * ports freely, a NAT shares one address between honest phones, which is
 * why the default limits are generous).
 *
 * Each source has a token bucket (security.sip_rate per second, depth
 * security.sip_burst) kept in thousandths of a token so that integer
 * arithmetic refills it smoothly, and a count of failed authentications
 * forgotten after ban_time without a failure.  An empty bucket, too many
 * failures or a scanner's User-Agent ban the address for ban_time.  A ban
 * is checked before anything else, so a banned flood costs one hash lookup
 * per datagram.
 *
 * Memory is bounded: at most SIP_GUARD_MAX_SOURCES sources are remembered.
 * Sources live on one of two lists: the unbanned ones ordered by last
 * activity (the least recent is forgotten first when the cap is reached,
 * and once idle for ban_time), and the banned ones in ban order.  A
 * spoofed-source flood can therefore push out old bans, but never grow
 * the daemon.  The sweep timer runs only while a ban is in force.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "hmap.h"
#include "json.h"
#include "log.h"
#include "overload.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_transport.h"
#include "xmalloc.h"

#define GUARD_MILLI		1000	/* one token, in bucket units */
#define GUARD_MIN_IDLE_MS	60000	/* least time a source is kept */
#define GUARD_JSON_BANS		100	/* listed by status */
#define GUARD_SWEEP_MS		500

enum guard_reason {
	GUARD_RATE,
	GUARD_AUTH,
	GUARD_SCANNER
};

struct guard_src {
	TAILQ_ENTRY(guard_src)	 entry;	/* idle or bans list */
	char			 key[INET6_ADDRSTRLEN];
	struct sockaddr_storage	 ss;
	uint64_t		 tokens;	/* 1/1000 requests */
	uint64_t		 refilled;	/* ms, last refill */
	uint64_t		 seen;		/* ms, last message */
	uint64_t		 failed_at;	/* ms, last failure */
	unsigned int		 failures;
	uint64_t		 until;		/* ms; 0: no ban */
	time_t			 until_wall;
	enum guard_reason	 reason;
	uint64_t		 dropped;	/* while banned */
	uint64_t		 exempt_gen;	/* guard_gen exempt is for */
	int			 exempt;
};

TAILQ_HEAD(guard_list, guard_src);

static struct hmap		*guard_srcs;
static struct guard_list	 guard_idle =
				    TAILQ_HEAD_INITIALIZER(guard_idle);
static struct guard_list	 guard_bans =
				    TAILQ_HEAD_INITIALIZER(guard_bans);
static size_t			 guard_nbans;
static size_t			 guard_cap = SIP_GUARD_MAX_SOURCES;
static struct event		*guard_timer;
static uint64_t			(*guard_clock)(void);
static const struct security_cfg *guard_limits;
/*
 * The limits' version, bumped whenever they may have changed (a reload,
 * a test's limits): a source's exemption is worked out again then.  Not
 * the limits' address: a reload frees the replaced config later, and a
 * new one may be allocated where it was.  0 is never current, so a new
 * source (exempt_gen 0) is always judged.
 */
static uint64_t			 guard_gen = 1;

static uint64_t	 guard_stat_bans, guard_stat_dropped, guard_stat_scanner;
static uint64_t	 guard_stat_auth_failed, guard_stat_evicted;

/* Built-in limits when there is no config (the defaults of config.c). */
static char *guard_def_scanners[] = {
	"friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent",
	"sundayddr", "iWar", "sip-scan"
};
static struct cfg_net guard_def_exempt[] = {
	{ AF_INET, { 127 }, 8 },
	{ AF_INET6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128 }
};
static const struct security_cfg guard_defaults = {
	200, 400, 20, 600, guard_def_scanners,
	sizeof(guard_def_scanners) / sizeof(guard_def_scanners[0]),
	guard_def_exempt, sizeof(guard_def_exempt) / sizeof(guard_def_exempt[0])
};

static void	guard_timer_cb(evutil_socket_t, short, void *);

/* Milliseconds of the monotonic clock. */
static uint64_t
guard_clock_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Now, by the clock in use. */
static uint64_t
guard_now(void)
{
	return (guard_clock != NULL ? guard_clock() : guard_clock_mono());
}

/* The limits in force: a test's, the running config's, or built-in. */
static const struct security_cfg *
guard_cfg(void)
{
	if (guard_limits != NULL)
		return (guard_limits);
	if (env != NULL && env->conf != NULL)
		return (&env->conf->security);
	return (&guard_defaults);
}

/* Name of a ban reason, as in the log lines. */
static const char *
guard_reason_name(enum guard_reason r)
{
	switch (r) {
	case GUARD_RATE:
		return ("rate");
	case GUARD_AUTH:
		return ("auth-failures");
	case GUARD_SCANNER:
		return ("scanner");
	}
	return ("?");
}

/* Start the guard; the sweep timer lives on base (NULL: none). */
void
sip_guard_init(struct event_base *base)
{
	if (guard_srcs == NULL)
		guard_srcs = hmap_new();
	if (base != NULL && guard_timer == NULL)
		guard_timer = evtimer_new(base, guard_timer_cb, NULL);
}

/* Forget every source. */
void
sip_guard_shutdown(void)
{
	struct guard_src	*s;

	while ((s = TAILQ_FIRST(&guard_idle)) != NULL) {
		TAILQ_REMOVE(&guard_idle, s, entry);
		free(s);
	}
	while ((s = TAILQ_FIRST(&guard_bans)) != NULL) {
		TAILQ_REMOVE(&guard_bans, s, entry);
		free(s);
	}
	guard_nbans = 0;
	hmap_free(guard_srcs, NULL);
	guard_srcs = NULL;
	if (guard_timer != NULL)
		event_free(guard_timer);
	guard_timer = NULL;
	guard_stat_bans = guard_stat_dropped = guard_stat_scanner = 0;
	guard_stat_auth_failed = guard_stat_evicted = 0;
}

/* The address of ss as text (the key); -1 for another family. */
static int
guard_key(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		return (-1);
	return (inet_ntop(ss->ss_family, a, buf, len) == NULL ? -1 : 0);
}

/* Is the address of ss inside network n? */
static int
guard_net_match(const struct cfg_net *n, const struct sockaddr_storage *ss)
{
	const unsigned char	*a;
	int			 bytes = n->prefix / 8, bits = n->prefix % 8;
	unsigned char		 mask;

	if (n->family != ss->ss_family)
		return (0);
	if (ss->ss_family == AF_INET)
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = (const unsigned char *)
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (memcmp(a, n->addr, bytes) != 0)
		return (0);
	if (bits == 0)
		return (1);
	mask = (unsigned char)(0xff << (8 - bits));
	return ((a[bytes] & mask) == (n->addr[bytes] & mask));
}

/* Is s exempt from bans under cfg?  Cached until the limits change. */
static int
guard_exempt(struct guard_src *s, const struct security_cfg *cfg)
{
	size_t	 i;

	if (s->exempt_gen == guard_gen)
		return (s->exempt);
	s->exempt_gen = guard_gen;
	s->exempt = 0;
	for (i = 0; i < cfg->nexempt; i++) {
		if (guard_net_match(&cfg->exempt[i], &s->ss)) {
			s->exempt = 1;
			break;
		}
	}
	return (s->exempt);
}

/* How long an unbanned source is remembered after its last message. */
static uint64_t
guard_idle_ms(const struct security_cfg *cfg)
{
	uint64_t	 ms = (uint64_t)cfg->ban_time * 1000;

	return (ms < GUARD_MIN_IDLE_MS ? GUARD_MIN_IDLE_MS : ms);
}

/* Forget one source. */
static void
guard_forget(struct guard_src *s)
{
	if (s->until != 0) {
		TAILQ_REMOVE(&guard_bans, s, entry);
		guard_nbans--;
	} else
		TAILQ_REMOVE(&guard_idle, s, entry);
	hmap_del(guard_srcs, s->key);
	free(s);
}

/* Make room for one more source: the idle first, then the oldest ban. */
static void
guard_evict(void)
{
	struct guard_src	*s;

	if ((s = TAILQ_FIRST(&guard_idle)) == NULL &&
	    (s = TAILQ_FIRST(&guard_bans)) == NULL)
		return;
	if (s->until != 0)
		log_warnx("sip guard forgets ban src=%s: more than %zu "
		    "sources", s->key, guard_cap);
	guard_stat_evicted++;
	guard_forget(s);
}

/* The source of key, created (with a full bucket) when new. */
static struct guard_src *
guard_get(const char *key, const struct sockaddr_storage *ss,
    const struct security_cfg *cfg, uint64_t now)
{
	struct guard_src	*s;

	if ((s = hmap_get(guard_srcs, key)) != NULL) {
		s->seen = now;
		if (s->until == 0) {
			TAILQ_REMOVE(&guard_idle, s, entry);
			TAILQ_INSERT_TAIL(&guard_idle, s, entry);
		}
		return (s);
	}
	while (hmap_count(guard_srcs) >= guard_cap && guard_cap > 0)
		guard_evict();
	s = xcalloc(1, sizeof(*s));
	xstrlcpy(s->key, key, sizeof(s->key));
	memcpy(&s->ss, ss, sizeof(s->ss));
	s->tokens = (uint64_t)cfg->sip_burst * GUARD_MILLI;
	s->refilled = s->seen = now;
	hmap_put(guard_srcs, s->key, s);
	TAILQ_INSERT_TAIL(&guard_idle, s, entry);
	return (s);
}

/* Arm the sweep timer while bans are in force. */
static void
guard_timer_arm(void)
{
	struct timeval	 tv = { 0, GUARD_SWEEP_MS * 1000 };

	if (guard_timer != NULL && guard_nbans > 0 &&
	    !evtimer_pending(guard_timer, NULL))
		evtimer_add(guard_timer, &tv);
}

/* Ban s for ban_time; the log line is the one fail2ban matches. */
static void
guard_ban(struct guard_src *s, enum guard_reason why,
    const struct security_cfg *cfg, uint64_t now)
{
	struct tm	 tm;
	char		 until[32];

	TAILQ_REMOVE(&guard_idle, s, entry);
	s->until = now + (uint64_t)cfg->ban_time * 1000;
	s->until_wall = time(NULL) + cfg->ban_time;
	s->reason = why;
	s->dropped = 0;
	TAILQ_INSERT_TAIL(&guard_bans, s, entry);
	guard_nbans++;
	guard_stat_bans++;
	gmtime_r(&s->until_wall, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_warnx("sip ban src=%s reason=%s until=%s ban_time=%ds", s->key,
	    guard_reason_name(why), until, cfg->ban_time);
	guard_timer_arm();
}

/* Lift the ban of s: a clean slate. */
static void
guard_unban(struct guard_src *s, const struct security_cfg *cfg,
    uint64_t now)
{
	TAILQ_REMOVE(&guard_bans, s, entry);
	guard_nbans--;
	log_info("sip unban src=%s reason=%s dropped=%" PRIu64, s->key,
	    guard_reason_name(s->reason), s->dropped);
	s->until = 0;
	s->failures = 0;
	s->tokens = (uint64_t)cfg->sip_burst * GUARD_MILLI;
	s->refilled = s->seen = now;
	TAILQ_INSERT_TAIL(&guard_idle, s, entry);
}

/* Is s banned at now?  An expired ban is lifted on the way. */
static int
guard_banned_now(struct guard_src *s, const struct security_cfg *cfg,
    uint64_t now)
{
	if (s->until == 0)
		return (0);
	if (now < s->until)
		return (1);
	guard_unban(s, cfg, now);
	return (0);
}

/* Take one request's token from s; 0, or -1 when the bucket is empty. */
static int
guard_take(struct guard_src *s, const struct security_cfg *cfg,
    uint64_t now)
{
	uint64_t	 max = (uint64_t)cfg->sip_burst * GUARD_MILLI;

	/* rate tokens/s = rate thousandths per ms. */
	if (now > s->refilled) {
		s->tokens += (now - s->refilled) * (uint64_t)cfg->sip_rate;
		s->refilled = now;
	}
	if (s->tokens > max)
		s->tokens = max;
	if (s->tokens < GUARD_MILLI)
		return (-1);
	s->tokens -= GUARD_MILLI;
	return (0);
}

/* Is buf a response ("SIP/2.0 200 OK")?  Responses cost no token. */
static int
guard_is_response(const char *buf, size_t len)
{
	return (len >= 8 && strncasecmp(buf, "SIP/2.0 ", 8) == 0);
}

/* Does the text [v, v + vlen) contain pat, in any case? */
static int
guard_contains(const char *v, size_t vlen, const char *pat)
{
	size_t	 plen = strlen(pat), i;

	if (plen == 0 || plen > vlen)
		return (0);
	for (i = 0; i + plen <= vlen; i++) {
		if (strncasecmp(v + i, pat, plen) == 0)
			return (1);
	}
	return (0);
}

/*
 * The value of the User-Agent header of a raw message, found without
 * parsing: header lines up to the blank line.  NULL when there is none.
 */
static const char *
guard_user_agent(const char *buf, size_t len, size_t *vlen)
{
	const char	*p = buf, *end = buf + len, *eol, *v;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			return (NULL);		/* end of the headers */
		if (eol - p < 11 || strncasecmp(p, "User-Agent", 10) != 0)
			continue;
		for (v = p + 10; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		if (v >= eol || *v != ':')
			continue;
		for (v++; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		*vlen = eol - v;
		if (*vlen > 0 && v[*vlen - 1] == '\r')
			(*vlen)--;
		return (v);
	}
	return (NULL);
}

/* Does a raw message carry a scanner's User-Agent? */
int
sip_guard_is_scanner(const struct security_cfg *cfg, const char *buf,
    size_t len)
{
	const char	*v;
	size_t		 vlen, i;

	if (cfg->nscanner_user_agents == 0 ||
	    (v = guard_user_agent(buf, len, &vlen)) == NULL)
		return (0);
	for (i = 0; i < cfg->nscanner_user_agents; i++) {
		if (guard_contains(v, vlen, cfg->scanner_user_agents[i]))
			return (1);
	}
	return (0);
}

/* Judge one received message before it is parsed. */
enum sip_guard_verdict
sip_guard_message(const struct sockaddr_storage *ss, const char *buf,
    size_t len)
{
	const struct security_cfg	*cfg = guard_cfg();
	struct guard_src		*s;
	char				 key[INET6_ADDRSTRLEN];
	uint64_t			 now;

	if (guard_srcs == NULL || guard_key(ss, key, sizeof(key)) == -1)
		return (SIP_GUARD_PASS);
	now = guard_now();
	s = hmap_get(guard_srcs, key);
	if (s != NULL && guard_banned_now(s, cfg, now)) {
		s->dropped++;
		guard_stat_dropped++;
		return (SIP_GUARD_BANNED);
	}
	if (guard_is_response(buf, len))
		return (SIP_GUARD_PASS);
	s = guard_get(key, ss, cfg, now);
	if (guard_exempt(s, cfg)) {
		if (!sip_guard_is_scanner(cfg, buf, len))
			return (SIP_GUARD_PASS);
		guard_stat_scanner++;
		guard_stat_dropped++;
		return (SIP_GUARD_SCANNER);
	}
	if (cfg->sip_rate > 0 && guard_take(s, cfg, now) == -1) {
		guard_stat_dropped++;
		guard_ban(s, GUARD_RATE, cfg, now);
		return (SIP_GUARD_BANNED);
	}
	if (sip_guard_is_scanner(cfg, buf, len)) {
		/* Silence: a scanner learns nothing, not even a 403. */
		guard_stat_scanner++;
		guard_stat_dropped++;
		guard_ban(s, GUARD_SCANNER, cfg, now);
		return (SIP_GUARD_SCANNER);
	}
	return (SIP_GUARD_PASS);
}

/* May a stream connection from ss be accepted? */
int
sip_guard_accept(const struct sockaddr_storage *ss)
{
	if (!sip_guard_is_banned(ss))
		return (0);
	guard_stat_dropped++;
	return (-1);
}

/* Is ss banned right now? */
int
sip_guard_is_banned(const struct sockaddr_storage *ss)
{
	struct guard_src	*s;
	char			 key[INET6_ADDRSTRLEN];

	if (guard_srcs == NULL || guard_key(ss, key, sizeof(key)) == -1 ||
	    (s = hmap_get(guard_srcs, key)) == NULL)
		return (0);
	return (guard_banned_now(s, guard_cfg(), guard_now()));
}

/* Count a failed authentication from peer; ban at the limit. */
void
sip_guard_auth_failed(const struct sip_peer *peer)
{
	const struct security_cfg	*cfg = guard_cfg();
	struct guard_src		*s;
	char				 key[INET6_ADDRSTRLEN];
	uint64_t			 now;

	if (peer == NULL || guard_srcs == NULL ||
	    guard_key(&peer->ss, key, sizeof(key)) == -1)
		return;
	guard_stat_auth_failed++;
	now = guard_now();
	s = guard_get(key, &peer->ss, cfg, now);
	if (guard_banned_now(s, cfg, now) || guard_exempt(s, cfg) ||
	    cfg->auth_failures == 0)
		return;
	/* Failures are forgotten after ban_time without one. */
	if (s->failures > 0 &&
	    now - s->failed_at >= (uint64_t)cfg->ban_time * 1000)
		s->failures = 0;
	s->failures++;
	s->failed_at = now;
	if (s->failures >= (unsigned int)cfg->auth_failures)
		guard_ban(s, GUARD_AUTH, cfg, now);
}

/* Lift the bans that ran out and forget sources idle too long. */
void
sip_guard_sweep(void)
{
	const struct security_cfg	*cfg = guard_cfg();
	struct guard_src		*s, *next;
	uint64_t			 now = guard_now(), idle;

	if (guard_srcs == NULL)
		return;
	/* Not strictly in expiry order after a reload changed ban_time. */
	for (s = TAILQ_FIRST(&guard_bans); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (now >= s->until)
			guard_unban(s, cfg, now);
	}
	idle = guard_idle_ms(cfg);
	while ((s = TAILQ_FIRST(&guard_idle)) != NULL &&
	    now - s->seen >= idle)
		guard_forget(s);
}

/* Timer: sweep, and come back while bans remain. */
static void
guard_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	sip_guard_sweep();
	guard_timer_arm();
}

/*
 * Write "security": { limits, counters, overload, bans } for roamctl
 * status.
 */
void
sip_guard_json(struct json *j)
{
	const struct security_cfg	*cfg = guard_cfg();
	struct guard_src		*s;
	struct tm			 tm;
	char				 until[32];
	uint64_t			 now = guard_now();
	int				 n = 0;

	json_obj_begin(j, "security");
	json_int(j, "sip_rate", cfg->sip_rate);
	json_int(j, "sip_burst", cfg->sip_burst);
	json_int(j, "auth_failures", cfg->auth_failures);
	json_int(j, "ban_time_s", cfg->ban_time);
	json_int(j, "banned", (long long)guard_nbans);
	json_int(j, "bans_total", (long long)guard_stat_bans);
	json_int(j, "dropped", (long long)guard_stat_dropped);
	json_int(j, "scanner_dropped", (long long)guard_stat_scanner);
	json_int(j, "auth_failures_total", (long long)guard_stat_auth_failed);
	json_int(j, "tracked_sources", (long long)sip_guard_tracked());
	overload_json(j);
	json_arr_begin(j, "bans");
	TAILQ_FOREACH(s, &guard_bans, entry) {
		if (n++ == GUARD_JSON_BANS)
			break;
		gmtime_r(&s->until_wall, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_obj_begin(j, NULL);
		json_str(j, "src", s->key);
		json_str(j, "reason", guard_reason_name(s->reason));
		json_str(j, "until", until);
		json_int(j, "remaining_s", s->until > now ?
		    (long long)((s->until - now + 999) / 1000) : 0);
		json_int(j, "dropped", (long long)s->dropped);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* Bans in force. */
size_t
sip_guard_banned(void)
{
	return (guard_nbans);
}

/* Sources remembered. */
size_t
sip_guard_tracked(void)
{
	return (guard_srcs != NULL ? hmap_count(guard_srcs) : 0);
}

/* Bans since start. */
uint64_t
sip_guard_bans_total(void)
{
	return (guard_stat_bans);
}

/* Messages and connections dropped, any reason. */
uint64_t
sip_guard_dropped(void)
{
	return (guard_stat_dropped);
}

/* Tests: a millisecond clock (NULL: the monotonic clock). */
void
sip_guard_set_clock(uint64_t (*fn)(void))
{
	guard_clock = fn;
}

/* The config was replaced: work out every source's exemption again. */
void
sip_guard_reload(void)
{
	guard_gen++;
}

/* Tests: limits instead of the config's (NULL: the config's). */
void
sip_guard_set_limits(const struct security_cfg *cfg)
{
	guard_limits = cfg;
	guard_gen++;
}

/* Tests: remember at most cap sources (0: the default). */
void
sip_guard_set_cap(size_t cap)
{
	guard_cap = cap == 0 ? SIP_GUARD_MAX_SOURCES : cap;
}
