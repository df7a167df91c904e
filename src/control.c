/*
 * The roamctl socket and the commands behind it.
 *
 * The socket is a UNIX stream socket at site.control that only its owner
 * may connect to: the commands show who is where and can reload the
 * config, so file permissions are the access control (no passwords to
 * manage).  The protocol is deliberately the smallest that works with
 * nc(1): one request line "[json ]COMMAND [ARGS]" of at most 1 KiB, then
 * the answer "0\n" (ok) or "1\n" (error) followed by the document, then
 * the daemon closes the connection.  Every command runs to completion in
 * the event loop, so a client never sees half-updated state.
 *
 * control_run() is the whole command layer; the HTTP API calls it too.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "cdr.h"
#include "config.h"
#include "control.h"
#include "directory.h"
#include "events.h"
#include "hotdesk.h"
#include "json.h"
#include "log.h"
#include "peer.h"
#include "registrar.h"
#include "remote.h"
#include "rights.h"
#include "roamd.h"
#include "settings.h"
#include "sip_guard.h"
#include "sip_transport.h"
#include "table.h"
#include "users.h"
#include "xmalloc.h"

/* One request line, without its newline. */
#define CONTROL_MAXLINE		1024
/* Words in a request: "json", the command, and its arguments. */
#define CONTROL_MAXARGS		8
/* Connections at once; an admin's scripts, not a crowd. */
#define CONTROL_MAXCLIENTS	32
/* A client that neither asks nor reads for this long is dropped. */
#define CONTROL_TIMEOUT		10

struct control_client {
	struct bufferevent		*bev;
	int				 answered;
	TAILQ_ENTRY(control_client)	 entry;
};

static TAILQ_HEAD(, control_client) control_clients =
    TAILQ_HEAD_INITIALIZER(control_clients);
static size_t			 control_nclients;
static struct evconnlistener	*control_listener;
static char			*control_path;

/* A command: its name, argument count and handler. */
struct control_cmd {
	const char	*name;
	int		 minargs;
	int		 maxargs;
	const char	*usage;
	int		(*fn)(char **, int, struct evbuffer *, char **);
};

static int	control_status(char **, int, struct evbuffer *, char **);
static int	control_users(char **, int, struct evbuffer *, char **);
static int	control_user(char **, int, struct evbuffer *, char **);
static int	control_regs(char **, int, struct evbuffer *, char **);
static int	control_calls(char **, int, struct evbuffer *, char **);
static int	control_reload(char **, int, struct evbuffer *, char **);
static int	control_peers(char **, int, struct evbuffer *, char **);
static int	control_directory(char **, int, struct evbuffer *, char **);
static int	control_login(char **, int, struct evbuffer *, char **);
static int	control_logout(char **, int, struct evbuffer *, char **);
static int	control_events(char **, int, struct evbuffer *, char **);
static int	control_cdr(char **, int, struct evbuffer *, char **);

static const struct control_cmd control_cmds[] = {
	{ "status",	0, 0, "status",			control_status },
	{ "users",	0, 0, "users",			control_users },
	{ "user",	1, 1, "user NUMBER",		control_user },
	{ "regs",	0, 0, "regs",			control_regs },
	{ "calls",	0, 0, "calls",			control_calls },
	{ "reload",	0, 0, "reload",			control_reload },
	{ "peers",	0, 0, "peers",			control_peers },
	{ "directory",	0, 0, "directory",		control_directory },
	{ "login",	2, 2, "login USER EXTENSION",	control_login },
	{ "logout",	1, 1, "logout USER",		control_logout },
	{ "events",	0, 6, "events [--since T] [--user N] [--limit N]",
	    control_events },
	{ "cdr",	0, 3, "cdr [--since T] [--csv]",	control_cdr },
};

/* Append a finished JSON document and its newline. */
static void
control_json_out(struct json *j, struct evbuffer *b)
{
	char	*doc;
	size_t	 len;

	doc = json_finish(j, &len);
	evbuffer_add(b, doc, len);
	evbuffer_add(b, "\n", 1);
	free(doc);
}

/* Set *err to a formatted message; returns -1 for the caller to pass on. */
static int
control_error(char **err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	return (-1);
}

/* "1d 02:03:04" style uptime for people. */
static void
control_duration(char *buf, size_t len, long long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600,
		    s % 3600 / 60, s % 60);
}

/* Local time as the admin reads it (TZ is site.timezone). */
static void
control_time(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL) {
		xstrlcpy(buf, "-", len);
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Users logged in somewhere on this site. */
static size_t
control_logged_in(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < env->conf->nusers; i++)
		if (hotdesk_user_ext(env->conf->users[i].number) != NULL)
			n++;
	return (n);
}

