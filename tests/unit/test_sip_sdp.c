/*
 * Our small SDP reader and answer writer: the offers phones send, the
 * ones they should not, and bytes that are not SDP at all.
 */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_sdp.h"

struct roamd;
struct roamd *env;

#define CRLF	"\r\n"

/* Read a C string as a body of exactly its length (no NUL in reach). */
static int
read_exact(const char *s, struct sdp_info *info)
{
	size_t	 len = strlen(s);
	char	*copy = malloc(len ? len : 1);
	int	 rc;

	memcpy(copy, s, len);
	rc = sdp_read(copy, len, info);
	free(copy);
	return rc;
}

START_TEST(test_good_offer_from_a_desk_phone)
{
	static const char s[] =
	    "v=0" CRLF
	    "o=201 8000 8000 IN IP4 192.168.1.20" CRLF
	    "s=SIP Call" CRLF
	    "c=IN IP4 192.168.1.20" CRLF
	    "t=0 0" CRLF
	    "m=audio 49170 RTP/AVP 8 0 101" CRLF
	    "a=rtpmap:0 PCMU/8000" CRLF
	    "a=rtpmap:101 telephone-event/8000" CRLF
	    "a=sendrecv" CRLF;
	struct sdp_info	 info;

	ck_assert_int_eq(read_exact(s, &info), 0);
	ck_assert_str_eq(info.addr, "192.168.1.20");
	ck_assert_int_eq(info.port, 49170);
	ck_assert_int_eq(info.has_pcmu, 1);
	ck_assert_int_eq(info.direction, 0);
}
END_TEST

START_TEST(test_media_level_connection_and_direction_win)
{
	static const char s[] =
	    "v=0\n"
	    "o=- 1 1 IN IP6 2001:db8::1\n"
	    "s=-\n"
	    "c=IN IP4 10.0.0.1\n"
	    "t=0 0\n"
	    "a=recvonly\n"
	    "m=video 5000 RTP/AVP 96\n"
	    "c=IN IP4 10.9.9.9\n"
	    "a=inactive\n"
	    "m=audio 6000/2 RTP/AVP 0\n"
	    "c=IN IP6 2001:db8::2\n"
	    "a=sendonly\n"
	    "m=audio 7000 RTP/AVP 8\n"
	    "c=IN IP4 10.7.7.7\n";
	struct sdp_info	 info;

	ck_assert_int_eq(read_exact(s, &info), 0);
	ck_assert_str_eq(info.addr, "2001:db8::2");
	ck_assert_int_eq(info.port, 6000);
	ck_assert_int_eq(info.has_pcmu, 1);
	ck_assert_int_eq(info.direction, 1);
}
END_TEST

START_TEST(test_session_level_direction_and_multicast_ttl)
{
	static const char s[] =
	    "v=0" CRLF "c=IN IP4 224.2.1.1/127" CRLF "a=recvonly" CRLF
	    "m=audio 3456 RTP/AVP 0" CRLF;
	static const char hold[] =
	    "v=0" CRLF "c=IN IP4 0.0.0.0" CRLF
	    "m=audio 3456 RTP/AVP 0" CRLF "a=inactive";
	struct sdp_info	 info;

	ck_assert_int_eq(read_exact(s, &info), 0);
	ck_assert_str_eq(info.addr, "224.2.1.1");
	ck_assert_int_eq(info.direction, 2);
	/* The last line need not end with CRLF. */
	ck_assert_int_eq(read_exact(hold, &info), 0);
	ck_assert_str_eq(info.addr, "0.0.0.0");
	ck_assert_int_eq(info.direction, 3);
}
END_TEST

START_TEST(test_offer_without_pcmu)
{
	static const char alaw[] =
	    "v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
	    "m=audio 4000 RTP/AVP 8 9 18 101" CRLF;
	static const char srtp[] =
	    "v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
	    "m=audio 4000 RTP/SAVP 0" CRLF;
	struct sdp_info	 info;

	ck_assert_int_eq(read_exact(alaw, &info), 0);
	ck_assert_int_eq(info.has_pcmu, 0);
	ck_assert_int_eq(info.port, 4000);
	/* Payload 0 under SRTP is not something we can answer. */
	ck_assert_int_eq(read_exact(srtp, &info), 0);
	ck_assert_int_eq(info.has_pcmu, 0);
}
END_TEST

START_TEST(test_unusable_offers_refused)
{
	static const char *bad[] = {
		"",
		"v=0" CRLF "c=IN IP4 10.0.0.1" CRLF,		/* no m= */
		"v=0" CRLF "m=audio 4000 RTP/AVP 0" CRLF,	/* no c= */
		"v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
		    "m=audio 0 RTP/AVP 0" CRLF,			/* rejected */
		"v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
		    "m=audio 70000 RTP/AVP 0" CRLF,		/* bad port */
		"v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
		    "m=audio -1 RTP/AVP 0" CRLF,
		"v=0" CRLF "c=IN IP4 10.0.0.1" CRLF
		    "m=video 4000 RTP/AVP 96" CRLF,		/* no audio */
		"v=0" CRLF "c=XX IP4 10.0.0.1" CRLF
		    "m=audio 4000 RTP/AVP 0" CRLF,
		"v=0" CRLF "c=IN IP4 10.0.0.1;rm -rf" CRLF
		    "m=audio 4000 RTP/AVP 0" CRLF,
		"v=0" CRLF "c=IN IP4 "
		    "1234567890123456789012345678901234567890"
		    "1234567890123456789012345678901234567890" CRLF
		    "m=audio 4000 RTP/AVP 0" CRLF,		/* too long */
		"garbage garbage garbage",
		"=\n=\n==\nm=\nc=\nm=audio\nm=audio  \n",
	};
	struct sdp_info	 info;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(read_exact(bad[i], &info) == -1, "case %zu", i);
	ck_assert_int_eq(sdp_read(NULL, 0, &info), -1);
}
END_TEST

