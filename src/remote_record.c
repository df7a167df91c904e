/*
 * A user's full record as home sends it to a host in LOGIN_ANS (DESIGN.md
 * R2): own settings as they are now, user short codes, buttons, profile,
 * and the *names* of the user rights and time profile, which the host
 * resolves in its own config (R5).  The login code never travels.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "peer_frame.h"
#include "remote.h"
#include "settings.h"
#include "users.h"
#include "xmalloc.h"

/* Put a string attribute only when set. */
static void
rec_put_opt(struct peer_out *o, uint16_t t, const char *s)
{
	if (s != NULL)
		peer_frame_put_str(o, t, s);
}

/* The settings attributes (LOGIN_ANS and SETTINGS). */
void
remote_settings_put(struct peer_out *o, const struct user_settings *s)
{
	peer_frame_put_flag(o, PA_DND, s->dnd);
	peer_frame_put_str(o, PA_FWD_NUMBER, s->fwd_number);
	peer_frame_put_flag(o, PA_FWD_UNCOND, s->fwd_unconditional);
	peer_frame_put_flag(o, PA_FWD_BUSY, s->fwd_busy);
	peer_frame_put_flag(o, PA_FWD_NOANSWER, s->fwd_no_answer);
	peer_frame_put_u32(o, PA_FWD_NOANSWER_TIME,
	    (uint32_t)s->no_answer_time);
}

/* One user short code, nested. */
static void
rec_put_shortcode(struct peer_out *o, const struct shortcode *sc)
{
	peer_frame_nest_begin(o, PA_SHORTCODE);
	peer_frame_put_str(o, PA_SC_CODE, sc->code);
	peer_frame_put_str(o, PA_SC_FEATURE, config_feature_name(sc->feature));
	rec_put_opt(o, PA_SC_NUMBER, sc->number);
	rec_put_opt(o, PA_SC_TRUNK, sc->trunk);
	rec_put_opt(o, PA_SC_SITE, sc->site);
	peer_frame_nest_end(o);
}

/* One button, nested. */
static void
rec_put_button(struct peer_out *o, const struct button *b)
{
	peer_frame_nest_begin(o, PA_BUTTON);
	peer_frame_put_str(o, PA_BTN_TYPE, config_button_name(b->type));
	rec_put_opt(o, PA_BTN_USER, b->user);
	rec_put_opt(o, PA_BTN_TRUNK, b->trunk);
	rec_put_opt(o, PA_BTN_NUMBER, b->number);
	rec_put_opt(o, PA_BTN_SITE, b->site);
	peer_frame_nest_end(o);
}

/* The whole record of u with settings s (NULL: the YAML values). */
void
remote_record_put(struct peer_out *o, const struct user *u,
    const struct user_settings *s)
{
	struct user_settings	 yaml;
	size_t			 i;

	peer_frame_put_str(o, PA_NAME, u->name);
	peer_frame_put_str(o, PA_PROFILE, config_profile_name(u->profile));
	rec_put_opt(o, PA_RIGHTS, u->user_rights);
	rec_put_opt(o, PA_OOH_RIGHTS, u->out_of_hours_user_rights);
	rec_put_opt(o, PA_TIME_PROFILE, u->working_hours_time_profile);
	peer_frame_put_flag(o, PA_FORCE_LOGIN, u->force_login);
	if (s == NULL) {
		memset(&yaml, 0, sizeof(yaml));
		yaml.dnd = u->dnd;
		yaml.fwd_number = u->forward.number;
		yaml.fwd_unconditional = u->forward.unconditional;
		yaml.fwd_busy = u->forward.on_busy;
		yaml.fwd_no_answer = u->forward.on_no_answer;
		yaml.no_answer_time = u->forward.no_answer_time;
		s = &yaml;
	}
	remote_settings_put(o, s);
	rec_put_opt(o, PA_TWIN_NUMBER, u->twinning_number);
	peer_frame_put_flag(o, PA_TWIN_ENABLED, u->twinning_enabled);
	for (i = 0; i < u->short_codes.n; i++)
		rec_put_shortcode(o, &u->short_codes.v[i]);
	for (i = 0; i < u->nbuttons; i++)
		rec_put_button(o, &u->buttons[i]);
}

/* A malloc'd copy of a string attribute; NULL when empty or absent. */
static char *
rec_str(const struct peer_attr *a)
{
	if (a == NULL || a->len == 0)
		return (NULL);
	return (peer_attr_strdup(a));
}