/* status: who we are and how busy. */
static int
control_status(char **argv, int json, struct evbuffer *b, char **err)
{
	struct config	*conf = env->conf;
	struct json	 j;
	char		 epoch[17], up[32];
	long long	 uptime = (long long)(time(NULL) - env->started);

	snprintf(epoch, sizeof(epoch), "%016llx",
	    (unsigned long long)env->epoch);
	if (json) {
		json_init(&j);
		json_obj_begin(&j, NULL);
		json_str(&j, "site", conf->site_name);
		json_int(&j, "id", conf->site_id);
		json_str(&j, "epoch", epoch);
		json_int(&j, "uptime_s", uptime);
		json_int(&j, "started", (long long)env->started);
		json_str(&j, "domain", conf->domain);
		json_str(&j, "config", env->conffile);
		json_int(&j, "registrations", (long long)registrar_count());
		json_int(&j, "calls", (long long)call_count());
		json_int(&j, "users", (long long)conf->nusers);
		json_int(&j, "users_logged_in", (long long)control_logged_in());
		json_int(&j, "extensions", (long long)conf->nextensions);
		json_int(&j, "trunks", (long long)conf->ntrunks);
		json_int(&j, "sip_rx", (long long)sip_transport_rx());
		json_int(&j, "sip_tx", (long long)sip_transport_tx());
		json_int(&j, "sip_rx_bad", (long long)sip_transport_rx_bad());
		sip_guard_json(&j);
		json_obj_end(&j);
		control_json_out(&j, b);
		return (0);
	}
	control_duration(up, sizeof(up), uptime);
	evbuffer_add_printf(b, "site           %s (id %d)\n", conf->site_name,
	    conf->site_id);
	evbuffer_add_printf(b, "domain         %s\n", conf->domain);
	evbuffer_add_printf(b, "epoch          %s\n", epoch);
	evbuffer_add_printf(b, "uptime         %s\n", up);
	evbuffer_add_printf(b, "users          %zu (%zu logged in)\n",
	    conf->nusers, control_logged_in());
	evbuffer_add_printf(b, "extensions     %zu\n", conf->nextensions);
	evbuffer_add_printf(b, "trunks         %zu\n", conf->ntrunks);
	evbuffer_add_printf(b, "registrations  %zu\n", registrar_count());
	evbuffer_add_printf(b, "calls          %zu\n", call_count());
	evbuffer_add_printf(b, "sip messages   %llu received, %llu sent, "
	    "%llu refused as malformed\n",
	    (unsigned long long)sip_transport_rx(),
	    (unsigned long long)sip_transport_tx(),
	    (unsigned long long)sip_transport_rx_bad());
	evbuffer_add_printf(b, "sip bans       %zu (total %llu)\n",
	    sip_guard_banned(), (unsigned long long)sip_guard_bans_total());
	return (0);
}

/* D5: the name of the user rights in force now, or NULL. */
static const char *
control_rights_now(const struct user *u)
{
	const struct user_rights	*r;

	r = rights_effective(env->conf, u->user_rights,
	    u->out_of_hours_user_rights, u->working_hours_time_profile,
	    time(NULL));
	return (r != NULL ? r->name : NULL);
}

/* R8: appearance buttons of or onto a remote hot desker do not operate. */
static int
control_button_active(const struct user *u, const struct button *btn)
{
	return (remote_button_active(u, btn));
}

/*
 * Where a user is: logged in here, or (R1) on another site as the
 * directory says; home is another site for a visitor.
 */
static void
control_where(const struct user *u, const char **home, const char **site,
    const char **ext)
{
	const struct dir_entry	*e;

	*home = user_visitor_home(u->number);
	if (*home == NULL)
		*home = env->conf->site_name;
	*ext = hotdesk_user_ext(u->number);
	*site = *ext != NULL ? env->conf->site_name : NULL;
	if (*ext == NULL && (e = directory_lookup(u->number)) != NULL &&
	    e->site != NULL && strcmp(e->site, env->conf->site_name) != 0) {
		*site = e->site;
		*ext = e->ext;
	}
}

/*
 * DND and forwarding as they are now: a change from the handset wins over
 * the YAML until the admin edits that field (settings.h), so show what
 * the phone set, not what the file says.
 */
static void
control_settings(const struct user *u, struct user_settings *out)
{
	const struct user_settings	*cur = settings_get(u->number);

	if (cur != NULL) {
		*out = *cur;
		return;
	}
	out->dnd = u->dnd;
	out->fwd_number = u->forward.number;
	out->fwd_unconditional = u->forward.unconditional;
	out->fwd_busy = u->forward.on_busy;
	out->fwd_no_answer = u->forward.on_no_answer;
	out->no_answer_time = u->forward.no_answer_time;
}

/* H2: wrong login codes in a row, and the lock's end while it lasts. */
static int
control_lock(const struct user *u, time_t *until)
{
	int	 failures;

	failures = hotdesk_lock_state(u->number, until);
	if (*until <= time(NULL))
		*until = 0;
	return (failures);
}

