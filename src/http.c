/*
 * The status page and JSON API (DESIGN.md section 6) on libevent's evhttp.
 *
 * The API is a thin skin over control_run(): every document is the one
 * `roamctl --json` prints, so the two can never disagree.  Access is a
 * bearer token (RFC 6750 section 2.1) read once from site.http_token_file;
 * it is compared as SHA-256 digests with CRYPTO_memcmp() so that neither
 * the time taken nor the length of the match tells a guesser anything.
 * A site may run without a token only on a loopback address; then the
 * API is open to local users, and two browser attacks on "localhost"
 * services are shut out instead: DNS rebinding (the Host header must
 * name a loopback host) and cross-site form posts (a POST must say
 * Content-Type: application/json, which no form can send).
 *
 * Path parameters (user and extension numbers) are checked to be 1-31
 * digits before they are put into a command line, so a request can never
 * add words to it.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

/* A token longer than this is a mistake (a key file named by accident). */
#define HTTP_MAXTOKEN		1024
/* The only body we read is {"extension": "..."}. */
#define HTTP_MAXBODY		4096
#define HTTP_MAXHEADERS		8192
/* A client that neither asks nor reads for this long is dropped. */
#define HTTP_TIMEOUT		10
/* User and extension numbers: digits, as in the config (1-31). */
#define HTTP_MAXDIGITS		31

static struct evhttp		*http_srv;
static int			 http_bound;		/* the TCP port */
static int			 http_has_token;
static unsigned char		 http_token_hash[SHA256_DIGEST_LENGTH];
static char			*http_page;		/* the assembled page */
static char			*http_csp;
/* Answers sent, by status class (1xx..5xx), for /metrics. */
static unsigned long long	 http_answers[6];

/* GET documents: the path under /api/ and the roamctl command. */
struct http_doc {
	const char	*path;
	const char	*cmd;
};

static const struct http_doc http_docs[] = {
	{ "status",	"status" },
	{ "users",	"users" },
	{ "regs",	"regs" },
	{ "calls",	"calls" },
	{ "peers",	"peers" },
	{ "directory",	"directory" },
};

/* Fill *cause and return -1. */
static int
http_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	return (-1);
}

/* Is s 1-31 ASCII digits? */
static int
http_digits(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > HTTP_MAXDIGITS)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (1);
}

/* Is the address a loopback one (127/8, ::1, ::ffff:127/104)? */
static int
http_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	const uint8_t			*b;

	if (ss->ss_family == AF_INET)
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	if (ss->ss_family != AF_INET6)
		return (0);
	if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return (1);
	b = sin6->sin6_addr.s6_addr;
	return (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && b[12] == 127);
}

/* Read the token from its file: owner-only, whitespace stripped. */
static int
http_token_load(const char *path, char **cause)
{
	char		 buf[HTTP_MAXTOKEN + 2], *s, *e;
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return (http_fail(cause, "token file %s: %s", path,
		    strerror(errno)));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return (http_fail(cause, "token file %s: not a regular file",
		    path));
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return (http_fail(cause, "token file %s is accessible by "
		    "others (mode %03o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777)));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == -1)
		return (http_fail(cause, "token file %s: %s", path,
		    strerror(errno)));
	if (n > HTTP_MAXTOKEN)
		return (http_fail(cause, "token file %s: longer than %d bytes",
		    path, HTTP_MAXTOKEN));
	buf[n] = '\0';
	for (s = buf; *s != '\0' && isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (*s == '\0')
		return (http_fail(cause, "token file %s is empty", path));
	for (e = s; *e != '\0'; e++)
		if (!isgraph((unsigned char)*e))
			return (http_fail(cause, "token file %s: the token "
			    "has a space or control character", path));
	SHA256((unsigned char *)s, strlen(s), http_token_hash);
	OPENSSL_cleanse(buf, sizeof(buf));
	http_has_token = 1;
	return (0);
}

/* Put the page together; its CSP allows exactly its own script. */
static void
http_page_build(void)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];

	if (xasprintf(&http_page, "<!DOCTYPE html>\n<html lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Roam status</title>\n<style>%s</style>\n</head>\n"
	    "<body>\n%s<script>%s</script>\n</body>\n</html>\n",
	    http_page_css, http_page_body, http_page_js) == -1)
		fatal("xasprintf");
	SHA256((const unsigned char *)http_page_js, strlen(http_page_js), md);
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	if (xasprintf(&http_csp, "default-src 'none'; script-src "
	    "'sha256-%s'; style-src 'unsafe-inline'; connect-src 'self'; "
	    "img-src data:; base-uri 'none'; form-action 'none'; "
	    "frame-ancestors 'none'", b64) == -1)
		fatal("xasprintf");
}

/* Headers every answer carries. */
static void
http_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
}

