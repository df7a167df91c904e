/*
 * Remote hot desking (DESIGN.md R2, R6-R9, F1-F4): home's and the host's
 * handlers driven with real frames (built with peer_frame.h, decoded as
 * the peer layer would), a real SQLite file, a real event loop for the
 * timers.  One process plays one site at a time; what a site sends is
 * captured by a test transport in place of peer.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "db.h"
#include "db_peerq.h"
#include "dialplan.h"
#include "directory.h"
#include "feature.h"
#include "hotdesk.h"
#include "peer_frame.h"
#include "remote.h"
#include "roamd.h"
#include "settings.h"
#include "users.h"

static struct roamd	 test_env;
struct roamd		*env = &test_env;
static char		 test_dir[64];
static char		 test_conf[128];

static const char *london_yaml =
"site: { name: london, id: 1, domain: london.test,\n"
"  sip: [\"udp:127.0.0.1:5060\"], database: db.sqlite, control: ctl.sock }\n"
"licences: { power_user: 5, teleworker: 1 }\n"
"hotdesk: { lockout_attempts: 4, lockout_period: 90s }\n"
"network: { listen: \"127.0.0.1:7001\", secret: s3cret, orphan_logout: 24h,\n"
"  peers: [ { name: paris, address: \"127.0.0.1:7002\",\n"
"      sip: \"udp:127.0.0.1:5062\" },\n"
"           { name: berlin, address: \"127.0.0.1:7003\",\n"
"      sip: \"udp:127.0.0.1:5063\" } ] }\n"
"short_codes:\n"
"  - { code: \"*35*N#\", feature: extn_login, number: \"N\" }\n"
"  - { code: \"*36\", feature: extn_logout }\n"
"extensions:\n"
"  - { number: \"201\", password: \"pw201pw201\", base_user: \"201\" }\n"
"  - { number: \"202\", password: \"pw202pw202\", base_user: \"202\" }\n"
"  - { number: \"203\", password: \"pw203pw203\", base_user: \"203\" }\n"
"users:\n"
"  - number: \"201\"\n"
"    name: Alice\n"
"    login_code: \"1111\"\n"
"    profile: power_user\n"
"    user_rights: Sales\n"
"    forward: { number: \"202\" }\n"
"    short_codes: [ { code: \"*77\", feature: dial, number: \"0033140\" } ]\n"
"    buttons: [ { type: call_appearance },\n"
"               { type: speed_dial, number: \"202\" } ]\n"
"  - { number: \"202\", name: Bob, login_code: \"2222\", profile: basic,\n"
"      buttons: [ { type: bridged_appearance, user: \"201\" },\n"
"                 { type: bridged_appearance, user: \"203\" },\n"
"                 { type: dnd } ] }\n"
"  - { number: \"203\", name: Carol, login_code: \"3333\", force_login: true,\n"
"      profile: teleworker }\n"
"user_rights:\n"
"  - { name: Sales }\n";

static const char *paris_yaml =
"site: { name: paris, id: 2, domain: paris.test,\n"
"  sip: [\"udp:127.0.0.1:5062\"], database: db.sqlite, control: ctl.sock }\n"
"network: { listen: \"127.0.0.1:7002\", secret: s3cret, orphan_logout: 1s,\n"
"  peers: [ { name: london, address: \"127.0.0.1:7001\",\n"
"      sip: \"udp:127.0.0.1:5060\" },\n"
"           { name: berlin, address: \"127.0.0.1:7003\",\n"
"      sip: \"udp:127.0.0.1:5063\" } ] }\n"
"short_codes:\n"
"  - { code: \"*35*N#\", feature: extn_login, number: \"N\" }\n"
"  - { code: \"*36\", feature: extn_logout }\n"
"  - { code: \"*08\", feature: dnd_on }\n"
"  - { code: \"*09\", feature: dnd_off }\n"
"extensions:\n"
"  - { number: \"301\", password: \"pw301pw301\", base_user: \"301\" }\n"
"  - { number: \"302\", password: \"pw302pw302\" }\n"
"  - { number: \"399\", password: \"pw399pw399\", remote_worker: true }\n"
"users:\n"
"  - { number: \"301\", name: Pierre, login_code: \"3011\" }\n";

/* --- the test transport ----------------------------------------------- */

#define MAXSENT	256

struct sent {
	char	 site[32];	/* "*" for a broadcast */
	uint8_t	*buf;
	size_t	 len;
};

static struct sent	 sent[MAXSENT];
static size_t		 nsent;
static uint32_t		 next_seq = 100;
static int		 up_london, up_paris, up_berlin;

/* Is the test link to site up? */
static int
t_is_up(const char *site)
{
	if (strcmp(site, "london") == 0)
		return (up_london);
	if (strcmp(site, "paris") == 0)
		return (up_paris);
	if (strcmp(site, "berlin") == 0)
		return (up_berlin);
	return (0);
}

/* Keep a copy of a frame sent to site. */
static void
t_keep(const char *site, const struct peer_out *o)
{
	ck_assert_uint_lt(nsent, MAXSENT);
	snprintf(sent[nsent].site, sizeof(sent[nsent].site), "%s", site);
	sent[nsent].buf = malloc(o->len);
	memcpy(sent[nsent].buf, o->buf, o->len);
	sent[nsent].len = o->len;
	nsent++;
}

/* peer_send stand-in: numbers the frame like a link would. */
static int
t_send(const char *site, struct peer_out *o)
{
	if (!t_is_up(site))
		return (-1);
	if (peer_frame_seq(o) == 0)
		peer_frame_set_seq(o, next_seq++);
	t_keep(site, o);
	return (0);
}

