/*
 * The registrar (RFC 3261 section 10.3).
 *
 * Extensions are looked up in a hash map built from the config at start
 * and at every reload (number -> extension and its HA1), so a REGISTER
 * costs the same with ten phones or ten thousand.  Each extension (address
 * of record) holds a short list of bindings; each binding has its own
 * libevent timer for its expiry (libevent keeps timers in a min-heap, so
 * nothing is ever scanned).  Every change is written through db.c, whose
 * per-iteration batching keeps this off the disk's critical path; at start
 * the bindings are read back so phones stay reachable across a restart.
 *
 * A binding remembers where its REGISTER came from (transport, address,
 * port, connection): a phone behind NAT is only reachable there, whatever
 * its Contact says.
 *
 * Acknowledge only what is stored (issue "crash safety"): the 200 goes out
 * from db_after_commit(), once the batch holding the bindings is
 * committed, so a kill -9 cannot lose a registration the phone was told
 * about.  When the change cannot be stored (disk full, read-only
 * database) the phone gets 500 Cannot Store Change and the extension's
 * bindings are read back from the database, so memory keeps what is
 * stored and calls keep being routed to it.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "hmap.h"
#include "log.h"
#include "registrar.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "xmalloc.h"

/* More bindings than a desk phone and a few softphones is a misconfig. */
#define REG_MAX_BINDINGS	10

/* One binding and its expiry timer. */
struct reg_entry {
	struct reg_binding	 b;
	struct event		*timer;
	struct reg_aor		*aor;
	TAILQ_ENTRY(reg_entry)	 entry;
};
TAILQ_HEAD(reg_entries, reg_entry);

/* The bindings of one extension. */
struct reg_aor {
	char			*ext;
	struct reg_entries	 entries;
	size_t			 n;
};

/* A configured extension and its digest HA1. */
struct reg_ext {
	struct extension	*ext;
	char			 ha1[33];
};

/* One contact of a REGISTER, validated before anything changes. */
struct reg_update {
	char		*uri;
	int		 expires;	/* seconds, 0 = remove */
};

/* A REGISTER whose 200 waits for its bindings' COMMIT. */
struct reg_pending {
	struct sip_tx			*tx;
	char				*ext;
	time_t				 now;
	TAILQ_ENTRY(reg_pending)	 entry;
};
TAILQ_HEAD(reg_pendings, reg_pending);

/* registrar_restore(): one extension's rows, and expired ones seen. */
struct reg_restore {
	const char	*ext;
	struct hmap	*gone;
};

static struct reg_pendings reg_pending = TAILQ_HEAD_INITIALIZER(reg_pending);
static struct hmap	*reg_exts;	/* number -> struct reg_ext */
static struct hmap	*reg_aors;	/* number -> struct reg_aor */
static size_t		 reg_total;

static void	registrar_expire_cb(evutil_socket_t, short, void *);

/* Drop the entries of extensions the running config no longer has. */
static void
registrar_prune_ext(const char *key, void *val, void *arg)
{
	struct reg_ext	*re = val;

	if (re->ext != config_extension(env->conf, key)) {
		hmap_del(reg_exts, key);
		free(re);
	}
}

/*
 * Build the extension map from the running config.  On a reload the
 * entries are updated in place (pointer and HA1): freeing and allocating
 * 100,000 of them again made a reload slower for nothing.  The old
 * config is never read here, it may be gone.
 */
static void
registrar_build_exts(void)
{
	struct extension	*e;
	struct reg_ext		*re;
	size_t			 i;

	if (env == NULL || env->conf == NULL) {
		hmap_free(reg_exts, free);
		reg_exts = NULL;
		return;
	}
	if (reg_exts == NULL)
		reg_exts = hmap_new();
	for (i = 0; i < env->conf->nextensions; i++) {
		e = &env->conf->extensions[i];
		if ((re = hmap_get(reg_exts, e->number)) == NULL) {
			re = xcalloc(1, sizeof(*re));
			hmap_put(reg_exts, e->number, re);
		}
		re->ext = e;
		auth_ha1(e->number, env->conf->domain,
		    e->password != NULL ? e->password : "", re->ha1);
	}
	hmap_foreach(reg_exts, registrar_prune_ext, NULL);
}

