/*
 * roamd: start-up, signals, the event loop and the dispatch of new SIP
 * server transactions to the module that owns the method.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <event2/event.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "call.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "hotdesk.h"
#include "http.h"
#include "log.h"
#include "overload.h"
#include "perm.h"
#include "peer.h"
#include "registrar.h"
#include "remote.h"
#include "roamd.h"
#include "sdnotify.h"
#include "settings.h"
#include "sip_guard.h"
#include "sip_msg.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"
#include "users.h"
#include "xmalloc.h"

#define ROAMD_ALLOW	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"

static struct roamd	 roamd_state;
struct roamd		*env = &roamd_state;

/*
 * Configs replaced by a reload.  Modules look the config up through env
 * at each use and calls copy what they take from it, but work that
 * waits for an answer (a transaction, a remote login asking its home)
 * may still hold a user or trunk: a replaced config is freed only once
 * everything of that time is over (ROAMD_RETIRE_WAIT, Timer B/F's 64*T1)
 * and every call that was up then has ended.  Without this a site of
 * 100,000 users keeps ~100 MB more with every reload.
 */
struct roamd_retired {
	struct config	*conf;
	time_t		 at;		/* replaced (wall clock, as calls) */
	time_t		 mono;		/* replaced (monotonic seconds) */
};
static struct roamd_retired	*roamd_retired;
static size_t			 roamd_nretired;
#define ROAMD_RETIRE_WAIT	32	/* seconds */

static void	roamd_request(struct sip_tx *, const struct sip_msg *);

static const struct sip_tx_core roamd_core = {
	.request = roamd_request,
	.ack = call_ack,
	.cancelled = call_cancelled,
	.ack_timeout = call_ack_timeout,
	.stray_response = call_stray_response,
	.send = NULL,
};

/*
 * Give the freed heap back to the system.  After a registration storm or
 * a reload glibc keeps what was freed for reuse, and without a trim the
 * RSS stays at the storm's peak for ever.  A trim walks glibc's free
 * lists (milliseconds at 100,000 phones); a later burst only faults the
 * pages in again.
 */
#define ROAMD_TRIM_INTERVAL	15	/* seconds */

/* Free the replaced configs nothing can point into any more. */
static void
roamd_retire(void)
{
	struct roamd_retired	*r;
	struct timespec		 now;
	time_t			 oldest;
	size_t			 i, kept = 0;

	if (roamd_nretired == 0)
		return;		/* the usual case: no walk of the calls */
	clock_gettime(CLOCK_MONOTONIC, &now);
	oldest = call_oldest();
	for (i = 0; i < roamd_nretired; i++) {
		r = &roamd_retired[i];
		if (now.tv_sec - r->mono < ROAMD_RETIRE_WAIT ||
		    (oldest != 0 && oldest <= r->at)) {
			roamd_retired[kept++] = *r;
			continue;
		}
		log_info("reload: replaced config freed users=%zu "
		    "replaced_s=%lld", r->conf->nusers,
		    (long long)(now.tv_sec - r->mono));
		config_free(r->conf);
	}
	roamd_nretired = kept;
}

static void
roamd_trim(evutil_socket_t fd, short events, void *arg)
{
	roamd_retire();
	malloc_trim(0);
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: roamd [-dn] -c file\n");
	exit(1);
}

/* Answer OPTIONS: we are alive, and what we accept (RFC 3261 11.2). */
static void
roamd_options(struct sip_tx *tx, const struct sip_msg *req)
{
	struct sip_msg	*resp;

	resp = sip_msg_response(req, sip_answer_code(ANS_OK),
	    sip_answer_reason(ANS_OK), sip_tx_local_tag(tx));
	if (resp == NULL)
		return;
	sip_msg_add_header(resp, "Allow", ROAMD_ALLOW);
	sip_msg_add_header(resp, "Accept", "application/sdp");
	sip_tx_respond(tx, resp);
}

/* A new server transaction: hand it to the module owning the method. */
static void
roamd_request(struct sip_tx *tx, const struct sip_msg *req)
{
	const char	*m = sip_msg_method(req);
	struct sip_msg	*resp;

	if (strcmp(m, "REGISTER") == 0)
		registrar_request(tx, req);
	else if (strcmp(m, "INVITE") == 0 || strcmp(m, "BYE") == 0 ||
	    strcmp(m, "UPDATE") == 0 || strcmp(m, "INFO") == 0)
		call_request(tx, req);
	else if (strcmp(m, "OPTIONS") == 0)
		roamd_options(tx, req);
	else {
		resp = sip_msg_response(req,
		    sip_answer_code(ANS_METHOD_NOT_ALLOWED),
		    sip_answer_reason(ANS_METHOD_NOT_ALLOWED),
		    sip_tx_local_tag(tx));
		if (resp == NULL)
			return;
		sip_msg_add_header(resp, "Allow", ROAMD_ALLOW);
		sip_tx_respond(tx, resp);
	}
}