/* Send an answer with this body. */
static void
http_send(struct evhttp_request *req, int code, const char *type,
    const char *body, size_t len)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	http_headers(req, type);
	evbuffer_add(b, body, len);
	if (code >= 100 && code < 600)
		http_answers[code / 100]++;
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

/* Send {"error": text} with this status. */
static void
http_send_error(struct evhttp_request *req, int code, const char *text)
{
	struct json	 j;
	char		*doc;
	size_t		 len;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_str(&j, "error", text);
	json_obj_end(&j);
	doc = json_finish(&j, &len);
	http_send(req, code, "application/json", doc, len);
	free(doc);
}

/* Who asked, for the log. */
static const char *
http_peer(struct evhttp_request *req)
{
	struct evhttp_connection	*c;
	char				*addr = NULL;
	ev_uint16_t			 port;

	if ((c = evhttp_request_get_connection(req)) == NULL)
		return ("-");
	evhttp_connection_get_peer(c, &addr, &port);
	return (addr != NULL ? addr : "-");
}

/* The Authorization header holds our token (RFC 6750 section 2.1)? */
static int
http_token_ok(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	const char		*v, *e;

	if ((v = evhttp_find_header(h, "Authorization")) == NULL)
		return (0);
	if (strncasecmp(v, "Bearer ", 7) != 0)
		return (0);
	for (v += 7; *v == ' '; v++)
		;
	for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
		;
	SHA256((const unsigned char *)v, e - v, md);
	return (CRYPTO_memcmp(md, http_token_hash, sizeof(md)) == 0);
}

/* Without a token: the Host header must name a loopback host. */
static int
http_host_ok(struct evhttp_request *req)
{
	static const char	*hosts[] = { "127.0.0.1", "localhost",
				    "[::1]" };
	const char		*h, *colon;
	size_t			 i, len;

	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (h == NULL)
		return (0);
	colon = strrchr(h, ':');
	len = colon != NULL && strchr(colon, ']') == NULL ?
	    (size_t)(colon - h) : strlen(h);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strlen(hosts[i]) == len && strncasecmp(h, hosts[i],
		    len) == 0)
			return (1);
	return (0);
}

/* May this request use the API?  Answers it (401) if not. */
static int
http_authorized(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	if (http_has_token) {
		if (http_token_ok(req))
			return (1);
		log_info("http unauthorized from=%s", http_peer(req));
		evhttp_add_header(h, "WWW-Authenticate",
		    "Bearer realm=\"roam\"");
		http_send_error(req, 401, "a valid bearer token is required");
		return (0);
	}
	if (http_host_ok(req))
		return (1);
	http_send_error(req, 403, "Host is not a loopback name");
	return (0);
}

/* The HTTP status for a control error text. */
static int
http_control_code(const char *err)
{
	if (strncmp(err, "no such ", 8) == 0)
		return (404);
	if (strstr(err, "not available yet") != NULL ||
	    strncmp(err, "unknown command", 15) == 0)
		return (501);
	return (400);
}

/* Run a roamctl command line and answer with its JSON document. */
static void
http_control(struct evhttp_request *req, const char *line)
{
	char	*out = NULL;

	if (control_run(line, 1, &out) == 0)
		http_send(req, 200, "application/json", out, strlen(out));
	else
		http_send_error(req, http_control_code(out), out != NULL ?
		    out : "failed");
	free(out);
}

/* Answer 405 naming the method the path takes. */
static void
http_method_wrong(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	http_send_error(req, 405, "method not allowed");
}

/* Is the request a GET (or HEAD)? */
static int
http_is_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type	 t = evhttp_request_get_command(req);

	return (t == EVHTTP_REQ_GET || t == EVHTTP_REQ_HEAD);
}

