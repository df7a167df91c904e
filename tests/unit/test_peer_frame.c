/*
 * Peer-link frame codec (DESIGN.md section 5): every message type
 * survives a round trip, every malformed header or attribute is refused
 * with a cause and without reading past the bytes given (run under
 * ASan: each decode gets an exactly-sized heap copy), unknown attributes
 * are skipped, and random or mutated frames never crash the decoder.
 */
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer_frame.h"

struct roamd;
struct roamd	*env;

/* Decode from an exactly-sized heap copy so ASan sees any over-read. */
static ssize_t
decode_copy(const uint8_t *buf, size_t len, struct peer_msg *msg,
    const char **cause, uint8_t **keep)
{
	uint8_t	*copy = malloc(len > 0 ? len : 1);
	ssize_t	 n;

	memcpy(copy, buf, len);
	n = peer_frame_decode(copy, len, msg, cause);
	if (keep != NULL)
		*keep = copy;
	else
		free(copy);
	return (n);
}

/* Build a frame with the attributes every type requires, plus extras. */
static void
build(struct peer_out *o, uint8_t type, uint32_t seq)
{
	uint8_t		 nonce[PEER_NONCELEN];
	const char	*cause;

	memset(nonce, 0xa5, sizeof(nonce));
	peer_frame_begin(o, type, seq);
	switch (type) {
	case PT_HELLO:
		peer_frame_put_str(o, PA_SITE_NAME, "london");
		peer_frame_put_u32(o, PA_SITE_ID, 1);
		peer_frame_put_u64(o, PA_EPOCH, 0x0123456789abcdefULL);
		peer_frame_put_bytes(o, PA_NONCE, nonce, sizeof(nonce));
		break;
	case PT_AUTH:
		peer_frame_put_bytes(o, PA_PROOF, nonce, PEER_PROOFLEN);
		break;
	case PT_KEEPALIVE:
		break;
	case PT_ERROR:
		peer_frame_put_u32(o, PA_RESULT, PR_PROTOCOL);
		peer_frame_put_str(o, PA_REASON, "bad magic");
		break;
	case PT_BREAKOUT_REQ:
		peer_frame_put_str(o, PA_DIGITS, "00331400");
		peer_frame_put_str(o, PA_CALLER, "201");
		peer_frame_put_str(o, PA_CALL_ID, "abc@host");
		break;
	case PT_BREAKOUT_ANS:
		peer_frame_put_u32(o, PA_RESULT, PR_OK);
		peer_frame_put_str(o, PA_TARGET, "sip:x@127.0.0.1:5062");
		break;
	default:
		peer_frame_put_str(o, PA_USER, "201");
		peer_frame_put_str(o, PA_HOME, "london");
		peer_frame_put_str(o, PA_LOGIN_CODE, "4321");
		peer_frame_put_u64(o, PA_GENERATION, 42);
		peer_frame_put_u32(o, PA_RESULT, PR_BAD_CODE);
		peer_frame_put_str(o, PA_SITE, "paris");
		peer_frame_put_str(o, PA_EXTENSION, "301");
		break;
	}
	ck_assert_int_eq(peer_frame_end(o, &cause), 0);
}

