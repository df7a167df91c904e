/*
 * roamctl: ask a running roamd over its control socket.
 *
 * Deliberately self-contained (libc only, none of the daemon's modules)
 * so that it can be copied to any box that can reach the socket.  The
 * protocol is one request line "[json ]COMMAND [ARGS]" and an answer
 * whose first line is "0" (ok) or "1" (error), then the document; the
 * daemon closes the connection after answering.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROAMCTL_SOCKET		"/run/roamd/roamd.sock"
/* The daemon reads one request line of at most this many bytes. */
#define ROAMCTL_MAXLINE		1024
/* A reload on a big site takes a moment; a hung daemon should not. */
#define ROAMCTL_TIMEOUT		30

/* Exit codes: 0 ok, 1 the daemon (or we) refused, 2 no daemon to ask. */
#define EXIT_REFUSED		1
#define EXIT_NOCONNECT		2

static const char	*roamctl_progname = "roamctl";

/* Print the help text to f. */
static void
roamctl_help(FILE *f)
{
	fprintf(f,
"usage: roamctl [-j] [-s socket] command [argument ...]\n"
"\n"
"options:\n"
"  -s, --socket SOCKET  control socket of the roamd to ask\n"
"                       (default $ROAMCTL_SOCKET, else " ROAMCTL_SOCKET ")\n"
"  -j, --json           answer with one JSON document\n"
"  -h, --help           this text\n"
"\n"
"commands:\n"
"  status               site name, id, epoch, uptime and counters\n"
"  users                every user of this site and where they are\n"
"  user NUMBER          one user: state, rights, settings, buttons\n"
"  regs                 registered phones and their contacts\n"
"  calls                calls in progress\n"
"  reload               re-read the configuration file\n"
"  peers                peer sites: link state, epoch, flaps\n"
"  directory            every network user: home and current site\n"
"  login USER EXTENSION log a user in at an extension (admin)\n"
"  logout USER          log a user out; fallbacks apply (admin)\n"
"  events [--since T] [--user N] [--limit N]\n"
"                       the audit log, oldest first: logins, logouts and\n"
"                       failed logins with their reasons, lock-outs, remote\n"
"                       logins granted or refused, reconcile decisions\n"
"                       (the newest 1000 unless --limit says otherwise)\n"
"  cdr [--since T] [--csv]\n"
"                       call records: caller user and device, callee,\n"
"                       trunk, times, cause; --csv for spreadsheets\n"
"\n"
"T is unix seconds or the site's local YYYY-MM-DD[THH:MM[:SS]].\n"
"\n"
"exit status: 0 ok, 1 error, 2 cannot connect to roamd\n");
}

/* Complain about the command line and exit. */
static void
roamctl_usage(void)
{
	roamctl_help(stderr);
	exit(EXIT_REFUSED);
}

/*
 * Take "--json" / "-j" out of the words after the command (admins type
 * "roamctl users --json"); no command argument is ever spelt so.
 */
static int
roamctl_strip_json(int argc, char **argv, int *json)
{
	int	 i, n = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 ||
		    strcmp(argv[i], "-j") == 0)
			*json = 1;
		else
			argv[n++] = argv[i];
	}
	return (n);
}

/*
 * Join the words into one request line.  The daemon splits on blanks, so
 * a word holding a blank or a line break cannot be sent faithfully.
 */
static int
roamctl_request(char *buf, size_t size, int json, int argc, char **argv)
{
	size_t	 len = 0;
	int	 i, n;

	buf[0] = '\0';
	if (json) {
		n = snprintf(buf, size, "json");
		len = (size_t)n;
	}
	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\r\n") != NULL) {
			fprintf(stderr, "%s: bad argument \"%s\": empty or "
			    "has blanks\n", roamctl_progname, argv[i]);
			return (-1);
		}
		n = snprintf(buf + len, size - len, "%s%s",
		    len > 0 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - len) {
			fprintf(stderr, "%s: request too long\n",
			    roamctl_progname);
			return (-1);
		}
		len += (size_t)n;
	}
	return (0);
}

