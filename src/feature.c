/*
 * Feature short codes: the changes a user makes from the handset.  Every
 * rule that can refuse one lives here, so the phone's reason phrase and
 * the log line always agree.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dialplan.h"
#include "db.h"
#include "events.h"
#include "feature.h"
#include "hotdesk.h"
#include "log.h"
#include "remote.h"
#include "rights.h"
#include "roamd.h"
#include "settings.h"
#include "users.h"
#include "xmalloc.h"

/* Is the match one of ours rather than a call to route? */
int
feature_is_local(const struct dp_match *m)
{
	switch (m->sc->feature) {
	case SC_EXTN_LOGIN:
	case SC_EXTN_LOGOUT:
	case SC_DND_ON:
	case SC_DND_OFF:
	case SC_FWD_UNCOND_ON:
	case SC_FWD_UNCOND_OFF:
	case SC_FWD_BUSY_ON:
	case SC_FWD_BUSY_OFF:
	case SC_FWD_NOANSWER_ON:
	case SC_FWD_NOANSWER_OFF:
	case SC_FWD_NUMBER:
	case SC_CANCEL_FORWARDING:
		return (1);
	default:
		return (0);
	}
}

/* The user's effective rights now (D5). */
static const struct user_rights *
feature_rights(const char *number, time_t now)
{
	struct user	*u = user_find(number);

	if (u == NULL)
		return (NULL);
	return (rights_effective(env->conf, u->user_rights,
	    u->out_of_hours_user_rights, u->working_hours_time_profile, now));
}

/* Does block_forwarding stop this user setting forwards / hot desking? */
static int
feature_blocked(const char *number, time_t now)
{
	const struct user_rights *r = feature_rights(number, now);

	return (r != NULL && r->block_forwarding);
}

/* The digits a code carries: the substituted number, else what N got. */
static const char *
feature_digits(const struct dp_match *m)
{
	return (m->sc->number != NULL ? m->number : m->n);
}

/* extn_login: "USER*CODE" or "CODE" (H1, H2). */
static enum sip_answer
feature_login(const struct feature_ctx *c)
{
	const char	*digits = feature_digits(c->match), *star, *user;
	char		 number[64];
	enum sip_answer	 a;

	if ((star = strchr(digits, '*')) != NULL &&
	    (size_t)(star - digits) < sizeof(number)) {
		memcpy(number, digits, star - digits);
		number[star - digits] = '\0';
		if (user_find(number) != NULL &&
		    feature_blocked(number, c->now)) {
			log_warnx("login refused user=%s ext=%s call=%s "
			    "reason=block_forwarding", number, c->ext,
			    c->callid);
			events_add(EVK_LOGIN_FAILED, number, c->ext, "barred",
			    "block_forwarding call=%s", c->callid);
			return (ANS_BARRED);
		}
	}
	a = hotdesk_login_digits(c->ext, digits, c->now, &user);
	if (a != ANS_OK)
		log_warnx("login failed ext=%s call=%s reason=\"%s\"", c->ext,
		    c->callid, sip_answer_reason(a));
	return (a);
}

/* extn_logout (H3). */
static enum sip_answer
feature_logout(const struct feature_ctx *c)
{
	const char	*cause;

	if (c->user == NULL)
		return (ANS_NO_USER);
	if (hotdesk_logout(c->user, HDR_USER, &cause) == -1)
		return (ANS_NO_USER);
	return (ANS_OK);
}

/* A settings change's answer: stored, or refused (issue "crash safety"). */
static enum sip_answer
feature_stored(int rc)
{
	return (rc == 0 ? ANS_OK : ANS_STORAGE_FAILED);
}

/* Forward on: set the number first when the code carries one. */
static enum sip_answer
feature_forward_on(const struct feature_ctx *c, enum settings_field f)
{
	const struct user_settings	*s;
	const char			*digits = feature_digits(c->match);

	if (c->match->sc->number != NULL && *digits != '\0' &&
	    settings_set_fwd_number(c->user, digits) == -1)
		return (ANS_STORAGE_FAILED);
	if ((s = settings_get(c->user)) == NULL)
		return (ANS_NO_USER);
	if (s->fwd_number == NULL || *s->fwd_number == '\0')
		return (ANS_NO_FORWARD_NUMBER);
	return (feature_stored(settings_set(c->user, f, 1)));
}