START_TEST(test_truncated_and_unterminated_buffers)
{
	static const char s[] =
	    "v=0" CRLF "c=IN IP4 192.168.1.20" CRLF
	    "m=audio 49170 RTP/AVP 0" CRLF "a=sendonly" CRLF;
	struct sdp_info	 info;
	size_t		 len = strlen(s), cut;
	char		*p;

	/* Every prefix, in a buffer of exactly that size (ASan watches). */
	for (cut = 0; cut <= len; cut++) {
		p = malloc(cut ? cut : 1);
		memcpy(p, s, cut);
		sdp_read(p, cut, &info);
		free(p);
	}
	/* Cut inside the port: "m=audio 491" is still a port. */
	cut = (size_t)(strstr(s, "49170") - s) + 3;
	p = malloc(cut);
	memcpy(p, s, cut);
	ck_assert_int_eq(sdp_read(p, cut, &info), 0);
	ck_assert_int_eq(info.port, 491);
	free(p);
	/* A NUL inside the body does not end it; that line is ignored. */
	{
		static const char z[] = "c=IN IP4 10.0.0.1\r\nx=\0y\r\n"
		    "m=audio 5 RTP/AVP 0\r\n";

		ck_assert_int_eq(sdp_read(z, sizeof z - 1, &info), 0);
		ck_assert_int_eq(info.port, 5);
	}
}
END_TEST

START_TEST(test_random_bytes_never_crash)
{
	uint32_t	 st = 2463534242u;
	unsigned char	*p;
	size_t		 len, i;
	int		 n;
	struct sdp_info	 info;
	static const char alpha[] = "vcmoa=IN P4 0123456789/:.\r\n";

	for (n = 0; n < 5000; n++) {
		st ^= st << 13;
		st ^= st >> 17;
		st ^= st << 5;
		len = st % 200;
		p = malloc(len ? len : 1);
		for (i = 0; i < len; i++) {
			st ^= st << 13;
			st ^= st >> 17;
			st ^= st << 5;
			p[i] = (n % 2) ? (unsigned char)st :
			    (unsigned char)alpha[st % (sizeof alpha - 1)];
		}
		if (sdp_read((const char *)p, len, &info) == 0) {
			ck_assert_int_gt(info.port, 0);
			ck_assert(info.addr[0] != '\0');
		}
		free(p);
	}
}
END_TEST

START_TEST(test_answer_is_readable_pcmu)
{
	char		 buf[512];
	struct sdp_info	 info;
	int		 n;

	n = sdp_write_answer(buf, sizeof buf, "192.0.2.10", 20000, 42);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq((int)strlen(buf), n);
	ck_assert_str_eq(buf,
	    "v=0\r\n"
	    "o=roam 42 42 IN IP4 192.0.2.10\r\n"
	    "s=roam\r\n"
	    "c=IN IP4 192.0.2.10\r\n"
	    "t=0 0\r\n"
	    "m=audio 20000 RTP/AVP 0\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n"
	    "a=sendrecv\r\n");
	ck_assert_int_eq(sdp_read(buf, (size_t)n, &info), 0);
	ck_assert_str_eq(info.addr, "192.0.2.10");
	ck_assert_int_eq(info.port, 20000);
	ck_assert_int_eq(info.has_pcmu, 1);
	ck_assert_int_eq(info.direction, 0);

	n = sdp_write_answer(buf, sizeof buf, "2001:db8::7", 4000, 1);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(buf, "c=IN IP6 2001:db8::7\r\n"));

	/* Too small a buffer or nonsense arguments: -1, never overflow. */
	ck_assert_int_eq(sdp_write_answer(buf, 40, "192.0.2.10", 20000, 42),
	    -1);
	ck_assert_int_eq(sdp_write_answer(buf, sizeof buf, "192.0.2.10", 0,
	    42), -1);
	ck_assert_int_eq(sdp_write_answer(buf, sizeof buf, "", 4000, 42), -1);
}
END_TEST

static Suite *
sip_sdp_suite(void)
{
	Suite	*s = suite_create("sip_sdp");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_good_offer_from_a_desk_phone);
	tcase_add_test(tc, test_media_level_connection_and_direction_win);
	tcase_add_test(tc, test_session_level_direction_and_multicast_ttl);
	tcase_add_test(tc, test_offer_without_pcmu);
	tcase_add_test(tc, test_unusable_offers_refused);
	tcase_add_test(tc, test_truncated_and_unterminated_buffers);
	tcase_add_test(tc, test_random_bytes_never_crash);
	tcase_add_test(tc, test_answer_is_readable_pcmu);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sip_sdp_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
