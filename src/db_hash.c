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
 *
 * Login codes are stored as "pbkdf2-sha256$ITER$SALTHEX$HASHHEX" (db.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_Transform: see above */

#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "db.h"
#include "db_hash.h"
#include "hmac.h"

#define HMAC_BLOCK	HMAC_SHA256_BLOCK
#define HMAC_OUT	HMAC_SHA256_LEN

#define DB_PBKDF2_ITER		10000
#define DB_PBKDF2_MAX_ITER	1000000	/* bounds the cost of a bad row */
#define DB_SALT_LEN		16
#define DB_HASH_LEN		32
#define DB_HASH_PREFIX		"pbkdf2-sha256$"

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

/* Decode exactly len hex chars of s into out; returns bytes or -1. */
static int
db_unhex(const char *s, size_t len, unsigned char *out, size_t max)
{
	size_t	 i;
	int	 hi, lo;

	if (len % 2 != 0 || len / 2 > max || len == 0)
		return (-1);
	for (i = 0; i < len; i += 2) {
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return (-1);
		hi = isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    tolower((unsigned char)s[i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
		    tolower((unsigned char)s[i + 1]) - 'a' + 10;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return ((int)(len / 2));
}

/* Hash a login code: "pbkdf2-sha256$iter$salthex$hashhex". */
int
db_login_code_hash(const char *code, char *out, size_t len)
{
	unsigned char	 salt[DB_SALT_LEN], hash[DB_HASH_LEN];
	char		 salthex[2 * DB_SALT_LEN + 1];
	char		 hashhex[2 * DB_HASH_LEN + 1];
	int		 n;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return (-1);
	if (db_pbkdf2_sha256(code, strlen(code), salt, sizeof(salt),
	    DB_PBKDF2_ITER, hash, sizeof(hash)) != 0)
		return (-1);
	hmac_hex(salt, sizeof(salt), salthex);
	hmac_hex(hash, sizeof(hash), hashhex);
	n = snprintf(out, len, DB_HASH_PREFIX "%d$%s$%s", DB_PBKDF2_ITER,
	    salthex, hashhex);
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(hashhex, sizeof(hashhex));
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* Does code match a stored hash?  1 yes, 0 no (also when malformed). */
int
db_login_code_verify(const char *code, const char *stored)
{
	unsigned char	 salt[64], want[64], got[64];
	const char	*p, *salthex, *hashhex;
	char		*end;
	long		 iter;
	int		 nsalt, nhash, ok;

	if (code == NULL || stored == NULL ||
	    strncmp(stored, DB_HASH_PREFIX, strlen(DB_HASH_PREFIX)) != 0)
		return (0);
	p = stored + strlen(DB_HASH_PREFIX);
	iter = strtol(p, &end, 10);
	if (end == p || *end != '$' || iter < 1 || iter > DB_PBKDF2_MAX_ITER)
		return (0);
	salthex = end + 1;
	if ((p = strchr(salthex, '$')) == NULL)
		return (0);
	hashhex = p + 1;
	nsalt = db_unhex(salthex, (size_t)(p - salthex), salt, sizeof(salt));
	nhash = db_unhex(hashhex, strlen(hashhex), want, sizeof(want));
	if (nsalt == -1 || nhash == -1)
		return (0);
	if (db_pbkdf2_sha256(code, strlen(code), salt, (size_t)nsalt, iter,
	    got, (size_t)nhash) != 0)
		return (0);
	ok = CRYPTO_memcmp(got, want, (size_t)nhash) == 0;
	explicit_bzero(got, sizeof(got));
	return (ok);
}
