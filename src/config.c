/*
 * The YAML configuration (DESIGN.md section 3) walked into struct config.
 *
 * libyaml's document API gives a tree whose nodes carry their line and
 * column, so every problem can be reported as "FILE:LINE:COL: message".
 * The walk never stops at the first problem: an admin fixing a file wants
 * every mistake at once (as `bgpd -n` does), so errors are collected,
 * sorted by position and handed back together.
 *
 * Each mapping is described by a table of its keys (name, kind, required,
 * where the value lands); cfg_map() does the unknown/duplicate/missing key
 * checks once for all of them.  References between sections (a trunk named
 * by a short code, a user named by a DDI, ...) may point forward in the
 * file, so they are recorded during the walk and resolved at the end.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config_walk.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

#define CFG_ZONEINFO	"/usr/share/zoneinfo"
#define CFG_SECRET_MAX	4096

/* site.name: [a-z0-9-]{1,31}, it names the site in the network. */
static void
cfg_fn_site_name(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;
	const char	*s;
	size_t		 len;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a name")) == NULL)
		return;
	len = strlen(s);
	if (len == 0 || len > 31 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len) {
		cfg_err(ld, v->start_mark, "%s: name \"%s\" must be 1-31 "
		    "characters of a-z, 0-9 and -", ctx, s);
		return;
	}
	c->site_name = xstrdup(s);
}

/* site.id: 1-99, it prefixes break-out dialling ("<id>*<digits>"). */
static void
cfg_fn_site_id(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	int		 id;

	if (cfg_int(ld, v, ctx, k->name, &id) == -1)
		return;
	if (id < 1 || id > 99) {
		cfg_err(ld, v->start_mark, "%s: id %d is outside 1-99", ctx,
		    id);
		return;
	}
	c->site_id = id;
}

/* site.sip: the list of listeners. */
static void
cfg_fn_site_sip(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;
	struct cfg_addr	 a;
	yaml_node_t	*item;
	size_t		 i, n;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	if ((n = cfg_nitems(v)) == 0) {
		cfg_err(ld, v->start_mark, "%s: sip: at least one listener "
		    "is needed", ctx);
		return;
	}
	c->sip = xcalloc(n, sizeof(*c->sip));
	for (i = 0; i < n; i++) {
		item = cfg_item(ld, v, i);
		memset(&a, 0, sizeof(a));
		if (cfg_addr(ld, item, ctx, k->name, &a, 0) == -1)
			continue;
		if (a.transport == SIPT_TLS && !ld->tls_listener) {
			ld->tls_listener = 1;
			ld->tls_mark = item->start_mark;
		}
		c->sip[c->nsip++] = a;
	}
}

/* site.http: "ADDR:PORT" of the status page. */
static void
cfg_fn_site_http(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;
	struct cfg_addr	 a;

	memset(&a, 0, sizeof(a));
	if (cfg_addr(ld, v, ctx, k->name, &a, 1) == 0)
		c->http = a.text;
}

/* site.timezone: must name a zone the C library can load. */
static void
cfg_fn_site_tz(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	struct stat	 sb;
	const char	*s;
	char		*path;
	int		 ok;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a zone name")) == NULL)
		return;
	/* Keep the lookup inside the zoneinfo tree. */
	ok = *s != '\0' && *s != '/' && strstr(s, "..") == NULL;
	if (ok) {
		xasprintf(&path, "%s/%s", CFG_ZONEINFO, s);
		ok = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
		free(path);
	}
	if (!ok) {
		cfg_err(ld, v->start_mark, "%s: timezone \"%s\" does not exist "
		    "under %s", ctx, s, CFG_ZONEINFO);
		return;
	}
	c->timezone = xstrdup(s);
}

static const struct cfg_key cfg_sip_tls_keys[] = {
	{ "ca", CFG_PATH, 0, offsetof(struct tls_cfg, ca), NULL },
	{ "cert", CFG_PATH, 1, offsetof(struct tls_cfg, cert), NULL },
	{ "key", CFG_PATH, 1, offsetof(struct tls_cfg, key), NULL },
	{ NULL, 0, 0, 0, NULL }
};

