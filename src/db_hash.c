/*
 * PBKDF2-HMAC-SHA256 (RFC 8018 5.2) with the HMAC key schedule done once.
 *
 * OpenSSL 3's PKCS5_PBKDF2_HMAC re-enters the provider layer for every
 * one of its 10,000 HMACs per login code: about 5 ms a code, so storing
 * 100,000 users' codes took eight minutes of CPU.  Here the inner and
 * outer SHA-256 states of the key are computed once and each iteration
 * is two block compressions (SHA256_Transform): about 1.5 ms a code, the
 * same bytes.  Those SHA256_* calls are deprecated in OpenSSL 3 but
 * present in every build we ship; the EVP equivalent (EVP_MD_CTX_copy_ex
 * per iteration) is as slow as PKCS5_PBKDF2_HMAC.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_Transform: see above */

#include <sys/types.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "db_hash.h"
#include "hmac.h"

#define HMAC_BLOCK	HMAC_SHA256_BLOCK
#define HMAC_OUT	HMAC_SHA256_LEN

/* The big-endian digest held in a SHA-256 state's chaining value. */
static void
db_hash_state(const SHA256_CTX *c, unsigned char *out)
{
	int	 i;

	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

/*
 * One output block T_i: U_1 = HMAC(salt || INT(i)) the ordinary way, then
 * U_j = HMAC(U_j-1) as two compressions of a block already padded for a
 * 64 + 32 byte message.
 */
static void
db_hash_block(const SHA256_CTX *in, const SHA256_CTX *out,
    const unsigned char *salt, size_t saltlen, unsigned long idx, long iter,
    unsigned char t[HMAC_OUT])
{
	SHA256_CTX	 c;
	unsigned char	 blk[HMAC_BLOCK], be[4];
	long		 j;
	int		 i;

	be[0] = (unsigned char)(idx >> 24);
	be[1] = (unsigned char)(idx >> 16);
	be[2] = (unsigned char)(idx >> 8);
	be[3] = (unsigned char)idx;
	c = *in;
	SHA256_Update(&c, salt, saltlen);
	SHA256_Update(&c, be, sizeof(be));
	SHA256_Final(blk, &c);
	c = *out;
	SHA256_Update(&c, blk, HMAC_OUT);
	SHA256_Final(blk, &c);
	memcpy(t, blk, HMAC_OUT);
	/* Padding: 0x80, zeros, the bit length (64 + 32) * 8 = 0x300. */
	memset(blk + HMAC_OUT, 0, sizeof(blk) - HMAC_OUT);
	blk[HMAC_OUT] = 0x80;
	blk[HMAC_BLOCK - 2] = 0x03;
	for (j = 1; j < iter; j++) {
		c = *in;
		SHA256_Transform(&c, blk);
		db_hash_state(&c, blk);
		c = *out;
		SHA256_Transform(&c, blk);
		db_hash_state(&c, blk);
		for (i = 0; i < HMAC_OUT; i++)
			t[i] ^= blk[i];
	}
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(blk, sizeof(blk));
}

int
db_pbkdf2_sha256(const char *pw, size_t pwlen, const unsigned char *salt,
    size_t saltlen, long iter, unsigned char *out, size_t outlen)
{
	struct hmac_key	 k;
	unsigned char	 t[HMAC_OUT];
	unsigned long	 idx;
	size_t		 n;

	if (pw == NULL || salt == NULL || iter < 1 || outlen == 0)
		return (-1);
	hmac_key_init(&k, pw, pwlen);
	for (idx = 1; outlen > 0; idx++) {
		db_hash_block(&k.in, &k.out, salt, saltlen, idx, iter, t);
		n = outlen < HMAC_OUT ? outlen : HMAC_OUT;
		memcpy(out, t, n);
		out += n;
		outlen -= n;
	}
	OPENSSL_cleanse(t, sizeof(t));
	hmac_key_clear(&k);
	return (0);
}
