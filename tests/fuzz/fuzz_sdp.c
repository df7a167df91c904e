/*
 * libFuzzer target: our own SDP reader (DESIGN.md section 7).  The body
 * of any INVITE reaches sdp_read() as a counted buffer, so the input is
 * handed over as it is, not NUL-terminated.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_sdp.h"

struct roamd;
struct roamd *env;

/* Stop the run on a broken promise of sip_sdp.h. */
static void
fuzz_assert(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_sdp: contract broken: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_info	 info;
	char		 ans[512];

	memset(&info, 0x5a, sizeof info);
	if (sdp_read((const char *)data, size, &info) != 0)
		return 0;
	fuzz_assert(memchr(info.addr, '\0', sizeof info.addr) != NULL,
	    "addr not terminated");
	fuzz_assert(info.addr[0] != '\0', "usable offer without address");
	fuzz_assert(info.port > 0 && info.port <= 65535, "port range");
	fuzz_assert(info.direction >= 0 && info.direction <= 3, "direction");
	fuzz_assert(info.has_pcmu == 0 || info.has_pcmu == 1, "has_pcmu");
	/* Our answer echoes nothing of theirs but must fit. */
	(void)sdp_write_answer(ans, sizeof ans, info.addr, info.port, 1);
	return 0;
}
