/*
 * Transport tests with real sockets on 127.0.0.1 (ephemeral ports): what
 * a phone sending over UDP or TCP would notice.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "roamd.h"
#include "sip_guard.h"
#include "sip_msg.h"
#include "sip_transport.h"
#include "xmalloc.h"

struct roamd	*env;

#define MAXIN	16

static struct event_base	*base;
static struct sip_msg		*in[MAXIN];
static struct sip_peer		 in_peer[MAXIN];
static int			 nin;
static int			 udp_port, tcp_port;

/* The input handler: keep what arrives. */
static void
input(struct sip_msg *m, const struct sip_peer *p)
{
	if (nin >= MAXIN) {
		sip_msg_free(m);
		return;
	}
	in[nin] = m;
	in_peer[nin] = *p;
	nin++;
}

/* A cfg_addr for 127.0.0.1:port. */
static void
make_addr(struct cfg_addr *a, enum sip_transport t, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	a->text = "test";
	a->transport = t;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sslen = sizeof(*sin);
}

static void
setup(void)
{
	struct cfg_addr	 a;
	const char	*cause;

	base = event_base_new();
	nin = 0;
	sip_transport_init(base, input);
	make_addr(&a, SIPT_UDP, 0);
	ck_assert_int_eq(sip_transport_listen(&a, &cause), 0);
	make_addr(&a, SIPT_TCP, 0);
	ck_assert_int_eq(sip_transport_listen(&a, &cause), 0);
	sip_transport_local(SIPT_UDP, &udp_port);
	sip_transport_local(SIPT_TCP, &tcp_port);
}

static void
teardown(void)
{
	int	 i;

	sip_transport_shutdown();
	sip_guard_set_limits(NULL);
	for (i = 0; i < nin; i++)
		sip_msg_free(in[i]);
	event_base_free(base);
}

