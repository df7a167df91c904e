/*
 * Short-code matching (DESIGN.md D1, D2): a table of what a user dials,
 * the short codes of the three tiers, and which code must answer with
 * which telephone number.  Checking user numbers before short codes is
 * the caller's job and is not tested here.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dialplan.h"

struct roamd;
struct roamd	*env;

#define MAXSC	4

struct sc_def {
	const char	*code;
	const char	*number;
};

struct dp_case {
	const char	*name;
	struct sc_def	 user[MAXSC];
	struct sc_def	 rights[MAXSC];
	struct sc_def	 sys[MAXSC];
	const char	*dialled;
	const char	*user_number;
	enum dp_tier	 tier;		/* DP_TIER_NONE: no match */
	int		 index;		/* of the winner in its list */
	const char	*n;
	const char	*number;
};

#define T_USER		DP_TIER_USER
#define T_RIGHTS	DP_TIER_RIGHTS
#define T_SYS		DP_TIER_SYSTEM
#define T_UDEF		DP_TIER_USER_DEFAULT
#define T_RDEF		DP_TIER_RIGHTS_DEFAULT
#define T_SDEF		DP_TIER_SYSTEM_DEFAULT
#define T_NONE		DP_TIER_NONE

/* The system short codes of DESIGN.md section 3. */
#define SYS_EXAMPLE {							\
	{ "*35*N#", "N" }, { "*36", NULL }, { "*07*N#", "N" },		\
	{ "9N", "N" } }

