/*
 * Peer-link instances and their API (DESIGN.md section 5): the configured
 * peers of a site, their settings and reloads, lookups and sends for the
 * upper layers, roamctl peers, and the daemon's one instance built from
 * env->conf.  The sessions themselves live in peer.c, TLS in peer_tls.c.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "peer.h"
#include "peer_frame.h"
#include "peer_int.h"
#include "peer_tls.h"
#include "roamd.h"
#include "xmalloc.h"

/* The daemon's instance, and callbacks registered before it exists. */
static struct peer_net	*peer_global;
static struct peer_cb	 peer_early[PEER_MAXCB];
static size_t		 peer_nearly;

/* Make the state for configured peer cfg. */
static struct peer *
peer_new(struct peer_net *net, const char *name, const struct sockaddr *sa,
    socklen_t salen)
{
	struct peer	*p;
	char		 text[INET6_ADDRSTRLEN + 8];

	p = xcalloc(1, sizeof(*p));
	p->net = net;
	p->name = xstrdup(name);
	memcpy(&p->ss, sa, salen);
	p->sslen = salen;
	peer_addr_text(sa, text, sizeof(text));
	p->address = xstrdup(text);
	p->retry = evtimer_new(net->base, peer_dial, p);
	if (p->retry == NULL)
		fatalx("peer: evtimer_new");
	p->down_reason = "never-up";
	p->next = net->peers;
	net->peers = p;
	return (p);
}

/* Close p's links and free it (it left the config or we stop). */
static void
peer_free(struct peer *p, const char *reason)
{
	p->removed = 1;
	evtimer_del(p->retry);
	if (p->dial != NULL)
		peer_conn_close(p->dial, reason, 0);
	if (p->conn != NULL)
		peer_conn_close(p->conn, reason, 0);
	event_free(p->retry);
	free(p->name);
	free(p->address);
	free(p);
}

/* Copy settings from conf; defaults for what it leaves at 0. */
static void
peer_net_settings(struct peer_net *net, const struct peer_net_conf *conf)
{
	free(net->secret);
	net->secret = xstrdup(conf->secret != NULL ? conf->secret : "");
	net->hold_ms = conf->hold_ms > 0 ? conf->hold_ms : 15000;
	net->backoff_min_ms = conf->backoff_min_ms > 0 ?
	    conf->backoff_min_ms : 1000;
	net->backoff_max_ms = conf->backoff_max_ms > 0 ?
	    conf->backoff_max_ms : 30000;
}

/* Does conf ask for TLS? */
static int
peer_conf_tls(const struct peer_net_conf *conf)
{
	return (conf->tls != NULL && conf->tls->cert != NULL);
}

/* Load network.tls into net (or drop it); -1 with *cause when a file
 * does not load, and net keeps what it had. */
static int
peer_net_tls(struct peer_net *net, const struct peer_net_conf *conf,
    char **cause)
{
	SSL_CTX	*ctx = NULL;

	if (peer_conf_tls(conf) &&
	    (ctx = peer_tls_ctx(conf->tls, net->name, cause)) == NULL)
		return (-1);
	peer_tls_ctx_free(net->tls);
	net->tls = ctx;
	return (0);
}

/* Start dialling p within a quarter of the minimum back-off (at most
 * 250 ms), so that peers are not all dialled at one instant. */
static void
peer_kick(struct peer *p)
{
	struct timeval	 tv;
	uint32_t	 spread = (uint32_t)p->net->backoff_min_ms / 4 + 1;

	if (p->state == PEER_UP || p->dial != NULL)
		return;
	if (spread > 250)
		spread = 250;
	evtimer_add(p->retry, peer_tv(&tv, (int)(peer_rand(p->net) % spread)));
}