/* Run the loop about ms milliseconds. */
static void
run_for(int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Run the loop until *n reaches want or max_ms pass. */
static void
run_until(int *n, int want, int max_ms)
{
	int	 waited;

	for (waited = 0; *n < want && waited < max_ms; waited += 5)
		run_for(5);
}

/* A client socket of type bound to an ephemeral port; *port gets it. */
static int
client_socket(int type, int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	fd = socket(AF_INET, type, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (port != NULL)
		*port = ntohs(sin.sin_port);
	return (fd);
}

/* The daemon's address on port. */
static struct sockaddr_in
server_addr(int port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return (sin);
}

/* A TCP connection to the daemon. */
static int
tcp_connect(void)
{
	struct sockaddr_in	 sin = server_addr(tcp_port);
	int			 fd = client_socket(SOCK_STREAM, NULL);

	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	run_for(5);
	return (fd);
}

/* Send a datagram to the daemon. */
static void
udp_send(int fd, const char *text)
{
	struct sockaddr_in	 sin = server_addr(udp_port);

	ck_assert_int_eq(sendto(fd, text, strlen(text), 0,
	    (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)strlen(text));
}

/* Read what has arrived on fd while running the loop; bytes or 0/-1. */
static ssize_t
read_reply(int fd, char *buf, size_t len, int max_ms)
{
	ssize_t	 n = -1;
	int	 waited;

	for (waited = 0; waited < max_ms; waited += 5) {
		run_for(5);
		n = recv(fd, buf, len - 1, MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
	}
	if (n >= 0)
		buf[n] = '\0';
	return (n);
}

#define OPTIONS(branch, extra, clen) \
	"OPTIONS sip:301@127.0.0.1 SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK" branch ";rport\r\n" \
	"From: <sip:201@example.net>;tag=f1\r\n" \
	"To: <sip:301@example.net>\r\n" \
	"Call-ID: call-" branch "\r\n" \
	"CSeq: 1 OPTIONS\r\n" \
	"Max-Forwards: 70\r\n" \
	extra \
	"Content-Length: " clen "\r\n\r\n"

START_TEST(test_udp_request_gets_received_and_rport)
{
	char		 want[64], text[96];
	const char	*via;
	int		 fd, port;

	fd = client_socket(SOCK_DGRAM, &port);
	udp_send(fd, OPTIONS("u1", "", "0"));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	ck_assert_str_eq(sip_msg_method(in[0]), "OPTIONS");
	via = sip_msg_header(in[0], "Via");
	ck_assert_ptr_nonnull(via);
	ck_assert_ptr_nonnull(strstr(via, "received=127.0.0.1"));
	snprintf(want, sizeof(want), "rport=%d", port);
	ck_assert_msg(strstr(via, want) != NULL, "via %s lacks %s", via, want);
	snprintf(want, sizeof(want), "udp:127.0.0.1:%d", port);
	ck_assert_str_eq(sip_peer_text(&in_peer[0], text, sizeof(text)),
	    want);
	ck_assert_int_ge(sip_transport_rx(), 1);
	close(fd);
}
END_TEST

START_TEST(test_udp_multipart_request_answered_415)
{
	char		 buf[4096];
	uint64_t	 bad = sip_transport_rx_bad();
	int		 fd;

	fd = client_socket(SOCK_DGRAM, NULL);
	udp_send(fd, OPTIONS("mp",
	    "Content-Type: multipart/mixed;boundary=xx\r\n", "23")
	    "--xx\r\n\r\nhello\r\n--xx--\r\n");
	ck_assert_int_gt(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_msg(strncmp(buf, "SIP/2.0 415 ", 12) == 0, "got %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "z9hG4bKmp"));
	ck_assert_int_eq(nin, 0);
	ck_assert_int_eq(sip_transport_rx_bad(), bad + 1);
	close(fd);
}
END_TEST

START_TEST(test_udp_bad_request_answered_400_but_never_an_ack)
{
	const char	*bad = "OPTIONS sip:301@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKcl;rport\r\n"
	    "From: <sip:201@example.net>;tag=f1\r\n"
	    "To: <sip:301@example.net>\r\n"
	    "Call-ID: call-cl\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: many\r\n\r\n";
	const char	*badack = "ACK sip:301@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKca;rport\r\n"
	    "From: <sip:201@example.net>;tag=f1\r\n"
	    "To: <sip:301@example.net>;tag=t1\r\n"
	    "Call-ID: call-ca\r\n"
	    "CSeq: 1 ACK\r\n"
	    "Content-Length: many\r\n\r\n";
	char		 buf[4096];
	uint64_t	 bad0 = sip_transport_rx_bad();
	int		 fd;

	fd = client_socket(SOCK_DGRAM, NULL);
	udp_send(fd, bad);
	ck_assert_int_gt(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_msg(strncmp(buf, "SIP/2.0 400 ", 12) == 0, "got %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "call-cl"));
	udp_send(fd, badack);
	ck_assert_int_lt(read_reply(fd, buf, sizeof(buf), 100), 0);
	ck_assert_int_eq(nin, 0);
	ck_assert_int_eq(sip_transport_rx_bad(), bad0 + 2);
	close(fd);
}
END_TEST

START_TEST(test_udp_garbage_dropped_and_counted)
{
	char		 buf[512];
	uint64_t	 bad = sip_transport_rx_bad();
	int		 fd, i;

	fd = client_socket(SOCK_DGRAM, NULL);
	for (i = 0; i < 100; i++)
		udp_send(fd, "\x16\x03\x01 this is not SIP at all\r\n\r\n");
	udp_send(fd, "\r\n\r\n");		/* a keep-alive: not bad */
	run_for(50);
	ck_assert_int_eq(nin, 0);
	ck_assert_int_eq(sip_transport_rx_bad(), bad + 100);
	ck_assert_int_lt(read_reply(fd, buf, sizeof(buf), 30), 0);
	/* The socket still works. */
	udp_send(fd, OPTIONS("after", "", "0"));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	close(fd);
}
END_TEST

START_TEST(test_tcp_two_messages_in_one_write)
{
	const char	*two = OPTIONS("t1", "", "0") OPTIONS("t2", "", "0");
	int		 fd;

	fd = tcp_connect();
	ck_assert_int_eq(write(fd, two, strlen(two)), (ssize_t)strlen(two));
	run_until(&nin, 2, 1000);
	ck_assert_int_eq(nin, 2);
	ck_assert_str_eq(sip_msg_callid(in[0]), "call-t1");
	ck_assert_str_eq(sip_msg_callid(in[1]), "call-t2");
	ck_assert_int_eq(in_peer[0].transport, SIPT_TCP);
	ck_assert(in_peer[0].conn != 0);
	ck_assert(in_peer[0].conn == in_peer[1].conn);
	close(fd);
}
END_TEST

START_TEST(test_tcp_message_split_across_writes)
{
	const char	*msg = OPTIONS("split",
	    "Content-Type: text/plain\r\n", "10") "0123456789";
	const char	*body;
	size_t		 len, blen, i, cuts[] = { 7, 120, 0 };
	int		 fd;

	fd = tcp_connect();
	len = strlen(msg);
	cuts[2] = len - 4;		/* inside the body */
	for (i = 0; i < 3; i++) {
		size_t from = i == 0 ? 0 : cuts[i - 1];

		ck_assert_int_eq(write(fd, msg + from, cuts[i] - from),
		    (ssize_t)(cuts[i] - from));
		run_for(10);
		ck_assert_int_eq(nin, 0);
	}
	ck_assert_int_eq(write(fd, msg + cuts[2], len - cuts[2]),
	    (ssize_t)(len - cuts[2]));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	body = sip_msg_body(in[0], &blen);
	ck_assert_int_eq(blen, 10);
	ck_assert(memcmp(body, "0123456789", 10) == 0);
	close(fd);
}
END_TEST

START_TEST(test_tcp_oversize_closes_only_that_connection)
{
	const char	*big = OPTIONS("big", "", "70000");
	const char	*ok = OPTIONS("ok", "", "0");
	char		 buf[256];
	int		 fd, other;

	other = tcp_connect();
	fd = tcp_connect();
	ck_assert_int_eq(write(fd, big, strlen(big)), (ssize_t)strlen(big));
	ck_assert_int_eq(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_int_eq(nin, 0);
	ck_assert_int_eq(write(other, ok, strlen(ok)), (ssize_t)strlen(ok));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	close(fd);
	close(other);
}
END_TEST

START_TEST(test_tcp_response_goes_back_on_same_connection)
{
	const char	*msg = OPTIONS("back", "", "0");
	struct sip_msg	*resp;
	char		 buf[4096];
	int		 fd;

	fd = tcp_connect();
	ck_assert_int_eq(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	resp = sip_msg_response(in[0], 200, "OK", "totag1");
	ck_assert_int_eq(sip_transport_send_msg(&in_peer[0], resp), 0);
	sip_msg_free(resp);
	ck_assert_int_gt(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_msg(strncmp(buf, "SIP/2.0 200 OK", 14) == 0, "got %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "call-back"));
	close(fd);
}
END_TEST

START_TEST(test_tcp_outgoing_connects_and_reads_replies)
{
	struct sockaddr_in	 sin;
	struct sip_peer		 p;
	socklen_t		 len = sizeof(sin);
	const char		*req = OPTIONS("out", "", "0");
	char			 text[64], buf[4096];
	int			 lfd, fd, port;

	lfd = client_socket(SOCK_STREAM, &port);
	ck_assert_int_eq(listen(lfd, 4), 0);
	snprintf(text, sizeof(text), "tcp:127.0.0.1:%d", port);
	ck_assert_int_eq(sip_peer_parse(text, &p), 0);
	ck_assert_int_eq(sip_transport_send(&p, req, strlen(req)), 0);
	run_for(20);
	fd = accept(lfd, (struct sockaddr *)&sin, &len);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_str_eq(buf, req);
	/* A second send reuses the connection. */
	ck_assert_int_eq(sip_transport_send(&p, req, strlen(req)), 0);
	ck_assert_int_gt(read_reply(fd, buf, sizeof(buf), 1000), 0);
	ck_assert_str_eq(buf, req);
	/* What the far end answers arrives on it. */
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	run_until(&nin, 1, 1000);
	ck_assert_int_eq(nin, 1);
	ck_assert(sip_peer_equal(&in_peer[0], &p));
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(test_tls_needs_certificate_and_key)
{
	struct cfg_addr	 a;
	struct tls_cfg	 t = { NULL, "/nonexistent/sip.pem", "/x.key" };
	const char	*cause = NULL;

	make_addr(&a, SIPT_TLS, 0);
	ck_assert_int_eq(sip_transport_listen(&a, &cause), -1);
	ck_assert_str_eq(cause, "a tls: listener needs site.sip_tls cert and "
	    "key");
	ck_assert_int_eq(sip_transport_tls(&t, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent/sip.pem"));
}
END_TEST

static char	 tls_dir[64];
static char	 tls_cert[96], tls_key[96];
static int	 tls_port;

/* A throwaway self-signed certificate and key for 127.0.0.1 on disk. */
static void
tls_make_cert(void)
{
	EVP_PKEY	*pk;
	X509		*x;
	X509_NAME	*name;
	FILE		*f;

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/roam-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	snprintf(tls_cert, sizeof(tls_cert), "%s/sip.pem", tls_dir);
	snprintf(tls_key, sizeof(tls_key), "%s/sip.key", tls_dir);
	pk = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(pk);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	ck_assert_ptr_nonnull(f = fopen(tls_cert, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(tls_key, "w"));
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(pk);
}

/* setup() plus a tls: listener with a fresh certificate. */
static void
tls_setup(void)
{
	struct tls_cfg	 t;
	struct cfg_addr	 a;
	const char	*cause = NULL;

	setup();
	tls_make_cert();
	t.ca = NULL;
	t.cert = tls_cert;
	t.key = tls_key;
	ck_assert_int_eq(sip_transport_tls(&t, &cause), 0);
	make_addr(&a, SIPT_TLS, 0);
	ck_assert_int_eq(sip_transport_listen(&a, &cause), 0);
	sip_transport_local(SIPT_TLS, &tls_port);
	ck_assert_int_ne(tls_port, 5060);
}

/* teardown() plus the certificate files. */
static void
tls_teardown(void)
{
	teardown();
	unlink(tls_cert);
	unlink(tls_key);
	rmdir(tls_dir);
}

/* A TLS "phone": a client bufferevent connecting to our tls: port. */
static struct bufferevent *
tls_phone(SSL_CTX **ctxp, int *lport)
{
	struct sockaddr_in	 sin = server_addr(tls_port);
	struct sockaddr_in	 me;
	socklen_t		 len = sizeof(me);
	struct bufferevent	*bev;
	SSL_CTX			*ctx;

	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	bev = bufferevent_openssl_socket_new(base, -1, SSL_new(ctx),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(bev);
	ck_assert_int_eq(bufferevent_socket_connect(bev,
	    (struct sockaddr *)&sin, sizeof(sin)), 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	run_for(20);
	ck_assert_int_eq(getsockname(bufferevent_getfd(bev),
	    (struct sockaddr *)&me, &len), 0);
	*lport = ntohs(me.sin_port);
	*ctxp = ctx;
	return (bev);
}

/* What the TLS phone has received within max_ms (NUL-terminated). */
static void
tls_phone_read(struct bufferevent *bev, char *buf, size_t len, int max_ms)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	int		 waited;
	size_t		 n;

	for (waited = 0; waited < max_ms; waited += 5) {
		if (evbuffer_get_length(in) > 0)
			break;
		run_for(5);
	}
	n = evbuffer_remove(in, buf, len - 1);
	buf[n == (size_t)-1 ? 0 : n] = '\0';
}

START_TEST(test_tls_phone_gets_responses_and_requests_on_its_connection)
{
	const char		*msg = OPTIONS("tls1", "", "0");
	struct bufferevent	*phone;
	struct sip_msg		*resp;
	struct sip_peer		 to;
	SSL_CTX			*ctx;
	char			 buf[4096], text[64];
	int			 lport;

	phone = tls_phone(&ctx, &lport);
	bufferevent_write(phone, msg, strlen(msg));
	run_until(&nin, 1, 2000);
	ck_assert_int_eq(nin, 1);
	ck_assert_int_eq(in_peer[0].transport, SIPT_TLS);
	ck_assert_uint_ne(in_peer[0].conn, 0);
	/* The response goes back over the same TLS connection. */
	resp = sip_msg_response(in[0], 200, "OK", "totag1");
	ck_assert_int_eq(sip_transport_send_msg(&in_peer[0], resp), 0);
	sip_msg_free(resp);
	tls_phone_read(phone, buf, sizeof(buf), 2000);
	ck_assert_msg(strncmp(buf, "SIP/2.0 200 OK", 14) == 0, "got %s", buf);
	/* A request to the phone's contact (no id) finds the connection. */
	snprintf(text, sizeof(text), "tls:127.0.0.1:%d", lport);
	ck_assert_int_eq(sip_peer_parse(text, &to), 0);
	ck_assert_int_eq(sip_transport_send(&to, msg, strlen(msg)), 0);
	tls_phone_read(phone, buf, sizeof(buf), 2000);
	ck_assert_str_eq(buf, msg);
	bufferevent_free(phone);
	SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_tls_outgoing_connection_to_a_tls_contact)
{
	const char	*msg = OPTIONS("tlsout", "", "0");
	struct sip_peer	 to;
	char		 text[64];

	/* Our own tls: listener stands in for a phone's. */
	snprintf(text, sizeof(text), "tls:127.0.0.1:%d", tls_port);
	ck_assert_int_eq(sip_peer_parse(text, &to), 0);
	ck_assert_int_eq(sip_transport_send(&to, msg, strlen(msg)), 0);
	ck_assert_int_eq(sip_transport_send(&to, msg, strlen(msg)), 0);
	run_until(&nin, 2, 3000);
	ck_assert_int_eq(nin, 2);
	ck_assert_int_eq(in_peer[0].transport, SIPT_TLS);
	ck_assert_str_eq(sip_msg_callid(in[1]), "call-tlsout");
	/* Both went over one connection. */
	ck_assert_uint_eq(in_peer[0].conn, in_peer[1].conn);
}
END_TEST

START_TEST(test_tls_port_ignores_plain_text)
{
	struct sockaddr_in	 sin = server_addr(tls_port);
	const char		*msg = OPTIONS("plain", "", "0");
	char			 buf[256];
	int			 fd = client_socket(SOCK_STREAM, NULL);

	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	/* The handshake fails: the connection ends, nothing is handled. */
	ck_assert_int_le(read_reply(fd, buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(nin, 0);
	close(fd);
}
END_TEST

START_TEST(test_banned_source_dropped_and_refused)
{
	struct security_cfg	 lim;
	const char		*msg = OPTIONS("flood", "", "0");
	char			 buf[256];
	int			 fd, i;

	memset(&lim, 0, sizeof(lim));
	lim.sip_rate = 1;
	lim.sip_burst = 3;
	lim.ban_time = 60;
	sip_guard_set_limits(&lim);
	fd = client_socket(SOCK_DGRAM, NULL);
	for (i = 0; i < 10; i++)
		udp_send(fd, msg);
	run_for(50);
	/* Three pass, the fourth bans, the rest never reach the parser. */
	ck_assert_int_eq(nin, 3);
	ck_assert_int_eq(sip_guard_banned(), 1);
	ck_assert_uint_eq(sip_transport_rx(), 3);
	close(fd);
	/* Its TCP connections are closed at once. */
	fd = tcp_connect();
	ck_assert_int_eq(read_reply(fd, buf, sizeof(buf), 1000), 0);
	close(fd);
	ck_assert_int_eq(nin, 3);
}
END_TEST

START_TEST(test_local_address_of_first_listener)
{
	int	 port;

	ck_assert_str_eq(sip_transport_local(SIPT_UDP, &port), "127.0.0.1");
	ck_assert_int_eq(port, udp_port);
	ck_assert_int_gt(port, 0);
	ck_assert_str_eq(sip_transport_local(SIPT_TLS, &port), "127.0.0.1");
	ck_assert_int_eq(port, 5060);
}
END_TEST

START_TEST(test_peer_helpers)
{
	struct sip_peer	 a, b;
	char		 buf[96];

	ck_assert_int_eq(sip_peer_parse("udp:1.2.3.4:5062", &a), 0);
	ck_assert_str_eq(sip_peer_text(&a, buf, sizeof(buf)),
	    "udp:1.2.3.4:5062");
	ck_assert_int_eq(sip_peer_parse("tcp:[::1]:5070", &b), 0);
	ck_assert_str_eq(sip_peer_text(&b, buf, sizeof(buf)),
	    "tcp:[::1]:5070");
	ck_assert_int_eq(sip_peer_parse("udp:example.net:5060", &b), -1);
	ck_assert_int_eq(sip_peer_parse("udp:1.2.3.4:99999", &b), -1);

	ck_assert_int_eq(sip_peer_from_uri(
	    "sip:201@1.2.3.4:5062;transport=tcp", &b), 0);
	ck_assert_str_eq(sip_peer_text(&b, buf, sizeof(buf)),
	    "tcp:1.2.3.4:5062");
	ck_assert(!sip_peer_equal(&a, &b));
	ck_assert(sip_peer_same_host(&a, &b));
	ck_assert_int_eq(sip_peer_from_uri("<sip:1.2.3.4>", &b), 0);
	ck_assert_str_eq(sip_peer_text(&b, buf, sizeof(buf)),
	    "udp:1.2.3.4:5060");
	ck_assert_int_eq(sip_peer_from_uri("sips:201@1.2.3.4", &b), 0);
	ck_assert_str_eq(sip_peer_text(&b, buf, sizeof(buf)),
	    "tls:1.2.3.4:5061");
	ck_assert_int_eq(sip_peer_from_uri("sip:201@pbx.example.net", &b),
	    -1);
	ck_assert_int_eq(sip_peer_from_uri("tel:+4420", &b), -1);
	ck_assert_int_eq(sip_peer_parse("udp:1.2.3.4:5062", &b), 0);
	b.conn = 7;
	ck_assert(sip_peer_equal(&a, &b));
}
END_TEST

static Suite *
sip_transport_suite(void)
{
	Suite	*s = suite_create("sip_transport");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_udp_request_gets_received_and_rport);
	tcase_add_test(tc, test_udp_multipart_request_answered_415);
	tcase_add_test(tc,
	    test_udp_bad_request_answered_400_but_never_an_ack);
	tcase_add_test(tc, test_udp_garbage_dropped_and_counted);
	tcase_add_test(tc, test_tcp_two_messages_in_one_write);
	tcase_add_test(tc, test_tcp_message_split_across_writes);
	tcase_add_test(tc, test_tcp_oversize_closes_only_that_connection);
	tcase_add_test(tc, test_tcp_response_goes_back_on_same_connection);
	tcase_add_test(tc, test_tcp_outgoing_connects_and_reads_replies);
	tcase_add_test(tc, test_tls_needs_certificate_and_key);
	tcase_add_test(tc, test_banned_source_dropped_and_refused);
	tcase_add_test(tc, test_local_address_of_first_listener);
	tcase_add_test(tc, test_peer_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, tls_setup, tls_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    test_tls_phone_gets_responses_and_requests_on_its_connection);
	tcase_add_test(tc, test_tls_outgoing_connection_to_a_tls_contact);
	tcase_add_test(tc, test_tls_port_ignores_plain_text);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(sip_transport_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed != 0);
}
