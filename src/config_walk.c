/*
 * The config loader's walker: errors with their YAML marks, scalar
 * conversions (strings, paths, booleans, integers, durations, addresses)
 * and cfg_map(), which checks a mapping against a table of its keys so that
 * unknown, duplicate and missing keys are found the same way everywhere.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_walk.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

/* Record one problem at mark. */
void
cfg_err(struct cfg_load *ld, yaml_mark_t mark, const char *fmt, ...)
{
	struct cfg_error	*e;
	va_list			 ap;

	ld->errv = xreallocarray(ld->errv, ld->nerr + 1, sizeof(*ld->errv));
	e = &ld->errv[ld->nerr];
	e->line = mark.line + 1;
	e->col = mark.column + 1;
	e->seq = ld->nerr++;
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
}

/* The node with id, or NULL. */
yaml_node_t *
cfg_node(struct cfg_load *ld, int id)
{
	return (yaml_document_get_node(&ld->doc, id));
}

/* The text of a scalar node. */
const char *
cfg_text(const yaml_node_t *n)
{
	return ((const char *)n->data.scalar.value);
}

/* A plain empty, "~" or "null" scalar: the key is there, the value not. */
int
cfg_null(const yaml_node_t *n)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	s = cfg_text(n);
	return (*s == '\0' || strcmp(s, "~") == 0 ||
	    strcasecmp(s, "null") == 0);
}

/* "a string", "a list" or "a mapping", for type errors. */
const char *
cfg_type(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return ("a string");
	case YAML_SEQUENCE_NODE:
		return ("a list");
	case YAML_MAPPING_NODE:
		return ("a mapping");
	default:
		return ("nothing");
	}
}

/* The value node of key in map, or NULL. */
yaml_node_t *
cfg_get(struct cfg_load *ld, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return (NULL);
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = cfg_node(ld, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp(cfg_text(k), key) == 0)
			return (cfg_node(ld, p->value));
	}
	return (NULL);
}

/* The mark of key's value in map, or of the map itself. */
yaml_mark_t
cfg_mark(struct cfg_load *ld, yaml_node_t *map, const char *key)
{
	yaml_node_t	*v;

	if ((v = cfg_get(ld, map, key)) != NULL)
		return (v->start_mark);
	return (map->start_mark);
}

/* The text of a scalar value, or NULL after an error naming want. */
const char *
cfg_scalar(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key, const char *want)
{
	if (v->type != YAML_SCALAR_NODE) {
		cfg_err(ld, v->start_mark, "%s: %s: expected %s, not %s",
		    ctx, key, want, cfg_type(v));
		return (NULL);
	}
	if (strlen(cfg_text(v)) != v->data.scalar.length) {
		cfg_err(ld, v->start_mark, "%s: %s: contains a NUL byte",
		    ctx, key);
		return (NULL);
	}
	return (cfg_text(v));
}

/* Is v a list?  Error naming ctx and key when it is not. */
int
cfg_is_list(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key)
{
	if (v->type == YAML_SEQUENCE_NODE)
		return (1);
	cfg_err(ld, v->start_mark, "%s: %s: expected a list, not %s", ctx, key,
	    cfg_type(v));
	return (0);
}

/* Number of items of a list node. */
size_t
cfg_nitems(const yaml_node_t *v)
{
	return (v->data.sequence.items.top - v->data.sequence.items.start);
}

/* Item i of a list node. */
yaml_node_t *
cfg_item(struct cfg_load *ld, yaml_node_t *v, size_t i)
{
	return (cfg_node(ld, v->data.sequence.items.start[i]));
}

/* Make a path relative to the directory of the config file. */
char *
cfg_path(struct cfg_load *ld, const char *s)
{
	char	*p;

	if (*s == '/' || strcmp(s, ":memory:") == 0)
		return (xstrdup(s));
	xasprintf(&p, "%s/%s", ld->dir, s);
	return (p);
}

/* Remember that name must resolve to kind when the file is read. */
void
cfg_ref(struct cfg_load *ld, enum cfg_refkind kind, const char *name,
    yaml_node_t *at, const char *ctx, const char *key)
{
	struct cfg_ref	*r;

	if (name == NULL || at == NULL)
		return;
	ld->refs = xreallocarray(ld->refs, ld->nrefs + 1, sizeof(*ld->refs));
	r = &ld->refs[ld->nrefs++];
	r->kind = kind;
	r->name = xstrdup(name);
	xasprintf(&r->what, "%s: %s", ctx, key);
	r->mark = at->start_mark;
}

