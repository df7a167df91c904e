/*
 * The config file's YAML tree, composed from libyaml's events.
 *
 * yaml_parser_load() gives every scalar, every tag and every list of
 * children an allocation of its own, and yaml_document_delete() frees
 * them one by one: for 100,000 users and extensions that is millions of
 * small allocations and frees, a third of a reload.  Here the same
 * yaml_document_t is built with its texts and child lists bump-allocated
 * in a few large chunks, freed at once.  Node ids (in event order), marks,
 * styles, anchors and aliases follow libyaml's loader (0.2.5), errors
 * included, so the walker cannot tell the difference.  Only the default
 * tags are shared strings instead of copies; nothing reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_walk.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

#define CFG_CHUNK_SIZE	(1024 * 1024)
#define CFG_ALIGN	8

/* A block of the tree's texts and child lists. */
struct cfg_chunk {
	struct cfg_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

/* An anchor: the node it names and where, for a duplicate's error. */
struct cfg_anchor {
	int		 id;
	yaml_mark_t	 mark;
};

/* A collection still open: its node and where its children start. */
struct cfg_open {
	int		 id;
	size_t		 base;
};

/* Composer state for one document. */
struct cfg_yaml {
	struct cfg_load	*ld;
	yaml_document_t	*doc;
	int		*kids;		/* children of the open collections */
	size_t		 nkids, capkids;
	struct cfg_open	*open;
	size_t		 nopen, capopen;
	struct hmap	*anchors;	/* name -> struct cfg_anchor */
};

/* n bytes from the tree's chunks, aligned for the node lists. */
static void *
cfg_yaml_alloc(struct cfg_load *ld, size_t n)
{
	struct cfg_chunk	*c = ld->chunks;
	size_t			 size;
	void			*p;

	n = (n + CFG_ALIGN - 1) & ~(size_t)(CFG_ALIGN - 1);
	if (c == NULL || c->size - c->used < n) {
		size = n > CFG_CHUNK_SIZE ? n : CFG_CHUNK_SIZE;
		c = xmalloc(sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		c->next = ld->chunks;
		ld->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return (p);
}

/* A copy of a libyaml string in the chunks. */
static yaml_char_t *
cfg_yaml_copy(struct cfg_load *ld, const yaml_char_t *s, size_t len)
{
	yaml_char_t	*p = cfg_yaml_alloc(ld, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* The node's tag: the event's (or libyaml's default for none and "!"). */
static yaml_char_t *
cfg_yaml_tag(struct cfg_load *ld, const yaml_char_t *tag, const char *dflt)
{
	if (tag == NULL || strcmp((const char *)tag, "!") == 0)
		return ((yaml_char_t *)dflt);
	return (cfg_yaml_copy(ld, tag, strlen((const char *)tag)));
}

/* Free the tree: its chunks and its node array. */
void
cfg_yaml_free(struct cfg_load *ld)
{
	struct cfg_chunk	*c, *next;

	for (c = ld->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	ld->chunks = NULL;
	free(ld->doc.nodes.start);
	memset(&ld->doc, 0, sizeof(ld->doc));
}

/* Make id a child of the innermost open collection, if any. */
static void
cfg_yaml_kid(struct cfg_yaml *y, int id)
{
	if (y->nopen == 0)
		return;
	if (y->nkids == y->capkids) {
		y->capkids = y->capkids == 0 ? 256 : y->capkids * 2;
		y->kids = xreallocarray(y->kids, y->capkids, sizeof(*y->kids));
	}
	y->kids[y->nkids++] = id;
}

/* Append node n to the document; its id. */
static int
cfg_yaml_push(struct cfg_yaml *y, const yaml_node_t *n)
{
	yaml_document_t	*d = y->doc;
	size_t		 len = d->nodes.top - d->nodes.start, cap;

	if (d->nodes.top == d->nodes.end) {
		cap = len == 0 ? 1024 : len * 2;
		d->nodes.start = xreallocarray(d->nodes.start, cap,
		    sizeof(*d->nodes.start));
		d->nodes.top = d->nodes.start + len;
		d->nodes.end = d->nodes.start + cap;
	}
	*d->nodes.top++ = *n;
	return ((int)(len + 1));
}

/* Name node id by the event's anchor; -1 after an error on a duplicate. */
static int
cfg_yaml_anchor(struct cfg_yaml *y, const yaml_char_t *anchor, int id,
    yaml_mark_t mark)
{
	struct cfg_anchor	*a;

	if (anchor == NULL)
		return (0);
	if (y->anchors == NULL)
		y->anchors = hmap_new();
	if (hmap_get(y->anchors, (const char *)anchor) != NULL) {
		cfg_err(y->ld, mark, "syntax error: second occurrence"
		    " found duplicate anchor; first occurrence");
		return (-1);
	}
	a = cfg_yaml_alloc(y->ld, sizeof(*a));
	a->id = id;
	a->mark = mark;
	hmap_put(y->anchors, (const char *)anchor, a);
	return (0);
}

/* A node for a scalar or collection start event; 0 or -1. */
static int
cfg_yaml_start(struct cfg_yaml *y, yaml_event_t *ev)
{
	yaml_node_t	 n;
	yaml_char_t	*anchor;
	int		 id;

	memset(&n, 0, sizeof(n));
	n.start_mark = ev->start_mark;
	n.end_mark = ev->end_mark;
	if (ev->type == YAML_SCALAR_EVENT) {
		n.type = YAML_SCALAR_NODE;
		n.tag = cfg_yaml_tag(y->ld, ev->data.scalar.tag,
		    YAML_DEFAULT_SCALAR_TAG);
		n.data.scalar.value = cfg_yaml_copy(y->ld,
		    ev->data.scalar.value, ev->data.scalar.length);
		n.data.scalar.length = ev->data.scalar.length;
		n.data.scalar.style = ev->data.scalar.style;
		anchor = ev->data.scalar.anchor;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		n.type = YAML_SEQUENCE_NODE;
		n.tag = cfg_yaml_tag(y->ld, ev->data.sequence_start.tag,
		    YAML_DEFAULT_SEQUENCE_TAG);
		n.data.sequence.style = ev->data.sequence_start.style;
		anchor = ev->data.sequence_start.anchor;
	} else {
		n.type = YAML_MAPPING_NODE;
		n.tag = cfg_yaml_tag(y->ld, ev->data.mapping_start.tag,
		    YAML_DEFAULT_MAPPING_TAG);
		n.data.mapping.style = ev->data.mapping_start.style;
		anchor = ev->data.mapping_start.anchor;
	}
	id = cfg_yaml_push(y, &n);
	if (cfg_yaml_anchor(y, anchor, id, n.start_mark) != 0)
		return (-1);
	cfg_yaml_kid(y, id);
	if (n.type == YAML_SCALAR_NODE)
		return (0);
	if (y->nopen == y->capopen) {
		y->capopen = y->capopen == 0 ? 16 : y->capopen * 2;
		y->open = xreallocarray(y->open, y->capopen, sizeof(*y->open));
	}
	y->open[y->nopen].id = id;
	y->open[y->nopen++].base = y->nkids;
	return (0);
}

/* Close the innermost collection: its children move to the chunks. */
static void
cfg_yaml_end(struct cfg_yaml *y, yaml_event_t *ev)
{
	struct cfg_open		*o = &y->open[--y->nopen];
	yaml_node_t		*n = &y->doc->nodes.start[o->id - 1];
	yaml_node_pair_t	*pairs;
	yaml_node_item_t	*items;
	size_t			 i, k = y->nkids - o->base;
	const int		*kid = y->kids + o->base;

	n->end_mark = ev->end_mark;
	if (n->type == YAML_SEQUENCE_NODE) {
		items = cfg_yaml_alloc(y->ld, k * sizeof(*items));
		memcpy(items, kid, k * sizeof(*items));
		n->data.sequence.items.start = items;
		n->data.sequence.items.top = n->data.sequence.items.end =
		    items + k;
	} else {
		/* The parser gives a mapping's keys and values in turn. */
		pairs = cfg_yaml_alloc(y->ld, k / 2 * sizeof(*pairs));
		for (i = 0; i < k / 2; i++) {
			pairs[i].key = kid[2 * i];
			pairs[i].value = kid[2 * i + 1];
		}
		n->data.mapping.pairs.start = pairs;
		n->data.mapping.pairs.top = n->data.mapping.pairs.end =
		    pairs + k / 2;
	}
	y->nkids = o->base;
}

/* An alias: the anchored node becomes a child again; 0 or -1. */
static int
cfg_yaml_alias(struct cfg_yaml *y, yaml_event_t *ev)
{
	struct cfg_anchor	*a = NULL;

	if (y->anchors != NULL)
		a = hmap_get(y->anchors, (const char *)ev->data.alias.anchor);
	if (a == NULL) {
		cfg_err(y->ld, ev->start_mark,
		    "syntax error: found undefined alias");
		return (-1);
	}
	cfg_yaml_kid(y, a->id);
	return (0);
}

/* One event of the document's body; 1 at its end, 0, or -1. */
static int
cfg_yaml_event(struct cfg_yaml *y, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return (cfg_yaml_alias(y, ev));
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return (cfg_yaml_start(y, ev));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		cfg_yaml_end(y, ev);
		return (0);
	case YAML_DOCUMENT_END_EVENT:
		y->doc->end_implicit = ev->data.document_end.implicit;
		y->doc->end_mark = ev->end_mark;
		return (1);
	default:
		return (0);	/* the parser gives no other event here */
	}
}

/* Compose the document's body, up to its end; 0 or -1 after an error. */
static int
cfg_yaml_body(struct cfg_load *ld, yaml_parser_t *p, FILE *f)
{
	struct cfg_yaml	 y;
	yaml_event_t	 ev;
	int		 rc;

	memset(&y, 0, sizeof(y));
	y.ld = ld;
	y.doc = &ld->doc;
	do {
		if (!yaml_parser_parse(p, &ev)) {
			cfg_yaml_error(ld, p, f);
			rc = -1;
			break;
		}
		rc = cfg_yaml_event(&y, &ev);
		yaml_event_delete(&ev);
	} while (rc == 0);
	free(y.kids);
	free(y.open);
	hmap_free(y.anchors, NULL);
	return (rc == 1 ? 0 : -1);
}

/*
 * Load the next document of the stream into ld->doc, as
 * yaml_parser_load() would (no nodes at the end of the stream); 0, or
 * -1 after recording the error.
 */
int
cfg_yaml_load(struct cfg_load *ld, yaml_parser_t *p, FILE *f)
{
	yaml_event_t	 ev;

	memset(&ld->doc, 0, sizeof(ld->doc));
	if (!p->stream_start_produced) {
		if (!yaml_parser_parse(p, &ev))
			goto bad;
		yaml_event_delete(&ev);		/* STREAM-START */
	}
	if (p->stream_end_produced)
		return (0);
	if (!yaml_parser_parse(p, &ev))
		goto bad;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return (0);
	}
	ld->doc.start_implicit = ev.data.document_start.implicit;
	ld->doc.start_mark = ev.start_mark;
	yaml_event_delete(&ev);
	if (cfg_yaml_body(ld, p, f) == 0)
		return (0);
	cfg_yaml_free(ld);
	return (-1);
bad:
	cfg_yaml_error(ld, p, f);
	return (-1);
}
