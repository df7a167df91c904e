/*
 * TLS on peer links (DESIGN.md sections 3 network.tls and 5).
 *
 * One SSL_CTX per instance serves both directions: every site both dials
 * and accepts, and presents the same certificate either way.  The rules:
 *	- TLS 1.3 only (RFC 8446).  All our sites run the same code, so
 *	  there is no old peer to stay compatible with, and 1.3 leaves out
 *	  the ciphers and renegotiation that earlier versions needed care
 *	  with.
 *	- Mutual authentication: each end sends its certificate and
 *	  requires one (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT),
 *	  verified against the network CA only, never the system store: a
 *	  certificate from a public CA must not make a site.
 *	- The certificate must name the peer (CN or DNS subjectAltName,
 *	  RFC 6125 section 6.4 via X509_check_host, no wildcards).  OpenSSL
 *	  cannot check that during the handshake of an inbound connection,
 *	  where the name is only claimed later in HELLO, so peer.c checks it
 *	  in both directions with peer_tls_names(): outbound once the
 *	  handshake is done, inbound at HELLO.
 *	- No session tickets: links are long-lived and never resumed.
 * The HMAC HELLO/AUTH of peer.c still runs inside TLS: a stolen site
 * certificate alone does not make a site.
 */
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "peer_tls.h"
#include "xmalloc.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate	SSL_get_peer_certificate
#endif

/* Site names have no dots, so a wildcard could only ever be a mistake. */
#define PEER_TLS_CHECK_FLAGS	(X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT | \
				 X509_CHECK_FLAG_NO_WILDCARDS)

/* "what path: reason" of the oldest queued OpenSSL error (malloc'd). */
static char *
peer_tls_error(const char *what, const char *path)
{
	unsigned long	 e = ERR_peek_error();
	const char	*r = ERR_reason_error_string(e);
	char		*s;

#ifdef ERR_SYSTEM_ERROR
	/* OpenSSL 3 keeps errno of a failed fopen() as the reason. */
	if (ERR_SYSTEM_ERROR(e))
		r = strerror(ERR_GET_REASON(e));
#endif
	xasprintf(&s, "network.tls: %s %s: %s", what, path,
	    r != NULL ? r : "unknown error");
	ERR_clear_error();
	return (s);
}

/* Warn about our own certificate: peers would refuse it anyway, but the
 * admin reads the reason here rather than in every other site's log. */
static void
peer_tls_own_check(SSL_CTX *ctx, const char *cert, const char *site)
{
	X509	*x = SSL_CTX_get0_certificate(ctx);

	if (x == NULL)
		return;
	if (site != NULL && X509_check_host(x, site, strlen(site),
	    PEER_TLS_CHECK_FLAGS, NULL) != 1)
		log_warnx("network.tls: cert %s does not name this site %s: "
		    "peers will refuse it", cert, site);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		log_warnx("network.tls: cert %s has expired: peers will "
		    "refuse it", cert);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
		log_warnx("network.tls: cert %s is not valid yet: peers will "
		    "refuse it", cert);
}

/* Load the CA as the only trust anchor, and as the list of CAs we ask
 * the other end's certificate to come from. */
static int
peer_tls_load_ca(SSL_CTX *ctx, const char *ca, char **cause)
{
	STACK_OF(X509_NAME)	*names;

	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		*cause = peer_tls_error("cannot load ca", ca);
		return (-1);
	}
	if ((names = SSL_load_client_CA_file(ca)) != NULL)
		SSL_CTX_set_client_CA_list(ctx, names);
	ERR_clear_error();
	return (0);
}

