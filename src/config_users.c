/*
 * The config sections about people and dialling: short codes (three
 * tiers), user rights, trunks with their DDIs, extensions and users with
 * their buttons.  Names they refer to are checked at the end of the walk
 * (config.c), since a reference may point further down the file.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_walk.h"
#include "hmap.h"
#include "xmalloc.h"

/* A short-code feature name. */
static void
cfg_fn_feature(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct shortcode	*sc = obj;
	const char		*s;
	int			 f;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a feature name")) == NULL)
		return;
	if ((f = config_feature_lookup(s)) == -1) {
		cfg_err(ld, v->start_mark, "%s: unknown feature \"%s\"", ctx,
		    s);
		return;
	}
	sc->feature = f;
}

static const struct cfg_key cfg_shortcode_keys[] = {
	{ "code", CFG_STR, 1, offsetof(struct shortcode, code), NULL },
	{ "feature", CFG_FN, 1, 0, cfg_fn_feature },
	{ "number", CFG_STR, 0, offsetof(struct shortcode, number), NULL },
	{ "trunk", CFG_STR, 0, offsetof(struct shortcode, trunk), NULL },
	{ "site", CFG_STR, 0, offsetof(struct shortcode, site), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* D2: a code is digits, * # and the wildcards N X, or "?" alone. */
static void
cfg_check_pattern(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    const char *code)
{
	const char	*bad;

	if (code == NULL || strcmp(code, "?") == 0)
		return;
	if (*code == '\0') {
		cfg_err(ld, cfg_mark(ld, item, "code"), "%s: code is empty",
		    ctx);
		return;
	}
	bad = code + strspn(code, "0123456789*#NX");
	if (*bad != '\0')
		cfg_err(ld, cfg_mark(ld, item, "code"), "%s: bad pattern: "
		    "'%c' is not allowed (use 0-9 * # N X, or ? alone)", ctx,
		    *bad);
}

/* Does the feature dial something the rule must name? */
static int
cfg_needs_number(const struct shortcode *sc)
{
	switch (sc->feature) {
	case SC_DIAL:
	case SC_DIAL_EXTN:
	case SC_DIAL_EMERGENCY:
	case SC_FWD_NUMBER:
		return (1);
	case SC_BREAK_OUT:
		return (sc->site == NULL);
	default:
		return (0);
	}
}

/* Check one short code once its keys are read. */
static void
cfg_check_shortcode(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    struct shortcode_list *l)
{
	struct shortcode	*sc = &l->v[l->n - 1];
	const char		*bad;
	size_t			 i;

	cfg_check_pattern(ld, item, ctx, sc->code);
	if (sc->feature != SC_FEATURE_MAX && sc->number == NULL &&
	    cfg_needs_number(sc) && cfg_get(ld, item, "number") == NULL)
		cfg_err(ld, item->start_mark, "%s: feature %s needs a number",
		    ctx, config_feature_name(sc->feature));
	if (sc->number != NULL) {
		bad = sc->number + strspn(sc->number, "0123456789*#+NE.");
		if (*bad != '\0' || *sc->number == '\0')
			cfg_err(ld, cfg_mark(ld, item, "number"), "%s: number "
			    "\"%s\": use digits, * # + and N . E", ctx,
			    sc->number);
	}
	cfg_ref(ld, CFG_REF_TRUNK, sc->trunk, cfg_get(ld, item, "trunk"), ctx,
	    "trunk");
	for (i = 0; sc->code != NULL && i + 1 < l->n; i++) {
		if (l->v[i].code != NULL &&
		    strcmp(l->v[i].code, sc->code) == 0) {
			cfg_err(ld, cfg_mark(ld, item, "code"), "%s: duplicate "
			    "code in this list (first at line %d)", ctx,
			    l->v[i].line);
			break;
		}
	}
}

/* A short_codes list: system, user rights or user tier. */
static void
cfg_shortcodes(struct cfg_load *ld, yaml_node_t *v, const char *owner,
    struct shortcode_list *l)
{
	struct shortcode	*sc;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, owner != NULL ? owner : "top level",
	    "short_codes"))
		return;
	l->v = xcalloc(cfg_nitems(v), sizeof(*l->v));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		sc = &l->v[l->n++];
		sc->feature = SC_FEATURE_MAX;
		sc->line = item->start_mark.line + 1;
		ictx = cfg_ctx(ld, owner, "short code", item, "code", 1, i);
		cfg_map(ld, item, ictx, cfg_shortcode_keys, sc);
		if (item->type == YAML_MAPPING_NODE)
			cfg_check_shortcode(ld, item, ictx, l);
		free(ictx);
	}
}