/* The buttons of a user as JSON objects. */
static void
control_buttons_json(struct json *j, const struct user *u)
{
	const struct button	*btn;
	size_t			 i;

	json_arr_begin(j, "buttons");
	for (i = 0; i < u->nbuttons; i++) {
		btn = &u->buttons[i];
		json_obj_begin(j, NULL);
		json_str(j, "type", config_button_name(btn->type));
		json_bool(j, "active", control_button_active(u, btn));
		if (btn->user != NULL)
			json_str(j, "user", btn->user);
		if (btn->trunk != NULL)
			json_str(j, "trunk", btn->trunk);
		if (btn->number != NULL)
			json_str(j, "number", btn->number);
		if (btn->site != NULL)
			json_str(j, "site", btn->site);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* One user as a JSON object (DESIGN.md section 6). */
static void
control_user_json(struct json *j, const struct user *u)
{
	const char		*ext, *site, *home;
	struct user_settings	 us;
	time_t			 since, until;
	int			 failures;

	control_where(u, &home, &site, &ext);
	control_settings(u, &us);
	failures = control_lock(u, &until);
	since = hotdesk_user_since(u->number);
	json_obj_begin(j, NULL);
	json_str(j, "number", u->number);
	json_str(j, "name", u->name);
	json_str(j, "home", home);
	json_str(j, "site", site);
	json_str(j, "extension", ext);
	json_str(j, "state", site != NULL ? "logged_in" : "logged_out");
	if (since != 0)
		json_int(j, "logged_in_since", (long long)since);
	else
		json_null(j, "logged_in_since");
	json_int(j, "login_failures", failures);
	if (until != 0)
		json_int(j, "locked_until", (long long)until);
	else
		json_null(j, "locked_until");
	json_str(j, "profile", config_profile_name(u->profile));
	json_str(j, "user_rights", u->user_rights);
	json_str(j, "out_of_hours_user_rights", u->out_of_hours_user_rights);
	json_str(j, "working_hours_time_profile",
	    u->working_hours_time_profile);
	json_str(j, "effective_user_rights", control_rights_now(u));
	json_bool(j, "dnd", us.dnd);
	json_obj_begin(j, "forward");
	json_str(j, "number", us.fwd_number);
	json_bool(j, "unconditional", us.fwd_unconditional);
	json_bool(j, "on_busy", us.fwd_busy);
	json_bool(j, "on_no_answer", us.fwd_no_answer);
	json_int(j, "no_answer_time", us.no_answer_time);
	json_obj_end(j);
	json_obj_begin(j, "mobile_twinning");
	json_str(j, "number", u->twinning_number);
	json_bool(j, "enabled", u->twinning_enabled);
	json_obj_end(j);
	control_buttons_json(j, u);
	json_bool(j, "force_login", u->force_login);
	json_obj_end(j);
}

/* users: every user of this site. */
static int
control_users(char **argv, int json, struct evbuffer *b, char **err)
{
	static const char	*head[] = { "NUMBER", "NAME", "STATE",
				    "SITE", "EXTENSION", "PROFILE", "RIGHTS" };
	struct config		*conf = env->conf;
	struct table	 t;
	struct json		 j;
	const struct user	*u;
	const char		*row[7], *ext, *home, *site;
	size_t			 i;

	if (json) {
		json_init(&j);
		json_arr_begin(&j, NULL);
		for (i = 0; i < conf->nusers; i++)
			control_user_json(&j, &conf->users[i]);
		json_arr_end(&j);
		control_json_out(&j, b);
		return (0);
	}
	if (conf->nusers == 0) {
		evbuffer_add_printf(b, "no users configured\n");
		return (0);
	}
	table_init(&t, head, 7);
	for (i = 0; i < conf->nusers; i++) {
		u = &conf->users[i];
		control_where(u, &home, &site, &ext);
		row[0] = u->number;
		row[1] = u->name;
		row[2] = site != NULL ? "logged_in" : "logged_out";
		row[3] = site;
		row[4] = ext;
		row[5] = config_profile_name(u->profile);
		row[6] = control_rights_now(u);
		table_row(&t, row);
	}
	table_print(&t, b);
	return (0);
}

/* "on"/"off" for people. */
static const char *
control_onoff(int v)
{
	return (v ? "on" : "off");
}

/* The buttons of one user as a table. */
static void
control_buttons_text(struct evbuffer *b, const struct user *u)
{
	static const char	*head[] = { "BUTTON", "TYPE", "TARGET",
				    "ACTIVE" };
	struct table	 t;
	const struct button	*btn;
	const char		*row[4];
	char			 num[32], target[128];
	size_t			 i;

	if (u->nbuttons == 0) {
		evbuffer_add_printf(b, "buttons                none\n");
		return;
	}
	evbuffer_add_printf(b, "\n");
	table_init(&t, head, 4);
	for (i = 0; i < u->nbuttons; i++) {
		btn = &u->buttons[i];
		snprintf(num, sizeof(num), "%zu", i + 1);
		target[0] = '\0';
		if (btn->user != NULL)
			snprintf(target, sizeof(target), "user %s", btn->user);
		else if (btn->trunk != NULL)
			snprintf(target, sizeof(target), "trunk %s",
			    btn->trunk);
		else if (btn->number != NULL)
			snprintf(target, sizeof(target), "number %s",
			    btn->number);
		else if (btn->site != NULL)
			snprintf(target, sizeof(target), "site %s", btn->site);
		row[0] = num;
		row[1] = config_button_name(btn->type);
		row[2] = target;
		row[3] = control_button_active(u, btn) ? "yes" : "no";
		table_row(&t, row);
	}
	table_print(&t, b);
}

/* One user's detail for people. */
static void
control_user_text(struct evbuffer *b, const struct user *u)
{
	const char		*ext, *site, *home;
	const char		*eff = control_rights_now(u);
	struct user_settings	 us;
	char			 since[32], until[32];
	time_t			 lock;
	int			 failures;

	control_where(u, &home, &site, &ext);
	control_settings(u, &us);
	failures = control_lock(u, &lock);
	control_time(since, sizeof(since), hotdesk_user_since(u->number));
	control_time(until, sizeof(until), lock);

#define KV(k, fmt, ...) \
	evbuffer_add_printf(b, "%-22s " fmt "\n", k, __VA_ARGS__)
	KV("number", "%s", u->number);
	KV("name", "%s", u->name);
	KV("home", "%s", home);
	KV("site", "%s", site != NULL ? site : "-");
	KV("extension", "%s", ext != NULL ? ext : "-");
	KV("state", "%s", site != NULL ? "logged_in" : "logged_out");
	KV("logged in since", "%s", since);
	if (lock != 0)
		KV("login", "locked until %s (%d wrong codes)", until,
		    failures);
	else
		KV("login", "%d wrong codes in a row", failures);
	KV("profile", "%s", config_profile_name(u->profile));
	KV("user rights", "%s", u->user_rights != NULL ? u->user_rights : "-");
	KV("out of hours rights", "%s", u->out_of_hours_user_rights != NULL ?
	    u->out_of_hours_user_rights : "-");
	KV("time profile", "%s", u->working_hours_time_profile != NULL ?
	    u->working_hours_time_profile : "-");
	KV("effective rights", "%s", eff != NULL ? eff : "-");
	KV("dnd", "%s", control_onoff(us.dnd));
	KV("forward to", "%s", us.fwd_number != NULL ? us.fwd_number : "-");
	KV("forward unconditional", "%s", control_onoff(us.fwd_unconditional));
	KV("forward on busy", "%s", control_onoff(us.fwd_busy));
	KV("forward on no answer", "%s after %ds",
	    control_onoff(us.fwd_no_answer), us.no_answer_time);
	if (u->twinning_number != NULL)
		KV("mobile twinning", "%s (%s)", u->twinning_number,
		    control_onoff(u->twinning_enabled));
	else
		KV("mobile twinning", "%s", "-");
	KV("force login", "%s", u->force_login ? "yes" : "no");
#undef KV
	control_buttons_text(b, u);
}

/* user NUMBER: everything about one user. */
/*
 * A user of another site who is not here: what the directory knows (R1),
 * with the keys of DESIGN.md section 6; their settings live at home.
 */
static int
control_user_network(const char *number, int json, struct evbuffer *b,
    char **err)
{
	const struct dir_entry	*d;
	struct json		 j;

	if ((d = directory_lookup(number)) == NULL)
		return (control_error(err, "no such user %s", number));
	if (!json) {
		evbuffer_add_printf(b, "number         %s\n"
		    "name           %s\nhome           %s\n"
		    "site           %s\nextension      %s\n"
		    "state          %s\n(settings are kept at %s)\n",
		    d->number, d->name != NULL ? d->name : "-", d->home,
		    d->site != NULL ? d->site : "-",
		    d->ext != NULL ? d->ext : "-",
		    d->site != NULL ? "logged_in" : "logged_out", d->home);
		return (0);
	}
	json_init(&j);
	json_obj_begin(&j, NULL);
	json_str(&j, "number", d->number);
	json_str(&j, "name", d->name);
	json_str(&j, "home", d->home);
	json_str(&j, "site", d->site);
	json_str(&j, "extension", d->ext);
	json_str(&j, "state", d->site != NULL ? "logged_in" : "logged_out");
	json_null(&j, "profile");
	json_null(&j, "effective_user_rights");
	json_null(&j, "dnd");
	json_null(&j, "forward");
	json_arr_begin(&j, "buttons");
	json_arr_end(&j);
	json_int(&j, "generation", (long long)d->generation);
	json_obj_end(&j);
	control_json_out(&j, b);
	return (0);
}

static int
control_user(char **argv, int json, struct evbuffer *b, char **err)
{
	const struct user	*u;
	struct json		 j;

	if ((u = user_find(argv[1])) == NULL)
		return (control_user_network(argv[1], json, b, err));
	if (json) {
		json_init(&j);
		control_user_json(&j, u);
		control_json_out(&j, b);
	} else
		control_user_text(b, u);
	return (0);
}

/* A registration copied out of the registrar, for sorting. */
struct control_reg {
	char		*ext;
	char		*contact;
	char		*source;
	char		*user_agent;
	char		*callid;
	time_t		 expires;
};

struct control_regs {
	struct control_reg	*v;
	size_t			 n;
};

/* registrar_foreach callback: copy one binding. */
static void
control_regs_add(const struct reg_binding *rb, void *arg)
{
	struct control_regs	*rs = arg;
	struct control_reg	*r;
	char			 peer[128];

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	r->ext = xstrdup(rb->ext);
	r->contact = xstrdup(rb->contact != NULL ? rb->contact : "");
	r->source = xstrdup(sip_peer_text(&rb->peer, peer, sizeof(peer)));
	r->user_agent = rb->user_agent != NULL ? xstrdup(rb->user_agent) :
	    NULL;
	r->callid = rb->callid != NULL ? xstrdup(rb->callid) : NULL;
	r->expires = rb->expires;
}

/* Sort by extension, then contact. */
static int
control_reg_cmp(const void *a, const void *b)
{
	const struct control_reg	*ra = a, *rb = b;
	int				 c;

	if ((c = strcmp(ra->ext, rb->ext)) != 0)
		return (c);
	return (strcmp(ra->contact, rb->contact));
}

/* Free the copies. */
static void
control_regs_free(struct control_regs *rs)
{
	size_t	 i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].ext);
		free(rs->v[i].contact);
		free(rs->v[i].source);
		free(rs->v[i].user_agent);
		free(rs->v[i].callid);
	}
	free(rs->v);
}