/* peer_broadcast stand-in. */
static size_t
t_broadcast(struct peer_out *o)
{
	t_keep("*", o);
	return (1);
}

static const struct remote_io t_io = { t_send, t_broadcast, t_is_up };

/* Forget what was sent. */
static void
sent_clear(void)
{
	size_t	 i;

	for (i = 0; i < nsent; i++)
		free(sent[i].buf);
	nsent = 0;
}

/* The nth (0-based) frame of type sent to site ("*": broadcast). */
static int
sent_find(const char *site, int type, int nth, struct peer_msg *m)
{
	const char	*cause;
	size_t		 i;

	for (i = 0; i < nsent; i++) {
		if (strcmp(sent[i].site, site) != 0)
			continue;
		ck_assert_int_gt(peer_frame_decode(sent[i].buf, sent[i].len,
		    m, &cause), 0);
		if (m->type == type && nth-- == 0)
			return ((int)i);
	}
	return (-1);
}

/* How many frames of type went to site. */
static int
sent_count(const char *site, int type)
{
	struct peer_msg	 m;
	int		 n = 0;

	while (sent_find(site, type, n, &m) != -1)
		n++;
	return (n);
}

/* Finish o, decode it and hand it to remote as coming from site. */
static void
feed(const char *site, struct peer_out *o)
{
	struct peer_msg	 m;
	const char	*cause;

	ck_assert_int_eq(peer_frame_end(o, &cause), 0);
	ck_assert_int_gt(peer_frame_decode(o->buf, o->len, &m, &cause), 0);
	remote_peer_message(site, &m);
	peer_frame_free(o);
}

/* Hand a captured frame back in, as if site had sent it. */
static void
feed_raw(const char *site, const uint8_t *buf, size_t len)
{
	struct peer_msg	 m;
	const char	*cause;

	ck_assert_int_gt(peer_frame_decode(buf, len, &m, &cause), 0);
	remote_peer_message(site, &m);
}

/* A u64 / str / u32 of a decoded message. */
static uint64_t
m_u64(const struct peer_msg *m, uint16_t t)
{
	uint64_t	 v = 0;

	ck_assert_int_eq(peer_msg_u64(m, t, &v), 0);
	return (v);
}

static uint32_t
m_u32(const struct peer_msg *m, uint16_t t)
{
	uint32_t	 v = 0;

	ck_assert_int_eq(peer_msg_u32(m, t, &v), 0);
	return (v);
}

static const char *
m_str(const struct peer_msg *m, uint16_t t)
{
	static char	 buf[4][256];
	static int	 i;

	i = (i + 1) % 4;
	if (peer_msg_str(m, t, buf[i], sizeof(buf[i])) == -1)
		return (NULL);
	return (buf[i]);
}

/* --- sites ------------------------------------------------------------ */

