/*
 * Prometheus text metrics for /metrics (exposition format 0.0.4).
 *
 * The body is the output of a list of small emitters, one per concern,
 * so that each module can add its own counters with http_metrics_add()
 * without touching this file.  Every metric name starts with "roam_".
 * Counters are read straight from the modules (registrar_count(),
 * call_count(), the SIP transport counters, events.c's counters): a
 * scrape costs no JSON round trip, and one indexed COUNT per peer for
 * its outbound queue.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "call.h"
#include "config.h"
#include "events.h"
#include "hotdesk.h"
#include "http.h"
#include "overload.h"
#include "peer.h"
#include "registrar.h"
#include "remote.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_transport.h"

static void	http_emit_site(struct evbuffer *);
static void	http_emit_registrations(struct evbuffer *);
static void	http_emit_calls(struct evbuffer *);
static void	http_emit_users(struct evbuffer *);
static void	http_emit_sip(struct evbuffer *);
static void	http_emit_http(struct evbuffer *);
static void	http_emit_call_results(struct evbuffer *);
static void	http_emit_logins(struct evbuffer *);
static void	http_emit_peers(struct evbuffer *);
static void	http_emit_guard(struct evbuffer *);
static void	http_emit_latency(struct evbuffer *);

static void	(*http_emitters[HTTP_MAXEMITTERS])(struct evbuffer *) = {
	http_emit_site,
	http_emit_registrations,
	http_emit_calls,
	http_emit_users,
	http_emit_sip,
	http_emit_http,
	http_emit_call_results,
	http_emit_logins,
	http_emit_peers,
	http_emit_guard,
	http_emit_latency,
};
static size_t	 http_nemitters = 11;

/* Add a /metrics emitter (once); -1 when the table is full. */
int
http_metrics_add(void (*fn)(struct evbuffer *))
{
	size_t	 i;

	for (i = 0; i < http_nemitters; i++)
		if (http_emitters[i] == fn)
			return (0);
	if (http_nemitters == HTTP_MAXEMITTERS)
		return (-1);
	http_emitters[http_nemitters++] = fn;
	return (0);
}

/* The whole /metrics body. */
void
http_metrics_write(struct evbuffer *b)
{
	size_t	 i;

	for (i = 0; i < http_nemitters; i++)
		http_emitters[i](b);
}

/* "# HELP" and "# TYPE" lines of a metric family. */
void
http_metric_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* One sample with an integer value. */
void
http_metric_int(struct evbuffer *b, const char *name, const char *labels,
    long long value)
{
	if (labels != NULL && *labels != '\0')
		evbuffer_add_printf(b, "%s{%s} %lld\n", name, labels, value);
	else
		evbuffer_add_printf(b, "%s %lld\n", name, value);
}

/* A family of one unlabelled integer sample: its head and the sample. */
static void
http_metric_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, long long value)
{
	http_metric_head(b, name, type, help);
	http_metric_int(b, name, NULL, value);
}

/* One sample with a floating point value. */
void
http_metric_double(struct evbuffer *b, const char *name, const char *labels,
    double value)
{
	if (labels != NULL && *labels != '\0')
		evbuffer_add_printf(b, "%s{%s} %.6g\n", name, labels, value);
	else
		evbuffer_add_printf(b, "%s %.6g\n", name, value);
}

/* Append key="value"; backslash, quote and newline escaped as 0.0.4 says. */
char *
http_metric_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t	 o = strlen(buf);
	int	 n;

	if (value == NULL)
		value = "";
	n = snprintf(buf + o, len - o, "%s%s=\"", o > 0 ? "," : "", key);
	if (n < 0 || (size_t)n >= len - o)
		return (buf);
	o += n;
	for (; *value != '\0' && o + 3 < len; value++) {
		if (*value == '\\' || *value == '"' || *value == '\n') {
			buf[o++] = '\\';
			buf[o++] = *value == '\n' ? 'n' : *value;
		} else
			buf[o++] = *value;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (buf);
}

/* roam_site_info, start time and uptime. */
static void
http_emit_site(struct evbuffer *b)
{
	char	 labels[160] = "", id[16];

	snprintf(id, sizeof(id), "%d", env->conf->site_id);
	http_metric_label(labels, sizeof(labels), "site",
	    env->conf->site_name);
	http_metric_label(labels, sizeof(labels), "id", id);
	http_metric_head(b, "roam_site_info", "gauge",
	    "The site this daemon runs (always 1).");
	http_metric_int(b, "roam_site_info", labels, 1);
	http_metric_one(b, "roam_start_time_seconds", "gauge",
	    "When the daemon started, seconds since the epoch.",
	    (long long)env->started);
	http_metric_one(b, "roam_uptime_seconds", "gauge",
	    "Seconds since the daemon started.",
	    (long long)(time(NULL) - env->started));
}