/* The settings features; all need a user at the phone. */
static enum sip_answer
feature_settings(const struct feature_ctx *c)
{
	enum sc_feature	 f = c->match->sc->feature;

	if (c->user == NULL)
		return (ANS_NO_USER);
	switch (f) {
	case SC_FWD_UNCOND_ON:
	case SC_FWD_BUSY_ON:
	case SC_FWD_NOANSWER_ON:
	case SC_FWD_NUMBER:
		if (feature_blocked(c->user, c->now))
			return (ANS_BARRED);
		break;
	default:
		break;
	}
	switch (f) {
	case SC_DND_ON:
		return (feature_stored(settings_set(c->user, SET_DND, 1)));
	case SC_DND_OFF:
		return (feature_stored(settings_set(c->user, SET_DND, 0)));
	case SC_FWD_UNCOND_ON:
		return (feature_forward_on(c, SET_FWD_UNCONDITIONAL));
	case SC_FWD_BUSY_ON:
		return (feature_forward_on(c, SET_FWD_BUSY));
	case SC_FWD_NOANSWER_ON:
		return (feature_forward_on(c, SET_FWD_NO_ANSWER));
	case SC_FWD_UNCOND_OFF:
		return (feature_stored(settings_set(c->user,
		    SET_FWD_UNCONDITIONAL, 0)));
	case SC_FWD_BUSY_OFF:
		return (feature_stored(settings_set(c->user, SET_FWD_BUSY, 0)));
	case SC_FWD_NOANSWER_OFF:
		return (feature_stored(settings_set(c->user,
		    SET_FWD_NO_ANSWER, 0)));
	case SC_CANCEL_FORWARDING:
		return (feature_stored(settings_cancel_forwarding(c->user)));
	case SC_FWD_NUMBER:
		if (*feature_digits(c->match) == '\0')
			return (ANS_NO_FORWARD_NUMBER);
		return (feature_stored(settings_set_fwd_number(c->user,
		    feature_digits(c->match))));
	default:
		return (ANS_NOT_IMPLEMENTED);
	}
}

/* Run a feature code; log the outcome. */
enum sip_answer
feature_run(const struct feature_ctx *c)
{
	enum sip_answer	 a;

	switch (c->match->sc->feature) {
	case SC_EXTN_LOGIN:
		a = feature_login(c);
		break;
	case SC_EXTN_LOGOUT:
		a = feature_logout(c);
		break;
	default:
		a = feature_settings(c);
		break;
	}
	log_info("feature %s user=%s ext=%s call=%s result=%d reason=\"%s\"",
	    config_feature_name(c->match->sc->feature),
	    c->user != NULL ? c->user : "-", c->ext, c->callid,
	    sip_answer_code(a), sip_answer_reason(a));
	return (a);
}

/*
 * A feature answer waiting for the COMMIT of what the feature stored:
 * the phone hears 200 only once its change survives a kill -9.
 */
struct feature_wait {
	void			(*done)(enum sip_answer, void *);
	void			*arg;
	enum sip_answer		 answer;
	int			 cancelled;
	TAILQ_ENTRY(feature_wait) entry;
};
static TAILQ_HEAD(, feature_wait) feature_waits =
    TAILQ_HEAD_INITIALIZER(feature_waits);

/* The batch holding a feature's change is committed, or failed. */
static void
feature_committed(void *p)
{
	struct feature_wait	*w = p;

	TAILQ_REMOVE(&feature_waits, w, entry);
	if (!w->cancelled) {
		if (!db_last_commit_ok()) {
			log_warnx("feature not stored answer=%d",
			    sip_answer_code(ANS_STORAGE_FAILED));
			w->answer = ANS_STORAGE_FAILED;
		}
		w->done(w->answer, w->arg);
	}
	free(w);
}

/* Run a feature; a remote login answers later (feature.h). */
int
feature_start(const struct feature_ctx *c,
    void (*done)(enum sip_answer, void *), void *arg)
{
	struct feature_wait	*w;
	enum sip_answer		 a;
	int			 rc;

	if (c->match->sc->feature == SC_EXTN_LOGIN) {
		rc = remote_login_start(c->ext, feature_digits(c->match),
		    c->callid, done, arg);
		if (rc != 0)
			return (rc == 1);
	}
	a = feature_run(c);
	if (a != ANS_OK || db_pending() == 0) {
		done(a, arg);
		return (0);
	}
	w = xcalloc(1, sizeof(*w));
	w->done = done;
	w->arg = arg;
	w->answer = a;
	TAILQ_INSERT_TAIL(&feature_waits, w, entry);
	db_after_commit(feature_committed, w);
	return (1);
}

/* The phone gave up waiting: forget its pending answer. */
void
feature_cancel(void *arg)
{
	struct feature_wait	*w;

	TAILQ_FOREACH(w, &feature_waits, entry)
		if (w->arg == arg)
			w->cancelled = 1;
	remote_login_cancel(arg);
}