/* Load yaml as this process's site and start the modules. */
static void
site_start(const char *yaml, int fresh)
{
	struct config_errors	 errs = { NULL, 0 };
	char			*cause = NULL;
	FILE			*f;
	size_t			 i;

	if (fresh) {
		snprintf(test_dir, sizeof(test_dir), "/tmp/roam-remote-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(test_dir));
	}
	snprintf(test_conf, sizeof(test_conf), "%s/roamd.yaml", test_dir);
	f = fopen(test_conf, "w");
	fputs(yaml, f);
	fclose(f);
	env->conf = config_load(test_conf, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	ck_assert_ptr_nonnull(env->conf);
	if (env->base == NULL)
		env->base = event_base_new();
	ck_assert_msg(db_open(env->conf->database, NULL, &cause) == 0, "%s",
	    cause);
	hotdesk_init();
	settings_init();
	remote_set_io(&t_io);
	remote_init();
}

/* Stop the modules (the db file stays). */
static void
site_stop(void)
{
	remote_shutdown();
	settings_shutdown();
	hotdesk_shutdown();
	users_shutdown();
	db_close();
	config_free(env->conf);
	env->conf = NULL;
	sent_clear();
}

/* A restart of the same site on the same database. */
static void
site_restart(const char *yaml)
{
	site_stop();
	event_base_free(env->base);
	env->base = NULL;
	site_start(yaml, 0);
}

/* Each test: links up, nothing sent yet. */
static void
setup(void)
{
	up_london = up_paris = up_berlin = 1;
	nsent = 0;
	env->base = NULL;
}

/* Stop whatever site runs, remove its files. */
static void
teardown(void)
{
	char	 cmd[128];

	if (env->conf != NULL)
		site_stop();
	if (env->base != NULL)
		event_base_free(env->base);
	env->base = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	system(cmd);
}

/* Run the loop until nothing is ready (deferred reaps). */
static void
loop_once(void)
{
	event_base_loop(env->base, EVLOOP_NONBLOCK);
}

/* --- frames a host / home would send ------------------------------------ */

/* LOGIN_REQ from a host. */
static void
login_req(const char *host, uint32_t seq, const char *user, const char *code,
    const char *ext)
{
	struct peer_out	 o = { 0 };

	peer_frame_begin(&o, PT_LOGIN_REQ, seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_str(&o, PA_LOGIN_CODE, code);
	peer_frame_put_str(&o, PA_SITE, host);
	peer_frame_put_str(&o, PA_EXTENSION, ext);
	feed(host, &o);
}

/* A {user, gen} request (LOGOUT, RELEASE) from site. */
static void
user_gen(const char *site, int type, uint32_t seq, const char *user,
    uint64_t gen)
{
	struct peer_out	 o = { 0 };

	peer_frame_begin(&o, type, seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u64(&o, PA_GENERATION, gen);
	feed(site, &o);
}

/* An ACK (result PR_OK) echoing seq, from site. */
static void
ack(const char *site, int type, uint32_t seq, const char *user)
{
	struct peer_out	 o = { 0 };

	peer_frame_begin(&o, type, seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u32(&o, PA_RESULT, PR_OK);
	feed(site, &o);
}

/* A LOCATION from site. */
static void
location(const char *from, const char *user, const char *home,
    const char *site, const char *ext, uint64_t gen)
{
	struct peer_out	 o = { 0 };

	peer_frame_begin(&o, PT_LOCATION, 0);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_str(&o, PA_NAME, "Someone");
	peer_frame_put_str(&o, PA_HOME, home);
	if (site != NULL)
		peer_frame_put_str(&o, PA_SITE, site);
	if (ext != NULL)
		peer_frame_put_str(&o, PA_EXTENSION, ext);
	peer_frame_put_u64(&o, PA_GENERATION, gen);
	feed(from, &o);
}

/* A one-chunk DIR_SYNC from site with one user (or none). */
static void
dir_sync(const char *from, const char *user, const char *name,
    const char *site, const char *ext, uint64_t gen)
{
	struct peer_out	 o = { 0 };

	peer_frame_begin(&o, PT_DIR_SYNC, 0);
	peer_frame_set_flags(&o, PF_FULL);
	if (user != NULL) {
		peer_frame_put_str(&o, PA_USER, user);
		peer_frame_put_str(&o, PA_NAME, name);
		if (site != NULL)
			peer_frame_put_str(&o, PA_SITE, site);
		if (ext != NULL)
			peer_frame_put_str(&o, PA_EXTENSION, ext);
		peer_frame_put_u64(&o, PA_GENERATION, gen);
	}
	feed(from, &o);
}

/* ===== F3: the reconcile decision table ================================ */

START_TEST(test_reconcile_table)
{
	/* Home recorded the user at paris, gen 7. */
	ck_assert_int_eq(remote_reconcile("paris", 7, "paris", 1, 7),
	    RD_STANDS);			/* confirmed: the login stands */
	ck_assert_int_eq(remote_reconcile("paris", 7, "paris", 0, 0),
	    RD_RELOGIN_HOME);		/* host restarted / orphan / lost */
	ck_assert_int_eq(remote_reconcile("paris", 7, "paris", 1, 6),
	    RD_RELOGIN_HOME);		/* host holds an older login */
	ck_assert_int_eq(remote_reconcile("paris", 7, "paris", 1, 8),
	    RD_STANDS);			/* home lost its last write: adopt */
	/* Home has the user elsewhere. */
	ck_assert_int_eq(remote_reconcile("berlin", 8, "paris", 1, 7),
	    RD_DROP);			/* logged in elsewhere meanwhile */
	ck_assert_int_eq(remote_reconcile("london", 8, "paris", 1, 7),
	    RD_DROP);			/* came home meanwhile */
	ck_assert_int_eq(remote_reconcile(NULL, 8, "paris", 1, 7),
	    RD_DROP);			/* logged out meanwhile */
	ck_assert_int_eq(remote_reconcile("london", 7, "paris", 1, 7),
	    RD_DROP);			/* equal gen, home is the authority */
	ck_assert_int_eq(remote_reconcile("berlin", 6, "paris", 1, 7),
	    RD_STANDS);			/* a late view, older than the login */
	ck_assert_int_eq(remote_reconcile(NULL, 3, "paris", 1, 7),
	    RD_STANDS);
	/* Nobody holds the user at this host. */
	ck_assert_int_eq(remote_reconcile("berlin", 8, "paris", 0, 0),
	    RD_NONE);
	ck_assert_int_eq(remote_reconcile(NULL, 8, "paris", 0, 0), RD_NONE);
	ck_assert_str_eq(remote_decision_name(RD_RELOGIN_HOME),
	    "relogin-home");
}
END_TEST

/* ===== home side ========================================================= */

START_TEST(test_home_grants_login_bumps_gen_moves_user)
{
	struct peer_msg		 m;
	const struct dir_entry	*e;
	uint64_t		 gen0;

	site_start(london_yaml, 1);
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
	gen0 = remote_home_gen("201");
	login_req("paris", 9, "201", "1111", "301");

	ck_assert_int_ne(sent_find("paris", PT_LOGIN_ANS, 0, &m), -1);
	ck_assert_uint_eq(m.seq, 9);		/* the request's sequence */
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_OK);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), gen0 + 1);
	ck_assert_str_eq(m_str(&m, PA_NAME), "Alice");
	ck_assert_str_eq(m_str(&m, PA_PROFILE), "power_user");
	ck_assert_str_eq(m_str(&m, PA_RIGHTS), "Sales");
	ck_assert_str_eq(m_str(&m, PA_FWD_NUMBER), "202");
	ck_assert_ptr_null(peer_msg_get(&m, PA_LOGIN_CODE));

	/* Off the local phone; the phone (base user away) is NoUser. */
	ck_assert_ptr_null(hotdesk_user_ext("201"));
	ck_assert_ptr_null(hotdesk_ext_user("201"));
	e = directory_lookup("201");
	ck_assert_str_eq(e->site, "paris");
	ck_assert_str_eq(e->ext, "301");
	ck_assert_uint_eq(e->generation, gen0 + 1);
	ck_assert_int_ne(sent_find("*", PT_LOCATION, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_SITE), "paris");
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), gen0 + 1);
	ck_assert(remote_is_away("201"));

	/* F3: a home restart alone does not pull the user back. */
	site_restart(london_yaml);
	ck_assert_ptr_null(hotdesk_user_ext("201"));
	e = directory_lookup("201");
	ck_assert_str_eq(e->site, "paris");
	ck_assert_uint_eq(e->generation, gen0 + 1);
	ck_assert_uint_eq(remote_home_gen("201"), gen0 + 1);
}
END_TEST