/* Every type: built, decoded, fields and sequence intact. */
START_TEST(test_round_trip_every_type)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	const char	*cause;
	uint8_t		*copy;
	char		 s[64];
	uint64_t	 v64;
	uint32_t	 v32;
	int		 t;

	for (t = 1; t < PT_MAX; t++) {
		build(&o, (uint8_t)t, 1000 + t);
		ck_assert_int_eq(decode_copy(o.buf, o.len, &m, &cause, &copy),
		    (ssize_t)o.len);
		ck_assert_int_eq(m.type, t);
		ck_assert_uint_eq(m.seq, 1000 + t);
		ck_assert_uint_eq(m.len, o.len - PEER_HDRLEN);
		ck_assert_str_ne(peer_type_name(t), "unknown");
		if (t == PT_HELLO) {
			ck_assert_int_eq(peer_msg_str(&m, PA_SITE_NAME, s,
			    sizeof(s)), 0);
			ck_assert_str_eq(s, "london");
			ck_assert_int_eq(peer_msg_u64(&m, PA_EPOCH, &v64), 0);
			ck_assert(v64 == 0x0123456789abcdefULL);
			ck_assert_int_eq(peer_msg_u32(&m, PA_SITE_ID, &v32),
			    0);
			ck_assert_uint_eq(v32, 1);
		} else if (t >= PT_LOCATION && t <= PT_RELEASE_ACK) {
			ck_assert_int_eq(peer_msg_str(&m, PA_USER, s,
			    sizeof(s)), 0);
			ck_assert_str_eq(s, "201");
			ck_assert_int_eq(peer_msg_u64(&m, PA_GENERATION,
			    &v64), 0);
			ck_assert(v64 == 42);
		}
		free(copy);
	}
	peer_frame_free(&o);
}
END_TEST

/* A login answer with a full user record, short codes and buttons. */
START_TEST(test_round_trip_user_record)
{
	struct peer_out		 o = { 0 };
	struct peer_msg		 m;
	struct peer_iter	 it, in;
	struct peer_attr	 a, b;
	const char		*cause;
	char			 s[64];
	int			 nsc = 0, nbtn = 0, dnd = -1;

	peer_frame_begin(&o, PT_LOGIN_ANS, 7);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u32(&o, PA_RESULT, PR_OK);
	peer_frame_put_str(&o, PA_NAME, "Alice Smith");
	peer_frame_put_str(&o, PA_PROFILE, "teleworker");
	peer_frame_put_str(&o, PA_RIGHTS, "Sales");
	peer_frame_put_flag(&o, PA_DND, 1);
	peer_frame_nest_begin(&o, PA_SHORTCODE);
	peer_frame_put_str(&o, PA_SC_CODE, "*77");
	peer_frame_put_str(&o, PA_SC_FEATURE, "dial");
	peer_frame_put_str(&o, PA_SC_NUMBER, "0033140000000");
	peer_frame_nest_end(&o);
	peer_frame_nest_begin(&o, PA_SHORTCODE);
	peer_frame_put_str(&o, PA_SC_CODE, "*78");
	peer_frame_put_str(&o, PA_SC_FEATURE, "dnd_on");
	peer_frame_nest_end(&o);
	peer_frame_nest_begin(&o, PA_BUTTON);
	peer_frame_put_str(&o, PA_BTN_TYPE, "speed_dial");
	peer_frame_put_str(&o, PA_BTN_NUMBER, "203");
	peer_frame_nest_end(&o);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);

	ck_assert_int_eq(peer_frame_decode(o.buf, o.len, &m, &cause),
	    (ssize_t)o.len);
	ck_assert_int_eq(peer_msg_flag(&m, PA_DND, &dnd), 0);
	ck_assert_int_eq(dnd, 1);
	peer_iter_init(&it, &m);
	while (peer_iter_next(&it, &a)) {
		if (a.type == PA_BUTTON)
			nbtn++;
		if (a.type != PA_SHORTCODE)
			continue;
		peer_iter_nested(&in, &a);
		ck_assert(peer_iter_next(&in, &b));
		ck_assert_int_eq(b.type, PA_SC_CODE);
		ck_assert_int_eq(peer_attr_str(&b, s, sizeof(s)), 0);
		ck_assert_str_eq(s, nsc == 0 ? "*77" : "*78");
		nsc++;
	}
	ck_assert_int_eq(nsc, 2);
	ck_assert_int_eq(nbtn, 1);
	peer_frame_free(&o);
}
END_TEST