static const struct dp_case cases[] = {
	/* N and the literal suffix: N takes what lies between. */
	{ "login with user and code", {}, {}, SYS_EXAMPLE,
	  "*35*201*1234#", "201", T_SYS, 0, "201*1234", "201*1234" },
	{ "login with code alone", {}, {}, SYS_EXAMPLE,
	  "*35*1234#", "201", T_SYS, 0, "1234", "1234" },
	{ "N may be empty between prefix and suffix", {}, {}, SYS_EXAMPLE,
	  "*35*#", "201", T_SYS, 0, "", "" },
	{ "N may be empty at the end", {}, {}, SYS_EXAMPLE,
	  "9", "201", T_SYS, 3, "", "" },
	{ "literal-only code", {}, {}, SYS_EXAMPLE,
	  "*36", "201", T_SYS, 1, "", "" },
	{ "'#' is a literal that must be dialled", {}, {}, SYS_EXAMPLE,
	  "*07*202", "201", T_NONE, 0, NULL, NULL },
	{ "forward number with '#'", {}, {}, SYS_EXAMPLE,
	  "*07*202#", "201", T_SYS, 2, "202", "202" },
	{ "suffix mismatch is no match", {}, {},
	  { { "*35*N#", "N" } },
	  "*35*1234*", "201", T_NONE, 0, NULL, NULL },
	{ "shorter than prefix and suffix", {}, {},
	  { { "*35*N#", "N" } },
	  "*35*", "201", T_NONE, 0, NULL, NULL },
	{ "prefix and suffix may not overlap", {}, {},
	  { { "1N1", "N" } },
	  "1", "201", T_NONE, 0, NULL, NULL },
	{ "prefix and suffix touching: N empty", {}, {},
	  { { "1N1", "N" } },
	  "11", "201", T_SYS, 0, "", "" },
	{ "N with '*' inside (break out)", {}, {},
	  { { "*80*N#", "N" } },
	  "*80*2*201#", "201", T_SYS, 0, "2*201", "2*201" },
	{ "N after a prefix", {}, {},
	  { { "*81N", "N" } },
	  "*81201", "201", T_SYS, 0, "201", "201" },
	{ "N before a '#' suffix", {}, {},
	  { { "N#", "N" } },
	  "201#", "201", T_SYS, 0, "201", "201" },
	{ "'#' between literals", {}, {},
	  { { "#X#", "N" } },
	  "#5#", "201", T_SYS, 0, "5", "5" },

	/* X: exactly one digit. */
	{ "X exact length", {}, {},
	  { { "9XXX", "N" } },
	  "9123", "201", T_SYS, 0, "123", "123" },
	{ "X too short", {}, {},
	  { { "9XXX", "N" } },
	  "912", "201", T_NONE, 0, NULL, NULL },
	{ "X too long", {}, {},
	  { { "9XXX", "N" } },
	  "91234", "201", T_NONE, 0, NULL, NULL },
	{ "X is a digit, not '#'", {}, {},
	  { { "*0X", "N" } },
	  "*0#", "201", T_NONE, 0, NULL, NULL },
	{ "X is a digit, not '*'", {}, {},
	  { { "9X", "N" } },
	  "9*", "201", T_NONE, 0, NULL, NULL },
	{ "X and N digits are concatenated", {}, {},
	  { { "9XN", "N" } },
	  "95123", "201", T_SYS, 0, "5123", "5123" },

	/* Ranking inside one list. */
	{ "more literals wins (999 after 9N)", {}, {},
	  { { "9N", "0N" }, { "999", "999" } },
	  "999", "201", T_SYS, 1, "", "999" },
	{ "more literals wins (999 before 9N)", {}, {},
	  { { "999", "999" }, { "9N", "0N" } },
	  "999", "201", T_SYS, 0, "", "999" },
	{ "more literals beats exact length", {}, {},
	  { { "90XX", "A" }, { "901N", "B" } },
	  "9012", "201", T_SYS, 1, "2", "B" },
	{ "X beats N on equal literals (N first)", {}, {},
	  { { "9N", "0N" }, { "9XXX", "1N" } },
	  "9123", "201", T_SYS, 1, "123", "1123" },
	{ "X beats N on equal literals (X first)", {}, {},
	  { { "9XXX", "1N" }, { "9N", "0N" } },
	  "9123", "201", T_SYS, 0, "123", "1123" },
	{ "N still matches other lengths", {}, {},
	  { { "9XXX", "1N" }, { "9N", "0N" } },
	  "91234", "201", T_SYS, 1, "1234", "01234" },
	{ "full tie: earlier in the list", {}, {},
	  { { "9N", "0N" }, { "9N", "00N" } },
	  "9123", "201", T_SYS, 0, "123", "0123" },
	{ "literal-count tie with X: earlier", {}, {},
	  { { "9XX", "A" }, { "X1X", "B" } },
	  "912", "201", T_SYS, 0, "12", "A" },
	{ "literal-count tie with X: earlier (swapped)", {}, {},
	  { { "X1X", "B" }, { "9XX", "A" } },
	  "912", "201", T_SYS, 0, "92", "B" },

	/* D1: tier order decides before specificity. */
	{ "user code beats the same system code",
	  { { "*77", "0033140000000" } }, {},
	  { { "*77", "999" } },
	  "*77", "201", T_USER, 0, "", "0033140000000" },
	{ "user code beats a more specific system code",
	  { { "9N", "0N" } }, {},
	  { { "999", "999" } },
	  "999", "201", T_USER, 0, "99", "099" },
	{ "rights code beats system code", {},
	  { { "00N", NULL } },
	  { { "9N", "N" }, { "0N", "N" } },
	  "0044123", "201", T_RIGHTS, 0, "44123", "" },
	{ "user code beats rights code",
	  { { "00N", "N" } },
	  { { "00N", NULL } },
	  { { "0N", "N" } },
	  "0044", "201", T_USER, 0, "44", "44" },
	{ "user miss falls to rights",
	  { { "*77", "1" } },
	  { { "00N", NULL } },
	  { { "0N", "N" } },
	  "0044", "201", T_RIGHTS, 0, "44", "" },
	{ "user and rights miss fall to system",
	  { { "*77", "1" } },
	  { { "00N", NULL } },
	  SYS_EXAMPLE,
	  "9123", "201", T_SYS, 3, "123", "123" },

	/* '?' only when nothing else matches, user then rights then system. */
	{ "system code beats system '?'", {}, {},
	  { { "?", "." }, { "9N", "N" } },
	  "9123", "201", T_SYS, 1, "123", "123" },
	{ "system code beats user '?'",
	  { { "?", "." } }, {},
	  { { "9N", "N" } },
	  "9123", "201", T_SYS, 0, "123", "123" },
	{ "user '?' first",
	  { { "?", "1." } },
	  { { "?", "2." } },
	  { { "?", "3." } },
	  "555", "201", T_UDEF, 0, "555", "1555" },
	{ "rights '?' before system '?'", {},
	  { { "?", "2." } },
	  { { "?", "3." } },
	  "555", "201", T_RDEF, 0, "555", "2555" },
	{ "system '?' last", {}, {},
	  { { "9N", "N" }, { "?", "3." } },
	  "555", "201", T_SDEF, 1, "555", "3555" },
	{ "no codes at all", {}, {}, {},
	  "555", "201", T_NONE, 0, NULL, NULL },
	{ "no match and no '?'", {}, {}, SYS_EXAMPLE,
	  "555", "201", T_NONE, 0, NULL, NULL },

	/* Telephone-number substitutions. */
	{ "N substitution with a prefix", {}, {},
	  { { "9N", "0N" } },
	  "912345", "201", T_SYS, 0, "12345", "012345" },
	{ "'.' is the whole dialled string", {}, {},
	  { { "9N", "." } },
	  "912345", "201", T_SYS, 0, "12345", "912345" },
	{ "E is the dialling user", {}, {},
	  { { "*99", "E" } },
	  "*99", "201", T_SYS, 0, "", "201" },
	{ "E, N and literals combined", {}, {},
	  { { "*7N", "E*N#" } },
	  "*7202", "201", T_SYS, 0, "202", "201*202#" },
	{ "N . E together", {}, {},
	  { { "8N", "+44N.E" } },
	  "812", "201", T_SYS, 0, "12", "+4412812201" },
	{ "E for NoUser is empty", {}, {},
	  { { "*99", "1E" } },
	  "*99", NULL, T_SYS, 0, "", "1" },
	{ "no number template: empty number", {}, {},
	  { { "*36", NULL } },
	  "*36", "201", T_SYS, 0, "", "" },
};

