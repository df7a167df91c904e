/*
 * HMAC-SHA256 with the key's pads hashed once (hmac.c).
 */
#ifndef HMAC_H
#define HMAC_H

#include <stddef.h>

#include <openssl/sha.h>

#define HMAC_SHA256_BLOCK	SHA256_CBLOCK		/* 64 */
#define HMAC_SHA256_LEN		SHA256_DIGEST_LENGTH	/* 32 */

/* SHA-256 after the inner and after the outer pad of one key. */
struct hmac_key {
	SHA256_CTX	in;
	SHA256_CTX	out;
};

void	hmac_key_init(struct hmac_key *, const void *key, size_t keylen);
void	hmac_key_clear(struct hmac_key *);
void	hmac_sha256(const struct hmac_key *, const void *msg, size_t len,
	    unsigned char out[HMAC_SHA256_LEN]);

/* Lower-case hex of n bytes (a digest, a MAC, a salt) into out (2n + 1). */
void	hmac_hex(const unsigned char *, size_t n, char *out);

#endif