/* short_codes of a user or of user rights. */
static void
cfg_fn_shortcodes(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	cfg_shortcodes(ld, v, ctx,
	    (struct shortcode_list *)((char *)obj + k->off));
}

/* The top-level short_codes: the system tier. */
void
cfg_fn_sys_shortcodes(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config	*c = obj;

	cfg_shortcodes(ld, v, NULL, &c->short_codes);
}

static const struct cfg_key cfg_rights_keys[] = {
	{ "name", CFG_STR, 1, offsetof(struct user_rights, name), NULL },
	{ "outgoing_call_bar", CFG_BOOL, 0,
	    offsetof(struct user_rights, outgoing_call_bar), NULL },
	{ "block_forwarding", CFG_BOOL, 0,
	    offsetof(struct user_rights, block_forwarding), NULL },
	{ "short_codes", CFG_FN, 0, offsetof(struct user_rights, short_codes),
	    cfg_fn_shortcodes },
	{ NULL, 0, 0, 0, NULL }
};

/* The user_rights: section. */
void
cfg_fn_rights(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config		*c = obj;
	struct user_rights	*ur;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->user_rights = xcalloc(cfg_nitems(v), sizeof(*c->user_rights));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		ur = &c->user_rights[c->nuser_rights++];
		ictx = cfg_ctx(ld, NULL, "user rights", item, "name", 0, i);
		cfg_map(ld, item, ictx, cfg_rights_keys, ur);
		cfg_dup(ld, "user rights", ur->name,
		    cfg_get(ld, item, "name"));
		free(ictx);
	}
}

