/*
 * Who is logged in where (DESIGN.md H1-H5).  A user is logged in at one
 * extension at most and an extension holds one user at most (else it is
 * NoUser).  Every change is persisted (db_state.h), so a restart restores
 * the logins as they were; users the database knows nothing of follow the
 * start-up rule: logged in at the extension whose base user they are,
 * unless force_login (H5).
 */
#ifndef HOTDESK_H
#define HOTDESK_H

#include <time.h>

#include "sip_status.h"

enum hotdesk_reason {
	HDR_STARTUP,	/* base user at start-up or after a reload */
	HDR_USER,	/* short code from the phone */
	HDR_ADMIN,	/* roamctl / HTTP */
	HDR_REPLACED,	/* someone else logged in at the phone */
	HDR_MOVED,	/* the user logged in at another phone */
	HDR_FALLBACK,	/* H3: back to the base extension / base user */
	HDR_RELOAD,	/* the config dropped the user or extension */
	HDR_MAX
};

void		 hotdesk_init(void);
void		 hotdesk_shutdown(void);
void		 hotdesk_reload(void);
/* Extension the user is logged in at, or NULL. */
const char	*hotdesk_user_ext(const char *user);
/* User logged in at the extension, or NULL (NoUser). */
const char	*hotdesk_ext_user(const char *ext);
/* When the user logged in where they are (0 if logged out). */
time_t		 hotdesk_user_since(const char *user);
/*
 * H1: log user in at ext; the phone's previous user and the user's
 * previous phone fall back per H3.  0, or -1 with *cause (unknown user or
 * extension).  The code is not checked here.
 */
int		 hotdesk_login(const char *user, const char *ext,
		    enum hotdesk_reason, const char **cause);
/* H3: log the user out, then the fallbacks.  -1 if not logged in. */
int		 hotdesk_logout(const char *user, enum hotdesk_reason,
		    const char **cause);
/*
 * H2: check a login code.  ANS_OK, ANS_LOGIN_CODE_INCORRECT (counted) or
 * ANS_LOCKED_OUT (also with the right code while the lock lasts).
 */
enum sip_answer	 hotdesk_check_code(const char *user, const char *code,
		    time_t now);
/*
 * The extn_login short code at ext: digits are "USER*CODE" or "CODE" (the
 * phone's base user).  Checks the code, then logs in.  Returns ANS_OK and
 * *user, or the failure to answer the phone with.
 */
enum sip_answer	 hotdesk_login_digits(const char *ext, const char *digits,
		    time_t now, const char **user);
/* Consecutive failures and lock end, for roamctl. */
int		 hotdesk_lock_state(const char *user, time_t *locked_until);
const char	*hotdesk_reason_name(enum hotdesk_reason);
/* fn(user, ext or NULL, why) after every login and logout. */
void		 hotdesk_set_observer(void (*)(const char *, const char *,
		    enum hotdesk_reason));
/* fn(user) says the user is logged in on another site: not free (H3). */
void		 hotdesk_set_away_check(int (*)(const char *));
/* Drop a user's state without fallbacks (a visitor's record left). */
void		 hotdesk_forget(const char *user);

#endif
