/*
 * The roamctl socket: a UNIX stream socket at site.control, owner-only.
 * A client sends one request line "[json ]COMMAND [ARGS]" and reads the
 * answer (a JSON document, or an aligned text table) until EOF.  The first
 * byte of the answer is '0' (ok) or '1' (error), then a newline.
 */
#ifndef CONTROL_H
#define CONTROL_H

struct event_base;

int	control_init(struct event_base *, const char *path, char **cause);
void	control_shutdown(void);
/*
 * Run one request (also used by the HTTP API).  Returns 0 and the answer
 * in *out (malloc'd), or -1 and an error text in *out.
 */
int	control_run(const char *line, int json, char **out);

#endif