START_TEST(test_home_counts_lockout)
{
	struct peer_msg	 m;
	time_t		 until;
	int		 i;

	site_start(london_yaml, 1);
	for (i = 0; i < 3; i++)
		login_req("paris", 10 + i, "202", "9999", "301");
	ck_assert_int_ne(sent_find("paris", PT_LOGIN_ANS, 2, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_BAD_CODE);
	ck_assert_uint_eq(m_u32(&m, PA_FAILURES), 3);
	/* H2: counted at home, whichever host asks. */
	login_req("berlin", 20, "202", "9999", "401");
	ck_assert_int_ne(sent_find("berlin", PT_LOGIN_ANS, 0, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_LOCKED);
	ck_assert_uint_gt(m_u32(&m, PA_LOCK_REMAINING), 80);
	ck_assert_int_eq(hotdesk_lock_state("202", &until), 4);
	/* The right code is refused while the lock lasts. */
	login_req("paris", 21, "202", "2222", "301");
	ck_assert_int_ne(sent_find("paris", PT_LOGIN_ANS, 3, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_LOCKED);
	ck_assert_str_eq(hotdesk_user_ext("202"), "202");  /* not moved */
	ck_assert_uint_eq(remote_home_gen("202"), 0);
}
END_TEST

START_TEST(test_home_refuses_other_sites_users)
{
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "999", "1234", "301");
	ck_assert_int_ne(sent_find("paris", PT_LOGIN_ANS, 0, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_NOT_HOME);
}
END_TEST

START_TEST(test_home_releases_previous_host)
{
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "201", "1111", "301");
	login_req("berlin", 6, "201", "1111", "401");
	ck_assert_int_ne(sent_find("paris", PT_RELEASE, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_USER), "201");
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 2);
	ck_assert_str_eq(directory_lookup("201")->site, "berlin");
	/* A local login also releases the host (H1 network-wide). */
	ck_assert_int_eq(hotdesk_login("201", "203", HDR_ADMIN, &(const char *){
	    NULL }), 0);
	ck_assert_int_ne(sent_find("berlin", PT_RELEASE, 0, &m), -1);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 3);
	ck_assert_str_eq(directory_lookup("201")->site, "london");
	ck_assert(!remote_is_away("201"));
}
END_TEST

START_TEST(test_home_logout_returns_user_home)
{
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "201", "1111", "301");		/* gen 1 */
	/* A stale logout (an older generation) changes nothing. */
	user_gen("paris", PT_LOGOUT, 40, "201", 0);
	ck_assert_int_ne(sent_find("paris", PT_LOGOUT_ACK, 0, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_STALE);
	ck_assert_ptr_null(hotdesk_user_ext("201"));
	/* R9 / H3: back at the base extension. */
	user_gen("paris", PT_LOGOUT, 41, "201", 1);
	ck_assert_int_ne(sent_find("paris", PT_LOGOUT_ACK, 1, &m), -1);
	ck_assert_uint_eq(m.seq, 41);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_OK);
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
	ck_assert_str_eq(directory_lookup("201")->site, "london");
	ck_assert_uint_eq(remote_home_gen("201"), 2);
	/* Re-sent: harmless. */
	user_gen("paris", PT_LOGOUT, 41, "201", 1);
	ck_assert_int_ne(sent_find("paris", PT_LOGOUT_ACK, 2, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_STALE);
	ck_assert_uint_eq(remote_home_gen("201"), 2);
}
END_TEST

START_TEST(test_home_force_login_user_stays_out_after_logout)
{
	site_start(london_yaml, 1);
	login_req("paris", 5, "203", "3333", "301");
	user_gen("paris", PT_LOGOUT, 6, "203", 1);
	ck_assert_ptr_null(hotdesk_user_ext("203"));	/* H5 */
	ck_assert_ptr_null(directory_lookup("203")->site);
}
END_TEST

START_TEST(test_home_stores_settings_from_host)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "201", "1111", "301");
	peer_frame_begin(&o, PT_SETTINGS, 50);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	peer_frame_put_flag(&o, PA_DND, 1);
	peer_frame_put_str(&o, PA_FWD_NUMBER, "0123");
	peer_frame_put_flag(&o, PA_FWD_UNCOND, 1);
	feed("paris", &o);
	ck_assert_int_ne(sent_find("paris", PT_SETTINGS_ACK, 0, &m), -1);
	ck_assert_uint_eq(m.seq, 50);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_OK);
	ck_assert_int_eq(settings_get("201")->dnd, 1);
	ck_assert_str_eq(settings_get("201")->fwd_number, "0123");
	ck_assert_int_eq(settings_get("201")->fwd_unconditional, 1);
	/* Stored at home: survives a restart. */
	site_restart(london_yaml);
	ck_assert_int_eq(settings_get("201")->dnd, 1);
	ck_assert_str_eq(settings_get("201")->fwd_number, "0123");

	/* The user came home and turned DND off; a late change from
	 * before does not undo that. */
	user_gen("paris", PT_LOGOUT, 51, "201", 1);
	settings_set("201", SET_DND, 0);
	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_SETTINGS, 52);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	peer_frame_put_flag(&o, PA_DND, 1);
	feed("paris", &o);
	ck_assert_int_ne(sent_find("paris", PT_SETTINGS_ACK, 0, &m), -1);
	ck_assert_uint_eq(m_u32(&m, PA_RESULT), PR_STALE);
	ck_assert_int_eq(settings_get("201")->dnd, 0);
}
END_TEST

