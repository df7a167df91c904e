/*
 * The user's own settings: DND and forwarding.  The YAML gives the initial
 * values; a change from the handset wins until the admin changes that same
 * field in the YAML (issue "dial plan": "the handset's changes win until
 * the admin changes that field").  Handset changes are persisted, so they
 * survive a restart and a reload.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

struct user_settings {
	int	 dnd;
	char	*fwd_number;		/* NULL when unset */
	int	 fwd_unconditional;
	int	 fwd_busy;
	int	 fwd_no_answer;
	int	 no_answer_time;	/* seconds */
};

enum settings_field {
	SET_DND,
	SET_FWD_UNCONDITIONAL,
	SET_FWD_BUSY,
	SET_FWD_NO_ANSWER
};

void	settings_init(void);
void	settings_shutdown(void);
void	settings_reload(void);
/* The user's settings now, or NULL for an unknown user. */
const struct user_settings *settings_get(const char *user);
/* Handset changes; 0 or -1 (unknown user). */
int	settings_set(const char *user, enum settings_field, int on);
int	settings_set_fwd_number(const char *user, const char *number);
/* Every forward off (the number stays). */
int	settings_cancel_forwarding(const char *user);
/* Called after every handset change (remote hot desking sends it home). */
void	settings_set_observer(void (*)(const char *,
	    const struct user_settings *));
/* Drop the computed settings of a user (a visitor's record changed). */
void	settings_forget(const char *user);

#endif
