/*
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once.
 * Two users hash under one key again and again: the digest nonces
 * (auth.c, one HMAC per challenge and per authenticated request) and
 * PBKDF2 for login codes (db_hash.c, 10,000 HMACs a code).  OpenSSL's
 * HMAC() and EVP_MAC set the digest and the key up on every call, several
 * times the cost of the two hashes.  The SHA256_* calls are deprecated in
 * OpenSSL 3 but present in every build we ship.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <string.h>

#include <openssl/crypto.h>

#include "hmac.h"

/* Hash the key's pads (a key over one block is hashed first). */
void
hmac_key_init(struct hmac_key *k, const void *key, size_t keylen)
{
	unsigned char	 kb[HMAC_SHA256_BLOCK], pad[HMAC_SHA256_BLOCK];
	size_t		 i;

	memset(kb, 0, sizeof(kb));
	if (keylen > HMAC_SHA256_BLOCK)
		SHA256(key, keylen, kb);
	else
		memcpy(kb, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = kb[i] ^ 0x36;
	SHA256_Init(&k->in);
	SHA256_Update(&k->in, pad, sizeof(pad));
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = kb[i] ^ 0x5c;
	SHA256_Init(&k->out);
	SHA256_Update(&k->out, pad, sizeof(pad));
	OPENSSL_cleanse(kb, sizeof(kb));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* Forget the key. */
void
hmac_key_clear(struct hmac_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* HMAC-SHA256 of msg under k. */
void
hmac_sha256(const struct hmac_key *k, const void *msg, size_t len,
    unsigned char out[HMAC_SHA256_LEN])
{
	SHA256_CTX	c;

	c = k->in;
	SHA256_Update(&c, msg, len);
	SHA256_Final(out, &c);
	c = k->out;
	SHA256_Update(&c, out, HMAC_SHA256_LEN);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

/* Lower-case hex of n bytes into out (2n + 1). */
void
hmac_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}
