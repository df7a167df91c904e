/*
 * A JSON writer: enough for roamctl --json and the HTTP API.  Values are
 * written straight into one growing buffer; the writer tracks nesting so
 * callers never place commas themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xmalloc.h"

/* Start an empty document. */
void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = 1;
}

/* Drop the buffer. */
void
json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

/* Append len bytes. */
static void
json_put(struct json *j, const char *s, size_t len)
{
	if (j->len + len + 1 > j->size) {
		while (j->len + len + 1 > j->size)
			j->size = j->size == 0 ? 256 : j->size * 2;
		j->buf = xreallocarray(j->buf, 1, j->size);
	}
	memcpy(j->buf + j->len, s, len);
	j->len += len;
	j->buf[j->len] = '\0';
}

/* Append a C string. */
static void
json_puts(struct json *j, const char *s)
{
	json_put(j, s, strlen(s));
}

/* Escape s as the body of a JSON string (RFC 8259 section 7). */
void
json_escape(struct json *j, const char *s)
{
	char	 esc[8];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			json_put(j, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			json_puts(j, esc);
		} else
			json_put(j, (const char *)&c, 1);
	}
}

/* Comma and key before a value. */
static void
json_prefix(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		json_put(j, ",", 1);
	j->first[j->depth] = 0;
	if (key != NULL) {
		json_put(j, "\"", 1);
		json_escape(j, key);
		json_put(j, "\":", 2);
	}
}

/* Open an object (key NULL inside arrays and at top level). */
void
json_obj_begin(struct json *j, const char *key)
{
	json_prefix(j, key);
	json_put(j, "{", 1);
	if (j->depth < JSON_MAXDEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

/* Close an object. */
void
json_obj_end(struct json *j)
{
	json_put(j, "}", 1);
	if (j->depth > 0)
		j->depth--;
}

/* Open an array. */
void
json_arr_begin(struct json *j, const char *key)
{
	json_prefix(j, key);
	json_put(j, "[", 1);
	if (j->depth < JSON_MAXDEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

/* Close an array. */
void
json_arr_end(struct json *j)
{
	json_put(j, "]", 1);
	if (j->depth > 0)
		j->depth--;
}

/* A string value, or null for NULL. */
void
json_str(struct json *j, const char *key, const char *val)
{
	if (val == NULL) {
		json_null(j, key);
		return;
	}
	json_prefix(j, key);
	json_put(j, "\"", 1);
	json_escape(j, val);
	json_put(j, "\"", 1);
}

/* An integer value. */
void
json_int(struct json *j, const char *key, long long v)
{
	char	 num[32];

	json_prefix(j, key);
	snprintf(num, sizeof(num), "%lld", v);
	json_puts(j, num);
}

/* A boolean value. */
void
json_bool(struct json *j, const char *key, int v)
{
	json_prefix(j, key);
	json_puts(j, v ? "true" : "false");
}

/* A null value. */
void
json_null(struct json *j, const char *key)
{
	json_prefix(j, key);
	json_puts(j, "null");
}

/* Hand over the text. */
char *
json_finish(struct json *j, size_t *len)
{
	char	*s;

	if (j->buf == NULL)
		json_put(j, "", 0);
	s = j->buf;
	if (len != NULL)
		*len = j->len;
	j->buf = NULL;
	json_free(j);
	return (s);
}
