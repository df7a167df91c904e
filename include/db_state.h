/*
 * Runtime state of users kept in SQLite (db_state.c, beside db.c): where
 * each user is logged in, their login-failure counter and lock, and the
 * settings they changed from a handset.  Everything here must survive a
 * restart (DESIGN.md H2, issue "dial plan": settings survive a restart and
 * a reload).
 */
#ifndef DB_STATE_H
#define DB_STATE_H

#include <time.h>

struct db_login {
	const char	*user;
	const char	*ext;		/* NULL: logged out on purpose */
	time_t		 since;
};

struct db_lock {
	const char	*user;
	int		 failures;	/* consecutive wrong codes */
	time_t		 locked_until;	/* 0 when not locked */
};

/*
 * A user's own settings.  cfg_* remember the YAML value in force when
 * the handset changed the field, so that an admin's later change of that
 * field in the YAML wins over the handset's (issue 3).
 */
struct db_settings {
	const char	*user;
	int		 dnd, cfg_dnd;
	const char	*fwd_number, *cfg_fwd_number;
	int		 fwd_unconditional, cfg_fwd_unconditional;
	int		 fwd_busy, cfg_fwd_busy;
	int		 fwd_no_answer, cfg_fwd_no_answer;
	unsigned int	 changed;	/* DBS_* bits changed from a handset */
};

#define DBS_DND		0x01
#define DBS_FWD_NUMBER	0x02
#define DBS_FWD_UNCOND	0x04
#define DBS_FWD_BUSY	0x08
#define DBS_FWD_NOANS	0x10

int	db_login_put(const struct db_login *);
int	db_login_del(const char *user);
int	db_login_foreach(void (*)(const struct db_login *, void *), void *);
int	db_lock_put(const struct db_lock *);
int	db_lock_foreach(void (*)(const struct db_lock *, void *), void *);
int	db_settings_put(const struct db_settings *);
int	db_settings_del(const char *user);
int	db_settings_foreach(void (*)(const struct db_settings *, void *),
	    void *);

#endif
