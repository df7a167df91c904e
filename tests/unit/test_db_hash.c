/*
 * The login-code PBKDF2 (db_hash.c): the same bytes as OpenSSL's
 * PKCS5_PBKDF2_HMAC, so hashes stored by either verify with the other.
 */
#include <check.h>
#include <string.h>

#include <openssl/evp.h>

#include "db_hash.h"

struct roamd	*env;

/* Compare with OpenSSL for one password, salt, iteration count, length. */
static void
same_as_openssl(const char *pw, const char *salt, long iter, size_t len)
{
	unsigned char	 want[80], got[80];

	ck_assert(len <= sizeof(want));
	ck_assert_int_eq(PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw),
	    (const unsigned char *)salt, (int)strlen(salt), (int)iter,
	    EVP_sha256(), (int)len, want), 1);
	ck_assert_int_eq(db_pbkdf2_sha256(pw, strlen(pw),
	    (const unsigned char *)salt, strlen(salt), iter, got, len), 0);
	ck_assert_msg(memcmp(want, got, len) == 0, "pw=%s iter=%ld len=%zu",
	    pw, iter, len);
}

START_TEST(test_pbkdf2_matches_openssl)
{
	/* RFC 7914 section 11's first vector, and the login-code shape. */
	same_as_openssl("passwd", "salt", 1, 64);
	same_as_openssl("4321", "0123456789abcdef", 10000, 32);
	same_as_openssl("4321", "0123456789abcdef", 2, 20);
	/* A key longer than the HMAC block is hashed first. */
	same_as_openssl("0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789", "s", 3, 40);
	same_as_openssl("", "salt", 5, 32);
}
END_TEST

START_TEST(test_pbkdf2_rfc7914_vector)
{
	/* PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64), first 8 bytes. */
	static const unsigned char want[8] = {
		0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f
	};
	unsigned char	 got[64];

	ck_assert_int_eq(db_pbkdf2_sha256("passwd", 6,
	    (const unsigned char *)"salt", 4, 1, got, sizeof(got)), 0);
	ck_assert(memcmp(got, want, sizeof(want)) == 0);
	ck_assert_int_eq(db_pbkdf2_sha256("passwd", 6,
	    (const unsigned char *)"salt", 4, 0, got, sizeof(got)), -1);
}
END_TEST

static Suite *
db_hash_suite(void)
{
	Suite	*s = suite_create("db_hash");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_pbkdf2_matches_openssl);
	tcase_add_test(tc, test_pbkdf2_rfc7914_vector);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(db_hash_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfail == 0 ? 0 : 1);
}