/* Build a list from a NULL-terminated definition. */
static void
build(struct shortcode_list *l, struct shortcode *v, const struct sc_def *d)
{
	size_t	 i;

	memset(v, 0, sizeof(*v) * MAXSC);
	for (i = 0; i < MAXSC && d[i].code != NULL; i++) {
		v[i].code = (char *)d[i].code;
		v[i].number = (char *)d[i].number;
		v[i].feature = SC_DIAL;
	}
	l->v = v;
	l->n = i;
}

/* One row of the table. */
START_TEST(test_dialplan_table)
{
	const struct dp_case	*c = &cases[_i];
	struct shortcode	 uv[MAXSC], rv[MAXSC], sv[MAXSC];
	struct shortcode_list	 ul, rl, sl, *win;
	struct dp_match		 m;
	int			 rc;

	build(&ul, uv, c->user);
	build(&rl, rv, c->rights);
	build(&sl, sv, c->sys);
	rc = dialplan_match(c->dialled, &ul, &rl, &sl, c->user_number, &m);
	if (c->tier == DP_TIER_NONE) {
		ck_assert_msg(rc == -1, "%s: matched %s", c->name,
		    m.sc != NULL ? m.sc->code : "?");
		ck_assert_int_eq(m.tier, DP_TIER_NONE);
		ck_assert_ptr_null(m.sc);
		return;
	}
	ck_assert_msg(rc == 0, "%s: no match", c->name);
	ck_assert_msg(m.tier == c->tier, "%s: tier %s", c->name,
	    dialplan_tier_name(m.tier));
	switch (c->tier) {
	case DP_TIER_USER:
	case DP_TIER_USER_DEFAULT:
		win = &ul;
		break;
	case DP_TIER_RIGHTS:
	case DP_TIER_RIGHTS_DEFAULT:
		win = &rl;
		break;
	default:
		win = &sl;
		break;
	}
	ck_assert_msg(m.sc == &win->v[c->index], "%s: won by %s (%s)",
	    c->name, m.sc->code, m.sc->number ? m.sc->number : "-");
	ck_assert_msg(strcmp(m.n, c->n) == 0, "%s: n '%s'", c->name, m.n);
	ck_assert_msg(strcmp(m.number, c->number) == 0, "%s: number '%s'",
	    c->name, m.number);
}
END_TEST

/* Tiers left out (NULL) are skipped, not an error. */
START_TEST(test_dialplan_null_tiers)
{
	struct shortcode	 sv[1] = { { .code = "9N", .number = "N" } };
	struct shortcode_list	 sl = { sv, 1 };
	struct dp_match		 m;

	ck_assert_int_eq(dialplan_match("9123", NULL, NULL, &sl, NULL, &m), 0);
	ck_assert_int_eq(m.tier, DP_TIER_SYSTEM);
	ck_assert_str_eq(m.number, "123");
	ck_assert_int_eq(dialplan_match("9123", NULL, NULL, NULL, NULL, &m),
	    -1);
	ck_assert_int_eq(dialplan_match(NULL, NULL, NULL, &sl, NULL, &m), -1);
}
END_TEST

/* A dialled string too long for the number buffer never matches short. */
START_TEST(test_dialplan_overlong_dialled)
{
	struct shortcode	 sv[2] = { { .code = "9N", .number = "N" },
				    { .code = "?", .number = "." } };
	struct shortcode_list	 sl = { sv, 2 };
	struct dp_match		 m;
	char			 d[DP_NUMBER_MAX + 8];

	memset(d, '1', sizeof(d) - 1);
	d[0] = '9';
	d[sizeof(d) - 1] = '\0';
	ck_assert_int_eq(dialplan_match(d, NULL, NULL, &sl, "201", &m), -1);
	ck_assert_int_eq(m.tier, DP_TIER_NONE);
}
END_TEST