/* regs as JSON. */
static void
control_regs_json(struct evbuffer *b, struct control_regs *rs, time_t now)
{
	struct control_reg	*r;
	struct json		 j;
	size_t			 i;

	json_init(&j);
	json_arr_begin(&j, NULL);
	for (i = 0; i < rs->n; i++) {
		r = &rs->v[i];
		json_obj_begin(&j, NULL);
		json_str(&j, "extension", r->ext);
		json_str(&j, "user", hotdesk_ext_user(r->ext));
		json_str(&j, "contact", r->contact);
		json_int(&j, "expires", r->expires > now ?
		    (long long)(r->expires - now) : 0);
		json_str(&j, "source", r->source);
		json_str(&j, "user_agent", r->user_agent);
		json_str(&j, "call_id", r->callid);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	control_json_out(&j, b);
}

/* regs as a table. */
static void
control_regs_text(struct evbuffer *b, struct control_regs *rs, time_t now)
{
	static const char	*head[] = { "EXTENSION", "USER", "CONTACT",
				    "SOURCE", "EXPIRES", "USER-AGENT" };
	struct table	 t;
	struct control_reg	*r;
	const char		*row[6];
	char			 exp[32];
	size_t			 i;

	if (rs->n == 0) {
		evbuffer_add_printf(b, "no registrations\n");
		return;
	}
	table_init(&t, head, 6);
	for (i = 0; i < rs->n; i++) {
		r = &rs->v[i];
		snprintf(exp, sizeof(exp), "%llds", r->expires > now ?
		    (long long)(r->expires - now) : 0);
		row[0] = r->ext;
		row[1] = hotdesk_ext_user(r->ext);
		row[2] = r->contact;
		row[3] = r->source;
		row[4] = exp;
		row[5] = r->user_agent;
		table_row(&t, row);
	}
	table_print(&t, b);
}

/* regs: every registered contact. */
static int
control_regs(char **argv, int json, struct evbuffer *b, char **err)
{
	struct control_regs	 rs = { NULL, 0 };
	time_t			 now = time(NULL);

	registrar_foreach(control_regs_add, &rs);
	if (rs.n > 1)
		qsort(rs.v, rs.n, sizeof(*rs.v), control_reg_cmp);
	if (json)
		control_regs_json(b, &rs, now);
	else
		control_regs_text(b, &rs, now);
	control_regs_free(&rs);
	return (0);
}

/* A call copied out of the B2BUA, for sorting. */
struct control_call {
	char		*callid;
	char		*caller;
	char		*caller_ext;
	char		*callee;
	char		*state;
	char		*trunk;
	time_t		 start;
	time_t		 answer;
};

struct control_calls {
	struct control_call	*v;
	size_t			 n;
};

/* xstrdup that keeps NULL. */
static char *
control_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* call_foreach callback: copy one call. */
static void
control_calls_add(const struct call_info *ci, void *arg)
{
	struct control_calls	*cs = arg;
	struct control_call	*c;

	cs->v = xreallocarray(cs->v, cs->n + 1, sizeof(*cs->v));
	c = &cs->v[cs->n++];
	c->callid = control_dup(ci->callid);
	c->caller = control_dup(ci->caller);
	c->caller_ext = control_dup(ci->caller_ext);
	c->callee = control_dup(ci->callee);
	c->state = control_dup(ci->state);
	c->trunk = control_dup(ci->trunk);
	c->start = ci->start;
	c->answer = ci->answer;
}

/* Oldest call first. */
static int
control_call_cmp(const void *a, const void *b)
{
	const struct control_call	*ca = a, *cb = b;

	if (ca->start != cb->start)
		return (ca->start < cb->start ? -1 : 1);
	return (strcmp(ca->callid != NULL ? ca->callid : "",
	    cb->callid != NULL ? cb->callid : ""));
}

/* Free the copies. */
static void
control_calls_free(struct control_calls *cs)
{
	size_t	 i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].callid);
		free(cs->v[i].caller);
		free(cs->v[i].caller_ext);
		free(cs->v[i].callee);
		free(cs->v[i].state);
		free(cs->v[i].trunk);
	}
	free(cs->v);
}

