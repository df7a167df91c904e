/*
 * Digest authentication: the RFC 2617 vector, a SIP REGISTER computed
 * independently (Python hashlib), and the server rules a phone or an
 * attacker would notice: wrong password, stale nonce, replay, forgery.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "sip_msg.h"

struct roamd	*env;

#define REALM	"london.example.net"
#define T0	((time_t)1700000000)

/* Values parsed out of a header we built, for feeding auth_check. */
struct parsed {
	char	 buf[1024];
	char	*v[16];
	char	*k[16];
	int	 n;
};

/* Split "Digest a="x", b=y" into key/value pairs (test helper only). */
static void
parse_digest(struct parsed *p, const char *hdr)
{
	char	*s, *e;

	strcpy(p->buf, hdr + strlen("Digest "));
	p->n = 0;
	for (s = p->buf; *s != '\0' && p->n < 16;) {
		while (*s == ' ' || *s == ',')
			s++;
		p->k[p->n] = s;
		e = strchr(s, '=');
		ck_assert_ptr_nonnull(e);
		*e++ = '\0';
		if (*e == '"') {
			p->v[p->n] = ++e;
			e = strchr(e, '"');
			*e++ = '\0';
		} else {
			p->v[p->n] = e;
			e += strcspn(e, ",");
			if (*e != '\0')
				*e++ = '\0';
		}
		p->n++;
		s = e;
	}
}

/* Value of key k, or NULL. */
static const char *
pget(struct parsed *p, const char *k)
{
	int	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->k[i], k) == 0)
			return (p->v[i]);
	return (NULL);
}

/* Build credentials the way a phone does, answering a nonce. */
static void
make_auth(struct sip_auth *a, char resp[33], const char *nonce,
    const char *password, const char *nc)
{
	char	 ha1[33];

	auth_ha1("201", REALM, password, ha1);
	auth_response(ha1, nonce, nc, "4a8f2c11", nc != NULL ? "auth" : NULL,
	    "REGISTER", "sip:" REALM, resp);
	memset(a, 0, sizeof(*a));
	a->username = "201";
	a->realm = REALM;
	a->nonce = nonce;
	a->uri = "sip:" REALM;
	a->response = resp;
	a->algorithm = "MD5";
	if (nc != NULL) {
		a->qop = "auth";
		a->nc = nc;
		a->cnonce = "4a8f2c11";
	}
}

START_TEST(test_rfc2617_vector)
{
	char	 ha1[33], resp[33];

	auth_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
	auth_response(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
	    "0a4f113b", "auth", "GET", "/dir/index.html", resp);
	ck_assert_str_eq(resp, "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(test_sip_register_vector)
{
	const char	*n = "00000000651a2b3c0123456789abcdef0123456789abcdef";
	char		 ha1[33], resp[33];

	auth_ha1("201", REALM, "phone-secret-201", ha1);
	ck_assert_str_eq(ha1, "eab7d4e89ce697385baeaf2a555fee7f");
	auth_response(ha1, n, "00000001", "4a8f2c11", "auth", "REGISTER",
	    "sip:" REALM, resp);
	ck_assert_str_eq(resp, "e8865d36402b97bf0d4e3a941d11d732");
	auth_response(ha1, n, NULL, NULL, NULL, "REGISTER", "sip:" REALM,
	    resp);
	ck_assert_str_eq(resp, "0ddfe4621ea3c5255f87476f5791cb0f");
}
END_TEST

START_TEST(test_right_password_accepted)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0 + 1),
	    AUTH_OK);
}
END_TEST

START_TEST(test_wrong_password_refused)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "guess", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0 + 1),
	    AUTH_BAD);
	ck_assert_str_eq(auth_cause(), "wrong password");
}
END_TEST

START_TEST(test_other_realm_is_no_credentials)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	a.realm = "paris.example.net";
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_NONE);
	ck_assert_int_eq(auth_check(NULL, "REGISTER", REALM, ha1, T0),
	    AUTH_NONE);
}
END_TEST