static const struct cfg_key cfg_net_tls_keys[] = {
	{ "ca", CFG_PATH, 1, offsetof(struct tls_cfg, ca), NULL },
	{ "cert", CFG_PATH, 1, offsetof(struct tls_cfg, cert), NULL },
	{ "key", CFG_PATH, 1, offsetof(struct tls_cfg, key), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* site.sip_tls: certificate and key for tls: listeners. */
static void
cfg_fn_sip_tls(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	cfg_map(ld, v, "site.sip_tls", cfg_sip_tls_keys,
	    (char *)obj + k->off);
}

static const struct cfg_key cfg_site_keys[] = {
	{ "name", CFG_FN, 1, 0, cfg_fn_site_name },
	{ "id", CFG_FN, 1, 0, cfg_fn_site_id },
	{ "domain", CFG_STR, 1, offsetof(struct config, domain), NULL },
	{ "sip", CFG_FN, 1, 0, cfg_fn_site_sip },
	{ "sip_tls", CFG_FN, 0, offsetof(struct config, sip_tls),
	    cfg_fn_sip_tls },
	{ "database", CFG_PATH, 1, offsetof(struct config, database), NULL },
	{ "control", CFG_PATH, 1, offsetof(struct config, control), NULL },
	{ "http", CFG_FN, 0, 0, cfg_fn_site_http },
	{ "http_token_file", CFG_PATH, 0,
	    offsetof(struct config, http_token_file), NULL },
	{ "timezone", CFG_FN, 0, 0, cfg_fn_site_tz },
	{ "allow_insecure_permissions", CFG_BOOL, 0,
	    offsetof(struct config, allow_insecure_permissions), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* The site: section. */
static void
cfg_fn_site(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	yaml_node_t	*dom;

	cfg_map(ld, v, "site", cfg_site_keys, c);
	dom = cfg_get(ld, v, "domain");
	if (c->domain != NULL && *c->domain == '\0')
		cfg_err(ld, dom->start_mark, "site: domain is empty");
	if (ld->tls_listener && c->sip_tls.cert == NULL)
		cfg_err(ld, ld->tls_mark, "site: sip: a tls: listener needs "
		    "site.sip_tls with cert and key");
}

/* A licence count: a non-negative integer. */
static void
cfg_fn_licence(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	cfg_int(ld, v, ctx, k->name, (int *)((char *)obj + k->off));
}

#define CFG_LICENCE(p)	(offsetof(struct config, licences) + (p) * sizeof(int))

static const struct cfg_key cfg_licence_keys[] = {
	{ "basic", CFG_FN, 0, CFG_LICENCE(PROFILE_BASIC), cfg_fn_licence },
	{ "office_worker", CFG_FN, 0, CFG_LICENCE(PROFILE_OFFICE_WORKER),
	    cfg_fn_licence },
	{ "teleworker", CFG_FN, 0, CFG_LICENCE(PROFILE_TELEWORKER),
	    cfg_fn_licence },
	{ "mobile_worker", CFG_FN, 0, CFG_LICENCE(PROFILE_MOBILE_WORKER),
	    cfg_fn_licence },
	{ "power_user", CFG_FN, 0, CFG_LICENCE(PROFILE_POWER_USER),
	    cfg_fn_licence },
	{ NULL, 0, 0, 0, NULL }
};

/* The licences: section. */
static void
cfg_fn_licences(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	cfg_map(ld, v, "licences", cfg_licence_keys, obj);
}

static const struct cfg_key cfg_hotdesk_keys[] = {
	{ "lockout_attempts", CFG_INT, 0,
	    offsetof(struct config, lockout_attempts), NULL },
	{ "lockout_period", CFG_DUR, 0,
	    offsetof(struct config, lockout_period), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* The hotdesk: section. */
static void
cfg_fn_hotdesk(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;

	cfg_map(ld, v, "hotdesk", cfg_hotdesk_keys, c);
	/* H2: with 0 attempts nobody could ever log in. */
	if (c->lockout_attempts < 1)
		cfg_err(ld, cfg_mark(ld, v, "lockout_attempts"), "hotdesk: "
		    "lockout_attempts must be at least 1");
}

/* network.secret_file: the shared secret read from a file. */
static void
cfg_fn_secret_file(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;
	const char	*s;
	char		*path, buf[CFG_SECRET_MAX + 1];
	FILE		*f;
	size_t		 n;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a path")) == NULL)
		return;
	path = cfg_path(ld, s);
	if ((f = fopen(path, "r")) == NULL) {
		cfg_err(ld, v->start_mark, "%s: secret_file %s: %s", ctx, path,
		    strerror(errno));
		free(path);
		return;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == 0 || n > CFG_SECRET_MAX || strlen(buf) != n)
		cfg_err(ld, v->start_mark, "%s: secret_file %s: %s", ctx, path,
		    n == 0 ? "empty" : "not a text secret of up to 4096 bytes");
	else if (c->net_secret == NULL)
		c->net_secret = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	free(path);
}

/* network.tls: CA, certificate and key for mutual TLS on peer links. */
static void
cfg_fn_net_tls(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	cfg_map(ld, v, "network.tls", cfg_net_tls_keys,
	    (char *)obj + k->off);
}

static const struct cfg_key cfg_peer_keys[] = {
	{ "name", CFG_STR, 1, offsetof(struct peer_cfg, name), NULL },
	{ "address", CFG_FN, 1, offsetof(struct peer_cfg, address),
	    cfg_fn_hostport },
	{ "sip", CFG_FN, 1, offsetof(struct peer_cfg, sip), cfg_fn_sipaddr },
	{ NULL, 0, 0, 0, NULL }
};

/* network.peers: the other sites. */
static void
cfg_fn_peers(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	struct peer_cfg	*p;
	yaml_node_t	*item;
	char		*ictx;
	size_t		 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->peers = xcalloc(cfg_nitems(v), sizeof(*c->peers));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		p = &c->peers[c->npeers++];
		ictx = cfg_ctx(ld, NULL, "network peer", item, "name", 0, i);
		cfg_map(ld, item, ictx, cfg_peer_keys, p);
		cfg_dup(ld, "peer", p->name, cfg_get(ld, item, "name"));
		cfg_ref(ld, CFG_REF_NOT_SITE, p->name,
		    cfg_get(ld, item, "name"), ictx, "name");
		free(ictx);
	}
}

static const struct cfg_key cfg_network_keys[] = {
	{ "listen", CFG_FN, 1, offsetof(struct config, net_listen),
	    cfg_fn_hostport },
	{ "secret", CFG_STR, 0, offsetof(struct config, net_secret), NULL },
	{ "secret_file", CFG_FN, 0, 0, cfg_fn_secret_file },
	{ "orphan_logout", CFG_DUR, 0,
	    offsetof(struct config, orphan_logout), NULL },
	{ "hold_time", CFG_DUR, 0, offsetof(struct config, hold_time), NULL },
	{ "tls", CFG_FN, 0, offsetof(struct config, net_tls), cfg_fn_net_tls },
	{ "peers", CFG_FN, 0, 0, cfg_fn_peers },
	{ NULL, 0, 0, 0, NULL }
};

/* The network: section. */
static void
cfg_fn_network(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;
	yaml_node_t	*sec, *file;

	cfg_map(ld, v, "network", cfg_network_keys, c);
	if (v->type != YAML_MAPPING_NODE)
		return;
	sec = cfg_get(ld, v, "secret");
	file = cfg_get(ld, v, "secret_file");
	if (sec != NULL && file != NULL)
		cfg_err(ld, file->start_mark, "network: secret and "
		    "secret_file are both set; keep one");
	else if (sec == NULL && file == NULL)
		cfg_err(ld, v->start_mark, "network: secret or secret_file "
		    "is required");
	else if (sec != NULL && c->net_secret != NULL &&
	    *c->net_secret == '\0')
		cfg_err(ld, sec->start_mark, "network: secret is empty");
	/* Keepalives go every hold_time/3: below 3s that is under 1s. */
	if (c->hold_time < 3)
		cfg_err(ld, cfg_mark(ld, v, "hold_time"), "network: hold_time "
		    "must be at least 3s");
}

/* "HH:MM" into minutes after midnight; -1 when it is not one. */
static int
cfg_parse_hhmm(const char *s)
{
	int	 h, m;

	if (!isdigit((unsigned char)s[0]))
		return (-1);
	h = s[0] - '0';
	s++;
	if (isdigit((unsigned char)*s))
		h = h * 10 + (*s++ - '0');
	if (s[0] != ':' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || s[3] != '\0')
		return (-1);
	m = (s[1] - '0') * 10 + (s[2] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return (-1);
	return (h * 60 + m);
}

/* A start or end time "HH:MM" into the int at k->off. */
static void
cfg_fn_time(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	const char	*s;
	int		 t;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a time")) == NULL)
		return;
	if ((t = cfg_parse_hhmm(s)) == -1) {
		cfg_err(ld, v->start_mark, "%s: %s: \"%s\" is not a time "
		    "(HH:MM)", ctx, k->name, s);
		return;
	}
	if (t == 24 * 60 && strcmp(k->name, "start") == 0) {
		cfg_err(ld, v->start_mark, "%s: start: 24:00 is only allowed "
		    "as an end", ctx);
		return;
	}
	*(int *)((char *)obj + k->off) = t;
}

/* An entry never crosses midnight: start must come before end. */
static void
cfg_check_span(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    int start, int end)
{
	if (start < end)
		return;
	cfg_err(ld, cfg_mark(ld, item, "end"), "%s: end %02d:%02d is not "
	    "after start %02d:%02d (an entry cannot cross midnight)", ctx,
	    end / 60, end % 60, start / 60, start % 60);
}

/* weekly days: a list of mon..sun. */
static void
cfg_fn_days(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	static const char *names[] = {
		"mon", "tue", "wed", "thu", "fri", "sat", "sun"
	};
	struct tp_weekly	*w = obj;
	yaml_node_t		*item;
	const char		*s;
	size_t			 i, d;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	if (cfg_nitems(v) == 0)
		cfg_err(ld, v->start_mark, "%s: days: empty list", ctx);
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		if ((s = cfg_scalar(ld, item, ctx, k->name, "a day")) == NULL)
			continue;
		for (d = 0; d < 7; d++) {
			if (strcasecmp(s, names[d]) == 0)
				break;
		}
		if (d == 7)
			cfg_err(ld, item->start_mark, "%s: days: unknown day "
			    "\"%s\" (use mon, tue, wed, thu, fri, sat, sun)",
			    ctx, s);
		else
			w->days |= 1u << d;
	}
}

static const struct cfg_key cfg_weekly_keys[] = {
	{ "days", CFG_FN, 1, 0, cfg_fn_days },
	{ "start", CFG_FN, 0, offsetof(struct tp_weekly, start), cfg_fn_time },
	{ "end", CFG_FN, 0, offsetof(struct tp_weekly, end), cfg_fn_time },
	{ NULL, 0, 0, 0, NULL }
};

/* time_profiles weekly: the recurring ranges. */
static void
cfg_fn_weekly(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct time_profile	*tp = obj;
	struct tp_weekly	*w;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	tp->weekly = xcalloc(cfg_nitems(v), sizeof(*tp->weekly));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		w = &tp->weekly[tp->nweekly++];
		w->end = 24 * 60;
		xasprintf(&ictx, "%s: weekly #%zu", ctx, i + 1);
		cfg_map(ld, item, ictx, cfg_weekly_keys, w);
		if (item->type == YAML_MAPPING_NODE)
			cfg_check_span(ld, item, ictx, w->start, w->end);
		free(ictx);
	}
}

/* "YYYY-MM-DD" into its parts; -1 when it is no calendar date. */
static int
cfg_parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int	 leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return (-1);
	*y = atoi(s);
	*m = atoi(s + 5);
	*d = atoi(s + 8);
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
		return (-1);
	leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	if (*m == 2 && *d == 29 && !leap)
		return (-1);
	return (0);
}

/* date or end_date of a dates entry. */
static void
cfg_fn_date(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct tp_date	*td = obj;
	const char	*s;
	int		 y, m, d;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a date")) == NULL)
		return;
	if (cfg_parse_date(s, &y, &m, &d) == -1) {
		cfg_err(ld, v->start_mark, "%s: %s: \"%s\" is not a date "
		    "(YYYY-MM-DD)", ctx, k->name, s);
		return;
	}
	if (strcmp(k->name, "date") == 0) {
		td->year = y;
		td->month = m;
		td->day = d;
	} else {
		td->end_year = y;
		td->end_month = m;
		td->end_day = d;
	}
}

static const struct cfg_key cfg_date_keys[] = {
	{ "date", CFG_FN, 1, 0, cfg_fn_date },
	{ "end_date", CFG_FN, 0, 0, cfg_fn_date },
	{ "start", CFG_FN, 0, offsetof(struct tp_date, start), cfg_fn_time },
	{ "end", CFG_FN, 0, offsetof(struct tp_date, end), cfg_fn_time },
	{ NULL, 0, 0, 0, NULL }
};

/* Check one dates entry once its keys are read. */
static void
cfg_check_date(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    struct tp_date *td)
{
	long	 first, last;

	if (cfg_get(ld, item, "end_date") == NULL) {
		td->end_year = td->year;
		td->end_month = td->month;
		td->end_day = td->day;
	}
	first = td->year * 10000L + td->month * 100 + td->day;
	last = td->end_year * 10000L + td->end_month * 100 + td->end_day;
	if (td->year != 0 && td->end_year != 0 && last < first)
		cfg_err(ld, cfg_mark(ld, item, "end_date"), "%s: end_date is "
		    "before date", ctx);
	cfg_check_span(ld, item, ctx, td->start, td->end);
}

/* time_profiles dates: single days or ranges of days. */
static void
cfg_fn_dates(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct time_profile	*tp = obj;
	struct tp_date		*td;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	tp->dates = xcalloc(cfg_nitems(v), sizeof(*tp->dates));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		td = &tp->dates[tp->ndates++];
		td->end = 24 * 60;
		xasprintf(&ictx, "%s: dates #%zu", ctx, i + 1);
		cfg_map(ld, item, ictx, cfg_date_keys, td);
		if (item->type == YAML_MAPPING_NODE)
			cfg_check_date(ld, item, ictx, td);
		free(ictx);
	}
}

static const struct cfg_key cfg_tprof_keys[] = {
	{ "name", CFG_STR, 1, offsetof(struct time_profile, name), NULL },
	{ "weekly", CFG_FN, 0, 0, cfg_fn_weekly },
	{ "dates", CFG_FN, 0, 0, cfg_fn_dates },
	{ NULL, 0, 0, 0, NULL }
};

/* The time_profiles: section. */
static void
cfg_fn_tprofs(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config		*c = obj;
	struct time_profile	*tp;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->time_profiles = xcalloc(cfg_nitems(v), sizeof(*c->time_profiles));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		tp = &c->time_profiles[c->ntime_profiles++];
		ictx = cfg_ctx(ld, NULL, "time profile", item, "name", 0, i);
		cfg_map(ld, item, ictx, cfg_tprof_keys, tp);
		cfg_dup(ld, "time profile", tp->name,
		    cfg_get(ld, item, "name"));
		free(ictx);
	}
}

/* security.scanner_user_agents: replaces the default list. */
static void
cfg_fn_scanners(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct security_cfg	*sec = obj;
	yaml_node_t		*item;
	const char		*s;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	for (i = 0; i < sec->nscanner_user_agents; i++)
		free(sec->scanner_user_agents[i]);
	free(sec->scanner_user_agents);
	sec->nscanner_user_agents = 0;
	sec->scanner_user_agents = xcalloc(cfg_nitems(v) + 1,
	    sizeof(*sec->scanner_user_agents));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		if ((s = cfg_scalar(ld, item, ctx, k->name, "a string")) == NULL)
			continue;
		if (*s == '\0') {
			cfg_err(ld, item->start_mark, "%s: %s: an empty text "
			    "would match every phone", ctx, k->name);
			continue;
		}
		sec->scanner_user_agents[sec->nscanner_user_agents++] =
		    xstrdup(s);
	}
}