/* Skip JSON white space. */
static size_t
http_json_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return (i);
}

/*
 * Read a JSON string at s[i] ('"') into out (escapes kept as the escaped
 * character, \uXXXX as '?': we only want digits); the index after it, or
 * 0 on a syntax error.
 */
static size_t
http_json_string(const char *s, size_t len, size_t i, char *out,
    size_t outlen)
{
	size_t	 o = 0;
	char	 c;

	for (i++; i < len && s[i] != '"'; i++) {
		c = s[i];
		if (c == '\\') {
			if (++i >= len)
				return (0);
			c = s[i] == 'u' ? '?' : s[i];
		}
		if (o + 1 < outlen)
			out[o++] = c;
	}
	if (outlen > 0)
		out[o] = '\0';
	return (i < len ? i + 1 : 0);
}

/* Skip one JSON value of any kind; the index after it, or 0. */
static size_t
http_json_skip(const char *s, size_t len, size_t i)
{
	int	 depth = 0;
	char	 tmp[1];

	for (; i < len; i++) {
		if (s[i] == '"') {
			if ((i = http_json_string(s, len, i, tmp, 0)) == 0)
				return (0);
			i--;
		} else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']') {
			if (depth-- == 0)
				return (i);
		} else if (s[i] == ',' && depth == 0)
			return (i);
		if (depth == 0 && (s[i] == '"' || s[i] == '}' || s[i] == ']'))
			return (i + 1);
	}
	return (depth == 0 ? i : 0);
}

/*
 * The value of a top-level key of a JSON object, if it is a string or a
 * bare number: a tolerant reader for a one-key body.  0, or -1 when the
 * key is missing, of another type or the text is no object.
 */
static int
http_json_field(const char *s, size_t len, const char *key, char *val,
    size_t vallen)
{
	char	 k[64];
	size_t	 i, e;

	i = http_json_ws(s, len, 0);
	if (i >= len || s[i++] != '{')
		return (-1);
	for (;;) {
		i = http_json_ws(s, len, i);
		if (i >= len || s[i] != '"')
			return (-1);
		if ((i = http_json_string(s, len, i, k, sizeof(k))) == 0)
			return (-1);
		i = http_json_ws(s, len, i);
		if (i >= len || s[i++] != ':')
			return (-1);
		i = http_json_ws(s, len, i);
		if (i < len && strcmp(k, key) == 0) {
			if (s[i] == '"')
				return (http_json_string(s, len, i, val,
				    vallen) == 0 ? -1 : 0);
			for (e = i; e < len && isdigit((unsigned char)s[e]);
			    e++)
				;
			if (e == i || e - i >= vallen)
				return (-1);
			memcpy(val, s + i, e - i);
			val[e - i] = '\0';
			return (0);
		}
		if ((i = http_json_skip(s, len, i)) == 0)
			return (-1);
		i = http_json_ws(s, len, i);
		if (i >= len || s[i++] != ',')
			return (-1);
	}
}

/* POST /api/users/N/login {"extension": "E"}: login N E (H1). */
static void
http_api_login(struct evhttp_request *req, const char *user)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	char		 ext[HTTP_MAXDIGITS + 2], line[128];
	size_t		 len = evbuffer_get_length(in);
	const char	*body;

	if ((body = (const char *)evbuffer_pullup(in, -1)) == NULL)
		body = "";
	if (http_json_field(body, len, "extension", ext, sizeof(ext)) == -1) {
		http_send_error(req, 400, "body must be {\"extension\": "
		    "\"NUMBER\"}");
		return;
	}
	if (!http_digits(ext, strlen(ext))) {
		http_send_error(req, 400, "extension must be 1-31 digits");
		return;
	}
	log_info("http admin login user=%s ext=%s from=%s", user, ext,
	    http_peer(req));
	snprintf(line, sizeof(line), "login %s %s", user, ext);
	http_control(req, line);
}

/* A POST without a token must say it carries JSON (no form can). */
static int
http_post_ok(struct evhttp_request *req)
{
	const char	*t;

	if (http_has_token)
		return (1);
	t = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	return (t != NULL && strncasecmp(t, "application/json", 16) == 0);
}