/* roam_registrations. */
static void
http_emit_registrations(struct evbuffer *b)
{
	http_metric_one(b, "roam_registrations", "gauge",
	    "Current SIP registrations (bindings).",
	    (long long)registrar_count());
}

/* roam_calls_active. */
static void
http_emit_calls(struct evbuffer *b)
{
	http_metric_head(b, "roam_calls_active", "gauge",
	    "Calls in progress.");
	http_metric_int(b, "roam_calls_active", NULL, (long long)call_count());
}

/* roam_users and roam_users_logged_in (of this site's users). */
static void
http_emit_users(struct evbuffer *b)
{
	size_t	 i, in = 0;

	for (i = 0; i < env->conf->nusers; i++)
		if (hotdesk_user_ext(env->conf->users[i].number) != NULL)
			in++;
	http_metric_head(b, "roam_users", "gauge",
	    "Users configured on this site.");
	http_metric_int(b, "roam_users", NULL, (long long)env->conf->nusers);
	http_metric_head(b, "roam_users_logged_in", "gauge",
	    "Users of this site logged in at a phone of this site.");
	http_metric_int(b, "roam_users_logged_in", NULL, (long long)in);
}

/* SIP messages in, out and refused as malformed. */
static void
http_emit_sip(struct evbuffer *b)
{
	http_metric_one(b, "roam_sip_messages_received_total", "counter",
	    "SIP messages received.",
	    (long long)sip_transport_rx());
	http_metric_one(b, "roam_sip_messages_sent_total", "counter",
	    "SIP messages sent.",
	    (long long)sip_transport_tx());
	http_metric_one(b, "roam_sip_messages_bad_total", "counter",
	    "SIP datagrams or stream messages dropped as malformed.",
	    (long long)sip_transport_rx_bad());
}

/* Answers of this HTTP server by status class. */
static void
http_emit_http(struct evbuffer *b)
{
	char	 labels[32];
	int	 c;

	http_metric_head(b, "roam_http_responses_total", "counter",
	    "HTTP answers of the status page and API, by status class.");
	for (c = 2; c <= 5; c++) {
		snprintf(labels, sizeof(labels), "code=\"%dxx\"", c);
		http_metric_int(b, "roam_http_responses_total", labels,
		    (long long)http_answered(c));
	}
}

/* One roam_calls_total sample per final SIP code. */
static void
http_call_result(int code, uint64_t n, void *arg)
{
	char	 labels[32];

	snprintf(labels, sizeof(labels), "code=\"%d\"", code);
	http_metric_int(arg, "roam_calls_total", labels, (long long)n);
}

/* Calls ended, by the final SIP status of the call (200 answered). */
static void
http_emit_call_results(struct evbuffer *b)
{
	http_metric_head(b, "roam_calls_total", "counter",
	    "Calls ended, by final SIP status (200: answered).");
	events_foreach_call_result(http_call_result, b);
}

/* What http_login_result has written, so known results appear once. */
struct http_logins {
	struct evbuffer	*b;
	int		 seen;	/* bit per http_login_known entry */
};

static const char *http_login_known[] = {
	"ok", "bad_code", "locked", "unknown_user", "home_unreachable"
};
#define HTTP_NKNOWN	(sizeof(http_login_known) / sizeof(http_login_known[0]))

/* One roam_logins_total sample. */
static void
http_login_result(const char *result, uint64_t n, void *arg)
{
	struct http_logins	*l = arg;
	char			 labels[64] = "";
	size_t			 i;

	for (i = 0; i < HTTP_NKNOWN; i++)
		if (strcmp(result, http_login_known[i]) == 0)
			l->seen |= 1 << i;
	http_metric_label(labels, sizeof(labels), "result", result);
	http_metric_int(l->b, "roam_logins_total", labels, (long long)n);
}

/* Login attempts by result; the usual results show 0 before any. */
static void
http_emit_logins(struct evbuffer *b)
{
	struct http_logins	 l = { b, 0 };
	size_t			 i;

	http_metric_head(b, "roam_logins_total", "counter",
	    "Hot desk login attempts answered on this site, by result.");
	events_foreach_login_result(http_login_result, &l);
	for (i = 0; i < HTTP_NKNOWN; i++)
		if (!(l.seen & (1 << i)))
			http_login_result(http_login_known[i], 0, &l);
}