/* security.exempt: networks never banned; replaces the default list. */
static void
cfg_fn_exempt(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct security_cfg	*sec = obj;
	yaml_node_t		*item;
	const char		*s;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	free(sec->exempt);
	sec->nexempt = 0;
	sec->exempt = xcalloc(cfg_nitems(v) + 1, sizeof(*sec->exempt));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		if ((s = cfg_scalar(ld, item, ctx, k->name, "a network")) ==
		    NULL)
			continue;
		if (config_parse_net(s, &sec->exempt[sec->nexempt]) == -1) {
			cfg_err(ld, item->start_mark, "%s: %s: \"%s\" is not an "
			    "address or ADDR/BITS network", ctx, k->name, s);
			continue;
		}
		sec->nexempt++;
	}
}

/*
 * security.max_external_calls: lives in struct config (see config.h); the
 * security mapping hands us its security_cfg, embedded in the config.
 */
static void
cfg_fn_max_external(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = (struct config *)(void *)((char *)obj -
	    offsetof(struct config, security));

	cfg_int(ld, v, ctx, k->name, &c->max_external_calls);
}

static const struct cfg_key cfg_overload_keys[] = {
	{ "max_call_rate", CFG_INT, 0,
	    offsetof(struct overload_cfg, max_call_rate), NULL },
	{ "delay_ms", CFG_INT, 0, offsetof(struct overload_cfg, delay_ms),
	    NULL },
	{ "retry_after", CFG_DUR, 0,
	    offsetof(struct overload_cfg, retry_after), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* security.overload: also in struct config, beside max_external_calls. */
static void
cfg_fn_overload(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = (struct config *)(void *)((char *)obj -
	    offsetof(struct config, security));

	(void)k;
	(void)ctx;
	cfg_map(ld, v, "security.overload", cfg_overload_keys, &c->overload);
	if (v->type == YAML_MAPPING_NODE && c->overload.retry_after < 1)
		cfg_err(ld, cfg_mark(ld, v, "retry_after"), "security."
		    "overload: retry_after must be at least 1s");
}

static const struct cfg_key cfg_security_keys[] = {
	{ "sip_rate", CFG_INT, 0, offsetof(struct security_cfg, sip_rate),
	    NULL },
	{ "sip_burst", CFG_INT, 0, offsetof(struct security_cfg, sip_burst),
	    NULL },
	{ "auth_failures", CFG_INT, 0,
	    offsetof(struct security_cfg, auth_failures), NULL },
	{ "ban_time", CFG_DUR, 0, offsetof(struct security_cfg, ban_time),
	    NULL },
	{ "scanner_user_agents", CFG_FN, 0, 0, cfg_fn_scanners },
	{ "exempt", CFG_FN, 0, 0, cfg_fn_exempt },
	{ "max_external_calls", CFG_FN, 0, 0, cfg_fn_max_external },
	{ "overload", CFG_FN, 0, 0, cfg_fn_overload },
	{ NULL, 0, 0, 0, NULL }
};

/* The security: section (limits of sip_guard.c). */
static void
cfg_fn_security(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct security_cfg	*sec = &((struct config *)obj)->security;

	cfg_map(ld, v, "security", cfg_security_keys, sec);
	if (v->type != YAML_MAPPING_NODE)
		return;
	/* A bucket shallower than one request would refuse everything. */
	if (sec->sip_rate > 0 && sec->sip_burst < 1)
		cfg_err(ld, cfg_mark(ld, v, "sip_burst"), "security: "
		    "sip_burst must be at least 1");
	if (sec->ban_time < 1)
		cfg_err(ld, cfg_mark(ld, v, "ban_time"), "security: "
		    "ban_time must be at least 1s");
}

static const struct cfg_key cfg_top_keys[] = {
	{ "site", CFG_FN, 1, 0, cfg_fn_site },
	{ "licences", CFG_FN, 0, 0, cfg_fn_licences },
	{ "hotdesk", CFG_FN, 0, 0, cfg_fn_hotdesk },
	{ "network", CFG_FN, 0, 0, cfg_fn_network },
	{ "time_profiles", CFG_FN, 0, 0, cfg_fn_tprofs },
	{ "user_rights", CFG_FN, 0, 0, cfg_fn_rights },
	{ "short_codes", CFG_FN, 0, 0, cfg_fn_sys_shortcodes },
	{ "trunks", CFG_FN, 0, 0, cfg_fn_trunks },
	{ "extensions", CFG_FN, 0, 0, cfg_fn_extensions },
	{ "users", CFG_FN, 0, 0, cfg_fn_users },
	{ "security", CFG_FN, 0, 0, cfg_fn_security },
	{ NULL, 0, 0, 0, NULL }
};

/* Resolve one recorded reference against the finished config. */
static void
cfg_resolve(struct cfg_load *ld, struct cfg_ref *r)
{
	struct config	*c = ld->conf;

	switch (r->kind) {
	case CFG_REF_USER:
		if (config_user(c, r->name) == NULL)
			cfg_err(ld, r->mark, "%s: no user \"%s\" on this site",
			    r->what, r->name);
		break;
	case CFG_REF_TRUNK:
		if (config_trunk(c, r->name) == NULL)
			cfg_err(ld, r->mark, "%s: no trunk named \"%s\"",
			    r->what, r->name);
		break;
	case CFG_REF_RIGHTS:
		if (config_rights(c, r->name) == NULL)
			cfg_err(ld, r->mark, "%s: no user rights named \"%s\"",
			    r->what, r->name);
		break;
	case CFG_REF_TPROF:
		if (config_time_profile(c, r->name) == NULL)
			cfg_err(ld, r->mark, "%s: no time profile named "
			    "\"%s\"", r->what, r->name);
		break;
	case CFG_REF_NOT_SITE:
		if (c->site_name != NULL && strcmp(c->site_name, r->name) == 0)
			cfg_err(ld, r->mark, "%s: a peer cannot have this "
			    "site's own name \"%s\"", r->what, r->name);
		break;
	}
}

/* Count users per non-basic profile against the licences held. */
static void
cfg_check_licences(struct cfg_load *ld)
{
	int		 used[PROFILE_MAX] = { 0 }, seen[PROFILE_MAX] = { 0 };
	int		 held;
	enum profile	 p;
	size_t		 i;

	for (i = 0; i < ld->nlics; i++)
		used[ld->lics[i].profile]++;
	/* Point at the first user beyond what the licences allow. */
	for (i = 0; i < ld->nlics; i++) {
		p = ld->lics[i].profile;
		held = ld->conf->licences[p];
		if (++seen[p] != held + 1)
			continue;
		cfg_err(ld, ld->lics[i].mark, "profile %s: %d user%s but %d "
		    "licence%s held", config_profile_name(p), used[p],
		    used[p] == 1 ? "" : "s", held, held == 1 ? "" : "s");
	}
}

/* Order two errors by position, then by discovery. */
static int
cfg_errcmp(const void *a, const void *b)
{
	const struct cfg_error	*x = a, *y = b;

	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	if (x->col != y->col)
		return (x->col < y->col ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Hand the collected errors to the caller as "FILE:LINE:COL: message". */
static void
cfg_flush_errors(struct cfg_load *ld, struct config_errors *errs)
{
	struct cfg_error	*e;
	size_t			 i;

	qsort(ld->errv, ld->nerr, sizeof(*ld->errv), cfg_errcmp);
	errs->v = xreallocarray(errs->v, errs->n + ld->nerr,
	    sizeof(*errs->v));
	for (i = 0; i < ld->nerr; i++) {
		e = &ld->errv[i];
		xasprintf(&errs->v[errs->n++], "%s:%lu:%lu: %s", ld->file,
		    e->line, e->col, e->msg);
		free(e->msg);
	}
	free(ld->errv);
	ld->errv = NULL;
	ld->nerr = 0;
}

/* The line and column of byte offset off in f (reader errors give no mark). */
static yaml_mark_t
cfg_offset_mark(FILE *f, size_t off)
{
	yaml_mark_t	 m = { off, 0, 0 };
	size_t		 i;
	int		 ch;

	rewind(f);
	for (i = 0; i < off && (ch = getc(f)) != EOF; i++) {
		if (ch == '\n') {
			m.line++;
			m.column = 0;
		} else
			m.column++;
	}
	return (m);
}

/* Record a libyaml parser failure at its problem mark. */
void
cfg_yaml_error(struct cfg_load *ld, yaml_parser_t *p, FILE *f)
{
	const char	*problem = p->problem != NULL ? p->problem : "bad YAML";

	if (p->error == YAML_READER_ERROR)
		cfg_err(ld, cfg_offset_mark(f, p->problem_offset),
		    "syntax error: %s", problem);
	else if (p->context != NULL)
		cfg_err(ld, p->problem_mark, "syntax error: %s %s", problem,
		    p->context);
	else
		cfg_err(ld, p->problem_mark, "syntax error: %s", problem);
}

/*
 * Parse the file into ld->doc (freed by cfg_yaml_free()); -1 after
 * recording why not.
 */
static int
cfg_parse(struct cfg_load *ld, FILE *f)
{
	yaml_parser_t	 p;
	yaml_document_t	 extra;
	yaml_node_t	*root;
	int		 rv = -1;

	if (!yaml_parser_initialize(&p))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_file(&p, f);
	if (cfg_yaml_load(ld, &p, f) != 0)
		goto out;
	rv = 0;
	if ((root = yaml_document_get_root_node(&ld->doc)) == NULL) {
		yaml_mark_t	 m = { 0, 0, 0 };

		cfg_err(ld, m, "the file is empty");
		goto out;
	}
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&p, &extra))
		cfg_yaml_error(ld, &p, f);
	else {
		if ((root = yaml_document_get_root_node(&extra)) != NULL)
			cfg_err(ld, root->start_mark, "only one YAML document "
			    "is allowed");
		yaml_document_delete(&extra);
	}
out:
	yaml_parser_delete(&p);
	return (rv);
}

/* The absolute directory of the config file, for relative paths. */
static char *
cfg_dir(const char *file)
{
	char	*copy, *slash, *real;

	copy = xstrdup(file);
	if ((slash = strrchr(copy, '/')) == NULL) {
		free(copy);
		copy = xstrdup(".");
	} else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((real = realpath(copy, NULL)) == NULL)
		return (copy);
	free(copy);
	return (real);
}

/*
 * security: defaults, generous enough for a busy office behind one NAT;
 * the host itself is exempt as in fail2ban's ignoreip.
 */
static void
cfg_security_defaults(struct security_cfg *sec)
{
	static const char *scanners[] = {
		"friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent",
		"sundayddr", "iWar", "sip-scan"
	};
	size_t	 i, n = sizeof(scanners) / sizeof(scanners[0]);

	sec->sip_rate = 200;
	sec->sip_burst = 400;
	sec->auth_failures = 20;
	sec->ban_time = 600;
	sec->scanner_user_agents = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++)
		sec->scanner_user_agents[i] = xstrdup(scanners[i]);
	sec->nscanner_user_agents = n;
	sec->exempt = xcalloc(2, sizeof(*sec->exempt));
	if (config_parse_net("127.0.0.0/8", &sec->exempt[0]) == 0 &&
	    config_parse_net("::1", &sec->exempt[1]) == 0)
		sec->nexempt = 2;
}

/* A config holding the defaults of DESIGN.md section 3. */
static struct config *
cfg_defaults(const char *file)
{
	struct config	*c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(file);
	c->lockout_attempts = 4;
	c->lockout_period = 90;
	c->orphan_logout = 24 * 3600;
	c->hold_time = 15;
	cfg_security_defaults(&c->security);
	/* Issue 7: 20 ms of queue is well past a healthy loop's few. */
	c->overload.delay_ms = 20;
	c->overload.retry_after = 5;
	c->user_index = hmap_new();
	c->ext_index = hmap_new();
	return (c);
}

/* Walk the document and run the checks that need all of it. */
static void
cfg_walk(struct cfg_load *ld)
{
	size_t	 i;

	/* The walk indexes users and extensions as it meets them. */
	cfg_map(ld, yaml_document_get_root_node(&ld->doc), "top level",
	    cfg_top_keys, ld->conf);
	for (i = 0; i < ld->nrefs; i++) {
		cfg_resolve(ld, &ld->refs[i]);
		free(ld->refs[i].name);
		free(ld->refs[i].what);
	}
	free(ld->refs);
	cfg_check_licences(ld);
	free(ld->lics);
}

/*
 * Load and validate FILE.  Returns the config, or NULL with every problem
 * appended to errs.
 */
struct config *
config_load(const char *file, struct config_errors *errs)
{
	struct cfg_load	 ld;
	FILE		*f;
	char		*msg;

	memset(&ld, 0, sizeof(ld));
	if ((f = fopen(file, "r")) == NULL) {
		xasprintf(&msg, "%s: cannot open: %s", file, strerror(errno));
		errs->v = xreallocarray(errs->v, errs->n + 1,
		    sizeof(*errs->v));
		errs->v[errs->n++] = msg;
		return (NULL);
	}
	ld.file = file;
	ld.dir = cfg_dir(file);
	ld.conf = cfg_defaults(file);
	ld.seen = hmap_new();
	if (cfg_parse(&ld, f) == 0) {
		if (yaml_document_get_root_node(&ld.doc) != NULL)
			cfg_walk(&ld);
		cfg_yaml_free(&ld);
	}
	fclose(f);
	hmap_free(ld.seen, NULL);
	free(ld.dir);
	if (ld.nerr == 0)
		return (ld.conf);
	cfg_flush_errors(&ld, errs);
	config_free(ld.conf);
	return (NULL);
}
