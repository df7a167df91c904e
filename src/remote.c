/*
 * Remote hot desking, the part home and host share (remote.h): the peer
 * callbacks, the hotdesk and settings observers, the outbound queue and
 * the order of things when a link comes up:
 *
 *	1. our queued frames for that site, oldest first (R7);
 *	2. a LOCATION for every visitor of theirs we hold (F3: "still
 *	   here, at this generation");
 *	3. our DIR_SYNC, whose last chunk tells the other side that (2) is
 *	   complete, so home can take back every user no host confirmed.
 *
 * The queue is a table, not a memory list: a host may restart with a
 * settings change still undelivered (F2) and must deliver it anyway.  An
 * item leaves the table only on its ACK; a link that drops sends them all
 * again when it returns, which is harmless because every frame carries
 * the generation it was made at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db_peerq.h"
#include "directory.h"
#include "hmap.h"
#include "hotdesk.h"
#include "log.h"
#include "peer.h"
#include "peer_frame.h"
#include "remote.h"
#include "roamd.h"
#include "settings.h"
#include "users.h"
#include "xmalloc.h"

/* Per peer site: what of the queue went out on the current link. */
struct rq_site {
	char		*name;
	int64_t		 last_sent;	/* highest queue id sent */
	struct hmap	*inflight;	/* "seq" -> int64_t * queue id */
};

static struct hmap	*rq_sites;	/* site -> struct rq_site */

static const char *rd_names[RD_MAX] = {
	"none", "stands", "relogin-home", "drop"
};

/* peer.h: send to a site by name. */
static int
remote_peer_send(const char *site, struct peer_out *o)
{
	struct peer	*p;

	if ((p = peer_find(site)) == NULL)
		return (-1);
	return (peer_send(p, o));
}

static const struct remote_io remote_io_peer = {
	remote_peer_send, peer_broadcast, peer_is_up
};
static struct remote_io	 remote_io = {
	remote_peer_send, peer_broadcast, peer_is_up
};

/* Replace the transport (tests). */
void
remote_set_io(const struct remote_io *io)
{
	remote_io = io != NULL ? *io : remote_io_peer;
}

/* Our site name. */
const char *
remote_us(void)
{
	return (env->conf->site_name);
}

/* Send a finished frame to site. */
int
remote_send(const char *site, struct peer_out *o)
{
	if (site == NULL || !remote_io.is_up(site))
		return (-1);
	return (remote_io.send(site, o));
}

/* Is site's link up? */
int
remote_link_up(const char *site)
{
	return (site != NULL && remote_io.is_up(site));
}

/* A LOCATION frame of number's directory entry; -1 when unknown. */
static int
remote_location_frame(struct peer_out *o, const char *number)
{
	const struct dir_entry	*e;
	const char		*cause;

	if ((e = directory_lookup(number)) == NULL || e->home == NULL)
		return (-1);
	memset(o, 0, sizeof(*o));
	peer_frame_begin(o, PT_LOCATION, 0);
	directory_put_entry(o, e);
	peer_frame_put_u64(o, PA_TIME, (uint64_t)time(NULL));
	if (peer_frame_end(o, &cause) == -1) {
		log_warnx("location frame dropped user=%s: %s", number, cause);
		peer_frame_free(o);
		return (-1);
	}
	return (0);
}

/* Tell every site where number is now (R1). */
void
remote_broadcast_location(const char *number)
{
	struct peer_out	 o;
	size_t		 n;

	if (remote_location_frame(&o, number) == -1)
		return;
	n = remote_io.broadcast(&o);
	/*
	 * Info, as is the line of every site that applies it: an admin
	 * (and bench/net.sh) reads how a login spread from the ms stamps.
	 */
	log_info("location sent user=%s peers=%zu", number, n);
	peer_frame_free(&o);
}

/* Tell one site where number is now. */
void
remote_send_location(const char *site, const char *number)
{
	struct peer_out	 o;

	if (remote_location_frame(&o, number) == -1)
		return;
	remote_send(site, &o);
	peer_frame_free(&o);
}

/* An answer echoing the request's sequence: {user, result}. */
void
remote_answer(const char *site, uint8_t type, uint32_t seq, const char *user,
    int result)
{
	struct peer_out	 o;
	const char	*cause;

	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, type, seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u32(&o, PA_RESULT, (uint32_t)result);
	if (peer_frame_end(&o, &cause) == 0)
		remote_send(site, &o);
	peer_frame_free(&o);
}

/* Free a queue site. */
static void
rq_site_free(void *p)
{
	struct rq_site	*s = p;

	free(s->name);
	hmap_free(s->inflight, free);
	free(s);
}

/* The queue state of site. */
static struct rq_site *
rq_site_get(const char *site)
{
	struct rq_site	*s;

	if ((s = hmap_get(rq_sites, site)) != NULL)
		return (s);
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(site);
	s->inflight = hmap_new();
	hmap_put(rq_sites, site, s);
	return (s);
}