/* POST /api/users/N/logout or /login. */
static void
http_api_user_post(struct evhttp_request *req, const char *user,
    const char *action)
{
	char	 line[128];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		http_method_wrong(req, "POST");
	else if (!http_post_ok(req))
		http_send_error(req, 415, "Content-Type must be "
		    "application/json");
	else if (strcmp(action, "login") == 0)
		http_api_login(req, user);
	else {
		log_info("http admin logout user=%s from=%s", user,
		    http_peer(req));
		snprintf(line, sizeof(line), "logout %s", user);
		http_control(req, line);
	}
}

/* /api/users/N[/login|/logout]. */
static void
http_api_user(struct evhttp_request *req, const char *rest)
{
	char		 user[HTTP_MAXDIGITS + 1], line[128];
	const char	*action;
	size_t		 len;

	len = strcspn(rest, "/");
	if (!http_digits(rest, len)) {
		http_send_error(req, 400, "user must be 1-31 digits");
		return;
	}
	memcpy(user, rest, len);
	user[len] = '\0';
	action = rest + len;
	if (*action == '\0' && !http_is_get(req))
		http_method_wrong(req, "GET, HEAD");
	else if (*action == '\0') {
		snprintf(line, sizeof(line), "user %s", user);
		http_control(req, line);
	} else if (strcmp(action, "/logout") == 0 ||
	    strcmp(action, "/login") == 0)
		http_api_user_post(req, user, action + 1);
	else
		http_send_error(req, 404, "no such page");
}

/* GET /api/events[?since=T&user=N]: events [--since T] [--user N]. */
static void
http_api_events(struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq	 q;
	const char		*query, *since = NULL, *user = NULL;
	char			 line[128];
	int			 bad = 0;

	TAILQ_INIT(&q);
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (query != NULL && evhttp_parse_query_str(query, &q) == -1)
		bad = 1;
	else if (query != NULL) {
		since = evhttp_find_header(&q, "since");
		user = evhttp_find_header(&q, "user");
	}
	if (bad || (since != NULL && !http_digits(since, strlen(since))) ||
	    (user != NULL && !http_digits(user, strlen(user)))) {
		evhttp_clear_headers(&q);
		http_send_error(req, 400, "since and user must be digits");
		return;
	}
	snprintf(line, sizeof(line), "events%s%s%s%s",
	    since != NULL ? " --since " : "", since != NULL ? since : "",
	    user != NULL ? " --user " : "", user != NULL ? user : "");
	evhttp_clear_headers(&q);
	http_control(req, line);
}

/* Everything under /api/. */
static void
http_api(struct evhttp_request *req, const char *path)
{
	const char	*cmd = NULL;
	size_t		 i;

	if (strncmp(path, "users/", 6) == 0) {
		http_api_user(req, path + 6);
		return;
	}
	for (i = 0; i < sizeof(http_docs) / sizeof(http_docs[0]); i++)
		if (strcmp(path, http_docs[i].path) == 0)
			cmd = http_docs[i].cmd;
	if (cmd == NULL && strcmp(path, "events") != 0)
		http_send_error(req, 404, "no such page");
	else if (!http_is_get(req))
		http_method_wrong(req, "GET, HEAD");
	else if (cmd == NULL)
		http_api_events(req);
	else
		http_control(req, cmd);
}

/* GET /metrics: every emitter in turn. */
static void
http_metrics(struct evhttp_request *req)
{
	struct evbuffer	*b;

	if (!http_is_get(req)) {
		http_method_wrong(req, "GET, HEAD");
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	http_metrics_write(b);
	http_headers(req, "text/plain; version=0.0.4; charset=utf-8");
	http_answers[2]++;
	evhttp_send_reply(req, 200, NULL, b);
	evbuffer_free(b);
}

/* GET /: the page, which asks for the token itself. */
static void
http_root(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	if (!http_is_get(req)) {
		http_method_wrong(req, "GET, HEAD");
		return;
	}
	evhttp_add_header(h, "Content-Security-Policy", http_csp);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	http_send(req, 200, "text/html; charset=utf-8", http_page,
	    strlen(http_page));
}

/* Every request: "/" is open, the rest needs the token. */
static void
http_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = NULL;

	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	log_debug("http request method=%d path=%s from=%s",
	    (int)evhttp_request_get_command(req), path, http_peer(req));
	if (strcmp(path, "/") == 0)
		http_root(req);
	else if (!http_authorized(req))
		return;
	else if (strcmp(path, "/metrics") == 0)
		http_metrics(req);
	else if (strncmp(path, "/api/", 5) == 0)
		http_api(req, path + 5);
	else
		http_send_error(req, 404, "no such page");
}