/* Which peer family a peer_foreach pass writes. */
struct http_peers {
	struct evbuffer	*b;
	int		 what;	/* 0 up, 1 flaps, 2 queue */
};

/* One peer's sample of the family being written. */
static void
http_peer_one(struct peer *p, void *arg)
{
	struct http_peers	*hp = arg;
	char			 labels[96] = "";
	int			 q;

	http_metric_label(labels, sizeof(labels), "peer", p->name);
	switch (hp->what) {
	case 0:
		http_metric_int(hp->b, "roam_peer_up", labels,
		    p->state == PEER_UP);
		break;
	case 1:
		http_metric_int(hp->b, "roam_peer_flaps_total", labels,
		    (long long)p->flaps);
		break;
	default:
		q = remote_queue_length(p->name);
		http_metric_int(hp->b, "roam_peer_queue_depth", labels,
		    q > 0 ? q : 0);
		break;
	}
}

/* Peer link state, flaps and outbound queue depth, per peer site. */
static void
http_emit_peers(struct evbuffer *b)
{
	struct http_peers	 hp = { b, 0 };

	http_metric_head(b, "roam_peer_up", "gauge",
	    "Peer link state: 1 up, 0 down.");
	peer_foreach(http_peer_one, &hp);
	hp.what = 1;
	http_metric_head(b, "roam_peer_flaps_total", "counter",
	    "Times the peer link went from up to down.");
	peer_foreach(http_peer_one, &hp);
	hp.what = 2;
	http_metric_head(b, "roam_peer_queue_depth", "gauge",
	    "Frames waiting in the outbound queue for the peer site.");
	peer_foreach(http_peer_one, &hp);
}

/* The SIP guard (bans, drops) and overload protection (503s). */
static void
http_emit_guard(struct evbuffer *b)
{
	http_metric_one(b, "roam_sip_guard_bans_total", "counter",
	    "Source addresses banned by the SIP guard.",
	    (long long)sip_guard_bans_total());
	http_metric_one(b, "roam_sip_guard_banned", "gauge",
	    "Source addresses banned right now.",
	    (long long)sip_guard_banned());
	http_metric_one(b, "roam_sip_guard_dropped_total", "counter",
	    "SIP messages the guard dropped (banned sources, scanners).",
	    (long long)sip_guard_dropped());
	http_metric_one(b, "roam_sip_overload", "gauge",
	    "1 while new calls are refused with 503 (overload.c).",
	    (long long)overload_active());
	http_metric_one(b, "roam_sip_overload_refused_total", "counter",
	    "New requests refused with 503 and Retry-After in overload.",
	    (long long)overload_refused_total());
}

/* One method's histogram: cumulative buckets in seconds, sum, count. */
static void
http_latency_one(struct evbuffer *b, const struct events_latency *l)
{
	const char	*name = "roam_sip_request_duration_seconds";
	char		 labels[64], metric[64];
	int		 i;

	snprintf(metric, sizeof(metric), "%s_bucket", name);
	for (i = 0; i < EVENTS_LATENCY_NBUCKETS; i++) {
		snprintf(labels, sizeof(labels), "method=\"%s\",le=\"%g\"",
		    l->method, events_latency_bounds[i] / 1000.0);
		http_metric_int(b, metric, labels, (long long)l->bucket[i]);
	}
	snprintf(labels, sizeof(labels), "method=\"%s\",le=\"+Inf\"",
	    l->method);
	http_metric_int(b, metric, labels, (long long)l->count);
	snprintf(labels, sizeof(labels), "method=\"%s\"", l->method);
	snprintf(metric, sizeof(metric), "%s_sum", name);
	http_metric_double(b, metric, labels, l->sum_s);
	snprintf(metric, sizeof(metric), "%s_count", name);
	http_metric_int(b, metric, labels, (long long)l->count);
}

/*
 * Time from receiving an INVITE or REGISTER to sending its final
 * response (measured in the transaction layer).
 */
static void
http_emit_latency(struct evbuffer *b)
{
	const struct events_latency	*l;
	int				 i;

	http_metric_head(b, "roam_sip_request_duration_seconds", "histogram",
	    "Seconds from a request to its final response, by method.");
	for (i = 0; (l = events_latency(i)) != NULL; i++)
		http_latency_one(b, l);
}