/* Report a name seen before in the same namespace. */
void
cfg_dup(struct cfg_load *ld, const char *kind, const char *name,
    yaml_node_t *at)
{
	char	 buf[256], *key = buf;
	void	*first;
	int	 n;

	if (name == NULL || at == NULL)
		return;
	/* Once per user and extension: no allocation for the usual key. */
	n = snprintf(buf, sizeof(buf), "%s\n%s", kind, name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		xasprintf(&key, "%s\n%s", kind, name);
	if ((first = hmap_get(ld->seen, key)) != NULL)
		cfg_err(ld, at->start_mark, "duplicate %s \"%s\" "
		    "(first at line %lu)", kind, name,
		    (unsigned long)(uintptr_t)first);
	else
		hmap_put(ld->seen, key,
		    (void *)(uintptr_t)(at->start_mark.line + 1));
	if (key != buf)
		free(key);
}

/* Parse a boolean: true/false/yes/no in any case. */
void
cfg_bool(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key, int *out)
{
	const char	*s;

	if ((s = cfg_scalar(ld, v, ctx, key, "true or false")) == NULL)
		return;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		cfg_err(ld, v->start_mark, "%s: %s: \"%s\" is not a boolean "
		    "(true, false, yes or no)", ctx, key, s);
}

/* Parse a non-negative integer. */
int
cfg_int(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key, int *out)
{
	const char	*s, *p;
	long		 n = 0;

	if ((s = cfg_scalar(ld, v, ctx, key, "an integer")) == NULL)
		return (-1);
	p = (*s == '-' || *s == '+') ? s + 1 : s;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p)) {
		cfg_err(ld, v->start_mark, "%s: %s: \"%s\" is not an integer",
		    ctx, key, s);
		return (-1);
	}
	if (*s == '-') {
		cfg_err(ld, v->start_mark, "%s: %s: %s is negative", ctx,
		    key, s);
		return (-1);
	}
	for (; *p != '\0'; p++) {
		n = n * 10 + (*p - '0');
		if (n > INT_MAX) {
			cfg_err(ld, v->start_mark, "%s: %s: %s is too large",
			    ctx, key, s);
			return (-1);
		}
	}
	*out = (int)n;
	return (0);
}

/* Parse a duration into seconds. */
int
cfg_dur(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key, int *out)
{
	const char	*s;
	int		 d;

	if ((s = cfg_scalar(ld, v, ctx, key, "a duration")) == NULL)
		return (-1);
	if ((d = config_parse_duration(s)) == -1) {
		cfg_err(ld, v->start_mark, "%s: %s: bad duration \"%s\" "
		    "(write 30s, 15m, 24h or plain seconds)", ctx, key, s);
		return (-1);
	}
	*out = d;
	return (0);
}

/* Store one value per the kind of its key. */
static void
cfg_value(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	void		*field = (char *)obj + k->off;
	const char	*s;

	switch (k->kind) {
	case CFG_STR:
		if ((s = cfg_scalar(ld, v, ctx, k->name, "a string")) != NULL)
			*(char **)field = xstrdup(s);
		break;
	case CFG_PATH:
		if ((s = cfg_scalar(ld, v, ctx, k->name, "a path")) == NULL)
			break;
		if (*s == '\0')
			cfg_err(ld, v->start_mark, "%s: %s: empty path", ctx,
			    k->name);
		else
			*(char **)field = cfg_path(ld, s);
		break;
	case CFG_BOOL:
		cfg_bool(ld, v, ctx, k->name, field);
		break;
	case CFG_INT:
		cfg_int(ld, v, ctx, k->name, field);
		break;
	case CFG_DUR:
		cfg_dur(ld, v, ctx, k->name, field);
		break;
	case CFG_FN:
		k->fn(ld, k, v, obj, ctx);
		break;
	}
}

/*
 * Walk a mapping against its key table: unknown, duplicate and missing
 * keys are reported here once for every section.
 */
