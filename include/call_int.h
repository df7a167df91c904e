/*
 * The B2BUA's insides, shared by src/call.c (call life cycle, indexes,
 * call records), src/call_route.c (new calls: classification, routing,
 * forking) and src/call_dialog.c (in-dialog requests, ACKs, strays).
 * Nothing outside call*.c includes this.
 */
#ifndef CALL_INT_H
#define CALL_INT_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dialplan.h"
#include "sip_status.h"
#include "sip_transport.h"
#include "sip_tx.h"

struct cfg_addr;
struct event;
struct peer_cfg;
struct user;
struct trunk;
struct call_feature;

#define CALL_MAX_FORKS		16	/* contacts rung in parallel */
#define CALL_NO_ANSWER_SECS	120	/* ringing ends with 480 after this */
#define CALL_MAX_FORWARDS	70
#define CALL_MAX_FWD_HOPS	5	/* forwards one call may follow */
#define CALL_SITE_MAX_HOPS	4	/* sites one call may cross (482) */
#define CALL_SITE_MAX_CODES	48	/* user codes a break out carries */

/* Why a call is forwarded (log names and RFC 5806 Diversion reasons). */
enum call_fwd_reason {
	FWD_UNCONDITIONAL,
	FWD_BUSY,
	FWD_NO_ANSWER
};

enum call_state {
	CALL_RINGING,		/* forks out, the caller's INVITE pending */
	CALL_ACCEPTED,		/* 2xx relayed, waiting for the caller's ACK */
	CALL_ANSWERED,		/* both dialogs confirmed */
	CALL_ENDED		/* being torn down */
};

/*
 * One dialog of a call: the caller leg (we are its UAS) or one callee
 * fork (we are its UAC).  The header texts are what requests we send on
 * the dialog carry in From (local) and To (remote), RFC 3261 12.2.1.1.
 */
struct call_leg {
	struct call	*call;
	int		 caller;	/* 1 on the caller leg */
	char		*key;		/* the index key it is filed under */
	char		*callid;
	char		*local_tag;
	char		*remote_tag;	/* NULL until known */
	char		*local_hdr;
	char		*remote_hdr;
	char		*target;	/* remote target: its Contact URI */
	char		**routes;	/* route set, in Route header order */
	size_t		 nroutes;
	uint32_t	 cseq;		/* our last CSeq on this dialog */
	struct sip_peer	 peer;		/* where its requests go */

	/* Callee forks only. */
	char		*ruri;		/* of the initial INVITE */
	char		*trunk;		/* trunk name of a trunk fork */
	char		*site;		/* peer site name of a site fork */
	struct sip_tx	*tx;		/* its INVITE while pending */
	int		 sending;	/* inside sip_tx_send() */
	int		 sync_status;	/* final reported while sending */
	int		 status;	/* final status (mapped), 0 pending */
	char		*reason;
	int		 cancelled;
	int		 auth_tried;
	int		 guard_counted;	/* an external call (call_guard.c) */
	char		*guard_user;	/* whose, or NULL */

	/* The last ACK we sent for a 2xx, resent on a retransmitted 2xx. */
	uint32_t	 ack_cseq;	/* 0: none */
	char		*ack_body;
	size_t		 ack_len;
	char		*ack_ctype;
};

/* An in-dialog request relayed from one leg to the other. */
struct call_relay {
	struct call		*call;
	struct call_leg		*from;		/* the asking leg */
	struct call_leg		*to;
	struct sip_tx		*stx;		/* the asking leg's request */
	struct sip_tx		*ctx;		/* ours on the other leg */
	int			 invite;
	int			 sending;
	int			 sync_status;
	uint32_t		 from_cseq;
	uint32_t		 to_cseq;
	TAILQ_ENTRY(call_relay)	 entry;
};

struct call {
	enum call_state		 state;
	struct call_leg		*a;		/* caller leg */
	struct call_leg		*forks[CALL_MAX_FORKS];
	size_t			 nforks;
	struct call_leg		*b;		/* the fork that answered */
	struct call_leg		*early;		/* fork whose 183 SDP we sent */
	int			 ringing_sent;
	struct sip_tx		*stx;		/* caller INVITE, pending */
	uint32_t		 invite_cseq;	/* the caller's INVITE */
	uint32_t		 b_cseq;	/* our INVITE the callee took */
	struct event		*noanswer;
	int			 bye_on_ack;	/* callee left before the ACK */

	TAILQ_HEAD(, call_relay) relays;
	struct call_relay	*reinvite;	/* pending re-INVITE (glare) */
	/* ACK to forward for a relayed re-INVITE's 2xx. */
	struct call_leg		*ack_from;
	uint32_t		 ack_from_cseq;
	uint32_t		 ack_to_cseq;

	/* What every fork's INVITE carries. */
	char			*offer;
	size_t			 offer_len;
	char			*offer_ctype;
	int			 max_forwards;

	/* Identities, call record and logs. */
	char			*callid;	/* the caller leg's */
	char			*caller_user;	/* NULL: NoUser or external */
	char			*caller_ext;	/* extension, or trunk name */
	char			*caller_number;	/* presented */
	char			*caller_name;	/* presented, or NULL */
	char			*dialled;
	char			*callee_user;
	char			*trunk;		/* outgoing trunk name */
	time_t			 start;
	time_t			 answer;
	int			 indexed;
	int			 feature_pending; /* answer awaited (R2) */