START_TEST(test_home_reconcile_relogs_unconfirmed_user)
{
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "201", "1111", "301");		/* gen 1 */
	login_req("paris", 6, "202", "2222", "302");		/* gen 1 */
	remote_peer_down("paris");
	sent_clear();
	/* Paris comes back: it still holds 202 but lost 201 (restart). */
	remote_peer_up("paris", 1);
	ck_assert_int_eq(sent_count("paris", PT_DIR_SYNC), 1);
	ck_assert_int_ne(sent_find("paris", PT_DIR_SYNC, 0, &m), -1);
	ck_assert(m.flags & PF_FULL);
	ck_assert(!(m.flags & PF_MORE));
	location("paris", "202", "london", "paris", "302", 1);
	ck_assert_ptr_null(hotdesk_user_ext("201"));	/* not before the end */
	dir_sync("paris", "301", "Pierre", "paris", "301", 4);
	/* 201: nobody holds them: back home (H3), new generation. */
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
	ck_assert_str_eq(directory_lookup("201")->site, "london");
	ck_assert_uint_eq(remote_home_gen("201"), 2);
	/* 202: confirmed at the generation granted: stands. */
	ck_assert_ptr_null(hotdesk_user_ext("202"));
	ck_assert_str_eq(directory_lookup("202")->site, "paris");
	ck_assert_uint_eq(remote_home_gen("202"), 1);
	/* And paris's own users are in our directory. */
	ck_assert_str_eq(directory_lookup("301")->home, "paris");
}
END_TEST

START_TEST(test_home_releases_stale_claim)
{
	struct peer_msg	 m;

	site_start(london_yaml, 1);
	login_req("paris", 5, "201", "1111", "301");		/* gen 1 */
	login_req("berlin", 6, "201", "1111", "401");		/* gen 2 */
	sent_clear();
	/* Paris, cut off meanwhile, still claims gen 1. */
	location("paris", "201", "london", "paris", "301", 1);
	ck_assert_int_ne(sent_find("paris", PT_RELEASE, 0, &m), -1);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 2);
	ck_assert_str_eq(directory_lookup("201")->site, "berlin");
}
END_TEST

START_TEST(test_buttons_onto_remote_desker_inactive)
{
	struct user	*bob, *alice;

	site_start(london_yaml, 1);
	bob = user_find("202");
	alice = user_find("201");
	ck_assert(remote_button_active(bob, &bob->buttons[0]));
	login_req("paris", 5, "201", "1111", "301");
	/* R8: Bob's bridged appearance of Alice stops; the others work. */
	ck_assert(!remote_button_active(bob, &bob->buttons[0]));
	ck_assert(remote_button_active(bob, &bob->buttons[1]));
	ck_assert(remote_button_active(bob, &bob->buttons[2]));
	/* Alice's own appearance buttons too; her speed dial works. */
	ck_assert(!remote_button_active(alice, &alice->buttons[0]));
	ck_assert(remote_button_active(alice, &alice->buttons[1]));
}
END_TEST

/* ===== host side ========================================================= */

struct answer {
	int		 called;
	enum sip_answer	 a;
};

/* feature_start's done: remember the answer. */
static void
t_done(enum sip_answer a, void *arg)
{
	struct answer	*r = arg;

	r->called++;
	r->a = a;
}

/* Dial a code at ext on the host through feature_start. */
static int
dial(const char *ext, const char *digits, struct answer *r)
{
	struct dp_match		 dm;
	struct feature_ctx	 c;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(dialplan_match(digits, NULL, NULL,
	    &env->conf->short_codes, hotdesk_ext_user(ext), &dm), 0);
	memset(&c, 0, sizeof(c));
	c.ext = ext;
	c.user = hotdesk_ext_user(ext);
	c.match = &dm;
	c.now = time(NULL);
	c.callid = "test-call";
	return (feature_start(&c, t_done, r));
}

/* Home's LOGIN_ANS for the LOGIN_REQ we sent last, with a record. */
static void
login_ans_ok(uint64_t gen, const char *user, const char *profile)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	int		 n = sent_count("london", PT_LOGIN_REQ);

	ck_assert_int_ne(sent_find("london", PT_LOGIN_REQ, n - 1, &m), -1);
	peer_frame_begin(&o, PT_LOGIN_ANS, m.seq);
	peer_frame_put_str(&o, PA_USER, user);
	peer_frame_put_u32(&o, PA_RESULT, PR_OK);
	peer_frame_put_u64(&o, PA_GENERATION, gen);
	peer_frame_put_str(&o, PA_NAME, "Alice");
	peer_frame_put_str(&o, PA_PROFILE, profile);
	peer_frame_put_flag(&o, PA_DND, 0);
	peer_frame_nest_begin(&o, PA_BUTTON);
	peer_frame_put_str(&o, PA_BTN_TYPE, "call_appearance");
	peer_frame_nest_end(&o);
	peer_frame_nest_begin(&o, PA_BUTTON);
	peer_frame_put_str(&o, PA_BTN_TYPE, "dnd");
	peer_frame_nest_end(&o);
	feed("london", &o);
}

/* Paris learns london's user 201 from london's DIR_SYNC. */
static void
host_start(void)
{
	site_start(paris_yaml, 1);
	dir_sync("london", "201", "Alice", "london", "201", 3);
	sent_clear();
}