/* A new instance: listening, peers dialled once the loop runs. */
struct peer_net *
peer_net_new(struct event_base *base, const struct peer_net_conf *conf,
    char **cause)
{
	struct peer_net	*net;
	struct peer	*p;
	size_t		 i;

	net = xcalloc(1, sizeof(*net));
	net->base = base;
	net->name = xstrdup(conf->site_name);
	net->id = conf->site_id;
	net->epoch = conf->epoch;
	TAILQ_INIT(&net->conns);
	TAILQ_INIT(&net->dead);
	if (RAND_bytes((unsigned char *)&net->rng, sizeof(net->rng)) != 1 ||
	    net->rng == 0)
		net->rng = conf->epoch | 1;
	peer_net_settings(net, conf);
	if ((net->reaper = evtimer_new(base, peer_reap, net)) == NULL)
		fatalx("peer: evtimer_new");
	if (peer_net_tls(net, conf, cause) == -1) {
		peer_net_free(net);
		return (NULL);
	}
	net->listener = evconnlistener_new_bind(base, peer_accept, net,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    16, (const struct sockaddr *)&conf->listen->ss,
	    (int)conf->listen->sslen);
	if (net->listener == NULL) {
		xasprintf(cause, "listen %s: %s", conf->listen->text != NULL ?
		    conf->listen->text : "?", strerror(errno));
		peer_net_free(net);
		return (NULL);
	}
	evconnlistener_set_error_cb(net->listener, peer_accept_error);
	for (i = 0; i < conf->npeers; i++) {
		p = peer_new(net, conf->peers[i].name,
		    (const struct sockaddr *)&conf->peers[i].address.ss,
		    conf->peers[i].address.sslen);
		peer_kick(p);
	}
	return (net);
}

/* Close everything; no callbacks run (the daemon is stopping). */
void
peer_net_free(struct peer_net *net)
{
	struct peer_conn	*c;
	struct peer		*p;

	if (net == NULL)
		return;
	net->ncb = 0;
	while ((p = net->peers) != NULL) {
		net->peers = p->next;
		peer_free(p, "shutdown");
	}
	while ((c = TAILQ_FIRST(&net->conns)) != NULL)
		peer_conn_kill(c);
	if (net->reaper != NULL) {
		peer_reap(-1, 0, net);
		event_free(net->reaper);
	}
	if (net->listener != NULL)
		evconnlistener_free(net->listener);
	peer_tls_ctx_free(net->tls);
	free(net->name);
	if (net->secret != NULL) {
		explicit_bzero(net->secret, strlen(net->secret));
		free(net->secret);
	}
	free(net);
}

/* Is peer name in conf? */
static const struct peer_cfg *
peer_conf_find(const struct peer_net_conf *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->npeers; i++)
		if (strcmp(conf->peers[i].name, name) == 0)
			return (&conf->peers[i]);
	return (NULL);
}

/*
 * Reload network.tls: new certificates apply to the next links (a renewal
 * needs no restart).  Switching TLS on or off closes every link, so that
 * none stays in the mode the admin just left; they come back at once.
 */