/*
 * Parse "ADDR:PORT" (numeric, IPv6 in brackets).  Port 0 (the kernel
 * chooses; tests) is allowed though evutil's parser refuses it.
 */
static int
http_parse_addr(const char *addr, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char	 buf[128];
	size_t	 len = strlen(addr);
	int	 n = sizeof(*ss), zero = 0;

	if (strrchr(addr, ':') == NULL || len + 1 >= sizeof(buf))
		return (-1);
	memcpy(buf, addr, len + 1);
	if (len > 2 && strcmp(buf + len - 2, ":0") == 0) {
		buf[len - 1] = '1';
		zero = 1;
	}
	memset(ss, 0, sizeof(*ss));
	if (evutil_parse_sockaddr_port(buf, (struct sockaddr *)ss, &n) == -1)
		return (-1);
	if (zero && ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else if (zero)
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	*sslen = n;
	return (0);
}

/* A listening TCP socket on the address; its port in *port. */
static int
http_listen(const char *addr, const struct sockaddr_storage *sa,
    socklen_t salen, int *port, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	evutil_socket_t		 fd;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (http_fail(cause, "socket: %s", strerror(errno)));
	if (evutil_make_listen_socket_reuseable(fd) == -1 ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    bind(fd, (const struct sockaddr *)sa, salen) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		http_fail(cause, "%s: %s", addr, strerror(errno));
		close(fd);
		return (-1);
	}
	*port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return (fd);
}

/*
 * Start the server on addr ("127.0.0.1:8080", "[::1]:8080"; port 0 lets
 * the kernel choose, for tests), or do nothing when addr is NULL.
 */
int
http_init(struct event_base *base, const char *addr, const char *tokenfile,
    char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, port = 0;

	*cause = NULL;
	if (addr == NULL)
		return (0);
	if (http_parse_addr(addr, &ss, &sslen) == -1)
		return (http_fail(cause, "bad address %s: want ADDR:PORT",
		    addr));
	if (tokenfile == NULL && !http_loopback(&ss))
		return (http_fail(cause, "%s is not a loopback address: set "
		    "site.http_token_file", addr));
	if (tokenfile != NULL && http_token_load(tokenfile, cause) == -1)
		return (-1);
	if ((fd = http_listen(addr, &ss, sslen, &port, cause)) == -1) {
		http_has_token = 0;
		return (-1);
	}
	if ((http_srv = evhttp_new(base)) == NULL)
		fatalx("evhttp_new");
	if (evhttp_accept_socket_with_handle(http_srv, fd) == NULL)
		fatalx("evhttp_accept_socket_with_handle");
	evhttp_set_max_body_size(http_srv, HTTP_MAXBODY);
	evhttp_set_max_headers_size(http_srv, HTTP_MAXHEADERS);
	evhttp_set_timeout(http_srv, HTTP_TIMEOUT);
	evhttp_set_allowed_methods(http_srv, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(http_srv, http_request, NULL);
	http_page_build();
	http_bound = port;
	if (!http_has_token)
		log_warnx("http no token file: the API is open to local "
		    "users on %s", addr);
	log_info("http listening addr=%s port=%d", addr, port);
	return (0);
}

/* Close the listener and every connection. */
void
http_shutdown(void)
{
	if (http_srv != NULL)
		evhttp_free(http_srv);
	http_srv = NULL;
	http_bound = 0;
	http_has_token = 0;
	OPENSSL_cleanse(http_token_hash, sizeof(http_token_hash));
	free(http_page);
	http_page = NULL;
	free(http_csp);
	http_csp = NULL;
}

/* The bound port, 0 when off. */
int
http_port(void)
{
	return (http_bound);
}

/* Answers sent with a status of this class (2 for 2xx, ...). */
unsigned long long
http_answered(int cls)
{
	if (cls < 1 || cls > 5)
		return (0);
	return (http_answers[cls]);
}