START_TEST(test_host_login_installs_visitor)
{
	struct answer	 r;
	struct peer_msg	 m;
	struct user	*u;

	host_start();
	ck_assert_int_eq(dial("301", "*35*201*1111#", &r), 1);
	ck_assert_int_eq(r.called, 0);			/* waits for home */
	ck_assert_int_ne(sent_find("london", PT_LOGIN_REQ, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_USER), "201");
	ck_assert_str_eq(m_str(&m, PA_LOGIN_CODE), "1111");
	ck_assert_str_eq(m_str(&m, PA_EXTENSION), "301");
	login_ans_ok(4, "201", "power_user");
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.a, ANS_OK);
	ck_assert(user_is_visitor("201"));
	ck_assert_str_eq(user_visitor_home("201"), "london");
	ck_assert_str_eq(hotdesk_user_ext("201"), "301");
	ck_assert_str_eq(hotdesk_ext_user("301"), "201");
	ck_assert_ptr_null(hotdesk_user_ext("301"));	/* Pierre displaced */
	ck_assert_str_eq(directory_lookup("201")->site, "paris");
	/* Pierre's logout, then "201 is here". */
	ck_assert_int_ne(sent_find("*", PT_LOCATION, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_USER), "301");
	ck_assert_ptr_null(peer_msg_get(&m, PA_SITE));
	ck_assert_int_ne(sent_find("*", PT_LOCATION, 1, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_USER), "201");
	ck_assert_str_eq(m_str(&m, PA_SITE), "paris");
	ck_assert_str_eq(m_str(&m, PA_EXTENSION), "301");
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
	/* R8 on the host: the visitor's appearance buttons stop. */
	u = user_find("201");
	ck_assert_uint_eq(u->nbuttons, 2);
	ck_assert(!remote_button_active(u, &u->buttons[0]));
	ck_assert(remote_button_active(u, &u->buttons[1]));
}
END_TEST

START_TEST(test_host_failures_map_to_phone_answers)
{
	struct answer	 r;
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;

	host_start();
	dial("302", "*35*201*9999#", &r);
	sent_find("london", PT_LOGIN_REQ, 0, &m);
	peer_frame_begin(&o, PT_LOGIN_ANS, m.seq);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u32(&o, PA_RESULT, PR_BAD_CODE);
	feed("london", &o);
	ck_assert_int_eq(r.a, ANS_LOGIN_CODE_INCORRECT);
	ck_assert_int_eq(sip_answer_code(r.a), 403);

	dial("302", "*35*201*9999#", &r);
	sent_find("london", PT_LOGIN_REQ, 1, &m);
	memset(&o, 0, sizeof(o));
	peer_frame_begin(&o, PT_LOGIN_ANS, m.seq);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u32(&o, PA_RESULT, PR_LOCKED);
	peer_frame_put_u32(&o, PA_LOCK_REMAINING, 90);
	feed("london", &o);
	ck_assert_int_eq(r.a, ANS_LOCKED_OUT);
	ck_assert(!user_is_visitor("201"));
	ck_assert_ptr_null(hotdesk_ext_user("302"));

	/* Nobody in the network has this number: the local path, 404. */
	ck_assert_int_eq(dial("302", "*35*777*1234#", &r), 0);
	ck_assert_int_eq(r.a, ANS_NUMBER_UNOBTAINABLE);
}
END_TEST

START_TEST(test_host_home_unreachable_at_once)
{
	struct answer	 r;

	host_start();
	up_london = 0;
	remote_peer_down("london");
	ck_assert_int_eq(dial("302", "*35*201*1111#", &r), 0);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.a, ANS_HOME_UNREACHABLE);
	ck_assert_str_eq(sip_answer_reason(r.a), "Home Site Unreachable");
	ck_assert_int_eq(sent_count("london", PT_LOGIN_REQ), 0);
}
END_TEST

START_TEST(test_host_link_down_fails_pending_login)
{
	struct answer	 r;

	host_start();
	ck_assert_int_eq(dial("302", "*35*201*1111#", &r), 1);
	up_london = 0;
	remote_peer_down("london");
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.a, ANS_HOME_UNREACHABLE);
}
END_TEST

START_TEST(test_host_login_times_out)
{
	struct answer	 r;
	struct peer_msg	 m;

	host_start();
	ck_assert_int_eq(dial("302", "*35*201*1111#", &r), 1);
	event_base_dispatch(env->base);		/* the 5 s timer */
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.a, ANS_HOME_UNREACHABLE);
	/* Home's grant arrives late: the user is sent back home. */
	login_ans_ok(4, "201", "power_user");
	ck_assert(!user_is_visitor("201"));
	ck_assert_int_ne(sent_find("london", PT_LOGOUT, 0, &m), -1);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
}
END_TEST

START_TEST(test_host_cancelled_login_never_answers)
{
	struct answer	 r;

	host_start();
	ck_assert_int_eq(dial("302", "*35*201*1111#", &r), 1);
	feature_cancel(&r);
	login_ans_ok(4, "201", "power_user");
	ck_assert_int_eq(r.called, 0);
	ck_assert(!user_is_visitor("201"));
	ck_assert_int_eq(sent_count("london", PT_LOGOUT), 1);
}
END_TEST

START_TEST(test_host_licence_checks_record_profile)
{
	struct answer	 r;
	struct peer_msg	 m;

	host_start();
	/* R6: basic may not use a remote_worker extension... */
	dial("399", "*35*201*1111#", &r);
	login_ans_ok(4, "201", "basic");
	ck_assert_int_eq(r.a, ANS_LICENCE_REFUSED);
	ck_assert_str_eq(sip_answer_reason(r.a),
	    "Licence Does Not Allow Login");
	ck_assert(!user_is_visitor("201"));
	ck_assert_ptr_null(hotdesk_ext_user("399"));
	ck_assert_int_ne(sent_find("london", PT_LOGOUT, 0, &m), -1);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
	/* ... a teleworker may, though paris holds no such licence. */
	dial("399", "*35*201*1111#", &r);
	login_ans_ok(5, "201", "teleworker");
	ck_assert_int_eq(r.a, ANS_OK);
	ck_assert_str_eq(hotdesk_ext_user("399"), "201");
	/* Any profile may use an ordinary extension. */
	dial("302", "*35*201*1111#", &r);
	login_ans_ok(6, "201", "basic");
	ck_assert_int_eq(r.a, ANS_OK);
	ck_assert_str_eq(hotdesk_ext_user("302"), "201");
	ck_assert_ptr_null(hotdesk_ext_user("399"));
}
END_TEST