static void
peer_net_tls_reload(struct peer_net *net, const struct peer_net_conf *conf)
{
	struct peer_conn	*c, *next;
	char			*cause = NULL;
	int			 was = net->tls != NULL;

	if (peer_net_tls(net, conf, &cause) == -1) {
		log_warnx("reload: %s; peer links keep the old certificates",
		    cause);
		free(cause);
		return;
	}
	if (was == (net->tls != NULL))
		return;
	log_info("peer tls %s: closing every link", net->tls != NULL ?
	    "on" : "off");
	for (c = TAILQ_FIRST(&net->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		peer_conn_close(c, "tls-changed", 0);
	}
}

/* Apply a new config: secret, timers, TLS, peers added/removed/moved. */
void
peer_net_update(struct peer_net *net, const struct peer_net_conf *conf)
{
	struct peer	**pp, *p;
	size_t		  i;

	peer_net_settings(net, conf);
	peer_net_tls_reload(net, conf);
	pp = &net->peers;
	while ((p = *pp) != NULL) {
		if (peer_conf_find(conf, p->name) != NULL) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		log_info("peer removed name=%s", p->name);
		peer_free(p, "removed");
	}
	for (i = 0; i < conf->npeers; i++) {
		if (peer_net_find(net, conf->peers[i].name) != NULL) {
			peer_net_set_address(net, conf->peers[i].name,
			    (const struct sockaddr *)&conf->peers[i].address.ss,
			    conf->peers[i].address.sslen);
			continue;
		}
		log_info("peer added name=%s", conf->peers[i].name);
		peer_kick(peer_new(net, conf->peers[i].name,
		    (const struct sockaddr *)&conf->peers[i].address.ss,
		    conf->peers[i].address.sslen));
	}
}

/* Add callbacks to an instance. */
void
peer_net_register(struct peer_net *net, const struct peer_cb *cb)
{
	if (net->ncb < PEER_MAXCB)
		net->cb[net->ncb++] = *cb;
	else
		log_warnx("peer: too many callback tables");
}

/* The listening port. */
int
peer_net_port(const struct peer_net *net)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	evutil_socket_t		 fd;

	fd = evconnlistener_get_fd(net->listener);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* Readdress a peer; a down one is dialled afresh soon. */
int
peer_net_set_address(struct peer_net *net, const char *name,
    const struct sockaddr *sa, socklen_t salen)
{
	struct peer	*p;
	char		 text[INET6_ADDRSTRLEN + 8];

	if ((p = peer_net_find(net, name)) == NULL ||
	    salen > sizeof(p->ss))
		return (-1);
	if (p->sslen == salen && memcmp(&p->ss, sa, salen) == 0)
		return (0);
	memcpy(&p->ss, sa, salen);
	p->sslen = salen;
	peer_addr_text(sa, text, sizeof(text));
	free(p->address);
	p->address = xstrdup(text);
	if (p->state != PEER_UP) {
		p->attempts = 0;
		evtimer_del(p->retry);
		peer_kick(p);
	}
	return (0);
}

/* Send on p's link. */
int
peer_send(struct peer *p, struct peer_out *o)
{
	if (p == NULL || p->state != PEER_UP || p->conn == NULL)
		return (-1);
	return (peer_conn_write(p->conn, o));
}

/* Send to peer name of net. */
int
peer_net_send(struct peer_net *net, const char *name, struct peer_out *o)
{
	return (peer_send(peer_net_find(net, name), o));
}

/* Send to every up peer of net; each link numbers the frame itself. */
size_t
peer_net_broadcast(struct peer_net *net, struct peer_out *o)
{
	struct peer	*p, *next;
	uint32_t	 seq = peer_frame_seq(o);
	size_t		 n = 0;

	for (p = net->peers; p != NULL; p = next) {
		next = p->next;
		peer_frame_set_seq(o, seq);
		if (peer_send(p, o) == 0)
			n++;
	}
	peer_frame_set_seq(o, seq);
	return (n);
}

/* Peer by name. */
struct peer *
peer_net_find(struct peer_net *net, const char *name)
{
	struct peer	*p;

	if (net == NULL || name == NULL)
		return (NULL);
	for (p = net->peers; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return (p);
	return (NULL);
}

/* Peer by the site id it announced (up or last seen). */
struct peer *
peer_net_by_id(struct peer_net *net, int id)
{
	struct peer	*p;

	if (net == NULL || id <= 0)
		return (NULL);
	for (p = net->peers; p != NULL; p = p->next)
		if (p->id == id)
			return (p);
	return (NULL);
}

/* Call fn on every configured peer. */
void
peer_net_foreach(struct peer_net *net, void (*fn)(struct peer *, void *),
    void *arg)
{
	struct peer	*p, *next;

	if (net == NULL)
		return;
	for (p = net->peers; p != NULL; p = next) {
		next = p->next;
		fn(p, arg);
	}
}

/* Open connections (for tests: one per pair once settled). */
size_t
peer_net_nconns(const struct peer_net *net)
{
	const struct peer_conn	*c;
	size_t			 n = 0;

	TAILQ_FOREACH(c, &net->conns, entry)
		if (c->state != CONN_CLOSING)
			n++;
	return (n);
}

/* Refused handshakes and the last reason. */
unsigned
peer_net_refused(const struct peer_net *net, const char **last)
{
	if (last != NULL)
		*last = net->last_refused;
	return (net->refused);
}

/* The instance p belongs to. */
struct peer_net *
peer_net_of(const struct peer *p)
{
	return (p->net);
}

/* "up" or "down". */
const char *
peer_state_name(enum peer_state s)
{
	return (s == PEER_UP ? "up" : "down");
}

/* Peers sorted by name, for stable output. */
static struct peer **
peer_sorted(struct peer_net *net, size_t *np)
{
	struct peer	**v, *p, *t;
	size_t		  n = 0, i, j;

	for (p = net != NULL ? net->peers : NULL; p != NULL; p = p->next)
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0, p = net != NULL ? net->peers : NULL; p != NULL;
	    p = p->next)
		v[i++] = p;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1]->name, v[j]->name) > 0;
		    j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*np = n;
	return (v);
}

