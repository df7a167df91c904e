/*
 * TLS for peer links (DESIGN.md sections 3 network.tls and 5): TLS 1.3
 * only, mutual certificate authentication against the network CA, the
 * certificate's name checked against the configured peer name.  Used by
 * the peer module only; see src/peer_tls.c.
 */
#ifndef PEER_TLS_H
#define PEER_TLS_H

#include <event2/util.h>
#include <stddef.h>

struct bufferevent;
struct event_base;
struct ssl_ctx_st;
struct tls_cfg;

/*
 * A context from network.tls { ca, cert, key } for site (used in warnings
 * about our own certificate).  NULL with *cause (malloc'd) when a file
 * does not load.
 */
struct ssl_ctx_st	*peer_tls_ctx(const struct tls_cfg *, const char *site,
			    char **cause);
void			 peer_tls_ctx_free(struct ssl_ctx_st *);

/* An OpenSSL bufferevent: connecting (fd -1, connect it after) when
 * outbound, accepting on fd otherwise.  NULL on failure. */
struct bufferevent	*peer_tls_bev(struct event_base *,
			    struct ssl_ctx_st *, evutil_socket_t, int outbound);

/* Does the peer's certificate name site name (CN or DNS SAN)? 1 or 0. */
int			 peer_tls_names(struct bufferevent *,
			    const char *name);
/* The peer certificate's subject CN into buf ("-" when none). */
void			 peer_tls_cert_name(struct bufferevent *, char *buf,
			    size_t len);

/*
 * Why a TLS bufferevent failed: "cert-untrusted" (the certificate did not
 * verify against the network CA: expired, another CA...), "tls-alert"
 * (the far end refused us), "tls-handshake" (anything else OpenSSL
 * reported, such as plain text), or NULL when OpenSSL saw no error (a
 * TCP failure or a plain close).  detail gets OpenSSL's text.
 */
const char		*peer_tls_failure(struct bufferevent *, char *detail,
			    size_t len);

/* "TLSv1.3" for an established link, NULL for a plain one. */
const char		*peer_tls_version(struct bufferevent *);

#endif