/* Log 201 in at 301 on the host at generation gen. */
static void
host_login_201(uint64_t gen)
{
	struct answer	 r;

	dial("301", "*35*201*1111#", &r);
	login_ans_ok(gen, "201", "power_user");
	ck_assert_int_eq(r.a, ANS_OK);
	sent_clear();
}

START_TEST(test_host_logout_sends_user_home)
{
	struct peer_msg	 m;
	const char	*cause;

	host_start();
	host_login_201(4);
	/* *36 at the phone. */
	ck_assert_int_eq(hotdesk_logout("201", HDR_USER, &cause), 0);
	ck_assert_int_ne(sent_find("london", PT_LOGOUT, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_USER), "201");
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
	/* H3: the phone is Pierre's again. */
	ck_assert_str_eq(hotdesk_ext_user("301"), "301");
	loop_once();
	ck_assert(!user_is_visitor("201"));
	ck_assert_ptr_null(user_find("201"));
	/* The ACK empties the queue. */
	ck_assert_int_eq(remote_queue_length("london"), 1);
	ack("london", PT_LOGOUT_ACK, m.seq, "201");
	ck_assert_int_eq(remote_queue_length("london"), 0);
}
END_TEST

START_TEST(test_host_release_drops_visitor)
{
	struct peer_msg	 m;

	host_start();
	host_login_201(4);
	/* A late release from before this login: ignored. */
	user_gen("london", PT_RELEASE, 60, "201", 4);
	ck_assert(user_is_visitor("201"));
	user_gen("london", PT_RELEASE, 61, "201", 5);
	ck_assert(!user_is_visitor("201"));
	ck_assert_str_eq(hotdesk_ext_user("301"), "301");	/* H3 */
	ck_assert_int_ne(sent_find("london", PT_RELEASE_ACK, 1, &m), -1);
	ck_assert_uint_eq(m.seq, 61);
	ck_assert_int_eq(sent_count("london", PT_LOGOUT), 0);
}
END_TEST

START_TEST(test_host_settings_queued_while_home_down)
{
	struct peer_msg	 m;
	struct answer	 r;

	host_start();
	host_login_201(4);
	dial("301", "*08", &r);
	ck_assert_int_eq(r.a, ANS_OK);
	ck_assert_int_ne(sent_find("london", PT_SETTINGS, 0, &m), -1);
	ck_assert_int_eq(remote_queue_length("london"), 1);
	ack("london", PT_SETTINGS_ACK, m.seq, "201");
	ck_assert_int_eq(remote_queue_length("london"), 0);

	/* Home away: F1 the visitor stays; changes wait in the queue. */
	up_london = 0;
	remote_peer_down("london");
	sent_clear();
	dial("301", "*09", &r);
	ck_assert_int_eq(r.a, ANS_OK);
	dial("301", "*08", &r);
	ck_assert_int_eq(sent_count("london", PT_SETTINGS), 0);
	ck_assert_int_eq(remote_queue_length("london"), 2);
	ck_assert_str_eq(hotdesk_ext_user("301"), "201");

	/* R7/F2: the queue survives a host restart (the visitor does not). */
	site_restart(paris_yaml);
	ck_assert(!user_is_visitor("201"));
	ck_assert_int_eq(remote_queue_length("london"), 2);
	up_london = 1;
	remote_peer_up("london", 0);
	ck_assert_int_eq(sent_count("london", PT_SETTINGS), 2);
	sent_find("london", PT_SETTINGS, 0, &m);
	ck_assert_int_eq(peer_msg_flag(&m, PA_DND, &r.called), 0);
	ck_assert_int_eq(r.called, 0);			/* *09 first */
	sent_find("london", PT_SETTINGS, 1, &m);
	ck_assert_int_eq(peer_msg_flag(&m, PA_DND, &r.called), 0);
	ck_assert_int_eq(r.called, 1);			/* then *08 */
	/* Queue first, then our DIR_SYNC. */
	ck_assert_int_lt(sent_find("london", PT_SETTINGS, 1, &m),
	    sent_find("london", PT_DIR_SYNC, 0, &m));
	ack("london", PT_SETTINGS_ACK, m.seq, "201");
}
END_TEST

START_TEST(test_host_orphan_logout)
{
	struct peer_msg	 m;

	host_start();
	host_login_201(4);
	up_london = 0;
	remote_peer_down("london");
	/* F1: still logged in. */
	ck_assert_str_eq(hotdesk_user_ext("201"), "301");
	event_base_dispatch(env->base);		/* orphan_logout: 1s */
	ck_assert(!user_is_visitor("201"));
	ck_assert_str_eq(hotdesk_ext_user("301"), "301");
	ck_assert_int_eq(remote_queue_length("london"), 1);
	up_london = 1;
	remote_peer_up("london", 0);
	ck_assert_int_ne(sent_find("london", PT_LOGOUT, 0, &m), -1);
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
	/* No report for a visitor we no longer hold. */
	ck_assert_int_eq(sent_count("london", PT_LOCATION), 0);
}
END_TEST

