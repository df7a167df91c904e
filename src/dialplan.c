/*
 * Short-code matching (DESIGN.md D1, D2).
 *
 * Dialling is en-bloc: a SIP phone sends the whole number at once, so only
 * a full match of the dialled string counts and there is no "wait for
 * more digits".  A pattern holds at most one 'N' (checked at load by
 * dialplan_pattern_valid), so a match is a fixed prefix, the N run, and a
 * fixed suffix: the N run takes exactly what lies between the prefix and
 * the suffix.  That is the backtracking matcher's only choice point, so it
 * is resolved in one pass with no recursion and no allocation; this runs
 * for every call.
 *
 * Ranking among full matches in one list: more literal characters wins
 * (the more specific rule), then a code without 'N' (its length matches
 * the dialled string exactly, so X beats N), then the earlier in the list.
 * The score packs the first two keys as 2 * literals + exact.
 */
#include <string.h>

#include "config.h"
#include "dialplan.h"

#define DP_CODE_MAX	31

/* Is c one of the characters a pattern may hold (besides '?')? */
static int
dialplan_code_char(char c)
{
	return ((c >= '0' && c <= '9') || c == '*' || c == '#' || c == 'N' ||
	    c == 'X');
}

/* Is code a valid pattern?  0, or -1 with a static cause. */
int
dialplan_pattern_valid(const char *code, const char **cause)
{
	size_t	 i, len, nn = 0;

	if (code == NULL || *code == '\0') {
		*cause = "empty short code";
		return (-1);
	}
	len = strlen(code);
	if (len > DP_CODE_MAX) {
		*cause = "short code longer than 31 characters";
		return (-1);
	}
	if (strcmp(code, "?") == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (code[i] == '?') {
			*cause = "'?' must be the whole short code";
			return (-1);
		}
		if (!dialplan_code_char(code[i])) {
			*cause = "short code may hold only 0-9 * # N X or ?";
			return (-1);
		}
		if (code[i] == 'N' && ++nn > 1) {
			*cause = "short code has more than one N";
			return (-1);
		}
	}
	return (0);
}

/* Does one pattern character p match the dialled character d? */
static int
dialplan_char_match(char p, char d)
{
	if (p == 'X')
		return (d >= '0' && d <= '9');
	return (p == d);
}

/* Append c to n (room was checked by the caller). */
static void
dialplan_put(char *n, size_t *off, char c)
{
	if (n != NULL)
		n[(*off)++] = c;
}

/*
 * Does dialled fully match code?  Returns a score >= 0 (higher is
 * better) and the N/X digits in n, or -1.  n may be NULL; nlen is
 * honoured either way (unless n is NULL and nlen 0: no limit), so a
 * match whose N/X run would not fit in nlen is no match at all (never a
 * silently truncated number).  The '?'
 * default matches anything with score 0 and n = the whole dialled string.
 */
int
dialplan_match_code(const char *code, const char *dialled, char *n,
    size_t nlen)
{
	const char	*cause, *npos;
	size_t		 clen, dlen, pre, suf, lit, i, off = 0;

	if (dialled == NULL || dialplan_pattern_valid(code, &cause) != 0)
		return (-1);
	clen = strlen(code);
	dlen = strlen(dialled);

	if (n == NULL && nlen == 0)
		nlen = (size_t)-1;
	if (strcmp(code, "?") == 0) {
		if (dlen >= nlen)
			return (-1);
		if (n != NULL)
			memcpy(n, dialled, dlen + 1);
		return (0);
	}

	npos = strchr(code, 'N');
	pre = npos != NULL ? (size_t)(npos - code) : clen;
	suf = npos != NULL ? clen - pre - 1 : 0;
	if (npos == NULL ? dlen != clen : dlen < pre + suf)
		return (-1);

	lit = 0;
	for (i = 0; i < clen; i++)
		if (code[i] != 'N' && code[i] != 'X')
			lit++;
	/* The N/X run is everything that is not a literal. */
	if (dlen - lit >= nlen)
		return (-1);

	for (i = 0; i < pre; i++) {
		if (!dialplan_char_match(code[i], dialled[i]))
			return (-1);
	}
	for (i = 0; i < suf; i++) {
		if (!dialplan_char_match(code[pre + 1 + i],
		    dialled[dlen - suf + i]))
			return (-1);
	}

	/* Record the N/X characters in dialled order. */
	for (i = 0; i < pre; i++)
		if (code[i] == 'X')
			dialplan_put(n, &off, dialled[i]);
	if (npos != NULL) {
		for (i = pre; i < dlen - suf; i++)
			dialplan_put(n, &off, dialled[i]);
		for (i = 0; i < suf; i++)
			if (code[pre + 1 + i] == 'X')
				dialplan_put(n, &off, dialled[dlen - suf + i]);
	}
	if (n != NULL)
		n[off] = '\0';

	return ((int)(2 * lit) + (npos == NULL ? 1 : 0));
}