/* The peers as a JSON list (roamctl --json peers, /api/peers). */
void
peer_net_json(struct peer_net *net, struct json *j)
{
	struct peer	**v;
	char		  epoch[17];
	size_t		  n, i;

	v = peer_sorted(net, &n);
	json_arr_begin(j, NULL);
	for (i = 0; i < n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "name", v[i]->name);
		json_str(j, "state", peer_state_name(v[i]->state));
		snprintf(epoch, sizeof(epoch), "%016llx",
		    (unsigned long long)v[i]->epoch);
		json_str(j, "epoch", v[i]->epoch_known ? epoch : NULL);
		if (v[i]->id > 0)
			json_int(j, "id", v[i]->id);
		else
			json_null(j, "id");
		json_str(j, "address", v[i]->address);
		if (v[i]->since != 0)
			json_int(j, "since", (long long)v[i]->since);
		else
			json_null(j, "since");
		json_int(j, "flaps", v[i]->flaps);
		json_str(j, "direction", v[i]->state != PEER_UP ? NULL :
		    v[i]->outbound ? "out" : "in");
		json_str(j, "last_down_reason", v[i]->flaps > 0 ||
		    v[i]->state != PEER_UP ? v[i]->down_reason : NULL);
		json_str(j, "tls", v[i]->state == PEER_UP &&
		    v[i]->conn != NULL && v[i]->conn->tls ?
		    peer_tls_version(v[i]->conn->bev) : NULL);
		json_int(j, "rx", (long long)v[i]->rx);
		json_int(j, "tx", (long long)v[i]->tx);
		json_obj_end(j);
	}
	json_arr_end(j);
	free(v);
}

/* The peers as an aligned text table (malloc'd). */
char *
peer_net_table(struct peer_net *net)
{
	struct peer	**v;
	char		 *out, *next, epoch[17], since[32], id[8];
	struct tm	  tm;
	size_t		  n, i;

	v = peer_sorted(net, &n);
	xasprintf(&out, "%-16s %-5s %-3s %-22s %-16s %-19s %s\n", "NAME",
	    "STATE", "ID", "ADDRESS", "EPOCH", "SINCE", "FLAPS");
	for (i = 0; i < n; i++) {
		snprintf(epoch, sizeof(epoch), "%016llx",
		    (unsigned long long)v[i]->epoch);
		snprintf(id, sizeof(id), "%d", v[i]->id);
		if (v[i]->since == 0 ||
		    localtime_r(&v[i]->since, &tm) == NULL)
			xstrlcpy(since, "-", sizeof(since));
		else
			strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S",
			    &tm);
		xasprintf(&next, "%s%-16s %-5s %-3s %-22s %-16s %-19s %u\n",
		    out, v[i]->name, peer_state_name(v[i]->state),
		    v[i]->id > 0 ? id : "-", v[i]->address,
		    v[i]->epoch_known ? epoch : "-", since, v[i]->flaps);
		free(out);
		out = next;
	}
	free(v);
	return (out);
}

