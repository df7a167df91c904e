/*
 * A small JSON writer into a growing buffer, for roamctl --json and the
 * HTTP API.  Commas are placed automatically.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAXDEPTH	16

struct json {
	char	*buf;
	size_t	 len;
	size_t	 size;
	int	 depth;
	int	 first[JSON_MAXDEPTH];	/* nothing written yet at this depth */
	int	 key;			/* a key was just written */
};

void	json_init(struct json *);
void	json_free(struct json *);
/* Detach the NUL-terminated text; the struct is reset. */
char	*json_finish(struct json *, size_t *len);
void	json_obj_begin(struct json *, const char *key);	/* key NULL in arrays */
void	json_obj_end(struct json *);
void	json_arr_begin(struct json *, const char *key);
void	json_arr_end(struct json *);
void	json_str(struct json *, const char *key, const char *val); /* NULL -> null */
void	json_int(struct json *, const char *key, long long);
void	json_bool(struct json *, const char *key, int);
void	json_null(struct json *, const char *key);
/* Escape s as a JSON string body into the buffer (no quotes). */
void	json_escape(struct json *, const char *s);

#endif