START_TEST(test_stale_nonce)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1,
	    T0 + AUTH_NONCE_LIFETIME + 1), AUTH_STALE);
	/* Stale only when the password is right: else plainly bad. */
	make_auth(&a, resp, nonce, "guess", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1,
	    T0 + AUTH_NONCE_LIFETIME + 1), AUTH_BAD);
}
END_TEST

START_TEST(test_replayed_nc_refused)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000002");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_OK);
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0 + 1),
	    AUTH_BAD);
	ck_assert_str_eq(auth_cause(), "replay");
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0 + 1),
	    AUTH_BAD);
}
END_TEST

START_TEST(test_increasing_nc_accepted)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33], nc[9];
	int		 i;

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	for (i = 1; i <= 5; i++) {
		snprintf(nc, sizeof(nc), "%08x", i);
		make_auth(&a, resp, nonce, "phone-secret-201", nc);
		ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1,
		    T0 + i), AUTH_OK);
	}
}
END_TEST

START_TEST(test_same_second_challenges_are_distinct)
{
	struct sip_auth	 a;
	char		 n1[64], n2[64], ha1[33], resp[33];

	/* Two phones challenged in the same second each get their own. */
	auth_nonce(n1, sizeof(n1), T0);
	auth_nonce(n2, sizeof(n2), T0);
	ck_assert_str_ne(n1, n2);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, n1, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_OK);
	make_auth(&a, resp, n2, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_OK);
}
END_TEST

START_TEST(test_without_qop_nonce_used_once)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", NULL);
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_OK);
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_BAD);
}
END_TEST

START_TEST(test_forged_nonce_refused)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];

	/* A nonce of the right shape but not signed by us. */
	auth_nonce(nonce, sizeof(nonce), T0);
	nonce[20] = nonce[20] == '0' ? '1' : '0';
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_BAD);
	ck_assert_str_eq(auth_cause(), "forged nonce");
	/* An attacker moving the timestamp to make an old nonce fresh. */
	auth_nonce(nonce, sizeof(nonce), T0);
	nonce[15] = nonce[15] == '0' ? '1' : '0';
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_BAD);
	/* A nonce from before a restart (new secret) is not ours. */
	auth_nonce(nonce, sizeof(nonce), T0);
	auth_init();
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_BAD);
}
END_TEST

START_TEST(test_used_nonces_pruned)
{
	struct sip_auth	 a;
	char		 nonce[64], ha1[33], resp[33];
	int		 i;

	auth_ha1("201", REALM, "phone-secret-201", ha1);
	for (i = 0; i < 50; i++) {
		auth_nonce(nonce, sizeof(nonce), T0);
		make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
		ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
		    AUTH_OK);
	}
	ck_assert_uint_eq(auth_nonces_remembered(), 50);
	/* Once they are stale they are forgotten. */
	auth_nonce(nonce, sizeof(nonce), T0 + 2 * AUTH_NONCE_LIFETIME);
	make_auth(&a, resp, nonce, "phone-secret-201", "00000001");
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1,
	    T0 + 2 * AUTH_NONCE_LIFETIME), AUTH_OK);
	ck_assert_uint_eq(auth_nonces_remembered(), 1);
}
END_TEST

START_TEST(test_challenge_format)
{
	char	 buf[256];

	auth_challenge(buf, sizeof(buf), REALM, 0, T0);
	ck_assert_msg(strncmp(buf, "Digest realm=\"" REALM "\", nonce=\"",
	    30) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, ", algorithm=MD5, qop=\"auth\""));
	ck_assert_ptr_null(strstr(buf, "stale"));
	auth_challenge(buf, sizeof(buf), REALM, 1, T0);
	ck_assert_ptr_nonnull(strstr(buf, "qop=\"auth\", stale=true"));
}
END_TEST

