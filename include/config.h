/*
 * The site configuration: YAML (libyaml) parsed and validated into these
 * structures.  The YAML schema is an interface (DESIGN.md section 3): keep
 * the key names.  Every problem found is collected as
 * "FILE:LINE:COL: message" so that `roamd -n` can print them all at once.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <sys/socket.h>
#include <stddef.h>
#include <time.h>

enum sip_transport {
	SIPT_UDP,
	SIPT_TCP,
	SIPT_TLS
};

/* A parsed "udp:127.0.0.1:5060" or "127.0.0.1:7001". */
struct cfg_addr {
	char			*text;		/* as written */
	enum sip_transport	 transport;	/* SIPT_UDP when no prefix */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

enum profile {
	PROFILE_BASIC,
	PROFILE_OFFICE_WORKER,
	PROFILE_TELEWORKER,
	PROFILE_MOBILE_WORKER,
	PROFILE_POWER_USER,
	PROFILE_MAX
};

enum sc_feature {
	SC_DIAL,
	SC_DIAL_EXTN,
	SC_DIAL_EMERGENCY,
	SC_BARRED,
	SC_BUSY,
	SC_EXTN_LOGIN,
	SC_EXTN_LOGOUT,
	SC_BREAK_OUT,
	SC_DND_ON,
	SC_DND_OFF,
	SC_FWD_UNCOND_ON,
	SC_FWD_UNCOND_OFF,
	SC_FWD_BUSY_ON,
	SC_FWD_BUSY_OFF,
	SC_FWD_NOANSWER_ON,
	SC_FWD_NOANSWER_OFF,
	SC_FWD_NUMBER,
	SC_CANCEL_FORWARDING,
	SC_FEATURE_MAX
};

struct shortcode {
	char		*code;		/* pattern: digits, * # N X ? */
	enum sc_feature	 feature;
	char		*number;	/* telephone number with N . E, or NULL */
	char		*trunk;		/* trunk name, or NULL */
	char		*site;		/* break_out target site, or NULL */
	int		 line;
};

struct shortcode_list {
	struct shortcode	*v;
	size_t			 n;
};

#define DAY_MON	0x01
#define DAY_TUE	0x02
#define DAY_WED	0x04
#define DAY_THU	0x08
#define DAY_FRI	0x10
#define DAY_SAT	0x20
#define DAY_SUN	0x40

struct tp_weekly {
	unsigned	 days;		/* DAY_* mask */
	int		 start;		/* minutes after midnight */
	int		 end;		/* minutes after midnight, > start */
};

struct tp_date {
	int		 year, month, day;		/* first day */
	int		 end_year, end_month, end_day;	/* last day (= first) */
	int		 start;		/* minutes; 0 when whole day */
	int		 end;		/* minutes; 1440 when whole day */
};

struct time_profile {
	char		*name;
	struct tp_weekly *weekly;
	size_t		 nweekly;
	struct tp_date	*dates;
	size_t		 ndates;
};

struct user_rights {
	char			*name;
	int			 outgoing_call_bar;
	int			 block_forwarding;
	struct shortcode_list	 short_codes;
};

struct ddi_route {
	char		*ddi;
	char		*destination;	/* a user number */
};

struct trunk {
	char		*name;
	struct cfg_addr	 address;
	char		*auth_username;	/* NULL when no auth */
	char		*auth_password;
	struct ddi_route *incoming;
	size_t		 nincoming;
};

struct extension {
	char		*number;
	char		*password;
	char		*base_user;	/* NULL: NoUser */
	char		*location;
	int		 remote_worker;
	int		 line;
};

struct forward {
	char		*number;	/* NULL when unset */
	int		 unconditional;
	int		 on_busy;
	int		 on_no_answer;
	int		 no_answer_time;	/* seconds, default 15 */
};

enum button_type {
	BTN_CALL_APPEARANCE,
	BTN_BRIDGED_APPEARANCE,
	BTN_COVERAGE_APPEARANCE,
	BTN_LINE_APPEARANCE,
	BTN_SPEED_DIAL,
	BTN_DND,
	BTN_BREAK_OUT,
	BTN_MAX
};

struct button {
	enum button_type type;
	char		*user;
	char		*trunk;
	char		*number;
	char		*site;
};

struct user {
	char			*number;
	char			*name;
	char			*login_code;	/* as configured; hashed in db */
	int			 force_login;
	enum profile		 profile;
	char			*user_rights;		/* names, or NULL */
	char			*out_of_hours_user_rights;
	char			*working_hours_time_profile;
	int			 dnd;
	struct forward		 forward;
	char			*twinning_number;
	int			 twinning_enabled;
	struct shortcode_list	 short_codes;
	struct button		*buttons;
	size_t			 nbuttons;
	/* Toll-fraud guards (call_guard.c); 0 / none = no limit. */
	int			 max_external_calls;
	char			**allowed_prefixes;	/* digit strings */
	size_t			 nallowed_prefixes;
	int			 line;
};

struct peer_cfg {
	char		*name;
	struct cfg_addr	 address;	/* peer-link address */
	struct cfg_addr	 sip;		/* its SIP address */
};

struct tls_cfg {
	char		*ca;
	char		*cert;
	char		*key;
};

/* A source network never banned by sip_guard ("127.0.0.0/8", "::1"). */
struct cfg_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network byte order */
	int		 prefix;	/* bits that must match */
};