/* A directory of many users: more attributes than the array holds. */
START_TEST(test_dir_sync_many_entries)
{
	struct peer_out		 o = { 0 };
	struct peer_msg		 m;
	struct peer_iter	 it;
	struct peer_attr	 a;
	const char		*cause;
	char			 num[16];
	int			 i, users = 0;
	uint64_t		 gen;

	peer_frame_begin(&o, PT_DIR_SYNC, 0);
	peer_frame_set_flags(&o, PF_FULL | PF_MORE);
	for (i = 0; peer_frame_room(&o) > 200; i++) {
		snprintf(num, sizeof(num), "%d", 1000 + i);
		peer_frame_put_str(&o, PA_USER, num);
		peer_frame_put_str(&o, PA_NAME, "Some Body");
		peer_frame_put_str(&o, PA_HOME, "london");
		peer_frame_put_u64(&o, PA_GENERATION, (uint64_t)i);
	}
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_uint_le(o.len, PEER_MAXFRAME);
	ck_assert_int_eq(peer_frame_decode(o.buf, o.len, &m, &cause),
	    (ssize_t)o.len);
	ck_assert_uint_eq(m.flags, PF_FULL | PF_MORE);
	ck_assert_uint_eq(m.nattr, PEER_MSG_MAXATTR);
	peer_iter_init(&it, &m);
	while (peer_iter_next(&it, &a))
		if (a.type == PA_USER)
			users++;
	ck_assert_int_eq(users, i);
	ck_assert_int_gt(users, 1000);
	/* The last entry's generation is found past the array too. */
	ck_assert_int_eq(peer_msg_u64(&m, PA_GENERATION, &gen), 0);
	ck_assert(gen == 0);
	peer_frame_free(&o);
}
END_TEST

