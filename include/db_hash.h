/*
 * PBKDF2-HMAC-SHA256 for login codes (db.c), the same bytes as OpenSSL's
 * PKCS5_PBKDF2_HMAC, about three times faster.
 */
#ifndef DB_HASH_H
#define DB_HASH_H

#include <stddef.h>

/* Derive outlen bytes into out; 0, or -1 on bad arguments. */
int	db_pbkdf2_sha256(const char *pw, size_t pwlen,
	    const unsigned char *salt, size_t saltlen, long iter,
	    unsigned char *out, size_t outlen);

#endif
