/*
 * The signalling B2BUA (DESIGN.md section 2): each call is a caller leg
 * (a server dialog with the calling phone or trunk) and one or more callee
 * legs (client dialogs, one per forked contact).  SDP passes through
 * unchanged; identities are rewritten to the user; CANCEL, BYE, re-INVITE
 * and failures are mapped between legs; a call record is written at the
 * end.
 */
#ifndef CALL_H
#define CALL_H

#include <stddef.h>
#include <time.h>

struct dir_entry;
struct sip_tx;
struct sip_msg;
struct peer_cfg;
struct sip_peer;

/*
 * What call routing asks of the network (DESIGN.md R1, section 5): where
 * a user is, whether a site's peer link is up, which site has an id.  The
 * daemon uses the directory and the peer links; unit tests stand in with
 * call_set_net(), as they do for the transport with sip_tx_core.send.
 */
struct call_net {
	const struct dir_entry	*(*lookup)(const char *number);
	int			 (*site_up)(const char *name);
	const char		*(*site_by_id)(int id);	/* name or NULL */
};

/* What roamctl calls shows of a call. */
struct call_info {
	const char	*callid;
	const char	*caller;	/* user or number presented */
	const char	*caller_ext;
	const char	*callee;
	const char	*state;		/* "ringing", "answered", ... */
	time_t		 start;
	time_t		 answer;
	const char	*trunk;
};

void	call_init(void);
void	call_shutdown(void);
/* INVITE (new or re-INVITE), BYE, CANCEL-less in-dialog requests. */
void	call_request(struct sip_tx *, const struct sip_msg *);
void	call_ack(const struct sip_msg *, const struct sip_peer *);
void	call_cancelled(struct sip_tx *);
void	call_ack_timeout(struct sip_tx *);
void	call_stray_response(const struct sip_msg *, const struct sip_peer *);
/* The peer site whose sip address src is, or NULL. */
const struct peer_cfg *call_site_by_addr(const struct sip_peer *src);
void	call_foreach(void (*)(const struct call_info *, void *), void *);
size_t	call_count(void);
/* Start of the oldest call in progress, 0: none. */
time_t	call_oldest(void);
/* Replace the network queries (NULL: the daemon's own). */
void	call_set_net(const struct call_net *);

#endif
