/*
 * Remote hot desking (DESIGN.md R2, R4-R9, F1-F4): the messages a home
 * and a host exchange over the peer links, on top of the directory.
 *
 * Home (remote_home.c) owns its users: it checks their login codes and
 * lock-out (H2), bumps their generation at every login and logout,
 * records and persists on which host each one is, and takes a user back
 * (H3) when the host says so or no longer holds them after a link came
 * back up (F3).
 *
 * Host (remote_host.c) asks home before a visitor logs in, keeps the
 * record home sent as a visitor (users.h), checks the profile carried in
 * it (R6), sends every settings change home through the persistent
 * outbound queue (R7), keeps visitors while home is away up to
 * orphan_logout (F1) and never restores them after a restart (F2).
 *
 * remote.c carries what both sides share: the peer callbacks, the queue,
 * the link-up sequence (queue, then "these visitors of yours are here",
 * then our DIR_SYNC) and the reconcile decision.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "sip_status.h"

struct button;
struct dir_entry;
struct dir_update;
struct json;
struct peer_msg;
struct peer_out;
struct user;
struct user_settings;

/* What the sites do about one user when a link comes back up (F3). */
enum remote_decision {
	RD_NONE,		/* nobody holds the user there: nothing */
	RD_STANDS,		/* the host holds home's login: it stands */
	RD_RELOGIN_HOME,	/* home: take the user back per H3; the
				 * host drops any older login it holds */
	RD_DROP,		/* home has the user elsewhere (another site
				 * or logged out): the host drops them */
	RD_MAX
};

/*
 * F3 in one place.  home_site/home_gen: where home records the user (NULL
 * = not logged in anywhere remote) and at which generation; host: the
 * host in question; held/held_gen: whether that host holds the user as a
 * visitor, and at which generation.  A view older than the login the host
 * holds is a late message and changes nothing.
 */
enum remote_decision remote_reconcile(const char *home_site,
		    uint64_t home_gen, const char *host, int held,
		    uint64_t held_gen);
const char	*remote_decision_name(enum remote_decision);

/* Start after hotdesk/settings (registers the peer callbacks and the
 * hotdesk/settings observers); stop; the config changed. */
void		 remote_init(void);
void		 remote_shutdown(void);
void		 remote_reload(void);

/*
 * The extn_login short code at ext, digits "USER*CODE" or "CODE".  0: the
 * user is not remote (ours, or unknown): the caller goes on with the local
 * login.  Else done(answer, arg) is called exactly once: already (returns
 * 2: 480 Home Site Unreachable when home's link is down, F4), or when
 * home answers, 5 s at most (returns 1), unless remote_login_cancel(arg)
 * is called first.
 */
int		 remote_login_start(const char *ext, const char *digits,
		    const char *callid, void (*done)(enum sip_answer, void *),
		    void *arg);
void		 remote_login_cancel(void *arg);

/* R8: does this button of u operate? */
int		 remote_button_active(const struct user *,
		    const struct button *);
/* A remote hot desker: a visitor here, or any user logged in on a site
 * other than their home (directory). */
int		 remote_is_away(const char *number);

/* Peer events by site name (the peer.h callbacks call these; tests). */
void		 remote_peer_up(const char *site, int restarted);
void		 remote_peer_down(const char *site);
void		 remote_peer_message(const char *site, const struct peer_msg *);

/* How frames leave; the default is peer.h's.  Tests plug in their own. */
struct remote_io {
	/* 0 or -1 (down); a zero sequence is replaced by the link's. */
	int	(*send)(const char *site, struct peer_out *);
	size_t	(*broadcast)(struct peer_out *);
	int	(*is_up)(const char *site);
};
void		 remote_set_io(const struct remote_io *);
/* Items waiting in the outbound queue for site (NULL: all). */
int		 remote_queue_length(const char *site);

#define REMOTE_LOGIN_TIMEOUT	5	/* seconds to wait for home */

/* --- between remote*.c only ------------------------------------------ */

/* remote.c */
int		 remote_send(const char *site, struct peer_out *);
void		 remote_broadcast_location(const char *number);
void		 remote_send_location(const char *site, const char *number);
int		 remote_link_up(const char *site);
void		 remote_queue(const char *site, struct peer_out *,
		    const char *user, uint64_t gen);
void		 remote_answer(const char *site, uint8_t type, uint32_t seq,
		    const char *user, int result);
const char	*remote_us(void);

/* remote_record.c: a user's full record (R2) in LOGIN_ANS. */
void		 remote_record_put(struct peer_out *, const struct user *,
		    const struct user_settings *);
struct user	*remote_record_get(const struct peer_msg *,
		    const char **cause);
void		 remote_settings_put(struct peer_out *,
		    const struct user_settings *);

/* remote_home.c */
void		 remote_home_init(void);
void		 remote_home_shutdown(void);
void		 remote_home_reload(void);
void		 remote_home_link_up(const char *site);
void		 remote_home_sync_done(const char *site);
void		 remote_home_message(const char *site, const struct peer_msg *);
void		 remote_home_location(const char *site,
		    const struct dir_update *);
void		 remote_home_hotdesk(const char *user, const char *ext,
		    int why);
void		 remote_home_settings_changed(const char *user);
int		 remote_home_away(const char *user);
/* The admin logs out a user of ours who is on a host; 0 or -1. */
int		 remote_home_admin_logout(const char *user, const char **cause);
uint64_t	 remote_home_gen(const char *user);

/* remote_host.c */
void		 remote_host_init(void);
void		 remote_host_shutdown(void);
void		 remote_host_link_up(const char *site);
void		 remote_host_link_down(const char *site);
void		 remote_host_confirm(const char *site);
void		 remote_host_sync_entry(const struct dir_entry *, void *);
void		 remote_host_sync_done(const char *site);
void		 remote_host_message(const char *site, const struct peer_msg *);
void		 remote_host_location(const char *site,
		    const struct dir_update *);
void		 remote_host_hotdesk(const char *user, const char *ext,
		    int why);
void		 remote_host_settings_changed(const char *user,
		    const struct user_settings *);
/* The generation a visitor is held at; 0 when not held. */
uint64_t	 remote_host_held(const char *user);

#endif