static const struct cfg_key cfg_auth_keys[] = {
	{ "username", CFG_STR, 1, offsetof(struct trunk, auth_username), NULL },
	{ "password", CFG_STR, 1, offsetof(struct trunk, auth_password), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* trunk auth: credentials for carrier challenges. */
static void
cfg_fn_auth(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	char	*actx;

	xasprintf(&actx, "%s auth", ctx);
	cfg_map(ld, v, actx, cfg_auth_keys, obj);
	free(actx);
}

static const struct cfg_key cfg_ddi_keys[] = {
	{ "ddi", CFG_STR, 1, offsetof(struct ddi_route, ddi), NULL },
	{ "destination", CFG_STR, 1, offsetof(struct ddi_route, destination),
	    NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* trunk incoming: DDI -> user routes. */
static void
cfg_fn_incoming(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct trunk		*t = obj;
	struct ddi_route	*r;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	t->incoming = xcalloc(cfg_nitems(v), sizeof(*t->incoming));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		r = &t->incoming[t->nincoming++];
		ictx = cfg_ctx(ld, ctx, "DDI", item, "ddi", 0, i);
		cfg_map(ld, item, ictx, cfg_ddi_keys, r);
		cfg_ref(ld, CFG_REF_USER, r->destination,
		    cfg_get(ld, item, "destination"), ictx, "destination");
		free(ictx);
	}
}

static const struct cfg_key cfg_trunk_keys[] = {
	{ "name", CFG_STR, 1, offsetof(struct trunk, name), NULL },
	{ "address", CFG_FN, 1, offsetof(struct trunk, address),
	    cfg_fn_sipaddr },
	{ "auth", CFG_FN, 0, 0, cfg_fn_auth },
	{ "incoming", CFG_FN, 0, 0, cfg_fn_incoming },
	{ NULL, 0, 0, 0, NULL }
};

/* The trunks: section. */
void
cfg_fn_trunks(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	struct trunk	*t;
	yaml_node_t	*item;
	char		*ictx;
	size_t		 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->trunks = xcalloc(cfg_nitems(v), sizeof(*c->trunks));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		t = &c->trunks[c->ntrunks++];
		ictx = cfg_ctx(ld, NULL, "trunk", item, "name", 0, i);
		cfg_map(ld, item, ictx, cfg_trunk_keys, t);
		cfg_dup(ld, "trunk", t->name, cfg_get(ld, item, "name"));
		free(ictx);
	}
}

static const struct cfg_key cfg_extension_keys[] = {
	{ "number", CFG_FN, 1, offsetof(struct extension, number),
	    cfg_fn_number },
	{ "password", CFG_STR, 1, offsetof(struct extension, password), NULL },
	{ "base_user", CFG_STR, 0, offsetof(struct extension, base_user),
	    NULL },
	{ "location", CFG_STR, 0, offsetof(struct extension, location), NULL },
	{ "remote_worker", CFG_BOOL, 0,
	    offsetof(struct extension, remote_worker), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* The line of list item i's number, for a duplicate's error. */
static unsigned long
cfg_number_line(struct cfg_load *ld, yaml_node_t *list, size_t i)
{
	yaml_node_t	*at = cfg_get(ld, cfg_item(ld, list, i), "number");

	return (at != NULL ? (unsigned long)at->start_mark.line + 1 : 0);
}

/*
 * Index extension i of list by number as the walk goes; a number seen
 * before is an error and the first keeps it.  Users and extensions are
 * checked here rather than by cfg_dup(): the index is needed anyway, and
 * a second map of 200,000 names at 100,000 users cost a tenth of a
 * reload.
 */
static void
cfg_index_ext(struct cfg_load *ld, struct config *c, yaml_node_t *list,
    size_t i)
{
	struct extension	*e = &c->extensions[i], *first;
	yaml_node_t		*at;

	at = cfg_get(ld, cfg_item(ld, list, i), "number");
	if (e->number == NULL || at == NULL)
		return;
	if ((first = hmap_get(c->ext_index, e->number)) != NULL)
		cfg_err(ld, at->start_mark, "duplicate extension number \"%s\" "
		    "(first at line %lu)", e->number, cfg_number_line(ld, list,
		    (size_t)(first - c->extensions)));
	else
		hmap_put(c->ext_index, e->number, e);
}

/* Index user i of list by number as the walk goes, like cfg_index_ext(). */
static void
cfg_index_user(struct cfg_load *ld, struct config *c, yaml_node_t *list,
    size_t i)
{
	struct user	*u = &c->users[i], *first;
	yaml_node_t	*at;

	at = cfg_get(ld, cfg_item(ld, list, i), "number");
	if (u->number == NULL || at == NULL)
		return;
	if ((first = hmap_get(c->user_index, u->number)) != NULL)
		cfg_err(ld, at->start_mark, "duplicate user number \"%s\" "
		    "(first at line %lu)", u->number, cfg_number_line(ld, list,
		    (size_t)(first - c->users)));
	else
		hmap_put(c->user_index, u->number, u);
}

/* The extensions: section. */
void
cfg_fn_extensions(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct config		*c = obj;
	struct extension	*e;
	yaml_node_t		*item;
	char			*ictx;
	size_t			 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->extensions = xcalloc(cfg_nitems(v), sizeof(*c->extensions));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		e = &c->extensions[c->nextensions++];
		e->line = item->start_mark.line + 1;
		ictx = cfg_ctx(ld, NULL, "extension", item, "number", 0, i);
		cfg_map(ld, item, ictx, cfg_extension_keys, e);
		cfg_index_ext(ld, c, v, i);
		if (e->password != NULL && *e->password == '\0')
			cfg_err(ld, cfg_mark(ld, item, "password"), "%s: "
			    "password is empty", ictx);
		cfg_ref(ld, CFG_REF_USER, e->base_user,
		    cfg_get(ld, item, "base_user"), ictx, "base_user");
		free(ictx);
	}
}

/* A user's login_code: 4-31 digits (it is hashed into the database). */
static void
cfg_fn_login_code(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct user	*u = obj;
	const char	*s;
	size_t		 len;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "digits")) == NULL)
		return;
	len = strlen(s);
	/* Do not echo the code: the error output may be shared. */
	if (len < 4 || len > 31 || strspn(s, "0123456789") != len) {
		cfg_err(ld, v->start_mark, "%s: login_code must be 4-31 "
		    "digits", ctx);
		return;
	}
	u->login_code = xstrdup(s);
}