/* Overfilling a frame fails at end(), never writes past 64 KiB. */
START_TEST(test_build_too_big_fails)
{
	struct peer_out	 o = { 0 };
	const char	*cause = NULL;
	char		 big[1000];
	int		 i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	peer_frame_begin(&o, PT_DIR_SYNC, 1);
	for (i = 0; i < 100; i++)
		peer_frame_put_str(&o, PA_NAME, big);
	ck_assert_int_eq(peer_frame_end(&o, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_uint_le(o.len, PEER_MAXFRAME);
	/* Reusable after an error. */
	build(&o, PT_KEEPALIVE, 2);
	peer_frame_free(&o);
}
END_TEST

/* A value the receiver would refuse fails at build time instead. */
START_TEST(test_build_out_of_bounds_value_fails)
{
	struct peer_out	 o = { 0 };
	const char	*cause = NULL;
	char		 longname[64];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	peer_frame_begin(&o, PT_LOCATION, 1);
	peer_frame_put_str(&o, PA_USER, "");
	peer_frame_put_str(&o, PA_HOME, "london");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	ck_assert_int_eq(peer_frame_end(&o, &cause), -1);
	ck_assert_str_eq(cause, "attribute value out of bounds");

	peer_frame_begin(&o, PT_HELLO, 1);
	peer_frame_put_str(&o, PA_SITE_NAME, longname);
	ck_assert_int_eq(peer_frame_end(&o, &cause), -1);

	/* Inside a short code, the nested bounds apply. */
	peer_frame_begin(&o, PT_SETTINGS, 1);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	peer_frame_nest_begin(&o, PA_SHORTCODE);
	peer_frame_put_str(&o, PA_SC_FEATURE, "");
	peer_frame_nest_end(&o);
	ck_assert_int_eq(peer_frame_end(&o, &cause), -1);

	/* An empty short code is below the nested minimum. */
	peer_frame_begin(&o, PT_SETTINGS, 1);
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_u64(&o, PA_GENERATION, 1);
	peer_frame_nest_begin(&o, PA_SHORTCODE);
	peer_frame_nest_end(&o);
	ck_assert_int_eq(peer_frame_end(&o, &cause), -1);

	/* Begin starts afresh. */
	build(&o, PT_LOCATION, 2);
	peer_frame_free(&o);
}
END_TEST

/* Put a big-endian u32 at p. */
static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* Expect buf to be refused with a cause. */
static void
refused(const uint8_t *buf, size_t len, const char *what)
{
	struct peer_msg	 m;
	const char	*cause = NULL;

	ck_assert_msg(decode_copy(buf, len, &m, &cause, NULL) == -1,
	    "%s accepted", what);
	ck_assert_msg(cause != NULL && *cause != '\0', "%s: no cause", what);
}

/* A valid keepalive header with a body of n bytes announced. */
static void
header(uint8_t *b, uint8_t type, uint32_t blen)
{
	put32(b, PEER_MAGIC);
	b[4] = PEER_VERSION;
	b[5] = type;
	b[6] = b[7] = 0;
	put32(b + 8, blen);
	put32(b + 12, 9);
}

/* Bad magic, version, type and lengths are all refused from the header. */
START_TEST(test_bad_headers_refused)
{
	uint8_t		 b[PEER_HDRLEN + 64];
	struct peer_msg	 m;
	const char	*cause;

	header(b, PT_KEEPALIVE, 0);
	ck_assert_int_eq(decode_copy(b, PEER_HDRLEN, &m, &cause, NULL),
	    PEER_HDRLEN);

	b[0] = 'X';
	refused(b, PEER_HDRLEN, "bad magic");
	header(b, PT_KEEPALIVE, 0);
	b[4] = 2;
	refused(b, PEER_HDRLEN, "version 2");
	header(b, 0, 0);
	refused(b, PEER_HDRLEN, "type 0");
	header(b, PT_MAX, 0);
	refused(b, PEER_HDRLEN, "type PT_MAX");
	header(b, 200, 0);
	refused(b, PEER_HDRLEN, "type 200");
	header(b, PT_DIR_SYNC, PEER_MAXBODY + 1);
	refused(b, PEER_HDRLEN, "length over 64 KiB");
	header(b, PT_DIR_SYNC, 0xffffffffU);
	refused(b, PEER_HDRLEN, "length 4 GiB");
	header(b, PT_KEEPALIVE, 4096);
	refused(b, PEER_HDRLEN, "keepalive over its maximum");
	header(b, PT_HELLO, 10);
	refused(b, PEER_HDRLEN + 10, "hello below its minimum");
	header(b, PT_AUTH, 4);
	refused(b, PEER_HDRLEN + 4, "auth below its minimum");
	header(b, PT_LOCATION, 0);
	refused(b, PEER_HDRLEN, "empty location");
}
END_TEST

/* Short input asks for more; a bad header is refused even without body. */
START_TEST(test_truncated_header_needs_more)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	const char	*cause;
	size_t		 n;

	build(&o, PT_HELLO, 1);
	for (n = 0; n < o.len; n++)
		ck_assert_int_eq(decode_copy(o.buf, n, &m, &cause, NULL), 0);
	peer_frame_free(&o);
}
END_TEST

/* Attribute-level damage: truncated, past the end, bad sizes, missing. */
START_TEST(test_bad_attributes_refused)
{
	uint8_t	 b[PEER_HDRLEN + 64];

	/* 3 bytes of attribute header. */
	header(b, PT_KEEPALIVE, 3);
	memcpy(b + PEER_HDRLEN, "\x00\x06\x00", 3);
	refused(b, PEER_HDRLEN + 3, "truncated attribute header");

	/* Attribute length 10 with 2 bytes left. */
	header(b, PT_KEEPALIVE, 6);
	memcpy(b + PEER_HDRLEN, "\x00\x07\x00\x0a" "ab", 6);
	refused(b, PEER_HDRLEN + 6, "attribute past the end");

	/* An unknown attribute past the end is still refused. */
	header(b, PT_KEEPALIVE, 6);
	memcpy(b + PEER_HDRLEN, "\x7f\x00\x00\x20" "ab", 6);
	refused(b, PEER_HDRLEN + 6, "unknown attribute past the end");

	/* A u32 of 3 bytes. */
	header(b, PT_BREAKOUT_ANS, 11);
	memcpy(b + PEER_HDRLEN, "\x00\x06\x00\x03" "abc"
	    "\x7f\x00\x00\x00", 11);
	refused(b, PEER_HDRLEN + 11, "3-byte result");

	/* Missing a required attribute (result) though long enough. */
	header(b, PT_BREAKOUT_ANS, 8);
	memcpy(b + PEER_HDRLEN, "\x00\x07\x00\x04" "abcd", 8);
	refused(b, PEER_HDRLEN + 8, "breakout_ans without result");

	/* A nested short code whose inner attribute runs past it. */
	header(b, PT_SETTINGS, 5 + 12 + 12);
	memcpy(b + PEER_HDRLEN, "\x00\x10\x00\x01" "2"
	    "\x00\x15\x00\x08" "\0\0\0\0\0\0\0\1"
	    "\x00\x2d\x00\x08" "\x00\x60\x00\x09" "abcd", 29);
	refused(b, PEER_HDRLEN + 29, "nested attribute past its parent");
}
END_TEST

/* Unknown attributes (top level and nested) are skipped, not fatal. */
START_TEST(test_unknown_attributes_skipped)
{
	struct peer_out		 o = { 0 };
	struct peer_msg		 m;
	struct peer_iter	 it;
	struct peer_attr	 a;
	const char		*cause;
	uint8_t			*copy;
	char			 s[32];
	size_t			 n = 0;

	peer_frame_begin(&o, PT_LOCATION, 3);
	peer_frame_put_str(&o, 0x7777, "from a newer release");
	peer_frame_put_str(&o, PA_USER, "201");
	peer_frame_put_str(&o, PA_SC_CODE, "nested-only, unknown here");
	peer_frame_put_str(&o, PA_HOME, "london");
	peer_frame_put_u64(&o, PA_GENERATION, 5);
	peer_frame_put_bytes(&o, 0, NULL, 0);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_eq(decode_copy(o.buf, o.len, &m, &cause, &copy),
	    (ssize_t)o.len);
	ck_assert_uint_eq(m.nattr, 3);
	ck_assert_int_eq(peer_msg_str(&m, PA_USER, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "201");
	ck_assert_ptr_null(peer_msg_get(&m, 0x7777));
	peer_iter_init(&it, &m);
	while (peer_iter_next(&it, &a))
		n++;
	ck_assert_uint_eq(n, 3);
	free(copy);
	peer_frame_free(&o);
}
END_TEST

/* Two frames back to back: the first's length is what is consumed. */
START_TEST(test_back_to_back_frames)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	const char	*cause;
	uint8_t		 two[512];
	size_t		 l1;
	ssize_t		 n;

	build(&o, PT_HELLO, 1);
	l1 = o.len;
	memcpy(two, o.buf, l1);
	build(&o, PT_KEEPALIVE, 2);
	memcpy(two + l1, o.buf, o.len);
	n = decode_copy(two, l1 + o.len, &m, &cause, NULL);
	ck_assert_int_eq(n, (ssize_t)l1);
	ck_assert_int_eq(m.type, PT_HELLO);
	n = decode_copy(two + l1, o.len, &m, &cause, NULL);
	ck_assert_int_eq(m.type, PT_KEEPALIVE);
	ck_assert_uint_eq(m.seq, 2);
	peer_frame_free(&o);
}
END_TEST

/* Strings with a NUL inside are refused by the getters. */
START_TEST(test_string_with_nul_refused)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	const char	*cause;
	char		 s[32];

	peer_frame_begin(&o, PT_BREAKOUT_REQ, 1);
	peer_frame_put_bytes(&o, PA_DIGITS, "12\0" "34", 5);
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_gt(peer_frame_decode(o.buf, o.len, &m, &cause), 0);
	ck_assert_int_eq(peer_msg_str(&m, PA_DIGITS, s, sizeof(s)), -1);
	ck_assert_ptr_null(peer_attr_strdup(peer_msg_get(&m, PA_DIGITS)));
	/* Too small a buffer. */
	peer_frame_begin(&o, PT_BREAKOUT_REQ, 1);
	peer_frame_put_str(&o, PA_DIGITS, "123456");
	ck_assert_int_eq(peer_frame_end(&o, &cause), 0);
	ck_assert_int_gt(peer_frame_decode(o.buf, o.len, &m, &cause), 0);
	ck_assert_int_eq(peer_msg_str(&m, PA_DIGITS, s, 4), -1);
	peer_frame_free(&o);
}
END_TEST