START_TEST(test_host_home_back_before_orphan_timeout)
{
	struct peer_msg	 m;

	host_start();
	host_login_201(4);
	up_london = 0;
	remote_peer_down("london");
	up_london = 1;
	remote_peer_up("london", 0);
	/* F3: reported to home before our DIR_SYNC. */
	ck_assert_int_ne(sent_find("london", PT_LOCATION, 0, &m), -1);
	ck_assert_str_eq(m_str(&m, PA_SITE), "paris");
	ck_assert_uint_eq(m_u64(&m, PA_GENERATION), 4);
	ck_assert_int_lt(sent_find("london", PT_LOCATION, 0, &m),
	    sent_find("london", PT_DIR_SYNC, 0, &m));
	event_base_loop(env->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	sleep(2);
	event_base_loop(env->base, EVLOOP_NONBLOCK);
	ck_assert(user_is_visitor("201"));
	ck_assert_str_eq(hotdesk_user_ext("201"), "301");
	/* Home's sync confirms the same generation: it stands. */
	dir_sync("london", "201", "Alice", "paris", "301", 4);
	ck_assert(user_is_visitor("201"));
}
END_TEST

START_TEST(test_host_drops_visitor_home_moved_meanwhile)
{
	host_start();
	host_login_201(4);
	remote_peer_down("london");
	remote_peer_up("london", 1);
	/* Home's sync: 201 logged in at berlin meanwhile (gen 6). */
	dir_sync("london", "201", "Alice", "berlin", "401", 6);
	ck_assert(!user_is_visitor("201"));
	ck_assert_str_eq(hotdesk_ext_user("301"), "301");
	ck_assert_str_eq(directory_lookup("201")->site, "berlin");
	ck_assert_int_eq(sent_count("london", PT_LOGOUT), 0);
}
END_TEST

START_TEST(test_host_drops_visitor_on_home_location)
{
	host_start();
	host_login_201(4);
	/* Old news first: harmless. */
	location("london", "201", "london", "london", "201", 3);
	ck_assert(user_is_visitor("201"));
	location("london", "201", "london", "london", "201", 5);
	ck_assert(!user_is_visitor("201"));
	ck_assert_str_eq(directory_lookup("201")->site, "london");
}
END_TEST

/* ===== home -> host, the record end to end ============================= */

START_TEST(test_record_travels_from_home_to_host)
{
	struct peer_msg	 m;
	struct answer	 r;
	struct user	*u;
	uint8_t		*buf;
	size_t		 len;
	int		 i;

	site_start(london_yaml, 1);
	login_req("paris", 100, "201", "1111", "301");
	i = sent_find("paris", PT_LOGIN_ANS, 0, &m);
	ck_assert_int_ne(i, -1);
	len = sent[i].len;
	buf = malloc(len);
	memcpy(buf, sent[i].buf, len);
	site_stop();
	event_base_free(env->base);
	env->base = NULL;

	host_start();
	dial("301", "*35*201*1111#", &r);
	sent_find("london", PT_LOGIN_REQ, 0, &m);
	buf[12] = m.seq >> 24;			/* answer this request */
	buf[13] = m.seq >> 16;
	buf[14] = m.seq >> 8;
	buf[15] = m.seq;
	feed_raw("london", buf, len);
	free(buf);
	ck_assert_int_eq(r.a, ANS_OK);
	u = user_find("201");
	ck_assert_str_eq(u->name, "Alice");
	ck_assert_int_eq(u->profile, PROFILE_POWER_USER);
	ck_assert_str_eq(u->user_rights, "Sales");	/* by name, R5 */
	ck_assert_uint_eq(u->short_codes.n, 1);
	ck_assert_str_eq(u->short_codes.v[0].code, "*77");
	ck_assert_uint_eq(u->nbuttons, 2);
	ck_assert_int_eq(u->buttons[1].type, BTN_SPEED_DIAL);
	ck_assert_str_eq(settings_get("201")->fwd_number, "202");
	ck_assert_ptr_null(u->login_code);
}
END_TEST

/* The suite. */
static Suite *
remote_suite(void)
{
	Suite	*s = suite_create("remote");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_reconcile_table);
	tcase_add_test(tc, test_home_grants_login_bumps_gen_moves_user);
	tcase_add_test(tc, test_home_counts_lockout);
	tcase_add_test(tc, test_home_refuses_other_sites_users);
	tcase_add_test(tc, test_home_releases_previous_host);
	tcase_add_test(tc, test_home_logout_returns_user_home);
	tcase_add_test(tc, test_home_force_login_user_stays_out_after_logout);
	tcase_add_test(tc, test_home_stores_settings_from_host);
	tcase_add_test(tc, test_home_reconcile_relogs_unconfirmed_user);
	tcase_add_test(tc, test_home_releases_stale_claim);
	tcase_add_test(tc, test_buttons_onto_remote_desker_inactive);
	tcase_add_test(tc, test_host_login_installs_visitor);
	tcase_add_test(tc, test_host_failures_map_to_phone_answers);
	tcase_add_test(tc, test_host_home_unreachable_at_once);
	tcase_add_test(tc, test_host_link_down_fails_pending_login);
	tcase_add_test(tc, test_host_login_times_out);
	tcase_add_test(tc, test_host_cancelled_login_never_answers);
	tcase_add_test(tc, test_host_licence_checks_record_profile);
	tcase_add_test(tc, test_host_logout_sends_user_home);
	tcase_add_test(tc, test_host_release_drops_visitor);
	tcase_add_test(tc, test_host_settings_queued_while_home_down);
	tcase_add_test(tc, test_host_orphan_logout);
	tcase_add_test(tc, test_host_home_back_before_orphan_timeout);
	tcase_add_test(tc, test_host_drops_visitor_home_moved_meanwhile);
	tcase_add_test(tc, test_host_drops_visitor_on_home_location);
	tcase_add_test(tc, test_record_travels_from_home_to_host);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(remote_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