/* Join config errors into one text, one per line. */
static char *
roamd_join_errors(const struct config_errors *errs)
{
	char	*out = xstrdup(""), *next;
	size_t	 i;

	for (i = 0; i < errs->n; i++) {
		xasprintf(&next, "%s%s\n", out, errs->v[i]);
		free(out);
		out = next;
	}
	return (out);
}

/* Load the config file; NULL and *errs (text) when it is broken. */
static struct config *
roamd_load(const char *file, char **errs)
{
	struct config_errors	 ce = { NULL, 0 };
	struct config		*conf;

	conf = config_load(file, &ce);
	if (conf == NULL)
		*errs = roamd_join_errors(&ce);
	config_errors_free(&ce);
	return (conf);
}

/* Warn about changes a reload cannot apply. */
static void
roamd_reload_check(const struct config *old, const struct config *new)
{
	if (strcmp(old->site_name, new->site_name) != 0 ||
	    old->site_id != new->site_id)
		log_warnx("reload: site name/id change needs a restart");
	if (strcmp(old->database, new->database) != 0 ||
	    strcmp(old->control, new->control) != 0)
		log_warnx("reload: database/control change needs a restart");
	if (old->nsip != new->nsip)
		log_warnx("reload: sip listener change needs a restart");
}

/* Re-read the config; a broken one is refused and the running one stays. */
int
roamd_reload(char **errs)
{
	struct config	*conf;
	char		*cause = NULL;
	struct timespec	 t0, t1;

	*errs = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((conf = roamd_load(env->conffile, errs)) == NULL) {
		log_warnx("reload refused file=%s", env->conffile);
		return (-1);
	}
	roamd_reload_check(env->conf, conf);
	if (db_store_config(conf, &cause) == -1) {
		log_warnx("reload: storing config: %s", cause);
		free(cause);
	}
	roamd_retired = xreallocarray(roamd_retired, roamd_nretired + 1,
	    sizeof(*roamd_retired));
	roamd_retired[roamd_nretired].conf = env->conf;
	roamd_retired[roamd_nretired].at = time(NULL);
	roamd_retired[roamd_nretired].mono = t0.tv_sec;	/* reload's start */
	roamd_nretired++;
	env->conf = conf;
	sip_guard_reload();
	registrar_reload();
	hotdesk_reload();
	settings_reload();
	remote_reload();
	peer_reload();
	/* Calls that waited for the reload are not an overload. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	overload_stalled((uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	log_info("reload ok file=%s users=%zu extensions=%zu", env->conffile,
	    conf->nusers, conf->nextensions);
	return (0);
}

/* SIGTERM/SIGINT: leave the loop. */
static void
roamd_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	log_info("shutdown signal=%d", (int)sig);
	sdnotify_stopping();
	event_base_loopexit(env->base, NULL);
}

/* SIGHUP: reload. */
static void
roamd_sighup(evutil_socket_t sig, short ev, void *arg)
{
	char	*errs;

	sdnotify_reloading();
	if (roamd_reload(&errs) == -1) {
		fputs(errs, stderr);
		free(errs);
	}
	sdnotify_ready();
}

/* -n: check the config, print every problem, exit 0 or 1. */
static int
roamd_check(const char *file)
{
	struct config	*conf;
	char		*errs;

	if ((conf = roamd_load(file, &errs)) == NULL) {
		fputs(errs, stderr);
		free(errs);
		return (1);
	}
	printf("%s: configuration OK: site %s (id %d), %zu users, "
	    "%zu extensions, %zu trunks\n", file, conf->site_name,
	    conf->site_id, conf->nusers, conf->nextensions, conf->ntrunks);
	config_free(conf);
	return (0);
}

/* Open the SIP listeners of site.sip. */
static void
roamd_listen(void)
{
	const char	*cause;
	size_t		 i;

	for (i = 0; i < env->conf->nsip; i++) {
		if (sip_transport_listen(&env->conf->sip[i], &cause) == -1)
			fatalx("sip listen %s: %s", env->conf->sip[i].text,
			    cause);
		log_info("sip listening on %s", env->conf->sip[i].text);
	}
}