/* Walk everything a decoded frame offers, as a handler would. */
static void
touch_all(const struct peer_msg *m)
{
	struct peer_iter	 it, in;
	struct peer_attr	 a, b;
	char			*s;
	volatile uint64_t	 sink = 0;

	peer_iter_init(&it, m);
	while (peer_iter_next(&it, &a)) {
		sink += peer_attr_u32(&a) + peer_attr_u64(&a);
		if ((s = peer_attr_strdup(&a)) != NULL)
			free(s);
		if (a.type != PA_SHORTCODE && a.type != PA_BUTTON)
			continue;
		peer_iter_nested(&in, &a);
		while (peer_iter_next(&in, &b))
			sink += b.len;
	}
	(void)sink;
}

/* 20,000 random and mutated frames: no crash, no over-read, sane result. */
START_TEST(test_fuzz_random_and_mutated)
{
	struct peer_out	 o = { 0 };
	struct peer_msg	 m;
	const char	*cause;
	uint8_t		 b[2048], *copy;
	size_t		 len, k;
	ssize_t		 n;
	int		 i, j, ok = 0, bad = 0;

	srandom(12345);
	for (i = 0; i < 20000; i++) {
		if (i % 4 == 0) {
			len = (size_t)random() % 256;
			for (k = 0; k < len; k++)
				b[k] = (uint8_t)random();
			if (len >= 6 && random() % 2) {
				put32(b, PEER_MAGIC);
				b[4] = PEER_VERSION;
				b[5] = (uint8_t)(random() % (PT_MAX + 1));
			}
		} else {
			build(&o, (uint8_t)(1 + i % (PT_MAX - 1)), i);
			len = o.len;
			memcpy(b, o.buf, len);
			for (j = 0; j < 1 + random() % 4; j++)
				b[random() % len] = (uint8_t)random();
			if (random() % 4 == 0)
				len = (size_t)random() % (len + 1);
		}
		n = decode_copy(b, len, &m, &cause, &copy);
		ck_assert(n >= -1 && n <= (ssize_t)len);
		if (n == -1) {
			ck_assert_ptr_nonnull(cause);
			bad++;
		} else if (n > 0) {
			touch_all(&m);
			ok++;
		}
		free(copy);
	}
	ck_assert_int_gt(ok, 0);
	ck_assert_int_gt(bad, 0);
	peer_frame_free(&o);
}
END_TEST

static Suite *
peer_frame_suite(void)
{
	Suite	*s = suite_create("peer_frame");
	TCase	*tc = tcase_create("codec");

	tcase_add_test(tc, test_round_trip_every_type);
	tcase_add_test(tc, test_round_trip_user_record);
	tcase_add_test(tc, test_dir_sync_many_entries);
	tcase_add_test(tc, test_build_too_big_fails);
	tcase_add_test(tc, test_build_out_of_bounds_value_fails);
	tcase_add_test(tc, test_bad_headers_refused);
	tcase_add_test(tc, test_truncated_header_needs_more);
	tcase_add_test(tc, test_bad_attributes_refused);
	tcase_add_test(tc, test_unknown_attributes_skipped);
	tcase_add_test(tc, test_back_to_back_frames);
	tcase_add_test(tc, test_string_with_nul_refused);
	tcase_add_test(tc, test_fuzz_random_and_mutated);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(peer_frame_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