/* Read a nested short code; -1 when unusable (unknown feature...). */
static int
rec_get_shortcode(const struct peer_attr *n, struct shortcode *sc)
{
	struct peer_iter	 it;
	struct peer_attr	 a;
	char			 feat[32] = "";
	int			 f;

	memset(sc, 0, sizeof(*sc));
	peer_iter_nested(&it, n);
	while (peer_iter_next(&it, &a)) {
		switch (a.type) {
		case PA_SC_CODE:
			free(sc->code);
			sc->code = rec_str(&a);
			break;
		case PA_SC_FEATURE:
			peer_attr_str(&a, feat, sizeof(feat));
			break;
		case PA_SC_NUMBER:
			free(sc->number);
			sc->number = rec_str(&a);
			break;
		case PA_SC_TRUNK:
			free(sc->trunk);
			sc->trunk = rec_str(&a);
			break;
		case PA_SC_SITE:
			free(sc->site);
			sc->site = rec_str(&a);
			break;
		}
	}
	if (sc->code == NULL || (f = config_feature_lookup(feat)) == -1) {
		free(sc->code);
		free(sc->number);
		free(sc->trunk);
		free(sc->site);
		return (-1);
	}
	sc->feature = (enum sc_feature)f;
	return (0);
}

/* Read a nested button; -1 when its type is unknown here. */
static int
rec_get_button(const struct peer_attr *n, struct button *b)
{
	struct peer_iter	 it;
	struct peer_attr	 a;
	char			 type[32] = "";
	int			 t;
	char			**dst;

	memset(b, 0, sizeof(*b));
	peer_iter_nested(&it, n);
	while (peer_iter_next(&it, &a)) {
		switch (a.type) {
		case PA_BTN_TYPE:
			peer_attr_str(&a, type, sizeof(type));
			continue;
		case PA_BTN_USER:
			dst = &b->user;
			break;
		case PA_BTN_TRUNK:
			dst = &b->trunk;
			break;
		case PA_BTN_NUMBER:
			dst = &b->number;
			break;
		case PA_BTN_SITE:
			dst = &b->site;
			break;
		default:
			continue;
		}
		free(*dst);
		*dst = rec_str(&a);
	}
	if ((t = config_button_lookup(type)) == -1) {
		free(b->user);
		free(b->trunk);
		free(b->number);
		free(b->site);
		return (-1);
	}
	b->type = (enum button_type)t;
	return (0);
}

/* Add a repeated nested attribute to u's lists. */
static void
rec_get_nested(struct user *u, const struct peer_attr *a)
{
	struct shortcode	 sc;
	struct button		 b;

	if (a->type == PA_SHORTCODE && rec_get_shortcode(a, &sc) == 0) {
		u->short_codes.v = xreallocarray(u->short_codes.v,
		    u->short_codes.n + 1, sizeof(sc));
		u->short_codes.v[u->short_codes.n++] = sc;
	} else if (a->type == PA_BUTTON && rec_get_button(a, &b) == 0) {
		u->buttons = xreallocarray(u->buttons, u->nbuttons + 1,
		    sizeof(b));
		u->buttons[u->nbuttons++] = b;
	}
}

/* One flag of the record. */
static int
rec_flag(const struct peer_msg *m, uint16_t t)
{
	int	 v = 0;

	peer_msg_flag(m, t, &v);
	return (v);
}

/*
 * The record in a LOGIN_ANS as a struct user owned by the caller (for
 * user_visitor_add).  An unknown profile name counts as basic: the host
 * must never grant more than home meant (R6).
 */
struct user *
remote_record_get(const struct peer_msg *m, const char **cause)
{
	struct user		*u;
	struct peer_iter	 it;
	struct peer_attr	 a;
	char			 prof[32] = "";
	uint32_t		 t = 15;
	int			 p;

	u = xcalloc(1, sizeof(*u));
	if ((u->number = rec_str(peer_msg_get(m, PA_USER))) == NULL) {
		*cause = "no user";
		users_free_user(u);
		return (NULL);
	}
	u->name = rec_str(peer_msg_get(m, PA_NAME));
	peer_msg_str(m, PA_PROFILE, prof, sizeof(prof));
	p = config_profile_lookup(prof);
	u->profile = p == -1 ? PROFILE_BASIC : (enum profile)p;
	u->user_rights = rec_str(peer_msg_get(m, PA_RIGHTS));
	u->out_of_hours_user_rights = rec_str(peer_msg_get(m, PA_OOH_RIGHTS));
	u->working_hours_time_profile =
	    rec_str(peer_msg_get(m, PA_TIME_PROFILE));
	u->force_login = rec_flag(m, PA_FORCE_LOGIN);
	u->dnd = rec_flag(m, PA_DND);
	u->forward.number = rec_str(peer_msg_get(m, PA_FWD_NUMBER));
	u->forward.unconditional = rec_flag(m, PA_FWD_UNCOND);
	u->forward.on_busy = rec_flag(m, PA_FWD_BUSY);
	u->forward.on_no_answer = rec_flag(m, PA_FWD_NOANSWER);
	peer_msg_u32(m, PA_FWD_NOANSWER_TIME, &t);
	u->forward.no_answer_time = t > 0 && t < 3600 ? (int)t : 15;
	u->twinning_number = rec_str(peer_msg_get(m, PA_TWIN_NUMBER));
	u->twinning_enabled = rec_flag(m, PA_TWIN_ENABLED);
	peer_iter_init(&it, m);
	while (peer_iter_next(&it, &a))
		if (a.type == PA_SHORTCODE || a.type == PA_BUTTON)
			rec_get_nested(u, &a);
	return (u);
}