void
cfg_map(struct cfg_load *ld, yaml_node_t *map, const char *ctx,
    const struct cfg_key *keys, void *obj)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	uint32_t		 seen = 0;
	int			 i;

	if (map->type != YAML_MAPPING_NODE) {
		cfg_err(ld, map->start_mark, "%s: expected a mapping, not %s",
		    ctx, cfg_type(map));
		return;
	}
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = cfg_node(ld, p->key);
		v = cfg_node(ld, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			cfg_err(ld, k->start_mark, "%s: a key must be a name, "
			    "not %s", ctx, cfg_type(k));
			continue;
		}
		for (i = 0; keys[i].name != NULL; i++) {
			if (strcmp(keys[i].name, cfg_text(k)) == 0)
				break;
		}
		if (keys[i].name == NULL) {
			cfg_err(ld, k->start_mark, "%s: unknown key \"%s\"",
			    ctx, cfg_text(k));
			continue;
		}
		if (seen & (1u << i)) {
			cfg_err(ld, k->start_mark, "%s: duplicate key \"%s\"",
			    ctx, keys[i].name);
			continue;
		}
		seen |= 1u << i;
		if (cfg_null(v)) {
			if (keys[i].required)
				cfg_err(ld, k->start_mark, "%s: %s: no value",
				    ctx, keys[i].name);
			continue;
		}
		cfg_value(ld, &keys[i], v, obj, ctx);
	}
	for (i = 0; keys[i].name != NULL; i++) {
		if (keys[i].required && (seen & (1u << i)) == 0)
			cfg_err(ld, map->start_mark, "%s: missing required "
			    "key \"%s\"", ctx, keys[i].name);
	}
}

/*
 * The context words of list item i: "user 201" when the item names itself
 * with idkey, else "user #3".
 */
char *
cfg_ctx(struct cfg_load *ld, const char *outer, const char *noun,
    yaml_node_t *item, const char *idkey, int quote, size_t i)
{
	yaml_node_t	*id;
	char		*ctx;
	const char	*sep = outer != NULL ? ": " : "";
	const char	*q = quote ? "\"" : "";

	if (outer == NULL)
		outer = "";
	id = idkey != NULL ? cfg_get(ld, item, idkey) : NULL;
	if (id != NULL && id->type == YAML_SCALAR_NODE && !cfg_null(id))
		xasprintf(&ctx, "%s%s%s %s%s%s", outer, sep, noun, q,
		    cfg_text(id), q);
	else
		xasprintf(&ctx, "%s%s%s #%zu", outer, sep, noun, i + 1);
	return (ctx);
}

/* A user or extension number: digits only. */
void
cfg_fn_number(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	const char	*s;
	size_t		 len;

	if ((s = cfg_scalar(ld, v, ctx, k->name, "a number")) == NULL)
		return;
	len = strlen(s);
	if (len == 0 || len > CFG_NUMBER_MAX ||
	    strspn(s, "0123456789") != len) {
		cfg_err(ld, v->start_mark, "%s: number \"%s\" must be 1-%d "
		    "digits", ctx, s, CFG_NUMBER_MAX);
		return;
	}
	*(char **)((char *)obj + k->off) = xstrdup(s);
}

/* A listener or peer SIP address: "udp:ADDR:PORT" and friends. */
int
cfg_addr(struct cfg_load *ld, yaml_node_t *v, const char *ctx,
    const char *key, struct cfg_addr *a, int hostport)
{
	const char	*s, *cause;
	int		 rv;

	if ((s = cfg_scalar(ld, v, ctx, key, "an address")) == NULL)
		return (-1);
	if (hostport)
		rv = config_parse_hostport(s, a, &cause);
	else
		rv = config_parse_addr(s, a, &cause);
	if (rv == -1) {
		cfg_err(ld, v->start_mark, "%s: %s: bad address \"%s\": %s",
		    ctx, key, s, cause);
		return (-1);
	}
	return (0);
}

/* A SIP address ("udp:1.2.3.4:5060") into the cfg_addr at k->off. */
void
cfg_fn_sipaddr(struct cfg_load *ld, const struct cfg_key *k, yaml_node_t *v,
    void *obj, const char *ctx)
{
	cfg_addr(ld, v, ctx, k->name, (void *)((char *)obj + k->off), 0);
}

/* A plain "ADDR:PORT" into the cfg_addr at k->off. */
void
cfg_fn_hostport(struct cfg_load *ld, const struct cfg_key *k,
    yaml_node_t *v, void *obj, const char *ctx)
{
	cfg_addr(ld, v, ctx, k->name, (void *)((char *)obj + k->off), 1);
}