START_TEST(test_answer_round_trips)
{
	struct sip_challenge	 c;
	struct sip_auth		 a;
	struct parsed		 ch, an;
	char			 hdr[256], out[512], ha1[33];

	auth_challenge(hdr, sizeof(hdr), REALM, 0, T0);
	parse_digest(&ch, hdr);
	memset(&c, 0, sizeof(c));
	c.realm = pget(&ch, "realm");
	c.nonce = pget(&ch, "nonce");
	c.qop = "auth,auth-int";
	c.algorithm = pget(&ch, "algorithm");
	ck_assert_int_eq(auth_answer(out, sizeof(out), &c, "INVITE",
	    "sip:0800@" REALM, "201", "phone-secret-201", 1), 0);
	parse_digest(&an, out);
	memset(&a, 0, sizeof(a));
	a.username = pget(&an, "username");
	a.realm = pget(&an, "realm");
	a.nonce = pget(&an, "nonce");
	a.uri = pget(&an, "uri");
	a.response = pget(&an, "response");
	a.algorithm = pget(&an, "algorithm");
	a.cnonce = pget(&an, "cnonce");
	a.qop = pget(&an, "qop");
	a.nc = pget(&an, "nc");
	ck_assert_str_eq(a.nc, "00000001");
	ck_assert_str_eq(a.qop, "auth");
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	ck_assert_int_eq(auth_check(&a, "INVITE", REALM, ha1, T0 + 2),
	    AUTH_OK);
	/* The same Authorization for another method does not verify. */
	ck_assert_int_eq(auth_check(&a, "BYE", REALM, ha1, T0 + 2),
	    AUTH_BAD);
}
END_TEST

START_TEST(test_answer_without_qop_round_trips)
{
	struct sip_challenge	 c;
	struct sip_auth		 a;
	struct parsed		 an;
	char			 nonce[64], out[512], ha1[33];

	auth_nonce(nonce, sizeof(nonce), T0);
	memset(&c, 0, sizeof(c));
	c.realm = REALM;
	c.nonce = nonce;
	c.opaque = "xyz";
	ck_assert_int_eq(auth_answer(out, sizeof(out), &c, "REGISTER",
	    "sip:" REALM, "201", "phone-secret-201", 1), 0);
	ck_assert_ptr_null(strstr(out, "qop"));
	ck_assert_ptr_nonnull(strstr(out, "opaque=\"xyz\""));
	parse_digest(&an, out);
	memset(&a, 0, sizeof(a));
	a.username = pget(&an, "username");
	a.realm = pget(&an, "realm");
	a.nonce = pget(&an, "nonce");
	a.uri = pget(&an, "uri");
	a.response = pget(&an, "response");
	auth_ha1("201", REALM, "phone-secret-201", ha1);
	ck_assert_int_eq(auth_check(&a, "REGISTER", REALM, ha1, T0),
	    AUTH_OK);
	c.algorithm = "SHA-512-256";
	ck_assert_int_eq(auth_answer(out, sizeof(out), &c, "REGISTER",
	    "sip:" REALM, "201", "x", 1), -1);
}
END_TEST

/* Fresh secret and replay table per test. */
static void
setup(void)
{
	auth_init();
}

static void
teardown(void)
{
	auth_shutdown();
}

static Suite *
auth_suite(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc = tcase_create("digest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc2617_vector);
	tcase_add_test(tc, test_sip_register_vector);
	tcase_add_test(tc, test_right_password_accepted);
	tcase_add_test(tc, test_wrong_password_refused);
	tcase_add_test(tc, test_other_realm_is_no_credentials);
	tcase_add_test(tc, test_stale_nonce);
	tcase_add_test(tc, test_replayed_nc_refused);
	tcase_add_test(tc, test_increasing_nc_accepted);
	tcase_add_test(tc, test_same_second_challenges_are_distinct);
	tcase_add_test(tc, test_without_qop_nonce_used_once);
	tcase_add_test(tc, test_forged_nonce_refused);
	tcase_add_test(tc, test_used_nonces_pruned);
	tcase_add_test(tc, test_challenge_format);
	tcase_add_test(tc, test_answer_round_trips);
	tcase_add_test(tc, test_answer_without_qop_round_trips);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(auth_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
