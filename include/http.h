/*
 * The status page and JSON API on site.http (DESIGN.md section 6): libevent
 * evhttp, one page at "/" and the roamctl documents under /api/, plus
 * Prometheus text at /metrics.  Every path but "/" needs
 * "Authorization: Bearer <token>", the token being the content of
 * site.http_token_file.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct evbuffer;
struct event_base;

/*
 * Listen on addr ("127.0.0.1:8080"; NULL: off, returns 0).  tokenfile may
 * be NULL only when addr is a loopback address.  0, or -1 with *cause
 * (malloc'd).
 */
int	http_init(struct event_base *, const char *addr, const char *tokenfile,
	    char **cause);
void	http_shutdown(void);
/* The bound TCP port (useful with port 0), or 0 when off. */
int	http_port(void);

/*
 * /metrics is the output of a list of emitters, each writing a few
 * metrics in the Prometheus text format (version 0.0.4).  A module adds
 * its own with http_metrics_add() (any time, e.g. in its init; adding the
 * same function twice is harmless) and writes with the helpers below.
 */
#define HTTP_MAXEMITTERS	32

int	http_metrics_add(void (*)(struct evbuffer *));
/* Run every emitter into b (the body of /metrics). */
void	http_metrics_write(struct evbuffer *b);
/* Answers the API sent with a status of class cls (2 for 2xx), so far. */
unsigned long long http_answered(int cls);
/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void	http_metric_head(struct evbuffer *, const char *name, const char *type,
	    const char *help);
/* "name{labels} value"; labels NULL or pre-built by http_metric_label(). */
void	http_metric_int(struct evbuffer *, const char *name, const char *labels,
	    long long value);
void	http_metric_double(struct evbuffer *, const char *name,
	    const char *labels, double value);
/*
 * Append key="value" (value escaped per the text format) to the label
 * string buf of size len, comma-separated; returns buf.
 */
char	*http_metric_label(char *buf, size_t len, const char *key,
	    const char *value);

/*
 * The page at "/" (http_page.c): its body, style sheet and script, kept
 * apart so that the script's hash can go into the Content-Security-Policy
 * and no other script may run on the page.
 */
extern const char	http_page_body[];
extern const char	http_page_css[];
extern const char	http_page_js[];

#endif
