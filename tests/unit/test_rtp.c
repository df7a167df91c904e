/*
 * The confirmation tone: G.711 mu-law values and real RTP packets on a
 * loopback socket.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtp.h"

static int	 test_done;

/* G.711 reference points: silence, the clip levels, sign symmetry. */
START_TEST(test_ulaw_reference_values)
{
	ck_assert_uint_eq(rtp_ulaw(0), 0xff);
	ck_assert_uint_eq(rtp_ulaw(32767), 0x80);
	ck_assert_uint_eq(rtp_ulaw(-32768), 0x00);
	ck_assert_uint_eq(rtp_ulaw(1000) & 0x7f, rtp_ulaw(-1000) & 0x7f);
	ck_assert_uint_ne(rtp_ulaw(1000), rtp_ulaw(-1000));
}
END_TEST

/* Completion callback. */
static void
tone_done(void *arg)
{
	test_done = 1;
	event_base_loopexit(arg, NULL);
}

/* 100 ms of tone arrives as five PCMU packets in sequence, then done. */
START_TEST(test_tone_sends_pcmu_packets)
{
	struct event_base	*base = event_base_new();
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct rtp_tone		*t;
	unsigned char		 pkt[512];
	int			 fd, port, n, count = 0, lastseq = -1, seq;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);

	t = rtp_tone_new(base, "127.0.0.1", &port);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_gt(port, 0);
	ck_assert_int_eq(rtp_tone_play(t, "127.0.0.1", ntohs(sin.sin_port),
	    100, tone_done, base), 0);
	test_done = 0;
	event_base_dispatch(base);
	ck_assert_int_eq(test_done, 1);

	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		ck_assert_int_eq(n, 12 + 160);
		ck_assert_uint_eq(pkt[0], 0x80);
		ck_assert_uint_eq(pkt[1] & 0x7f, 0);	/* PCMU */
		seq = (pkt[2] << 8) | pkt[3];
		if (lastseq != -1)
			ck_assert_int_eq(seq, (lastseq + 1) & 0xffff);
		lastseq = seq;
		count++;
	}
	ck_assert_int_eq(count, 5);
	rtp_tone_free(t);
	close(fd);
	event_base_free(base);
}
END_TEST

/* A bad destination is refused, not sent to. */
START_TEST(test_tone_refuses_bad_address)
{
	struct event_base	*base = event_base_new();
	struct rtp_tone		*t;
	int			 port;

	t = rtp_tone_new(base, "127.0.0.1", &port);
	ck_assert_int_eq(rtp_tone_play(t, "not-an-ip", 4000, 100, NULL,
	    NULL), -1);
	ck_assert_int_eq(rtp_tone_play(t, "127.0.0.1", 0, 100, NULL, NULL),
	    -1);
	rtp_tone_free(t);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rtp");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_ulaw_reference_values);
	tcase_add_test(tc, test_tone_sends_pcmu_packets);
	tcase_add_test(tc, test_tone_refuses_bad_address);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed != 0);
}