/* security: abuse protection on the SIP listeners (sip_guard.c). */
struct security_cfg {
	int		 sip_rate;	/* requests/s per source; 0 = no limit */
	int		 sip_burst;	/* bucket depth, requests */
	int		 auth_failures;	/* failures before a ban; 0 = never */
	int		 ban_time;	/* seconds */
	char		**scanner_user_agents;	/* substrings, any case */
	size_t		 nscanner_user_agents;
	struct cfg_net	*exempt;	/* never banned */
	size_t		 nexempt;
};

/* security.overload: when the site refuses new work (overload.c). */
struct overload_cfg {
	int		 max_call_rate;	/* new calls/s admitted; 0 = no limit */
	int		 delay_ms;	/* queueing delay meaning overload; 0 = off */
	int		 retry_after;	/* seconds, in the 503's Retry-After */
};

struct config {
	char			*path;

	/* site: */
	char			*site_name;
	int			 site_id;
	char			*domain;
	struct cfg_addr		*sip;
	size_t			 nsip;
	struct tls_cfg		 sip_tls;
	char			*database;
	char			*control;
	char			*http;		/* NULL when off */
	char			*http_token_file;
	char			*timezone;	/* NULL: the system's */
	int			 allow_insecure_permissions; /* skip perm check */

	int			 licences[PROFILE_MAX];

	/* hotdesk: */
	int			 lockout_attempts;	/* default 4 */
	int			 lockout_period;	/* seconds, default 90 */

	/* network: (listen.text NULL when no network) */
	struct cfg_addr		 net_listen;
	char			*net_secret;
	int			 orphan_logout;		/* seconds; 0 = never */
	int			 hold_time;		/* seconds, default 15 */
	struct tls_cfg		 net_tls;
	struct peer_cfg		*peers;
	size_t			 npeers;

	struct time_profile	*time_profiles;
	size_t			 ntime_profiles;
	struct user_rights	*user_rights;
	size_t			 nuser_rights;
	struct shortcode_list	 short_codes;	/* system short codes */
	struct trunk		*trunks;
	size_t			 ntrunks;
	struct extension	*extensions;
	size_t			 nextensions;
	struct user		*users;
	size_t			 nusers;
	/* Number -> user / extension (config_index), NULL: scan. */
	struct hmap		*user_index;
	struct hmap		*ext_index;

	struct security_cfg	 security;	/* defaults when absent */
	/*
	 * security.max_external_calls: concurrent calls out on trunks for
	 * the site, 0 = no limit (call_guard.c).  Kept out of struct
	 * security_cfg, which sip_guard.c initialises by position.
	 */
	int			 max_external_calls;
	struct overload_cfg	 overload;	/* security.overload (overload.c) */
};

/* Collected problems, each "FILE:LINE:COL: message". */
struct config_errors {
	char		**v;
	size_t		  n;
};

/*
 * Load and validate FILE.  Returns the config, or NULL with every problem
 * appended to errs (the caller prints them and calls config_errors_free).
 */
struct config	*config_load(const char *file, struct config_errors *errs);
void		 config_free(struct config *);
/* Free the strings and lists of one user (not the struct itself). */
void		 config_free_user(struct user *);
void		 config_errors_free(struct config_errors *);

/* Index users and extensions by number (config_load does it). */
void		 config_index(struct config *);
/*
 * Lookups by name or number.  Users and extensions go through the index
 * when there is one; the others are linear, for start-up and tests.
 */
struct user		*config_user(const struct config *, const char *);
struct extension	*config_extension(const struct config *, const char *);
struct trunk		*config_trunk(const struct config *, const char *);
struct user_rights	*config_rights(const struct config *, const char *);
struct time_profile	*config_time_profile(const struct config *,
			    const char *);
struct peer_cfg		*config_peer(const struct config *, const char *);

const char	*config_feature_name(enum sc_feature);
const char	*config_profile_name(enum profile);
const char	*config_button_name(enum button_type);
const char	*config_transport_name(enum sip_transport);
/* Parse "udp:1.2.3.4:5060" (or "1.2.3.4:5060", transport UDP). */
int		 config_parse_addr(const char *, struct cfg_addr *,
		    const char **cause);
/* Parse a plain "1.2.3.4:7001" or "[::1]:7001" (no transport prefix). */
int		 config_parse_hostport(const char *, struct cfg_addr *,
		    const char **cause);
/* Parse "10.0.0.0/8", "::1" (a host when no /bits); 0 or -1. */
int		 config_parse_net(const char *, struct cfg_net *);
/* Parse "30s", "15m", "24h", "90" (seconds); -1 on error. */
int		 config_parse_duration(const char *);
/* Enum value by YAML name; -1 when unknown. */
int		 config_feature_lookup(const char *);
int		 config_profile_lookup(const char *);
int		 config_button_lookup(const char *);

#endif