/* calls as JSON; times are seconds since the epoch, answer null if not. */
static void
control_calls_json(struct evbuffer *b, struct control_calls *cs, time_t now)
{
	struct control_call	*c;
	struct json		 j;
	size_t			 i;

	json_init(&j);
	json_arr_begin(&j, NULL);
	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		json_obj_begin(&j, NULL);
		json_str(&j, "call_id", c->callid);
		json_str(&j, "caller", c->caller);
		json_str(&j, "caller_extension", c->caller_ext);
		json_str(&j, "callee", c->callee);
		json_str(&j, "state", c->state);
		json_int(&j, "start", (long long)c->start);
		if (c->answer != 0) {
			json_int(&j, "answer", (long long)c->answer);
			json_int(&j, "duration_s", (long long)(now -
			    c->answer));
		} else {
			json_null(&j, "answer");
			json_int(&j, "duration_s", 0);
		}
		json_str(&j, "trunk", c->trunk);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	control_json_out(&j, b);
}

/* calls as a table. */
static void
control_calls_text(struct evbuffer *b, struct control_calls *cs, time_t now)
{
	static const char	*head[] = { "CALL-ID", "CALLER", "EXTENSION",
				    "CALLEE", "STATE", "STARTED", "TALKING",
				    "TRUNK" };
	struct table	 t;
	struct control_call	*c;
	const char		*row[8];
	char			 start[32], talk[32];
	size_t			 i;

	if (cs->n == 0) {
		evbuffer_add_printf(b, "no calls\n");
		return;
	}
	table_init(&t, head, 8);
	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		control_time(start, sizeof(start), c->start);
		if (c->answer != 0)
			control_duration(talk, sizeof(talk), now - c->answer);
		else
			xstrlcpy(talk, "-", sizeof(talk));
		row[0] = c->callid;
		row[1] = c->caller;
		row[2] = c->caller_ext;
		row[3] = c->callee;
		row[4] = c->state;
		row[5] = start;
		row[6] = talk;
		row[7] = c->trunk;
		table_row(&t, row);
	}
	table_print(&t, b);
}

