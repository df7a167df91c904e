/*
 * The config's small public helpers: address and duration parsing, the
 * name tables of the enums, lookups and freeing.  The YAML walk itself is
 * in config.c.  Lookups are linear on purpose: they run at start-up and in
 * tests; the hot path builds its own hash maps from struct config.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hmap.h"
#include "xmalloc.h"

static const char *config_features[SC_FEATURE_MAX] = {
	"dial", "dial_extn", "dial_emergency", "barred", "busy",
	"extn_login", "extn_logout", "break_out", "dnd_on", "dnd_off",
	"forward_unconditional_on", "forward_unconditional_off",
	"forward_busy_on", "forward_busy_off",
	"forward_no_answer_on", "forward_no_answer_off",
	"forward_number", "cancel_forwarding"
};

static const char *config_profiles[PROFILE_MAX] = {
	"basic", "office_worker", "teleworker", "mobile_worker", "power_user"
};

static const char *config_buttons[BTN_MAX] = {
	"call_appearance", "bridged_appearance", "coverage_appearance",
	"line_appearance", "speed_dial", "dnd", "break_out"
};

/* The YAML name of a short-code feature. */
const char *
config_feature_name(enum sc_feature f)
{
	if ((unsigned)f >= SC_FEATURE_MAX)
		return ("unknown");
	return (config_features[f]);
}

/* The YAML name of a profile. */
const char *
config_profile_name(enum profile p)
{
	if ((unsigned)p >= PROFILE_MAX)
		return ("unknown");
	return (config_profiles[p]);
}

/* The YAML name of a button type. */
const char *
config_button_name(enum button_type b)
{
	if ((unsigned)b >= BTN_MAX)
		return ("unknown");
	return (config_buttons[b]);
}

/* The prefix word of a transport. */
const char *
config_transport_name(enum sip_transport t)
{
	switch (t) {
	case SIPT_UDP:
		return ("udp");
	case SIPT_TCP:
		return ("tcp");
	case SIPT_TLS:
		return ("tls");
	}
	return ("unknown");
}

/* Find NAME in a table of n names; -1 when absent. */
static int
config_lookup_name(const char **table, int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i], name) == 0)
			return (i);
	}
	return (-1);
}

/* Feature by YAML name; -1 when unknown. */
int
config_feature_lookup(const char *name)
{
	return (config_lookup_name(config_features, SC_FEATURE_MAX, name));
}

/* Profile by YAML name; -1 when unknown. */
int
config_profile_lookup(const char *name)
{
	return (config_lookup_name(config_profiles, PROFILE_MAX, name));
}

/* Button type by YAML name; -1 when unknown. */
int
config_button_lookup(const char *name)
{
	return (config_lookup_name(config_buttons, BTN_MAX, name));
}

/* Parse a decimal port 1-65535; -1 when it is not one. */
static int
config_parse_port(const char *s)
{
	long	 port = 0;

	if (*s == '\0' || strlen(s) > 5)
		return (-1);
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		port = port * 10 + (*s - '0');
	}
	if (port < 1 || port > 65535)
		return (-1);
	return ((int)port);
}

/* Split "[v6]:port" or "v4:port" into a sockaddr. */
static int
config_parse_sockaddr(const char *s, struct cfg_addr *a, const char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->ss;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*end, *colon;
	size_t			 len;
	int			 port;

	memset(&a->ss, 0, sizeof(a->ss));
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			*cause = "missing ']' after IPv6 address";
			return (-1);
		}
		if (end[1] != ':') {
			*cause = "missing port (ADDR:PORT)";
			return (-1);
		}
		colon = end + 1;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*cause = "missing port (ADDR:PORT)";
			return (-1);
		}
		if (memchr(s, ':', colon - s) != NULL) {
			*cause = "IPv6 address must be in brackets, "
			    "e.g. [::1]:5060";
			return (-1);
		}
		end = colon;
	}
	len = end - s;
	if (len == 0 || len >= sizeof(host)) {
		*cause = "not a numeric IPv4 or IPv6 address";
		return (-1);
	}
	memcpy(host, s, len);
	host[len] = '\0';
	if ((port = config_parse_port(colon + 1)) == -1) {
		*cause = "port must be 1-65535";
		return (-1);
	}
	if (end != colon && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->sslen = sizeof(*sin6);
		return (0);
	}
	if (end == colon && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->sslen = sizeof(*sin);
		return (0);
	}
	*cause = "not a numeric IPv4 or IPv6 address";
	return (-1);
}

/* Strip a "udp:"/"tcp:"/"tls:" prefix; -1 for another word before ':'. */
static int
config_parse_transport(const char **s, enum sip_transport *t,
    const char **cause)
{
	const char	*p;

	*t = SIPT_UDP;
	if (strncmp(*s, "udp:", 4) == 0)
		*t = SIPT_UDP;
	else if (strncmp(*s, "tcp:", 4) == 0)
		*t = SIPT_TCP;
	else if (strncmp(*s, "tls:", 4) == 0)
		*t = SIPT_TLS;
	else {
		/* "sip:1.2.3.4:5060": a word that is no transport. */
		for (p = *s; isalpha((unsigned char)*p); p++)
			;
		if (p != *s && *p == ':' && strchr(p + 1, ':') != NULL &&
		    strspn(*s, "abcdefABCDEF") != (size_t)(p - *s)) {
			*cause = "unknown transport (use udp:, tcp: or tls:)";
			return (-1);
		}
		return (0);
	}
	*s += 4;
	return (0);
}