/* Write raw bytes on p's link (tests, fuzzing). */
int
peer_send_raw(struct peer *p, const void *buf, size_t len)
{
	if (p == NULL || p->conn == NULL || p->conn->state != CONN_UP)
		return (-1);
	return (bufferevent_write(p->conn->bev, buf, len));
}

/* Our instance's settings from the running config. */
static void
peer_conf_from_env(struct peer_net_conf *nc)
{
	const struct config	*conf = env->conf;

	memset(nc, 0, sizeof(*nc));
	nc->site_name = conf->site_name;
	nc->site_id = conf->site_id;
	nc->epoch = env->epoch;
	nc->secret = conf->net_secret;
	nc->hold_ms = conf->hold_time * 1000;
	nc->listen = &conf->net_listen;
	nc->peers = conf->peers;
	nc->npeers = conf->npeers;
	nc->tls = &conf->net_tls;
}

/* Bring up the daemon's network (network: in the config). */
int
peer_init(struct event_base *base, char **cause)
{
	struct peer_net_conf	 nc;
	size_t			 i;

	*cause = NULL;
	if (env->conf->net_listen.text == NULL) {
		log_info("peer network off");
		return (0);
	}
	peer_conf_from_env(&nc);
	if ((peer_global = peer_net_new(base, &nc, cause)) == NULL)
		return (-1);
	for (i = 0; i < peer_nearly; i++)
		peer_net_register(peer_global, &peer_early[i]);
	log_info("peer listening on %s peers=%zu hold=%ds tls=%s",
	    env->conf->net_listen.text, env->conf->npeers,
	    env->conf->hold_time, peer_global->tls != NULL ? "on" : "off");
	/* The HMAC handshake authenticates, but frames (users, locations,
	 * settings) cross the network in clear text. */
	if (peer_global->tls == NULL)
		log_warnx("peer links are not encrypted: set network.tls");
	return (0);
}

/* Close every link. */
void
peer_shutdown(void)
{
	peer_net_free(peer_global);
	peer_global = NULL;
}

/* Apply a reloaded config. */
void
peer_reload(void)
{
	struct peer_net_conf	 nc;

	if (peer_global == NULL) {
		if (env->conf->net_listen.text != NULL)
			log_warnx("reload: network: needs a restart");
		return;
	}
	if (env->conf->net_listen.text == NULL ||
	    strcmp(env->conf->site_name, peer_global->name) != 0 ||
	    env->conf->site_id != peer_global->id)
		log_warnx("reload: network listen/site change needs a "
		    "restart");
	peer_conf_from_env(&nc);
	peer_net_update(peer_global, &nc);
}

/* Register the daemon's callbacks. */
void
peer_register(const struct peer_cb *cb)
{
	if (peer_global != NULL) {
		peer_net_register(peer_global, cb);
		return;
	}
	if (peer_nearly < PEER_MAXCB)
		peer_early[peer_nearly++] = *cb;
}

/* Broadcast on the daemon's network. */
size_t
peer_broadcast(struct peer_out *o)
{
	return (peer_global != NULL ? peer_net_broadcast(peer_global, o) : 0);
}

/* The daemon's peer by name. */
struct peer *
peer_find(const char *name)
{
	return (peer_net_find(peer_global, name));
}

/* The daemon's peer by site id. */
struct peer *
peer_by_id(int id)
{
	return (peer_net_by_id(peer_global, id));
}

/* Is the daemon's link to name up? */
int
peer_is_up(const char *name)
{
	struct peer	*p = peer_find(name);

	return (p != NULL && p->state == PEER_UP);
}

/* Every peer of the daemon's network. */
void
peer_foreach(void (*fn)(struct peer *, void *), void *arg)
{
	peer_net_foreach(peer_global, fn, arg);
}

/* roamctl peers --json. */
void
peer_json(struct json *j)
{
	peer_net_json(peer_global, j);
}

/* roamctl peers. */
char *
peer_table(void)
{
	return (peer_net_table(peer_global));
}
