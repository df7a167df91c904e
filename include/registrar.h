/*
 * The registrar (RFC 3261 section 10): extensions REGISTER with their
 * number and password under digest auth; several contacts each; bindings
 * expire on time and are kept in SQLite so they survive a restart.  It also
 * authenticates other requests from phones (INVITE) with the same
 * credentials.
 */
#ifndef REGISTRAR_H
#define REGISTRAR_H

#include <stddef.h>
#include <time.h>

#include "sip_transport.h"

struct sip_tx;
struct sip_msg;
struct extension;

#define REG_MIN_EXPIRES		60
#define REG_MAX_EXPIRES		3600
#define REG_DEFAULT_EXPIRES	3600

struct reg_binding {
	char		*ext;		/* extension number */
	char		*contact;	/* Contact URI */
	struct sip_peer	 peer;		/* where its REGISTER came from */
	time_t		 expires;	/* absolute */
	char		*callid;
	unsigned int	 cseq;
	char		*user_agent;
};

void	registrar_init(void);		/* loads bindings from the db */
void	registrar_shutdown(void);
/* The config changed: drop bindings of extensions that went away. */
void	registrar_reload(void);
/* Handle a REGISTER server transaction. */
void	registrar_request(struct sip_tx *, const struct sip_msg *);
/*
 * Authenticate a request from a phone.  Returns the extension, or NULL
 * after answering the transaction (407 challenge, 403).
 */
struct extension *registrar_auth(struct sip_tx *, const struct sip_msg *);
/* Bindings of an extension; returns count, fills up to max. */
size_t	registrar_lookup(const char *ext, struct reg_binding **out,
	    size_t max);
int	registrar_is_registered(const char *ext);
void	registrar_foreach(void (*)(const struct reg_binding *, void *),
	    void *);
size_t	registrar_count(void);

#endif
