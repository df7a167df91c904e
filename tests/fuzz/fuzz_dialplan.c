/*
 * libFuzzer target: short-code patterns and matching (DESIGN.md D1, D2,
 * section 7).  The input is "PATTERN\nDIALLED": the pattern comes from
 * the configuration (checked by dialplan_pattern_valid at load), the
 * dialled string from any INVITE's Request-URI, so it may hold anything
 * but a NUL.  Only valid patterns are matched, as in the daemon.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialplan.h"

struct roamd;
struct roamd *env;

/* Stop the run on a broken promise of dialplan.h. */
static void
fuzz_assert(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_dialplan: contract broken: %s\n", what);
	abort();
}

/* Match, then substitute what N matched into a number as config does. */
static void
fuzz_match(const char *code, const char *dialled)
{
	char	n[DP_NUMBER_MAX], out[DP_NUMBER_MAX];
	int	score;

	memset(n, 0x5a, sizeof n);
	score = dialplan_match_code(code, dialled, n, sizeof n);
	if (score < 0)
		return;
	fuzz_assert(memchr(n, '\0', sizeof n) != NULL, "n not terminated");
	fuzz_assert(strlen(n) <= strlen(dialled), "n longer than dialled");
	(void)dialplan_substitute("9N", n, dialled, "201", out, sizeof out);
	(void)dialplan_substitute("E.N", n, dialled, "201", out, sizeof out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*cause = NULL;
	char		*buf, *dialled;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((dialled = strchr(buf, '\n')) != NULL)
		*dialled++ = '\0';
	else
		dialled = buf + size;
	if (dialplan_pattern_valid(buf, &cause) == 0)
		fuzz_match(buf, dialled);
	else
		fuzz_assert(cause != NULL, "invalid without cause");
	/* A dialled string can be any code's pattern too: "?" or digits. */
	if (dialplan_pattern_valid(dialled, &cause) == 0)
		fuzz_match(dialled, buf);
	free(buf);
	return 0;
}
