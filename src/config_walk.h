/*
 * Internals shared by config.c, config_walk.c and config_users.c: the
 * loader state and the table-driven mapping walker.  Not for other modules:
 * they see struct config only (include/config.h).
 */
#ifndef CONFIG_WALK_H
#define CONFIG_WALK_H

#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

#include "config.h"

#define CFG_NUMBER_MAX	31

struct cfg_error {
	unsigned long	 line;
	unsigned long	 col;
	size_t		 seq;
	char		*msg;
};

enum cfg_refkind {
	CFG_REF_USER,
	CFG_REF_TRUNK,
	CFG_REF_RIGHTS,
	CFG_REF_TPROF,
	CFG_REF_NOT_SITE
};

/* A name that must (or must not) resolve once the whole file is read. */
struct cfg_ref {
	enum cfg_refkind kind;
	char		*name;
	char		*what;		/* "extension 201: base_user" */
	yaml_mark_t	 mark;
};

/* A user holding a non-basic profile, for the licence count. */
struct cfg_licence {
	enum profile	 profile;
	yaml_mark_t	 mark;
};

struct cfg_load {
	const char		*file;
	char			*dir;
	yaml_document_t		 doc;
	struct config		*conf;
	struct cfg_error	*errv;
	size_t			 nerr;
	struct hmap		*seen;		/* "kind\nname" -> first line */
	struct cfg_ref		*refs;
	size_t			 nrefs;
	struct cfg_licence	*lics;
	size_t			 nlics;
	int			 tls_listener;
	yaml_mark_t		 tls_mark;
	struct cfg_chunk	*chunks;	/* of doc: config_yaml.c */
};

enum cfg_kind {
	CFG_STR,	/* char *, any string */
	CFG_PATH,	/* char *, relative to the config's directory */
	CFG_BOOL,	/* int, true/false/yes/no */
	CFG_INT,	/* int, >= 0 */
	CFG_DUR,	/* int seconds, "30s", "15m", "24h", "90" */
	CFG_FN		/* handled by fn */
};

/* One key of a mapping; fn handles CFG_FN values. */
struct cfg_key {
	const char	*name;
	enum cfg_kind	 kind;
	int		 required;
	size_t		 off;		/* of the field in the object */
	void		(*fn)(struct cfg_load *, const struct cfg_key *,
			    yaml_node_t *, void *, const char *);
};

/* The tree (config_yaml.c). */
int		 cfg_yaml_load(struct cfg_load *, yaml_parser_t *, FILE *);
void		 cfg_yaml_free(struct cfg_load *);
void		 cfg_yaml_error(struct cfg_load *, yaml_parser_t *, FILE *);

/* Errors and the tree. */
void		 cfg_err(struct cfg_load *, yaml_mark_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
yaml_node_t	*cfg_node(struct cfg_load *, int);
const char	*cfg_text(const yaml_node_t *);
int		 cfg_null(const yaml_node_t *);
const char	*cfg_type(const yaml_node_t *);
yaml_node_t	*cfg_get(struct cfg_load *, yaml_node_t *, const char *);
yaml_mark_t	 cfg_mark(struct cfg_load *, yaml_node_t *, const char *);
int		 cfg_is_list(struct cfg_load *, yaml_node_t *, const char *,
		    const char *);
size_t		 cfg_nitems(const yaml_node_t *);
yaml_node_t	*cfg_item(struct cfg_load *, yaml_node_t *, size_t);
char		*cfg_ctx(struct cfg_load *, const char *, const char *,
		    yaml_node_t *, const char *, int, size_t);

/* Values. */
const char	*cfg_scalar(struct cfg_load *, yaml_node_t *, const char *,
		    const char *, const char *);
char		*cfg_path(struct cfg_load *, const char *);
void		 cfg_bool(struct cfg_load *, yaml_node_t *, const char *,
		    const char *, int *);
int		 cfg_int(struct cfg_load *, yaml_node_t *, const char *,
		    const char *, int *);
int		 cfg_dur(struct cfg_load *, yaml_node_t *, const char *,
		    const char *, int *);
int		 cfg_addr(struct cfg_load *, yaml_node_t *, const char *,
		    const char *, struct cfg_addr *, int);
void		 cfg_map(struct cfg_load *, yaml_node_t *, const char *,
		    const struct cfg_key *, void *);

/* Cross-checks resolved at the end. */
void		 cfg_ref(struct cfg_load *, enum cfg_refkind, const char *,
		    yaml_node_t *, const char *, const char *);
void		 cfg_dup(struct cfg_load *, const char *, const char *,
		    yaml_node_t *);

/* Key handlers used by several sections. */
void		 cfg_fn_number(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);
void		 cfg_fn_sipaddr(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);
void		 cfg_fn_hostport(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);

/* The sections of config_users.c. */
void		 cfg_fn_sys_shortcodes(struct cfg_load *,
		    const struct cfg_key *, yaml_node_t *, void *,
		    const char *);
void		 cfg_fn_rights(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);
void		 cfg_fn_trunks(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);
void		 cfg_fn_extensions(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);
void		 cfg_fn_users(struct cfg_load *, const struct cfg_key *,
		    yaml_node_t *, void *, const char *);

#endif
