/*
 * Random bytes for the SIP hot path.  RAND_bytes() has a fixed cost per
 * call (a lock, the provider's bookkeeping) that was several times the
 * cost of the few bytes a tag, branch or nonce needs: a call drew it eight
 * times.  Drawing a block at a time and handing it out, as arc4random
 * does, is as random and much cheaper.  Bytes handed out are wiped from
 * the block, so a later memory dump cannot tell what was drawn before.
 * roamd never forks, so no two processes can hand out the same block.
 */
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "rand.h"

#define RAND_BLOCK	4096

static unsigned char	rand_block[RAND_BLOCK];
static size_t		rand_left;	/* unused bytes at the block's end */

/* Fill buf with len cryptographically random bytes (fatal if none). */
void
rand_fill(void *buf, size_t len)
{
	unsigned char	*p = buf, *from;
	size_t		 n;

	while (len > 0) {
		if (rand_left == 0) {
			if (RAND_bytes(rand_block, sizeof(rand_block)) != 1)
				fatalx("rand: RAND_bytes failed");
			rand_left = sizeof(rand_block);
		}
		n = len < rand_left ? len : rand_left;
		from = rand_block + sizeof(rand_block) - rand_left;
		memcpy(p, from, n);
		explicit_bzero(from, n);
		rand_left -= n;
		p += n;
		len -= n;
	}
}