/* calls: every call in progress. */
static int
control_calls(char **argv, int json, struct evbuffer *b, char **err)
{
	struct control_calls	 cs = { NULL, 0 };
	time_t			 now = time(NULL);

	call_foreach(control_calls_add, &cs);
	if (cs.n > 1)
		qsort(cs.v, cs.n, sizeof(*cs.v), control_call_cmp);
	if (json)
		control_calls_json(b, &cs, now);
	else
		control_calls_text(b, &cs, now);
	control_calls_free(&cs);
	return (0);
}

/* reload: re-read the config; a broken one is refused with its errors. */
static int
control_reload(char **argv, int json, struct evbuffer *b, char **err)
{
	struct json	 j;
	char		*errs = NULL;
	size_t		 len;

	log_info("control reload");
	if (roamd_reload(&errs) == -1) {
		if (errs == NULL || errs[0] == '\0') {
			free(errs);
			return (control_error(err, "reload failed"));
		}
		len = strlen(errs);
		while (len > 0 && errs[len - 1] == '\n')
			errs[--len] = '\0';
		*err = errs;
		return (-1);
	}
	free(errs);
	if (json) {
		json_init(&j);
		json_obj_begin(&j, NULL);
		json_bool(&j, "reloaded", 1);
		json_int(&j, "users", (long long)env->conf->nusers);
		json_int(&j, "extensions", (long long)env->conf->nextensions);
		json_obj_end(&j);
		control_json_out(&j, b);
	} else
		evbuffer_add_printf(b, "configuration reloaded\n");
	return (0);
}

/* The user's state after an admin change, as `user N` shows it. */
static int
control_user_after(const char *number, int json, struct evbuffer *b)
{
	char	*argv[2] = { "user", (char *)number }, *err = NULL;

	if (control_user(argv, json, b, &err) == -1) {
		free(err);
		return (-1);
	}
	return (0);
}

/* login USER EXT: an admin logs a user in at a phone (H1). */
static int
control_login(char **argv, int json, struct evbuffer *b, char **err)
{
	const char	*cause;

	if (user_find(argv[1]) == NULL)
		return (control_error(err, "no such user %s", argv[1]));
	if (config_extension(env->conf, argv[2]) == NULL)
		return (control_error(err, "no such extension %s", argv[2]));
	if (hotdesk_login(argv[1], argv[2], HDR_ADMIN, &cause) == -1)
		return (control_error(err, "login failed: %s", cause));
	return (control_user_after(argv[1], json, b));
}

/*
 * logout USER: an admin logs a user out; H3 fallbacks apply.  A user of
 * ours sitting on another site is released there and comes home.
 */