	/* Forwarding: users rung so far, Diversion values (oldest first). */
	char			*ring_user;	/* whose forks ring, or NULL */
	char			*visited[CALL_MAX_FWD_HOPS + 1];
	size_t			 nvisited;
	char			*diversions[CALL_MAX_FWD_HOPS];
	size_t			 ndiversions;
	struct event		*fwd_timer;	/* forward on no answer */

	/* Whose external call a trunk fork is (toll-fraud guard). */
	char			*guard_user;

	/* D3: the calling phone's location, sent on emergency calls. */
	char			*location;
	int			 emergency;

	/* A feature code the daemon answers itself (call_feature.c). */
	struct call_feature	*feature;

	/* Between sites (call_site.c). */
	char			*from_site;	/* a peer's call: its name */
	int			 hops;		/* its X-Roam-Hops, else 0 */
	struct user		*as_user;	/* a break out's user (in) */
	struct call_hdr		*xhdrs;		/* site forks' extra headers */
	size_t			 nxhdrs;
};

/* One extra header a site fork's INVITE carries (break out). */
struct call_hdr {
	char	*name;
	char	*value;
};

/* What routing decided for a dialled string. */
enum call_route_kind {
	ROUTE_USER,		/* ring a user of this site */
	ROUTE_TRUNK,		/* out on a trunk */
	ROUTE_FEATURE,		/* a feature code the daemon answers */
	ROUTE_SITE,		/* a user logged in (or homed) at a site */
	ROUTE_BREAKOUT,		/* digits dialled at another site (B1) */
	ROUTE_REJECT		/* answer the caller with answer */
};

struct call_route {
	enum call_route_kind	 kind;
	char			 number[128];	/* user, or number to send */
	const struct trunk	*trunk;
	enum sip_answer		 answer;
	int			 emergency;	/* D3: dial_emergency */
	struct dp_match		 match;		/* ROUTE_FEATURE */
	char			 site[64];	/* ROUTE_SITE, ROUTE_BREAKOUT */
	char			 user[DP_NUMBER_MAX]; /* who breaks out */
	char			 ext_user[DP_NUMBER_MAX]; /* ROUTE_TRUNK: whose */
};

/* call.c */
struct call	*call_new(struct sip_tx *, const struct sip_msg *);
struct call_leg	*call_leg_new(struct call *);
void		 call_index(struct call *);
void		 call_index_fork(struct call_leg *);
void		 call_end(struct call *, int cause, const char *reason);
void		 call_reject(struct call *, enum sip_answer);
void		 call_reply_caller(struct call *, int code, const char *reason);
void		 call_forks_drop(struct call *);
struct call_leg	*call_find_request(const struct sip_msg *);
struct call_leg	*call_find_response(const struct sip_msg *);
int		 call_exists(const struct sip_msg *);
const struct user *call_user(const char *number);
const struct trunk *call_trunk(const char *name);
const struct trunk *call_trunk_by_peer(const struct sip_peer *);
void		 call_contact(const struct sip_peer *, char *, size_t);
char		*call_nameaddr(const char *display, const char *user,
		    const char *host, const char *tag);
const char	*call_state_name(enum call_state);
void		 call_log(const struct call *, const char *event,
		    const char *extra);

/* call_route.c */
void		 call_invite(struct sip_tx *, const struct sip_msg *);
int		 call_route(const struct call *, const struct user *,
		    const char *dialled, struct call_route *);
void		 call_fork_cancel_all(struct call *, struct call_leg *except);
void		 call_route_apply(struct call *, const struct call_route *);
struct call_leg	*call_fork_add(struct call *, const char *ruri,
		    const struct sip_peer *, const char *to, const char *trunk);
void		 call_send_forks(struct call *);
void		 call_set_ring_user(struct call *, const char *);
void		 call_visit(struct call *, const char *);
char		*call_target_uri(const struct cfg_addr *, const char *number,
		    struct sip_peer *);

/* call_site.c */
const struct peer_cfg *call_site_from(const struct sip_peer *,
		    const struct sip_msg *);
void		 call_from_site(struct call *, const struct peer_cfg *,
		    const struct sip_msg *);
int		 call_site_user_route(const char *number,
		    struct call_route *);
void		 call_site_breakout_route(const struct call *,
		    const struct user *, const struct dp_match *,
		    struct call_route *);
void		 call_site_ring(struct call *, const char *site,
		    const char *number);
void		 call_site_breakout(struct call *, const struct call_route *);
void		 call_site_headers(const struct call_leg *, struct sip_msg *);
void		 call_site_free(struct call *);

/* call_guard.c: toll-fraud limits on calls out on trunks. */
enum sip_answer	 call_guard_check(const struct call *, const struct user *,
		    const char *number);
void		 call_guard_leg_start(struct call_leg *, const char *user);
void		 call_guard_leg_end(struct call_leg *);
unsigned int	 call_guard_external(const char *user);

/* call_feature.c */
void		 call_feature_start(struct call *, const struct dp_match *);
void		 call_feature_ack(struct call *, const struct sip_msg *);
void		 call_feature_bye(struct call *);
void		 call_feature_no_ack(struct call *);
void		 call_feature_free(struct call *);

/* call_dialog.c */
struct sip_msg	*call_leg_request(struct call_leg *, const char *method,
		    uint32_t cseq);
void		 call_leg_ack(struct call_leg *, uint32_t cseq,
		    const char *body, size_t len, const char *ctype);
void		 call_leg_bye(struct call_leg *);
void		 call_leg_learn(struct call_leg *, const struct sip_msg *resp);
void		 call_in_dialog(struct sip_tx *, const struct sip_msg *);
void		 call_relay_abort(struct call_relay *);
int		 call_copy_body(struct sip_msg *, const struct sip_msg *);

#endif