/* The bindings of ext, created on demand. */
static struct reg_aor *
registrar_aor(const char *ext, int create)
{
	struct reg_aor	*aor;

	if ((aor = hmap_get(reg_aors, ext)) != NULL || !create)
		return (aor);
	aor = xcalloc(1, sizeof(*aor));
	aor->ext = xstrdup(ext);
	TAILQ_INIT(&aor->entries);
	hmap_put(reg_aors, ext, aor);
	return (aor);
}

/* Free an entry's memory (not its db row). */
static void
registrar_entry_free(struct reg_entry *re)
{
	if (re->timer != NULL)
		event_free(re->timer);
	free(re->b.ext);
	free(re->b.contact);
	free(re->b.callid);
	free(re->b.user_agent);
	free(re);
}

/* Unlink an entry from its extension; drop the extension when empty. */
static void
registrar_unlink(struct reg_entry *re)
{
	struct reg_aor	*aor = re->aor;

	TAILQ_REMOVE(&aor->entries, re, entry);
	aor->n--;
	reg_total--;
	if (aor->n == 0) {
		hmap_del(reg_aors, aor->ext);
		free(aor->ext);
		free(aor);
	}
	registrar_entry_free(re);
}

/* Remove a binding from memory and the database; -1: not stored. */
static int
registrar_remove(struct reg_entry *re)
{
	int	 rc;

	rc = db_reg_del(re->b.ext, re->b.contact);
	registrar_unlink(re);
	return (rc);
}

/* (Re-)arm the expiry timer of an entry. */
static void
registrar_arm(struct reg_entry *re, time_t now)
{
	struct timeval	 tv;

	if (re->timer == NULL && env != NULL && env->base != NULL)
		re->timer = evtimer_new(env->base, registrar_expire_cb, re);
	if (re->timer == NULL)
		return;
	tv.tv_sec = re->b.expires > now ? re->b.expires - now : 0;
	tv.tv_usec = 0;
	evtimer_add(re->timer, &tv);
}

/* Write a binding through to the database; 0 or -1. */
static int
registrar_persist(const struct reg_entry *re)
{
	struct db_reg	 r;
	char		 peer[80];

	memset(&r, 0, sizeof(r));
	r.ext = re->b.ext;
	r.contact = re->b.contact;
	r.peer = sip_peer_text(&re->b.peer, peer, sizeof(peer));
	r.callid = re->b.callid;
	r.cseq = re->b.cseq;
	r.user_agent = re->b.user_agent;
	r.expires = re->b.expires;
	return (db_reg_put(&r));
}

/* A binding's time is up (its own timer). */
static void
registrar_expire_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct reg_entry	*re = arg;
	time_t			 now = time(NULL);

	/* A timer can fire a little early against time(): wait it out. */
	if (re->b.expires > now) {
		registrar_arm(re, now);
		return;
	}
	log_info("register expired ext=%s contact=%s call=%s", re->b.ext,
	    re->b.contact, re->b.callid != NULL ? re->b.callid : "-");
	/* Not stored: the row comes back at start and expires there. */
	(void)registrar_remove(re);
}

/* Find the binding of ext for contact. */
static struct reg_entry *
registrar_find(struct reg_aor *aor, const char *contact)
{
	struct reg_entry	*re;

	if (aor == NULL)
		return (NULL);
	TAILQ_FOREACH(re, &aor->entries, entry) {
		if (strcmp(re->b.contact, contact) == 0)
			return (re);
	}
	return (NULL);
}

/* Add a new entry to an extension, making room if it is full. */
static struct reg_entry *
registrar_add(const char *ext, const char *contact)
{
	struct reg_aor		*aor = registrar_aor(ext, 1);
	struct reg_entry	*re, *old, *soonest = NULL;

	if (aor->n >= REG_MAX_BINDINGS) {
		TAILQ_FOREACH(old, &aor->entries, entry) {
			if (soonest == NULL ||
			    old->b.expires < soonest->b.expires)
				soonest = old;
		}
		log_info("register evicted ext=%s contact=%s", ext,
		    soonest->b.contact);
		(void)registrar_remove(soonest);
		aor = registrar_aor(ext, 1);
	}
	re = xcalloc(1, sizeof(*re));
	re->b.ext = xstrdup(ext);
	re->b.contact = xstrdup(contact);
	re->aor = aor;
	TAILQ_INSERT_TAIL(&aor->entries, re, entry);
	aor->n++;
	reg_total++;
	return (re);
}