static int
control_logout(char **argv, int json, struct evbuffer *b, char **err)
{
	const char	*cause;

	if (user_find(argv[1]) == NULL)
		return (control_error(err, "no such user %s", argv[1]));
	if (hotdesk_user_ext(argv[1]) == NULL && remote_home_away(argv[1])) {
		if (remote_home_admin_logout(argv[1], &cause) == -1)
			return (control_error(err, "user %s: %s", argv[1],
			    cause));
	} else if (hotdesk_logout(argv[1], HDR_ADMIN, &cause) == -1)
		return (control_error(err, "user %s: %s", argv[1], cause));
	return (control_user_after(argv[1], json, b));
}

/* peers: the peer sites and their links (peer.c). */
static int
control_peers(char **argv, int json, struct evbuffer *b, char **err)
{
	struct json	 j;
	char		*text;

	if (json) {
		json_init(&j);
		peer_json(&j);
		control_json_out(&j, b);
		return (0);
	}
	text = peer_table();
	evbuffer_add(b, text, strlen(text));
	free(text);
	return (0);
}

/* directory: every network user, home and where they are (R1). */
static int
control_directory(char **argv, int json, struct evbuffer *b, char **err)
{
	struct json	 j;
	char		*text;

	if (json) {
		json_init(&j);
		directory_json(&j);
		control_json_out(&j, b);
		return (0);
	}
	text = directory_table();
	evbuffer_add(b, text, strlen(text));
	free(text);
	return (0);
}

/* Words of a command after its name (argv is NULL-terminated). */
static int
control_nargs(char **argv)
{
	int	 n = 0;

	while (argv[n + 1] != NULL)
		n++;
	return (n);
}

/* events [--since T] [--user N] [--limit N]: the audit log, oldest first. */
static int
control_events(char **argv, int json, struct evbuffer *b, char **err)
{
	const char	*user;
	time_t		 since;
	int		 limit, rc;

	if (events_parse_args(control_nargs(argv), argv + 1, &since, &user,
	    &limit, err) == -1)
		return (-1);
	if (json)
		rc = events_json(since, user, limit, b);
	else
		rc = events_text(since, user, limit, b);
	if (rc == -1)
		return (control_error(err, "events: database error"));
	return (0);
}

/* cdr [--since T] [--csv]: call records as a table, CSV or JSON. */
static int
control_cdr(char **argv, int json, struct evbuffer *b, char **err)
{
	time_t	 since;
	int	 csv, rc;

	if (cdr_parse_args(control_nargs(argv), argv + 1, &since, &csv,
	    err) == -1)
		return (-1);
	if (json && !csv)
		rc = cdr_json(since, b);
	else
		rc = cdr_text(since, csv, b);
	if (rc == -1)
		return (control_error(err, "cdr: database error"));
	return (0);
}

/* Split line into words in place; returns the count or -1 if too many. */
static int
control_split(char *line, char **argv)
{
	char	*p = line, *w;
	int	 argc = 0;

	while ((w = strsep(&p, " \t\r\n")) != NULL) {
		if (*w == '\0')
			continue;
		if (argc == CONTROL_MAXARGS)
			return (-1);
		argv[argc++] = w;
	}
	return (argc);
}

/* Find a command by name. */
static const struct control_cmd *
control_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(control_cmds) / sizeof(control_cmds[0]); i++)
		if (strcmp(control_cmds[i].name, name) == 0)
			return (&control_cmds[i]);
	return (NULL);
}

/* Take the text out of an evbuffer as a C string. */
static char *
control_drain(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s;

	s = xmalloc(len + 1);
	if (evbuffer_remove(b, s, len) != (int)len)
		fatalx("evbuffer_remove");
	s[len] = '\0';
	return (s);
}

/* Check the words against the command table and run the command. */
static int
control_dispatch(char **argv, int argc, int json, char **out)
{
	const struct control_cmd	*cmd;
	struct evbuffer			*b;
	char				*err = NULL;
	int				 rc;

	if (argc == 0)
		return (control_error(out, "no command"));
	if ((cmd = control_find(argv[0])) == NULL)
		return (control_error(out, "unknown command: %s", argv[0]));
	if (argc - 1 < cmd->minargs || argc - 1 > cmd->maxargs)
		return (control_error(out, "usage: %s", cmd->usage));
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	rc = cmd->fn(argv, json, b, &err);
	if (rc == 0)
		*out = control_drain(b);
	else
		*out = err != NULL ? err : xstrdup("failed");
	evbuffer_free(b);
	return (rc);
}

/* Run one request line (also used by the HTTP API). */
int
control_run(const char *line, int json, char **out)
{
	char	*copy, *argv[CONTROL_MAXARGS + 1];
	int	 argc, rc;

	*out = NULL;
	if (strlen(line) > CONTROL_MAXLINE)
		return (control_error(out, "request too long"));
	copy = xstrdup(line);
	if ((argc = control_split(copy, argv)) == -1) {
		free(copy);
		return (control_error(out, "too many arguments"));
	}
	/* "json " in front asks for the JSON document. */
	if (argc > 0 && strcmp(argv[0], "json") == 0) {
		json = 1;
		argc--;
		memmove(argv, argv + 1, argc * sizeof(*argv));
	}
	argv[argc] = NULL;	/* handlers with optional words count them */
	rc = control_dispatch(argv, argc, json, out);
	free(copy);
	return (rc);
}