/* Parse "udp:1.2.3.4:5060" (or "1.2.3.4:5060", transport UDP). */
int
config_parse_addr(const char *s, struct cfg_addr *a, const char **cause)
{
	const char		*rest = s;
	enum sip_transport	 t;

	if (config_parse_transport(&rest, &t, cause) == -1)
		return (-1);
	if (config_parse_sockaddr(rest, a, cause) == -1)
		return (-1);
	a->transport = t;
	a->text = xstrdup(s);
	return (0);
}

/* Parse a plain "ADDR:PORT" (peer link, HTTP): no transport prefix. */
int
config_parse_hostport(const char *s, struct cfg_addr *a, const char **cause)
{
	if (strncmp(s, "udp:", 4) == 0 || strncmp(s, "tcp:", 4) == 0 ||
	    strncmp(s, "tls:", 4) == 0) {
		*cause = "no transport prefix here: write ADDR:PORT";
		return (-1);
	}
	if (config_parse_sockaddr(s, a, cause) == -1)
		return (-1);
	a->transport = SIPT_TCP;
	a->text = xstrdup(s);
	return (0);
}

/* Parse "10.0.0.0/8" or "::1" (a single host without /bits); 0 or -1. */
int
config_parse_net(const char *s, struct cfg_net *n)
{
	char		 host[INET6_ADDRSTRLEN];
	const char	*slash;
	size_t		 len;
	int		 bits = -1, max;

	memset(n, 0, sizeof(*n));
	slash = strchr(s, '/');
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(host))
		return (-1);
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return (-1);
	if (slash == NULL)
		bits = max;
	else if (slash[1] != '\0' && strlen(slash + 1) <= 3 &&
	    strspn(slash + 1, "0123456789") == strlen(slash + 1))
		bits = atoi(slash + 1);
	if (bits < 0 || bits > max)
		return (-1);
	n->prefix = bits;
	return (0);
}

/* Parse "30s", "15m", "24h", "90" (seconds); -1 on error. */
int
config_parse_duration(const char *s)
{
	long long	 v = 0;
	const char	*p;
	int		 mult = 1;

	for (p = s; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return (-1);
	}
	if (p == s)
		return (-1);
	switch (*p) {
	case '\0':
		return ((int)v);
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	default:
		return (-1);
	}
	if (p[1] != '\0' || v * mult > INT_MAX)
		return (-1);
	return ((int)(v * mult));
}

/* Index val under number; the first of duplicate numbers stays. */
static void
config_index_put(struct hmap *idx, const char *number, void *val)
{
	void	*first;

	/* One hash per entry; a duplicate (rare) puts the first back. */
	if (number != NULL && (first = hmap_put(idx, number, val)) != NULL)
		hmap_put(idx, number, first);
}

/*
 * Index users and extensions by number once the config is walked:
 * references are resolved, reloads diffed and hot desks looked up by
 * number, and a linear scan per lookup made 100,000 users take minutes
 * to load.  The first of duplicate numbers wins, as a scan would.
 */
void
config_index(struct config *c)
{
	size_t	 i;

	hmap_free(c->user_index, NULL);
	hmap_free(c->ext_index, NULL);
	c->user_index = hmap_new();
	c->ext_index = hmap_new();
	for (i = 0; i < c->nusers; i++)
		config_index_put(c->user_index, c->users[i].number,
		    &c->users[i]);
	for (i = 0; i < c->nextensions; i++)
		config_index_put(c->ext_index, c->extensions[i].number,
		    &c->extensions[i]);
}

/* The user with number NUMBER, or NULL. */
struct user *
config_user(const struct config *c, const char *number)
{
	size_t	 i;

	if (number == NULL)
		return (NULL);
	if (c->user_index != NULL)
		return (hmap_get(c->user_index, number));
	for (i = 0; i < c->nusers; i++) {
		if (c->users[i].number != NULL &&
		    strcmp(c->users[i].number, number) == 0)
			return (&c->users[i]);
	}
	return (NULL);
}

/* The extension with number NUMBER, or NULL. */
struct extension *
config_extension(const struct config *c, const char *number)
{
	size_t	 i;

	if (number == NULL)
		return (NULL);
	if (c->ext_index != NULL)
		return (hmap_get(c->ext_index, number));
	for (i = 0; i < c->nextensions; i++) {
		if (c->extensions[i].number != NULL &&
		    strcmp(c->extensions[i].number, number) == 0)
			return (&c->extensions[i]);
	}
	return (NULL);
}