/* Connect to path; -1 with a message naming the socket. */
static int
roamctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { ROAMCTL_TIMEOUT, 0 };
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: %s: socket path too long\n",
		    roamctl_progname, path);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		fprintf(stderr, "%s: socket: %s\n", roamctl_progname,
		    strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "%s: cannot connect to %s: %s\n"
		    "%s: is roamd running?  Name its socket (site.control) "
		    "with -s or ROAMCTL_SOCKET.\n", roamctl_progname, path,
		    strerror(errno), roamctl_progname);
		close(fd);
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return (fd);
}

/* Write all of buf. */
static int
roamctl_write(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Read until EOF into a malloc'd buffer; NULL on error. */
static char *
roamctl_read(int fd, size_t *lenp)
{
	char	*buf = NULL, *nbuf;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (len + 4096 + 1 > size) {
			size = size == 0 ? 16384 : size * 2;
			if ((nbuf = realloc(buf, size)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return (NULL);
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return (NULL);
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
}

/* Print the answer: the document to stdout, an error to stderr. */
static int
roamctl_answer(const char *path, const char *ans, size_t len)
{
	const char	*body;
	size_t		 blen;

	if (len < 2 || (ans[0] != '0' && ans[0] != '1') || ans[1] != '\n') {
		fprintf(stderr, "%s: %s: not a roamd answer\n",
		    roamctl_progname, path);
		return (EXIT_REFUSED);
	}
	body = ans + 2;
	blen = len - 2;
	if (ans[0] == '0') {
		fwrite(body, 1, blen, stdout);
		if (fflush(stdout) == EOF)
			return (EXIT_REFUSED);
		return (0);
	}
	fprintf(stderr, "%s: ", roamctl_progname);
	fwrite(body, 1, blen, stderr);
	if (blen == 0 || body[blen - 1] != '\n')
		fputc('\n', stderr);
	return (EXIT_REFUSED);
}

/* Send the request to the daemon at path and print what it says. */
static int
roamctl_ask(const char *path, const char *req)
{
	char	*ans;
	size_t	 len;
	int	 fd, rc;

	if ((fd = roamctl_connect(path)) == -1)
		return (EXIT_NOCONNECT);
	if (roamctl_write(fd, req, strlen(req)) == -1 ||
	    roamctl_write(fd, "\n", 1) == -1) {
		fprintf(stderr, "%s: %s: %s\n", roamctl_progname, path,
		    strerror(errno));
		close(fd);
		return (EXIT_NOCONNECT);
	}
	if ((ans = roamctl_read(fd, &len)) == NULL) {
		fprintf(stderr, "%s: %s: no answer: %s\n", roamctl_progname,
		    path, errno == EAGAIN || errno == EWOULDBLOCK ?
		    "timed out" : strerror(errno));
		close(fd);
		return (EXIT_REFUSED);
	}
	close(fd);
	rc = roamctl_answer(path, ans, len);
	free(ans);
	return (rc);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL,	'j' },
		{ "socket",	required_argument,	NULL,	's' },
		{ "help",	no_argument,		NULL,	'h' },
		{ NULL,		0,			NULL,	0 }
	};
	const char	*path;
	char		 req[ROAMCTL_MAXLINE + 1];
	int		 ch, json = 0;

	if ((path = getenv("ROAMCTL_SOCKET")) == NULL || *path == '\0')
		path = ROAMCTL_SOCKET;
	/* "+": stop at the command, so its arguments are never options. */
	while ((ch = getopt_long(argc, argv, "+hjs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			path = optarg;
			break;
		case 'h':
			roamctl_help(stdout);
			return (0);
		default:
			roamctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		roamctl_usage();
	if (strcmp(argv[0], "help") == 0) {
		roamctl_help(stdout);
		return (0);
	}
	/* Admins type "roamctl events --json --user 201" too. */
	argc = roamctl_strip_json(argc, argv, &json);
	if (roamctl_request(req, sizeof(req), json, argc, argv) == -1)
		return (EXIT_REFUSED);
	return (roamctl_ask(path, req));
}