/* Forget a client and close its connection. */
static void
control_client_free(struct control_client *c)
{
	TAILQ_REMOVE(&control_clients, c, entry);
	control_nclients--;
	bufferevent_free(c->bev);
	free(c);
}

/* The answer has left: close (the client reads until EOF). */
static void
control_client_written(struct bufferevent *bev, void *arg)
{
	control_client_free(arg);
}

/* Send "0\n" or "1\n", the document, and close once it is written. */
static void
control_client_answer(struct control_client *c, int rc, const char *text)
{
	size_t	 len = strlen(text);

	c->answered = 1;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, control_client_written,
	    NULL, c);
	bufferevent_write(c->bev, rc == 0 ? "0\n" : "1\n", 2);
	bufferevent_write(c->bev, text, len);
	if (len > 0 && text[len - 1] != '\n')
		bufferevent_write(c->bev, "\n", 1);
}

/* Run the request line and answer it. */
static void
control_client_request(struct control_client *c, const char *line)
{
	char	*out = NULL;
	int	 rc;

	log_debug("control request \"%s\"", line);
	rc = control_run(line, 0, &out);
	control_client_answer(c, rc, out);
	free(out);
}

/* Bytes from a client: wait for one whole line, at most 1 KiB. */
static void
control_client_read(struct bufferevent *bev, void *arg)
{
	struct control_client	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_MAXLINE + 1)
			control_client_answer(c, 1, "request too long");
		return;
	}
	if (len > CONTROL_MAXLINE)
		control_client_answer(c, 1, "request too long");
	else
		control_client_request(c, line);
	free(line);
}

/* EOF, error or timeout on a client. */
static void
control_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	/* A client that shut down its side without a newline still asks. */
	if ((what & BEV_EVENT_EOF) && !c->answered &&
	    (len = evbuffer_get_length(in)) > 0 && len <= CONTROL_MAXLINE) {
		line = xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		control_client_request(c, line);
		free(line);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control client timed out");
	control_client_free(c);
}

/* A new connection on the control socket. */
static void
control_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct event_base	*base = evconnlistener_get_base(l);
	struct control_client	*c;
	struct timeval		 tv = { CONTROL_TIMEOUT, 0 };

	if (control_nclients >= CONTROL_MAXCLIENTS) {
		log_warnx("control: too many clients, connection refused");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("control: bufferevent_socket_new failed");
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&control_clients, c, entry);
	control_nclients++;
	/* Stop reading once more than one request line is waiting. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_MAXLINE + 2);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setcb(c->bev, control_client_read, NULL,
	    control_client_event, c);
	bufferevent_enable(c->bev, EV_READ);
}

/* accept(2) failed: log it; the listener keeps going. */
static void
control_accept_error(struct evconnlistener *l, void *arg)
{
	log_warn("control accept");
}

/*
 * Remove a socket left by a daemon that died, but never a file that is
 * not a socket nor a socket someone still answers on (a second roamd
 * with the same config must not steal the first one's socket).
 */
static int
control_unlink_stale(const struct sockaddr_un *sun, char **cause)
{
	struct stat	 st;
	int		 fd, live;

	if (lstat(sun->sun_path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "%s: %s", sun->sun_path, strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(cause, "%s exists and is not a socket",
		    sun->sun_path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	if (live) {
		xasprintf(cause, "%s is in use by a running process",
		    sun->sun_path);
		return (-1);
	}
	if (unlink(sun->sun_path) == -1) {
		xasprintf(cause, "unlink %s: %s", sun->sun_path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Bind the socket owner-only: umask before bind, chmod to be sure. */
static int
control_bind(const struct sockaddr_un *sun, char **cause)
{
	mode_t	 old;
	int	 fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	old = umask(077);
	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (rc == -1) {
		xasprintf(cause, "bind %s: %s", sun->sun_path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (chmod(sun->sun_path, 0600) == -1) {
		xasprintf(cause, "chmod %s: %s", sun->sun_path,
		    strerror(errno));
		unlink(sun->sun_path);
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Open the control socket at path. */
int
control_init(struct event_base *base, const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	int			 fd;

	*cause = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		xasprintf(cause, "%s: path too long (at most %zu bytes)", path,
		    sizeof(sun.sun_path) - 1);
		return (-1);
	}
	xstrlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (control_unlink_stale(&sun, cause) == -1)
		return (-1);
	if ((fd = control_bind(&sun, cause)) == -1)
		return (-1);
	control_listener = evconnlistener_new(base, control_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (control_listener == NULL) {
		xasprintf(cause, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(control_listener, control_accept_error);
	control_path = xstrdup(path);
	log_info("control listening on %s", path);
	return (0);
}

/* Close the socket and every client; remove the socket file. */
void
control_shutdown(void)
{
	struct control_client	*c;

	while ((c = TAILQ_FIRST(&control_clients)) != NULL)
		control_client_free(c);
	if (control_listener != NULL) {
		evconnlistener_free(control_listener);
		control_listener = NULL;
	}
	if (control_path != NULL) {
		unlink(control_path);
		free(control_path);
		control_path = NULL;
	}
}
