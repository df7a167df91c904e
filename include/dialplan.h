/*
 * Short-code matching (DESIGN.md D1, D2).  Patterns: literal digits and
 * '*' '#'; 'N' matches any run of characters (also none), 'X' exactly one
 * digit, '?' alone is the default code.  Among full matches the code with
 * more literal characters wins, then the one whose length matches exactly
 * (X beats N), then the earlier in the list.  Dialling is en-bloc: only
 * full matches count.
 */
#ifndef DIALPLAN_H
#define DIALPLAN_H

#include <stddef.h>

#include "config.h"

#define DP_NUMBER_MAX	128

enum dp_tier {
	DP_TIER_USER,
	DP_TIER_RIGHTS,
	DP_TIER_SYSTEM,
	DP_TIER_USER_DEFAULT,
	DP_TIER_RIGHTS_DEFAULT,
	DP_TIER_SYSTEM_DEFAULT,
	DP_TIER_NONE
};

struct dp_match {
	const struct shortcode	*sc;
	enum dp_tier		 tier;
	char			 n[DP_NUMBER_MAX];	/* what N/X matched */
	char			 number[DP_NUMBER_MAX];	/* substituted */
};

/* Is code a valid pattern?  0, or -1 with a static cause. */
int	dialplan_pattern_valid(const char *code, const char **cause);
/*
 * Does dialled fully match code?  Returns a score >= 0 (higher is
 * better, see above) and the N/X digits in n, or -1.
 */
int	dialplan_match_code(const char *code, const char *dialled, char *n,
	    size_t nlen);
/* Best non-'?' match in one list, or NULL. */
const struct shortcode *dialplan_match_list(const struct shortcode_list *,
	    const char *dialled, char *n, size_t nlen);
/*
 * D1 order over the tiers (any may be NULL): user, rights, system, then
 * the '?' codes of user, rights, system.  The caller checks user numbers
 * first.  user_number is for 'E'.  0 and *out, or -1 for no match.
 */
int	dialplan_match(const char *dialled, const struct shortcode_list *user,
	    const struct shortcode_list *rights,
	    const struct shortcode_list *sys, const char *user_number,
	    struct dp_match *out);
/*
 * D3: is dialled one of the site's emergency codes (sys, its system
 * short codes)?  1 with the match in *out, else 0.  No user or rights
 * code may shadow one, so only the system tier is looked at.
 */
int	dialplan_emergency(const char *dialled,
	    const struct shortcode_list *sys, struct dp_match *out);
/*
 * Telephone-number substitution: 'N' -> n, '.' -> dialled,
 * 'E' -> user_number; other characters copied.  0 or -1 (too long).
 */
int	dialplan_substitute(const char *tmpl, const char *n,
	    const char *dialled, const char *user_number, char *out,
	    size_t len);
const char *dialplan_tier_name(enum dp_tier);

#endif