/* A user's licence profile. */
static void
cfg_fn_profile(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct user		*u = obj;
	struct cfg_licence	*l;
	const char		*s;
	int			 p;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a profile")) == NULL)
		return;
	if ((p = config_profile_lookup(s)) == -1) {
		cfg_err(ld, v->start_mark, "%s: unknown profile \"%s\" (use "
		    "basic, office_worker, teleworker, mobile_worker or "
		    "power_user)", ctx, s);
		return;
	}
	u->profile = p;
	if (p == PROFILE_BASIC)
		return;
	ld->lics = xreallocarray(ld->lics, ld->nlics + 1, sizeof(*ld->lics));
	l = &ld->lics[ld->nlics++];
	l->profile = p;
	l->mark = v->start_mark;
}

static const struct cfg_key cfg_forward_keys[] = {
	{ "number", CFG_STR, 0, offsetof(struct forward, number), NULL },
	{ "unconditional", CFG_BOOL, 0,
	    offsetof(struct forward, unconditional), NULL },
	{ "on_busy", CFG_BOOL, 0, offsetof(struct forward, on_busy), NULL },
	{ "on_no_answer", CFG_BOOL, 0, offsetof(struct forward, on_no_answer),
	    NULL },
	{ "no_answer_time", CFG_DUR, 0,
	    offsetof(struct forward, no_answer_time), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* A user's forward: settings. */
static void
cfg_fn_forward(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct user	*u = obj;
	char		*fctx;

	xasprintf(&fctx, "%s forward", ctx);
	cfg_map(ld, v, fctx, cfg_forward_keys, &u->forward);
	if (u->forward.no_answer_time < 1)
		cfg_err(ld, cfg_mark(ld, v, "no_answer_time"), "%s: "
		    "no_answer_time must be at least 1s", fctx);
	free(fctx);
}

static const struct cfg_key cfg_twinning_keys[] = {
	{ "number", CFG_STR, 0, offsetof(struct user, twinning_number), NULL },
	{ "enabled", CFG_BOOL, 0, offsetof(struct user, twinning_enabled),
	    NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* A user's mobile_twinning: settings. */
static void
cfg_fn_twinning(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	char	*tctx;

	xasprintf(&tctx, "%s mobile_twinning", ctx);
	cfg_map(ld, v, tctx, cfg_twinning_keys, obj);
	free(tctx);
}

/* A button's type. */
static void
cfg_fn_button_type(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct button	*b = obj;
	const char	*s;
	int		 t;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a button type")) == NULL)
		return;
	if ((t = config_button_lookup(s)) == -1) {
		cfg_err(ld, v->start_mark, "%s: unknown button type \"%s\"",
		    ctx, s);
		return;
	}
	b->type = t;
}

static const struct cfg_key cfg_button_keys[] = {
	{ "type", CFG_FN, 1, 0, cfg_fn_button_type },
	{ "user", CFG_STR, 0, offsetof(struct button, user), NULL },
	{ "trunk", CFG_STR, 0, offsetof(struct button, trunk), NULL },
	{ "number", CFG_STR, 0, offsetof(struct button, number), NULL },
	{ "site", CFG_STR, 0, offsetof(struct button, site), NULL },
	{ NULL, 0, 0, 0, NULL }
};

/* Check that a button has what its type acts on. */
static void
cfg_check_button(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    struct button *b)
{
	const char	*need = NULL;

	switch (b->type) {
	case BTN_BRIDGED_APPEARANCE:
	case BTN_COVERAGE_APPEARANCE:
		if (b->user == NULL)
			need = "a user";
		break;
	case BTN_LINE_APPEARANCE:
		if (b->trunk == NULL)
			need = "a trunk";
		break;
	case BTN_SPEED_DIAL:
		if (b->number == NULL)
			need = "a number";
		break;
	case BTN_BREAK_OUT:
		if (b->site == NULL && b->number == NULL)
			need = "a site or a number";
		break;
	default:
		break;
	}
	if (need != NULL && b->type != BTN_MAX)
		cfg_err(ld, item->start_mark, "%s: %s needs %s", ctx,
		    config_button_name(b->type), need);
	cfg_ref(ld, CFG_REF_USER, b->user, cfg_get(ld, item, "user"), ctx,
	    "user");
	cfg_ref(ld, CFG_REF_TRUNK, b->trunk, cfg_get(ld, item, "trunk"), ctx,
	    "trunk");
}

/* A user's buttons: list. */
static void
cfg_fn_buttons(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct user	*u = obj;
	struct button	*b;
	yaml_node_t	*item;
	char		*ictx;
	size_t		 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	u->buttons = xcalloc(cfg_nitems(v), sizeof(*u->buttons));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		b = &u->buttons[u->nbuttons++];
		b->type = BTN_MAX;
		xasprintf(&ictx, "%s: button #%zu", ctx, i + 1);
		cfg_map(ld, item, ictx, cfg_button_keys, b);
		if (item->type == YAML_MAPPING_NODE)
			cfg_check_button(ld, item, ictx, b);
		free(ictx);
	}
}

/*
 * A user's allowed_prefixes: the only number beginnings an external dial
 * may have (toll-fraud guard, call_guard.c).  Digits only: a typo such as
 * "+44" would otherwise refuse every call without a word.
 */
static void
cfg_fn_prefixes(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	struct user	*u = obj;
	yaml_node_t	*item;
	const char	*s;
	size_t		 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	u->allowed_prefixes = xcalloc(cfg_nitems(v) + 1,
	    sizeof(*u->allowed_prefixes));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		if ((s = cfg_scalar(ld, item, ctx, k->name, "digits")) == NULL)
			continue;
		if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) {
			cfg_err(ld, item->start_mark, "%s: %s: \"%s\" is not "
			    "a prefix of digits", ctx, k->name, s);
			continue;
		}
		u->allowed_prefixes[u->nallowed_prefixes++] = xstrdup(s);
	}
}

static const struct cfg_key cfg_user_keys[] = {
	{ "number", CFG_FN, 1, offsetof(struct user, number), cfg_fn_number },
	{ "name", CFG_STR, 1, offsetof(struct user, name), NULL },
	{ "login_code", CFG_FN, 0, 0, cfg_fn_login_code },
	{ "force_login", CFG_BOOL, 0, offsetof(struct user, force_login),
	    NULL },
	{ "profile", CFG_FN, 0, 0, cfg_fn_profile },
	{ "user_rights", CFG_STR, 0, offsetof(struct user, user_rights), NULL },
	{ "out_of_hours_user_rights", CFG_STR, 0,
	    offsetof(struct user, out_of_hours_user_rights), NULL },
	{ "working_hours_time_profile", CFG_STR, 0,
	    offsetof(struct user, working_hours_time_profile), NULL },
	{ "dnd", CFG_BOOL, 0, offsetof(struct user, dnd), NULL },
	{ "forward", CFG_FN, 0, 0, cfg_fn_forward },
	{ "mobile_twinning", CFG_FN, 0, 0, cfg_fn_twinning },
	{ "short_codes", CFG_FN, 0, offsetof(struct user, short_codes),
	    cfg_fn_shortcodes },
	{ "buttons", CFG_FN, 0, 0, cfg_fn_buttons },
	{ "max_external_calls", CFG_INT, 0,
	    offsetof(struct user, max_external_calls), NULL },
	{ "allowed_prefixes", CFG_FN, 0, 0, cfg_fn_prefixes },
	{ NULL, 0, 0, 0, NULL }
};

/* Walk one user. */
static void
cfg_user(struct cfg_load *ld, yaml_node_t *item, const char *ctx,
    struct user *u)
{
	u->line = item->start_mark.line + 1;
	u->forward.no_answer_time = 15;
	cfg_map(ld, item, ctx, cfg_user_keys, u);
	cfg_ref(ld, CFG_REF_RIGHTS, u->user_rights,
	    cfg_get(ld, item, "user_rights"), ctx, "user_rights");
	cfg_ref(ld, CFG_REF_RIGHTS, u->out_of_hours_user_rights,
	    cfg_get(ld, item, "out_of_hours_user_rights"), ctx,
	    "out_of_hours_user_rights");
	cfg_ref(ld, CFG_REF_TPROF, u->working_hours_time_profile,
	    cfg_get(ld, item, "working_hours_time_profile"), ctx,
	    "working_hours_time_profile");
}

/* The users: section. */
void
cfg_fn_users(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	struct config	*c = obj;
	yaml_node_t	*item;
	char		*ictx;
	size_t		 i;

	if (!cfg_is_list(ld, v, ctx, k->name))
		return;
	c->users = xcalloc(cfg_nitems(v), sizeof(*c->users));
	for (i = 0; i < cfg_nitems(v); i++) {
		item = cfg_item(ld, v, i);
		ictx = cfg_ctx(ld, NULL, "user", item, "number", 0, i);
		cfg_user(ld, item, ictx, &c->users[c->nusers++]);
		cfg_index_user(ld, c, v, i);
		free(ictx);
	}
}