/* Scores: literals count twice, exact length once, '?' is zero. */
START_TEST(test_dialplan_match_code_scores)
{
	char	 n[DP_NUMBER_MAX];

	ck_assert_int_eq(dialplan_match_code("999", "999", n, sizeof(n)), 7);
	ck_assert_int_eq(dialplan_match_code("9XXX", "9123", n, sizeof(n)),
	    3);
	ck_assert_int_eq(dialplan_match_code("9N", "9123", n, sizeof(n)), 2);
	ck_assert_str_eq(n, "123");
	ck_assert_int_eq(dialplan_match_code("?", "9123", n, sizeof(n)), 0);
	ck_assert_str_eq(n, "9123");
	ck_assert_int_eq(dialplan_match_code("9N", "8123", n, sizeof(n)), -1);
	ck_assert_int_eq(dialplan_match_code("9N", "9123", NULL, 0), 2);
	/* An invalid pattern never matches. */
	ck_assert_int_eq(dialplan_match_code("9NN", "9123", n, sizeof(n)),
	    -1);
	/* The N run must fit in n. */
	ck_assert_int_eq(dialplan_match_code("9N", "9123", n, 3), -1);
	ck_assert_int_eq(dialplan_match_code("9N", "9123", n, 4), 2);
}
END_TEST

struct valid_case {
	const char	*code;
	int		 ok;
};

static const struct valid_case valid_cases[] = {
	{ "*35*N#", 1 },
	{ "9XXX", 1 },
	{ "?", 1 },
	{ "#", 1 },
	{ "0123456789*#NX", 1 },
	{ "1234567890123456789012345678901", 1 },	/* 31 */
	{ "12345678901234567890123456789012", 0 },	/* 32 */
	{ "", 0 },
	{ "??", 0 },
	{ "9?", 0 },
	{ "?9", 0 },
	{ "N9N", 0 },
	{ "9a", 0 },
	{ "9n", 0 },
	{ "9x", 0 },
	{ "9 1", 0 },
	{ "+44N", 0 },
};

/* Pattern validity: which codes the config loader accepts. */
START_TEST(test_dialplan_pattern_valid)
{
	const struct valid_case	*c = &valid_cases[_i];
	const char		*cause = NULL;
	int			 rc;

	rc = dialplan_pattern_valid(c->code, &cause);
	ck_assert_msg(rc == (c->ok ? 0 : -1), "'%s': rc %d", c->code, rc);
	if (!c->ok)
		ck_assert_ptr_nonnull(cause);
}
END_TEST

/* NULL is not a pattern. */
START_TEST(test_dialplan_pattern_null)
{
	const char	*cause = NULL;

	ck_assert_int_eq(dialplan_pattern_valid(NULL, &cause), -1);
	ck_assert_ptr_nonnull(cause);
}
END_TEST

/* Substitution on its own, including an output that does not fit. */
START_TEST(test_dialplan_substitute)
{
	char	 out[8];

	ck_assert_int_eq(dialplan_substitute("0N", "123", "9123", "201", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "0123");
	ck_assert_int_eq(dialplan_substitute("E.", "1", "92", "201", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "20192");
	ck_assert_int_eq(dialplan_substitute("N", NULL, "9", NULL, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(dialplan_substitute("1234567", "", "", "", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "1234567");
	ck_assert_int_eq(dialplan_substitute("12345678", "", "", "", out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(dialplan_substitute("0N", "1234567", "", "", out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Tier names as logs and roamctl show them. */
START_TEST(test_dialplan_tier_names)
{
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_USER), "user");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_RIGHTS), "user_rights");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_SYSTEM), "system");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_USER_DEFAULT),
	    "user_default");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_RIGHTS_DEFAULT),
	    "user_rights_default");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_SYSTEM_DEFAULT),
	    "system_default");
	ck_assert_str_eq(dialplan_tier_name(DP_TIER_NONE), "none");
}
END_TEST

/* The dialplan suite. */
static Suite *
dialplan_suite(void)
{
	Suite	*s = suite_create("dialplan");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_dialplan_table, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_dialplan_null_tiers);
	tcase_add_test(tc, test_dialplan_overlong_dialled);
	tcase_add_test(tc, test_dialplan_match_code_scores);
	tcase_add_loop_test(tc, test_dialplan_pattern_valid, 0,
	    sizeof(valid_cases) / sizeof(valid_cases[0]));
	tcase_add_test(tc, test_dialplan_pattern_null);
	tcase_add_test(tc, test_dialplan_substitute);
	tcase_add_test(tc, test_dialplan_tier_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(dialplan_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