/* Bring every module up in dependency order. */
static void
roamd_start(void)
{
	char	*cause = NULL;

	if (env->conf->timezone != NULL) {
		setenv("TZ", env->conf->timezone, 1);
		tzset();
	}
	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	/* Priority 2 is for the db batch commit: after all other events. */
	if (event_base_priority_init(env->base, 3) == -1)
		fatalx("event_base_priority_init");
	if (RAND_bytes((unsigned char *)&env->epoch, sizeof(env->epoch)) != 1)
		fatalx("RAND_bytes");
	env->started = time(NULL);
	if (db_open(env->conf->database, env->base, &cause) == -1)
		fatalx("database %s: %s", env->conf->database, cause);
	if (db_store_config(env->conf, &cause) == -1)
		fatalx("database %s: %s", env->conf->database, cause);
	auth_init();
	sip_tx_init(env->base, &roamd_core, NULL);
	sip_transport_init(env->base, sip_tx_input);
	roamd_listen();
	registrar_init();
	hotdesk_init();
	settings_init();
	remote_init();		/* registers its peer callbacks first */
	if (peer_init(env->base, &cause) == -1)
		fatalx("network: %s", cause);
	call_init();
	if (control_init(env->base, env->conf->control, &cause) == -1)
		fatalx("control socket %s: %s", env->conf->control, cause);
	if (http_init(env->base, env->conf->http, env->conf->http_token_file,
	    &cause) == -1)
		fatalx("http %s: %s", env->conf->http, cause);
}

/* Issue 5: refuse a config or database that other users can read. */
static void
roamd_perm_check(void)
{
	const char	*path[] = { env->conffile, env->conf->database };
	const char	*what[] = { "config", "database" };
	char		*cause;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if (perm_check_private(path[i], what[i], &cause) == 0)
			continue;
		if (!env->conf->allow_insecure_permissions)
			fatalx("%s", cause);
		log_warnx("insecure permissions allowed: %s", cause);
		free(cause);
	}
}

/* Take every module down, flush the db. */
static void
roamd_stop(void)
{
	size_t	 i;

	sdnotify_shutdown();
	http_shutdown();
	control_shutdown();
	peer_shutdown();
	remote_shutdown();	/* pending remote logins end before calls */
	call_shutdown();
	settings_shutdown();
	hotdesk_shutdown();
	users_shutdown();
	registrar_shutdown();
	sip_transport_shutdown();
	sip_tx_shutdown();
	auth_shutdown();
	db_close();
	event_base_free(env->base);
	for (i = 0; i < roamd_nretired; i++)
		config_free(roamd_retired[i].conf);
	free(roamd_retired);
	config_free(env->conf);
}

int
main(int argc, char *argv[])
{
	struct event	*ev_term, *ev_int, *ev_hup, *ev_trim;
	struct timeval	 trim_tv = { ROAMD_TRIM_INTERVAL, 0 };
	char		*errs;
	int		 ch, check = 0;

	while ((ch = getopt(argc, argv, "c:dn")) != -1) {
		switch (ch) {
		case 'c':
			env->conffile = optarg;
			break;
		case 'd':
			env->debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (env->conffile == NULL || optind != argc)
		usage();
	if (check)
		return (roamd_check(env->conffile));

	log_init(env->debug, NULL);
	if ((env->conf = roamd_load(env->conffile, &errs)) == NULL) {
		fputs(errs, stderr);
		free(errs);
		return (1);
	}
	log_setsite(env->conf->site_name);
	signal(SIGPIPE, SIG_IGN);
	/* The database, its WAL and the socket: private to us. */
	umask(077);
	roamd_perm_check();
	roamd_start();

	ev_term = evsignal_new(env->base, SIGTERM, roamd_sigterm, NULL);
	ev_int = evsignal_new(env->base, SIGINT, roamd_sigterm, NULL);
	ev_hup = evsignal_new(env->base, SIGHUP, roamd_sighup, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	ev_trim = event_new(env->base, -1, EV_PERSIST, roamd_trim, NULL);
	event_add(ev_trim, &trim_tv);

	log_info("started id=%d epoch=%016llx config=%s users=%zu "
	    "extensions=%zu", env->conf->site_id,
	    (unsigned long long)env->epoch, env->conffile, env->conf->nusers,
	    env->conf->nextensions);
	sdnotify_init(env->base);
	sdnotify_ready();
	event_base_dispatch(env->base);

	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(ev_trim);
	roamd_stop();
	log_info("stopped");
	return (0);
}