/* The trunk named NAME, or NULL. */
struct trunk *
config_trunk(const struct config *c, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < c->ntrunks; i++) {
		if (c->trunks[i].name != NULL &&
		    strcmp(c->trunks[i].name, name) == 0)
			return (&c->trunks[i]);
	}
	return (NULL);
}

/* The user rights named NAME, or NULL. */
struct user_rights *
config_rights(const struct config *c, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < c->nuser_rights; i++) {
		if (c->user_rights[i].name != NULL &&
		    strcmp(c->user_rights[i].name, name) == 0)
			return (&c->user_rights[i]);
	}
	return (NULL);
}

/* The time profile named NAME, or NULL. */
struct time_profile *
config_time_profile(const struct config *c, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < c->ntime_profiles; i++) {
		if (c->time_profiles[i].name != NULL &&
		    strcmp(c->time_profiles[i].name, name) == 0)
			return (&c->time_profiles[i]);
	}
	return (NULL);
}

/* The peer named NAME, or NULL. */
struct peer_cfg *
config_peer(const struct config *c, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < c->npeers; i++) {
		if (c->peers[i].name != NULL &&
		    strcmp(c->peers[i].name, name) == 0)
			return (&c->peers[i]);
	}
	return (NULL);
}

/* Free the strings of a short-code list. */
static void
config_free_shortcodes(struct shortcode_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].code);
		free(l->v[i].number);
		free(l->v[i].trunk);
		free(l->v[i].site);
	}
	free(l->v);
}

/* Free the TLS file names. */
static void
config_free_tls(struct tls_cfg *t)
{
	free(t->ca);
	free(t->cert);
	free(t->key);
}

/* Free what one user points to (also for a visitor's record, users.c). */
void
config_free_user(struct user *u)
{
	size_t	 i;

	free(u->number);
	free(u->name);
	free(u->login_code);
	free(u->user_rights);
	free(u->out_of_hours_user_rights);
	free(u->working_hours_time_profile);
	free(u->forward.number);
	free(u->twinning_number);
	config_free_shortcodes(&u->short_codes);
	for (i = 0; i < u->nbuttons; i++) {
		free(u->buttons[i].user);
		free(u->buttons[i].trunk);
		free(u->buttons[i].number);
		free(u->buttons[i].site);
	}
	free(u->buttons);
	for (i = 0; i < u->nallowed_prefixes; i++)
		free(u->allowed_prefixes[i]);
	free(u->allowed_prefixes);
}

/* Free one trunk. */
static void
config_free_trunk(struct trunk *t)
{
	size_t	 i;

	free(t->name);
	free(t->address.text);
	free(t->auth_username);
	free(t->auth_password);
	for (i = 0; i < t->nincoming; i++) {
		free(t->incoming[i].ddi);
		free(t->incoming[i].destination);
	}
	free(t->incoming);
}

/* Free the site-level lists: time profiles, rights, peers. */
static void
config_free_lists(struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->ntime_profiles; i++) {
		free(c->time_profiles[i].name);
		free(c->time_profiles[i].weekly);
		free(c->time_profiles[i].dates);
	}
	free(c->time_profiles);
	for (i = 0; i < c->nuser_rights; i++) {
		free(c->user_rights[i].name);
		config_free_shortcodes(&c->user_rights[i].short_codes);
	}
	free(c->user_rights);
	for (i = 0; i < c->npeers; i++) {
		free(c->peers[i].name);
		free(c->peers[i].address.text);
		free(c->peers[i].sip.text);
	}
	free(c->peers);
	for (i = 0; i < c->nsip; i++)
		free(c->sip[i].text);
	free(c->sip);
}

/* Free a config and everything it holds; NULL is fine. */
void
config_free(struct config *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	hmap_free(c->user_index, NULL);
	hmap_free(c->ext_index, NULL);
	config_free_lists(c);
	config_free_shortcodes(&c->short_codes);
	for (i = 0; i < c->ntrunks; i++)
		config_free_trunk(&c->trunks[i]);
	free(c->trunks);
	for (i = 0; i < c->nextensions; i++) {
		free(c->extensions[i].number);
		free(c->extensions[i].password);
		free(c->extensions[i].base_user);
		free(c->extensions[i].location);
	}
	free(c->extensions);
	for (i = 0; i < c->nusers; i++)
		config_free_user(&c->users[i]);
	free(c->users);
	config_free_tls(&c->sip_tls);
	config_free_tls(&c->net_tls);
	for (i = 0; i < c->security.nscanner_user_agents; i++)
		free(c->security.scanner_user_agents[i]);
	free(c->security.scanner_user_agents);
	free(c->security.exempt);
	free(c->path);
	free(c->site_name);
	free(c->domain);
	free(c->database);
	free(c->control);
	free(c->http);
	free(c->http_token_file);
	free(c->timezone);
	free(c->net_listen.text);
	if (c->net_secret != NULL) {
		explicit_bzero(c->net_secret, strlen(c->net_secret));
		free(c->net_secret);
	}
	free(c);
}

/* Free the collected error lines. */
void
config_errors_free(struct config_errors *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}