/* Best non-'?' match in one list, or NULL; ties go to the earlier code. */
const struct shortcode *
dialplan_match_list(const struct shortcode_list *l, const char *dialled,
    char *n, size_t nlen)
{
	const struct shortcode	*best = NULL;
	int			 score, bestscore = -1;
	size_t			 i;

	if (l == NULL || dialled == NULL)
		return (NULL);
	for (i = 0; i < l->n; i++) {
		if (l->v[i].code == NULL || strcmp(l->v[i].code, "?") == 0)
			continue;
		score = dialplan_match_code(l->v[i].code, dialled, NULL, nlen);
		if (score > bestscore) {
			bestscore = score;
			best = &l->v[i];
		}
	}
	if (best != NULL && n != NULL)
		dialplan_match_code(best->code, dialled, n, nlen);
	return (best);
}

/* The first '?' code of one list, or NULL. */
static const struct shortcode *
dialplan_default(const struct shortcode_list *l)
{
	size_t	 i;

	if (l == NULL)
		return (NULL);
	for (i = 0; i < l->n; i++)
		if (l->v[i].code != NULL && strcmp(l->v[i].code, "?") == 0)
			return (&l->v[i]);
	return (NULL);
}

/* Copy s into out at *off; -1 when it does not fit. */
static int
dialplan_append(char *out, size_t len, size_t *off, const char *s)
{
	size_t	 sl = strlen(s);

	if (*off + sl >= len)
		return (-1);
	memcpy(out + *off, s, sl);
	*off += sl;
	out[*off] = '\0';
	return (0);
}

/*
 * Telephone-number substitution (DESIGN.md section 3): 'N' -> n,
 * '.' -> dialled, 'E' -> user_number; other characters copied.  A NULL
 * source (NoUser has no number for 'E') substitutes as empty.  0, or -1
 * when the result does not fit (out is then "").
 */
int
dialplan_substitute(const char *tmpl, const char *n, const char *dialled,
    const char *user_number, char *out, size_t len)
{
	char		 one[2] = { '\0', '\0' };
	const char	*s;
	size_t		 off = 0;

	if (len == 0)
		return (-1);
	out[0] = '\0';
	if (tmpl == NULL)
		return (0);
	for (; *tmpl != '\0'; tmpl++) {
		switch (*tmpl) {
		case 'N':
			s = n;
			break;
		case '.':
			s = dialled;
			break;
		case 'E':
			s = user_number;
			break;
		default:
			one[0] = *tmpl;
			s = one;
			break;
		}
		if (s != NULL && dialplan_append(out, len, &off, s) != 0) {
			out[0] = '\0';
			return (-1);
		}
	}
	return (0);
}

/* Fill out for a match of sc in tier; -1 if the number does not fit. */
static int
dialplan_fill(struct dp_match *out, const struct shortcode *sc,
    enum dp_tier tier, const char *dialled, const char *user_number)
{
	out->sc = sc;
	out->tier = tier;
	if (dialplan_match_code(sc->code, dialled, out->n,
	    sizeof(out->n)) < 0 ||
	    dialplan_substitute(sc->number, out->n, dialled, user_number,
	    out->number, sizeof(out->number)) != 0) {
		out->sc = NULL;
		out->tier = DP_TIER_NONE;
		return (-1);
	}
	return (0);
}

/* D3: an emergency code of the system list (dialplan.h). */
int
dialplan_emergency(const char *dialled, const struct shortcode_list *sys,
    struct dp_match *out)
{
	return (dialplan_match(dialled, NULL, NULL, sys, NULL, out) == 0 &&
	    out->sc->feature == SC_DIAL_EMERGENCY);
}

/*
 * D1 order over the tiers (any may be NULL): user, rights, system short
 * codes, then the '?' codes of user, rights, system.  A tier is decided
 * before the next is looked at: a user code beats a more specific system
 * code.  The caller checks user numbers first.  out->number is "" when
 * the code has no number.  0, or -1 for no match (tier DP_TIER_NONE).
 */
int
dialplan_match(const char *dialled, const struct shortcode_list *user,
    const struct shortcode_list *rights, const struct shortcode_list *sys,
    const char *user_number, struct dp_match *out)
{
	const struct shortcode_list	*tiers[3] = { user, rights, sys };
	const struct shortcode		*sc;
	int				 i;

	memset(out, 0, sizeof(*out));
	out->tier = DP_TIER_NONE;
	if (dialled == NULL)
		return (-1);
	for (i = 0; i < 3; i++) {
		sc = dialplan_match_list(tiers[i], dialled, NULL,
		    sizeof(out->n));
		if (sc != NULL)
			return (dialplan_fill(out, sc, DP_TIER_USER + i,
			    dialled, user_number));
	}
	for (i = 0; i < 3; i++) {
		sc = dialplan_default(tiers[i]);
		if (sc != NULL)
			return (dialplan_fill(out, sc,
			    DP_TIER_USER_DEFAULT + i, dialled, user_number));
	}
	return (-1);
}

/* The tier's name for logs and roamctl. */
const char *
dialplan_tier_name(enum dp_tier tier)
{
	switch (tier) {
	case DP_TIER_USER:
		return ("user");
	case DP_TIER_RIGHTS:
		return ("user_rights");
	case DP_TIER_SYSTEM:
		return ("system");
	case DP_TIER_USER_DEFAULT:
		return ("user_default");
	case DP_TIER_RIGHTS_DEFAULT:
		return ("user_rights_default");
	case DP_TIER_SYSTEM_DEFAULT:
		return ("system_default");
	case DP_TIER_NONE:
		break;
	}
	return ("none");
}
