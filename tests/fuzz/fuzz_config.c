/*
 * libFuzzer target: loading the YAML configuration (DESIGN.md section 3,
 * section 7).  An admin's typo must give FILE:LINE:COL errors, never a
 * crash, so the input is written to a file and loaded as roamd -n would;
 * the config or the error list is then freed (a leak fails the run).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct roamd;
struct roamd *env;

static char	fuzz_dir[256];
static char	fuzz_file[300];

/* Remove the scratch file and its directory at exit. */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_file);
	rmdir(fuzz_dir);
}

/* Make a private scratch directory for the config file. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fuzz_config.XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL) {
		fprintf(stderr, "fuzz_config: mkdtemp %s: %s\n", fuzz_dir,
		    strerror(errno));
		exit(1);
	}
	snprintf(fuzz_file, sizeof fuzz_file, "%s/roamd.yaml", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

/* Replace the scratch file's contents with data. */
static int
fuzz_write(const uint8_t *data, size_t size)
{
	ssize_t	 w;
	int	 fd;

	fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		return -1;
	while (size > 0) {
		if ((w = write(fd, data, size)) <= 0) {
			close(fd);
			return -1;
		}
		data += w;
		size -= (size_t)w;
	}
	return close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors	 errs;
	struct config		*c;
	size_t			 i;

	/* A config is a few kB; bigger inputs only slow the search. */
	if (size > 65536 || fuzz_write(data, size) == -1)
		return 0;
	memset(&errs, 0, sizeof errs);
	c = config_load(fuzz_file, &errs);
	if (c == NULL && errs.n == 0) {
		fprintf(stderr, "fuzz_config: refused without an error\n");
		abort();
	}
	for (i = 0; i < errs.n; i++)
		(void)strlen(errs.v[i]);
	config_free(c);
	config_errors_free(&errs);
	return 0;
}
