/*
 * Prometheus text metrics for /metrics (exposition format 0.0.4).
 *
 * The body is the output of a list of small emitters, one per concern,
 * so that each module can add its own counters with http_metrics_add()
 * without touching this file.  Every metric name starts with "roam_".
 * Counters are read straight from the modules (registrar_count(),
 * call_count(), the SIP transport counters): a scrape costs no database
 * query and no JSON round trip.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "call.h"
#include "config.h"
#include "hotdesk.h"
#include "http.h"
#include "registrar.h"
#include "roamd.h"
#include "sip_transport.h"

static void	http_emit_site(struct evbuffer *);
static void	http_emit_registrations(struct evbuffer *);
static void	http_emit_calls(struct evbuffer *);
static void	http_emit_users(struct evbuffer *);
static void	http_emit_sip(struct evbuffer *);
static void	http_emit_http(struct evbuffer *);

static void	(*http_emitters[HTTP_MAXEMITTERS])(struct evbuffer *) = {
	http_emit_site,
	http_emit_registrations,
	http_emit_calls,
	http_emit_users,
	http_emit_sip,
	http_emit_http,
};
static size_t	 http_nemitters = 6;

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
	http_metric_head(b, "roam_start_time_seconds", "gauge",
	    "When the daemon started, seconds since the epoch.");
	http_metric_int(b, "roam_start_time_seconds", NULL,
	    (long long)env->started);
	http_metric_head(b, "roam_uptime_seconds", "gauge",
	    "Seconds since the daemon started.");
	http_metric_int(b, "roam_uptime_seconds", NULL,
	    (long long)(time(NULL) - env->started));
}

/* roam_registrations. */
static void
http_emit_registrations(struct evbuffer *b)
{
	http_metric_head(b, "roam_registrations", "gauge",
	    "Current SIP registrations (bindings).");
	http_metric_int(b, "roam_registrations", NULL,
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
	http_metric_head(b, "roam_sip_messages_received_total", "counter",
	    "SIP messages received.");
	http_metric_int(b, "roam_sip_messages_received_total", NULL,
	    (long long)sip_transport_rx());
	http_metric_head(b, "roam_sip_messages_sent_total", "counter",
	    "SIP messages sent.");
	http_metric_int(b, "roam_sip_messages_sent_total", NULL,
	    (long long)sip_transport_tx());
	http_metric_head(b, "roam_sip_messages_bad_total", "counter",
	    "SIP datagrams or stream messages dropped as malformed.");
	http_metric_int(b, "roam_sip_messages_bad_total", NULL,
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