/* The peer-link context: TLS 1.3, our certificate and key, the CA. */
SSL_CTX *
peer_tls_ctx(const struct tls_cfg *t, const char *site, char **cause)
{
	SSL_CTX	*ctx;

	*cause = NULL;
	if (t == NULL || t->ca == NULL || t->cert == NULL || t->key == NULL) {
		*cause = xstrdup("network.tls needs ca, cert and key");
		return (NULL);
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		*cause = xstrdup("network.tls: SSL_CTX_new failed");
		return (NULL);
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		*cause = xstrdup("network.tls: this OpenSSL has no TLS 1.3");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A site killed mid-link sends no close_notify; frames carry their
	 * own length, so a cut is seen anyway.  A close, not an error. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
		*cause = peer_tls_error("cannot load cert", t->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1) {
		*cause = peer_tls_error("cannot load key", t->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*cause = peer_tls_error("key does not match cert", t->key);
		goto fail;
	}
	if (peer_tls_load_ca(ctx, t->ca, cause) == -1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	peer_tls_own_check(ctx, t->cert, site);
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

/* Drop our reference; live links hold their own. */
void
peer_tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

/* An OpenSSL bufferevent for a link. */
struct bufferevent *
peer_tls_bev(struct event_base *base, SSL_CTX *ctx, evutil_socket_t fd,
    int outbound)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		return (NULL);
	/* On failure libevent has already freed ssl: do not. */
	bev = bufferevent_openssl_socket_new(base, fd, ssl, outbound ?
	    BUFFEREVENT_SSL_CONNECTING : BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return (NULL);
	/* A site that dies says nothing: that is a close, not an attack
	 * (the frames are whole or dropped by the decoder anyway). */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/* The peer's certificate (a reference to free), or NULL. */
static X509 *
peer_tls_peer_cert(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	return (ssl != NULL ? SSL_get1_peer_certificate(ssl) : NULL);
}

/* Does the verified certificate name site name? */
int
peer_tls_names(struct bufferevent *bev, const char *name)
{
	X509	*x;
	int	 ok;

	if ((x = peer_tls_peer_cert(bev)) == NULL)
		return (0);
	ok = X509_check_host(x, name, strlen(name), PEER_TLS_CHECK_FLAGS,
	    NULL) == 1;
	X509_free(x);
	return (ok);
}

/* The subject CN of the peer's certificate, for log lines. */
void
peer_tls_cert_name(struct bufferevent *bev, char *buf, size_t len)
{
	X509	*x;
	size_t	 i;

	snprintf(buf, len, "-");
	if ((x = peer_tls_peer_cert(bev)) == NULL)
		return;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, (int)len) < 0)
		snprintf(buf, len, "-");
	X509_free(x);
	/* It goes into a key=value log line: no spaces or controls. */
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] <= ' ' || buf[i] == 0x7f)
			buf[i] = '?';
}

/*
 * Is e an OpenSSL error worth a refusal?  libevent also queues the bare
 * SSL_get_error() code (SSL_ERROR_SYSCALL for a refused connect: library
 * 0), and an EOF is a close like any other, not a TLS failure.
 */
static int
peer_tls_real_error(unsigned long e)
{
	if (ERR_GET_LIB(e) == 0)
		return (0);
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return (0);
#endif
	return (1);
}

/* Why the handshake or link failed, from OpenSSL's point of view. */
const char *
peer_tls_failure(struct bufferevent *bev, char *detail, size_t len)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, first = 0;
	const char	*r;
	long		 v;

	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (first == 0 && peer_tls_real_error(e))
			first = e;
	ERR_clear_error();
	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(detail, len, "%s", X509_verify_cert_error_string(v));
		return ("cert-untrusted");
	}
	if (first == 0)
		return (NULL);
	r = ERR_reason_error_string(first);
	if (r != NULL)
		snprintf(detail, len, "%s", r);
	else
		snprintf(detail, len, "error %lx", first);
	/* Reasons from SSL_AD_REASON_OFFSET up are alerts the far end sent
	 * us (RFC 8446 section 6.2): it refused, we did not. */
	if (ERR_GET_LIB(first) == ERR_LIB_SSL &&
	    ERR_GET_REASON(first) >= SSL_AD_REASON_OFFSET)
		return ("tls-alert");
	return ("tls-handshake");
}

/* The protocol of an established TLS link. */
const char *
peer_tls_version(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	return (ssl != NULL ? SSL_get_version(ssl) : NULL);
}