/* Send one queued item if the pump has not yet sent it on this link. */
static void
rq_send_one(const struct db_peerq_item *it, void *arg)
{
	struct rq_site	*s = arg;
	struct peer_out	 o;
	int64_t		*id;
	char		 key[16];

	if (it->id <= s->last_sent || !remote_io.is_up(s->name))
		return;
	memset(&o, 0, sizeof(o));
	o.buf = xmalloc(it->len);
	memcpy(o.buf, it->frame, it->len);
	o.len = o.size = it->len;
	peer_frame_set_seq(&o, 0);
	if (remote_io.send(s->name, &o) == 0) {
		s->last_sent = it->id;
		id = xmalloc(sizeof(*id));
		*id = it->id;
		snprintf(key, sizeof(key), "%u", peer_frame_seq(&o));
		free(hmap_put(s->inflight, key, id));
		log_info("queue sent peer=%s type=%s user=%s gen=%llu id=%lld",
		    s->name, peer_type_name(it->type),
		    it->user != NULL ? it->user : "-",
		    (unsigned long long)it->generation, (long long)it->id);
	}
	peer_frame_free(&o);
}

/* Deliver what waits for site, in order, if its link is up. */
static void
rq_pump(const char *site)
{
	if (!remote_io.is_up(site))
		return;
	db_peerq_foreach(site, rq_send_one, rq_site_get(site));
}

/*
 * Queue a frame for site (begun, attributes put, not ended) and send it
 * now if the link is up.  R7: it stays in the table until site ACKs it.
 */
void
remote_queue(const char *site, struct peer_out *o, const char *user,
    uint64_t gen)
{
	const char	*cause;
	int		 type;

	type = o->len > 5 ? o->buf[5] : 0;
	if (peer_frame_end(o, &cause) == -1) {
		log_warnx("queue frame dropped peer=%s user=%s: %s", site,
		    user, cause);
		return;
	}
	if (db_peerq_add(site, type, user, gen, o->buf, o->len) == -1) {
		/* No table: still try the link, the change is not lost yet. */
		log_warnx("queue store failed peer=%s user=%s", site, user);
		remote_send(site, o);
		return;
	}
	if (!remote_io.is_up(site)) {
		log_info("%s queued peer=%s user=%s gen=%llu waiting=%d",
		    type == PT_SETTINGS ? "settings" : peer_type_name(type),
		    site, user, (unsigned long long)gen,
		    db_peerq_count(site));
		return;
	}
	rq_pump(site);
}

/* site acknowledged the queued frame with sequence seq. */
static void
rq_ack(const char *site, const struct peer_msg *m)
{
	struct rq_site	*s;
	int64_t		*id;
	char		 key[16];

	if ((s = hmap_get(rq_sites, site)) == NULL)
		return;
	snprintf(key, sizeof(key), "%u", m->seq);
	if ((id = hmap_del(s->inflight, key)) == NULL) {
		log_debug("queue ack unmatched peer=%s seq=%u", site, m->seq);
		return;
	}
	db_peerq_del(*id);
	log_debug("queue delivered peer=%s id=%lld", site, (long long)*id);
	free(id);
}

/* Waiting items. */
int
remote_queue_length(const char *site)
{
	return (db_peerq_count(site));
}

/* F3 decision; see remote.h. */
enum remote_decision
remote_reconcile(const char *home_site, uint64_t home_gen, const char *host,
    int held, uint64_t held_gen)
{
	int	 there;

	there = home_site != NULL && host != NULL &&
	    strcmp(home_site, host) == 0;
	if (!held)
		return (there ? RD_RELOGIN_HOME : RD_NONE);
	if (home_gen < held_gen)
		return (RD_STANDS);	/* a view older than the login */
	if (!there)
		return (RD_DROP);	/* home has the user elsewhere */
	if (home_gen == held_gen)
		return (RD_STANDS);
	/* Home granted this host a newer login the host does not hold. */
	return (RD_RELOGIN_HOME);
}

/* Name of a decision for logs. */
const char *
remote_decision_name(enum remote_decision d)
{
	return ((unsigned)d < RD_MAX ? rd_names[d] : "?");
}

/* Send our DIR_SYNC to site. */
static void
remote_send_sync(const char *site)
{
	struct peer_out	*v;
	size_t		 n, i;

	n = directory_sync_build(&v);
	for (i = 0; i < n; i++) {
		if (!v[i].error)
			remote_send(site, &v[i]);
		peer_frame_free(&v[i]);
	}
	free(v);
	log_info("directory sync sent peer=%s chunks=%zu", site, n);
}

/* A link came up (either side may have restarted). */
void
remote_peer_up(const char *site, int restarted)
{
	struct rq_site	*s;

	if (rq_sites == NULL)
		return;
	s = rq_site_get(site);
	log_info("remote link up peer=%s restarted=%d queued=%d", site,
	    restarted, db_peerq_count(site));
	s->last_sent = 0;
	hmap_free(s->inflight, free);
	s->inflight = hmap_new();
	remote_host_link_up(site);	/* orphan timers off */
	remote_home_link_up(site);	/* confirmations start */
	rq_pump(site);
	remote_host_confirm(site);
	remote_send_sync(site);
}