/* Replace a string field. */
static void
registrar_set_str(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

/* Load one stored binding at start (collects the ones to delete). */
static void
registrar_load_one(const struct db_reg *r, void *arg)
{
	struct hmap		*gone = arg;
	struct reg_entry	*re;
	struct sip_peer		 peer;
	time_t			 now = time(NULL);
	char			 key[512];

	if (r->expires <= now || hmap_get(reg_exts, r->ext) == NULL ||
	    r->peer == NULL || sip_peer_parse(r->peer, &peer) != 0) {
		snprintf(key, sizeof(key), "%s\n%s", r->ext, r->contact);
		hmap_put(gone, key, NULL);
		return;
	}
	re = registrar_add(r->ext, r->contact);
	re->b.peer = peer;
	re->b.expires = r->expires;
	re->b.cseq = r->cseq;
	registrar_set_str(&re->b.callid, r->callid);
	registrar_set_str(&re->b.user_agent, r->user_agent);
	registrar_arm(re, now);
}

/* Delete a stored binding found expired or orphaned at start. */
static void
registrar_drop_stored(const char *key, void *val, void *arg)
{
	char	*ext, *contact;

	ext = xstrdup(key);
	if ((contact = strchr(ext, '\n')) != NULL) {
		*contact++ = '\0';
		db_reg_del(ext, contact);
	}
	free(ext);
}

/* Build the extension map and restore bindings from the db. */
void
registrar_init(void)
{
	struct hmap	*gone;

	registrar_build_exts();
	if (reg_aors == NULL)
		reg_aors = hmap_new();
	gone = hmap_new();
	db_reg_foreach(registrar_load_one, gone);
	hmap_foreach(gone, registrar_drop_stored, NULL);
	log_info("registrar started bindings=%zu dropped=%zu", reg_total,
	    hmap_count(gone));
	hmap_free(gone, NULL);
}

/* Free an extension's bindings from memory only (they stay in the db). */
static void
registrar_free_aor(const char *key, void *val, void *arg)
{
	struct reg_aor		*aor = val;
	size_t			 n;

	/* The last unlink frees aor itself: count, do not re-read it. */
	for (n = aor->n; n > 0; n--)
		registrar_unlink(TAILQ_FIRST(&aor->entries));
}

/* Free everything; the db keeps the bindings for the next start. */
void
registrar_shutdown(void)
{
	/* Answer the REGISTERs waiting for a COMMIT while we still can. */
	if (!TAILQ_EMPTY(&reg_pending))
		db_flush();
	if (reg_aors != NULL)
		hmap_foreach(reg_aors, registrar_free_aor, NULL);
	hmap_free(reg_aors, NULL);
	reg_aors = NULL;
	hmap_free(reg_exts, free);
	reg_exts = NULL;
	reg_total = 0;
}

/* Drop every binding of an extension that is no longer configured. */
static void
registrar_reload_aor(const char *key, void *val, void *arg)
{
	struct reg_aor		*aor = val;
	size_t			 n;

	if (hmap_get(reg_exts, key) != NULL)
		return;
	log_info("unregister ext=%s reason=\"extension removed\"", key);
	db_reg_del(key, NULL);
	/* The last unlink frees aor itself: count, do not re-read it. */
	for (n = aor->n; n > 0; n--)
		registrar_unlink(TAILQ_FIRST(&aor->entries));
}

/* The config changed: new HA1s, and bindings of removed extensions go. */
void
registrar_reload(void)
{
	registrar_build_exts();
	if (reg_aors != NULL)
		hmap_foreach(reg_aors, registrar_reload_aor, NULL);
}

/* Send a response with an optional extra header. */
static void
registrar_reply(struct sip_tx *tx, const struct sip_msg *req,
    enum sip_answer ans, const char *hname, const char *hvalue)
{
	struct sip_msg	*resp;

	resp = sip_msg_response(req, sip_answer_code(ans),
	    sip_answer_reason(ans), sip_tx_local_tag(tx));
	if (resp == NULL) {
		log_warnx("registrar: cannot build %d response",
		    sip_answer_code(ans));
		return;
	}
	if (hname != NULL)
		sip_msg_add_header(resp, hname, hvalue);
	sip_tx_respond(tx, resp);
}

/* Challenge: 401 WWW-Authenticate or 407 Proxy-Authenticate. */
static void
registrar_challenge(struct sip_tx *tx, const struct sip_msg *req, int proxy,
    int stale)
{
	char	 buf[512];

	auth_challenge(buf, sizeof(buf), env->conf->domain, stale,
	    time(NULL));
	if (proxy)
		registrar_reply(tx, req, ANS_PROXY_AUTH_REQUIRED,
		    "Proxy-Authenticate", buf);
	else
		registrar_reply(tx, req, ANS_UNAUTHORIZED, "WWW-Authenticate",
		    buf);
}

/* The source of a transaction as text. */
static const char *
registrar_src(struct sip_tx *tx, char *buf, size_t len)
{
	const struct sip_peer	*p = sip_tx_peer(tx);

	if (p == NULL)
		return ("-");
	return (sip_peer_text(p, buf, len));
}

/*
 * Digest check shared by REGISTER and other requests.  user is the
 * identity the request claims (To user for REGISTER, NULL for others: the
 * credentials name the extension).  Returns the extension, or NULL after
 * answering.
 */
static struct reg_ext *
registrar_check(struct sip_tx *tx, const struct sip_msg *req,
    const char *user, int proxy)
{
	struct sip_auth		 a;
	struct reg_ext		*re;
	enum auth_result	 res;
	const char		*realm = env->conf->domain, *why;
	char			 src[80];

	memset(&a, 0, sizeof(a));
	if (sip_msg_auth(req, proxy ? "Proxy-Authorization" :
	    "Authorization", &a) != 0 || a.realm == NULL ||
	    strcmp(a.realm, realm) != 0) {
		registrar_challenge(tx, req, proxy, 0);
		return (NULL);
	}
	re = a.username != NULL ? hmap_get(reg_exts, a.username) : NULL;
	if (a.username == NULL || (user != NULL &&
	    strcmp(a.username, user) != 0))
		why = "wrong user";
	else if (re == NULL)
		why = "unknown extension";
	else {
		res = auth_check(&a, sip_msg_method(req), realm, re->ha1,
		    time(NULL));
		if (res == AUTH_OK)
			return (re);
		if (res == AUTH_STALE || res == AUTH_NONE) {
			registrar_challenge(tx, req, proxy, res == AUTH_STALE);
			return (NULL);
		}
		why = auth_cause();
	}
	log_warnx("%s failed ext=%s src=%s reason=\"%s\" call=%s",
	    proxy ? "auth" : "register", user != NULL ? user :
	    (a.username != NULL ? a.username : "-"),
	    registrar_src(tx, src, sizeof(src)), why,
	    sip_msg_callid(req) != NULL ? sip_msg_callid(req) : "-");
	sip_guard_auth_failed(sip_tx_peer(tx));
	registrar_reply(tx, req, ANS_FORBIDDEN, NULL, NULL);
	return (NULL);
}

/* Free the validated contact list. */
static void
registrar_updates_free(struct reg_update *u, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(u[i].uri);
	free(u);
}

/*
 * Validate every Contact before changing anything (RFC 3261 10.3 steps 6
 * and 7): expiry from the contact's param, else Expires, else the default,
 * capped at REG_MAX_EXPIRES; too brief is 423.  Returns the count, or -1
 * after answering; *star for "Contact: *".
 */
static ssize_t
registrar_parse_contacts(struct sip_tx *tx, const struct sip_msg *req,
    struct reg_update **out, int *star)
{
	struct sip_contact	 c;
	struct reg_update	*u;
	size_t			 i, n = sip_msg_ncontacts(req);
	int			 hdr = sip_msg_expires(req), exp;
	char			 min[16];

	*out = NULL;
	*star = 0;
	u = xcalloc(n + 1, sizeof(*u));
	for (i = 0; i < n; i++) {
		if (sip_msg_contact(req, i, &c) != 0 || c.uri == NULL)
			goto bad;
		if (strcmp(c.uri, "*") == 0) {
			/* RFC 3261 10.2.2: "*" only alone with Expires: 0. */
			if (n != 1 || hdr != 0)
				goto bad;
			*star = 1;
		}
		exp = c.expires >= 0 ? c.expires :
		    (hdr >= 0 ? hdr : REG_DEFAULT_EXPIRES);
		if (exp > REG_MAX_EXPIRES)
			exp = REG_MAX_EXPIRES;
		if (exp > 0 && exp < REG_MIN_EXPIRES) {
			registrar_updates_free(u, i);
			snprintf(min, sizeof(min), "%d", REG_MIN_EXPIRES);
			registrar_reply(tx, req, ANS_INTERVAL_TOO_BRIEF,
			    "Min-Expires", min);
			return (-1);
		}
		u[i].uri = xstrdup(c.uri);
		u[i].expires = exp;
	}
	*out = u;
	return ((ssize_t)n);
bad:
	registrar_updates_free(u, i);
	registrar_reply(tx, req, ANS_BAD_REQUEST, NULL, NULL);
	return (-1);
}

/*
 * RFC 3261 10.3 step 7: a request from the same Call-ID with a CSeq not
 * higher than the binding's is out of order; leave that binding alone.
 */
static int
registrar_out_of_order(const struct reg_entry *re, const struct sip_msg *req)
{
	const char	*callid = sip_msg_callid(req);

	return (re->b.callid != NULL && callid != NULL &&
	    strcmp(re->b.callid, callid) == 0 &&
	    sip_msg_cseq(req) <= re->b.cseq);
}

/* Remove one binding because its phone asked to; -1: not stored. */
static int
registrar_unregister(struct reg_entry *re, const char *src,
    const struct sip_msg *req)
{
	log_info("unregister ext=%s contact=%s src=%s call=%s", re->b.ext,
	    re->b.contact, src, sip_msg_callid(req) != NULL ?
	    sip_msg_callid(req) : "-");
	return (registrar_remove(re));
}

/* Apply one validated contact of ext; -1 when it could not be stored. */
static int
registrar_apply(struct sip_tx *tx, const struct sip_msg *req,
    const char *ext, const struct reg_update *u, time_t now)
{
	struct reg_entry	*re;
	const char		*ua = sip_msg_header(req, "User-Agent");
	const char		*callid;
	char			 src[80];
	int			 refresh;

	registrar_src(tx, src, sizeof(src));
	re = registrar_find(registrar_aor(ext, 0), u->uri);
	if (re != NULL && registrar_out_of_order(re, req)) {
		log_debug("register ignored ext=%s contact=%s reason="
		    "\"old cseq\"", ext, u->uri);
		return (0);
	}
	if (u->expires == 0)
		return (re != NULL ? registrar_unregister(re, src, req) : 0);
	/* A refresh from where the phone already was is not news for the
	 * admin (a phone refreshes every few minutes; a storm of them is
	 * thousands a second): debug.  A new binding or a move is info. */
	refresh = re != NULL && (sip_tx_peer(tx) == NULL ||
	    sip_peer_equal(&re->b.peer, sip_tx_peer(tx)));
	if (re == NULL)
		re = registrar_add(ext, u->uri);
	if (sip_tx_peer(tx) != NULL)
		re->b.peer = *sip_tx_peer(tx);
	re->b.expires = now + u->expires;
	re->b.cseq = sip_msg_cseq(req);
	registrar_set_str(&re->b.callid, sip_msg_callid(req));
	registrar_set_str(&re->b.user_agent, ua);
	registrar_arm(re, now);
	if (registrar_persist(re) != 0)
		return (-1);
	callid = re->b.callid != NULL ? re->b.callid : "-";
	if (refresh)
		log_debug("register refresh ext=%s contact=%s expires=%d"
		    " call=%s", ext, u->uri, u->expires, callid);
	else
		log_info("register ok ext=%s contact=%s expires=%d src=%s"
		    " call=%s", ext, u->uri, u->expires, src, callid);
	return (0);
}

/* "Contact: *" with Expires: 0: remove every binding of ext; 0 or -1. */
static int
registrar_remove_all(struct sip_tx *tx, const struct sip_msg *req,
    const char *ext)
{
	struct reg_aor		*aor = registrar_aor(ext, 0);
	struct reg_entry	*re, *next;
	char			 src[80];
	int			 rc = 0;

	if (aor == NULL)
		return (0);
	registrar_src(tx, src, sizeof(src));
	/* The aor is freed with its last entry, which is always re. */
	for (re = TAILQ_FIRST(&aor->entries); re != NULL; re = next) {
		next = TAILQ_NEXT(re, entry);
		if (!registrar_out_of_order(re, req) &&
		    registrar_unregister(re, src, req) != 0)
			rc = -1;
	}
	return (rc);
}

/* 200 OK listing every current binding (RFC 3261 10.3 step 8). */
static void
registrar_ok(struct sip_tx *tx, const struct sip_msg *req, const char *ext,
    time_t now)
{
	struct sip_msg		*resp;
	struct reg_aor		*aor = registrar_aor(ext, 0);
	struct reg_entry	*re;
	struct tm		 tm;
	char			 buf[1024];

	resp = sip_msg_response(req, sip_answer_code(ANS_OK),
	    sip_answer_reason(ANS_OK), sip_tx_local_tag(tx));
	if (resp == NULL)
		return;
	if (aor != NULL) {
		TAILQ_FOREACH(re, &aor->entries, entry) {
			snprintf(buf, sizeof(buf), "<%s>;expires=%lld",
			    re->b.contact, (long long)(re->b.expires > now ?
			    re->b.expires - now : 0));
			sip_msg_add_header(resp, "Contact", buf);
		}
	}
	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	sip_msg_add_header(resp, "Date", buf);
	sip_tx_respond(tx, resp);
}

/* Apply every contact of a validated REGISTER; -1: not all stored. */
static int
registrar_update(struct sip_tx *tx, const struct sip_msg *req,
    const char *ext, time_t now)
{
	struct reg_update	*u;
	ssize_t			 n, i;
	int			 star, rc = 0;

	if ((n = registrar_parse_contacts(tx, req, &u, &star)) == -1)
		return (1);	/* answered */
	if (star)
		rc = registrar_remove_all(tx, req, ext);
	else {
		for (i = 0; i < n; i++)
			if (registrar_apply(tx, req, ext, &u[i], now) != 0)
				rc = -1;
	}
	registrar_updates_free(u, (size_t)n);
	return (rc);
}

/* Drop ext's bindings from memory only; the db rows stay. */
static void
registrar_forget(const char *ext)
{
	struct reg_aor	*aor = registrar_aor(ext, 0);
	size_t		 n;

	if (aor == NULL)
		return;
	/* The last unlink frees aor itself: count, do not re-read it. */
	for (n = aor->n; n > 0; n--)
		registrar_unlink(TAILQ_FIRST(&aor->entries));
}

/* Load ext's stored bindings (a filter over registrar_load_one). */
static void
registrar_restore_one(const struct db_reg *r, void *arg)
{
	struct reg_restore	*rr = arg;

	if (strcmp(r->ext, rr->ext) == 0)
		registrar_load_one(r, rr->gone);
}

/*
 * A change of ext could not be stored: memory takes back what the
 * database holds, so routing follows what survives a restart.  If the
 * database cannot even be read, memory is left as it is.
 */
static void
registrar_restore(const char *ext)
{
	struct reg_restore	 rr;
	char			*e = xstrdup(ext);

	rr.ext = e;
	rr.gone = hmap_new();
	registrar_forget(e);
	if (db_reg_foreach(registrar_restore_one, &rr) != 0)
		log_warnx("register restore failed ext=%s", e);
	hmap_free(rr.gone, NULL);
	free(e);
}

/* Refuse a change that could not be stored (issue "crash safety"). */
static void
registrar_not_stored(struct sip_tx *tx, const struct sip_msg *req,
    const char *ext)
{
	const char	*callid = sip_msg_callid(req);

	log_warnx("register not stored ext=%s call=%s", ext,
	    callid != NULL ? callid : "-");
	registrar_restore(ext);
	registrar_reply(tx, req, ANS_STORAGE_FAILED, NULL, NULL);
}

/* The batch holding a REGISTER's bindings is committed (or failed). */
static void
registrar_stored(void *arg)
{
	struct reg_pending	*p = arg;
	const struct sip_msg	*req = sip_tx_request(p->tx);

	TAILQ_REMOVE(&reg_pending, p, entry);
	if (!db_last_commit_ok())
		registrar_not_stored(p->tx, req, p->ext);
	else
		registrar_ok(p->tx, req, p->ext, p->now);
	free(p->ext);
	free(p);
}

/* Handle a REGISTER (RFC 3261 10.3). */
void
registrar_request(struct sip_tx *tx, const struct sip_msg *req)
{
	struct reg_ext		*re;
	struct reg_pending	*p;
	const char		*ext = sip_msg_to_user(req);
	time_t			 now = time(NULL);
	int			 rc;

	if (reg_exts == NULL || env == NULL || env->conf == NULL) {
		registrar_reply(tx, req, ANS_SERVICE_UNAVAILABLE, NULL, NULL);
		return;
	}
	if (ext == NULL) {
		registrar_reply(tx, req, ANS_BAD_REQUEST, NULL, NULL);
		return;
	}
	if ((re = registrar_check(tx, req, ext, 0)) == NULL)
		return;
	ext = re->ext->number;
	if ((rc = registrar_update(tx, req, ext, now)) == 1)
		return;
	if (rc != 0) {
		registrar_not_stored(tx, req, ext);
		return;
	}
	/* The 200 waits for the COMMIT of these bindings. */
	p = xcalloc(1, sizeof(*p));
	p->tx = tx;
	p->ext = xstrdup(ext);
	p->now = now;
	TAILQ_INSERT_TAIL(&reg_pending, p, entry);
	db_after_commit(registrar_stored, p);
}

/* Authenticate a request from a phone (Proxy-Authorization, 407). */
struct extension *
registrar_auth(struct sip_tx *tx, const struct sip_msg *req)
{
	struct reg_ext	*re;

	if (reg_exts == NULL || env == NULL || env->conf == NULL) {
		registrar_reply(tx, req, ANS_SERVICE_UNAVAILABLE, NULL, NULL);
		return (NULL);
	}
	if ((re = registrar_check(tx, req, NULL, 1)) == NULL)
		return (NULL);
	return (re->ext);
}

/* Bindings of ext: returns the count, fills up to max. */
size_t
registrar_lookup(const char *ext, struct reg_binding **out, size_t max)
{
	struct reg_aor		*aor;
	struct reg_entry	*re;
	size_t			 n = 0;

	if (reg_aors == NULL || (aor = hmap_get(reg_aors, ext)) == NULL)
		return (0);
	TAILQ_FOREACH(re, &aor->entries, entry) {
		if (n < max)
			out[n] = &re->b;
		n++;
	}
	return (n);
}

/* Does ext have at least one binding? */
int
registrar_is_registered(const char *ext)
{
	return (reg_aors != NULL && hmap_get(reg_aors, ext) != NULL);
}

struct reg_walk {
	void	(*fn)(const struct reg_binding *, void *);
	void	*arg;
};

/* Visit the bindings of one extension. */
static void
registrar_walk_aor(const char *key, void *val, void *arg)
{
	struct reg_aor		*aor = val;
	struct reg_walk		*w = arg;
	struct reg_entry	*re;

	TAILQ_FOREACH(re, &aor->entries, entry)
		w->fn(&re->b, w->arg);
}

/* Call fn for every binding. */
void
registrar_foreach(void (*fn)(const struct reg_binding *, void *), void *arg)
{
	struct reg_walk	 w = { fn, arg };

	if (reg_aors != NULL)
		hmap_foreach(reg_aors, registrar_walk_aor, &w);
}

/* Number of bindings. */
size_t
registrar_count(void)
{
	return (reg_total);
}