/* A link went down. */
void
remote_peer_down(const char *site)
{
	struct rq_site	*s;

	if (rq_sites == NULL)
		return;
	log_info("remote link down peer=%s", site);
	if ((s = hmap_get(rq_sites, site)) != NULL) {
		s->last_sent = 0;
		hmap_free(s->inflight, free);
		s->inflight = hmap_new();
	}
	remote_host_link_down(site);
}

/* A DIR_SYNC chunk. */
static void
remote_dir_sync(const char *site, const struct peer_msg *m)
{
	if (directory_sync_apply(site, m, remote_host_sync_entry,
	    (void *)site) == 0)
		return;
	log_info("directory sync received peer=%s", site);
	remote_host_sync_done(site);
	remote_home_sync_done(site);
}

/* A LOCATION: our user (a host's report) or anyone else's. */
static void
remote_location(const char *site, const struct peer_msg *m)
{
	struct dir_update	 u;

	if (directory_read_location(m, &u) == -1) {
		log_warnx("location unusable peer=%s", site);
		return;
	}
	if (strcmp(u.home, remote_us()) == 0) {
		remote_home_location(site, &u);
		return;
	}
	if (directory_apply(&u))
		log_info("location user=%s site=%s ext=%s gen=%llu peer=%s",
		    u.number, u.site[0] != '\0' ? u.site : "-",
		    u.ext[0] != '\0' ? u.ext : "-",
		    (unsigned long long)u.generation, site);
	remote_host_location(site, &u);
}

/* Every frame the peer layer passes up. */
void
remote_peer_message(const char *site, const struct peer_msg *m)
{
	if (rq_sites == NULL)
		return;
	switch (m->type) {
	case PT_DIR_SYNC:
		remote_dir_sync(site, m);
		break;
	case PT_LOCATION:
		remote_location(site, m);
		break;
	case PT_LOGIN_REQ:
	case PT_LOGOUT:
	case PT_SETTINGS:
		remote_home_message(site, m);
		break;
	case PT_LOGIN_ANS:
	case PT_RELEASE:
		remote_host_message(site, m);
		break;
	case PT_LOGOUT_ACK:
	case PT_SETTINGS_ACK:
		rq_ack(site, m);
		break;
	case PT_RELEASE_ACK:
		log_debug("release ack peer=%s", site);
		break;
	default:
		break;		/* break out: the call layer's */
	}
}

/* peer.h callback adapters. */
static void
remote_cb_up(struct peer *p, int restarted)
{
	remote_peer_up(p->name, restarted);
}

static void
remote_cb_down(struct peer *p)
{
	remote_peer_down(p->name);
}

static void
remote_cb_message(struct peer *p, const struct peer_msg *m)
{
	remote_peer_message(p->name, m);
}

static const struct peer_cb remote_cb = {
	remote_cb_up, remote_cb_down, remote_cb_message
};

/* Every login and logout on this site. */
static void
remote_hotdesk_observer(const char *user, const char *ext,
    enum hotdesk_reason why)
{
	if (user_is_visitor(user))
		remote_host_hotdesk(user, ext, (int)why);
	else
		remote_home_hotdesk(user, ext, (int)why);
}

/* Every handset settings change on this site. */
static void
remote_settings_observer(const char *user, const struct user_settings *s)
{
	if (user_is_visitor(user))
		remote_host_settings_changed(user, s);
	else
		remote_home_settings_changed(user);
}

/* Start: directory, home's records, observers, peer callbacks. */
void
remote_init(void)
{
	static int	 registered;

	rq_sites = hmap_new();
	directory_init();
	remote_home_init();
	remote_host_init();
	hotdesk_set_observer(remote_hotdesk_observer);
	hotdesk_set_away_check(remote_home_away);
	settings_set_observer(remote_settings_observer);
	if (!registered) {
		peer_register(&remote_cb);
		registered = 1;
	}
}

/* Stop. */
void
remote_shutdown(void)
{
	hotdesk_set_observer(NULL);
	hotdesk_set_away_check(NULL);
	settings_set_observer(NULL);
	remote_host_shutdown();
	remote_home_shutdown();
	directory_shutdown();
	hmap_free(rq_sites, rq_site_free);
	rq_sites = NULL;
}

/* The config changed. */
void
remote_reload(void)
{
	directory_reload();
	remote_home_reload();
}

/* A user logged in on a site other than their home. */
int
remote_is_away(const char *number)
{
	const struct dir_entry	*e;

	if (number == NULL)
		return (0);
	if (user_is_visitor(number))
		return (1);
	if ((e = directory_lookup(number)) == NULL)
		return (0);
	return (e->site != NULL && e->home != NULL &&
	    strcmp(e->site, e->home) != 0);
}

/* R8: appearance buttons of or onto a remote hot desker do not operate. */
int
remote_button_active(const struct user *u, const struct button *b)
{
	switch (b->type) {
	case BTN_CALL_APPEARANCE:
	case BTN_BRIDGED_APPEARANCE:
	case BTN_COVERAGE_APPEARANCE:
	case BTN_LINE_APPEARANCE:
		break;
	default:
		return (1);
	}
	if (remote_is_away(u->number))
		return (0);
	return (b->user == NULL || !remote_is_away(b->user));
}
